"""A team's people as owner choice, plugins and the views see them: from the
directory (who, skills, cover, capacity) and their loads, read fresh
(:func:`ownit.store.directory.loads`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from .. import assign
from ..records import MemberInfo, TeamInfo
from ..store.directory import Directory, Load, TeamEntry
from ..views import person_view


def candidates(org: Directory, team: TeamEntry, loads: dict[int, Load], now: datetime) -> list[assign.Candidate]:
    """The members as owner candidates: skills, capacity, load, absence."""
    return [assign.Candidate(person_id=m.person_id, email=org.people[m.person_id].email, skills=m.skills,
                             capacity=m.capacity, open_count=loads[m.person_id].open_requests,
                             last_assigned_at=loads[m.person_id].last_assigned_at,
                             away=loads[m.person_id].is_away(now))
            for m in team.members]


def choose(org: Directory, team: TeamEntry, loads: dict[int, Load], now: datetime, *, skills: Iterable[str] = (),
           continuity_id: int | None = None, exclude_id: int | None = None) -> assign.Choice:
    """Who in ``team`` takes on new work now — a request raised or handed on,
    a task another department asks of it — by the standard choice over its
    members' ``loads`` (:func:`ownit.assign.choose_owner`): never nobody, the
    lead last."""
    return assign.choose_owner(candidates(org, team, loads, now), required_skills=tuple(skills), lead_id=team.lead_id,
                               continuity_id=continuity_id, exclude_id=exclude_id)


def team_info(org: Directory, team: TeamEntry, loads: dict[int, Load], now: datetime) -> TeamInfo:
    """The team as plugins see it: lead, members, their skills, cover and availability."""
    members = tuple(
        MemberInfo(email=c.email, name=org.people[c.person_id].name, skills=tuple(sorted(c.skills)),
                   covers=m.covers, available=assign.qualifies(c, ()), open_requests=c.open_count)
        for m, c in zip(team.members, candidates(org, team, loads, now), strict=True))
    return TeamInfo(key=team.key, department=team.department, name=team.name, regions=team.regions,
                    lead_email=org.people[team.lead_id].email, members=members)


def handoff_lines(org: Directory, team: TeamEntry, loads: dict[int, Load], now: datetime) -> list[dict[str, Any]]:
    """Whom a request of ``team`` could be handed to: the members, then the lead."""
    ids = [m.person_id for m in team.members]
    if team.lead_id not in ids:
        ids.append(team.lead_id)
    return [{**person_view(org.people[i]), "away": loads[i].is_away(now), "open": loads[i].open_requests}
            for i in ids]
