"""Plugins around an action: asked before its transaction begins, told after the commit.

No plugin code runs while a transaction is open (on SQLite, while the write
lock is held): a slow plugin must never make another person's action wait.

Before: the plugins' rules (validation, priority, skills, routing, owner
choice) are asked in one consultation (:func:`ask`) on a hook worker within
the time limit, ``@ownit.pure`` or not; each answer is checked against its
hook's spec. A failure, a hang, a wrong answer or a ``sys.exit()`` refuses the
action with one line naming the plugin, and nothing is saved.

After: :func:`transaction` runs an action in one unit of work and then tells
the plugins what it wrote — its timeline entries (``ownit_on_event``, to the
plugins that listen for that kind) and its notifications (``ownit_notify``,
to the channels). What they will see is read inside the transaction; they are
called after the commit, on a hook worker, while the caller draws its view. A
plugin that fails or hangs then never takes the change back: the failure is
on the request's timeline (internal) and in ``desk.warnings``. A listener that
hangs :data:`PAUSE_AFTER` times is not called again for the desk's lifetime
(one warning says so), so a dead server costs a few time limits, not one per
event.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, TypeVar

from .. import bounded, events, hookspecs, tokens
from ..errors import PluginError
from ..plugins import Plugins, WrongAnswer
from ..records import EventSnapshot, NotificationSnapshot, RequestSnapshot
from ..store import outbox, requests, timeline
from ..store import unit as store

T = TypeVar("T")
RATE_AFTER = frozenset({"Resolved", "ClosedQuietly"})  # notices whose mail carries a rating link
PAUSE_AFTER = 2  # times a listener may not answer in time before it is paused for the desk's lifetime


class Call(NamedTuple):
    """One implementation to be told something after a commit."""

    impl: Any
    hook: str  # ownit_on_event or ownit_notify
    what: str  # the event's kind, or "notify", for messages
    request_id: int | None
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Later:
    """What an action returns to be drawn after its commit (from what it read,
    without a query), while the plugins are told."""

    draw: Callable[[], Any]


def transaction(desk: Any, work: Callable[[store.Unit], Any]) -> Any:
    """One user action: ``work`` in one unit of work; after the commit the
    plugins are told what it wrote, and a :class:`Later` result is drawn.
    ``work`` calls no plugin: ask them before (:func:`ask`) and pass the answers in."""
    def unit(u: store.Unit) -> tuple[Any, list[Call]]:
        result = work(u)
        return result, _calls(desk, u)

    ready(desk)
    result, calls = store.run(desk, unit)
    finish = _tell_later(desk, calls)
    try:
        return result.draw() if isinstance(result, Later) else result
    finally:
        finish()


# --- before the transaction ------------------------------------------------------------------------------


class Rules:
    """The plugins' rules as one consultation asks them (see :func:`ask`):
    each implementation is given the arguments it names and its answer is
    checked against the hook's spec. ``doing`` and ``plugin`` say what is
    running, for a failure's message."""

    def __init__(self, plugins: Plugins, *, in_line: bool) -> None:
        self.plugins = plugins
        self.in_line = in_line  # nothing to ask: running on the caller's thread
        self.doing = "asking the plugins"
        self.plugin: str | None = None  # set while a plugin's code runs

    def every(self, caller: Any, doing: str, **arguments: Any) -> list[tuple[str, Any]]:
        """Every implementation's answer other than ``None``: ``(plugin, answer)``."""
        return self._answers(caller, doing, arguments, first=False)

    def first(self, caller: Any, doing: str, **arguments: Any) -> tuple[str | None, Any]:
        """The first answer other than ``None`` (``firstresult``): ``(plugin, answer)``, or ``(None, None)``."""
        answers = self._answers(caller, doing, arguments, first=True)
        return answers[0] if answers else (None, None)

    def _answers(self, caller: Any, doing: str, arguments: dict[str, Any], *, first: bool) -> list[tuple[str, Any]]:
        self.doing = doing
        answers = []
        for impl in self.plugins.implementations(caller):
            if self.in_line:
                raise AssertionError(f"{caller.name} is asked but was not named to ask()")
            self.plugin = impl.plugin_name
            answer = self.plugins.answer(impl, caller.name, arguments)
            self.plugin = None
            if answer is not None:
                answers.append((impl.plugin_name, answer))
                if first:
                    break
        return answers


