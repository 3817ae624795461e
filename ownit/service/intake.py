"""Raising a request: the plugins' rules asked first (validation, priority,
skills, routing, owner choice), then route, pick one named owner and set the
promise in one unit of work; and ``who`` would own one, which creates nothing.
No plugin code runs inside a transaction: what a routing or owner rule is
shown is read before it is asked, and its answer is checked again in the
transaction against what is read there.

The hot path of the desk (a large retailer raises thousands an hour): the
organisation comes from the directory in memory, each person's load from
their row, and the statements run on the driver (:mod:`ownit.store`); the
view returned is drawn from what is in hand, after the commit, while the
plugins are told.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Sequence

from .. import assign, domain, events, notices, promises
from ..actors import Actor
from ..departments import PRIORITIES, RequestType
from ..incidents import is_incident
from ..clock import within_bounds
from ..errors import PermissionDenied, PluginError, ValidationError
from ..records import Draft, TeamInfo
from ..store import directory, org as org_store, requests, timeline
from ..store import outbox, submissions
from ..store import unit as store
from ..store.directory import PersonEntry, SiteEntry, TeamEntry
from ..store.sql import Statement, sa, table
from ..uploads import Upload
from ..views import person_view
from . import repeats, roster
from .access import NOTE_MAX, TITLE_MAX, acting_for, text, visible
from .attachments import answering, attach_in, prepare
from .mystery import check_raisable, link
from .audience import tell_requester
from .reactions import Rules, ask, transaction
from .reads import quoted, view_later
from .roster import candidates, team_info

CONTINUITY = timedelta(days=30)  # a requester keeps the owner of their last request of a department this long

_R = table("request")
_LAST_OWNER = Statement(lambda:   # the owner of the requester's last request of the department, lately
    sa.select(_R.c.owner_id).where(_R.c.requester_id == sa.bindparam("requester"),
                                   _R.c.department == sa.bindparam("department"),
                                   _R.c.raised_at >= sa.bindparam("since"))
    .order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(1))


def raise_request(desk: Any, *, actor: Actor, request_type: str, title: str, detail: str = "",
                  fields: dict[str, Any] | None = None, needed_by: date | None = None,
                  site: str | None = None, for_site: bool = False, key: str | None = None,
                  files: Sequence[Upload] | None = None, on_behalf_of: str | None = None,
                  mystery: int | None = None) -> dict[str, Any]:
    """Raise a request: the plugins' rules asked, then route, pick one named
    owner and set the promise in one transaction. Returns the request view.
    ``for_site`` marks it as the site's: the site's deputies hear what the
    requester hears (:mod:`.audience`). The same ``key`` sent again (a double
    click on "Raise it") raises nothing more and answers with the request the
    first raised (:mod:`.repeats`); the key is the actor's. ``files``: photos
    or files sent with it, checked and stored first (:mod:`.attachments`).
    ``on_behalf_of``: the email of the person it is for (a phone call to the
    desk; the support teams and admins only, :func:`.access.acting_for`): it is
    theirs as if they had raised it — their site, their owner, their promise
    and notices — and the actor is recorded as who raised it. ``mystery``: the
    planned mystery request (:mod:`.mystery`) the raiser is raising, which is
    marked so in its own table and nowhere on the request."""
    rtype = desk.plugins.request_type(request_type)
    if is_incident(rtype):
        raise ValidationError("an incident is declared, not raised: 'ownit incident declare' (or join one shown "
                              "on the raise page)")
    if for_site and rtype.restricted:
        raise ValidationError(f"{rtype.label} is private to you and the team; it cannot be marked for the site")
    department = desk.plugins.department(rtype.department)
    key = repeats.key_of(key)
    answered = answering(desk, rtype, fields or {})  # photos answering questions, kept first: the form holds names
    fields = {**(fields or {}), **{s.field: s.name for s in answered}}
    title, detail, parsed = _form(rtype, title, detail, fields, needed_by)
    if needed_by is None and rtype.needed_by_field and parsed.get(rtype.needed_by_field):
        needed_by = date.fromisoformat(parsed[rtype.needed_by_field])  # e.g. a vacancy's wanted start date
    said = _consult_plugins(desk, rtype, parsed, desk.now(), actor=actor, site=site, title=title,
                            on_behalf_of=on_behalf_of)
    stored = [*answered, *prepare(desk, files)]

    def work(u: store.Unit) -> Any:
        org, now = u.directory, u.now
        raiser = u.person(actor)
        earlier = repeats.repeated(u, raiser, key, "raise")
        if earlier is not None:
            first, team, known = visible(u, requests.get(u, earlier.request_id).ref, raiser)
            return view_later(u, first, team, known, raiser, repeated=True)
        requester = acting_for(org, raiser, on_behalf_of, "raise a request", rtype)
        planned = check_raisable(u, mystery, raiser, requester, rtype) if mystery is not None else None
        where = _site_of(org, requester, site, raising=True)
        team = _route(u, department.key, where.region, routed=said.team)
        loads = directory.loads(u.db, team)
        choice = _owner_for(u, team, loads, skills=said.skills, requester=requester, chosen=said.owner)
        calendar = team.business_calendar
        if needed_by is not None and needed_by < calendar.local(now).date():
            field = next((f for f in rtype.fields if f.key == rtype.needed_by_field
                          and parsed.get(f.key) == needed_by.isoformat()), None)
            what = f"{field.label} ({field.key}): " if field else "needed-by date "
            past = f"{needed_by.isoformat()} is in the past; give a future date"
            raise ValidationError.about(field.key if field else "needed_by", what + past, past)
        req, entries = opened(u, rtype=rtype, prefix=department.prefix, title=title, detail=detail, fields=parsed,
                              requester=requester, raiser=raiser, where=where, team=team, owner_id=choice.person_id,
                              reason=choice.reason, priority=said.priority, needed_by=needed_by, for_site=for_site,
                              stored=stored)
        if planned is not None:
            link(u, planned, req)
        if key is not None:
            submissions.settle(u, raiser.id, key, req.id)
        if any(m.person_id == choice.person_id for m in team.members):  # the lead is not always a member
            org_store.mark_assigned(u, team.id, choice.person_id)
        if choice.person_id in loads:  # the view shows the owner's load with this request in it
            load = loads[choice.person_id]
            loads[choice.person_id] = dataclasses.replace(load, open_requests=load.open_requests + 1)
        return view_later(u, req, team, rtype, raiser, entries=entries, loads=loads, watching=[])

    return transaction(desk, work)


def opened(u: store.Unit, *, rtype: RequestType, prefix: str, title: str, detail: str, fields: dict[str, Any],
           requester: PersonEntry, raiser: PersonEntry, where: SiteEntry, team: TeamEntry, owner_id: int,
           reason: str, priority: str, needed_by: date | None = None, for_site: bool = False,
           stored: Sequence[Any] = (), incident: bool = False,
           received: bool = True) -> tuple[Any, list[timeline.Entry]]:
    """A new request of ``rtype`` stored with its one named owner and its
    promise, on its timeline (raised, assigned, any files), and told to its
    owner and (``received``) its requester: the one way a request comes to
    be (raised here; declared as an ``incident``, or raised by joining one,
    which tells the requester otherwise: :mod:`.incidents`). Returns the
    request and its timeline."""
    org, now = u.directory, u.now
    calendar = org.calendar_for(team, rtype, raising=True)  # the type's own clock (a spill's is 24x7), else the team's
    charter = org.charter_now.get(team.id)  # the version the promise is made under, kept with the request
    promise = org.promise(rtype, priority, where.id, charter)
    first_contact_due = calendar.add(now, promise.first_contact_within)
    resolve_by = calendar.add(now, promise.resolve_within)
    req = requests.new(
        ref=requests.next_ref(u, prefix), department=rtype.department, request_type=rtype.key,
        title=title, detail=detail, fields=fields, requester_id=requester.id, site_id=where.id,
        raised_by_id=raiser.id if raiser.id != requester.id else None,
        team_id=team.id, owner_id=owner_id, stage=rtype.stages[0].key, status=domain.OPEN,
        priority=priority, needed_by=needed_by, raised_at=now, first_contact_due=first_contact_due,
        resolve_by=resolve_by, updated_at=now, for_site=for_site, charter_id=charter.id if charter else None,
        stage_due=promises.stage_forecast(calendar, now, rtype.stages, resolve_by),
        # the requester's date is never ignored: earlier than the standard, it must be agreed
        needs_agreement=needed_by is not None and calendar.end_of_day(needed_by) < resolve_by)
    req.next_due = promises.next_due_of(req)
    requests.insert(u, req)
    owner = org.people[owner_id]
    entries = [timeline.Entry(req.id, now, events.Raised(priority=priority, request_type=rtype.key),
                              actor_id=raiser.id, note=title),
               timeline.Entry(req.id, now, events.Assigned(owner=owner.email, team=team.key, reason=reason),
                              note=f"{owner.name} ({team.name}) owns this {'incident' if incident else 'request'}")]
    timeline.append(u, *entries)
    entries += attach_in(u, req, raiser.id, stored)
    if owner.id != raiser.id or not incident:  # whoever declares an incident knows they own it
        outbox.put(u, owner.id, req.id, notices.Assigned(
            ref=req.ref, title=title, requester=requester.name, first_contact_due=first_contact_due.isoformat(),
            zone=calendar.timezone, raised_by=raiser.name if req.raised_by_id else ""))
    if received:
        tell_requester(u, req, notices.Received(  # not to an owner who raised it: they were just told
            ref=req.ref, title=title, owner=owner.name, team=team.name,
            first_contact_due=first_contact_due.isoformat(), zone=calendar.timezone,
            raised_by=raiser.name if req.raised_by_id else "", your_part=rtype.stages[0].requester_action),
            skip=owner.id, new=True)
    return req, entries


def _form(rtype: RequestType, title: str, detail: str, fields: dict[str, Any],
          needed_by: date | None) -> tuple[str, str, dict[str, Any]]:
    """The raise form checked whole: its title, detail and parsed fields, or
    one :class:`ValidationError` with every problem in it, each on its field."""
    checks = {"title": lambda: text(title, "the title", limit=TITLE_MAX, required=True, key="title"),
              "detail": lambda: text(detail, "the detail", limit=NOTE_MAX, required=False, key="detail"),
              "fields": lambda: rtype.parse_fields(fields),
              "needed_by": lambda: needed_by is None or within_bounds(needed_by)}
    done, problems = {}, []
    for name, check in checks.items():
        try:
            done[name] = check()
        except ValidationError as problem:
            problems.append(problem if problem.problems else ValidationError.about(name, str(problem), str(problem)))
    if problems:
        raise ValidationError.together(problems)
    return done["title"], done["detail"], done["fields"]


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

    said = {rtype.key: _consult_plugins(desk, rtype, None, desk.now(), actor=actor, site=site) for rtype in types}

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        where = _site_of(org, person, site, raising=False)
        rows = []
        for rtype in types:
            department = desk.plugins.department(rtype.department)
            line: dict[str, Any] = {"department": {"key": department.key, "name": department.name},
                                    "request_type": {"key": rtype.key, "label": rtype.label}}
            try:
                team = _route(u, department.key, where.region, routed=said[rtype.key].team)
            except ValidationError as problem:  # no team covers the site: say so, the other lines still help
                rows.append({**line, "team": None, "owner": None, "lead": None, "reason": str(problem)})
                continue
            choice = _owner_for(u, team, directory.loads(u.db, team), skills=said[rtype.key].skills,
                                requester=person if where.id == person.site_id else None,
                                chosen=said[rtype.key].owner)
            charter = org.charter_now.get(team.id)
            promise = org.promise(rtype, rtype.default_priority, where.id, charter)
            rows.append({**line, "team": {"key": team.key, "name": team.name},
                         "owner": person_view(org.people[choice.person_id]), "reason": choice.reason,
                         "lead": person_view(org.people[team.lead_id]),
                         "first_contact_within": str(promise.first_contact_within),
                         "charter": quoted(org, charter.id, u.now) if charter else None})
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


def _route(u: store.Unit, department: str, region: str, *, routed: str | None) -> TeamEntry:
    """The team that owns a new request: the one a routing rule chose (asked
    before the transaction) if it is still one of the department's, else the
    department's team covering ``region``."""
    teams = u.directory.teams_by_department.get(department, [])
    if not teams:
        raise ValidationError(f"no {department} team is set up yet; add one to the org file and load it")
    chosen = next((t for t in teams if t.key == routed), None)
    if chosen is None:
        key = assign.route_by_region([assign.TeamCover(t.key, t.regions) for t in teams], region)
        chosen = next((t for t in teams if t.key == key), None)
    if chosen is None:
        raise ValidationError(
            f"no {department} team covers region {region!r}; add the region to a team in the org file")
    return chosen


