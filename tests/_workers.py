"""Worker functions for tests/test_concurrency.py.

They run in child processes started with the ``spawn`` context, so they live in
an importable module (not in the test file) and take only picklable arguments.
Each worker opens its own :class:`ownit.desk.Desk` (its own engine and
connections), waits at a barrier so that all workers start together, then
acts and reports what happened through a queue:

``acks``      {ref: {event kind: count}} of calls that returned (acknowledged)
``conflicts`` {category: count} of :class:`ownit.errors.Conflict` raised
``races``     handoffs refused because the target already owned the request
``errors``    anything else, as formatted tracebacks (each one fails the test)
"""

from __future__ import annotations

import random
import traceback
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

LEAD = "helen.price@example.com"  # facilities lead, north: may act on every request of the team
SAM = "sam.doyle@example.com"
PRIYA = "priya.shah@example.com"
AMIRA = "amira.khan@example.com"
LEAK = {"location": "x", "near_electrics": "no"}

# What a successful call appends to the timeline (the lead never owns these
# requests, so a handoff by the lead is recorded as a reassignment).
KIND = {"handoff": "reassigned", "checkin": "checkin", "resolve": "resolved", "reopen": "reopened"}


class TickingClock:
    """A deterministic clock that moves on by a millisecond step at every
    reading, with instants unique across workers (worker ``index`` of ``count``):
    every action happens at its own instant, as with a real clock."""

    def __init__(self, start: datetime, index: int, count: int) -> None:
        self.start, self.index, self.count, self.ticks = start, index, count, 0

    def now(self) -> datetime:
        self.ticks += 1
        return self.start + timedelta(milliseconds=self.ticks * self.count + self.index)


def conflict_category(message: str) -> str:
    text = message.lower()
    if "changed by someone else" in text:
        return "stale"  # the optimistic version check caught a concurrent change
    if "busy" in text or "locked" in text:
        return "busy"  # lock waits exhausted the retries: "database is locked" in disguise
    if text.startswith("cannot "):
        return "lifecycle"  # e.g. a check-in on a request another worker just resolved
    return "other:" + message


def _open(url: str, clock: Any) -> Any:
    from ownit.desk import Desk

    desk = Desk.open(url, clock=clock)
    desk.engine.connect().close()  # connect now
    return desk


def _report(queue: Any, index: int, **result: Any) -> None:
    queue.put({"worker": index, **result})


def hammer(url: str, refs: list[str], index: int, count: int, actions: int, seed: int,
           start_iso: str, barrier: Any, queue: Any) -> None:
    """Handoffs between Sam and Priya (by the lead), check-ins by the lead,
    some resolves and reopens, on the same few requests as the other workers."""
    acks: dict[str, Counter] = defaultdict(Counter)
    conflicts: Counter = Counter()
    races = 0
    errors: list[str] = []
    try:
        from ownit import service
        from ownit.errors import Conflict, ValidationError

        desk = _open(url, TickingClock(datetime.fromisoformat(start_iso), index, count))
        rng = random.Random(seed)
        barrier.wait(timeout=60)
        for step in range(actions):
            ref = rng.choice(refs)
            roll = rng.random()
            action = ("handoff" if roll < 0.50 else "checkin" if roll < 0.82
                      else "resolve" if roll < 0.93 else "reopen")
            try:
                if action == "handoff":
                    owner = service.show(desk, ref, actor=LEAD)["owner"]["email"]
                    target = PRIYA if owner == SAM else SAM
                    service.hand_off(desk, ref, actor=LEAD, to=target, note=f"w{index} step {step}")
                elif action == "checkin":
                    service.check_in(desk, ref, actor=LEAD, note=f"w{index} step {step}")
                elif action == "resolve":
                    service.resolve(desk, ref, actor=LEAD, note=f"w{index} step {step}")
                else:
                    service.reopen(desk, ref, actor=LEAD, note=f"w{index} step {step}")
            except Conflict as exc:
                conflicts[conflict_category(str(exc))] += 1
            except ValidationError as exc:
                # Between reading the owner and handing off, another worker
                # handed the request to the same person: nothing changes.
                if action == "handoff" and "already owned by that person" in str(exc):
                    races += 1
                else:
                    errors.append(f"{action} {ref}: {traceback.format_exc()}")
            except Exception:  # noqa: BLE001 - every other failure is reported to the test
                errors.append(f"{action} {ref}: {traceback.format_exc()}")
            else:
                acks[ref][KIND[action]] += 1
            warnings = desk.take_warnings()
            if warnings:
                errors.append(f"{action} {ref}: plugin warnings {warnings}")
    except Exception:  # noqa: BLE001
        errors.append("worker failed: " + traceback.format_exc())
    _report(queue, index, acks={ref: dict(c) for ref, c in acks.items()}, conflicts=dict(conflicts),
            races=races, errors=errors)


