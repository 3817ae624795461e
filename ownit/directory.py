"""The organisation in memory: sites, people, teams and their members.

It changes when the org file is loaded, and a raise needs most of it (the
requester, their site, the department's teams, the members' skills), so a desk
keeps one :class:`Directory` and reads it again only when the database's
organisation generation (``org_state``, changed by triggers on every change to
those tables) is no longer the one it was read at. Checking costs one
primary-key read per raise.

What changes with every request is not here: each person's open requests,
their absence and when a member last got a request are read fresh, for the
routed team only (:data:`LOAD`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .calendar import BusinessCalendar
from .models import OrgState, Person, Site, Team, TeamMember, away_at
from .statements import Cursor, Statement

_S, _P, _T, _M = Site.__table__, Person.__table__, Team.__table__, TeamMember.__table__

GENERATION = Statement(sa.select(OrgState.__table__.c.generation).where(OrgState.__table__.c.id == 1))
_SITES = Statement(sa.select(_S.c.id, _S.c.code, _S.c.name, _S.c.region, _S.c.timezone))
_PEOPLE = Statement(sa.select(_P.c.id, _P.c.email, _P.c.name, _P.c.title, _P.c.phone, _P.c.site_id, _P.c.roles))
_TEAMS = Statement(sa.select(_T.c.id, _T.c.key, _T.c.name, _T.c.department, _T.c.regions, _T.c.lead_id,
                             _T.c.calendar).order_by(_T.c.key))
_MEMBERS = Statement(sa.select(_M.c.team_id, _M.c.person_id, _M.c.skills, _M.c.covers, _M.c.capacity)
                     .order_by(_M.c.id))
# a team's members and its lead, with what changes all the time: load, absence, last assignment
LOAD = Statement(sa.union_all(
    sa.select(_M.c.person_id, _P.c.open_requests, _P.c.away_from, _P.c.away_until, _M.c.last_assigned_at)
    .join(_P, _P.c.id == _M.c.person_id).where(_M.c.team_id == sa.bindparam("team")),
    sa.select(_P.c.id, _P.c.open_requests, _P.c.away_from, _P.c.away_until, sa.null())
    .where(_P.c.id == sa.bindparam("lead"))))


@dataclass(frozen=True, slots=True)
class SiteEntry:
    id: int
    code: str
    name: str
    region: str
    timezone: str


@dataclass(frozen=True, slots=True)
class PersonEntry:
    id: int
    email: str
    name: str
    title: str
    phone: str
    site_id: int | None
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberEntry:
    person_id: int
    skills: frozenset[str]
    covers: tuple[str, ...]
    capacity: int


@dataclass(frozen=True, slots=True)
class TeamEntry:
    id: int
    key: str
    name: str
    department: str
    regions: tuple[str, ...]
    lead_id: int
    calendar: dict[str, Any]
    members: tuple[MemberEntry, ...]
    business_calendar: BusinessCalendar


@dataclass(frozen=True, slots=True)
class Load:
    """What changes all the time about a team member or lead."""

    open_requests: int
    away_from: datetime | None
    away_until: datetime | None
    last_assigned_at: datetime | None

    def is_away(self, now: datetime) -> bool:
        return away_at(self.away_from, self.away_until, now)


class Directory:
    """One generation of the organisation, indexed the ways a raise looks it up."""

    def __init__(self, generation: str, sites: list[SiteEntry], people: list[PersonEntry],
                 teams: list[TeamEntry]) -> None:
        self.generation = generation
        self.sites = {s.id: s for s in sites}
        self.sites_by_code = {s.code: s for s in sites}
        self.people = {p.id: p for p in people}
        self.people_by_email = {p.email: p for p in people}
        self.teams = {t.id: t for t in teams}
        self.teams_by_key = {t.key: t for t in teams}
        self.teams_by_department: dict[str, list[TeamEntry]] = {}
        for team in teams:  # in key order, as routing expects
            self.teams_by_department.setdefault(team.department, []).append(team)

    @classmethod
    def read(cls, cursor: Cursor, generation: str) -> "Directory":
        sites = [SiteEntry(*row) for row in cursor.execute(_SITES).all()]
        people = [PersonEntry(id, email, name, title or "", phone or "", site_id, tuple(roles or ()))
                  for id, email, name, title, phone, site_id, roles in cursor.execute(_PEOPLE).all()]
        members: dict[int, list[MemberEntry]] = {}
        for team_id, person_id, skills, covers, capacity in cursor.execute(_MEMBERS).all():
            members.setdefault(team_id, []).append(
                MemberEntry(person_id, frozenset(skills or ()), tuple(covers or ()), capacity))
        teams = [TeamEntry(id, key, name, department, tuple(regions or ()), lead_id, dict(calendar or {}),
                           tuple(members.get(id, ())), BusinessCalendar.of(calendar or {}))
                 for id, key, name, department, regions, lead_id, calendar in cursor.execute(_TEAMS).all()]
        return cls(generation, sites, people, teams)

    def in_team(self, team: TeamEntry, person_id: int) -> bool:
        return team.lead_id == person_id or any(m.person_id == person_id for m in team.members)


def current(desk: Any, cursor: Cursor) -> Directory:
    """The desk's directory, read again first if the organisation changed."""
    generation = cursor.execute(GENERATION).scalar()
    directory = desk.directory
    if directory is None or directory.generation != generation:
        directory = desk.directory = Directory.read(cursor, generation)
    return directory


def loads(cursor: Cursor, team: TeamEntry) -> dict[int, Load]:
    """The team's members' and lead's load, absence and last assignment, now."""
    found: dict[int, Load] = {}
    for person_id, open_requests, away_from, away_until, last_assigned_at in cursor.execute(
            LOAD, team=team.id, lead=team.lead_id).all():
        if person_id not in found or last_assigned_at is not None:  # a lead who is also a member: the member row
            found[person_id] = Load(open_requests, away_from, away_until, last_assigned_at)
    return found