def ask(desk: Any, consult: Callable[[Rules], T], *, hooks: Iterable[Any]) -> T:
    """``consult(rules)``, before any transaction begins, on a hook worker
    within the time limit (one hand-off for all it asks), or in line when
    none of ``hooks`` (the hook callers it asks) has an implementation. A
    plugin that fails, hangs, answers with the wrong type or calls
    ``sys.exit()`` refuses the action with one line naming it and the step."""
    rules = Rules(desk.plugins, in_line=not any(caller.get_hookimpls() for caller in hooks))
    if rules.in_line:
        return consult(rules)

    def who() -> str:
        return f"plugin {rules.plugin!r}" if rules.plugin else "a plugin"

    pure = all(hookspecs.is_pure(impl) for caller in hooks for impl in caller.get_hookimpls())
    try:
        return bounded.call(lambda: consult(rules), what=lambda: f"{who()} {rules.doing}", pure=pure)
    except bounded.HookTimeout as exc:
        raise PluginError(f"{exc}, so nothing was saved; try again, and if it persists tell whoever runs OwnIt "
                          "(OWNIT_HOOK_TIMEOUT sets the limit)") from None
    except WrongAnswer as exc:
        raise PluginError(f"{exc.returned}, so nothing was saved; {exc.expected}") from None
    except Exception as exc:  # bounded.Escaped too: a plugin's sys.exit() is its failure, never OwnIt's exit
        if rules.plugin is None:  # OwnIt's own code between the plugins: not a plugin's fault
            raise
        raise PluginError(f"{who()} failed while {rules.doing}, so nothing was saved: {exc!r}") from None


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


def notification_snapshot(u: store.Unit, note_id: int, person_id: int, request_id: int | None, ref: str | None,
                          team_id: int | None, notice: Any, *, kind: str, message: str, data: dict[str, Any],
                          created_at: Any) -> NotificationSnapshot:
    """A notification as channels see it: its content, and where its recipient and team can be reached."""
    person = u.directory.people[person_id]
    team = u.directory.teams.get(team_id) if team_id is not None else None
    signer = u.desk.signer if u.desk is not None else None  # read before the unit began (see ready())
    reply = rate = ""
    if signer is not None and request_id is not None:  # issued when the notification was: a retry is the same
        reply = signer.make("reply", (request_id, person_id), created_at)
        if data.get("notice") in RATE_AFTER and not data.get("following"):  # the requester rates, not a follower
            rate = signer.make("rate", (note_id,), created_at)
    return NotificationSnapshot(id=note_id, recipient_email=person.email, ref=ref, kind=kind, message=message,
                                created_at=created_at, data=data,
                                subject=notice.subject() if notice else message,
                                html=notice.html() if notice else "",
                                recipient_name=person.name, recipient_chat=person.chat,
                                team=team.key if team else None, team_chat=team.chat if team else "",
                                reply_token=reply, rate_token=rate)


def ready(desk: Any) -> None:
    """Before a unit of work that may notify anyone, once per desk: whom each
    channel reaches (:func:`ask_reach`), and, when a channel will be offered
    what it writes, the key that signs reply addresses and rating links
    (:func:`ownit.tokens.signer`: it may take a unit of its own the first time)."""
    if desk.reach is None:
        desk.reach = ask_reach(desk)
    if desk.signer is None and listening(desk, "ownit_notify"):
        tokens.signer(desk)