def _owner_for(u: store.Unit, team: TeamEntry, loads: dict[int, directory.Load], *, skills: Iterable[str],
               requester: PersonEntry | None, chosen: str | None) -> assign.Choice:
    """Who would own a new request in ``team`` right now: ``chosen`` (the
    department's own rule's answer, asked before the transaction) when that
    person can take it now, else the standard choice
    (:func:`ownit.assign.choose_owner`). It only chooses; the raise assigns."""
    choice = _ruled_owner(u, team, loads, chosen)
    if choice is not None:
        return choice
    continuity = u.db.execute(_LAST_OWNER, requester=requester.id, department=team.department,
                              since=u.now - CONTINUITY).scalar() if requester is not None else None
    return roster.choose(u.directory, team, loads, u.now, skills=skills, continuity_id=continuity)


def _ruled_owner(u: store.Unit, team: TeamEntry, loads: dict[int, directory.Load],
                 email: str | None) -> assign.Choice | None:
    """The rule's choice of owner, checked against the loads read in this
    transaction: the lead unless away, or a member who is available now; else
    ``None`` (not in the team, away or full: the standard choice takes over)."""
    if email is None:
        return None
    email, org = email.strip().lower(), u.directory
    if email == org.people[team.lead_id].email:
        return None if loads[team.lead_id].is_away(u.now) else assign.Choice(team.lead_id, RULED)
    member = next((c for c in candidates(org, team, loads, u.now) if c.email == email), None)
    if member is None or not assign.qualifies(member, ()):
        return None
    return assign.Choice(member.person_id, RULED)


