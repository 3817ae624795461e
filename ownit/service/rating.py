"""Rating without signing in: the link in a resolved or quietly closed request's mail.

The mail that tells the requester their request was resolved (``Resolved``)
or closed after a quiet spell (``ClosedQuietly``) carries a signed rating
token (:mod:`ownit.tokens`, purpose ``rate``) naming that notification. Whoever
opens the link may rate the service once — NPS 0–10, effort 1–7, a comment —
as the requester it was sent to, within the token's lifetime
(``LIFETIMES["rate"]``). The rating is a ``feedback`` row like one given when
confirming in the app, so service health counts it against the request's
owner, and a ``rated`` event on the timeline.

One rating per resolution: a link records once (``feedback.notification_id``
is unique, so two submissions racing cannot both record), and a resolution
already rated — through either of its mails' links or when confirming in the
app — is not rated again: the link says so and thanks them. A link for a
resolution that is no longer the request's (reopened since, or resolved
again) is refused with one line, as are forged, changed and expired links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from .. import domain, events, tokens
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..store import outbox, ratings, requests, timeline
from ..store import unit as store
from ..store.requests import RequestRow
from .access import rating
from .reactions import RATE_AFTER, transaction


def rated_on(entries: Iterable[timeline.Entry]) -> datetime | None:
    """When the request's latest resolution was rated (through a rating link,
    or when it was confirmed with a score or a comment), or ``None``."""
    rated = None
    for entry in entries:
        event = entry.event
        if isinstance(event, events.RESOLUTIONS):
            rated = None
        elif isinstance(event, events.Rated) or (isinstance(event, events.Confirmed) and (
                event.nps is not None or event.effort is not None or entry.note)):
            rated = entry.at
    return rated


@dataclass
class _Link:
    """What a rating link names, read in one unit: the request and what the page may show."""

    req: RequestRow
    page: dict[str, Any]
    given: tuple[int | None, int | None, str] | None = None  # (nps, effort, comment) through this link, if used


def _notification_id(desk: Any, token: str) -> int:
    """The notification a rating token names; :class:`ownit.tokens.BadToken` if
    it is forged, changed or expired. Reads the key before any unit begins."""
    numbers = tokens.signer(desk).read("rate", token or "", desk.now())
    if len(numbers) != 1:
        raise tokens.BadToken("this is not an OwnIt rating link", "malformed")
    return numbers[0]


def _open(u: store.Unit, note_id: int) -> _Link:
    """The link's request and the page's content (``done``: why there is
    nothing to rate, said kindly); one line for a link that cannot be used."""
    found = outbox.by_ids(u, [note_id])
    if not found:
        raise NotFound("this rating link names nothing OwnIt knows; use the link in your latest mail")
    _, person_id, request_id, _, _, _, _, data, created_at, _ = found[0]
    req = requests.get(u, request_id) if request_id is not None else None
    if req is None or (data or {}).get("notice") not in RATE_AFTER or person_id != req.requester_id:
        raise PermissionDenied("this link is not for rating a request; use the link in the mail that said it "
                               "was resolved or closed")
    org = u.directory
    calendar = org.teams[req.team_id].business_calendar
    entries = timeline.of(u, req.id)
    page: dict[str, Any] = {"ref": req.ref, "title": req.title, "owner": org.people[req.owner_id].name,
                            "team": org.teams[req.team_id].name, "done": None}
    used = ratings.given_through(u, note_id)
    if used is not None:
        page["done"] = f"this link was already used on {calendar.local(used[0]):%d %b %Y}; thank you"
        return _Link(req, page, given=tuple(used[1:]))
    if req.status not in (domain.RESOLVED, domain.CLOSED):
        raise Conflict(f"{req.ref} was reopened after this link was sent; you can rate it once it is resolved again")
    if any(isinstance(e.event, events.RESOLUTIONS) and e.at > created_at for e in entries):
        raise Conflict(f"{req.ref} was resolved again after this link was sent; use the link in the latest mail")
    rated = rated_on(entries)
    if rated is not None:
        page["done"] = f"{req.ref} was already rated on {calendar.local(rated):%d %b %Y}; thank you"
    return _Link(req, page)


def rating_link(desk: Any, token: str) -> dict[str, Any]:
    """What the rating page shows for ``token``: the request's ``ref``,
    ``title``, ``owner`` and ``team`` (names only, nothing internal), and
    ``done``, the line to show instead of the form when it was rated
    already; one line (an :class:`ownit.OwnitError`) for a forged, changed,
    expired or stale link."""
    note_id = _notification_id(desk, token)
    return store.run(desk, lambda u: _open(u, note_id).page, write=False)


def rate_by_link(desk: Any, *, token: str, nps: int | None, effort: int | None,
                 comment: str | None = None) -> dict[str, Any]:
    """Rate the service through a mail's rating link, without signing in: one
    unit of work records the rating against the request (so its owner) and a
    ``rated`` event on its timeline, as the requester the link was sent to.
    Returns the page (:func:`rating_link`) with ``recorded``: ``False`` and
    ``done`` saying so when the link or the resolution was used already
    (nothing is added), and ``repeated`` when the link was used for this very
    rating (a double click, a form sent twice: the same answer, so the same
    thanks). Bad input and bad links change nothing."""
    note_id = _notification_id(desk, token)
    nps, effort, comment_text = rating(nps, effort, comment)
    if nps is None and effort is None and not comment_text:
        raise ValidationError("give a score or a comment; nothing was recorded")

    given = (nps, effort, comment_text)

    def work(u: store.Unit) -> dict[str, Any]:
        link = _open(u, note_id)
        if link.page["done"] is not None:
            return {**link.page, "recorded": False, "repeated": link.given == given}
        req = link.req
        ratings.add(u, req.id, req.requester_id, nps=nps, effort=effort, comment=comment_text,
                    notification_id=note_id)
        timeline.append(u, timeline.Entry(req.id, u.now, events.Rated(nps=nps, effort=effort),
                                          actor_id=req.requester_id, note=comment_text))
        req.updated_at = u.now
        requests.update(u, req)  # moves the version on: a confirmation racing this one is caught
        return {**link.page, "recorded": True, "repeated": False}

    try:
        return transaction(desk, work)
    except Exception as exc:  # another submission got there first: say what it did
        if not isinstance(exc, Conflict) and not store.duplicate(exc):
            raise
        link = store.run(desk, lambda u: _open(u, note_id), write=False)
        if link.page["done"] is None:
            raise
        return {**link.page, "recorded": False, "repeated": link.given == given}