def ask_reach(desk: Any) -> dict[str, Any]:
    """Every channel plugin's (``ownit_notify``) answer to ``ownit_reach``, by
    its name: ``None`` for one that does not say, or fails to (a failure is
    in ``desk.warnings``, once: it is offered every notification its
    recipients' preferences allow). One hand-off to a hook worker for them all."""
    said: dict[str, Any] = {impl.plugin_name: None for impl in desk.plugins.pm.hook.ownit_notify.get_hookimpls()}
    asked = [impl for impl in desk.plugins.implementations(desk.plugins.pm.hook.ownit_reach) if impl.plugin_name in said]
    if not asked:
        return said
    outcomes = bounded.each([functools.partial(desk.plugins.answer, impl, "ownit_reach", {}) for impl in asked],
                            what=lambda i: f"plugin {asked[i].plugin_name!r} on ownit_reach")
    for impl, (ok, value) in zip(asked, outcomes, strict=True):
        if ok:
            said[impl.plugin_name] = value
        else:
            failed = value if isinstance(value, (bounded.HookTimeout, WrongAnswer)) else \
                f"plugin {impl.plugin_name!r} failed on ownit_reach: {value!r}"
            desk.warnings.append(f"{failed}; it is offered every notification")
    return said


def offered_to(u: store.Unit, person_id: int, channels: list[Any], *, team_id: int | None, notice: str) -> list[Any]:
    """The channel implementations to offer ``notice`` (its class name) for
    ``person_id`` on a request of ``team_id``: those that may reach them
    (:func:`ownit.store.outbox.reaches`: their preferences, what it said)."""
    person, said = u.directory.people[person_id], u.desk.reach or {}
    team = u.directory.teams.get(team_id) if team_id is not None else None
    return [impl for impl in channels if outbox.reaches(said, impl.plugin_name, person, team, notice)]


def _calls(desk: Any, u: store.Unit) -> list[Call]:
    """What the plugins will be told of what ``u`` wrote, read now (inside the
    transaction) and only for the hooks and event kinds some plugin listens to
    (and is not paused)."""
    listeners = listening(desk, "ownit_on_event")
    channels = listening(desk, "ownit_notify")
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
        calls += [Call(impl, "ownit_on_event", entry.kind, entry.request_id,
                       {"request": snapshots[entry.request_id], "event": event, "desk": desk}) for impl in heard_by]
    for put in u.notifications if channels else ():
        if put.held:  # quiet hours or the digest: the sweep offers it when they are over
            continue
        req = requests.get(u, put.request_id) if put.request_id else None
        reaching = offered_to(u, put.person_id, channels, team_id=req.team_id if req else None,
                              notice=type(put.notice).__name__)
        if not reaching:  # its channels are paused: the sweep offers it
            continue
        note = notification_snapshot(u, put.id, put.person_id, put.request_id, req.ref if req else None,
                                     req.team_id if req else None, put.notice, kind=put.notice.kind, message=put.notice.text(),
                                     data=put.notice.data(), created_at=put.created_at)
        calls += [Call(impl, "ownit_notify", "notify", put.request_id, {"notification": note}) for impl in reaching]
    return calls


def listening(desk: Any, hook: str) -> list[Any]:
    """The implementations of ``hook`` (``ownit_on_event``, ``ownit_notify``)
    to be told, leaving out those paused for hanging."""
    return [impl for impl in getattr(desk.plugins.pm.hook, hook).get_hookimpls()
            if not _paused(desk, impl.plugin_name, hook)]


def _paused(desk: Any, plugin: str, hook: str) -> bool:
    return desk.hook_timeouts.get((plugin, hook), 0) >= PAUSE_AFTER


def _tell_later(desk: Any, calls: list[Call]) -> Callable[[], None]:
    """Hand ``calls`` to a hook worker now, and return the function that waits
    for them and records what failed: whatever the caller does in between
    hides the hand-off's latency."""
    if not calls:
        return lambda: None
    started = _start(desk, calls)

    def finish() -> None:
        failures: list[tuple[int | None, str]] = []
        outcomes = _outcomes(desk, calls, started, failures)
        delivered = delivery(calls, outcomes)
        record(desk, failures, delivered)

    return finish