RULED = "chosen by the department's rule"


@dataclass(frozen=True)
class Said:
    """What the plugins said of a new request, asked before its transaction."""

    priority: str
    skills: tuple[str, ...]
    team: str | None = None  # the team a routing rule chose; None: the standard rule
    owner: str | None = None  # the email an owner rule chose; None: the standard choice


@dataclass(frozen=True)
class Shown:
    """What the department's routing and owner rules are shown of a new
    request's place, read before they are asked (in a read of its own)."""

    requester: str
    site: str
    region: str
    teams: dict[str, TeamInfo]  # by key: every team of the department when a rule routes, else the standard one
    standard: str | None  # the department's team covering the region, if any


def _consult_plugins(desk: Any, rtype: RequestType, fields: dict[str, Any] | None, now: datetime, *,
                     actor: str | None, site: str | None, title: str = "",
                     on_behalf_of: str | None = None) -> Said:
    """The plugins' say on a new request of ``rtype``, before any transaction:
    what is wrong with it (refused with a :class:`ValidationError`), its
    priority, the skills it needs and, when the department has rules of its
    own, its team and owner. ``fields`` of ``None`` is ``who``'s question: no
    request, so no validation and the default priority. One hand-off to a hook
    worker for all of it, within the time limit; a failure, a hang or a wrong
    answer refuses it with one line naming the step and the plugin."""
    plugins = desk.plugins
    pm = plugins.pm
    route = plugins.for_department("ownit_route", rtype.department)
    choose = plugins.for_department("ownit_choose_owner", rtype.department)
    shown = _show(desk, rtype, actor=actor, site=site, routes=bool(route.get_hookimpls()), raising=fields is not None,
                  on_behalf_of=on_behalf_of) if route.get_hookimpls() or choose.get_hookimpls() else None
    given = dict(fields or {})

    def consult(rules: Rules) -> Said:
        priority = rtype.default_priority if fields is None else _judged(rules, pm, rtype, given, now)
        _, skills = rules.first(pm.hook.ownit_required_skills, "deciding the skills needed", request_type=rtype.key,
                                fields=dict(given))
        said = Said(priority=priority, skills=rtype.skills if skills is None else tuple(skills))
        if shown is None:
            return said
        draft = Draft(request_type=rtype.key, fields=dict(given), title=title, priority=priority, site_code=shown.site,
                      region=shown.region, requester_email=shown.requester)
        plugin, team = rules.first(route, "routing the request", request=draft, teams=list(shown.teams.values()))
        if team is not None and team not in shown.teams:
            raise PluginError(f"plugin {plugin!r} routed the request to unknown team {team!r}, so nothing was saved")
        team = team or shown.standard
        if team is None:  # no team covers the site: the transaction says so
            return said
        _, owner = rules.first(choose, "choosing the owner", request=draft, team=shown.teams[team])
        return dataclasses.replace(said, team=team, owner=owner)

    return ask(desk, consult, hooks=(pm.hook.ownit_validate_request, pm.hook.ownit_priority,
                                     pm.hook.ownit_required_skills, route, choose))


