"""The only API the edges use. Each public function is one user action: one
transaction that changes the request and appends its timeline events; plugin
reactions and notification delivery run after the commit and can never undo it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, func, select

from . import assign, bounded, directory, domain, hookspecs, promises, statements
from .calendar import BusinessCalendar
from .departments import PRIORITIES, Duration, RequestType
from .desk import Desk
from .errors import (Conflict, NotFound, PermissionDenied, PluginError, ValidationError, no_such, not_registered,
                     typed, who_are_you)
from .models import Event, Feedback, Notification, Person, RefCounter, Request, Site, Team, TeamMember
from .records import Draft, EventSnapshot, MemberInfo, NotificationSnapshot, RequestSnapshot, TeamInfo
from .views import person_view, render_request, request_view, summary_view

TITLE_MAX = 200
NOTE_MAX = 10_000
CONTINUITY = timedelta(days=30)
ACTIVE = domain.ACTIVE


# --- small helpers ------------------------------------------------------------------


def _text(value: str | None, what: str, *, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(f"{what} is empty; write a few words")
    if len(text) > limit:
        raise ValidationError(f"{what} is {len(text)} characters long; keep it under {limit}")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError(f"{what} contains control characters; remove them")
    return text


def _person(session: Session, email: str | None) -> Person:
    if not email:
        raise who_are_you()
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first() \
        if typed(email) else None
    if person is None:
        raise not_registered(email)
    return person


def _no_request(ref: str) -> NotFound:
    return NotFound(f"no request {ref!r}; check the ref (like FAC-1001) with 'ownit queue'")


def _request(session: Session, ref: str) -> Request:
    req = session.exec(select(Request).where(Request.ref == ref.strip().upper())).first() if typed(ref) else None
    if req is None:
        raise _no_request(ref)
    return req


def _visible_request(desk: Desk, session: Session, ref: str,
                     person: Person | None) -> tuple[Request, Team, RequestType | None]:
    """The request, its team and type, as ``person`` may see it: a request they
    may not see is reported as not found, so its existence does not leak.
    ``person`` ``None`` is OwnIt itself (a plugin reacting to an event)."""
    req = _request(session, ref)
    team = session.get(Team, req.team_id)
    rtype = _rtype(desk, req)
    if person is not None and not _may_see(session, req, team, person, rtype):
        raise _no_request(ref)
    return req, team, rtype


def _site(session: Session, code: str) -> Site:
    where = session.exec(select(Site).where(Site.code == code.strip().upper())).first() if typed(code) else None
    if where is None:
        raise no_such("site", code, session.exec(select(Site.code).order_by(Site.code)).all())
    return where


def _team(session: Session, key: str) -> Team:
    team = session.exec(select(Team).where(Team.key == key)).first() if typed(key) else None
    if team is None:
        raise no_such("team", key, session.exec(select(Team.key).order_by(Team.key)).all())
    return team


def calendar_of(team: Any) -> BusinessCalendar:
    return BusinessCalendar.of_team(team)


def _is_admin(person: Person) -> bool:
    return "admin" in person.roles


def _members(session: Session, team: Team) -> list[TeamMember]:
    return list(session.exec(select(TeamMember).where(TeamMember.team_id == team.id)))


def _in_team(session: Session, team: Team, person: Person) -> bool:
    if team.lead_id == person.id:
        return True
    return session.exec(select(TeamMember.id).where(
        TeamMember.team_id == team.id, TeamMember.person_id == person.id)).first() is not None


def _may_work(req: Request, team: Team, person: Person) -> bool:
    return req.owner_id == person.id or team.lead_id == person.id or _is_admin(person)


def _is_staff(session: Session, req: Request, team: Team, person: Person) -> bool:
    """The team working the request (members, lead) or an admin."""
    return _may_work(req, team, person) or _in_team(session, team, person)


def _may_see(session: Session, req: Request, team: Team, person: Person, rtype: RequestType | None) -> bool:
    """The requester, the team, an admin; colleagues at the same site unless the
    request type is restricted (an HR relations case, say)."""
    restricted = rtype is None or rtype.restricted
    return (req.requester_id == person.id or _is_staff(session, req, team, person)
            or (req.site_id == person.site_id and not restricted))


def _rtype(desk: Desk, req: Request) -> RequestType | None:
    return desk.plugins.request_types.get(req.request_type)


def _reopen_until(req: Request, team: Team) -> datetime | None:
    """Until when a closed request may still be reopened (``None`` unless closed)."""
    if req.status != domain.CLOSED or req.closed_at is None:
        return None
    return calendar_of(team).add(req.closed_at, promises.REOPEN_WITHIN)


def _state(req: Request, rtype: RequestType | None, team: Team, now: datetime) -> domain.State:
    reopen_until = _reopen_until(req, team)
    return domain.State(status=req.status, contacted=req.first_contact_at is not None,
                        stage=rtype.position(req.stage) if rtype else 0,
                        stages=len(rtype.stages) if rtype else 1, owner=str(req.owner_id),
                        reopenable=reopen_until is not None and now < reopen_until)


def _view(session: Session, req: Request, team: Team, rtype: RequestType | None, person: Person,
          now: datetime) -> dict[str, Any]:
    """The request as ``person`` sees it, with what they may do about it."""
    staff = _is_staff(session, req, team, person)
    return _add_viewer(request_view(session, req, rtype=rtype, now=now, internal=staff), req, team, rtype,
                       person, now, staff=staff, members=lambda: _team_members(session, team, now))


def _add_viewer(view: dict[str, Any], req: Any, team: Any, rtype: RequestType | None, person: Any,
                now: datetime, *, staff: bool, members: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    """Add to a request's view what ``person`` may do about it: the moves the
    lifecycle allows now, and whether they are its requester, may work it
    (owner, lead, admin) or belong to its team (who see internal notes); for
    whoever works it, whom it could be handed to. The UI offers actions from
    these; the service still checks every one."""
    reopen_until = _reopen_until(req, team)
    view["allowed"] = domain.allowed(_state(req, rtype, team, now))
    view["reopen_until"] = reopen_until.isoformat() if reopen_until else None
    view["viewer"] = {"email": person.email, "requester": req.requester_id == person.id,
                      "works_it": _may_work(req, team, person), "staff": staff}
    if view["viewer"]["works_it"]:
        view["team_members"] = members()
    return view


def _team_members(session: Session, team: Team, now: datetime) -> list[dict[str, Any]]:
    """Whom a request of ``team`` could be handed to: the members, and the lead."""
    candidates, members = _candidates(session, team, now)
    found = [_handoff_line(members[c.person_id], away=c.away, open_requests=c.open_count) for c in candidates]
    if team.lead_id not in members:
        lead = session.get(Person, team.lead_id)
        found.append(_handoff_line(lead, away=lead.is_away(now),
                                   open_requests=_open_requests(session, [lead.id]).get(lead.id, 0)))
    return found


def _handoff_line(person: Any, *, away: bool, open_requests: int) -> dict[str, Any]:
    """One person a request could be handed to, as the views show them."""
    return {**person_view(person), "away": away, "open": open_requests}


# --- the unit of work --------------------------------------------------------------------


@dataclass
class _Changes:
    """What a unit of work did, for the after-commit reactions."""

    events: list[Event] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    # what the plugins will be told after the commit: (hook, what, request id, arguments)
    pending: list[tuple[str, str, int | None, dict[str, Any]]] = field(default_factory=list)


def _event(session: Session, changes: _Changes, req: Request, kind: str, *, at: datetime,
           actor: Person | None, note: str = "", internal: bool = False, **data: Any) -> Event:
    event = Event(request_id=req.id, at=at, kind=kind, actor_id=actor.id if actor else None,
                  note=note, internal=internal, data=data)
    session.add(event)
    changes.events.append(event)
    return event


def _notify(session: Session, changes: _Changes, person_id: int, req: Request | None, kind: str,
            message: str, *, at: datetime, dedupe_key: str | None = None) -> None:
    note = Notification(person_id=person_id, request_id=req.id if req else None, kind=kind,
                        message=message, created_at=at, dedupe_key=dedupe_key)
    session.add(note)
    changes.notifications.append(note)


def _request_snapshot(req: Any, *, owner: Any, requester: Any, site: Any, team: Any) -> RequestSnapshot:
    return RequestSnapshot(ref=req.ref, department=req.department, request_type=req.request_type,
                           title=req.title, status=req.status, stage=req.stage, priority=req.priority,
                           owner_email=owner.email, requester_email=requester.email,
                           site_code=site.code, team_key=team.key, fields=dict(req.fields))


class _Reactions:
    """What the plugins will be told after the commit, for the hooks (and the
    event kinds, see :func:`ownit.reacts_to`) some plugin listens to."""

    def __init__(self, desk: Desk, changes: _Changes) -> None:
        pm = desk.plugins.pm
        self.desk, self.changes = desk, changes
        self.listeners = pm.hook.ownit_on_event.get_hookimpls()
        self.delivers = bool(pm.hook.ownit_notify.get_hookimpls())

    def wants(self, kind: str) -> bool:
        return any(hookspecs.wants(impl, kind) for impl in self.listeners)

    def event(self, request: RequestSnapshot, event: Any, actor_email: str | None) -> None:
        self.changes.pending.append(("ownit_on_event", event.kind, event.request_id, {
            "request": request, "desk": self.desk,
            "event": EventSnapshot(kind=event.kind, at=event.at, actor_email=actor_email, note=event.note,
                                   data=dict(event.data))}))


def _prepare_reactions(desk: Desk, session: Session, changes: _Changes) -> None:
    """Read what the plugins will see, at the end of the transaction, from what
    the action already loaded (so no second session); and only for the hooks
    some plugin listens to. The plugins themselves run after the commit, when
    the session is closed: a plugin may act through the service, in its own
    transaction."""
    reactions = _Reactions(desk, changes)
    heard = [event for event in changes.events if reactions.wants(event.kind)]
    delivers = bool(changes.notifications) and reactions.delivers
    if not (heard or delivers):
        return
    session.flush()
    if heard:
        snapshots: dict[int, RequestSnapshot] = {}
        for event in heard:
            if event.request_id not in snapshots:
                req = session.get(Request, event.request_id)
                snapshots[event.request_id] = _request_snapshot(
                    req, owner=session.get(Person, req.owner_id), requester=session.get(Person, req.requester_id),
                    site=session.get(Site, req.site_id), team=session.get(Team, req.team_id))
            actor = session.get(Person, event.actor_id) if event.actor_id else None
            reactions.event(snapshots[event.request_id], event, actor.email if actor else None)
    if delivers:
        for note in changes.notifications:
            changes.pending.append(("ownit_notify", "notify", note.request_id,
                                    {"notification": _notification_snapshot(session, note)}))


def _after_commit(desk: Desk, changes: _Changes) -> None:
    """Tell the plugins; a failing plugin is recorded on the timeline and reported."""
    _tell_later(desk, changes)()


def _tell_later(desk: Desk, changes: _Changes) -> Callable[[], None]:
    """Hand what the plugins are to be told to a hook worker now, and return
    the function that waits for them and records what failed: whatever the
    caller does in between hides the hand-off's latency."""
    if not changes.pending:
        return lambda: None
    pm = desk.plugins.pm
    hooks, calls = [], []
    for hook, what, request_id, kwargs in changes.pending:  # read inside the transaction, see _prepare_reactions
        for impl in getattr(pm.hook, hook).get_hookimpls():
            if hook == "ownit_on_event" and not hookspecs.wants(impl, what):
                continue
            hooks.append(hook)
            calls.append((impl, what, request_id, kwargs))
    started = _start_telling(calls)

    def finish() -> None:
        failures: list[tuple[int | None, str]] = []
        delivered: dict[int, bool] = {}
        for hook, (_, _, _, kwargs), (ok, result) in zip(hooks, calls, _told(calls, started, failures), strict=True):
            if hook == "ownit_notify":
                note_id = kwargs["notification"].id
                delivered[note_id] = delivered.get(note_id, False) or (ok and result is True)
        if failures:
            _record_failures(desk, failures)
        if delivered:
            _mark_deliveries(desk, delivered)

    return finish


