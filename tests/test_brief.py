"""Brief answers (``Desk.brief``): an action on a request answers with the
request's line — what the command line prints and what the UI needs before it
draws the card afresh — without reading what only the whole view shows (the
timeline, the team's loads, the tasks). The action itself is the same: the
same rules, the same rows, the same timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from conftest import AMIRA, HELEN, LEAK, PRIYA, SAM
from test_rating import rating_token
from ownit import events, service
from ownit.clock import FixedClock
from ownit.errors import Conflict, ValidationError
from ownit.store import sql as store_sql

LINE = {"ref", "title", "status", "priority", "stage", "stage_label", "progress", "owner", "team", "timezone",
        "next_due", "overdue", "repeated"}  # the queue line (ownit.views.summary_view) and whether it was a repeat


@pytest.fixture
def brief(ownit_demo_org):
    return replace(ownit_demo_org, brief=True)


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """Every statement sent to the database from here on, as its SQL."""
    statements: list[str] = []
    real = store_sql.Cursor._run

    def run(self, sql, params):
        statements.append(" ".join(sql.split()))
        return real(self, sql, params)

    monkeypatch.setattr(store_sql.Cursor, "_run", run)
    return statements


def leak(desk) -> tuple[str, str]:
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    return view["ref"], view["owner"]["email"]


def test_every_action_on_a_request_answers_with_its_line(brief) -> None:
    ref, owner = leak(brief)
    answers = [service.contact(brief, ref, actor=owner, note="On my way"),
               service.check_in(brief, ref, actor=owner, note="Roofer booked"),
               service.advance(brief, ref, actor=owner, note="Assessed"),
               service.wait_on_requester(brief, ref, actor=owner, note="Which door?"),
               service.resume(brief, ref, actor=AMIRA, note="The back one"),
               service.add_note(brief, ref, actor=owner, note="Keys collected"),
               service.work_with(brief, ref, actor=owner, company="Acme Roofing"),
               service.resolve(brief, ref, actor=owner, note="Patched"),
               service.confirm(brief, ref, actor=AMIRA, nps=9),
               service.reopen(brief, ref, actor=AMIRA, note="Dripping again")]
    for answer in answers:
        assert set(answer) == LINE and answer["ref"] == ref and answer["repeated"] is False
    shown = service.show(brief, ref, actor=owner)  # the whole view, when asked
    line = answers[-1]
    same = ("ref", "title", "status", "priority", "stage", "stage_label", "timezone", "next_due", "overdue")
    assert {k: shown[k] for k in same} == {k: line[k] for k in same}
    assert (line["owner"]["email"], line["progress"]["done"], line["progress"]["total"], line["team"]) == (
        shown["owner"]["email"], shown["progress"]["done"], shown["progress"]["total"], shown["team"]["key"])
    assert [e["kind"] for e in shown["timeline"]] == [
        "raised", "assigned", "contacted", "checkin", "stage", "waiting", "resumed", "note", "working_with",
        "resolved", "confirmed", "reopened"]


def test_a_brief_action_reads_only_what_its_rules_need(brief, ownit_demo_org, sent) -> None:
    ref, owner = leak(brief)
    service.contact(brief, ref, actor=owner, note="On my way")
    sent.clear()
    service.check_in(brief, ref, actor=owner, note="Roofer booked")
    reads = [s for s in sent if s.startswith("SELECT")]
    assert not [s for s in reads if "FROM event" in s or "FROM task" in s or "team_member" in s], reads
    sent.clear()
    view = service.check_in(ownit_demo_org, ref, actor=owner, note="Still on it")  # the whole view: all of them
    joined = " ".join(sent)
    assert "FROM event" in joined and "FROM task" in joined and "team_member" in joined
    assert [e["kind"] for e in view["timeline"]][-3:] == ["contacted", "checkin", "checkin"]


def test_a_hand_off_s_whole_view_reads_the_team_s_loads_once_and_shows_them_after_it(ownit_demo_org,
                                                                                     sent) -> None:
    """Its rule reads them (is the new owner away?); its view shows them
    moved by the hand-off, as the database's open counts then hold them."""
    desk = ownit_demo_org
    ref, owner = leak(desk)
    other = SAM if owner == PRIYA else PRIYA
    sent.clear()
    view = service.hand_off(desk, ref, actor=HELEN, to=other, note="knows the building")
    assert len([s for s in sent if "FROM team_member" in s]) == 1
    assert view["owner"]["email"] == other
    assert view["team_members"] == service.show(desk, ref, actor=HELEN)["team_members"]  # read afresh
    before = {p["email"]: p["open"] for p in service.show(desk, ref, actor=HELEN)["team_members"]}
    back = service.hand_off(desk, ref, actor=HELEN, to=owner, note="back to you")
    after = {p["email"]: p["open"] for p in back["team_members"]}
    assert (after[owner], after[other]) == (before[owner] + 1, before[other] - 1)


def test_a_repeated_submission_answers_briefly_and_changes_nothing(brief) -> None:
    ref, owner = leak(brief)
    first = service.contact(brief, ref, actor=owner, note="On my way", key="k-1")
    again = service.contact(brief, ref, actor=owner, note="On my way", key="k-1")
    assert (first["repeated"], again["repeated"]) == (False, True)
    assert {k: v for k, v in again.items() if k != "repeated"} == {k: v for k, v in first.items() if k != "repeated"}
    kinds = [e["kind"] for e in service.show(brief, ref, actor=owner)["timeline"]]
    assert kinds.count("contacted") == 1


def test_rules_that_look_back_at_the_timeline_still_see_it(brief) -> None:
    """The timeline is read when a rule asks for it: a contractor not on the
    request, the time it waited on its requester, a second rating."""
    ref, owner = leak(brief)
    service.contact(brief, ref, actor=owner, note="On my way")
    service.wait_on_requester(brief, ref, actor=owner, note="Which door?")
    later = replace(brief, clock=FixedClock(brief.now() + timedelta(hours=3)))
    with pytest.raises(ValidationError, match="Acme Roofing is not working on"):
        service.work_with(later, ref, actor=owner, company="Acme Roofing", done=True)
    service.work_with(later, ref, actor=owner, company="Acme Roofing")
    service.resume(later, ref, actor=AMIRA, note="The back one")
    service.resolve(later, ref, actor=owner, note="Patched")
    entries = service.show(later, ref, actor=owner)["timeline"]
    resolved = next(e for e in entries if e["kind"] == events.Resolved.kind)
    waited = next(e for e in entries if e["kind"] == events.Resumed.kind)["data"]["paused_hours"]
    assert resolved["data"]["waiting_hours"] == pytest.approx(waited) and waited > 0
    service.rate_by_link(later, token=rating_token(later, ref), nps=10, effort=1)
    with pytest.raises(Conflict, match=f"^{ref} was already rated on .*; confirm it without a rating$"):
        service.confirm(later, ref, actor=AMIRA, nps=7)
