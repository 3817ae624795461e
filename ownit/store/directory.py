"""The organisation in memory: sites, people, teams and their members, and
the teams' charters (every version: a request keeps the one it was made under).

It changes when the org file is loaded, and every action needs some of it
(who is acting, the request's team and site, the members' skills), so a desk
keeps one :class:`Directory` and reads it again only when the database's
organisation generation (``org_state``, moved by triggers on every change to
the columns in :data:`ORG_COLUMNS`) is no longer the one it
was read at. Checking costs one primary-key read per unit of work.

What changes with every request is not here: each person's open requests,
their absence and when a member last got a request are read fresh, for one
team at a time (:func:`loads`).

Every lookup by email, site code or team key is answered here, with the same
one-line errors. The reads are plain SQL: the command line's queue uses this
module without importing SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Iterable

from ..frozen import frozen

from .. import preferences
from ..calendar import AROUND_THE_CLOCK, BusinessCalendar, around_the_clock
from ..charters import Charter
from ..departments import Promise, RequestType
from ..errors import ConfigError, NotFound, PermissionDenied, typed
from ..preferences import Preferences
from .sql import Cursor, Sql

# What the directory (the organisation kept in memory) holds of each table: a change to any of these
# columns is a new generation. A person's load and absence, and when a member last got a request, are
# read fresh each time and are not here.
ORG_COLUMNS = {
    "site": ("code", "name", "region", "timezone", "country", "subdivision", "deputies"),
    "person": ("email", "name", "title", "phone", "site_id", "roles", "login", "chat", "notify"),
    "team": ("key", "name", "department", "regions", "lead_id", "calendar", "chat"),
    "team_member": ("team_id", "person_id", "skills", "covers", "capacity"),
    "charter": ("team_id", "version", "body"),
    "calendar": ("key", "body"),
}


def _select(table: str, *extra: str, json: tuple[str, ...] = (), order: str = "id") -> Sql:
    return Sql(f"SELECT id, {', '.join((*ORG_COLUMNS[table], *extra))} FROM {table} ORDER BY {order}", json=json)


GENERATION = Sql("SELECT generation FROM org_state WHERE id = 1")
_SITES = _select("site", json=("deputies",))
_PEOPLE = _select("person", json=("roles", "notify"))
_TEAMS = _select("team", json=("regions", "calendar"), order="key")
_MEMBERS = _select("team_member", json=("skills", "covers"))
_CHARTERS = _select("charter", json=("body",), order="team_id, version")
_CALENDARS = _select("calendar", json=("body",), order="key")
# a team's members and its lead, with what changes all the time: load, absence, last assignment
_LOADS = Sql("SELECT m.person_id, p.open_requests, p.away_from, p.away_until, m.last_assigned_at FROM team_member m "
             "JOIN person p ON p.id = m.person_id WHERE m.team_id = :team "
             "UNION ALL SELECT id, open_requests, away_from, away_until, NULL FROM person WHERE id = :lead",
             when=("away_from", "away_until", "last_assigned_at"))


@frozen(slots=True)
class SiteEntry:
    id: int
    code: str
    name: str
    region: str
    timezone: str
    country: str | None
    subdivision: str | None
    deputies: tuple[int, ...] = ()  # who hears what its requesters hear when they are away or ask (person ids)


@frozen(slots=True)
class PersonEntry:
    id: int
    email: str
    name: str
    title: str
    phone: str
    site_id: int | None
    roles: tuple[str, ...]
    login: str | None = None  # the operating-system account, for OWNIT_CLI_IDENTITY=os
    chat: str = ""  # where they hear by chat: Apprise URLs, space-separated
    notify: Preferences = Preferences()  # how they want to hear beyond the inbox

    @property
    def admin(self) -> bool:
        return "admin" in self.roles


@frozen(slots=True)
class MemberEntry:
    person_id: int
    skills: frozenset[str]
    covers: tuple[str, ...]
    capacity: int


@dataclass(frozen=True, eq=False)
class TeamEntry:
    id: int
    key: str
    name: str
    department: str
    regions: tuple[str, ...]
    lead_id: int
    calendar: dict[str, Any]
    members: tuple[MemberEntry, ...]
    chat: str = ""  # the team's channel: Apprise URLs, space-separated

    @cached_property
    def business_calendar(self) -> BusinessCalendar:
        """Its working hours, built when first needed (a year of them is
        worked out: the command line's queue needs none)."""
        return BusinessCalendar.of(self.calendar)


@dataclass(frozen=True, eq=False)
class CharterEntry:
    """One version of a team's charter."""

    id: int
    team_id: int
    version: int
    body: dict[str, Any]

    @cached_property
    def charter(self) -> Charter:
        """Read from its stored form when first needed."""
        return Charter.from_dict(self.body)


def away_at(away_from: datetime | None, away_until: datetime | None, now: datetime) -> bool:
    """Whether an absence recorded as ``[away_from, away_until)`` covers ``now``."""
    return away_from is not None and away_until is not None and away_from <= now < away_until


@frozen(slots=True)
class Load:
    """What changes all the time about a team member or lead."""

    open_requests: int
    away_from: datetime | None
    away_until: datetime | None
    last_assigned_at: datetime | None

    def is_away(self, now: datetime) -> bool:
        return away_at(self.away_from, self.away_until, now)


def who_are_you() -> PermissionDenied:
    return PermissionDenied("who are you? pass --as EMAIL or set OWNIT_USER")


def not_registered(email: str) -> NotFound:
    return NotFound(f"{email} is not registered in OwnIt; ask your lead to add you to the org file")


def no_such(what: str, value: str, known: Iterable[str]) -> NotFound:
    """``no team 'x'; teams: a, b`` (``known`` in the order to list them)."""
    return NotFound(f"no {what} {value!r}; {what}s: {', '.join(known) or 'none loaded'}")


class Directory:
    """One generation of the organisation, indexed the ways OwnIt looks it up."""

    def __init__(self, generation: str, sites: list[SiteEntry], people: list[PersonEntry],
                 teams: list[TeamEntry], charters: Iterable[CharterEntry] = (),
                 calendars: dict[str, dict[str, Any]] | None = None) -> None:
        self.generation = generation
        self.calendars = calendars or {}  # the org file's [[calendar]] tables, stored, by key
        self._named: dict[str, BusinessCalendar] = {}  # those of them built (calendar_for)
        self.charters = {c.id: c for c in charters}
        self.charter_now = {c.team_id: c for c in sorted(self.charters.values(), key=lambda c: c.version)}
        self.sites = {s.id: s for s in sites}
        self.sites_by_code = {s.code: s for s in sites}
        self.people = {p.id: p for p in people}
        self.people_by_email = {p.email: p for p in people}
        self.people_by_login = {p.login: p for p in people if p.login}
        self.teams = {t.id: t for t in teams}
        self.teams_by_key = {t.key: t for t in teams}
        self.teams_by_department: dict[str, list[TeamEntry]] = {}
        for team in teams:  # in key order, as routing expects
            self.teams_by_department.setdefault(team.department, []).append(team)
        self._teams_of: dict[int, tuple[TeamEntry, ...]] = {}
        for team in teams:
            for person_id in {team.lead_id, *(m.person_id for m in team.members)}:
                self._teams_of[person_id] = (*self._teams_of.get(person_id, ()), team)

    @classmethod
    def read(cls, db: Cursor, generation: str) -> "Directory":
        sites = [SiteEntry(*row[:-1], deputies=tuple(row[-1] or ())) for row in db.execute(_SITES).all()]
        people = [PersonEntry(id, email, name, title or "", phone or "", site_id, tuple(roles or ()), login,
                              chat or "", preferences.stored(notify))
                  for id, email, name, title, phone, site_id, roles, login, chat, notify
                  in db.execute(_PEOPLE).all()]
        members: dict[int, list[MemberEntry]] = {}
        for _, team_id, person_id, skills, covers, capacity in db.execute(_MEMBERS).all():
            members.setdefault(team_id, []).append(
                MemberEntry(person_id, frozenset(skills or ()), tuple(covers or ()), capacity))
        teams = [TeamEntry(id, key, name, department, tuple(regions or ()), lead_id, dict(calendar or {}),
                           tuple(members.get(id, ())), chat or "")
                 for id, key, name, department, regions, lead_id, calendar, chat in db.execute(_TEAMS).all()]
        charters = [CharterEntry(*row) for row in db.execute(_CHARTERS).all()]
        calendars = {key: body for _, key, body in db.execute(_CALENDARS).all()}
        return cls(generation, sites, people, teams, charters, calendars)

    # --- lookups, with what OwnIt says when they fail ------------------------------------------

    def person(self, email: str | None) -> PersonEntry:
        """Who ``email`` is; no email is "who are you?", an unknown one "not registered"."""
        if not email or not email.strip():
            raise who_are_you()
        found = self.people_by_email.get(email.strip().lower()) if typed(email) else None
        if found is None:
            raise not_registered(email)
        return found

    def by_login(self, login: str) -> PersonEntry:
        """The person whose ``login`` (their operating-system account) this is."""
        found = self.people_by_login.get(login) if login and typed(login) else None
        if found is None:
            raise NotFound(f"your login {login!r} is not in the directory (OWNIT_CLI_IDENTITY=os); ask an admin to "
                           f"add login = \"{login}\" to your [[person]] in the org file")
        return found

    def site(self, code: str) -> SiteEntry:
        found = self.sites_by_code.get(code.strip().upper()) if typed(code) else None
        if found is None:
            raise no_such("site", code, sorted(self.sites_by_code))
        return found

    def team(self, key: str) -> TeamEntry:
        found = self.teams_by_key.get(key.strip()) if typed(key) else None
        if found is None:
            raise no_such("team", key, sorted(self.teams_by_key))
        return found

    # --- what was promised ---------------------------------------------------------------------

    def promise(self, rtype: RequestType, priority: str, site_id: int | None,
                charter: CharterEntry | None) -> Promise:
        """What a request of ``rtype`` at ``priority`` raised at ``site_id`` is
        promised under ``charter`` (a version of its team's): the charter's
        target for it (by tier of store), else what the department declares."""
        site = self.sites.get(site_id) if site_id is not None else None
        target = charter.charter.target(rtype.key, priority, site.code if site else None) if charter else None
        return target.promise if target else rtype.promise_for(priority)

    def promise_of(self, req: Any, rtype: RequestType) -> Promise:
        """The promise ``req`` was made (its charter version's, or its type's)."""
        return self.promise(rtype, req.priority, req.site_id, self.charters.get(req.charter_id))

    # --- on whose clock ------------------------------------------------------------------------

    def calendar_for(self, team: TeamEntry, rtype: RequestType | None, *, raising: bool = False) -> BusinessCalendar:
        """The working hours a request of ``rtype`` owned by ``team`` counts its
        promises in: the type's own calendar (``"24x7"``, in the team's time
        zone, or a ``[[calendar]]`` of the org file), else the team's. A named
        calendar the org file does not hold (the plugin named it after the
        file was loaded) refuses a new request, ``raising`` it; the requests
        already made are worked and shown on the team's hours meanwhile."""
        wanted = rtype.calendar if rtype is not None else None
        if wanted is None:
            return team.business_calendar
        if wanted == AROUND_THE_CLOCK:
            return around_the_clock(team.business_calendar.timezone)
        if wanted in self._named:
            return self._named[wanted]
        stored = self.calendars.get(wanted)
        if stored is not None:
            built = self._named[wanted] = BusinessCalendar.of(stored)  # once per generation, not per call
            return built
        if raising:
            raise ConfigError(f"request type {rtype.key} counts its promises on calendar {wanted!r}, which the org "
                              f"file does not declare; add a [[calendar]] with key = \"{wanted}\" and load it")
        return team.business_calendar

    # --- who belongs where ---------------------------------------------------------------------

    def in_team(self, team: TeamEntry, person_id: int) -> bool:
        """A member of ``team`` or its lead."""
        return team in self._teams_of.get(person_id, ())

    def teams_of(self, person_id: int) -> tuple[TeamEntry, ...]:
        """The teams someone works in or leads, in key order."""
        return self._teams_of.get(person_id, ())

    def leads(self, person_id: int) -> bool:
        return any(t.lead_id == person_id for t in self._teams_of.get(person_id, ()))

    def zone(self, person: PersonEntry) -> str:
        """The time zone someone works in: their own (``notify.timezone``),
        else their site's, else their first team's, else UTC."""
        if person.notify.timezone:
            return person.notify.timezone
        if person.site_id is not None:
            return self.sites[person.site_id].timezone
        teams = self.teams_of(person.id)
        return teams[0].calendar.get("timezone", "UTC") if teams else "UTC"


def current(desk: Any, db: Cursor, generation: Any = None) -> Directory:
    """The desk's directory, read again first if the organisation changed
    (a directory of its own when there is no desk). ``generation``: the
    organisation's, when the unit read it already (with its BEGIN)."""
    if generation is None:
        generation = db.execute(GENERATION).scalar()
    directory = getattr(desk, "directory", None)
    if directory is None or directory.generation != generation:
        directory = Directory.read(db, generation)
        if desk is not None:
            desk.directory = directory
    return directory


def moved(loads: dict[int, Load], from_id: int | None, to_id: int) -> dict[int, Load]:
    """``loads`` once an active request has moved from ``from_id`` (``None``:
    a new one) to ``to_id``, as the database's open counts then hold them
    (:mod:`ownit.store.derived`), for a view drawn without reading them again."""
    changed = dict(loads)
    for person_id, step in ((from_id, -1), (to_id, 1)):
        if person_id in changed:
            changed[person_id] = replace(changed[person_id], open_requests=changed[person_id].open_requests + step)
    return changed


def loads(db: Cursor, team: TeamEntry) -> dict[int, Load]:
    """The team's members' and lead's load, absence and last assignment, now."""
    found: dict[int, Load] = {}
    for person_id, open_requests, away_from, away_until, last in db.execute(_LOADS, team=team.id,
                                                                            lead=team.lead_id).all():
        if person_id not in found or last is not None:  # a lead who is also a member: the member's row
            found[person_id] = Load(open_requests, away_from, away_until, last)
    return found
