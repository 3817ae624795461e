"""Plugin hooks with a time limit.

A department plugin that hangs (a dead HTTP call, a lock never released) must
not hang OwnIt with it. Every hook call runs on a worker thread and is waited
for at most ``OWNIT_HOOK_TIMEOUT`` seconds (default 2). A call that has not
answered by then is abandoned — Python cannot stop a thread, so the worker is
left to finish on its own as a daemon, its answer ignored — and
:class:`HookTimeout` is raised; the next call gets a fresh worker.

Workers are kept and reused (one per concurrent caller at most), so the limit
costs a queue hand-off (tens of microseconds), not a thread start.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable, TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT = 2.0


class HookTimeout(Exception):
    """A plugin hook did not answer within the limit."""


def timeout() -> float:
    """The limit in seconds, from ``OWNIT_HOOK_TIMEOUT``."""
    try:
        value = float(os.environ.get("OWNIT_HOOK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


class _Worker:
    """A daemon thread that runs calls handed to it, one at a time."""

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name="ownit-hooks", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            call, answer = self.inbox.get()
            try:
                answer.put((True, call()))
            except BaseException as exc:  # handed back to the caller, who raises it
                answer.put((False, exc))


_lock = threading.Lock()
_idle: list[_Worker] = []  # workers free for the next call; a stuck one is never put back


def call(function: Callable[[], T], *, what: str, limit: float | None = None) -> T:
    """``function()`` on a hook worker, waited for at most ``limit`` seconds."""
    limit = timeout() if limit is None else limit
    with _lock:
        worker = _idle.pop() if _idle else None
    worker = worker or _Worker()
    answer: queue.SimpleQueue = queue.SimpleQueue()
    worker.inbox.put((function, answer))
    try:
        ok, value = answer.get(timeout=limit)
    except queue.Empty:  # the worker is stuck in the plugin: leave it to finish on its own
        raise HookTimeout(f"no answer within {limit:g} s from {what}") from None
    with _lock:
        _idle.append(worker)
    if not ok:
        raise value
    return value
