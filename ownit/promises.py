"""What the owner promised, and whether it is being kept: pure rules over
values (no database), used by the service, the sweep and every view.

The promise card is built here once; the CLI's ``ownit show`` and the UI render
the same dictionary.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Sequence

from .calendar import BusinessCalendar
from .departments import Duration, Promise, Stage

DUE_SOON = timedelta(hours=2)  # business time before a due time when the owner is nudged (at most; see soon_within)
ESCALATE_AFTER = timedelta(hours=2)  # business time past a due time before the lead is told
AUTO_CLOSE_AFTER = "5d"  # a resolved request the requester has not confirmed closes after this quiet spell
REOPEN_WITHIN = "5d"  # after closing, the fix may still be found wanting: reopen rather than raise anew

MET, MISSED, ON_TRACK, DUE_SOON_STATE, OVERDUE, PAUSED = "met", "missed", "on track", "due soon", "overdue", "paused"


def stage_forecast(calendar: BusinessCalendar, start: datetime, stages: Sequence[Stage],
                   resolve_by: datetime) -> dict[str, str]:
    """Each stage's expected instant: the typical business days of the stages up
    to it, counted from ``start`` — squeezed in proportion when they add up to
    more than the promise allows, so that no stage is expected after ``resolve_by``."""
    total = sum(stage.days for stage in stages)
    allowed = calendar.between(start, resolve_by)
    scale = min(1.0, allowed / (calendar.day_length * total)) if total else 1.0
    targets, days = [], 0.0
    for stage in stages:
        days += stage.days
        targets.append(calendar.day_length * days * scale)
    return {stage.key: min(at, resolve_by).isoformat()
            for stage, at in zip(stages, calendar.add_each(start, targets), strict=True)}


def next_due(*, status: str, contacted: bool, first_contact_due: datetime, next_checkin_due: datetime | None,
             resolve_by: datetime, linked: bool = False) -> datetime | None:
    """The earliest promise still owed: what the queue sorts on and the sweep
    scans. ``None`` while the clock is paused, nothing is owed, or the request
    is ``linked`` to an incident, whose promise stands in for its own."""
    if status != "open" or linked:
        return None
    owed = [next_checkin_due if contacted else first_contact_due, resolve_by]
    return min(d for d in owed if d is not None)


def next_due_of(req: Any) -> datetime | None:
    """:func:`next_due` of a request's stored columns."""
    return next_due(status=req.status, contacted=req.first_contact_at is not None,
                    first_contact_due=req.first_contact_due, next_checkin_due=req.next_checkin_due,
                    resolve_by=req.resolve_by, linked=req.incident_id is not None)


def soon_within(calendar: BusinessCalendar, window: Duration | None) -> timedelta:
    """How much business time before its due time a promise is *due soon*:
    :data:`DUE_SOON`, or half the promise's ``window`` (first contact within,
    check in every, resolve within) when that is shorter. So an urgent first
    contact within the hour is on track when it is raised and due soon for its
    last half hour, not from its first minute; a day's promise is due soon for
    its last two business hours. The card's badge and the sweep's nudge both
    ask this, so they never disagree."""
    return DUE_SOON if window is None else min(DUE_SOON, calendar.to_span(window) / 2)


def is_due_soon(calendar: BusinessCalendar, due: datetime, now: datetime, window: Duration | None) -> bool:
    """Not yet due, and within :func:`soon_within` of business time of ``due``."""
    soon = soon_within(calendar, window)
    return now <= due and calendar.between(now, due, past=soon) <= soon


def state_of(calendar: BusinessCalendar, due: datetime | None, now: datetime, *,
             done_at: datetime | None = None, paused: bool = False, window: Duration | None = None) -> str | None:
    """``met``/``missed`` once done, else ``paused``, ``overdue``, ``due soon``
    (:func:`is_due_soon`, ``window`` being the promise's span) or ``on track``."""
    if due is None:
        return None
    if done_at is not None:
        return MET if done_at <= due else MISSED
    if paused:
        return PAUSED
    if now > due:
        return OVERDUE
    if is_due_soon(calendar, due, now, window):
        return DUE_SOON_STATE
    return ON_TRACK


def window(promise: Promise | None, key: str) -> Duration | None:
    """The span of one of ``promise``'s promises by its key (``first_contact``,
    ``checkin``, ``resolve``); ``None`` without a promise (its plugin is gone)."""
    if promise is None:
        return None
    return {"first_contact": promise.first_contact_within, "checkin": promise.checkin_every,
            "resolve": promise.resolve_within}[key]


def escalation_due(calendar: BusinessCalendar, due: datetime, now: datetime) -> bool:
    """Past the grace period after ``due``: time to tell the lead."""
    return now > due and calendar.between(due, now, past=ESCALATE_AFTER) >= ESCALATE_AFTER


def shift(calendar: BusinessCalendar, moment: datetime | None, paused: timedelta) -> datetime | None:
    """``moment`` moved on by ``paused`` business time (the clock stood still)."""
    return calendar.add(moment, paused) if moment is not None and paused else moment


def _when(calendar: BusinessCalendar, moment: datetime | None) -> str:
    return calendar.local(moment).strftime("%a %d %b %H:%M") if moment else "—"


