"""The escalation sweep and the promise clock, through the service on a real database."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlmodel import func, select

from conftest import AMIRA, HELEN, LEAK, PRIYA, SAM, look
from ownit import service
from ownit.models import Event, Notification


def raise_leak(desk, **kwargs):
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak",
                                 fields=kwargs.pop("fields", LEAK), **kwargs)


def notes(desk, email, kind):
    return [n for n in service.inbox(desk, actor=email) if n["kind"] == kind]


def count_events(desk, kind):
    return look(desk, lambda s: s.exec(select(func.count()).select_from(Event).where(Event.kind == kind)).one())


def utc(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def test_a_missed_first_contact_is_told_then_escalated_once(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)  # Monday 10:00, high: first contact within 4 business hours -> 14:00
    owner = view["owner"]["email"]
    clock.set(utc(23, 12, 30))
    report = service.sweep(desk)
    assert [(r["ref"], r["promise"]) for r in report["due_soon"]] == [(view["ref"], "first_contact")]
    assert report["overdue"] == [] and report["escalated"] == []
    clock.set(utc(23, 14, 30))
    report = service.sweep(desk)
    assert [r["promise"] for r in report["overdue"]] == ["first_contact"]
    assert report["escalated"] == []  # the lead hears only after the 2 business hours of grace
    clock.set(utc(23, 16, 5))
    report = service.sweep(desk)
    assert [(r["ref"], r["lead"]) for r in report["escalated"]] == [(view["ref"], HELEN)]
    for _ in range(2):  # idempotent, however often cron runs it
        again = service.sweep(desk)
        assert again["due_soon"] == again["overdue"] == again["escalated"] == []
    assert len(notes(desk, owner, "due_soon")) == 1
    assert len(notes(desk, owner, "overdue")) == 1
    assert len(notes(desk, HELEN, "escalated")) == 1
    assert len(notes(desk, AMIRA, "escalated")) == 1  # the requester sees we escalated on their behalf
    shown = service.show(desk, view["ref"], actor=AMIRA)
    assert [e["kind"] for e in shown["timeline"]].count("escalated") == 1
    assert shown["promise"]["states"]["first_contact"] == "overdue"
    assert [r["ref"] for r in service.queue(desk, actor=owner, overdue=True)] == [view["ref"]]


def test_an_urgent_request_is_due_soon_by_the_same_rule_on_the_card_and_in_the_sweep(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk, fields={**LEAK, "near_electrics": "yes"})  # urgent: first contact within 2h, 12:00
    assert (view["priority"], view["promise"]["first_contact_due"]) == ("urgent", utc(23, 12).isoformat())
    assert view["promise"]["states"]["first_contact"] == "on track"  # raised this minute: not due soon
    for moment, state in ((utc(23, 10), "on track"), (utc(23, 10, 59), "on track"), (utc(23, 11), "due soon")):
        clock.set(moment)
        assert service.show(desk, view["ref"], actor=AMIRA)["promise"]["states"]["first_contact"] == state
        told = [(r["ref"], r["promise"]) for r in service.sweep(desk)["due_soon"]]
        assert told == ([(view["ref"], "first_contact")] if state == "due soon" else []), moment
    assert len(notes(desk, view["owner"]["email"], "due_soon")) == 1


def test_a_missed_checkin_escalates_and_a_checkin_clears_it(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="on it")  # next check-in Tue 10:00
    clock.set(utc(24, 13))
    report = service.sweep(desk)
    assert [(r["promise"], r["owner"]) for r in report["escalated"]] == [("checkin", owner)]
    assert [r["ref"] for r in service.queue(desk, actor=owner, overdue=True)] == [ref]
    service.check_in(desk, ref, actor=owner, note="roofer tomorrow")
    assert service.queue(desk, actor=owner, overdue=True) == []
    assert service.sweep(desk)["escalated"] == []
    assert count_events(desk, "escalated") == 1


def test_waiting_pauses_every_due_time_by_the_business_time_waited(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    contacted = service.contact(desk, ref, actor=owner, note="on it")["promise"]
    waiting = service.wait_on_requester(desk, ref, actor=owner, note="Send a photo of the ceiling")
    assert waiting["promise"]["waiting"]["for"] == "Send a photo of the ceiling"
    assert set(waiting["promise"]["states"].values()) == {"met", "paused"}
    clock.set(utc(26, 10))  # three business days later (Mon 10:00 -> Thu 10:00)
    assert service.queue(desk, actor=owner, overdue=True) == []  # the clock is paused
    assert service.sweep(desk)["overdue"] == []
    resumed = service.resume(desk, ref, actor=AMIRA, note="Photo sent")["promise"]
    assert resumed["next_checkin_due"] == "2026-11-27T10:00:00+00:00"  # Tue 10:00 + 3 business days
    assert resumed["resolve_by"] == "2026-12-01T10:00:00+00:00"  # Thu 26th 10:00 + 3 business days
    before = {s["key"]: s["expected"] for s in contacted["stages"]}
    after = {s["key"]: s["expected"] for s in resumed["stages"]}
    assert after["assessed"] != before["assessed"]
    timeline = service.show(desk, ref, actor=HELEN)["timeline"]
    assert timeline[-1]["kind"] == "resumed" and timeline[-1]["data"]["paused_hours"] == 30.0


def test_needed_by_earlier_than_the_standard_must_be_agreed(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk, needed_by=date(2026, 11, 24))  # standard: Thursday 26th 10:00
    ref, owner = view["ref"], view["owner"]["email"]
    assert view["promise"]["needs_agreement"] is True
    assert "You need it by 2026-11-24" in service.show(desk, ref, actor=AMIRA)["promise"]["summary"]
    import pytest

    from ownit.errors import ValidationError

    with pytest.raises(ValidationError, match="needs agreement.*--agreed-by"):
        service.contact(desk, ref, actor=owner, note="hello")
    with pytest.raises(ValidationError, match="in the past"):
        service.contact(desk, ref, actor=owner, note="hello", agreed_by=date(2026, 11, 20))
    agreed = service.contact(desk, ref, actor=owner, note="Tuesday is tight; agreed Wednesday",
                             agreed_by=date(2026, 11, 25))
    assert agreed["promise"]["needs_agreement"] is False
    assert agreed["promise"]["agreed_by"] == "2026-11-25"
    assert agreed["promise"]["resolve_by"] == "2026-11-25T18:00:00+00:00"  # close of business, 08:00-18:00 team
    event = [e for e in agreed["timeline"] if e["kind"] == "agreed"][0]
    assert event["note"] == "Tuesday is tight; agreed Wednesday"
    assert event["data"]["previous_resolve_by"] == "2026-11-26T10:00:00+00:00"
    later = raise_leak(desk, needed_by=date(2026, 12, 10))
    assert later["promise"]["needs_agreement"] is False


def test_the_sweep_hands_on_work_when_an_absence_begins(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    owner = view["owner"]["email"]
    other = SAM if owner == PRIYA else PRIYA
    assert service.set_away(desk, actor=HELEN, email=owner, start=date(2026, 11, 25),
                            until=date(2026, 11, 27))["reassigned"] == []
    clock.set(utc(25, 9))
    report = service.sweep(desk)
    assert report["reassigned"] == [{"ref": view["ref"], "to": other}]
    assert service.sweep(desk)["reassigned"] == []
    assert service.show(desk, view["ref"], actor=HELEN)["owner"]["email"] == other


def test_resolved_and_unconfirmed_requests_close_after_five_business_days(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="on it")
    service.resolve(desk, ref, actor=owner, note="fixed")
    clock.set(utc(30, 9, 59))  # 5 business days is Monday 30th 10:00
    assert service.sweep(desk)["closed"] == []
    clock.set(utc(30, 10))
    assert service.sweep(desk)["closed"] == [{"ref": ref}]
    shown = service.show(desk, ref, actor=AMIRA)
    assert shown["status"] == "closed" and shown["timeline"][-1]["kind"] == "closed"
    assert notes(desk, AMIRA, "closed")


def test_notifications_are_keyed_so_duplicates_cannot_exist(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    raise_leak(desk)
    clock.set(utc(24, 12))
    service.sweep(desk)
    keys = look(desk, lambda s: s.exec(select(Notification.dedupe_key).where(
        Notification.dedupe_key.is_not(None))).all())
    assert keys and len(keys) == len(set(keys))


def test_the_sweep_looks_only_at_requests_with_something_new_to_say(ownit_demo_org) -> None:
    """Once a missed promise has been told and escalated, later sweeps pass the
    request by — until it changes or its next promise comes near."""
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)  # first contact due Monday 14:00
    clock.set(utc(23, 12, 30))
    assert service.sweep(desk)["looked_at"] == 1  # due soon: told
    clock.set(utc(23, 13, 0))
    assert service.sweep(desk)["looked_at"] == 0  # nothing new until it is overdue
    clock.set(utc(23, 14, 1))
    assert service.sweep(desk)["looked_at"] == 1  # overdue: told
    clock.set(utc(23, 15, 0))
    assert service.sweep(desk)["looked_at"] == 0  # escalation is due at 16:00
    clock.set(utc(23, 16, 1))
    report = service.sweep(desk)
    assert report["looked_at"] == 1 and len(report["escalated"]) == 1
    clock.set(utc(23, 17, 0))
    assert service.sweep(desk)["looked_at"] == 0  # all said
    version = service.show(desk, view["ref"], actor=HELEN)["version"]
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="Sorry, on my way")
    assert service.show(desk, view["ref"], actor=HELEN)["version"] == version + 1  # the sweep bumped nothing
    # the next promise, a daily check-in due Tuesday 17:00, comes due soon at 15:00 (two business hours before)
    clock.set(utc(24, 14, 59))
    assert service.sweep(desk)["looked_at"] == 0
    clock.set(utc(24, 15, 0))
    report = service.sweep(desk)
    assert [r["promise"] for r in report["due_soon"]] == ["checkin"]


def test_the_sweep_works_in_batches_and_a_clash_skips_only_its_own_request(ownit_demo_org, monkeypatch) -> None:
    """Many requests per transaction; when one of them clashes with an agent
    acting at the same moment, its batch is done again request by request and
    only that one is left for the next sweep."""
    from ownit.errors import Conflict

    from ownit.service import sweeping

    desk, clock = ownit_demo_org, ownit_demo_org.clock
    monkeypatch.setattr(sweeping, "SWEEP_BATCH", 3)
    views = [raise_leak(desk) for _ in range(7)]
    clashing = service.show(desk, views[4]["ref"], actor=HELEN)["id"]
    real = sweeping._sweep_one

    def clash(u, req, report):
        if req.id == clashing:
            raise Conflict("this request was changed by someone else at the same moment")
        real(u, req, report)

    monkeypatch.setattr(sweeping, "_sweep_one", clash)
    clock.set(utc(23, 12, 30))
    transactions = []
    real_transaction = sweeping.transaction
    monkeypatch.setattr(sweeping, "transaction", lambda d, work: transactions.append(1) or real_transaction(d, work))
    report = service.sweep(desk)
    assert report["skipped"] == [clashing]
    assert sorted(r["ref"] for r in report["due_soon"]) == sorted(v["ref"] for v in views if v is not views[4])
    assert len(transactions) == 3 + 3  # batches of 3, 3, 1; the clashing batch again as 3 single requests
    monkeypatch.setattr(sweeping, "_sweep_one", real)
    assert [r["ref"] for r in service.sweep(desk)["due_soon"]] == [views[4]["ref"]]  # the next sweep tells it
