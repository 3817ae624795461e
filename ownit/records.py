"""Read-only records handed to plugin hooks.

Plugins never see database rows: they get these frozen snapshots, so no hook can
change a request except through :mod:`ownit.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class MemberInfo:
    """A team member as plugins see them."""

    email: str
    name: str
    skills: tuple[str, ...]
    covers: tuple[str, ...]  # site codes and regions this person looks after (org file)
    available: bool  # not away, and under capacity
    open_requests: int


@dataclass(frozen=True)
class TeamInfo:
    key: str
    department: str
    name: str
    regions: tuple[str, ...]
    lead_email: str
    members: tuple[MemberInfo, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A request being raised, before it exists (given to ``ownit_route``)."""

    request_type: str
    fields: dict[str, Any]
    title: str
    priority: str
    site_code: str
    region: str
    requester_email: str


@dataclass(frozen=True)
class RequestSnapshot:
    ref: str
    department: str
    request_type: str
    title: str
    status: str
    stage: str
    priority: str
    owner_email: str
    requester_email: str
    site_code: str
    team_key: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class EventSnapshot:
    kind: str
    at: datetime
    actor_email: str | None
    note: str
    data: dict[str, Any]


@dataclass(frozen=True)
class NotificationSnapshot:
    id: int
    recipient_email: str
    ref: str | None
    kind: str
    message: str
    created_at: datetime
