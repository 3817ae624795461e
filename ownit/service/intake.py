"""Raising a request: validate, route, pick one named owner, set the promise,
all in one unit of work; and ``who`` would own one, which creates nothing.

The hot path of the desk (a large retailer raises thousands an hour): the
organisation comes from the directory in memory, each person's load from
their row, and the statements run on the driver (:mod:`ownit.store`); the
view returned is drawn from what is in hand, after the commit, while the
plugins are told.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any, Iterable

import sqlalchemy as sa

from .. import assign, domain, events, notices, promises
from ..actors import Actor
from ..departments import PRIORITIES, RequestType
from ..clock import within_bounds
from ..errors import PermissionDenied, PluginError, ValidationError
from ..models import Request
from ..records import Draft
from ..store import directory, org as org_store, requests, timeline
from ..store import outbox
from ..store import unit as store
from ..store.directory import PersonEntry, SiteEntry, TeamEntry
from ..store.sql import Statement
from ..views import person_view
from .access import NOTE_MAX, TITLE_MAX, text
from .reactions import all_pure, ask, transaction
from .reads import view_later
from .roster import candidates, team_info

CONTINUITY = timedelta(days=30)  # a requester keeps the owner of their last request of a department this long

_R = Request.__table__
_LAST_OWNER = Statement(  # the owner of the requester's last request of the department, lately
    sa.select(_R.c.owner_id).where(_R.c.requester_id == sa.bindparam("requester"),
                                   _R.c.department == sa.bindparam("department"),
                                   _R.c.raised_at >= sa.bindparam("since"))
    .order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(1))


def raise_request(desk: Any, *, actor: Actor, request_type: str, title: str, detail: str = "",
                  fields: dict[str, Any] | None = None, needed_by: date | None = None,
                  site: str | None = None) -> dict[str, Any]:
    """Raise a request: validate, route, pick one named owner, set the promise,
    all in one transaction. Returns the request view."""
    rtype = desk.plugins.request_type(request_type)
    department = desk.plugins.department(rtype.department)
    title = text(title, "the title", limit=TITLE_MAX, required=True)
    detail = text(detail, "the detail", limit=NOTE_MAX, required=False)
    parsed = rtype.parse_fields(fields or {})
    if needed_by is not None:
        within_bounds(needed_by)
    if needed_by is None and rtype.needed_by_field and parsed.get(rtype.needed_by_field):
        needed_by = date.fromisoformat(parsed[rtype.needed_by_field])  # e.g. a vacancy's wanted start date
    priority, skills = _consult_plugins(desk, rtype, parsed, desk.now())

    def work(u: store.Unit) -> Any:
        org, now = u.directory, u.now
        requester = u.person(actor)
        where = _site_of(org, requester, site, raising=True)
        draft = Draft(request_type=rtype.key, fields=parsed, title=title, priority=priority,
                      site_code=where.code, region=where.region, requester_email=requester.email)
        team = _route(desk, u, draft, department.key)
        loads = directory.loads(u.db, team)
        choice = _owner_for(desk, u, draft, team, loads, skills=skills, requester=requester)
        calendar = team.business_calendar
        if needed_by is not None and needed_by < calendar.local(now).date():
            field = next((f for f in rtype.fields if f.key == rtype.needed_by_field
                          and parsed.get(f.key) == needed_by.isoformat()), None)
            what = f"{field.label} ({field.key}): " if field else "needed-by date "
            raise ValidationError(f"{what}{needed_by.isoformat()} is in the past; give a future date",
                                  field=field.key if field else None)
        promise = rtype.promise_for(priority)
        first_contact_due = calendar.add(now, promise.first_contact_within)
        resolve_by = calendar.add(now, promise.resolve_within)
        req = requests.new(
            ref=requests.next_ref(u, department.prefix), department=department.key, request_type=rtype.key,
            title=title, detail=detail, fields=parsed, requester_id=requester.id, site_id=where.id,
            team_id=team.id, owner_id=choice.person_id, stage=rtype.stages[0].key, status=domain.OPEN,
            priority=priority, needed_by=needed_by, raised_at=now, first_contact_due=first_contact_due,
            resolve_by=resolve_by, updated_at=now,
            stage_due=promises.stage_forecast(calendar, now, rtype.stages, resolve_by),
            # the requester's date is never ignored: earlier than the standard, it must be agreed
            needs_agreement=needed_by is not None and calendar.end_of_day(needed_by) < resolve_by)
        req.next_due = promises.next_due_of(req)
        requests.insert(u, req)
        if any(m.person_id == choice.person_id for m in team.members):  # the lead is not always a member
            org_store.mark_assigned(u, team.id, choice.person_id)
        owner = org.people[choice.person_id]
        entries = [timeline.Entry(req.id, now, events.Raised(priority=priority, request_type=rtype.key),
                                  actor_id=requester.id, note=title),
                   timeline.Entry(req.id, now, events.Assigned(owner=owner.email, team=team.key, reason=choice.reason),
                                  note=f"{owner.name} ({team.name}) owns this request")]
        timeline.append(u, *entries)
        outbox.put(u, owner.id, req.id, notices.Assigned(
            ref=req.ref, title=title, requester=requester.name, first_contact_due=first_contact_due.isoformat(),
            zone=calendar.timezone))
        if choice.person_id in loads:  # the view shows the owner's load with this request in it
            load = loads[choice.person_id]
            loads[choice.person_id] = dataclasses.replace(load, open_requests=load.open_requests + 1)
        return view_later(u, req, team, rtype, requester, entries=entries, loads=loads)

    return transaction(desk, work)


def who(desk: Any, *, actor: Actor, site: str | None = None,
        request_type: str | None = None) -> dict[str, Any]:
    """Who would own a new request from ``site`` (the actor's own by default)
    right now, and who leads them: one line per department, or one for
    ``request_type``. The same routing and owner choice as raising a request,
    and nothing is created or marked."""
    if request_type:
        types = [desk.plugins.request_type(request_type)]
    else:  # each department's first everyday request type stands for it
        types = [next((t for t in d.request_types if not t.restricted), d.request_types[0])
                 for d in sorted(desk.plugins.departments.values(), key=lambda d: d.key)]

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        where = _site_of(org, person, site, raising=False)
        rows = []
        for rtype in types:
            department = desk.plugins.department(rtype.department)
            line: dict[str, Any] = {"department": {"key": department.key, "name": department.name},
                                    "request_type": {"key": rtype.key, "label": rtype.label}}
            draft = Draft(request_type=rtype.key, fields={}, title="", priority=rtype.default_priority,
                          site_code=where.code, region=where.region, requester_email=person.email)
            try:
                team = _route(desk, u, draft, department.key)
            except ValidationError as problem:  # no team covers the site: say so, the other lines still help
                rows.append({**line, "team": None, "owner": None, "lead": None, "reason": str(problem)})
                continue
            choice = _owner_for(desk, u, draft, team, directory.loads(u.db, team),
                                skills=_required_skills(desk, rtype, {}),
                                requester=person if where.id == person.site_id else None)
            promise = rtype.promise_for(rtype.default_priority)
            rows.append({**line, "team": {"key": team.key, "name": team.name},
                         "owner": person_view(org.people[choice.person_id]), "reason": choice.reason,
                         "lead": person_view(org.people[team.lead_id]),
                         "first_contact_within": str(promise.first_contact_within)})
        return {"site": {"code": where.code, "name": where.name, "region": where.region},
                "at": u.now.isoformat(), "departments": rows}

    return store.run(desk, work, write=False)


def _site_of(org: directory.Directory, person: PersonEntry, code: str | None, *, raising: bool) -> SiteEntry:
    """The site a request is (or would be) raised for: ``code``, else the person's own."""
    if code:
        where = org.site(code)
        if raising and where.id != person.site_id and not set(person.roles) & {"agent", "lead", "admin"}:
            raise PermissionDenied(f"you can raise requests for your own site only, not {where.code}")
        return where
    if person.site_id is None:
        raise ValidationError("you have no site in the org file; say which with --site CODE")
    return org.sites[person.site_id]


def _route(desk: Any, u: store.Unit, draft: Draft, department: str) -> TeamEntry:
    org = u.directory
    teams = org.teams_by_department.get(department, [])
    if not teams:
        raise ValidationError(f"no {department} team is set up yet; add one to the org file and load it")
    chosen = None
    rule = desk.plugins.for_department("ownit_route", department)
    if rule.get_hookimpls():  # the team snapshots cost queries: only for a plugin that routes
        infos = [team_info(org, t, directory.loads(u.db, t), u.now) for t in teams]
        chosen = ask("routing the request", lambda: rule(request=draft, teams=infos), inline=all_pure(rule))
    if chosen is None:
        chosen = assign.route_by_region([assign.TeamCover(t.key, t.regions) for t in teams], draft.region)
    if chosen is None:
        raise ValidationError(
            f"no {department} team covers region {draft.region!r}; add the region to a team in the org file")
    for team in teams:
        if team.key == chosen:
            return team
    raise PluginError(f"a plugin routed the request to unknown team {chosen!r}, so nothing was saved")


def _owner_for(desk: Any, u: store.Unit, draft: Draft, team: TeamEntry, loads: dict[int, directory.Load], *,
               skills: Iterable[str], requester: PersonEntry | None) -> assign.Choice:
    """Who would own ``draft`` in ``team`` right now: the department's own rule
    when it has one and that person can take it, else the standard choice
    (:func:`ownit.assign.choose_owner`). It only chooses; the raise assigns."""
    choice = _plugin_owner(desk, u, draft, team, loads)
    if choice is not None:
        return choice
    continuity = u.db.execute(_LAST_OWNER, requester=requester.id, department=team.department,
                              since=u.now - CONTINUITY).scalar() if requester is not None else None
    return assign.choose_owner(candidates(u.directory, team, loads, u.now), required_skills=tuple(skills),
                               lead_id=team.lead_id, continuity_id=continuity)


def _plugin_owner(desk: Any, u: store.Unit, draft: Draft, team: TeamEntry,
                  loads: dict[int, directory.Load]) -> assign.Choice | None:
    """A plugin's choice of owner within ``team``, when it has one and that
    person can take the request now; else ``None`` (the standard choice)."""
    rule = desk.plugins.for_department("ownit_choose_owner", team.department)
    if not rule.get_hookimpls():
        return None
    org = u.directory
    info = team_info(org, team, loads, u.now)
    email = ask("choosing the owner", lambda: rule(request=draft, team=info), inline=all_pure(rule))
    if email is None:
        return None
    email = email.strip().lower()
    if email == info.lead_email:
        return None if loads[team.lead_id].is_away(u.now) else assign.Choice(team.lead_id,
                                                                             "chosen by the department's rule")
    member = next((m for m in info.members if m.email == email), None)
    if member is None or not member.available:
        return None  # not in the team, away or full: the standard choice takes over
    return assign.Choice(org.people_by_email[email].id, "chosen by the department's rule")


def _consult_plugins(desk: Any, rtype: RequestType, fields: dict[str, Any],
                     now: datetime) -> tuple[str, tuple[str, ...]]:
    """The plugins' say on a new request before anything is saved: what is
    wrong with it (refused with a :class:`ValidationError`), its priority and
    the skills it needs. All of it in one call on a hook worker within the time
    limit (each hand-off to a worker costs tens of microseconds); should it
    fail or hang, the one-line refusal names the step and, where it is known,
    the plugin."""
    pm = desk.plugins.pm
    doing = ["checking the request", None]  # the step running now, and whose plugin it is

    def consult() -> tuple[list[str], str, tuple[str, ...]]:
        problems: list[str] = []
        for impl in pm.hook.ownit_validate_request.get_hookimpls():
            doing[1] = impl.plugin_name
            offered = {"request_type": rtype.key, "fields": dict(fields), "now": now}
            problems.extend(str(p) for p in impl.function(**{k: v for k, v in offered.items()
                                                              if k in impl.argnames}) or [])
        if problems:
            return problems, rtype.default_priority, ()
        doing[:] = ["setting the priority", None]
        priority = pm.hook.ownit_priority(request_type=rtype.key, fields=dict(fields))
        doing[:] = ["deciding the skills needed", None]
        skills = pm.hook.ownit_required_skills(request_type=rtype.key, fields=dict(fields))
        return problems, priority or rtype.default_priority, rtype.skills if skills is None else tuple(skills)

    problems, priority, skills = ask(lambda: f"{doing[0]}", consult, plugin=lambda: doing[1], inline=all_pure(
        pm.hook.ownit_validate_request, pm.hook.ownit_priority, pm.hook.ownit_required_skills))
    if problems:
        raise ValidationError("; ".join(problems))
    if priority not in PRIORITIES:
        raise PluginError(f"a plugin gave unknown priority {priority!r}, so nothing was saved")
    return priority, skills


def _required_skills(desk: Any, rtype: RequestType, fields: dict[str, Any]) -> tuple[str, ...]:
    skills = ask("deciding the skills needed", lambda: desk.plugins.hook.ownit_required_skills(
        request_type=rtype.key, fields=dict(fields)))
    return rtype.skills if skills is None else tuple(skills)
