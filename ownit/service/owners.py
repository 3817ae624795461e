"""Who would own a new request: the plugins' rules asked first (validation,
priority, skills, the department's routing and owner rules), then the team
that covers the site and the one named owner it would have. Raising a request
(:mod:`.intake`) and ``who`` (which creates nothing) share these, so the owner
``who`` names is the owner a raise would pick; this module is ``who``'s whole
path, so it loads none of what a raise writes (its notices, files, timeline).
No plugin code runs inside a transaction: what a routing or owner rule is
shown is read before it is asked, and its answer is checked again in the
transaction against what is read there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from .. import assign
from ..actors import Actor
from ..departments import PRIORITIES, RequestType
from ..errors import PermissionDenied, PluginError, ValidationError
from ..records import Draft, TeamInfo
from ..store import directory
from ..store import unit as store
from ..store.directory import PersonEntry, SiteEntry, TeamEntry
from ..store.sql import Statement, sa, table
from ..views import person_view, quoted_charter
from . import roster
from .access import acting_for
from .reactions import Rules, ask
from .roster import candidates, team_info

CONTINUITY = timedelta(days=30)  # a requester keeps the owner of their last request of a department this long

_R = table("request")
_LAST_OWNER = Statement(lambda:   # the owner of the requester's last request of the department, lately
    sa.select(_R.c.owner_id).where(_R.c.requester_id == sa.bindparam("requester"),
                                   _R.c.department == sa.bindparam("department"),
                                   _R.c.raised_at >= sa.bindparam("since"))
    .order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(1))


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

    said = {rtype.key: consult_plugins(desk, rtype, None, desk.now(), actor=actor, site=site) for rtype in types}

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        where = site_of(org, person, site, raising=False)
        rows = []
        for rtype in types:
            department = desk.plugins.department(rtype.department)
            line: dict[str, Any] = {"department": {"key": department.key, "name": department.name},
                                    "request_type": {"key": rtype.key, "label": rtype.label}}
            try:
                team = route(u, department.key, where.region, routed=said[rtype.key].team)
            except ValidationError as problem:  # no team covers the site: say so, the other lines still help
                rows.append({**line, "team": None, "owner": None, "lead": None, "reason": str(problem)})
                continue
            choice = owner_for(u, team, directory.loads(u.db, team), skills=said[rtype.key].skills,
                               requester=person if where.id == person.site_id else None,
                               chosen=said[rtype.key].owner)
            charter = org.charter_now.get(team.id)
            promise = org.promise(rtype, rtype.default_priority, where.id, charter)
            rows.append({**line, "team": {"key": team.key, "name": team.name},
                         "owner": person_view(org.people[choice.person_id]), "reason": choice.reason,
                         "lead": person_view(org.people[team.lead_id]),
                         "first_contact_within": str(promise.first_contact_within),
                         "charter": quoted_charter(org, charter.id, u.now) if charter else None})
        return {"site": {"code": where.code, "name": where.name, "region": where.region},
                "at": u.now.isoformat(), "departments": rows}

    return store.run(desk, work, write=False)


def site_of(org: directory.Directory, person: PersonEntry, code: str | None, *, raising: bool) -> SiteEntry:
    """The site a request is (or would be) raised for: ``code``, else the person's own."""
    if code:
        where = org.site(code)
        if raising and where.id != person.site_id and not set(person.roles) & {"agent", "lead", "admin"}:
            raise PermissionDenied(f"you can raise requests for your own site only, not {where.code}")
        return where
    if person.site_id is None:
        raise ValidationError("you have no site in the org file; say which with --site CODE")
    return org.sites[person.site_id]


def route(u: store.Unit, department: str, region: str, *, routed: str | None) -> TeamEntry:
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


def owner_for(u: store.Unit, team: TeamEntry, loads: dict[int, directory.Load], *, skills: Iterable[str],
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


def consult_plugins(desk: Any, rtype: RequestType, fields: dict[str, Any] | None, now: datetime, *,
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
        where = site_of(org, person, site, raising=raising)
        teams = org.teams_by_department.get(rtype.department, [])
        standard = assign.route_by_region([assign.TeamCover(t.key, t.regions) for t in teams], where.region)
        shown = [t for t in teams if routes or t.key == standard]
        return Shown(requester=person.email, site=where.code, region=where.region, standard=standard,
                     teams={t.key: team_info(org, t, directory.loads(u.db, t), u.now) for t in shown})

    return store.run(desk, read, write=False)
