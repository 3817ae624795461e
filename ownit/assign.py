"""Who owns a new request: pure rules over plain values.

Routing picks the team; choosing picks one named person in it. The lead is the
owner of last resort, so a request always has an owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence


@dataclass(frozen=True)
class Candidate:
    """A team member as the owner choice sees them."""

    person_id: int
    email: str
    skills: frozenset[str]
    capacity: int
    open_count: int
    last_assigned_at: datetime | None
    away: bool


@dataclass(frozen=True)
class Choice:
    person_id: int
    reason: str


def qualifies(candidate: Candidate, required_skills: Sequence[str]) -> bool:
    """Available now, has every required skill, and has spare capacity."""
    return (not candidate.away
            and set(required_skills) <= candidate.skills
            and candidate.open_count < candidate.capacity)


def choose_owner(
    candidates: Sequence[Candidate],
    *,
    required_skills: Sequence[str],
    lead_id: int,
    continuity_id: int | None = None,
    exclude_id: int | None = None,
) -> Choice:
    """The owner for a new (or reassigned) request.

    The person who owned the same requester's last request of the department
    keeps them when they qualify (the right person to call); otherwise the
    qualifying member with the fewest open requests, ties going to whoever was
    assigned least recently; otherwise the team lead.
    """
    qualified = [c for c in candidates if c.person_id != exclude_id and qualifies(c, required_skills)]
    for candidate in qualified:
        if candidate.person_id == continuity_id:
            return Choice(candidate.person_id, "owned this requester's last request here")
    if qualified:
        best = min(qualified, key=lambda c: (
            c.open_count,
            c.last_assigned_at is not None,
            c.last_assigned_at or datetime.min,
            c.email,
        ))
        return Choice(best.person_id, f"fewest open requests ({best.open_count}) among available members")
    skills = f" with {', '.join(required_skills)}" if required_skills else ""
    return Choice(lead_id, f"team lead: no member is available{skills} with spare capacity")


@dataclass(frozen=True)
class TeamCover:
    key: str
    regions: tuple[str, ...]


def route_by_region(teams: Sequence[TeamCover], region: str) -> str | None:
    """The team covering ``region``; a team with no regions covers everywhere."""
    regional = sorted(t.key for t in teams if region in t.regions)
    if regional:
        return regional[0]
    national = sorted(t.key for t in teams if not t.regions)
    return national[0] if national else None
