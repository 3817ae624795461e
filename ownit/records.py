"""Read-only records handed to plugin hooks.

Plugins never see database rows: they get these frozen snapshots, so no hook can
change a request except through :mod:`ownit.service`.
"""

from __future__ import annotations

from dataclasses import field, fields
from datetime import datetime
from typing import Any

from .frozen import frozen


def _(doc: str, **kwargs: Any) -> Any:
    """A field and what it is, for the plugin guide's reference (:func:`reference`)."""
    return field(metadata={"doc": doc}, **kwargs)


@frozen
class MemberInfo:
    """A team member as plugins see them."""

    email: str = _("their email, which names them everywhere in OwnIt")
    name: str = _("their name")
    skills: tuple[str, ...] = _("their skills, from the org file")
    covers: tuple[str, ...] = _("the site codes and regions they look after (the org file's `covers`; empty when not given)")
    available: bool = _("here (not away) and under their capacity")
    open_requests: int = _("the open requests they own now")


@frozen
class TeamInfo:
    """A team as plugins see it (given to ``ownit_route`` and ``ownit_choose_owner``)."""

    key: str = _("its key in the org file (`facilities-north`)")
    department: str = _("the department it works for (`facilities`)")
    name: str = _("its name (`Facilities North`)")
    regions: tuple[str, ...] = _("the regions whose stores it serves (empty: every region)")
    lead_email: str = _("its lead's email")
    members: tuple[MemberInfo, ...] = _("its members, each a `MemberInfo`", default=())


@frozen
class Draft:
    """A request being raised, before it exists (given to ``ownit_route`` and ``ownit_choose_owner``)."""

    request_type: str = _("its type's key (`cleaning.spill`)")
    fields: dict[str, Any] = _("the answers, by field key, each of its kind's type (the field kinds table)")
    title: str = _("the title the requester gave")
    priority: str = _("its priority: the type's default, or what `ownit_priority` said")
    site_code: str = _("the code of the store it is raised for (`S001`)")
    region: str = _("that store's region (`north`)")
    requester_email: str = _("the requester's email (the person it is raised for)")


@frozen
class RequestSnapshot:
    """A request as it is after a change was saved (given to ``ownit_on_event``)."""

    ref: str = _("its reference (`CLN-1001`)")
    department: str = _("its department's key")
    request_type: str = _("its type's key")
    title: str = _("its title")
    status: str = _("`open`, `waiting`, `resolved`, `closed` (OwnIt's lifecycle)")
    stage: str = _("the key of the stage it has reached")
    priority: str = _("its priority")
    owner_email: str = _("its owner's email: always one named person")
    requester_email: str = _("its requester's email")
    site_code: str = _("its store's code")
    team_key: str = _("the key of the team that owns it")
    fields: dict[str, Any] = _("the answers, as for `Draft.fields`")


@frozen
class EventSnapshot:
    """One timeline event (given to ``ownit_on_event``)."""

    kind: str = _("which event (the events table)")
    at: datetime = _("when, an aware UTC `datetime`")
    actor_email: str | None = _("who did it; `None`: OwnIt itself")
    note: str = _("what they wrote, or OwnIt's own words")
    data: dict[str, Any] = _("the event's fields as stored (JSON keys and values)")
    event: Any = _("the typed event, one class of `ownit.events` per kind (`Contacted(on_time=True, "
                   "business_hours=2.0)`)", default=None)


@frozen
class NotificationSnapshot:
    """A notification for a channel to deliver (given to ``ownit_notify`` and ``ownit_preview``)."""

    id: int = _("its id: a channel that delivers it twice must not send twice")
    recipient_email: str = _("whom it is for")
    ref: str | None = _("the request it is about (`None` for a morning digest)")
    kind: str = _("the inbox's category (`assigned`, `overdue`, ...)")
    message: str = _("the notice in plain text, as the inbox shows it")
    created_at: datetime = _("when it was made, an aware UTC `datetime`")
    data: dict[str, Any] = _("the notice of `ownit.notices` as data (`ownit.notices.load(data)` gives it back): "
                             "who, what changed, what is wanted, when", default_factory=dict)
    subject: str = _("a one-line subject: `REF title: heading`", default="")
    html: str = _("the notice as HTML, every piece of user text escaped", default="")
    recipient_name: str = _("the recipient's name", default="")
    recipient_chat: str = _("the recipient's chat (Apprise URLs, space-separated); `\"\"` if none", default="")
    team: str | None = _("the key of the team that owns the request", default=None)
    team_chat: str = _("that team's channel (Apprise URLs, space-separated); `\"\"` if none", default="")
    reply_token: str = _("a signed token to hand back with a reply, without signing in (`ownit.tokens`)", default="")
    rate_token: str = _("a signed token for a rating link, for a resolved or quietly closed request", default="")


@frozen
class Preview:
    """A notification as a channel sends it, for the person it is for to see
    in the UI ("Sent to you"; returned by ``ownit_preview``)."""

    channel: str = _("the channel's name for itself (`email`)")
    subject: str = _("the subject")
    html: str = _("the message as HTML, every piece of user text escaped")


@frozen
class Reach:
    """Whom a channel can reach (returned by ``ownit_reach``): a notification
    that none of its recipient's channels reaches is kept in their inbox as
    done when it is written, and no channel is offered it."""

    address: str | None = _("the recipient's address it sends to: `\"email\"` (everyone has one), `\"chat\"` or "
                            "`\"phone\"` (those with one); `None`: no one (the channel is not configured)")
    team_notices: frozenset[str] = _("the notices (`ownit.notices` class names, `Assigned`) it also posts to the "
                                     "channel of the request's team, when the team has one", default=frozenset())


SNAPSHOTS = (Draft, TeamInfo, MemberInfo, RequestSnapshot, EventSnapshot, NotificationSnapshot, Preview, Reach)


def reference() -> str:
    """The plugin guide's table of what hooks are given: every attribute of
    every snapshot, its type and what it is (a test keeps the guide equal to it)."""
    out = []
    for kind in SNAPSHOTS:
        out.append(f"**`{kind.__name__}`** — {' '.join(kind.__doc__.split())}\n\n| attribute | type | what it is |\n|---|---|---|")
        for found in fields(kind):
            out.append(f"| `{found.name}` | `{found.type}` | {found.metadata['doc']} |")
        out.append("")
    return "\n".join(out)
