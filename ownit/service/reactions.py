"""Plugins around an action: asked before anything is saved, told after the commit.

Before: a plugin's rule (validation, priority, routing, owner choice) runs
within the hook time limit, or in line when marked ``@ownit.pure``; a failure
or a hang refuses the action with one line naming the plugin (:func:`ask`).

After: :func:`transaction` runs an action in one unit of work and then tells
the plugins what it wrote — its timeline entries (``ownit_on_event``, to the
plugins that listen for that kind) and its notifications (``ownit_notify``,
to the channels). What they will see is read inside the transaction; they are
called after the commit, on a hook worker, while the caller draws its view. A
plugin that fails or hangs then never takes the change back: the failure is
on the request's timeline (internal) and in ``desk.warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from .. import bounded, events, hookspecs
from ..errors import PluginError
from ..records import EventSnapshot, NotificationSnapshot, RequestSnapshot
from ..store import outbox, requests, timeline
from ..store import unit as store

T = TypeVar("T")
Call = tuple[Any, str, "int | None", dict[str, Any]]  # (implementation, what, request id, arguments)


@dataclass(frozen=True)
class Later:
    """What an action returns to be drawn after its commit (from what it read,
    without a query), while the plugins are told."""

    draw: Callable[[], Any]


def transaction(desk: Any, work: Callable[[store.Unit], Any]) -> Any:
    """One user action: ``work`` in one unit of work; after the commit the
    plugins are told what it wrote, and a :class:`Later` result is drawn."""
    def unit(u: store.Unit) -> tuple[Any, list[Call]]:
        result = work(u)
        return result, _calls(desk, u)

    result, calls = store.run(desk, unit)
    finish = _tell_later(desk, calls)
    try:
        return result.draw() if isinstance(result, Later) else result
    finally:
        finish()


# --- before anything is saved ------------------------------------------------------------------------


def ask(doing: str | Callable[[], str], function: Callable[[], T], *,
        plugin: str | None | Callable[[], str | None] = None, inline: bool = False) -> T:
    """Call plugin code before anything is saved, within the hook time limit
    (or in line, for implementations all marked :func:`ownit.pure`): a failure
    or a hang refuses the action with one clear line. ``doing`` and ``plugin``
    may be functions, read when it fails, for a call that runs several steps."""
    def who() -> str:
        name = plugin() if callable(plugin) else plugin
        return f"plugin {name!r}" if name else "a plugin"

    def step() -> str:
        return doing() if callable(doing) else doing

    try:
        return function() if inline else bounded.call(function, what=lambda: f"{who()} {step()}")
    except bounded.HookTimeout as exc:
        raise PluginError(f"{exc}, so nothing was saved; try again, and if it persists tell whoever runs OwnIt "
                          "(OWNIT_HOOK_TIMEOUT sets the limit)") from None
    except Exception as exc:
        raise PluginError(f"{who()} failed while {step()}, so nothing was saved: {exc!r}") from None


def all_pure(*callers: Any) -> bool:
    return all(hookspecs.is_pure(impl) for caller in callers for impl in caller.get_hookimpls())


# --- after the commit ----------------------------------------------------------------------------------


def snapshot(u: store.Unit, req: Any) -> RequestSnapshot:
    """The request as plugins see it: no row, only values."""
    org = u.directory
    return RequestSnapshot(ref=req.ref, department=req.department, request_type=req.request_type,
                           title=req.title, status=req.status, stage=req.stage, priority=req.priority,
                           owner_email=org.people[req.owner_id].email,
                           requester_email=org.people[req.requester_id].email,
                           site_code=org.sites[req.site_id].code, team_key=org.teams[req.team_id].key,
                           fields=dict(req.fields))


def notification_snapshot(note_id: int, recipient: str, ref: str | None, notice: Any, *, kind: str,
                          message: str, data: dict[str, Any], created_at: Any) -> NotificationSnapshot:
    return NotificationSnapshot(id=note_id, recipient_email=recipient, ref=ref, kind=kind, message=message,
                                created_at=created_at, data=data,
                                subject=notice.subject() if notice else message,
                                html=notice.html() if notice else "")


def _calls(desk: Any, u: store.Unit) -> list[Call]:
    """What the plugins will be told of what ``u`` wrote, read now (inside the
    transaction) and only for the hooks and event kinds some plugin listens to."""
    pm = desk.plugins.pm
    listeners = pm.hook.ownit_on_event.get_hookimpls()
    channels = pm.hook.ownit_notify.get_hookimpls()
    calls: list[Call] = []
    if not (listeners and u.entries) and not (channels and u.notifications):
        return calls
    snapshots: dict[int, RequestSnapshot] = {}
    for entry in u.entries:
        heard_by = [impl for impl in listeners if hookspecs.wants(impl, entry.kind)]
        if not heard_by:
            continue
        if entry.request_id not in snapshots:
            snapshots[entry.request_id] = snapshot(u, requests.get(u, entry.request_id))
        actor = u.directory.people.get(entry.actor_id) if entry.actor_id else None
        event = EventSnapshot(kind=entry.kind, at=entry.at, actor_email=actor.email if actor else None,
                              note=entry.note, data=entry.data, event=entry.event)
        calls += [(impl, entry.kind, entry.request_id,
                   {"request": snapshots[entry.request_id], "event": event, "desk": desk}) for impl in heard_by]
    for put in u.notifications if channels else ():
        req = requests.get(u, put.request_id) if put.request_id else None
        note = notification_snapshot(put.id, u.directory.people[put.person_id].email, req.ref if req else None,
                                     put.notice, kind=put.notice.kind, message=put.notice.text(),
                                     data=put.notice.data(), created_at=put.created_at)
        calls += [(impl, "notify", put.request_id, {"notification": note}) for impl in channels]
    return calls


def _tell_later(desk: Any, calls: list[Call]) -> Callable[[], None]:
    """Hand ``calls`` to a hook worker now, and return the function that waits
    for them and records what failed: whatever the caller does in between
    hides the hand-off's latency."""
    if not calls:
        return lambda: None
    started = _start(calls)

    def finish() -> None:
        failures: list[tuple[int | None, str]] = []
        outcomes = _outcomes(calls, started, failures)
        delivered = delivery(calls, outcomes)
        record(desk, failures, delivered)

    return finish