def promise_card(*, calendar: BusinessCalendar, now: datetime, promise: Promise | None, stages: Sequence[Stage],
                 stage: str, status: str, owner: dict[str, Any], team_name: str,
                 first_contact_due: datetime, first_contact_at: datetime | None,
                 next_checkin_due: datetime | None, resolve_by: datetime, resolved_at: datetime | None,
                 stage_due: dict[str, str], needed_by: date | None, needs_agreement: bool,
                 agreed_by: date | None, waiting_since: datetime | None, waiting_for: str | None) -> dict[str, Any]:
    """Everything the requester is promised, with the live state of each promise."""
    paused = status == "waiting"
    finished = status in ("resolved", "closed")
    position = next((i for i, s in enumerate(stages) if s.key == stage), 0)
    checkin_state = None
    if first_contact_at is not None and not finished:
        checkin_state = state_of(calendar, next_checkin_due, now, paused=paused, window=window(promise, "checkin"))
    states = {
        "first_contact": state_of(calendar, first_contact_due, now, done_at=first_contact_at, paused=paused,
                                  window=window(promise, "first_contact")),
        "checkin": checkin_state,
        "resolve": state_of(calendar, resolve_by, now, done_at=resolved_at, paused=paused,
                            window=window(promise, "resolve")),
    }
    forecast = [
        {"key": s.key, "label": s.label, "expected": stage_due.get(s.key), "reached": i <= position,
         "current": i == position, "requester_action": s.requester_action,
         "late": i > position and not finished and bool(stage_due.get(s.key))
         and datetime.fromisoformat(stage_due[s.key]) < now}
        for i, s in enumerate(stages)
    ]
    actions = [
        {"stage": f["key"], "label": f["label"], "action": f["requester_action"], "by": f["expected"],
         "done": f["reached"] and not f["current"], "now": f["current"] and not finished}
        for f in forecast if f["requester_action"]
    ]
    card = {
        "first_contact_due": first_contact_due.isoformat(),
        "first_contact_at": first_contact_at.isoformat() if first_contact_at else None,
        "next_checkin_due": next_checkin_due.isoformat() if next_checkin_due else None,
        "resolve_by": resolve_by.isoformat(),
        "first_contact_within": _span(calendar, promise.first_contact_within) if promise else None,
        "checkin_every": _span(calendar, promise.checkin_every) if promise and promise.checkin_every else None,
        "resolve_within": _span(calendar, promise.resolve_within) if promise else None,
        "clock": calendar.describe(),  # the hours the promises count: "around the clock", "MO-FR 09:00-17:00 …"
        "needed_by": needed_by.isoformat() if needed_by else None,
        "needs_agreement": needs_agreement,
        "agreed_by": agreed_by.isoformat() if agreed_by else None,
        "states": states,
        "stages": forecast,
        "requester_actions": actions,
        "waiting": {"since": waiting_since.isoformat() if waiting_since else None, "for": waiting_for or ""}
        if paused else None,
    }
    card["summary"] = _summary(card, calendar=calendar, owner=owner, team_name=team_name, status=status,
                               first_contact_due=first_contact_due, first_contact_at=first_contact_at,
                               next_checkin_due=next_checkin_due, resolve_by=resolve_by)
    return card


def _span(calendar: BusinessCalendar, duration: Duration) -> str:
    """"30 business minutes", or "30 minutes" on a clock that never stops."""
    said = str(duration)
    return said.replace("business ", "") if calendar.is_around_the_clock else said


def _every(span: str) -> str:
    """"every business day" rather than "every 1 business day"."""
    return f"every {span[2:] if span.startswith('1 ') else span}"


def _summary(card: dict[str, Any], *, calendar: BusinessCalendar, owner: dict[str, Any], team_name: str,
             status: str, first_contact_due: datetime, first_contact_at: datetime | None,
             next_checkin_due: datetime | None, resolve_by: datetime) -> str:
    """The promise in one paragraph, as the requester reads it."""
    who = f"{owner['name']} ({owner['title'] + ', ' if owner.get('title') else ''}{team_name}) owns this."
    first = owner["name"].split()[0]
    parts = [who]
    if status == "closed":
        return f"{who} It is closed."
    if status == "resolved":
        return f"{who} {first} has resolved it: please confirm the fix, or reopen it if it is not right."
    if status == "waiting":
        parts.append(f"It is waiting on you: {card['waiting']['for']}" if card["waiting"]["for"]
                     else "It is waiting on you.")
    if first_contact_at is None:
        goal = f"Their goal is to contact you by {_when(calendar, first_contact_due)}"
        if card["checkin_every"]:
            goal += f", then check in with you {_every(card['checkin_every'])} until it is resolved"
        parts.append(goal + ".")
    elif card["checkin_every"] and next_checkin_due is not None and status == "open":
        parts.append(f"Next check-in by {_when(calendar, next_checkin_due)} "
                     f"({_every(card['checkin_every'])} until it is resolved).")
    if card["needs_agreement"]:
        parts.append(f"You need it by {card['needed_by']}, earlier than the standard "
                     f"{_when(calendar, resolve_by)}: {first} will agree a date with you at first contact.")
    else:
        target = f"the date agreed with you, {card['agreed_by']}" if card["agreed_by"] else _when(calendar, resolve_by)
        parts.append(f"Resolve by {target}.")
    pending = [a for a in card["requester_actions"] if not a["done"]]
    if pending and pending[0]["now"]:  # the stage it is at asks it of the requester: now, not at a date
        from .notices import sentence

        parts.append(f"Your part now: {sentence(pending[0]['action'])}")
    elif pending:
        nxt = pending[0]
        parts.append(f"Your part: {nxt['action']} (at '{nxt['label']}', expected "
                     f"{_when(calendar, datetime.fromisoformat(nxt['by'])) if nxt['by'] else 'later'}).")
    return " ".join(parts)
