"""Whom a channel reaches (``ownit_reach``): a notification that none of its
recipient's channels reaches is written as done, in their inbox, and is never
offered, after its commit or by the sweep; one a channel does reach is offered
to that channel only. A channel that does not say, or fails to, is offered
everything, and a paused one still counts as reaching: the sweep catches up."""

from __future__ import annotations

from conftest import AMIRA, HELEN, LEAK, units_sent
from ownit import Reach, hookimpl, service
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.org import load_org
from ownit.plugins import build_plugins
from ownit.service.reactions import PAUSE_AFTER
from ownit.store import outbox
from ownit.testing import outbox as notifications


class Pager:
    """A channel that sends to what ``reach`` says (``False``: it does not say), noting what it was offered."""

    def __init__(self, reach=False) -> None:
        self.reach = reach
        self.asked = 0
        self.offered: list[tuple[str, str]] = []

    @hookimpl
    def ownit_notify(self, notification):
        self.offered.append((notification.kind, notification.recipient_email))
        return True


class Says(Pager):
    @hookimpl
    def ownit_reach(self):
        self.asked += 1
        if isinstance(self.reach, Exception):
            raise self.reach
        return self.reach


def desk_with(channel: Pager, url: str, clock) -> Desk:
    desk = Desk(url=url, plugins=build_plugins(only={"facilities"}, extra=[("pager", channel)]), clock=clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk


def raise_leak(desk: Desk) -> dict:
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)


def states(desk: Desk) -> dict[str, tuple[str, int]]:
    return {line["kind"]: (line["state"], line["attempts"]) for line in service.outbox(desk, actor=HELEN)}


def test_what_no_channel_reaches_is_done_at_once_with_no_delivery_after_the_commit(ownit_database_url, ownit_clock,
                                                                                    monkeypatch) -> None:
    pager = Says(Reach(address=None))  # not configured: it reaches no one
    desk = desk_with(pager, ownit_database_url, ownit_clock)
    units = units_sent(monkeypatch)
    view = raise_leak(desk)
    marks = {s.compiled(desk.connections.dialect).sql for s in (outbox._DELIVERED, outbox._FAILED)}
    assert not any(marks & set(unit) for unit in units)  # no unit of delivery marks
    assert pager.offered == [] and desk.take_warnings() == []
    assert states(desk) == {"raised": ("delivered", 0), "assigned": ("delivered", 0)}
    assert [n["kind"] for n in service.inbox(desk, actor=view["owner"]["email"])] == ["assigned"]
    ownit_clock.advance(minutes=5)
    report = service.sweep(desk)
    assert report["redelivered"] == report["declined"] == [] and pager.offered == []
    assert pager.asked == 1  # once per desk


def test_a_channel_is_offered_only_the_people_it_reaches(ownit_database_url, ownit_clock, tmp_path) -> None:
    pager = Says(Reach(address="phone"))
    desk = desk_with(pager, ownit_database_url, ownit_clock)
    no_phone = tmp_path / "no-phone.toml"  # Amira gives her phone number up
    no_phone.write_text('[[person]]\nemail = "amira.khan@example.com"\nname = "Amira Khan"\nsite = "S001"\n'
                        'roles = ["requester"]\n', encoding="utf-8")
    load_org(desk, no_phone, skip_missing_departments=True)
    view = raise_leak(desk)
    assert pager.offered == [("assigned", view["owner"]["email"])]
    assert states(desk) == {"raised": ("delivered", 0), "assigned": ("delivered", 1)}


def test_a_channel_that_does_not_say_is_offered_everything(ownit_database_url, ownit_clock) -> None:
    pager = Pager()
    desk = desk_with(pager, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    assert sorted(pager.offered) == [("assigned", view["owner"]["email"]), ("raised", AMIRA)]
    assert states(desk) == {"raised": ("delivered", 1), "assigned": ("delivered", 1)}


def test_a_channel_that_fails_to_say_is_offered_everything_with_one_warning(ownit_database_url, ownit_clock) -> None:
    for wrong, said in ((ConnectionError("config server down"),
                         "plugin 'pager' failed on ownit_reach: ConnectionError('config server down')"),
                        ("everyone", "plugin 'pager' returned 'everyone' from ownit_reach; it must return a Reach "
                                     "or None")):
        pager = Says(wrong)
        desk = desk_with(pager, ownit_database_url, ownit_clock)
        raise_leak(desk)
        raise_leak(desk)
        assert len(pager.offered) == 4 and pager.asked == 1
        assert desk.take_warnings() == [f"{said}; it is offered every notification"]


def test_a_paused_channel_still_reaches_and_the_sweep_catches_up(ownit_database_url, ownit_clock) -> None:
    pager = Says(Reach(address="email"))
    desk = desk_with(pager, ownit_database_url, ownit_clock)
    desk.hook_timeouts[("pager", "ownit_notify")] = PAUSE_AFTER  # it hung twice: not called while this desk lives
    view = raise_leak(desk)
    assert pager.offered == []
    assert states(desk) == {"raised": ("pending", 0), "assigned": ("pending", 0)}  # not given up on
    restarted = desk_with(pager, ownit_database_url, ownit_clock)
    ownit_clock.advance(minutes=2)
    report = service.sweep(restarted)
    assert len([line for line in report["redelivered"] if line["ref"]]) == 2  # and the morning digests
    assert sorted(p for p in pager.offered if p[0] != "digest") == [("assigned", view["owner"]["email"]),
                                                                    ("raised", AMIRA)]
    assert all(n["delivered_at"] is not None for n in notifications(desk))
