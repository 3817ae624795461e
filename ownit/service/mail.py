"""Replies by email: a person answers a notification from their mail client
and the answer is on the request's timeline, as theirs.

Every mail OwnIt sends carries a signed reply token (:mod:`ownit.tokens`,
purpose ``reply``) naming the request and the person it was sent to. A channel
plugin that reads the replies (``ownit mail ingest``, in ``ownit-email``)
hands each one here with the token it was sent to, who sent it and its text.
The rules are OwnIt's, the same as in the UI and the CLI: the reply is the
existing action that person could take —

- the requester answering while the request waits on them **resumes** it;
- a closed request still within its reopen period is **reopened**
  (:data:`ownit.promises.REOPEN_WITHIN`);
- otherwise it is a **note**: the requester's and the owner's are seen by
  the requester, anyone else's of the team (a lead answering an escalation)
  is internal;

and whatever that action refuses (a team member who has left the team, a
request closed too long ago) is refused here too. A mail is acted on once:
its ``Message-ID`` is kept in the same transaction, so a second delivery of
it changes nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import domain, tokens
from ..errors import OwnitError, ValidationError, typed
from ..store import mail, requests
from ..store import unit as store
from .access import NOTE_MAX, text as typed_text
from .reactions import Later, transaction
from .reads import state
from .work import acting, noting, reopened, resumed

MESSAGE_ID_MAX = 255


class Refused(OwnitError):
    """A reply OwnIt does not act on; the message says why, for the sender.
    ``reason`` names the case for logs: forged, expired, malformed-token,
    unknown-sender, wrong-sender, no-request, closed, not-allowed, empty, unreadable,
    malformed."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def reply_by_mail(desk: Any, *, token: str, sender: str, text: str, message_id: str) -> dict[str, Any]:
    """Act on a reply by email from ``sender`` (the address in its From) to
    the address holding ``token``, saying ``text`` (quotes and signature
    already stripped), identified by ``message_id``.

    Returns ``{"outcome": "noted" | "internal-note" | "resumed" | "reopened"
    | "duplicate", "ref", "by", "request"}`` (``request``: the view, as the
    sender sees it; absent for a duplicate, which changes nothing). Raises
    :class:`Refused` (or the action's own error) when nothing was added."""
    key = _key(message_id)
    try:
        reply = typed_text(text, "your reply", limit=NOTE_MAX, required=True)
    except ValidationError as exc:
        raise Refused(str(exc), "empty" if not (text or "").strip() else "unreadable") from None
    try:
        request_id, person_id = tokens.signer(desk).read("reply", token, desk.now())[:2]
    except tokens.BadToken as exc:
        reason = "malformed-token" if exc.reason == "malformed" else exc.reason
        raise Refused(f"{exc}; answer from the latest OwnIt email about the request, or use OwnIt itself",
                      reason) from None
    except ValueError:
        raise Refused("this is not an OwnIt reply address; answer from an OwnIt email", "malformed-token") from None

    def work(u: store.Unit) -> Any:
        org = u.directory
        from_address = sender.strip().lower()
        person = org.people_by_email.get(from_address) if typed(from_address) else None
        if person is None:
            raise Refused(f"{sender} is not the address of anyone in OwnIt; reply from the address OwnIt wrote to",
                          "unknown-sender")
        if person.id != person_id:
            raise Refused(f"this reply address was given to someone else, not to {sender}; reply only to "
                          "OwnIt emails sent to you", "wrong-sender")
        req = requests.get(u, request_id)
        if req is None:
            raise Refused("the request this address was made for is no longer in OwnIt", "no-request")
        if not mail.first_time(u, key, req.id, person.id):  # kept with what it did: a refusal below undoes it
            return {"outcome": "duplicate", "ref": req.ref, "by": person.email}
        team = org.teams[req.team_id]
        rtype = u.desk.plugins.request_types.get(req.request_type)
        if req.status == domain.CLOSED and not state(req, rtype, team, u.now).reopenable:
            raise Refused(f"{req.ref} was closed on {team.business_calendar.local(req.closed_at):%d %b %Y} and can "
                          "no longer be reopened; raise a new request in OwnIt", "closed")
        if req.status == domain.WAITING and person.id == req.requester_id:
            outcome, act = "resumed", acting(req.ref, actor=person.email, action="resume", note=reply,
                                             change=resumed, who="party")
        elif req.status == domain.CLOSED:
            outcome, act = "reopened", acting(req.ref, actor=person.email, action="reopen", note=reply,
                                              change=reopened, who="party")
        else:
            internal = person.id not in (req.requester_id, req.owner_id)
            outcome = "internal-note" if internal else "noted"
            act = noting(req.ref, actor=person.email, note=reply, internal=internal)
        done = act(u)
        return Later(lambda: {"outcome": outcome, "ref": req.ref, "by": person.email, "request": done.draw()})

    try:
        return transaction(desk, work)
    except (Refused, tokens.BadToken):
        raise
    except OwnitError as exc:  # what the action itself refuses: the sender is told the same
        raise Refused(str(exc), "not-allowed") from None


def _key(message_id: str) -> str:
    """What a mail is known by: its ``Message-ID``, or a digest of one too
    long (or too odd) to keep as it is."""
    found = (message_id or "").strip()
    if not found:
        raise Refused("the mail has no Message-ID", "malformed")
    if len(found) > MESSAGE_ID_MAX or not typed(found):
        return "sha256:" + hashlib.sha256(found.encode("utf-8", "surrogateescape")).hexdigest()
    return found