def _judged(rules: Rules, pm: Any, rtype: RequestType, fields: dict[str, Any], now: datetime) -> str:
    """The priority of a request of ``rtype`` with these (parsed) ``fields``,
    once the department's checks pass (``ownit_validate_request``, refused
    with a :class:`ValidationError`): its ``ownit_priority`` rule's answer,
    else the type's default. A priority the type cannot reach is refused."""
    problems = [message for _, messages in rules.every(
        pm.hook.ownit_validate_request, "checking the request", request_type=rtype.key, fields=dict(fields),
        now=now) for message in messages]
    if problems:
        raise ValidationError("; ".join(problems))
    plugin, answer = rules.first(pm.hook.ownit_priority, "setting the priority", request_type=rtype.key,
                                 fields=dict(fields))
    if answer is not None and answer not in PRIORITIES:
        raise PluginError(f"plugin {plugin!r} gave unknown priority {answer!r}, so nothing was saved; "
                          f"it must return one of {', '.join(PRIORITIES)} or None")
    if answer is not None and answer not in rtype.reachable:
        raise PluginError(f"plugin {plugin!r} gave {rtype.key} the priority {answer!r}, which it has no "
                          f"promise for, so nothing was saved; it can be {', '.join(rtype.reachable)} "
                          f"(add {answer!r} to the type's promise and priorities, or return None)")
    return answer or rtype.default_priority


