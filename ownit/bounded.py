"""Plugin hooks with a time limit.

A department plugin that hangs (a dead HTTP call, a lock never released) must
not hang OwnIt with it. Every hook call runs on a worker thread and is waited
for at most ``OWNIT_HOOK_TIMEOUT`` seconds (default 2). A call that has not
answered by then is abandoned — Python cannot stop a thread, so the worker is
left to finish on its own as a daemon, its answer ignored — and
:class:`HookTimeout` is raised; the next call gets a fresh worker. Plugin code
that raises ``SystemExit`` or ``KeyboardInterrupt`` on a worker is handed back
as :class:`Escaped`, an ordinary exception: it never stops OwnIt.

Workers are kept and reused (one per concurrent caller at most), so the limit
costs a queue hand-off (tens of microseconds, and a thread switch each way),
not a thread start. Rules marked pure (:func:`ownit.pure`: they compute from
their arguments only) skip even that when called from the main thread, as
the command line and the sweep are: they run in line under an interval timer
(``SIGALRM``) that interrupts one that hangs, with the same limit and the
same :class:`HookTimeout`.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT = 2.0


class HookTimeout(Exception):
    """A plugin hook did not answer within the limit."""


class Escaped(Exception):
    """Plugin code raised ``SystemExit`` or ``KeyboardInterrupt`` (``sys.exit(0)``
    in a hook): a fault of the plugin like any other, never the caller's exit.
    Its ``repr`` is the original's, e.g. ``SystemExit(0)``."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(repr(original))
        self.original = original

    def __repr__(self) -> str:
        return repr(self.original)