def _tell(calls: list[tuple[Any, str, int | None, dict[str, Any]]],
          failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    """Each ``(implementation, what, request id, arguments)`` after a commit,
    each within the time limit, with one hand-off to a hook worker for them
    all: a failure or a hang is collected in ``failures``, never raised."""
    return _told(calls, _start_telling(calls), failures)


def _start_telling(calls: list[tuple[Any, str, int | None, dict[str, Any]]]) -> bounded.Started:
    def bound(impl: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
        # each implementation takes only the arguments it names, as pluggy allows
        return lambda: impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})

    return bounded.Started([bound(impl, kwargs) for impl, _, _, kwargs in calls])


def _told(calls: list[tuple[Any, str, int | None, dict[str, Any]]], started: bounded.Started,
          failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    outcomes = started.outcomes(lambda i: f"plugin {calls[i][0].plugin_name!r} on {calls[i][1]}")
    for (impl, what, request_id, _), (ok, value) in zip(calls, outcomes, strict=True):
        if ok:
            continue
        if isinstance(value, bounded.HookTimeout):  # a plugin must never take the change back, nor hold it up
            failures.append((request_id, f"{value}; the change stands"))
        else:
            failures.append((request_id, f"plugin {impl.plugin_name!r} failed on {what}: {value!r}"))
    return outcomes


def _notification_snapshot(session: Session, note: Notification) -> NotificationSnapshot:
    recipient = session.get(Person, note.person_id)
    ref = session.get(Request, note.request_id).ref if note.request_id else None
    return NotificationSnapshot(id=note.id, recipient_email=recipient.email, ref=ref, kind=note.kind,
                                message=note.message, created_at=note.created_at)


def _mark_deliveries(desk: Desk, delivered: dict[int, bool]) -> None:
    """Count the attempt on each notification, and when a channel took it, say when."""
    now = desk.now()

    def work(session: Session) -> None:
        for notification_id, done in delivered.items():
            values: dict[str, Any] = {"attempts": Notification.attempts + 1}
            if done:
                values["delivered_at"] = now
            session.exec(sa.update(Notification).where(Notification.id == notification_id).values(**values))

    desk.transaction(work)


def _record_failures(desk: Desk, failures: list[tuple[int | None, str]]) -> None:
    def work(session: Session) -> None:
        for request_id, message in failures:
            if request_id is not None:
                session.add(Event(request_id=request_id, at=desk.now(), kind="plugin_error",
                                  note=message, internal=True, data={}))

    desk.transaction(work)
    desk.warnings.extend(message for _, message in failures)


def _run(desk: Desk, work: Callable[[Session, _Changes], Any]) -> Any:
    """One user action: ``work`` in a transaction, then the plugin reactions."""
    holder: list[_Changes] = []

    def unit(session: Session) -> Any:
        holder[:] = [_Changes()]
        result = work(session, holder[0])
        _prepare_reactions(desk, session, holder[0])
        return result

    result = desk.transaction(unit)
    _after_commit(desk, holder[0])
    return result


# --- people and teams ---------------------------------------------------------------------


Roster = tuple[list[assign.Candidate], dict[int, Person], dict[int, tuple[str, ...]]]


def _candidates(session: Session, team: Team, now: datetime) -> tuple[list[assign.Candidate], dict[int, Person]]:
    candidates, people, _ = _roster(session, team, now)
    return candidates, people


def _open_requests(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """Each person's open requests, as the database keeps them on their row
    (read with a query: a row already loaded does not see a trigger's change)."""
    ids = list(ids)
    return dict(session.exec(select(Person.id, Person.open_requests).where(Person.id.in_(ids))).all()) if ids else {}


def _roster(session: Session, team: Team, now: datetime) -> Roster:
    """The team's members as owner candidates (skills, load, absence), the
    people themselves, and what each covers: three queries, read once per action."""
    members = _members(session, team)
    ids = [m.person_id for m in members]
    people = {p.id: p for p in session.exec(select(Person).where(Person.id.in_(ids)))} if ids else {}
    counts = _open_requests(session, ids)
    candidates = [
        assign.Candidate(person_id=m.person_id, email=people[m.person_id].email, skills=frozenset(m.skills),
                         capacity=m.capacity, open_count=counts.get(m.person_id, 0),
                         last_assigned_at=m.last_assigned_at, away=people[m.person_id].is_away(now))
        for m in members
    ]
    return candidates, people, {m.person_id: tuple(m.covers) for m in members}


def _choose_owner(session: Session, team: Team, *, skills: Iterable[str], now: datetime,
                  exclude: int | None = None) -> assign.Choice:
    """A new owner within ``team`` for a request someone is leaving (away)."""
    candidates, _, _ = _roster(session, team, now)
    return assign.choose_owner(candidates, required_skills=tuple(skills), lead_id=team.lead_id, exclude_id=exclude)


def _mark_assigned(session: Session, team: Team, person_id: int, now: datetime) -> None:
    """Remember when a member last got a request (ties go to whoever waited longest)."""
    member = session.exec(select(TeamMember).where(TeamMember.team_id == team.id,
                                                    TeamMember.person_id == person_id)).first()
    if member is not None:  # the lead is not always a member
        member.last_assigned_at = now
        session.add(member)


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING on both backends."""
    return _dialect_insert(session.get_bind().dialect)


def _dialect_insert(dialect: sa.Dialect) -> Any:
    if dialect.name == "postgresql":
        return sa.dialects.postgresql.insert
    return sa.dialects.sqlite.insert


def _hook(doing: str | Callable[[], str], function: Callable[[], Any], *,
          plugin: str | None | Callable[[], str | None] = None, inline: bool = False) -> Any:
    """Call plugin code before anything is saved, within the hook time limit
    (or in line, for implementations all marked :func:`ownit.pure`): a failure
    or a hang refuses the action with one clear line. ``doing`` and ``plugin``
    may be functions, read when it fails, for a call that runs several steps."""
    def who() -> str:
        name = plugin() if callable(plugin) else plugin
        return f"plugin {name!r}" if name else "a plugin"

    def step() -> str:
        return doing() if callable(doing) else doing

    try:
        return function() if inline else bounded.call(function, what=lambda: f"{who()} {step()}")
    except bounded.HookTimeout as exc:
        raise PluginError(f"{exc}, so nothing was saved; try again, and if it persists tell whoever runs OwnIt "
                          "(OWNIT_HOOK_TIMEOUT sets the limit)") from None
    except Exception as exc:
        raise PluginError(f"{who()} failed while {step()}, so nothing was saved: {exc!r}") from None


def _all_pure(*callers: Any) -> bool:
    return all(hookspecs.is_pure(impl) for caller in callers for impl in caller.get_hookimpls())


# --- choosing the team and the owner of a new request, from the directory ----------------------------


def _entry_person(org: directory.Directory, email: str | None) -> directory.PersonEntry:
    if not email:
        raise who_are_you()
    person = org.people_by_email.get(email.strip().lower())
    if person is None:
        raise not_registered(email)
    return person


def _entry_team(org: directory.Directory, key: str) -> directory.TeamEntry:
    team = org.teams_by_key.get(key)
    if team is None:
        raise no_such("team", key, sorted(org.teams_by_key))
    return team


def _cursor(session: Session) -> statements.Cursor:
    """The driver's cursor of ``session``'s own connection (its transaction),
    for the directory and the hot-path statements."""
    connection = session.connection()
    return statements.Cursor(connection.connection.cursor(), connection.dialect)


def _entry_site(org: directory.Directory, code: str) -> directory.SiteEntry:
    where = org.sites_by_code.get(code.strip().upper())
    if where is None:
        raise no_such("site", code, sorted(org.sites_by_code))
    return where


def _team_candidates(org: directory.Directory, team: directory.TeamEntry, loads: dict[int, directory.Load],
                     now: datetime) -> list[assign.Candidate]:
    return [assign.Candidate(person_id=m.person_id, email=org.people[m.person_id].email, skills=m.skills,
                             capacity=m.capacity, open_count=loads[m.person_id].open_requests,
                             last_assigned_at=loads[m.person_id].last_assigned_at,
                             away=loads[m.person_id].is_away(now))
            for m in team.members]


def _team_info(org: directory.Directory, team: directory.TeamEntry, loads: dict[int, directory.Load],
               now: datetime) -> TeamInfo:
    """The team as plugins see it: lead, members, their skills, cover and availability."""
    members = tuple(
        MemberInfo(email=c.email, name=org.people[c.person_id].name, skills=tuple(sorted(c.skills)),
                   covers=m.covers, available=assign.qualifies(c, ()), open_requests=c.open_count)
        for m, c in zip(team.members, _team_candidates(org, team, loads, now), strict=True))
    return TeamInfo(key=team.key, department=team.department, name=team.name, regions=team.regions,
                    lead_email=org.people[team.lead_id].email, members=members)


def _members_view(org: directory.Directory, team: directory.TeamEntry, loads: dict[int, directory.Load],
                  now: datetime) -> list[dict[str, Any]]:
    """Whom a request of ``team`` could be handed to: the members, and the lead."""
    ids = [m.person_id for m in team.members]
    if team.lead_id not in ids:
        ids.append(team.lead_id)
    return [_handoff_line(org.people[i], away=loads[i].is_away(now), open_requests=loads[i].open_requests)
            for i in ids]


def _route(desk: Desk, org: directory.Directory, cursor: statements.Cursor, draft: Draft, department: str,
           now: datetime) -> directory.TeamEntry:
    teams = org.teams_by_department.get(department, [])
    if not teams:
        raise ValidationError(f"no {department} team is set up yet; add one to the org file and load it")
    chosen = None
    rule = desk.plugins.for_department("ownit_route", department)
    if rule.get_hookimpls():  # the team snapshots cost queries: only for a plugin that routes
        infos = [_team_info(org, t, directory.loads(cursor, t), now) for t in teams]
        chosen = _hook("routing the request", lambda: rule(request=draft, teams=infos), inline=_all_pure(rule))
    if chosen is None:
        chosen = assign.route_by_region([assign.TeamCover(t.key, t.regions) for t in teams], draft.region)
    if chosen is None:
        raise ValidationError(
            f"no {department} team covers region {draft.region!r}; add the region to a team in the org file")
    for team in teams:
        if team.key == chosen:
            return team
    raise PluginError(f"a plugin routed the request to unknown team {chosen!r}, so nothing was saved")


def _owner_for(desk: Desk, org: directory.Directory, cursor: statements.Cursor, draft: Draft,
               team: directory.TeamEntry, loads: dict[int, directory.Load], *, skills: Iterable[str],
               now: datetime, requester: directory.PersonEntry | None) -> assign.Choice:
    """Who would own ``draft`` in ``team`` right now: the department's own rule
    when it has one and that person can take it, else the standard choice
    (:func:`ownit.assign.choose_owner`). It only chooses; the raise assigns."""
    choice = _plugin_owner(desk, org, draft, team, loads, now)
    if choice is not None:
        return choice
    continuity = cursor.execute(_CONTINUITY, requester=requester.id, department=team.department,
                                since=now - CONTINUITY).scalar() if requester is not None else None
    return assign.choose_owner(_team_candidates(org, team, loads, now), required_skills=tuple(skills),
                               lead_id=team.lead_id, continuity_id=continuity)


def _plugin_owner(desk: Desk, org: directory.Directory, draft: Draft, team: directory.TeamEntry,
                  loads: dict[int, directory.Load], now: datetime) -> assign.Choice | None:
    """A plugin's choice of owner within ``team``, when it has one and that
    person can take the request now; else ``None`` (the standard choice)."""
    rule = desk.plugins.for_department("ownit_choose_owner", team.department)
    if not rule.get_hookimpls():
        return None
    info = _team_info(org, team, loads, now)
    email = _hook("choosing the owner", lambda: rule(request=draft, team=info), inline=_all_pure(rule))
    if email is None:
        return None
    email = email.strip().lower()
    if email == info.lead_email:
        lead_away = loads[team.lead_id].is_away(now)
        return None if lead_away else assign.Choice(team.lead_id, "chosen by the department's rule")
    member = next((m for m in info.members if m.email == email), None)
    if member is None or not member.available:
        return None  # not in the team, away or full: the standard choice takes over
    return assign.Choice(org.people_by_email[email].id, "chosen by the department's rule")


def _next_ref(cursor: statements.Cursor, prefix: str) -> str:
    value = cursor.execute(_BUMP_REF, ref_prefix=prefix).scalar()
    if value is None:  # the department's first request
        cursor.execute(_FIRST_REF, prefix=prefix, value=1000)
        value = cursor.execute(_BUMP_REF, ref_prefix=prefix).scalar()
    return f"{prefix}-{value}"


_R, _E, _N, _TM, _RC = (model.__table__ for model in (Request, Event, Notification, TeamMember, RefCounter))
_REQUEST_KEYS = ("ref", "department", "request_type", "title", "detail", "fields", "requester_id", "site_id",
                 "team_id", "owner_id", "stage", "status", "priority", "needed_by", "needs_agreement", "raised_at",
                 "first_contact_due", "next_due", "resolve_by", "stage_due", "updated_at", "version")
_EVENT_KEYS = ("request_id", "at", "kind", "actor_id", "note", "data", "internal")
_INSERT_REQUEST = statements.Statement(_R.insert().returning(_R.c.id), keys=_REQUEST_KEYS)
_INSERT_EVENT = statements.Statement(_E.insert(), keys=_EVENT_KEYS)
_INSERT_NOTIFICATION = statements.Statement(_N.insert().returning(_N.c.id), keys=(
    "person_id", "request_id", "kind", "message", "created_at", "attempts", "dedupe_key"))
_LAST_ASSIGNED = statements.Statement(_TM.update().where(
    _TM.c.team_id == sa.bindparam("team"), _TM.c.person_id == sa.bindparam("person")), keys=("last_assigned_at",))
_CONTINUITY = statements.Statement(  # the owner of the requester's last request of the department, lately
    sa.select(_R.c.owner_id).where(_R.c.requester_id == sa.bindparam("requester"),
                                   _R.c.department == sa.bindparam("department"),
                                   _R.c.raised_at >= sa.bindparam("since"))
    .order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(1))
_BUMP_REF = statements.Statement(_RC.update().where(_RC.c.prefix == sa.bindparam("ref_prefix"))
                                 .values(value=_RC.c.value + 1).returning(_RC.c.value))
_FIRST_REF = statements.Statement(lambda dialect: _dialect_insert(dialect)(_RC).on_conflict_do_nothing(),
                                  keys=("prefix", "value"))


# --- intake -----------------------------------------------------------------------------


def raise_request(desk: Desk, *, actor: str | None, request_type: str, title: str, detail: str = "",
                  fields: dict[str, Any] | None = None, needed_by: date | None = None,
                  site: str | None = None) -> dict[str, Any]:
    """Raise a request: validate, route, pick one named owner, set the promise,
    all in one transaction. Returns the request view.

    The hot path of the desk (a large retailer raises thousands an hour): the
    organisation comes from the desk's :mod:`directory`, each person's load
    from their row, and the statements run on the driver (:mod:`statements`),
    about ten of them in all. The rules are the ones every action uses."""
    rtype = desk.plugins.request_type(request_type)
    department = desk.plugins.department(rtype.department)
    title = _text(title, "the title", limit=TITLE_MAX, required=True)
    detail = _text(detail, "the detail", limit=NOTE_MAX, required=False)
    parsed = rtype.parse_fields(fields or {})
    if needed_by is None and rtype.needed_by_field and parsed.get(rtype.needed_by_field):
        needed_by = date.fromisoformat(parsed[rtype.needed_by_field])  # e.g. a vacancy's wanted start date
    now = desk.now()
    priority, skills = _consult_plugins(desk, rtype, parsed, now)
    changes = _Changes()

    def work(cursor: statements.Cursor) -> Callable[[], dict[str, Any]]:
        changes.pending.clear()  # a retried unit starts again
        org = directory.current(desk, cursor)
        requester = _entry_person(org, actor)
        if site:
            where = _entry_site(org, site)
            if where.id != requester.site_id and not set(requester.roles) & {"agent", "lead", "admin"}:
                raise PermissionDenied(f"you can raise requests for your own site only, not {where.code}")
        elif requester.site_id is None:
            raise ValidationError("you have no site in the org file; say which with --site CODE")
        else:
            where = org.sites[requester.site_id]
        draft = Draft(request_type=rtype.key, fields=parsed, title=title, priority=priority,
                      site_code=where.code, region=where.region, requester_email=requester.email)
        team = _route(desk, org, cursor, draft, department.key, now)
        loads = directory.loads(cursor, team)
        choice = _owner_for(desk, org, cursor, draft, team, loads, skills=skills, now=now, requester=requester)
        calendar = calendar_of(team)
        if needed_by is not None and needed_by < calendar.local(now).date():
            field = next((f for f in rtype.fields if f.key == rtype.needed_by_field
                          and parsed.get(f.key) == needed_by.isoformat()), None)
            what = f"{field.label} ({field.key}): " if field else "needed-by date "
            raise ValidationError(f"{what}{needed_by.isoformat()} is in the past; give a future date",
                                  field=field.key if field else None)
        promise = rtype.promise_for(priority)
        first_contact_due = calendar.add(now, promise.first_contact_within)
        resolve_by = calendar.add(now, promise.resolve_within)
        req = _row(
            Request, ref=_next_ref(cursor, department.prefix), department=department.key, request_type=rtype.key,
            title=title, detail=detail, fields=parsed, requester_id=requester.id, site_id=where.id,
            team_id=team.id, owner_id=choice.person_id, stage=rtype.stages[0].key, status=domain.OPEN,
            priority=priority, needed_by=needed_by, raised_at=now, first_contact_due=first_contact_due,
            resolve_by=resolve_by, updated_at=now, stage_due=promises.stage_forecast(calendar, now, rtype.stages, resolve_by),
            # the requester's date is never ignored: earlier than the standard, it must be agreed
            needs_agreement=needed_by is not None and calendar.end_of_day(needed_by) < resolve_by, version=1,
        )
        req.next_due = _next_due(req)
        req.id = cursor.execute(_INSERT_REQUEST, **{key: getattr(req, key) for key in _REQUEST_KEYS}).scalar()
        if any(m.person_id == choice.person_id for m in team.members):  # the lead is not always a member
            cursor.execute(_LAST_ASSIGNED, team=team.id, person=choice.person_id, last_assigned_at=now)
        owner = org.people[choice.person_id]
        events = [
            _row(Event, request_id=req.id, at=now, kind="raised", actor_id=requester.id, note=title, internal=False,
                 data={"priority": priority, "request_type": rtype.key}),
            _row(Event, request_id=req.id, at=now, kind="assigned", actor_id=None, internal=False,
                 note=f"{owner.name} ({team.name}) owns this request",
                 data={"owner": owner.email, "team": team.key, "reason": choice.reason}),
        ]
        cursor.executemany(_INSERT_EVENT, [{key: getattr(e, key) for key in _EVENT_KEYS} for e in events])
        message = (f"You own {req.ref} '{title}' for {requester.name}; first contact due "
                   f"{calendar.local(first_contact_due):%a %d %b %H:%M}")
        note_id = cursor.execute(_INSERT_NOTIFICATION, person_id=owner.id, request_id=req.id, kind="assigned",
                                 message=message, created_at=now, attempts=0, dedupe_key=None).scalar()
        reactions = _Reactions(desk, changes)
        heard = [event for event in events if reactions.wants(event.kind)]
        if heard:
            snapshot = _request_snapshot(req, owner=owner, requester=requester, site=where, team=team)
            for event in heard:
                reactions.event(snapshot, event, requester.email if event.actor_id else None)
        if reactions.delivers:
            changes.pending.append(("ownit_notify", "notify", req.id, {"notification": NotificationSnapshot(
                id=note_id, recipient_email=owner.email, ref=req.ref, kind="assigned", message=message,
                created_at=now)}))
        if choice.person_id in loads:  # the view shows the owner's load with this request in it
            load = loads[choice.person_id]
            loads[choice.person_id] = dataclasses.replace(load, open_requests=load.open_requests + 1)

        def view() -> dict[str, Any]:  # from what is in hand: no query
            staff = _may_work(req, team, requester) or org.in_team(team, requester.id)
            shown = render_request(req, owner=owner, requester=requester, team=team, site=where,
                                   lead=org.people[team.lead_id], events=events, actors={requester.id: requester},
                                   rtype=rtype, now=now, internal=staff)
            return _add_viewer(shown, req, team, rtype, requester, now, staff=staff,
                               members=lambda: _members_view(org, team, loads, now))

        return view

    view = statements.unit(desk.engine, work)
    finish = _tell_later(desk, changes)  # the plugins hear of it while the view is drawn
    try:
        return view()
    finally:
        finish()


def who(desk: Desk, *, actor: str | None, site: str | None = None,
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
    now = desk.now()

    def work(cursor: statements.Cursor) -> dict[str, Any]:
        org = directory.current(desk, cursor)
        person = _entry_person(org, actor)
        if site:
            where = _entry_site(org, site)
        elif person.site_id is None:
            raise ValidationError("you have no site in the org file; say which with --site CODE")
        else:
            where = org.sites[person.site_id]
        rows = []
        for rtype in types:
            department = desk.plugins.department(rtype.department)
            line: dict[str, Any] = {"department": {"key": department.key, "name": department.name},
                                    "request_type": {"key": rtype.key, "label": rtype.label}}
            draft = Draft(request_type=rtype.key, fields={}, title="", priority=rtype.default_priority,
                          site_code=where.code, region=where.region, requester_email=person.email)
            try:
                team = _route(desk, org, cursor, draft, department.key, now)
            except ValidationError as problem:  # no team covers the site: say so, the other lines still help
                rows.append({**line, "team": None, "owner": None, "lead": None, "reason": str(problem)})
                continue
            choice = _owner_for(desk, org, cursor, draft, team, directory.loads(cursor, team),
                                skills=_required_skills(desk, rtype, {}), now=now,
                                requester=person if where.id == person.site_id else None)
            promise = rtype.promise_for(rtype.default_priority)
            rows.append({**line, "team": {"key": team.key, "name": team.name},
                         "owner": person_view(org.people[choice.person_id]), "reason": choice.reason,
                         "lead": person_view(org.people[team.lead_id]),
                         "first_contact_within": str(promise.first_contact_within)})
        return {"site": {"code": where.code, "name": where.name, "region": where.region}, "at": now.isoformat(),
                "departments": rows}

    return statements.unit(desk.engine, work, write=False)


def _row(model: type, **values: Any) -> SimpleNamespace:
    """A row about to be inserted by a hot path, as a plain object with every
    column of ``model`` (unset ones ``None``): what the views and the promise
    rules read, without building an ORM instance."""
    row = SimpleNamespace(**_COLUMNS.get(model) or _COLUMNS.setdefault(
        model, dict.fromkeys(model.__table__.columns.keys())))
    row.__dict__.update(values)
    return row


_COLUMNS: dict[type, dict[str, None]] = {}


def _consult_plugins(desk: Desk, rtype: RequestType, fields: dict[str, Any],
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

    problems, priority, skills = _hook(lambda: f"{doing[0]}", consult, plugin=lambda: doing[1], inline=_all_pure(
        pm.hook.ownit_validate_request, pm.hook.ownit_priority, pm.hook.ownit_required_skills))
    if problems:
        raise ValidationError("; ".join(problems))
    if priority not in PRIORITIES:
        raise PluginError(f"a plugin gave unknown priority {priority!r}, so nothing was saved")
    return priority, skills


def _required_skills(desk: Desk, rtype: RequestType, fields: dict[str, Any]) -> tuple[str, ...]:
    skills = _hook("deciding the skills needed", lambda: desk.plugins.hook.ownit_required_skills(
        request_type=rtype.key, fields=dict(fields)))
    return rtype.skills if skills is None else tuple(skills)


# --- working a request ----------------------------------------------------------------------


@dataclass
class _Act:
    """Everything one action on one request works with."""

    session: Session
    changes: _Changes
    req: Request
    person: Person
    team: Team
    rtype: RequestType | None
    now: datetime
    note: str

    @property
    def calendar(self) -> BusinessCalendar:
        return calendar_of(self.team)

    @property
    def checkin_every(self):  # -> Duration | None
        return self.rtype.promise_for(self.req.priority).checkin_every if self.rtype else None

    def event(self, kind: str, *, internal: bool = False, actor: Person | None | bool = True, **data: Any) -> None:
        who = self.person if actor is True else (actor or None)
        _event(self.session, self.changes, self.req, kind, at=self.now, actor=who, note=self.note,
               internal=internal, **data)

    def notify(self, person_id: int, kind: str, message: str) -> None:
        if person_id != self.person.id:  # nobody is told what they did themselves
            _notify(self.session, self.changes, person_id, self.req, kind, message, at=self.now)

    def tell_requester(self, kind: str, message: str) -> None:
        self.notify(self.req.requester_id, kind, f"{self.req.ref}: {message}")

    def reforecast(self) -> None:
        """Expected dates for the stages still ahead, from now to the resolve target."""
        if self.rtype is None:
            return
        ahead = self.rtype.stages[self.rtype.position(self.req.stage) + 1:]
        self.req.stage_due = {**self.req.stage_due,
                              **promises.stage_forecast(self.calendar, self.now, ahead, self.req.resolve_by)}

    def schedule_checkin(self) -> None:
        every = self.checkin_every
        self.req.next_checkin_due = self.calendar.add(self.now, every) if every else None


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 3)


def _next_due(req: Request) -> datetime | None:
    return promises.next_due(status=req.status, contacted=req.first_contact_at is not None,
                             first_contact_due=req.first_contact_due, next_checkin_due=req.next_checkin_due,
                             resolve_by=req.resolve_by)


def _act(desk: Desk, ref: str, *, actor: str | None, action: str, note: str | None,
         change: Callable[[_Act], None], note_required: bool = True, who: str = "worker") -> dict[str, Any]:
    """The shared shape of every action on an existing request: identify,
    authorise, check the lifecycle, change, record, then react after commit."""
    note_text = _text(note, "the note", limit=NOTE_MAX, required=note_required)

    def work(session: Session, changes: _Changes) -> dict[str, Any]:
        person = _person(session, actor)
        req, team, rtype = _visible_request(desk, session, ref, person)
        allowed = {
            "worker": _may_work(req, team, person),
            "requester": person.id == req.requester_id or _is_admin(person),
            "party": person.id == req.requester_id or _may_work(req, team, person),
        }[who]
        if not allowed:
            owner = session.get(Person, req.owner_id)
            doers = {"worker": f"the owner ({owner.name}) or the lead of {team.name}",
                     "requester": "the person who raised it",
                     "party": f"the person who raised it, the owner ({owner.name}) or the lead of {team.name}"}
            raise PermissionDenied(f"only {doers[who]} can {action} {req.ref}")
        now = desk.now()
        domain.check(_state(req, rtype, team, now), action, req.ref)
        change(_Act(session, changes, req, person, team, rtype, now, note_text))
        req.next_due = _next_due(req)
        req.sweep_after = None  # its promises may have moved: the next sweep looks afresh
        req.updated_at = now
        # Every action bumps the version, even one that changes no column (a
        # check-in within the clock's resolution), so a concurrent action on the
        # same request is always caught by the optimistic check.
        flag_modified(req, "updated_at")
        session.add(req)
        session.flush()
        return _view(session, req, team, rtype, person, now)

    return _run(desk, work)


def contact(desk: Desk, ref: str, *, actor: str | None, note: str | None,
            agreed_by: date | None = None) -> dict[str, Any]:
    """The owner's first contact with the requester; check-ins start from here.

    When the requester needs it sooner than the standard target, first contact
    must settle a date with them (``agreed_by``), which becomes the promise.
    """
    def change(act: _Act) -> None:
        req = act.req
        if req.needs_agreement and agreed_by is None:
            raise ValidationError(
                f"{req.ref} needs agreement: the requester needs it by {req.needed_by}, earlier than the standard "
                f"{act.calendar.local(req.resolve_by):%Y-%m-%d}; agree a date with them and pass --agreed-by DATE")
        req.first_contact_at = act.now
        req.last_checkin_at = act.now
        act.schedule_checkin()
        act.event("contacted", on_time=act.now <= req.first_contact_due,
                  business_hours=_hours(act.calendar.between(req.raised_at, act.now)))
        if agreed_by is not None:
            if agreed_by < act.calendar.local(act.now).date():
                raise ValidationError(f"--agreed-by {agreed_by} is in the past; agree a date from today on")
            previous = req.resolve_by
            req.resolve_by = act.calendar.end_of_day(agreed_by)
            req.agreed_by, req.needs_agreement = agreed_by, False
            act.reforecast()
            act.event("agreed", needed_by=req.needed_by.isoformat() if req.needed_by else None,
                      agreed_by=agreed_by.isoformat(), previous_resolve_by=previous.isoformat(),
                      resolve_by=req.resolve_by.isoformat())
        act.tell_requester("contacted", f"{act.person.name} contacted you: {act.note}"
                           + (f" Agreed date: {agreed_by.isoformat()}." if agreed_by else ""))

    return _act(desk, ref, actor=actor, action="contact", note=note, change=change)


def check_in(desk: Desk, ref: str, *, actor: str | None, note: str | None) -> dict[str, Any]:
    """A check-in with the requester; moves the next check-in on by the cadence."""
    def change(act: _Act) -> None:
        due = act.req.next_checkin_due
        act.req.last_checkin_at = act.now
        act.schedule_checkin()
        act.event("checkin", on_time=due is None or act.now <= due)
        act.tell_requester("checkin", f"check-in from {act.person.name}: {act.note}")

    return _act(desk, ref, actor=actor, action="checkin", note=note, change=change)


def advance(desk: Desk, ref: str, *, actor: str | None, note: str | None, to: str | None = None) -> dict[str, Any]:
    """Move the request to its next stage, or forward to stage ``to``."""
    def change(act: _Act) -> None:
        if act.rtype is None:
            raise PluginError(f"the plugin for {act.req.request_type!r} is not installed, so its stages are unknown")
        state = _state(act.req, act.rtype, act.team, act.now)
        target = act.rtype.stage_index(to.strip()) if to else None
        new = domain.apply(state, "advance", to_stage=target, ref=act.req.ref)
        stage = act.rtype.stages[new.stage]
        act.event("stage", **{"from": act.req.stage, "to": stage.key})
        act.req.stage = stage.key
        action = f" Your part: {stage.requester_action}." if stage.requester_action else ""
        act.tell_requester("stage", f"now at '{stage.label}'.{action}")

    return _act(desk, ref, actor=actor, action="advance", note=note, change=change)


def wait_on_requester(desk: Desk, ref: str, *, actor: str | None, note: str | None) -> dict[str, Any]:
    """Put the request on hold until the requester does what the note asks."""
    def change(act: _Act) -> None:
        act.req.status = domain.WAITING
        act.req.waiting_since = act.now  # the promise clock stands still from here
        act.event("waiting")
        act.tell_requester("waiting", f"{act.person.name} needs something from you: {act.note}")

    return _act(desk, ref, actor=actor, action="wait", note=note, change=change)


def resume(desk: Desk, ref: str, *, actor: str | None, note: str | None) -> dict[str, Any]:
    """Take the request off hold. The promise clock stood still while it waited
    on the requester, so every due time moves on by the business time paused."""
    def change(act: _Act) -> None:
        calendar, req = act.calendar, act.req
        since = req.waiting_since or act.now
        paused = calendar.between(since, act.now)
        req.resolve_by = promises.shift(calendar, req.resolve_by, paused)
        # a check-in made while waiting restarted that clock: only the time since counts
        checkin_since = max(since, req.last_checkin_at or since)
        req.next_checkin_due = promises.shift(calendar, req.next_checkin_due, calendar.between(checkin_since, act.now))
        req.stage_due = {key: promises.shift(calendar, datetime.fromisoformat(due), paused).isoformat()
                         for key, due in req.stage_due.items()}
        req.status, req.waiting_since = domain.OPEN, None
        act.event("resumed", paused_hours=_hours(paused))
        act.notify(req.owner_id, "resumed", f"{req.ref} is back with you: {act.note}")

    return _act(desk, ref, actor=actor, action="resume", note=note, change=change, who="party")


def hand_off(desk: Desk, ref: str, *, actor: str | None, to: str, note: str | None) -> dict[str, Any]:
    """Give the request to another person of its team, with a note saying why.
    By the owner it is a handoff; by the lead or an admin, a reassignment."""
    def change(act: _Act) -> None:
        new_owner = _person(act.session, to)
        if not _in_team(act.session, act.team, new_owner):
            raise ValidationError(f"{new_owner.email} is not in {act.team.name}; hand off to a member of the team")
        if new_owner.is_away(act.now):
            raise ValidationError(f"{new_owner.name} is away until {new_owner.away_until:%Y-%m-%d}; pick someone else")
        domain.apply(_state(act.req, act.rtype, act.team, act.now), "handoff", new_owner=str(new_owner.id), ref=act.req.ref)
        previous = act.session.get(Person, act.req.owner_id)
        kind = "handoff" if act.person.id == previous.id else "reassigned"
        act.req.owner_id = new_owner.id
        act.event(kind, **{"from": previous.email, "to": new_owner.email})
        act.notify(new_owner.id, kind, f"{act.req.ref} '{act.req.title}' is yours now, from "
                                       f"{previous.name}: {act.note}")
        act.tell_requester(kind, f"{new_owner.name} now owns your request and will keep you informed")

    return _act(desk, ref, actor=actor, action="handoff", note=note, change=change)


def resolve(desk: Desk, ref: str, *, actor: str | None, note: str | None) -> dict[str, Any]:
    """Mark the work done; the requester confirms (or reopens)."""
    def change(act: _Act) -> None:
        req, calendar = act.req, act.calendar
        # read before changing anything: a query would flush the change early and bump the version twice
        waited = act.session.exec(select(Event.data).where(Event.request_id == req.id, Event.kind == "resumed")).all()
        previous_stage = req.stage
        if act.rtype is not None:
            req.stage = act.rtype.stages[-1].key
        checkin_missed = req.next_checkin_due is not None and act.now > req.next_checkin_due
        elapsed = calendar.between(req.raised_at, act.now)
        req.status = domain.RESOLVED
        req.resolved_at = act.now
        req.next_checkin_due = None
        # what the service-health figures (ownit.metrics) read, measured once in the team's business time
        act.event("resolved", from_stage=previous_stage, on_time=act.now <= req.resolve_by,
                  business_hours=_hours(elapsed), business_days=round(calendar.in_business_days(elapsed), 3),
                  waiting_hours=round(sum(d.get("paused_hours", 0) for d in waited), 3),
                  checkin_missed=checkin_missed)
        act.tell_requester("resolved", f"{act.person.name} has resolved it: {act.note}. "
                                       "Please confirm the fix, or reopen it if it is not right.")

    return _act(desk, ref, actor=actor, action="resolve", note=note, change=change)


def confirm(desk: Desk, ref: str, *, actor: str | None, nps: int | None = None, effort: int | None = None,
            comment: str | None = None) -> dict[str, Any]:
    """The requester confirms the fix, closing the request, and may rate the service."""
    if nps is not None and not 0 <= nps <= 10:
        raise ValidationError(f"--nps {nps} is out of range; give 0 (not at all likely) to 10 (extremely likely)")
    if effort is not None and not 1 <= effort <= 7:
        raise ValidationError(f"--effort {effort} is out of range; give 1 (very easy) to 7 (very hard)")
    comment_text = _text(comment, "the comment", limit=2000, required=False)

    def change(act: _Act) -> None:
        act.req.status = domain.CLOSED
        act.req.closed_at = act.now
        if nps is not None or effort is not None or comment_text:
            act.session.add(Feedback(request_id=act.req.id, person_id=act.person.id, at=act.now,
                                     nps=nps, effort=effort, comment=comment_text))
        act.event("confirmed", nps=nps, effort=effort)
        act.notify(act.req.owner_id, "confirmed", f"{act.req.ref} was confirmed fixed by {act.person.name}"
                   + (f" (NPS {nps})" if nps is not None else ""))

    return _act(desk, ref, actor=actor, action="confirm", note=comment_text, change=change,
                note_required=False, who="requester")


def reopen(desk: Desk, ref: str, *, actor: str | None, note: str | None) -> dict[str, Any]:
    """Back to work: the fix did not hold. Possible while resolved and for
    ``promises.REOPEN_WITHIN`` business time after closing. The stage returns
    to where it was, check-ins restart, and the resolve target is set afresh."""
    def change(act: _Act) -> None:
        req = act.req
        resolved = act.session.exec(select(Event).where(Event.request_id == req.id, Event.kind == "resolved")
                                    .order_by(Event.id.desc()).limit(1)).first()
        if resolved is not None and act.rtype is not None and resolved.data.get("from_stage"):
            req.stage = resolved.data["from_stage"]
        req.status = domain.OPEN
        req.resolved_at = req.closed_at = None
        req.last_checkin_at = act.now
        act.schedule_checkin()
        if act.rtype is not None:
            req.resolve_by = act.calendar.add(act.now, act.rtype.promise_for(req.priority).resolve_within)
            act.reforecast()
        act.event("reopened", resolve_by=req.resolve_by.isoformat())
        act.notify(req.owner_id, "reopened", f"{req.ref} was reopened by {act.person.name}: {act.note}")

    return _act(desk, ref, actor=actor, action="reopen", note=note, change=change, who="party")


def add_note(desk: Desk, ref: str, *, actor: str | None, note: str | None,
             internal: bool = False) -> dict[str, Any]:
    """Add a note to the timeline: the requester (always visible), someone of
    the team (``internal`` keeps it from the requester), or — with ``actor``
    ``None`` — OwnIt itself, for plugins reacting to an event."""
    note_text = _text(note, "the note", limit=NOTE_MAX, required=True)

    def work(session: Session, changes: _Changes) -> dict[str, Any]:
        person = _person(session, actor) if actor is not None else None
        req, team, rtype = _visible_request(desk, session, ref, person)
        staff = person is None or _is_staff(session, req, team, person)
        if person is not None and not staff and person.id != req.requester_id:
            raise PermissionDenied(f"only the requester or {team.name} can add notes to {req.ref}")
        if internal and not staff:
            raise PermissionDenied("only the team can add internal notes")
        if req.status == domain.CLOSED:
            raise Conflict(f"{req.ref} is closed; reopen it or raise a new request")
        now = desk.now()
        _event(session, changes, req, "note", at=now, actor=person, note=note_text, internal=internal)
        if person is not None and person.id == req.requester_id:
            _notify(session, changes, req.owner_id, req, "note", f"{req.ref}: note from the requester: {note_text}",
                    at=now)
        elif not internal:
            _notify(session, changes, req.requester_id, req, "note", f"{req.ref}: {note_text}", at=now)
        req.updated_at = now
        flag_modified(req, "updated_at")
        session.add(req)
        session.flush()
        return _view(session, req, team, rtype, person, now) if person else request_view(
            session, req, rtype=rtype, now=now, internal=True)

    return _run(desk, work)


# --- absence ----------------------------------------------------------------------------


def set_away(desk: Desk, *, actor: str | None, email: str, start: date, until: date) -> dict[str, Any]:
    """Record an absence (from ``start`` up to, not including, ``until``). When it
    covers now, everything the person owns is handed to someone who can work
    it, each with an automatic note."""
    if until <= start:
        raise ValidationError(f"--until {until} must be after --from {start}")

    def work(session: Session, changes: _Changes) -> dict[str, Any]:
        me = _person(session, actor)
        person = _person(session, email)
        leads_them = session.exec(select(Team.id).join(TeamMember, TeamMember.team_id == Team.id).where(
            Team.lead_id == me.id, TeamMember.person_id == person.id)).first() is not None
        if me.id != person.id and not leads_them and not _is_admin(me):
            raise PermissionDenied(f"only {person.name} or their team lead can record their absence")
        zone = _zone_of(session, person)
        person.away_from = datetime.combine(start, datetime.min.time(), zone)
        person.away_until = datetime.combine(until, datetime.min.time(), zone)
        session.add(person)
        now = desk.now()
        moved = _reassign_if_away(desk, session, changes, person, now) if person.is_away(now) else []
        return {"email": person.email, "away_from": start.isoformat(), "away_until": until.isoformat(),
                "reassigned": moved}

    return _run(desk, work)


def _zone_of(session: Session, person: Person) -> Any:
    from zoneinfo import ZoneInfo

    site = session.get(Site, person.site_id) if person.site_id else None
    if site is None:
        team = session.exec(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                            .where(TeamMember.person_id == person.id)).first()
        return ZoneInfo(team.calendar.get("timezone", "UTC")) if team else ZoneInfo("UTC")
    return ZoneInfo(site.timezone)


def _reassign_if_away(desk: Desk, session: Session, changes: _Changes, person: Person,
                      now: datetime) -> list[dict[str, str]]:
    """Hand every request ``person`` owns that is not closed to a colleague who
    qualifies, or the team lead when nobody does."""
    moved = []
    owned = session.exec(select(Request).where(Request.owner_id == person.id, Request.status != domain.CLOSED)
                         .order_by(Request.id)).all()
    for req in owned:
        team = session.get(Team, req.team_id)
        rtype = desk.plugins.request_types.get(req.request_type)
        choice = _choose_owner(session, team, skills=rtype.skills if rtype else (), now=now, exclude=person.id)
        if choice.person_id == person.id:
            continue  # they lead the team and nobody else can take it: it stays, visibly theirs
        _mark_assigned(session, team, choice.person_id, now)
        new_owner = session.get(Person, choice.person_id)
        req.owner_id = new_owner.id
        req.updated_at = now
        session.add(req)
        note = (f"{person.name} is away until {person.away_until:%Y-%m-%d}; "
                f"{new_owner.name} takes this over ({choice.reason})")
        _event(session, changes, req, "handoff", at=now, actor=None, note=note,
               **{"from": person.email, "to": new_owner.email, "reason": "away"})
        _notify(session, changes, new_owner.id, req, "handoff", f"{req.ref} '{req.title}' is yours now: {note}", at=now)
        _notify(session, changes, req.requester_id, req, "handoff",
                f"{req.ref}: {new_owner.name} now owns your request while {person.name} is away", at=now)
        moved.append({"ref": req.ref, "to": new_owner.email})
    return moved


# --- reading ------------------------------------------------------------------------------


def show(desk: Desk, ref: str, *, actor: str | None) -> dict[str, Any]:
    """The whole request as ``actor`` may see it (the team sees internal notes)."""
    def work(session: Session) -> dict[str, Any]:
        person = _person(session, actor)
        req, team, rtype = _visible_request(desk, session, ref, person)
        return _view(session, req, team, rtype, person, desk.now())

    return desk.read(work)


def queue(desk: Desk, *, actor: str | None, team: str | None = None, overdue: bool = False,
          due_today: bool = False, owner: str | None = None, statuses: Iterable[str] | None = None,
          limit: int = 200) -> list[dict[str, Any]]:
    """The requests an agent works, most pressing first: :func:`ownit.queues.queue`
    (which the command line runs without loading SQLAlchemy) on this desk."""
    from . import lite, queues

    with lite.Lite.of(desk.engine) as db:
        return queues.queue(db, plugins=desk.plugins, now=desk.now(), actor=actor, team=team, overdue=overdue,
                            due_today=due_today, owner=owner, statuses=statuses, limit=limit)


def my_requests(desk: Desk, *, actor: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """The requests ``actor`` raised, newest first, as they may see them."""
    now = desk.now()

    def work(session: Session) -> list[dict[str, Any]]:
        person = _person(session, actor)
        rows = session.exec(select(Request).where(Request.requester_id == person.id)
                            .order_by(Request.raised_at.desc(), Request.id.desc()).limit(limit)).all()
        return [_view(session, req, session.get(Team, req.team_id), _rtype(desk, req), person, now) for req in rows]

    return desk.read(work)


def _due_today(org: directory.Directory, now: datetime) -> Any:
    """Open and due from now to the end of the working day, in each team's own hours."""
    ends = [sa.and_(Request.team_id == t.id, Request.next_due <= calendar_of(t).closes_today(now))
            for t in org.teams.values()]
    return sa.and_(Request.status == domain.OPEN, Request.next_due >= now, sa.or_(*ends))


def team_summary(desk: Desk, *, actor: str | None, team: str) -> dict[str, Any]:
    """A team at a glance, counted in the database: open, overdue, due later
    today, waiting on the requester, resolved awaiting confirmation — in all and
    per owner."""
    now = desk.now()

    def work(session: Session) -> dict[str, Any]:
        person = _person(session, actor)
        the_team = _team(session, team)
        if not (_in_team(session, the_team, person) or _is_admin(person)):
            raise PermissionDenied(f"you are not in {the_team.name}; ask its lead to add you")
        overdue = sa.and_(Request.status == domain.OPEN, Request.next_due < now)
        figures = {"open": Request.status == domain.OPEN, "overdue": overdue, "due_today": _due_today(directory.current(desk, _cursor(session)), now),
                   "waiting": Request.status == domain.WAITING, "resolved": Request.status == domain.RESOLVED}
        columns = [func.count().filter(condition).label(name) for name, condition in figures.items()]
        rows = session.exec(select(Request.owner_id, *columns).where(
            Request.team_id == the_team.id, Request.status != domain.CLOSED).group_by(Request.owner_id)).all()
        names = {p.id: p for p in session.exec(select(Person).where(Person.id.in_([r[0] for r in rows])))}
        owners = sorted(({"email": names[r[0]].email, "name": names[r[0]].name,
                          **{name: r[i + 1] for i, name in enumerate(figures)}} for r in rows),
                        key=lambda o: (-o["overdue"], -o["open"], o["name"]))
        return {"team": {"key": the_team.key, "name": the_team.name},
                **{name: sum(o[name] for o in owners) for name in figures}, "owners": owners}

    return desk.read(work)


def site_requests(desk: Desk, *, actor: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """What colleagues at ``actor``'s site have raised and is still being
    worked (so nobody reports the same leak twice), newest first. Restricted
    request types (an HR relations case) are never among them."""
    restricted = [key for key, t in desk.plugins.request_types.items() if t.restricted]
    now = desk.now()

    def work(session: Session) -> list[dict[str, Any]]:
        person = _person(session, actor)
        if person.site_id is None:
            return []
        known = list(desk.plugins.request_types)  # a type whose plugin is gone may have been restricted
        rows = session.exec(select(Request, Person, Team).join(Person, Person.id == Request.owner_id)
                            .join(Team, Team.id == Request.team_id)
                            .where(Request.site_id == person.site_id, Request.requester_id != person.id,
                                   Request.status.in_(ACTIVE), Request.request_type.in_(known),
                                   Request.request_type.notin_(restricted))
                            .order_by(Request.raised_at.desc(), Request.id.desc()).limit(limit)).all()
        return [summary_view(req, owner=owner, team=team, rtype=_rtype(desk, req), now=now)
                for req, owner, team in rows]

    return desk.read(work)


def memberships(desk: Desk, *, actor: str | None) -> list[dict[str, Any]]:
    """The teams ``actor`` works in or leads (every team for an admin), with
    the members a request can be handed to."""
    now = desk.now()

    def work(session: Session) -> list[dict[str, Any]]:
        person = _person(session, actor)
        result = []
        for team in session.exec(select(Team).order_by(Team.key)):
            leads = team.lead_id == person.id
            if not (leads or _is_admin(person) or _in_team(session, team, person)):
                continue
            candidates, members = _candidates(session, team, now)
            result.append({"key": team.key, "name": team.name, "department": team.department,
                           "leads": leads, "lead": person_view(session.get(Person, team.lead_id)),
                           "members": [{**person_view(members[c.person_id]), "away": c.away, "open": c.open_count}
                                       for c in candidates]})
        return result

    return desk.read(work)


REPORT_DAYS = 28  # the default period: the last four weeks
TREND_WEEKS = 12  # the alignment view and the trend charts look back this far


def report(desk: Desk, *, actor: str | None, team: str | None = None, department: str | None = None,
           owner: str | None = None, site: str | None = None, request_type: str | None = None,
           since: datetime | None = None, until: datetime | None = None, by: str | None = None) -> dict[str, Any]:
    """Service health for a scope over ``[since, until)`` (default: the last
    four weeks): the headline figures and the previous period's, every owner's
    figures with the spread across owners, rows by ``week``, ``owner`` or
    ``team`` when asked, and each team's weekly speed beside its satisfaction
    with a sentence where they pull apart. See :mod:`ownit.metrics`."""
    from . import metrics, tallies

    if by not in (None, "week", "owner", "team"):
        raise ValidationError(f"--by {by!r} is not a grouping; use week, owner or team")
    now = desk.now()
    until = until or now
    since = since or until - timedelta(days=REPORT_DAYS)
    if since >= until:
        raise ValidationError(f"--since {since:%Y-%m-%d} must be before --until {until:%Y-%m-%d}")
    if department is not None and department not in desk.plugins.departments:
        known = ", ".join(sorted(desk.plugins.departments)) or "none installed"
        raise NotFound(f"no department {department!r}; departments: {known}")
    if request_type is not None:
        desk.plugins.request_type(request_type)

    span = until - since
    spans = metrics.weeks(min(since, until - timedelta(weeks=TREND_WEEKS)), until)  # the trend: twelve weeks
    monday = (spans[0][0] - timedelta(days=spans[0][0].weekday())).replace(hour=0, minute=0, second=0,
                                                                           microsecond=0)

    def scoped(session: Session) -> "metrics.Scope":
        person = _person(session, actor)
        in_a_team = session.exec(select(TeamMember.id).where(TeamMember.person_id == person.id)).first() is not None
        leads = session.exec(select(Team.id).where(Team.lead_id == person.id)).first() is not None
        if not (in_a_team or leads or _is_admin(person)):
            raise PermissionDenied("service health is for support teams and their leads; ask your lead")
        the_team = _team(session, team) if team else None
        return metrics.Scope(department=department, team_id=the_team.id if the_team else None,
                             owner_id=_person(session, owner).id if owner else None,
                             site_id=_site(session, site).id if site else None, request_type=request_type)

    scope = desk.read(scoped)
    if tallies.kept(scope):  # count the finished days no current tally covers, once, for this and later reports
        tallies.refresh(desk, [(spans[0][0], until), (since - span, since)])

    def work(session: Session) -> dict[str, Any]:
        def named(by_key: str, rows: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
            labels = metrics.names(session, by_key, rows)
            return sorted(({**labels.get(k, {"key": str(k), "name": str(k)}), **v} for k, v in rows.items()),
                          key=lambda r: r["name"])

        # The period and the trend weeks before it, per owner, team and day (from the day tallies where
        # current); every view below is a regrouping of them, so none costs another pass.
        passes: dict[tuple, dict[str, Any]] = {}
        for in_period, (start, end) in enumerate(((spans[0][0], since), (since, until))):
            for (owner_id, team_id, day), counted in tallies.tallied(session, scope, start, end, now=now).items():
                metrics.add(passes, (owner_id, team_id, (day - monday.date()).days // 7, in_period), counted)
        in_period = {key: r for key, r in passes.items() if key[3] == 1}
        per_owner = metrics.regroup(in_period, lambda key: key[0])
        owners = named("owner", {key: metrics.finish(r) for key, r in per_owner.items()})
        result: dict[str, Any] = {
            "scope": {"team": team, "department": department, "owner": owner, "site": site,
                      "request_type": request_type},
            "since": since.isoformat(), "until": until.isoformat(),
            "previous": {"since": (since - span).isoformat(), "until": since.isoformat()},
            "headline": metrics.finish(metrics.combine(per_owner.values())),  # the owners add up to the whole
            "previous_headline": metrics.finish(metrics.combine(
                tallies.tallied(session, scope, since - span, since, now=now).values())),
            "owners": owners, "spread": metrics.spread(owners), "standards": metrics.STANDARDS,
        }
        blank = metrics.raw_blank()
        if by == "week":
            per_week = metrics.regroup(in_period, lambda key: key[2])
            result["rows"] = [{"key": start.date().isoformat(), "name": f"week of {start:%d %b %Y}",
                               **metrics.finish(per_week.get((start - monday).days // 7, blank))}
                              for start, _ in metrics.weeks(since, until)]
        elif by in ("owner", "team"):
            result["rows"] = owners if by == "owner" else named("team", {
                key: metrics.finish(r) for key, r in metrics.regroup(in_period, lambda key: key[1]).items()})
        # week by week per team: speed beside satisfaction, and where they pull apart
        by_week = metrics.regroup(passes, lambda key: (key[1], key[2]))
        teams = {t.id: t for t in session.exec(select(Team).order_by(Team.key))}
        weekly = {team_id: [{"week": start.date().isoformat(),
                             **metrics.finish(by_week.get((team_id, (start - monday).days // 7), blank))}
                            for start, _ in spans] for team_id in teams}
        result["alignment"] = [
            {"team": teams[t].key, "name": teams[t].name, "weeks": rows,
             "flag": metrics.alignment(teams[t].name, rows)}
            for t, rows in weekly.items() if any(r["resolved"] or r["responses"] for r in rows)]
        return result

    return desk.read(work)


def people(desk: Desk) -> list[dict[str, Any]]:
    """Everyone in the directory, with their site, roles and absence."""
    def work(session: Session) -> list[dict[str, Any]]:
        sites = {s.id: s for s in session.exec(select(Site))}
        return [
            {**person_view(p), "site": sites[p.site_id].code if p.site_id else None, "roles": p.roles,
             "away_from": p.away_from.isoformat() if p.away_from else None,
             "away_until": p.away_until.isoformat() if p.away_until else None}
            for p in session.exec(select(Person).order_by(Person.email))
        ]

    return desk.read(work)


def teams(desk: Desk) -> list[dict[str, Any]]:
    """Every team with its lead, members (skills, capacity, open requests) and calendar."""
    now = desk.now()

    def work(session: Session) -> list[dict[str, Any]]:
        result = []
        for team in session.exec(select(Team).order_by(Team.key)):
            candidates, members = _candidates(session, team, now)
            result.append({
                "key": team.key, "name": team.name, "department": team.department, "regions": team.regions,
                "lead": person_view(session.get(Person, team.lead_id)), "calendar": team.calendar,
                "members": [{"email": c.email, "name": members[c.person_id].name, "skills": sorted(c.skills),
                             "capacity": c.capacity, "open": c.open_count, "away": c.away}
                            for c in candidates],
            })
        return result

    return desk.read(work)


def departments(desk: Desk) -> dict[str, Any]:
    """The installed plugins and the departments and request types they declare."""
    plugins = desk.plugins
    return {
        "plugins": [{"name": i.name, "distribution": i.distribution, "version": i.version} for i in plugins.info],
        "problems": list(plugins.problems),
        "departments": [
            {"key": d.key, "name": d.name, "prefix": d.prefix, "description": d.description,
             "request_types": [
                 {"key": t.key, "label": t.label, "why": t.why, "skills": list(t.skills),
                  "default_priority": t.default_priority, "restricted": t.restricted,
                  "fields": [{"key": f.key, "label": f.label, "kind": f.kind, "required": f.required,
                              "help": f.help, "choices": list(f.choices)} for f in t.fields],
                  "stages": [{"key": s.key, "label": s.label, "days": s.days,
                              "requester_action": s.requester_action} for s in t.stages],
                  "promise": {p: {"first_contact": v.first_contact, "checkin": v.checkin, "resolve": v.resolve}
                              for p, v in t.promise.items()}}
                 for t in d.request_types]}
            for d in sorted(plugins.departments.values(), key=lambda d: d.key)
        ],
    }


def inbox(desk: Desk, *, actor: str | None, limit: int = 100) -> list[dict[str, Any]]:
    """A person's notifications, newest first."""
    def work(session: Session) -> list[dict[str, Any]]:
        person = _person(session, actor)
        rows = session.exec(select(Notification, Request.ref).outerjoin(Request, Request.id == Notification.request_id)
                            .where(Notification.person_id == person.id)
                            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
        zone = _zone_of(session, person).key
        return [{"id": n.id, "ref": ref, "kind": n.kind, "message": n.message,
                 "created_at": n.created_at.isoformat(), "timezone": zone} for n, ref in rows]

    return desk.read(work)


def ownership_problems(desk: Desk) -> list[str]:
    """Requests breaking the ownership invariant (none, if OwnIt is right):
    an owner who does not exist. The database forbids a missing owner outright."""
    def work(session: Session) -> list[str]:
        rows = session.exec(select(Request.ref).outerjoin(Person, Person.id == Request.owner_id)
                            .where(Person.id.is_(None))).all()
        return list(rows)

    return desk.read(work)


def load_problems(desk: Desk) -> list[str]:
    """People whose open-request count, kept on their row by the database
    (it is what owner choice reads), differs from their open requests counted
    (none, if the triggers are right): ``email: kept N, counted M``."""
    def work(session: Session) -> list[str]:
        counted = (select(Request.owner_id, func.count().label("n")).where(Request.status.in_(ACTIVE))
                   .group_by(Request.owner_id).subquery())
        rows = session.exec(select(Person.email, Person.open_requests, func.coalesce(counted.c.n, 0))
                            .outerjoin(counted, counted.c.owner_id == Person.id)
                            .where(Person.open_requests != func.coalesce(counted.c.n, 0))
                            .order_by(Person.email)).all()
        return [f"{email}: kept {kept}, counted {n}" for email, kept, n in rows]

    return desk.read(work)


def init(url: str | None = None) -> str:
    """Create or upgrade the database to the current schema; returns its URL."""
    from .db import default_database_url, upgrade

    url = url or default_database_url()
    upgrade(url)
    return url


# --- the escalation sweep -----------------------------------------------------------------

PROMISES = (("first_contact", "first contact"), ("checkin", "check-in"), ("resolve", "resolution"))


def _outbox(session: Session, changes: _Changes, *, person_id: int, req: Request, kind: str, message: str,
            at: datetime, dedupe_key: str) -> bool:
    """Put a notification in the outbox once: ``False`` when ``dedupe_key`` was
    already sent (another sweep, or this one earlier). On the driver's cursor
    (the sweep puts thousands)."""
    new_id = _cursor(session).execute(_OUTBOX, person_id=person_id, request_id=req.id, kind=kind, message=message,
                                      created_at=at, attempts=0, dedupe_key=dedupe_key).scalar()
    if new_id is None:
        return False
    changes.notifications.append(_row(Notification, id=new_id, person_id=person_id, request_id=req.id, kind=kind,
                                      message=message, created_at=at, dedupe_key=dedupe_key))
    return True


_OUTBOX = statements.Statement(
    lambda dialect: _dialect_insert(dialect)(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(Notification.id),
    keys=("person_id", "request_id", "kind", "message", "created_at", "attempts", "dedupe_key"))
_SWEPT = statements.Statement(  # guarded by the version read: an agent acting meanwhile (who resets it) wins
    sa.update(Request).where(Request.id == sa.bindparam("request"), Request.version == sa.bindparam("seen")),
    keys=("sweep_after",))
_SWEPT_CHANGED = statements.Statement(
    sa.update(Request).where(Request.id == sa.bindparam("request"), Request.version == sa.bindparam("seen")),
    keys=("sweep_after", "updated_at", "version"))


def _owed(req: Request) -> list[tuple[str, str, datetime]]:
    """The promises still owed on an open request: (key, words, due)."""
    owed = []
    if req.first_contact_at is None:
        owed.append(("first_contact", "first contact", req.first_contact_due))
    elif req.next_checkin_due is not None:
        owed.append(("checkin", "check-in", req.next_checkin_due))
    owed.append(("resolve", "resolution", req.resolve_by))
    return owed


def _sweep_one(session: Session, changes: _Changes, request_id: int, now: datetime,
               report: dict[str, list]) -> None:
    """What the sweep owes one open request's people, in the caller's transaction."""
    req = session.get(Request, request_id)
    if req is None or req.status != domain.OPEN:
        return  # acted on since we looked
    team = session.get(Team, req.team_id)
    calendar = calendar_of(team)
    owner = session.get(Person, req.owner_id)
    escalated = False
    look_again: list[datetime] = []  # when this request next has something new to say
    for key, words, due in _owed(req):
        stamp = f"{key}:{req.ref}:{due.isoformat()}"
        when = calendar.local(due).strftime("%a %d %b %H:%M")
        line = {"ref": req.ref, "promise": key, "what": words, "due": due.isoformat(), "owner": owner.email}
        if now <= due:
            if calendar.between(now, due, past=promises.DUE_SOON) <= promises.DUE_SOON:
                if _outbox(session, changes, person_id=owner.id, req=req, kind="due_soon", at=now,
                           message=f"{req.ref}: {words} due by {when}", dedupe_key=f"soon:{stamp}"):
                    report["due_soon"].append(line)
                look_again.append(due + timedelta(microseconds=1))  # next: when it is overdue
            else:  # not in the nudge window yet: look again when it comes into it
                look_again.append(calendar.before(due, promises.DUE_SOON))
            continue
        if _outbox(session, changes, person_id=owner.id, req=req, kind="overdue", at=now,
                   message=f"{req.ref}: {words} was due {when} and is overdue", dedupe_key=f"overdue:{stamp}"):
            report["overdue"].append(line)
        if promises.escalation_due(calendar, due, now) and _outbox(
                session, changes, person_id=team.lead_id, req=req, kind="escalated", at=now,
                message=f"{req.ref} '{req.title}': {owner.name}'s {words} was due {when} and is overdue",
                dedupe_key=f"escalated:{stamp}"):
            lead = session.get(Person, team.lead_id)
            event = _row(Event, request_id=req.id, at=now, kind="escalated", actor_id=None, internal=False,
                         note=f"{words} was due {when}; {lead.name} ({team.name} lead) has been told",
                         data={"promise": key, "due": due.isoformat(), "lead": lead.email})
            _cursor(session).execute(_INSERT_EVENT, **{k: getattr(event, k) for k in _EVENT_KEYS})
            changes.events.append(event)
            _outbox(session, changes, person_id=req.requester_id, req=req, kind="escalated", at=now,
                    message=f"{req.ref}: the {words} promised by {when} is late; we have told "
                            f"{lead.name}, who leads {team.name}", dedupe_key=f"escalated-requester:{stamp}")
            report["escalated"].append({**line, "lead": lead.email})
            escalated = True
        if not promises.escalation_due(calendar, due, now):
            look_again.append(calendar.add(due, promises.ESCALATE_AFTER))  # next: time to tell the lead
    # Said all it owes until then, guarded by the version read: an agent acting meanwhile (who resets
    # it) wins. That is no change to the request, unless it was escalated: then it is one, and a clash
    # takes the escalation back with the rest of the batch (done again request by request).
    sweep_after = min(look_again) if look_again else NEVER
    if not escalated:
        _cursor(session).execute(_SWEPT, request=req.id, seen=req.version, sweep_after=sweep_after)
    elif _cursor(session).execute(_SWEPT_CHANGED, request=req.id, seen=req.version, sweep_after=sweep_after,
                                  updated_at=now, version=req.version + 1).rowcount != 1:
        raise Conflict("this request was changed by someone else at the same moment; reload it and try again")


def _in_batches(desk: Desk, ids: list[int], step: Callable[[Session, _Changes, int, datetime, dict[str, list]], None],
                now: datetime, report: dict[str, list]) -> None:
    """``step`` for each of ``ids``, up to :data:`SWEEP_BATCH` of them per
    transaction (a transaction costs more than a request's own work). A batch
    that meets an agent acting at the same moment is done again one request at
    a time, so only that request is skipped, and the next sweep looks again."""
    def run(batch: list[int]) -> None:
        found: dict[str, list] = {key: [] for key, value in report.items() if isinstance(value, list)}

        def work(session: Session, changes: _Changes) -> None:
            for lines in found.values():  # a retried unit starts again
                lines.clear()
            # One read each for the batch's requests, the teams and the people they name, held here (the
            # session holds its objects only weakly) so each step finds them in the session; what the steps
            # add is written at the commit, not before each lookup.
            loaded = session.exec(select(Request).where(Request.id.in_(batch))).all()
            teams = session.exec(select(Team)).all()
            named = {r.owner_id for r in loaded} | {r.requester_id for r in loaded} | {t.lead_id for t in teams}
            loaded += session.exec(select(Person).where(Person.id.in_(named))).all() + teams
            with session.no_autoflush:
                for request_id in batch:
                    step(session, changes, request_id, now, found)
            del loaded

        _run(desk, work)
        for key, lines in found.items():
            report[key].extend(lines)

    try:
        run(ids)
    except Conflict:
        for request_id in ids:
            try:
                run([request_id])
            except Conflict:
                report["skipped"].append(request_id)


def _auto_close(session: Session, changes: _Changes, request_id: int, now: datetime,
                report: dict[str, list]) -> None:
    """Close a resolved request nobody confirmed, in the caller's transaction."""
    req = session.get(Request, request_id)
    if req is None or req.status != domain.RESOLVED or req.resolved_at is None:
        return
    calendar = calendar_of(session.get(Team, req.team_id))
    if calendar.add(req.resolved_at, promises.AUTO_CLOSE_AFTER) > now:
        return
    req.status, req.closed_at, req.updated_at = domain.CLOSED, now, now
    session.add(req)
    _event(session, changes, req, "closed", at=now, actor=None,
           note=f"closed after {Duration.parse(promises.AUTO_CLOSE_AFTER)} resolved without a reply")
    _notify(session, changes, req.requester_id, req, "closed",
            f"{req.ref} was closed: it was resolved and we heard nothing back. Reopen it if it is not fixed.",
            at=now)
    report["closed"].append({"ref": req.ref})


SWEEP_BATCH = 500  # requests per transaction
NEVER = datetime(9999, 1, 1, tzinfo=timezone.utc)  # a request the sweep has finished with until it changes
MAX_ATTEMPTS = 5  # deliveries of one notification before the sweep gives up (it stays in the inbox)
RETRY_AFTER = timedelta(minutes=1)  # leave a fresh notification to the delivery right after its commit


def _redeliver(desk: Desk, ids: list[int], report: dict[str, list]) -> None:
    """Offer undelivered notifications to the plugins' channels again."""
    if not ids:
        return
    impls = desk.plugins.pm.hook.ownit_notify.get_hookimpls()
    with Session(desk.engine, expire_on_commit=False) as session:
        notes = [(n.id, n.request_id, n.attempts, _notification_snapshot(session, n))
                 for n in session.exec(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id))]
    failures: list[tuple[int | None, str]] = []
    delivered = {}
    for note_id, request_id, attempts, snapshot in notes:
        results = [value for ok, value in _tell([(impl, "notify (retry)", request_id, {"notification": snapshot})
                                                 for impl in impls], failures) if ok]
        delivered[note_id] = any(r is True for r in results)
        line = {"id": note_id, "to": snapshot.recipient_email, "ref": snapshot.ref, "attempt": attempts + 1}
        if delivered[note_id]:
            report["redelivered"].append(line)
        elif attempts + 1 >= MAX_ATTEMPTS:
            report["undeliverable"].append(line)
    if failures:
        _record_failures(desk, failures)
    _mark_deliveries(desk, delivered)


def sweep(desk: Desk, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Keep the promises visible: nudge owners before a due time, tell them when
    it passes, escalate to the lead after a grace period, hand on the requests
    of people who are away, close resolved requests nobody confirmed, and offer
    notifications no channel has taken yet to the plugins again.

    Idempotent: every notification carries a key, so running it twice in a row
    changes nothing the second time. Each request is its own transaction.
    """
    now = desk.now()
    report: dict[str, Any] = {"at": now.isoformat(), "due_soon": [], "overdue": [], "escalated": [],
                              "reassigned": [], "closed": [], "skipped": [], "redelivered": [], "undeliverable": []}

    def candidates(session: Session) -> tuple[list[int], list[int], list[int], list[int]]:
        away = session.exec(select(Person.id).where(Person.away_from <= now, Person.away_until > now)).all()
        owning_away = session.exec(select(Request.owner_id).where(
            Request.owner_id.in_(away), Request.status != domain.CLOSED).distinct()).all() if away else []
        due: list[int] = []
        quiet: list[int] = []
        for team in session.exec(select(Team).order_by(Team.id)):  # each team keeps its own hours
            calendar = calendar_of(team)
            # the last instant still within DUE_SOON of business time from now
            horizon = calendar.next_business_moment(calendar.add(now, promises.DUE_SOON) + timedelta(microseconds=1))
            due.extend(session.exec(select(Request.id).where(
                Request.team_id == team.id, Request.status == domain.OPEN, Request.next_due <= horizon,
                sa.or_(Request.sweep_after.is_(None), Request.sweep_after <= now))  # only what has news
                .order_by(Request.next_due)).all())
            # business time never outruns the clock: nothing resolved more recently can be due to close
            quiet.extend(session.exec(select(Request.id).where(
                Request.team_id == team.id, Request.status == domain.RESOLVED,
                Request.resolved_at <= now - calendar.to_span(promises.AUTO_CLOSE_AFTER))).all())
        undelivered = session.exec(select(Notification.id).where(
            Notification.delivered_at.is_(None), Notification.attempts < MAX_ATTEMPTS,
            Notification.created_at <= now - RETRY_AFTER).order_by(Notification.id)).all() \
            if desk.plugins.pm.hook.ownit_notify.get_hookimpls() else []
        return list(owning_away), due, quiet, list(undelivered)

    away, due, quiet, undelivered = desk.read(candidates)

    def reassign(person_id: int) -> None:
        report["reassigned"].extend(_run(desk, lambda session, changes: _reassign_if_away(
            desk, session, changes, session.get(Person, person_id), now)))

    def in_batches(step: Any) -> Callable[[list[int]], None]:
        return lambda batch: _in_batches(desk, batch, step, now, report)

    def batches(ids: list[int], size: int = SWEEP_BATCH) -> list[list[int]]:
        return [ids[i:i + size] for i in range(0, len(ids), size)]

    steps = ([(lambda batch: reassign(batch[0]), [p]) for p in away]
             + [(in_batches(_sweep_one), batch) for batch in batches(due)]
             + [(in_batches(_auto_close), batch) for batch in batches(quiet)]
             + [(lambda batch: _redeliver(desk, batch, report), batch) for batch in batches(undelivered)])
    total, done = sum(len(batch) for _, batch in steps), 0
    for step, batch in steps:
        step(batch)
        done += len(batch)
        if progress:
            progress(done, total)
    report["looked_at"] = len(away) + len(due) + len(quiet)
    from . import tallies

    report["tallies_recounted"] = tallies.refresh_stale(desk)  # days of service health whose counts changed
    return report
