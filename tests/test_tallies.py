"""Day tallies (ownit/tallies.py): a report counts each finished day once and
then reads it, and a day whose counts change is never read stale.

The history is the hand-made week of tests/test_metrics.py (conftest.history),
looked at from the Monday after, when its days are over."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete as sa_delete
from sqlmodel import Session, select

from conftest import AMIRA, HELEN, LEAK, LUCY, OWEN, SINCE, UNTIL, at
from ownit import metrics, service, tallies
from ownit.store import unit as store
from ownit.models import Feedback, Measure, Request, Tally, TallyDay


def _days(desk) -> set[date]:
    with Session(desk.engine) as session:
        return set(session.exec(select(TallyDay.day)))


def _north(desk, **kwargs):
    return service.report(desk, actor=HELEN, team="facilities-north", since=SINCE, until=UNTIL, **kwargs)


def _same(raws: dict) -> dict:
    """Raw counts with their pooled values in order, to compare however they were pooled."""
    return {key: {k: sorted(v) if isinstance(v, list) else v for k, v in raw.items()} for key, raw in raws.items()}


def test_a_report_counts_each_finished_day_once_then_reads_it(history) -> None:
    desk, *_ = history
    desk.clock.set(at(30, 9))
    first = _north(desk, by="owner")
    # the whole days of the trend's twelve weeks back from the end, which hold the period and the
    # previous one, all over by Monday the 30th
    assert _days(desk) == {date(2026, 9, 5) + timedelta(days=i) for i in range(84)}
    headline = first["headline"]
    assert headline["resolved"] == 3 and headline["first_contact_median_h"] == pytest.approx(4.0)
    assert _north(desk, by="owner") == first

    # it is the tally that is read: a (forged) change to one day's tally shows in the report ...
    with Session(desk.engine) as session:
        tally = session.exec(select(Tally).where(  # A was resolved on Wednesday
            Tally.day == date(2026, 11, 25), Tally.data["resolved"].as_integer() > 0)).one()
        tally.data = {**tally.data, "resolved": tally.data["resolved"] + 10}
        session.add(tally)
        session.commit()
    assert _north(desk)["headline"]["resolved"] == 13
    # ... and a day that is not marked current is counted again from the measures
    with Session(desk.engine) as session:
        session.delete(session.get(TallyDay, date(2026, 11, 25)))
        session.commit()
    assert _north(desk, by="owner") == first
    assert date(2026, 11, 25) in _days(desk)


def test_a_change_to_what_a_day_counted_makes_the_day_stale(history) -> None:
    desk, a_owner, b_owner, c = history
    clock = desk.clock
    clock.set(at(23, 11))  # D: raised and contacted on Monday, still open a week later
    d = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Drip", fields=LEAK)
    clock.set(at(23, 13))
    service.contact(desk, d["ref"], actor=d["owner"]["email"], note="Looking now")
    clock.set(at(30, 9))
    _north(desk)
    everything = _days(desk)
    assert date(2026, 11, 23) in everything and date(2026, 11, 24) in everything

    # D changes owner: its contact (a measure) moves to the new owner, so Monday is stale
    other = a_owner if d["owner"]["email"] != a_owner else b_owner
    service.hand_off(desk, d["ref"], actor=HELEN, to=other, note="Back from leave")
    assert _days(desk) == everything - {date(2026, 11, 23)}
    owners = {o["key"]: o for o in _north(desk, by="owner")["owners"]}
    assert owners[other]["first_contacts"] == 2  # their own and D's, which went with it

    # C (never contacted, first contact due Tuesday) changes owner: Tuesday's missed contact moves
    south = service.report(desk, actor=HELEN, team="facilities-south", since=SINCE, until=UNTIL)
    assert south["headline"]["first_contacts"] == 1 and south["headline"]["first_contact_kept"] == 0
    lead_view = service.show(desk, c["ref"], actor="owen.ellis@example.com")
    to = next(m["email"] for m in lead_view["team_members"] if m["email"] != c["owner"]["email"])
    before = _days(desk)
    service.hand_off(desk, c["ref"], actor="owen.ellis@example.com", to=to, note="Lucy is on it")
    assert _days(desk) == before - {date(2026, 11, 24)}

    # a rating changed, a measure removed: the day each happened on
    before = _days(desk)
    with Session(desk.engine) as session:
        rating = session.exec(select(Feedback).where(Feedback.nps == 10)).one()  # Amira's, Wednesday
        rating.nps = 9
        session.add(rating)
        session.commit()
    assert _days(desk) == before - {date(2026, 11, 25)}
    before = _days(desk)
    with Session(desk.engine) as session:
        reopening = session.exec(select(Measure).where(Measure.kind == "reopened")).one()  # Friday
        session.delete(reopening)
        session.commit()
    assert _days(desk) == before - {date(2026, 11, 27)}
    headline = _north(desk)["headline"]
    assert headline["reopened"] == 0 and headline["nps"] == 0  # 9 is neither promoter nor detractor now


def test_tallies_add_up_to_counting_directly(history) -> None:
    """Whatever mix of tallied days, part-days and stale days a span covers,
    it adds up to the same as counting its measures directly."""
    desk, *_ = history
    desk.clock.set(at(30, 9))
    now = desk.now()
    tallies.refresh(desk, [(at(24, 0), at(26, 0))])  # Tuesday and Wednesday only
    assert _days(desk) == {date(2026, 11, 24), date(2026, 11, 25)}
    scopes = [metrics.Scope(), metrics.Scope(department="facilities"), metrics.Scope(team_id=None, owner_id=None)]
    with Session(desk.engine) as session:
        scopes.append(metrics.Scope(owner_id=session.exec(select(Request.owner_id)).first()))
        scopes.append(metrics.Scope(site_id=session.exec(select(Request.site_id)).first()))  # never tallied

    def check(u) -> None:
        for scope in scopes:
            for start, end in ((SINCE, UNTIL), (at(23, 10, 15), at(27, 11)), (at(24, 0), at(25, 0)),
                               (at(25, 12), at(30, 9))):
                direct = metrics.raw(u, scope, start, end, now=now, group=lambda rows: [rows.owner_id, rows.team_id])
                by_day = tallies.tallied(u, scope, start, end, now=now)
                assert {day for _, _, day in by_day} <= {start.date() + timedelta(days=i) for i in range(8)}
                pooled = metrics.regroup(by_day, lambda key: key[:2])
                assert _same(pooled) == _same(direct), (scope, start)

    store.run(desk, check, write=False)


def test_a_day_not_over_is_never_tallied(history) -> None:
    desk, *_ = history  # the clock is at Friday 27 16:00
    assert tallies.whole_days(SINCE, UNTIL, desk.now()) == [date(2026, 11, 23) + timedelta(days=i) for i in range(4)]
    assert tallies.whole_days(at(23, 10), at(24, 10), desk.now()) == []
    service.report(desk, actor=HELEN, team="facilities-north", since=SINCE, until=UNTIL)
    assert max(_days(desk)) == date(2026, 11, 26)
    assert service.report(desk, actor=HELEN, site="S001", since=SINCE, until=UNTIL)["headline"]["resolved"] == 1


def test_the_sweep_recounts_the_days_reports_counted_that_changed(history) -> None:
    desk, a_owner, b_owner, c = history
    desk.clock.set(at(30, 9))
    assert service.sweep(desk)["tallies_recounted"] == 0  # no report has counted anything: nothing to keep
    _north(desk)
    counted = _days(desk)
    owen = "owen.ellis@example.com"
    to = next(m["email"] for m in service.show(desk, c["ref"], actor=owen)["team_members"]
              if m["email"] != c["owner"]["email"])
    service.hand_off(desk, c["ref"], actor=owen, to=to, note="Lucy is on it")
    assert _days(desk) == counted - {date(2026, 11, 24)}
    # Tuesday again, and the weekend since the report's period: every finished day from the first counted
    assert service.sweep(desk)["tallies_recounted"] == 3
    assert _days(desk) == counted | {date(2026, 11, 28), date(2026, 11, 29)}
    assert service.sweep(desk)["tallies_recounted"] == 0



def test_counting_holds_no_writer_up_and_a_change_meanwhile_is_counted_later(history, monkeypatch) -> None:
    """While a report counts its days, others write at once (no lock is held):
    a request is raised, and C is handed to someone else, which changes what
    the day its first contact was due counted. That day's count is not kept;
    the others are; the next report counts the day again, with the change."""
    desk, _, _, c = history
    desk.clock.set(at(30, 9))
    with Session(desk.engine) as session:
        due = session.exec(select(Request.first_contact_due).where(Request.ref == c["ref"])).one().date()
    counting, written = metrics.raw, []

    def count_while_others_write(u, scope, start, end, **kwargs):
        if not written and start == tallies._midnight(due):  # once, as that day is being counted
            written.append(service.raise_request(desk, actor=AMIRA, request_type="facilities.leak",
                                                 title="Raised mid-count", fields=LEAK)["ref"])
            service.hand_off(desk, c["ref"], actor=OWEN, to=OWEN if c["owner"]["email"] == LUCY else LUCY,
                             note="Nearer to Bristol")
        return counting(u, scope, start, end, **kwargs)

    monkeypatch.setattr(metrics, "raw", count_while_others_write)
    _north(desk)
    assert written  # they went through while the days were being counted
    counted = _days(desk)
    assert due not in counted and len(counted) == 83  # every day of the twelve weeks but the one that changed
    monkeypatch.setattr(metrics, "raw", counting)
    again = _north(desk, by="owner")
    assert due in _days(desk)
    with Session(desk.engine) as session:  # counted from scratch, the tallies agree
        session.exec(sa_delete(TallyDay))
        session.commit()
    assert _north(desk, by="owner") == again