def tell(calls: list[Call], failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    """Each call after a commit, each within the time limit, with one hand-off
    to a hook worker for them all: a failure or a hang is collected in
    ``failures``, never raised."""
    return _outcomes(calls, _start(calls), failures)


def _start(calls: list[Call]) -> bounded.Started:
    def bound(impl: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
        # each implementation takes only the arguments it names, as pluggy allows
        return lambda: impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})

    return bounded.Started([bound(impl, kwargs) for impl, _, _, kwargs in calls])


def _outcomes(calls: list[Call], started: bounded.Started,
              failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    outcomes = started.outcomes(lambda i: f"plugin {calls[i][0].plugin_name!r} on {calls[i][1]}")
    for (impl, what, request_id, _), (ok, value) in zip(calls, outcomes, strict=True):
        if ok:
            continue
        if isinstance(value, bounded.HookTimeout):  # a plugin must never take the change back, nor hold it up
            failures.append((request_id, f"{value}; the change stands"))
        else:
            failures.append((request_id, f"plugin {impl.plugin_name!r} failed on {what}: {value!r}"))
    return outcomes


def delivery(calls: list[Call], outcomes: list[tuple[bool, Any]]) -> dict[int, bool]:
    """For each notification offered: whether some channel took it (returned ``True``)."""
    delivered: dict[int, bool] = {}
    for (_, _, _, kwargs), (ok, result) in zip(calls, outcomes, strict=True):
        if "notification" in kwargs:
            note_id = kwargs["notification"].id
            delivered[note_id] = delivered.get(note_id, False) or (ok and result is True)
    return delivered


def record(desk: Any, failures: list[tuple[int | None, str]], delivered: dict[int, bool]) -> None:
    """In a unit of its own: plugin failures on their requests' timelines
    (internal), and each delivery attempt on its notification."""
    if not failures and not delivered:
        return

    def work(u: store.Unit) -> None:
        timeline.append(u, *(timeline.Entry(request_id, u.now, events.PluginFailed(), note=message, internal=True)
                             for request_id, message in failures if request_id is not None))
        outbox.mark_tried(u, delivered)

    store.run(desk, work)
    desk.warnings.extend(message for _, message in failures)