def tell(desk: Any, calls: list[Call], failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    """Each call after a commit, each within the time limit, with one hand-off
    to a hook worker for them all: a failure or a hang is collected in
    ``failures``, never raised."""
    return _outcomes(desk, calls, _start(desk, calls), failures)


_SKIPPED = object()  # the answer of a call not made: its plugin was paused while the calls ran


def _start(desk: Any, calls: list[Call]) -> bounded.Started:
    plugins = desk.plugins

    def bound(call: Call) -> Callable[[], Any]:
        def run() -> Any:
            if _paused(desk, call.impl.plugin_name, call.hook):  # hung on an earlier call of these
                return _SKIPPED
            return plugins.answer(call.impl, call.hook, call.arguments)

        return run

    return bounded.Started([bound(call) for call in calls])


def _outcomes(desk: Any, calls: list[Call], started: bounded.Started,
              failures: list[tuple[int | None, str]]) -> list[tuple[bool, Any]]:
    paused: list[str] = []

    def hung(index: int) -> None:  # before the calls after it run: they may be this plugin's again
        call = calls[index]
        key = (call.impl.plugin_name, call.hook)
        desk.hook_timeouts[key] = desk.hook_timeouts.get(key, 0) + 1
        if desk.hook_timeouts[key] == PAUSE_AFTER:
            name = call.impl.plugin_name
            paused.append(f"plugin {name!r} did not answer {call.hook} within {started.limit:g} s {PAUSE_AFTER} "
                          f"times, so OwnIt stops calling its {call.hook} until it is restarted; give its slow work "
                          f"short timeouts of its own or a queue, or leave it out with OWNIT_DISABLE_PLUGINS={name}")

    outcomes = started.outcomes(lambda i: f"plugin {calls[i].impl.plugin_name!r} on {calls[i].what}", hung)
    for call, (ok, value) in zip(calls, outcomes, strict=True):
        if ok:
            continue
        if isinstance(value, (bounded.HookTimeout, WrongAnswer)):  # never takes the change back, nor holds it up
            failures.append((call.request_id, f"{value}; the change stands"))
        else:
            failures.append((call.request_id, f"plugin {call.impl.plugin_name!r} failed on {call.what}: {value!r}"))
    failures += [(None, message) for message in paused]  # in desk.warnings only, once
    return outcomes


def delivery(calls: list[Call], outcomes: list[tuple[bool, Any]]) -> dict[int, str | None]:
    """For each notification offered: ``None`` when the channels are done with
    it — one took it (returned ``True``), or none failed (each returned
    ``None``: not for it, as a channel nobody configured) — else why they
    failed. A failure or a hang with no channel taking it leaves it to be
    offered again."""
    took: dict[int, bool] = {}
    errors: dict[int, list[str]] = {}
    for call, (ok, result) in zip(calls, outcomes, strict=True):
        if "notification" in call.arguments and result is not _SKIPPED:
            note_id = call.arguments["notification"].id
            took[note_id] = took.get(note_id, False) or (ok and result is True)
            errors.setdefault(note_id, [])
            if not ok:
                errors[note_id].append(f"{call.impl.plugin_name}: {result}")
    return {note_id: None if took[note_id] or not errors[note_id] else "; ".join(errors[note_id])
            for note_id in took}


def record(desk: Any, failures: list[tuple[int | None, str]], delivered: dict[int, str | None]) -> None:
    """In a unit of its own: plugin failures on their requests' timelines
    (internal), and each delivery attempt on its notification (``None``:
    done with; else why it failed); every failure in ``desk.warnings``.

    Delivery marks alone do not wait for the disk (``durable=False``): the
    one mark a server crash may lose leaves its notification as the unit that
    put it left it, due a minute later (or its sweep's claim running out), so
    the sweep offers it again, as it does when this process dies before this
    unit. That is the at-least-once delivery channels already take
    (``ownit_notify``: a plugin may see a notification twice and
    ``notification.id`` says so; the email's Message-ID is the same each
    time), and a lost failure mark costs one more attempt before a dead
    letter. A plugin's failure on a timeline is the request's record, which
    is not done again: a unit that writes one waits for the disk, as rarely as
    plugins fail."""
    noted = [(request_id, message) for request_id, message in failures if request_id is not None]
    if noted or delivered:
        def work(u: store.Unit) -> None:
            if noted:
                timeline.append(u, *(timeline.Entry(request_id, u.now, events.PluginFailed(), note=message,
                                                    internal=True) for request_id, message in noted))
            outbox.mark_tried(u, delivered)

        store.run(desk, work, durable=bool(noted), batched=True)
    desk.warnings.extend(message for _, message in failures)