def timeout() -> float:
    """The limit in seconds, from ``OWNIT_HOOK_TIMEOUT``."""
    try:
        value = float(os.environ.get("OWNIT_HOOK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def delivery_limit(longest: float = 10.0) -> float:
    """Seconds a channel's whole delivery of one notification may take:
    ``longest``, or three quarters of the hook time limit (:func:`timeout`)
    when that is shorter (1.5 s with the default 2 s). A delivery must fail on
    its own before OwnIt abandons the hook: a failure is retried by the sweep,
    while a channel that hangs twice is not called again until OwnIt restarts."""
    return min(longest, timeout() * 0.75)


class _Batch:
    """Calls handed to one worker, run in turn; each answer is put on ``answers``
    as it comes. Once the caller stops waiting (``abandon``), the worker starts
    no further call of the batch."""

    def __init__(self, calls: Sequence[Callable[[], Any]]) -> None:
        self.calls = calls
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.started = -1  # the index of the last call the worker started
        self.abandoned = False

    def run(self) -> None:
        for index, call in enumerate(self.calls):
            with self.lock:
                if self.abandoned:
                    return
                self.started = index
            try:
                self.answers.put((True, call()))
            except Exception as exc:  # handed back to the caller, who raises or records it
                self.answers.put((False, exc))
            except BaseException as exc:  # sys.exit() in a plugin: its fault, and the worker lives on
                self.answers.put((False, Escaped(exc)))

    def abandon(self) -> int:
        """Stop the batch; the index of the last call the worker started."""
        with self.lock:
            self.abandoned = True
            return self.started


class _Worker:
    """A daemon thread that runs batches of calls handed to it, one at a time."""

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name="ownit-hooks", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            self.inbox.get().run()


_lock = threading.Lock()
_idle: list[_Worker] = []  # workers free for the next call; a stuck one is never put back


def _worker() -> _Worker:
    with _lock:
        worker = _idle.pop() if _idle else None
    return worker or _Worker()


def _release(worker: _Worker) -> None:
    with _lock:
        _idle.append(worker)


class _Alarm(BaseException):
    """The interval timer went off: a pure rule ran past the limit (a
    ``BaseException``, so that a rule's ``except Exception`` cannot swallow it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Alarm()


def _may_alarm() -> bool:
    """Whether a call may be timed in line: on the main thread (signals are
    handled only there), with no other timer or SIGALRM handler in use."""
    return (threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, _on_alarm)
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


def _in_line(function: Callable[[], T], what: str | Callable[[], str], limit: float) -> T:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return function()
    except _Alarm:
        raise HookTimeout(f"no answer within {limit:g} s from {what() if callable(what) else what}") from None
    except (SystemExit, KeyboardInterrupt) as exc:  # sys.exit() in a plugin: its fault, never OwnIt's exit
        raise Escaped(exc) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(function: Callable[[], T], *, what: str | Callable[[], str], limit: float | None = None,
         pure: bool = False) -> T:
    """``function()`` on a hook worker, waited for at most ``limit`` seconds
    (or, when it runs ``pure`` rules only and this is the main thread, in line
    under a timer). ``what`` names the call in the timeout's message; a
    function is asked only then (for a call that runs several steps, which
    one it was stuck in)."""
    limit = timeout() if limit is None else limit
    if pure and _may_alarm():
        return _in_line(function, what, limit)
    worker, batch = _worker(), _Batch([function])
    worker.inbox.put(batch)
    try:
        ok, value = batch.answers.get(timeout=limit)
    except queue.Empty:  # the worker is stuck in the plugin: leave it to finish on its own
        batch.abandon()
        raise HookTimeout(f"no answer within {limit:g} s from {what() if callable(what) else what}") from None
    _release(worker)
    if not ok:
        raise value
    return value


def each(functions: Sequence[Callable[[], Any]], *, what: Callable[[int], str],
         limit: float | None = None) -> list[tuple[bool, Any]]:
    """Each of ``functions`` in turn, each waited for at most ``limit`` seconds,
    as :func:`call` would, but with one hand-off to a worker for them all (a
    hand-off costs tens of microseconds). Returns ``(True, result)`` or
    ``(False, exception)`` per function, in order; one that does not answer in
    time gives a :class:`HookTimeout` (``what(index)`` names it), and the rest
    go on to a fresh worker."""
    return Started(functions, limit=limit).outcomes(what)


class Started:
    """:func:`each`, started now and collected later: the worker runs the calls
    while the caller does something else, and the hand-off's latency is hidden."""

    def __init__(self, functions: Sequence[Callable[[], Any]], *, limit: float | None = None) -> None:
        self.functions = list(functions)
        self.limit = timeout() if limit is None else limit
        self.results: list[tuple[bool, Any]] = []
        if self.functions:
            self._hand_over()

    def _hand_over(self) -> None:
        self.offset = len(self.results)
        self.worker, self.batch = _worker(), _Batch(self.functions[self.offset:])
        self.worker.inbox.put(self.batch)

    def outcomes(self, what: Callable[[int], str],
                 hung: Callable[[int], None] | None = None) -> list[tuple[bool, Any]]:
        """Each call's ``(True, result)`` or ``(False, exception)``, in order.
        ``hung(index)``, when given, hears of a call that did not answer in time
        before the calls after it are handed to a fresh worker (which may then
        choose to skip them)."""
        while len(self.results) < len(self.functions):
            for _ in self.batch.calls:
                try:
                    self.results.append(self.batch.answers.get(timeout=self.limit))
                except queue.Empty:  # the worker is stuck in this one: leave it to finish on its own
                    stuck = len(self.results)
                    self.results.append((False, HookTimeout(f"no answer within {self.limit:g} s from {what(stuck)}")))
                    if hung is not None:
                        hung(stuck)
                    # any call it started after this one, just before it was stopped, is left to it unwatched
                    for _ in range(stuck + 1, self.offset + self.batch.abandon() + 1):
                        self.results.append((False, HookTimeout(f"not waited for, after {what(stuck)} hung")))
                    break
            else:
                _release(self.worker)
            if len(self.results) < len(self.functions):
                self._hand_over()
        return self.results