def priority_of(desk: Any, rtype: RequestType, fields: dict[str, Any], now: datetime) -> str:
    """:func:`_judged` on its own, before a transaction: the priority a
    request's changed answers give it (:mod:`.answers`)."""
    pm = desk.plugins.pm
    return ask(desk, lambda rules: _judged(rules, pm, rtype, fields, now),
               hooks=(pm.hook.ownit_validate_request, pm.hook.ownit_priority))


def _show(desk: Any, rtype: RequestType, *, actor: str | None, site: str | None, routes: bool,
          raising: bool, on_behalf_of: str | None = None) -> Shown:
    """What the department's rules are shown, in a short read of its own (no
    write lock): the requester and site, and the teams with their loads."""
    def read(u: store.Unit) -> Shown:
        org = u.directory
        person = acting_for(org, org.person(actor), on_behalf_of, "raise a request", rtype)
        where = _site_of(org, person, site, raising=raising)
        teams = org.teams_by_department.get(rtype.department, [])
        standard = assign.route_by_region([assign.TeamCover(t.key, t.regions) for t in teams], where.region)
        shown = [t for t in teams if routes or t.key == standard]
        return Shown(requester=person.email, site=where.code, region=where.region, standard=standard,
                     teams={t.key: team_info(org, t, directory.loads(u.db, t), u.now) for t in shown})

    return store.run(desk, read, write=False)
