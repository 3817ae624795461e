"""The lifecycle of a request, as pure rules: values in, values out.

``open`` → (``waiting`` on the requester ↔ ``open``) → ``resolved`` → ``closed``
on the requester's confirmation; ``resolved`` → ``open`` on reopen, and
``closed`` → ``open`` too while the reopen window is still open. First
contact must come before any work; handoff is possible until the request is
closed. This is the only place a request's status, stage or owner changes:
the service applies these moves and stores what they return. Nothing here
knows about databases or screens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import Conflict, ValidationError

OPEN, WAITING, RESOLVED, CLOSED = "open", "waiting", "resolved", "closed"
STATUSES = (OPEN, WAITING, RESOLVED, CLOSED)
ACTIVE = (OPEN, WAITING)  # still being worked; the owner's promises run

ACTIONS = ("contact", "checkin", "advance", "wait", "resume", "handoff", "resolve", "confirm", "reopen")
SYSTEM_ACTIONS = ("close",)  # OwnIt's own moves: closing a resolved request nobody confirmed
# How a message says each action to be done to a request ("cannot check in on FAC-1001: ...").
SAID = {"contact": "record first contact on", "checkin": "check in on", "advance": "move on", "wait":
        "wait on the requester of", "resume": "resume", "handoff": "hand off", "resolve": "resolve",
        "confirm": "confirm", "reopen": "reopen", "close": "close", "answer": "change the answers of",
        "contractor": "book a contractor for"}


@dataclass(frozen=True)
class State:
    """What the rules need to know about a request."""

    status: str
    contacted: bool
    stage: int  # index into the request type's stages
    stages: int  # how many stages the request type has
    owner: str  # never empty
    reopenable: bool = False  # closed, but recently enough that the requester may still reopen it

    @property
    def last_stage(self) -> int:
        return self.stages - 1


def _why_not(state: State, action: str) -> str | None:
    """``None`` when ``action`` is allowed in ``state``, else the reason."""
    status = state.status
    if action == "answer":  # the form's answers change until the request is closed
        return "it is closed (reopen it first)" if status == CLOSED else None
    if action == "contractor":  # a contractor is booked, changed or let go while the work goes on
        return None if status in ACTIVE else f"it is {status} (reopen it first)"
    if action == "close":
        return None if status == RESOLVED else "only a resolved request closes on its own"
    if status == CLOSED:
        if action == "reopen":
            return None if state.reopenable else "it was closed too long ago (raise a new request)"
        return "it is closed"
    if action == "handoff":
        return None
    if action == "confirm":
        return None if status == RESOLVED else "it has not been resolved yet"
    if action == "reopen":
        return None if status == RESOLVED else "only a resolved or recently closed request can be reopened"
    if status == RESOLVED:
        return "it is resolved (reopen it first)"
    if action == "contact":
        if state.contacted:
            return "first contact was already made"
        return "it is waiting on the requester (resume it first)" if status == WAITING else None
    if not state.contacted:
        return "first contact has not been made yet"
    if action == "checkin":
        return None
    if action == "resume":
        return None if status == WAITING else "it is not waiting on the requester"
    if status == WAITING:
        return "it is waiting on the requester (resume it first)"
    if action == "advance":
        return "it is already at its last stage" if state.stage >= state.last_stage else None
    if action in ("wait", "resolve"):
        return None
    raise ValueError(f"unknown action {action!r}")


def allowed(state: State) -> list[str]:
    """The actions possible from ``state``, in workflow order."""
    return [action for action in ACTIONS if _why_not(state, action) is None]


def check(state: State, action: str, ref: str = "the request") -> None:
    """Raise :class:`Conflict` naming the allowed moves if ``action`` is illegal."""
    reason = _why_not(state, action)
    if reason is not None:
        options = ", ".join(allowed(state)) or "nothing"
        raise Conflict(f"cannot {SAID[action]} {ref}: {reason}; possible now: {options}")


def apply(state: State, action: str, *, to_stage: int | None = None, new_owner: str | None = None,
          ref: str = "the request") -> State:
    """The state after ``action``; raises if the action is illegal."""
    check(state, action, ref)
    if action == "contact":
        return replace(state, contacted=True)
    if action == "checkin":
        return state
    if action == "advance":
        target = state.stage + 1 if to_stage is None else to_stage
        if not state.stage < target <= state.last_stage:
            raise ValidationError(f"cannot move {ref} on to that stage: pick a later stage than the current one")
        return replace(state, stage=target)
    if action == "wait":
        return replace(state, status=WAITING)
    if action == "resume":
        return replace(state, status=OPEN)
    if action == "handoff":
        if not new_owner:
            raise ValidationError(f"a handoff of {ref} needs the person who takes it over")
        if new_owner == state.owner:
            raise ValidationError(f"{ref} is already owned by that person")
        return replace(state, owner=new_owner)
    if action == "resolve":
        return replace(state, status=RESOLVED, stage=state.last_stage)
    if action in ("confirm", "close"):
        return replace(state, status=CLOSED)
    if action == "reopen":
        restored = state.stage if to_stage is None else to_stage
        return replace(state, status=OPEN, stage=min(restored, state.last_stage), reopenable=False)
    raise ValueError(f"unknown action {action!r}")
