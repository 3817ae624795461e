"""A plugin that raises never loses or half-writes a request."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from conftest import AMIRA, HELEN, LEAK, look, units_sent
from ownit import hookimpl, pure, service
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.errors import PluginError, ValidationError
from ownit.models import Event, Request
from ownit.org import load_org
from ownit.plugins import build_plugins
from ownit.store import outbox
from ownit.store import unit as store
from ownit.store.sql import Sql


def desk_with(plugin, url, clock) -> Desk:
    desk = Desk(url=url, plugins=build_plugins(extra=[("faulty", plugin)]), clock=clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk


def count(desk, model) -> int:
    return look(desk, lambda s: s.exec(select(func.count()).select_from(model)).one())


def raise_leak(desk):
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)


class FailsValidating:
    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        raise KeyError("boom")


class FailsPriority:
    @hookimpl(tryfirst=True)
    def ownit_priority(self, request_type, fields):
        raise RuntimeError("boom")


class FailsRouting:
    @hookimpl
    def ownit_route(self, request, teams):
        raise RuntimeError("boom")


class GivesAPriorityWithoutAPromise:
    @hookimpl(tryfirst=True)
    def ownit_priority(self, request_type, fields):
        return "low"  # a leak has promises for urgent, high and normal


class RoutesNowhere:
    @hookimpl
    def ownit_route(self, request, teams):
        return "no-such-team"


class Refuses:
    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        return ["Location (location): say which floor"]


@pytest.mark.parametrize("plugin, error, message", [
    (FailsValidating(), PluginError, "plugin 'faulty' failed while checking the request, so nothing was saved"),
    (FailsPriority(), PluginError, "failed while setting the priority, so nothing was saved"),
    (FailsRouting(), PluginError, "failed while routing the request, so nothing was saved"),
    (RoutesNowhere(), PluginError, "unknown team 'no-such-team'"),
    (GivesAPriorityWithoutAPromise(), PluginError,
     "plugin 'faulty' gave facilities.leak the priority 'low', which it has no promise for, so nothing was saved; "
     "it can be urgent, high, normal"),
    (Refuses(), ValidationError, "say which floor"),
])
def test_failures_before_commit_reject_cleanly(ownit_database_url, ownit_clock, plugin, error, message) -> None:
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    with pytest.raises(error, match=message):
        raise_leak(desk)
    assert count(desk, Request) == 0 and count(desk, Event) == 0


class FailsAfterwards:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def ownit_on_event(self, request, event):
        self.seen.append(event.kind)
        if event.kind == "assigned":
            raise RuntimeError("chat server down")

    @hookimpl
    def ownit_notify(self, notification):
        raise ConnectionError("mail server down")


def test_failures_after_commit_are_recorded_and_reported(ownit_database_url, ownit_clock) -> None:
    plugin = FailsAfterwards()
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    assert plugin.seen == ["raised", "assigned"]
    warnings = desk.take_warnings()
    assert any("plugin 'faulty' failed on assigned: RuntimeError('chat server down')" in w for w in warnings)
    assert any("failed on notify" in w for w in warnings)
    shown = service.show(desk, view["ref"], actor=HELEN)
    errors = [e for e in shown["timeline"] if e["kind"] == "plugin_error"]
    assert len(errors) == 3 and all(e["internal"] for e in errors)  # the event, the two notifications
    assert shown["owner"]["email"] == view["owner"]["email"]  # the request stands
    assert "plugin_error" not in [e["kind"] for e in service.show(desk, view["ref"], actor=AMIRA)["timeline"]]


class Watcher:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.notes: list[tuple[str, str]] = []

    @hookimpl
    def ownit_on_event(self, request, event):
        self.events.append((request.ref, event.kind, request.owner_email))

    @hookimpl
    def ownit_notify(self, notification):
        self.notes.append((notification.recipient_email, notification.kind))
        return True


def test_plugins_see_every_event_and_notification(ownit_database_url, ownit_clock) -> None:
    watcher = Watcher()
    desk = desk_with(watcher, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    owner = view["owner"]["email"]
    service.contact(desk, view["ref"], actor=owner, note="hello")
    assert [kind for _, kind, _ in watcher.events] == ["raised", "assigned", "contacted"]
    assert all(o == owner for _, _, o in watcher.events)
    assert watcher.notes == [(owner, "assigned"), (AMIRA, "raised"), (AMIRA, "contacted")]
    assert desk.take_warnings() == []


class Hangs:
    """A plugin stuck on a dead server, at one hook; it lets go when told, so the test leaves no thread behind."""

    def __init__(self, where: str) -> None:
        import threading

        self.where, self.release = where, threading.Event()

    def _stall(self, hook: str) -> None:
        if hook == self.where:
            self.release.wait(30)

    @hookimpl
    def ownit_route(self, request, teams):
        self._stall("route")

    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        self._stall("validate")

    @hookimpl
    def ownit_on_event(self, request, event):
        if event.kind == "contacted":
            self._stall("event")

    @hookimpl
    def ownit_notify(self, notification):
        if notification.kind == "contacted":
            self._stall("notify")


@pytest.mark.parametrize("where", ["route", "validate"])
def test_a_hook_that_hangs_while_raising_refuses_cleanly(ownit_database_url, ownit_clock, monkeypatch, where) -> None:
    import time

    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "0.3")
    plugin = Hangs(where)
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    started = time.monotonic()
    try:
        with pytest.raises(PluginError, match=r"no answer within 0.3 s from (a plugin|plugin 'faulty') "
                                              r"(routing|checking) the request, so nothing was saved"):
            raise_leak(desk)
        assert time.monotonic() - started < 5
        assert count(desk, Request) == 0 and count(desk, Event) == 0
    finally:
        plugin.release.set()
    assert raise_leak(desk)["ref"] == "FAC-1001"  # the desk goes on working


@pytest.mark.parametrize("where", ["event", "notify"])
def test_a_hook_that_hangs_after_the_change_is_recorded_and_the_change_stands(
        ownit_database_url, ownit_clock, monkeypatch, where) -> None:
    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "0.3")
    plugin = Hangs(where)
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    try:
        contacted = service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    finally:
        plugin.release.set()
    assert contacted["promise"]["first_contact_at"] is not None
    assert any("no answer within 0.3 s from plugin 'faulty'" in w and "the change stands" in w
               for w in desk.take_warnings())
    shown = service.show(desk, view["ref"], actor=HELEN)
    assert [e["kind"] for e in shown["timeline"]][-2:] == ["contacted", "plugin_error"]


class FlakyChannel:
    """A chat channel that is down for the first ``down`` deliveries."""

    def __init__(self, down: int) -> None:
        self.down, self.delivered = down, []

    @hookimpl
    def ownit_notify(self, notification):
        if self.down > 0:
            self.down -= 1
            raise ConnectionError("chat server down")
        self.delivered.append((notification.kind, notification.recipient_email))
        return True


def undelivered(desk):
    from ownit.models import Notification

    return look(desk, lambda s: [(n.id, n.attempts) for n in s.exec(
        select(Notification).where(Notification.delivered_at.is_(None)).order_by(Notification.id))])


NOT_DURABLE = "SET LOCAL synchronous_commit TO OFF"


def marking(desk, units: list[list[str]]) -> list[tuple[bool, bool]]:
    """Each unit that marked a delivery attempt: whether it wrote to a
    timeline (a plugin's failure), and whether its commit skipped the disk."""
    marks = {s.compiled(desk.connections.dialect).sql for s in (outbox._DELIVERED, outbox._FAILED)}
    return [(any(sql.startswith("INSERT INTO event") for sql in unit), NOT_DURABLE in unit)
            for unit in units if marks & set(unit)]


def test_a_notification_that_failed_is_retried_from_the_outbox_by_the_sweep(ownit_database_url, ownit_clock,
                                                                             monkeypatch) -> None:
    channel = FlakyChannel(down=2)
    desk = desk_with(channel, ownit_database_url, ownit_clock)
    units = units_sent(monkeypatch)
    raise_leak(desk)  # two notifications: the owner's "assigned", the requester's "raised"; the channel is down
    assert marking(desk, units) == [(True, False)]  # the failures on the timeline wait for the disk
    assert channel.delivered == [] and [attempts for _, attempts in undelivered(desk)] == [1, 1]
    assert any("chat server down" in w for w in desk.take_warnings())
    assert service.sweep(desk)["redelivered"] == []  # too fresh: left to the delivery after its commit
    ownit_clock.advance(minutes=2)
    report = service.sweep(desk)
    assert [line["attempt"] for line in report["redelivered"]] == [2, 2]
    assert [kind for kind, _ in channel.delivered if kind != "digest"] == ["assigned", "raised"]
    assert undelivered(desk) == []  # read on a connection of its own: the marks landed
    postgresql = desk.connections.dialect == "postgresql"
    delivered = marking(desk, units)[1:]  # delivery marks alone: on PostgreSQL the commit skips the disk
    assert delivered and set(delivered) == {(False, postgresql)}
    if postgresql:  # for that transaction only: the next unit on the pool's connection waits for the disk again
        assert store.run(desk, lambda u: u.db.execute(Sql("SHOW synchronous_commit")).scalar()) == "on"
    assert service.sweep(desk)["redelivered"] == []  # delivered once, never again


class NeverReaches:
    """A channel whose server never takes anything."""

    @hookimpl
    def ownit_notify(self, notification):
        raise ConnectionError("chat server down")


class NotForAnyone:
    """A channel that is not for these people (not configured, say): it declines."""

    @hookimpl
    def ownit_notify(self, notification):
        return None


def test_retries_stop_after_five_attempts(ownit_database_url, ownit_clock) -> None:
    desk = desk_with(NeverReaches(), ownit_database_url, ownit_clock)
    raise_leak(desk)
    first = [note_id for note_id, _ in undelivered(desk)]  # the owner's "assigned", the requester's "raised"
    gave_up = []
    for _ in range(6):  # the backoff: 1, 5, 15 and 60 minutes after attempts 1 to 4
        ownit_clock.advance(minutes=61)
        gave_up += [line for line in service.sweep(desk)["undeliverable"] if line["id"] in first]
    assert [line["attempt"] for line in gave_up] == [5, 5]
    assert all("chat server down" in line["error"] for line in gave_up)
    assert [(i, attempts) for i, attempts in undelivered(desk) if i in first] == [(i, 5) for i in first]


def test_a_channel_that_declines_is_never_asked_again(ownit_database_url, ownit_clock) -> None:
    desk = desk_with(NotForAnyone(), ownit_database_url, ownit_clock)
    raise_leak(desk)
    for _ in range(3):
        ownit_clock.advance(minutes=2)
        report = service.sweep(desk)
        assert report["redelivered"] == report["undeliverable"] == []
    assert undelivered(desk) == []  # done with: in the inbox, nothing to retry


# --- plugins can't escape: an exit, a wrong answer, a hang under the write lock, a listener that keeps hanging ---


class Exits:
    """A plugin that ends the process from one hook (``sys.exit(0)`` or a stray ``KeyboardInterrupt``)."""

    def __init__(self, where: str, exc: BaseException) -> None:
        self.where, self.exc = where, exc

    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        if self.where == "validate":
            raise self.exc

    @hookimpl
    def ownit_route(self, request, teams):
        if self.where == "route":
            raise self.exc

    @hookimpl
    @pure
    def ownit_choose_owner(self, request, team):
        if self.where == "owner":
            raise self.exc


@pytest.mark.parametrize("where, exc, step", [
    ("route", SystemExit(0), "routing the request"),
    ("validate", KeyboardInterrupt(), "checking the request"),
    ("owner", SystemExit(3), "choosing the owner"),
])
def test_a_plugin_that_exits_is_a_plugin_fault_and_nothing_is_saved(ownit_database_url, ownit_clock,
                                                                     where, exc, step) -> None:
    desk = desk_with(Exits(where, exc), ownit_database_url, ownit_clock)
    with pytest.raises(PluginError) as refused:
        raise_leak(desk)
    assert str(refused.value) == f"plugin 'faulty' failed while {step}, so nothing was saved: {exc!r}"
    assert count(desk, Request) == 0 and count(desk, Event) == 0
    desk.plugins = build_plugins()  # the same desk, the hook workers still serving
    assert raise_leak(desk)["ref"] == "FAC-1001"


def test_ownit_raise_with_a_routing_rule_that_exits_says_so_in_one_line(ownit_demo_org, monkeypatch) -> None:
    from typer.testing import CliRunner

    from ownit.cli import app

    monkeypatch.setattr("ownit.plugins._loaded", build_plugins(extra=[("exits", Exits("route", SystemExit(0)))]))
    result = CliRunner().invoke(app, ["--now", "2026-11-23T10:00:00+00:00", "raise", "--as", AMIRA,
                                      "--type", "facilities.leak", "--title", "Leak", "--field", "location=stockroom",
                                      "--field", "near_electrics=no"],
                                env={"OWNIT_DATABASE_URL": ownit_demo_org.url})
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == ["error: plugin 'exits' failed while routing the request, "
                                          "so nothing was saved: SystemExit(0)"]
    assert count(ownit_demo_org, Request) == 0


class Answers:
    """A plugin that answers one hook with ``value``."""

    def __init__(self, hook: str, value) -> None:
        self.hook, self.value = hook, value

    def _answer(self, hook):
        return self.value if hook == self.hook else None

    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        return self._answer("ownit_validate_request")

    @hookimpl(tryfirst=True)
    def ownit_priority(self, request_type, fields):
        return self._answer("ownit_priority")

    @hookimpl(tryfirst=True)
    def ownit_required_skills(self, request_type, fields):
        return self._answer("ownit_required_skills")

    @hookimpl
    def ownit_route(self, request, teams):
        return self._answer("ownit_route")

    @hookimpl
    def ownit_choose_owner(self, request, team):
        return self._answer("ownit_choose_owner")


@pytest.mark.parametrize("hook, value, expected", [
    ("ownit_choose_owner", 5, "an email (str) or None"),
    ("ownit_validate_request", "bad", "a list of messages (str) or None"),
    ("ownit_validate_request", ["fine", 7], "a list of messages (str) or None"),
    ("ownit_required_skills", "pos", "a list of skills (str) or None"),
    ("ownit_route", ["north"], "a team key (str) or None"),
    ("ownit_priority", 1, "a priority (str: urgent, high, normal or low) or None"),
])
def test_an_answer_of_the_wrong_type_is_refused_naming_the_plugin_and_the_hook(ownit_database_url, ownit_clock,
                                                                               hook, value, expected) -> None:
    desk = desk_with(Answers(hook, value), ownit_database_url, ownit_clock)
    with pytest.raises(PluginError) as refused:
        raise_leak(desk)
    assert str(refused.value) == (f"plugin 'faulty' returned {value!r} from {hook}, so nothing was saved; "
                                  f"it must return {expected}")
    assert count(desk, Request) == 0 and count(desk, Event) == 0


def test_answers_of_the_right_type_are_taken(ownit_database_url, ownit_clock) -> None:
    desk = desk_with(Answers("ownit_required_skills", ("security",)), ownit_database_url, ownit_clock)
    assert raise_leak(desk)["owner"]["email"] == "priya.shah@example.com"  # the one with security skills
    desk.plugins = build_plugins(extra=[("faulty", Answers("ownit_validate_request", ["Location: which floor?"]))])
    with pytest.raises(ValidationError, match=r"^Location: which floor\?$"):
        raise_leak(desk)


class NotifiesOddly:
    @hookimpl
    def ownit_notify(self, notification):
        return "yes"


def test_a_channel_answering_with_the_wrong_type_is_recorded_and_the_change_stands(ownit_database_url,
                                                                                   ownit_clock) -> None:
    desk = desk_with(NotifiesOddly(), ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    assert desk.take_warnings() == ["plugin 'faulty' returned 'yes' from ownit_notify; it must return True, "
                                    "False or None; the change stands"] * 2
    assert [e["kind"] for e in service.show(desk, view["ref"], actor=HELEN)["timeline"]][-1] == "plugin_error"
    assert [attempts for _, attempts in undelivered(desk)] == [1, 1]  # not delivered: the sweep offers them again


class Probes:
    """Pure rules for every step of a raise that note whether a transaction is open while they run,
    and on SQLite whether they could take the write lock themselves."""

    def __init__(self, url: str) -> None:
        self.url, self.seen = url, []

    def _probe(self, hook: str) -> None:
        free = None
        if self.url.startswith("sqlite:///"):
            import sqlite3

            other = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                free = True
            except sqlite3.OperationalError:  # database is locked: someone holds the write lock
                free = False
            finally:
                other.close()
        self.seen.append((hook, OPEN_UNITS[0], free))

    @hookimpl
    @pure
    def ownit_validate_request(self, request_type, fields):
        self._probe("validate")

    @hookimpl
    @pure
    def ownit_priority(self, request_type, fields):
        self._probe("priority")

    @hookimpl
    @pure
    def ownit_required_skills(self, request_type, fields):
        self._probe("skills")

    @hookimpl
    @pure
    def ownit_route(self, request, teams):
        self._probe("route")
        return "facilities-north"

    @hookimpl
    @pure
    def ownit_choose_owner(self, request, team):
        self._probe("owner")
        return "sam.doyle@example.com"


OPEN_UNITS = [0]  # transactions open now, counted around ownit.store.unit.run


@pytest.fixture
def counted_units(monkeypatch):
    from ownit.store import unit

    run = unit.run

    def counting(desk, work, **kwargs):
        def counted(u):
            OPEN_UNITS[0] += 1
            try:
                return work(u)
            finally:
                OPEN_UNITS[0] -= 1

        return run(desk, counted, **kwargs)

    monkeypatch.setattr(unit, "run", counting)


def test_no_plugin_rule_runs_while_a_transaction_is_open(ownit_database_url, ownit_clock, counted_units) -> None:
    probes = Probes(ownit_database_url)
    desk = desk_with(probes, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    assert view["owner"]["email"] == "sam.doyle@example.com" and view["team"]["key"] == "facilities-north"
    free = True if ownit_database_url.startswith("sqlite") else None
    assert probes.seen == [(hook, 0, free) for hook in ("validate", "priority", "skills", "route", "owner")]
    probes.seen.clear()
    who = service.who(desk, actor=AMIRA, request_type="facilities.leak")
    assert who["departments"][0]["owner"]["email"] == "sam.doyle@example.com"
    assert probes.seen == [(hook, 0, free) for hook in ("skills", "route", "owner")]


class HangsWhilePure:
    """A rule marked pure that hangs anyway (it calls a server it should not)."""

    def __init__(self) -> None:
        import threading

        self.entered, self.release = threading.Event(), threading.Event()

    @hookimpl
    @pure
    def ownit_choose_owner(self, request, team):
        self.entered.set()
        self.release.wait(30)


def test_a_pure_rule_that_hangs_is_timed_out_and_holds_no_lock(ownit_database_url, ownit_clock, monkeypatch) -> None:
    import threading
    import time

    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "2")
    plugin = HangsWhilePure()
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    other = Desk(url=desk.url, plugins=build_plugins(), clock=ownit_clock)
    ref = raise_leak(other)["ref"]
    refused: list[Exception] = []

    def raise_it() -> None:
        try:
            raise_leak(desk)
        except Exception as exc:
            refused.append(exc)

    raising = threading.Thread(target=raise_it)
    try:
        raising.start()
        assert plugin.entered.wait(10)  # the rule is hanging now
        started = time.monotonic()
        service.add_note(other, ref, actor=HELEN, note="On it")  # another person's action does not wait for it
        assert time.monotonic() - started < 1.5  # under the write lock it would wait for the 2 s limit at least
        raising.join(10)
    finally:
        plugin.release.set()
    assert [type(e) for e in refused] == [PluginError]
    assert str(refused[0]).startswith("no answer within 2 s from plugin 'faulty' choosing the owner, "
                                      "so nothing was saved")
    assert count(desk, Request) == 1  # only the other desk's request


class DeadServer:
    """A listener and a channel whose server stops answering once ``dead`` is set; counts the calls it gets."""

    def __init__(self) -> None:
        import threading

        self.dead, self.release = False, threading.Event()
        self.calls = {"ownit_on_event": 0, "ownit_notify": 0}

    def _call(self, hook: str) -> None:
        if self.dead:
            self.calls[hook] += 1
            self.release.wait(30)

    @hookimpl
    def ownit_on_event(self, request, event):
        self._call("ownit_on_event")

    @hookimpl
    def ownit_notify(self, notification):
        self._call("ownit_notify")
        return True


def test_a_listener_that_keeps_hanging_is_paused_and_a_sweep_costs_a_few_timeouts(ownit_database_url, ownit_clock,
                                                                                    monkeypatch) -> None:
    import time

    from ownit.service.reactions import PAUSE_AFTER

    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "0.5")
    plugin = DeadServer()
    desk = desk_with(plugin, ownit_database_url, ownit_clock)
    refs = [raise_leak(desk)["ref"] for _ in range(30)]
    ownit_clock.advance(days=3)  # every first contact is overdue, and escalated to the lead
    plugin.dead = True
    try:
        started = time.monotonic()
        report = service.sweep(desk)
        took = time.monotonic() - started
    finally:
        plugin.release.set()
    assert len(report["overdue"]) >= 30 and len(report["escalated"]) >= 30
    # one timeout per call would be 90 or more (each escalation is an event and two notifications)
    assert plugin.calls == {"ownit_on_event": PAUSE_AFTER, "ownit_notify": PAUSE_AFTER}
    assert took < 15  # a few timeouts of 0.5 s, not 30 or more
    warnings = desk.take_warnings()
    paused = [w for w in warnings if "OwnIt stops calling" in w]
    assert paused == [f"plugin 'faulty' did not answer {hook} within 0.5 s {PAUSE_AFTER} times, so OwnIt stops "
                      f"calling its {hook} until it is restarted; give its slow work short timeouts of its own "
                      "or a queue, or leave it out with OWNIT_DISABLE_PLUGINS=faulty"
                      for hook in ("ownit_on_event", "ownit_notify")]
    timed_out = [w for w in warnings if w.startswith("no answer within 0.5 s from plugin 'faulty'")]
    assert len(timed_out) == 2 * PAUSE_AFTER and len(warnings) == len(timed_out) + len(paused)
    notes = look(desk, lambda s: s.exec(select(func.count()).select_from(Event).where(
        Event.kind == "plugin_error")).one())
    assert notes == 2 * PAUSE_AFTER  # the first failures are on their requests' timelines, as ever
    # paused for the desk's lifetime: the next action and sweep do not call it, and say nothing more
    service.contact(desk, refs[0], actor=service.show(desk, refs[0], actor=HELEN)["owner"]["email"], note="Hi")
    ownit_clock.advance(days=2)
    service.sweep(desk)
    assert plugin.calls == {"ownit_on_event": PAUSE_AFTER, "ownit_notify": PAUSE_AFTER}
    assert desk.take_warnings() == []



class SpinsWhilePure:
    """A rule marked pure that computes for ever."""

    @hookimpl
    @pure
    def ownit_required_skills(self, request_type, fields):
        while True:  # only an interruption stops it
            pass


class SleepsWhilePure:
    """A rule marked pure that waits on something for ever."""

    @hookimpl
    @pure
    def ownit_choose_owner(self, request, team):
        import time

        time.sleep(30)


@pytest.mark.parametrize("rule", [SpinsWhilePure, SleepsWhilePure], ids=["spins", "sleeps"])
def test_a_pure_rule_on_the_main_thread_is_stopped_by_the_timer(ownit_database_url, ownit_clock, monkeypatch,
                                                                 rule) -> None:
    """From the main thread (the command line, the sweep) pure rules run in
    line under an interval timer: one that spins or sleeps is interrupted at
    the limit, the raise is refused with one line, nothing is saved, and the
    timer and its signal handler are put back as they were."""
    import signal
    import threading
    import time

    assert threading.current_thread() is threading.main_thread()
    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "0.5")
    desk = desk_with(rule(), ownit_database_url, ownit_clock)
    started = time.monotonic()
    with pytest.raises(PluginError, match=r"^no answer within 0\.5 s from plugin 'faulty' .*so nothing was saved"):
        raise_leak(desk)
    assert time.monotonic() - started < 5
    assert count(desk, Request) == 0
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL)[0] == 0