def raise_many(url: str, index: int, count: int, how_many: int, start_iso: str,
               barrier: Any, queue: Any) -> None:
    """Raise ``how_many`` leak requests as Amira, as fast as possible."""
    refs: list[str] = []
    owners: dict[str, str] = {}
    errors: list[str] = []
    try:
        from ownit import service

        desk = _open(url, TickingClock(datetime.fromisoformat(start_iso), index, count))
        barrier.wait(timeout=60)
        for step in range(how_many):
            try:
                view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak",
                                             title=f"leak w{index} #{step}", fields=dict(LEAK))
            except Exception:  # noqa: BLE001 - no error of any kind is expected
                errors.append(traceback.format_exc())
            else:
                refs.append(view["ref"])
                owners[view["ref"]] = view["owner"]["email"]
    except Exception:  # noqa: BLE001
        errors.append("worker failed: " + traceback.format_exc())
    _report(queue, index, refs=refs, owners=owners, errors=errors)


def raise_mystery(url: str, index: int, count: int, mystery_id: int, start_iso: str, barrier: Any,
                  queue: Any) -> None:
    """Raise the mystery request ``mystery_id`` as Tom, together with the others (a double tap on two phones)."""
    from ownit import service
    from ownit.errors import Conflict

    refs: list[str] = []
    conflicts: Counter[str] = Counter()
    errors: list[str] = []
    try:
        desk = _open(url, TickingClock(datetime.fromisoformat(start_iso), index, count))
        barrier.wait(timeout=60)
        try:
            view = service.raise_request(desk, actor="tom.hughes@example.com", request_type="facilities.leak",
                                         title=f"Stockroom drips {index}", fields=dict(LEAK), mystery=mystery_id)
            refs.append(view["ref"])
        except Conflict as exc:
            conflicts[str(exc).split(";")[0]] += 1
    except Exception:  # noqa: BLE001
        errors.append("worker failed: " + traceback.format_exc())
    _report(queue, index, refs=refs, conflicts=dict(conflicts), errors=errors)


def sweep_once(url: str, index: int, at_iso: str, barrier: Any, queue: Any) -> None:
    """Run one escalation sweep at the instant ``at_iso``, together with the others."""
    report: dict[str, Any] = {}
    errors: list[str] = []
    try:
        from ownit import service
        from ownit.clock import FixedClock

        desk = _open(url, FixedClock(datetime.fromisoformat(at_iso)))
        barrier.wait(timeout=60)
        report = service.sweep(desk)
    except Exception:  # noqa: BLE001 - no error of any kind is expected
        errors.append("worker failed: " + traceback.format_exc())
    _report(queue, index, report=report, errors=errors)


def submit_at_once(url: str, action: str, ref: str | None, key: str, index: int, start_iso: str,
                   barrier: Any, queue: Any) -> None:
    """Send one submission with ``key`` at the same moment as the other
    workers (the same check-in, or the same raise, as from a double click)."""
    result: dict[str, Any] = {"errors": []}
    try:
        from ownit import service

        desk = _open(url, TickingClock(datetime.fromisoformat(start_iso), index, 1))
        barrier.wait(timeout=60)
        if action == "raise":
            view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak by the door",
                                         fields=dict(LEAK), key=key)
        else:
            view = service.check_in(desk, ref, actor=LEAD, note="Roofer booked", key=key)
        result.update(ref=view["ref"], repeated=view["repeated"])
    except Exception:  # noqa: BLE001 - no error of any kind is expected
        result["errors"].append(traceback.format_exc())
    _report(queue, index, **result)


RAJ = "raj.patel@example.com"  # the IT lead, who owns the incident


def incident_step(url: str, steps: list[tuple[str, str, dict[str, Any]]], index: int, start_iso: str,
                  barrier: Any, queue: Any) -> None:
    """Run worker ``index``'s steps — (service function, ref, keyword arguments)
    — each released at the same moment as the other workers' (a barrier per
    round), on an incident and the requests linked to it. Reports what was
    acknowledged and what was refused as a conflict."""
    result: dict[str, Any] = {"acks": [], "conflicts": Counter(), "races": 0, "errors": []}
    try:
        from ownit import service
        from ownit.errors import Conflict, ValidationError

        desk = _open(url, TickingClock(datetime.fromisoformat(start_iso), index, 4))
        for name, ref, kwargs in steps:
            barrier.wait(timeout=60)
            try:
                if name == "link_incident":
                    service.link_incident(desk, ref, kwargs.pop("refs"), **kwargs)
                elif name == "unlink_incident":
                    service.unlink_incident(desk, ref, kwargs.pop("request"), **kwargs)
                else:
                    getattr(service, name)(desk, ref, **kwargs)
                result["acks"].append((name, ref))
            except Conflict as exc:
                result["conflicts"][conflict_category(str(exc))] += 1
            except ValidationError as exc:  # a hand-off to whoever another worker just gave it to, an
                if not ("already owned by that person" in str(exc) or "is not part of" in str(exc)):  # unlink of
                    raise  # a request whose link lost its race
                    raise
                result["races"] += 1
    except Exception:  # noqa: BLE001 - no error of any kind but a conflict is expected
        result["errors"].append(traceback.format_exc())
    _report(queue, index, **result)
