"""Changing a request's answers after the raise: "cordoned off: yes".

The requester, or the team working it, changes some answers of the form
while the request is not closed. The whole form is checked again as at the
raise (a follow-up no longer asked goes with its question), and the
department's checks and priority rule (``ownit_validate_request``,
``ownit_priority``) are asked again of it, before the transaction, as a raise
asks them. In the one unit of work of every action (:func:`.work.acting`):
the answers are stored and put on the timeline in the form's words; a new
priority moves each promise still owed by the difference between the old
promise and the new (first contact if not made, the next check-in, the
resolve date unless one was agreed), the stages are forecast again, and the
change is on the timeline; the other side is told — the owner when the
requester changed them, the requester when the team did — with the new
priority and resolve date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import events, notices
from ..calendar import BusinessCalendar
from ..departments import FILE_KINDS, Duration, Promise, RequestType
from ..errors import Conflict, PluginError, ValidationError
from ..actors import Actor
from ..store import unit as store
from .access import NOTE_MAX, visible
from .owners import priority_of
from .work import Act, acting
from .reactions import transaction


def change_answers(desk: Any, ref: str, *, actor: Actor, answers: dict[str, Any], note: str | None = None,
                   key: str | None = None) -> dict[str, Any]:
    """Change some of ``ref``'s answers (``{"cordoned": "yes"}``; ``""``
    clears one), as its requester or someone who may work it; returns the
    request's view."""
    if not answers:
        raise ValidationError("no answer given; give each answer that changed, like --field cordoned=yes")

    def read(u: store.Unit) -> tuple[dict[str, Any], RequestType | None]:
        req, _, rtype = visible(u, ref, u.person(actor))
        return dict(req.fields or {}), rtype

    before, rtype = store.run(desk, read, write=False)
    if rtype is None:
        raise PluginError(f"the plugin for {ref}'s request type is not installed, so its form is unknown")
    sent = next((f for f in rtype.fields if f.kind in FILE_KINDS and f.key in answers), None)
    if sent is not None:
        raise ValidationError.about(sent.key, f"{sent.label} ({sent.key}) is answered with the file sent when it "
                                              f"was raised; send another with 'ownit attach {ref} FILE'",
                                    "is answered when it is raised")
    after = rtype.with_answers(before, answers)
    changes = {k: [before.get(k), after.get(k)] for k in dict.fromkeys([*before, *after])
               if before.get(k) != after.get(k)}
    priority = priority_of(desk, rtype, after, desk.now())
    said = said_of(rtype, changes)
    told = (f"{said} — {note.strip()}" if note and note.strip() else said) or "no change"

    def change(act: Act) -> None:  # not reached by a repeated submission (``key``): that changes nothing
        req = act.req
        if not changes:
            raise ValidationError(f"{req.ref} already has those answers; nothing changed")
        if dict(req.fields or {}) != before:
            raise Conflict(f"{req.ref}'s answers were changed by someone else meanwhile; look at them again "
                           f"('ownit show {req.ref}') and change what is still wrong")
        req.fields = after
        act.record(events.AnswersChanged(changes=changes))
        moved = priority if priority != req.priority else ""
        if moved:
            previous, promised = req.priority, act.promise
            req.priority = priority
            repromise(act, promised, act.promise)
            act.record(events.PriorityChanged(from_priority=previous, to_priority=priority, resolve_by=req.resolve_by),
                       note=f"{previous} → {priority}")
        notice = notices.AnswersChanged(ref=req.ref, title=req.title, by=act.person.name, changes=said,
                                        note=(note or "").strip()[:NOTE_MAX], priority=moved,
                                        due=req.resolve_by.isoformat() if moved else None, zone=act.calendar.timezone)
        if act.person.id == req.requester_id:
            act.tell(req.owner_id, notice)
        else:
            act.tell_requester(notice)

    return transaction(desk, acting(ref, actor=actor, action="answer", note=told[:NOTE_MAX], key=key,
                                    change=change, who="party", whole=True))  # its line says the new promise


def said_of(rtype: RequestType, changes: dict[str, list[Any]]) -> str:
    """The changes in the form's words: "Is it cordoned off? no → yes"."""
    fields = {f.key: f for f in rtype.fields}
    return "; ".join(f"{fields[k].label} {fields[k].shown(old) if old is not None else '—'} → "
                     f"{fields[k].shown(new) if new is not None else '—'}" for k, (old, new) in changes.items())


def repromise(act: Act, before: Promise | None, after: Promise | None) -> None:
    """The request's promises still owed moved by the difference between
    ``before`` and ``after`` (a promise's spans): the time already paused or
    waited is kept, and a shorter promise can already be due."""
    req, calendar = act.req, act.calendar
    if before is None or after is None:
        return
    if req.first_contact_at is None:
        req.first_contact_due = _moved(calendar, req.first_contact_due, before.first_contact_within,
                                       after.first_contact_within)
    elif before.checkin_every and after.checkin_every and req.next_checkin_due is not None:
        req.next_checkin_due = _moved(calendar, req.next_checkin_due, before.checkin_every, after.checkin_every)
    else:  # a cadence begun or ended: from the last word with the requester
        since = req.last_checkin_at or req.first_contact_at
        req.next_checkin_due = calendar.add(since, after.checkin_every) if after.checkin_every else None
    if req.agreed_by is None:  # a date agreed with the requester stands
        req.resolve_by = _moved(calendar, req.resolve_by, before.resolve_within, after.resolve_within)
    act.reforecast()


def _moved(calendar: BusinessCalendar, due: datetime, old: Duration, new: Duration) -> datetime:
    difference = calendar.to_span(new) - calendar.to_span(old)
    if difference >= timedelta(0):
        return calendar.add(due, difference)
    return calendar.before(due, -difference)
