"""Every hook an OwnIt plugin can implement, and nothing else.

Hooks are grouped by the phase of a request's life in which they are called.
Each docstring says when the hook is called, what it receives, what it returns
and whether the first non-``None`` result wins. Implement a hook with
``@ownit.hookimpl`` on a function of the same name.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import pluggy

if TYPE_CHECKING:
    from .departments import Department
    from .desk import Desk
    from .records import Draft, EventSnapshot, NotificationSnapshot, Preview, Reach, RequestSnapshot, TeamInfo

hookspec = pluggy.HookspecMarker("ownit")
hookimpl = pluggy.HookimplMarker("ownit")

F = TypeVar("F", bound=Callable[..., Any])


def pure(function: F) -> F:
    """Mark a hook implementation as a pure rule: it only computes from its
    arguments (no network, files, database or locks). When every rule a raise
    asks is pure, they run in line on the main thread (the command line, the
    sweep) under an interval timer instead of being handed to a hook worker:
    the same time limit (``OWNIT_HOOK_TIMEOUT``), never while a transaction
    is open, so a rule marked pure by mistake that hangs still only refuses
    the request. Put it under ``@ownit.hookimpl``."""
    function.ownit_pure = True  # type: ignore[attr-defined]
    return function


def is_pure(impl: Any) -> bool:
    """Whether the hook implementation ``impl`` is marked :func:`pure`."""
    return bool(getattr(impl.function, "ownit_pure", False))


def reacts_to(*kinds: str) -> Callable[[F], F]:
    """Mark an ``ownit_on_event`` implementation as interested only in events
    of these kinds (``"contacted"``, ``"agreed"`` ...): OwnIt does not call it
    for the others. Put it under ``@ownit.hookimpl``."""
    def mark(function: F) -> F:
        function.ownit_reacts_to = frozenset(kinds)  # type: ignore[attr-defined]
        return function

    return mark


def returns(words: str) -> Callable[[F], F]:
    """Declare, on a hook spec, what each implementation must return, in words
    for the plugin's author; the spec's return annotation is the type every
    answer is checked against (:meth:`ownit.plugins.Plugins.answer`). A hook
    without it is a broadcast whose results are ignored."""
    def mark(spec: F) -> F:
        spec.ownit_returns = words  # type: ignore[attr-defined]
        return spec

    return mark


def wants(impl: Any, kind: str) -> bool:
    """Whether an ``ownit_on_event`` implementation is to hear of ``kind`` (see :func:`reacts_to`)."""
    kinds = getattr(impl.function, "ownit_reacts_to", None)
    return kinds is None or kind in kinds


# --- start-up -------------------------------------------------------------------


@hookspec
def ownit_register_departments(register: Callable[[Department], None]) -> None:
    """Contribute departments.

    Called once, when the desk loads its plugins.

    :param register: call it once per :class:`ownit.Department` the plugin
        supplies. A department or request type key another plugin already
        registered is refused with a problem naming both plugins (``ownit
        departments`` shows it); the first registration stays.
    :return: nothing; results are ignored.
    """


# --- intake ---------------------------------------------------------------------


@hookspec
@returns("a list of messages (str) or None")
def ownit_validate_request(request_type: str, fields: dict[str, Any], now: datetime) -> list[str] | None:
    """Check a request's fields beyond their declared kinds.

    Called while a request is raised, after each field was parsed and before
    anything is written, and again with the whole form when the requester or
    the team changes answers (``ownit answer``); every plugin is asked.

    :param request_type: the request type key, e.g. ``"facilities.leak"``.
    :param fields: the parsed field values, by field key.
    :param now: the desk's clock (UTC), for rules like "not in the future";
        leave it out if the rule does not need it.
    :return: messages for the requester, one per problem (each should name the
        field); an empty list or ``None`` when the plugin is content. Any message
        rejects the request and nothing is stored.
    """


@hookspec(firstresult=True)
@returns("a priority (str: urgent, high, normal or low) or None")
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    """Decide a request's priority from its fields.

    Called while a request is raised, after validation, and again with the
    whole form when the requester or the team changes answers (``ownit
    answer``, the card's "Change an answer"): a different answer moves the
    request to that priority, its promise worked out again for it, on the
    timeline (``priority_changed``), and the other side is told. Only a
    priority the type can reach may be given. First result wins.

    :param request_type: the request type key.
    :param fields: the parsed field values.
    :return: one of ``"urgent"``, ``"high"``, ``"normal"``, ``"low"``, or ``None``
        for no opinion (the request type's default priority then applies).
    """


# --- ownership ------------------------------------------------------------------


@hookspec(firstresult=True)
@returns("a team key (str) or None")
def ownit_route(request: Draft, teams: list[TeamInfo]) -> str | None:
    """Choose the team that will own a new request.

    Called while a request is raised, before the owner is picked from the
    team. First result wins. Asked of the plugin that registered the
    request's department and of plugins that register no department (rules
    for all of them); another department's plugin is not asked.

    :param request: the request being raised (type, fields, site, region, requester).
    :param teams: the teams of the request's department.
    :return: the key of one of ``teams``, or ``None`` for no opinion (the
        standard rule then picks the department's team covering the site's region).
    """


@hookspec(firstresult=True)
@returns("a list of skills (str) or None")
def ownit_required_skills(request_type: str, fields: dict[str, Any]) -> list[str] | None:
    """Decide the skills the owner of a new request needs, from its fields.

    Called while a request is raised, before the owner is chosen. First result wins.

    :param request_type: the request type key, e.g. ``"it.broken_kit"``.
    :param fields: the parsed field values.
    :return: the skills (a till needs ``"pos"``, a router ``"network"``), or
        ``None`` for no opinion (the request type's declared skills then apply).
    """


@hookspec(firstresult=True)
@returns("an email (str) or None")
def ownit_choose_owner(request: Draft, team: TeamInfo) -> str | None:
    """Choose the person in the routed team who will own a new request.

    Called while a request is raised, after routing, before the standard choice
    (fewest open requests among available, skilled members). First result wins.
    Asked of the plugin that registered the request's department and of
    plugins that register no department; another department's plugin is not
    asked.

    :param request: the request being raised.
    :param team: the team, with its members' skills, what they cover and
        whether each is available now.
    :return: the email of a member or the lead of ``team``, or ``None`` for no
        opinion. A person who is not in the team, is away or is at capacity is
        not given the request: the standard choice applies.
    """


# --- work -----------------------------------------------------------------------


@hookspec
def ownit_on_event(request: RequestSnapshot, event: EventSnapshot, desk: Desk) -> None:
    """React to something that happened to a request.

    Called after the change is committed, once per event, for every plugin. A
    plugin that raises never undoes or blocks the change: the failure is
    recorded on the request's timeline (internal) and reported.

    :param request: the request as it is after the change.
    :param event: the timeline event: ``event.kind`` (``raised``,
        ``contacted``, ``agreed``, ``resolved`` ... every kind is in the event
        reference), who acted, the note, and ``event.event``, the typed event
        of :mod:`ownit.events` with its fields (``event.event.agreed_by`` is a
        ``date``); ``event.data`` holds the same as stored JSON.
    :param desk: the desk, for follow-up actions through :mod:`ownit.service`
        (for example ``service.add_note(desk, request.ref, actor=ownit.SYSTEM, note=...)``:
        the note is OwnIt's; an actor of ``None`` is refused, as it is from any edge).
        It is the desk the edge opened: on the command line's and the UI's
        (``desk.brief``) an action answers with the request's line, not its
        whole view; ask ``service.show`` for that.
        Take only the parameters you need: ``desk`` may be left out.
    :return: nothing; results are ignored.
    """


@hookspec
@returns("True, False or None")
def ownit_notify(notification: NotificationSnapshot) -> bool | None:
    """Deliver a notification through a channel (mail, chat, SMS ...).

    Called after commit for each new notification in the outbox, or by
    ``ownit sweep`` when one held for the recipient's quiet hours or morning
    digest is due; the channel plugins the recipient's preferences allow
    (a plugin's name is its channel's) and that reach them
    (:func:`ownit_reach`) are asked. The notification stays in the
    outbox (the UI's inbox) whatever the plugins do. When a channel fails
    (raises, or hangs) and none took it, the sweep offers it again with
    backoff (five attempts in all, then a dead letter an admin can retry), so
    a channel that was down catches up; a plugin may therefore see the same
    notification more than once, and ``notification.id`` tells it so.

    :param notification: who is told, about which request, what: ``kind``,
        ``data`` (the notice of :mod:`ownit.notices` as data: the request, who,
        what changed, what is wanted, when, with the time zone to show it in;
        a morning digest's ``sections``), laid out for a channel as
        ``subject``, ``message`` (plain text) and ``html`` (user text
        escaped); where to reach them (``recipient_chat``, and the request's
        ``team_chat``), and signed tokens to hand back without signing in
        (``reply_token``, ``rate_token``).
    :return: ``True`` when the plugin delivered it; ``None`` when it is not
        for this channel (not configured, a person who does not use it), which
        is never retried. A failure is raised: it is recorded and reported,
        never raised to the person acting, and offered again by the sweep.
    """


@hookspec
@returns("a Preview or None")
def ownit_preview(notification: NotificationSnapshot) -> Preview | None:
    """Show a notification as this channel sends it (or sent it).

    Called when someone opens the UI's "Sent to you" view, for each of their
    latest notifications, so that they see each message as it looks in their
    mail or chat. Lay it out exactly as :func:`ownit_notify` would, without
    sending anything; every channel is asked.

    :param notification: as :func:`ownit_notify` receives it.
    :return: a :class:`~ownit.records.Preview`, or ``None`` when this channel
        would not send it (not configured, no address for the recipient).
    """


@hookspec
@returns("a Reach or None")
def ownit_reach() -> Reach | None:
    """Say whom this channel can reach, so that a notification it would
    decline (``None`` from :func:`ownit_notify`) is not offered to it at all.

    Called once per desk, before its first action that may notify anyone. A
    notification that none of its recipient's channels reaches (by their
    preferences and these answers) is written as done: it is in their inbox,
    and nothing is sent or retried. A channel that does not answer (no
    implementation, ``None``, a failure) is offered every notification its
    recipients' preferences allow.

    :return: a :class:`~ownit.records.Reach`: the recipient's address the
        channel sends to (``"email"``, ``"chat"``, ``"phone"``; ``None`` when
        it reaches no one, as a channel with no server configured), and the
        notices it also posts to the request's team's channel.
    """
