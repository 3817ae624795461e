"""Read-only records handed to plugin hooks.

Plugins never see database rows: they get these frozen snapshots, so no hook can
change a request except through :mod:`ownit.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """One timeline event: ``event`` is its typed form (a class of
    :mod:`ownit.events`, e.g. ``Contacted(on_time=True, business_hours=2.0)``);
    ``data`` the same fields as stored (JSON keys)."""

    kind: str
    at: datetime
    actor_email: str | None  # None: OwnIt itself
    note: str
    data: dict[str, Any]
    event: Any = None


@dataclass(frozen=True)
class NotificationSnapshot:
    """A notification for a channel to deliver: its content as ``data`` (a
    notice of :mod:`ownit.notices`: who, what changed, what is wanted, when),
    and laid out as a ``subject`` line, plain text (``message``) and ``html``
    (user text escaped)."""

    id: int
    recipient_email: str
    ref: str | None
    kind: str
    message: str
    created_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    html: str = ""
    recipient_name: str = ""
    recipient_chat: str = ""  # the recipient's chat (Apprise URLs, space-separated), "" if none
    team: str | None = None  # the key of the team that owns the request
    team_chat: str = ""  # that team's channel (Apprise URLs, space-separated), "" if none
    # signed tokens (ownit.tokens) to be handed back without signing in: the reply address's (request and
    # recipient), and a rating link's (this notification; for a resolved or quietly closed request only)
    reply_token: str = ""
    rate_token: str = ""


@dataclass(frozen=True)
class Preview:
    """A notification as a channel sends it, for the person it is for to see
    in the UI ("Sent to you"): the channel's name for itself, the subject and
    the message as HTML (every piece of user text escaped)."""

    channel: str
    subject: str
    html: str
