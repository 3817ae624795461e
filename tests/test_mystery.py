"""Mystery requests: a lead tests the service the stores meet. Planned by the
lead, raised by a store manager who agreed to, worked like any other with no
sign of it anywhere the owner or the team looks, scored once closed
(measured from the timeline, asked of the manager), revealed to the owner
for coaching, and left out of ordinary service health — on SQLite and
PostgreSQL.

The demo's clock stands at Monday 23 November 2026 10:00 (London, UTC in
November). Facilities North (Helen Price leads; Sam Doyle and Priya Shah)
serves the north; Tom Hughes manages the York store (S002) and takes part."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import AMIRA, GRACE, HELEN, LEAK, PRIYA, SAM, TOM
from ownit import events, mystery as rubric, service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from test_cli import Cli

SCENARIO = "The stockroom ceiling drips when it rains; the shutter sticks."
YES = dict(told_owner="yes", told_goal="yes", told_how="yes", told_part="no", heard_why="yes", fought_corner="yes")


def programme(desk: Any, **kwargs: Any) -> dict[str, Any]:
    return service.set_mystery_programme(desk, actor=HELEN, team="facilities-north", per_month=2,
                                         request_types=["facilities.leak"], shoppers=[TOM], **kwargs)


def planned(desk: Any, **kwargs: Any) -> int:
    """A programme Tom agreed to, and one mystery request planned for him: its id."""
    programme(desk)
    service.take_part_in_mysteries(desk, actor=TOM, team="facilities-north")
    return service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario=SCENARIO, **kwargs)["planned"]


def raise_it(desk: Any, mystery_id: int | None, title: str = "Stockroom ceiling drips") -> dict[str, Any]:
    return service.raise_request(desk, actor=TOM, request_type="facilities.leak", title=title, fields=LEAK,
                                 mystery=mystery_id)


def work_and_close(desk: Any, ref: str, owner: str) -> None:
    """The owner works it well: contact, moves it on, a check-in, resolved; Tom confirms it fixed."""
    desk.clock.advance(hours=1)
    service.contact(desk, ref, actor=owner, note="I own this; roofer booked for tomorrow")
    desk.clock.advance(hours=2)
    service.advance(desk, ref, actor=owner, note="Seen it: the flashing is loose; a roofer is needed")
    desk.clock.advance(hours=2)
    service.check_in(desk, ref, actor=owner, note="Roofer confirmed for 9am")
    desk.clock.advance(hours=20)
    service.resolve(desk, ref, actor=owner, note="Roof patched and the shutter oiled")
    desk.clock.advance(hours=1)
    service.confirm(desk, ref, actor=TOM, nps=10, effort=1, comment="All dry, thank you")


def answer(desk: Any, mystery_id: int, **kwargs: Any) -> dict[str, Any]:
    return service.answer_mystery(desk, mystery_id, actor=TOM, answers={**YES, "nps": 9, "effort": 2, **kwargs})


def parts_of(scored: dict[str, Any]) -> dict[str, float | None]:
    return {p["key"]: p["value"] for p in scored["parts"]}


def heard(desk: Any, email: str) -> list[dict[str, Any]]:
    return service.inbox(desk, actor=email)


# --- the lifecycle --------------------------------------------------------------------------------------


def test_plan_raise_work_score_and_reveal(ownit_demo_org) -> None:
    desk = ownit_demo_org
    shown = programme(desk)
    assert shown["per_month"] == 2 and [s["name"] for s in shown["shoppers"]] == ["Tom Hughes"]
    assert shown["shoppers"][0]["agreed"] is None
    invited = [n for n in heard(desk, TOM) if n["kind"] == "mystery_invite"]
    assert len(invited) == 1 and "Helen Price asks you to raise mystery requests for Facilities North" \
        in invited[0]["message"]
    with pytest.raises(ValidationError, match="has not agreed"):
        service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario=SCENARIO, shopper=TOM)
    page = service.take_part_in_mysteries(desk, actor=TOM, team="facilities-north")
    assert page["invitations"][0]["agreed"] == "2026-11-23T10:00:00+00:00"
    one = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario=SCENARIO)
    two = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="The fire door will not close.",
                               raise_by=date(2026, 11, 30))
    assert [m["stage"] for m in two["mysteries"]] == ["to raise", "to raise"]
    assert [m["raise_by"] for m in two["mysteries"]] == ["2026-11-30", "2026-12-07"]
    scenario = [n for n in heard(desk, TOM) if n["kind"] == "mystery_scenario"]
    assert len(scenario) == 2 and SCENARIO in scenario[-1]["message"]
    assert [m["id"] for m in service.my_mysteries(desk, actor=TOM)["to_raise"]] == [one["planned"], two["planned"]]

    view = raise_it(desk, one["planned"])
    ref, owner = view["ref"], view["owner"]["email"]
    lead_view = service.mystery_programme(desk, actor=HELEN, team="facilities-north")
    under_way = next(m for m in lead_view["mysteries"] if m["id"] == one["planned"])
    assert under_way["stage"] == "being worked" and under_way["ref"] is None and under_way["owner"] is None
    with pytest.raises(Conflict, match="is open; the form is answered once it is closed"):
        answer(desk, one["planned"])
    work_and_close(desk, ref, owner)
    swept = service.sweep(desk)
    assert swept["mystery_forms"] == 1  # a count: whoever runs the sweep is told no ref
    assert service.sweep(desk)["mystery_forms"] == 0  # asked once
    assert [n["kind"] for n in heard(desk, TOM)][0] == "mystery_form"
    mine = service.my_mysteries(desk, actor=TOM)["raised"]
    assert [(m["ref"], m["to_answer"]) for m in mine] == [(ref, True)]

    scored = answer(desk, one["planned"], comment="Quick and kind")
    # measured: contact on time, one check-in on time, the named owner called, the next stage reached by its
    # expected time, resolved within the promise, no hand-off (left out): 5/5 → 100; asked: 5 yes of 6,
    # NPS 9 → 0.9, effort 2 → 5/6: (5 + 0.9 + 0.8333) / 8 = 0.8417 → 84.2; the score is their mean:
    # (100 + 84.17) / 2 = 92.08 → 92.1
    assert parts_of(scored)["stages"] == 1.0
    assert scored["score"] == 92.1 and scored["rubric"] == rubric.RUBRIC and scored["owner"] == view["owner"]["name"]
    assert scored["charter_version"] == 1  # Facilities North's charter of the demo
    parts = {p["key"]: p["value"] for p in scored["parts"]}
    assert parts["handoffs"] is None and parts["first_contact"] == 1.0 and parts["told_part"] == 0.0
    with pytest.raises(Conflict, match="answered already"):
        answer(desk, one["planned"])
    # the reveal: the owner and the lead are told, and the card says so for the owner
    assert [n["message"] for n in heard(desk, owner) if n["kind"] == "mystery"] == [
        f"{ref} 'Stockroom ceiling drips' was a mystery request, raised to test the service; your request scored "
        "92.1 out of 100. It is for coaching: see it on the Mystery requests page"]
    assert [n["kind"] for n in heard(desk, HELEN)].count("mystery") == 1
    assert service.show(desk, ref, actor=owner)["mystery"]["score"] == 92.1
    assert service.show(desk, ref, actor=TOM)["mystery"]["score"] == 92.1
    noted = service.note_mystery(desk, one["planned"], actor=HELEN, note="Great first call; tell them their part")
    assert noted["note"] == "Great first call; tell them their part" and noted["noted_by"] == "Helen Price"
    assert "The lead's note: Great first call; tell them their part." in \
        [n for n in heard(desk, owner) if n["kind"] == "mystery"][0]["message"]
    revealed = service.my_mysteries(desk, actor=owner)["revealed"]
    assert [(m["ref"], m["score"]) for m in revealed] == [(ref, 92.1)]
    lead_line = next(m for m in service.mystery_programme(desk, actor=HELEN, team="facilities-north")["mysteries"]
                     if m["id"] == one["planned"])
    assert (lead_line["stage"], lead_line["ref"], lead_line["owner"], lead_line["score"]) == (
        "scored", ref, view["owner"]["name"], 92.1)


def test_who_may_plan_raise_and_answer(ownit_demo_org) -> None:
    desk = ownit_demo_org
    with pytest.raises(PermissionDenied, match="only the lead of Facilities North"):
        service.set_mystery_programme(desk, actor=SAM, team="facilities-north", per_month=2,
                                      request_types=["facilities.leak"], shoppers=[TOM])
    with pytest.raises(ValidationError, match="is in Facilities North"):
        service.set_mystery_programme(desk, actor=HELEN, team="facilities-north", per_month=2,
                                      request_types=["facilities.leak"], shoppers=[SAM])
    with pytest.raises(ValidationError, match="does not serve Queen Street, Bristol"):
        service.set_mystery_programme(desk, actor=HELEN, team="facilities-north", per_month=2,
                                      request_types=["facilities.leak"], shoppers=[GRACE])
    with pytest.raises(ValidationError, match="not a request type of Facilities North's department"):
        service.set_mystery_programme(desk, actor=HELEN, team="facilities-north", per_month=2,
                                      request_types=["it.broken"], shoppers=[TOM])
    with pytest.raises(PermissionDenied, match="nothing to agree to"):
        service.take_part_in_mysteries(desk, actor=AMIRA, team="facilities-north")
    mystery_id = planned(desk)
    with pytest.raises(NotFound, match=f"no mystery request {mystery_id} for you to raise"):
        service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Drip", fields=LEAK,
                              mystery=mystery_id)
    with pytest.raises(ValidationError, match="is a facilities.leak; raise it as that type"):
        service.raise_request(desk, actor=TOM, request_type="facilities.fixture", title="Shutter",
                              fields={"item": "back shutter", "hazard": "no"}, mystery=mystery_id)
    raise_it(desk, mystery_id)
    with pytest.raises(Conflict, match="was raised already"):
        raise_it(desk, mystery_id)
    with pytest.raises(NotFound, match="of yours to answer"):
        service.answer_mystery(desk, mystery_id, actor=AMIRA, answers={**YES, "nps": 5, "effort": 3})
    with pytest.raises(ValidationError, match="answer yes or no to 'Did you hear why it matters\\?'"):
        service.answer_mystery(desk, mystery_id, actor=TOM, answers={**YES, "heard_why": "maybe", "nps": 5,
                                                                     "effort": 3})
    with pytest.raises(ValidationError, match="give effort as a whole number from 1 to 7"):
        answer(desk, mystery_id, effort=9)
    with pytest.raises(PermissionDenied):
        service.mystery_results(desk, actor=SAM, team="facilities-north")
    with pytest.raises(PermissionDenied):
        service.mystery_programme(desk, actor=PRIYA, team="facilities-north")


def test_no_more_a_month_than_the_programme_allows(ownit_demo_org) -> None:
    desk = ownit_demo_org
    planned(desk, raise_by=date(2026, 12, 3))
    service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Fire door", raise_by=date(2026, 12, 9))
    with pytest.raises(Conflict, match="allows 2 a month and December 2026 has 2 planned"):
        service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Third", raise_by=date(2026, 12, 20))
    third = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Third",
                                 raise_by=date(2027, 1, 5), key="plan-3")
    again = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Third",
                                 raise_by=date(2027, 1, 5), key="plan-3")
    assert again["repeated"] and len(again["mysteries"]) == len(third["mysteries"]) == 3


# --- secrecy: no sign of it anywhere the owner or the team looks while it is open -------------------------


def _plain(data: Any, refs: dict[str, str]) -> str:
    """A view as text, with the two requests' refs made alike (and why each
    got its owner: the second is Tom's again, so continuity), to compare them."""
    text = re.sub(r'"reason": "[^"]*"', '"reason": "R"', json.dumps(data, sort_keys=True, default=str))
    for old, new in refs.items():
        text = text.replace(old, new)
    return text


def test_secrecy_every_surface_the_owner_and_team_see_is_that_of_any_request(ownit_demo_org,
                                                                              ownit_database_url) -> None:
    """Two requests alike in all but the mark: the owner's card, the queue,
    the team summary, the CLI (plain and --json), the notices, the plugin
    snapshot and the report rows say the same of both, and nowhere 'mystery'."""
    desk = ownit_demo_org
    mystery_id = planned(desk)
    secret = raise_it(desk, mystery_id, title="Drip A")
    ordinary = raise_it(desk, None, title="Drip A")
    assert secret["owner"]["email"] != ordinary["owner"]["email"] or True
    a, b = secret["ref"], ordinary["ref"]
    same = {a: "REF", b: "REF"}
    for person in (secret["owner"]["email"], HELEN, SAM, PRIYA):
        shown_a = service.show(desk, a, actor=person)
        shown_b = service.show(desk, b, actor=person)
        assert shown_a["mystery"] is None
        for view in (shown_a, shown_b):
            view.pop("id", None)
            view.pop("owner", None), view.pop("allowed", None), view.pop("load", None), view.pop("handoff", None)
        assert _plain(shown_a, same) == _plain(shown_b, same)
        assert "mystery" not in _plain(shown_a, {}).replace('"mystery": null', "").lower()
    queue = service.queue(desk, actor=HELEN, team="facilities-north")
    assert "mystery" not in _plain(queue, {}).lower()
    summary = service.team_summary(desk, actor=HELEN, team="facilities-north")
    assert "mystery" not in _plain(summary, {}).lower()
    cli = Cli(ownit_database_url)
    for args in (["queue", "--team", "facilities-north"], ["queue", "--team", "facilities-north", "--json"],
                 ["show", a], ["show", a, "--json"], ["report", "--team", "facilities-north", "--json"],
                 ["report", "--team", "facilities-north", "--csv"]):
        for person in (secret["owner"]["email"], HELEN):
            out = cli.ok(*args, "--as", person, now=desk.now().isoformat()).stdout
            assert "mystery" not in out.lower().replace('"mystery": null', ""), (args, person)
    # every notification about the request, to anyone but the manager raising it
    with desk.engine.connect() as connection:
        import sqlalchemy as sa

        rows = connection.execute(sa.text("SELECT n.person_id, n.kind, n.message, n.data FROM notification n "
                                          "JOIN request r ON r.id = n.request_id WHERE r.ref = :ref"),
                                  {"ref": a}).all()
    told = [r for r in rows if r[0] != desk_person_id(desk, TOM)]
    assert told and all("mystery" not in f"{r[1]} {r[2]} {r[3]}".lower() for r in told)
    # the plugin snapshot of the request
    from ownit.store import unit as store
    from ownit.service.reactions import snapshot

    from ownit.store import requests

    snap = store.run(desk, lambda u: snapshot(u, requests.by_ref(u, a)), write=False)
    assert "mystery" not in repr(snap).lower()


def desk_person_id(desk: Any, email: str) -> int:
    from ownit.store import unit as store

    return store.run(desk, lambda u: u.directory.person(email).id, write=False)


# --- ordinary service health leaves it out --------------------------------------------------------------


def test_service_health_is_unchanged_by_a_mystery_request(ownit_demo_org) -> None:
    desk = ownit_demo_org
    mystery_id = planned(desk)
    before = None

    def headline() -> dict[str, Any]:
        return service.report(desk, actor=HELEN, team="facilities-north")["headline"]

    view = raise_it(desk, mystery_id)
    ordinary = raise_it(desk, None, title="Ordinary drip")
    work_and_close(desk, ordinary["ref"], ordinary["owner"]["email"])
    desk.clock.advance(hours=1)
    before = headline()
    work_and_close(desk, view["ref"], view["owner"]["email"])
    desk.clock.advance(hours=1)
    assert headline() == before
    assert before["first_contacts"] == 1 and before["resolved"] == 1
    # a missed first contact on a mystery request is not counted as missed either
    late_id = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Door")["planned"]
    raise_it(desk, late_id, title="Never called back")
    desk.clock.advance(days=5)
    assert headline()["first_contacts"] == 1
    record = service.team_record(desk, "facilities-north")
    assert record["first_contacts"] == 1 and record["resolved"] == 1


def test_results_per_owner_with_the_spread_beside_service_health(ownit_demo_org) -> None:
    """Two mystery requests, owned at their close by the team's two members:
    the first worked well and loved, the second handed over without a word
    and scored low by the store — a wide spread; ordinary work beside them."""
    desk = ownit_demo_org
    first = planned(desk)
    second = service.plan_mystery(desk, actor=HELEN, team="facilities-north", scenario="Fire door",
                                  raise_by=date(2026, 11, 30))["planned"]
    ordinary = raise_it(desk, None, title="Ordinary drip")
    view = raise_it(desk, first, title="Leak one")
    owner = view["owner"]["email"]
    work_and_close(desk, view["ref"], owner)
    high = answer(desk, first, nps=10)
    view = raise_it(desk, second, title="Leak two")  # Tom's again: the same owner, by continuity
    other = SAM if owner == PRIYA else PRIYA
    service.hand_off(desk, view["ref"], actor=owner, to=other, note="Over to you")
    work_and_close(desk, view["ref"], other)
    low = service.answer_mystery(desk, second, actor=TOM, answers={
        **{k: "no" for k in YES}, "nps": 2, "effort": 6})
    desk.clock.advance(minutes=1)  # results count what was scored before now
    found = service.mystery_results(desk, actor=HELEN, team="facilities-north")
    assert found["count"] == 2 and found["mean"] == rubric.tenth((high["score"] + low["score"]) / 2)
    assert [(o["name"], o["mean"]) for o in found["owners"]] == [(high["owner"], high["score"]),
                                                                 (low["owner"], low["score"])]
    assert found["spread"]["gap"] == rubric.tenth(high["score"] - low["score"]) and found["spread"]["wide"]
    assert found["mystery_nps"] == 0.0  # one promoter, one detractor
    assert found["parts"]["handoffs"] == {"label": "each hand-off with a note", "mean": 1.0, "count": 1}
    figures = {row["figure"]: row for row in found["beside"]}
    assert figures["first contact kept"]["mystery"] == 1.0
    assert figures["first contact kept"]["health"] == 0.0  # the ordinary request's first contact was missed
    assert figures["NPS"]["health"] is None  # and it was never rated, while both mystery requests were
    assert found["months"] == [{"month": "2026-11", "mean": found["mean"], "count": 2}]
    assert sorted((m["owner"], m["mean"]) for m in found["owner_months"]) == sorted(
        [(high["owner"], high["score"]), (low["owner"], low["score"])])
    assert ordinary["ref"] not in json.dumps(found)


# --- the rubric's arithmetic, by hand ----------------------------------------------------------------------


def _entry(hour: int, event: events.Event, actor: int | None = None, note: str = "") -> SimpleNamespace:
    return SimpleNamespace(at=datetime(2026, 11, 23, hour, tzinfo=timezone.utc), event=event, actor_id=actor,
                           note=note)


def test_the_rubric_on_a_hand_built_timeline() -> None:
    due = datetime(2026, 11, 23, 23, tzinfo=timezone.utc)
    entries = [
        _entry(9, events.Assigned(owner="sam@x", team="t", reason="r")),
        _entry(10, events.Contacted(on_time=True, business_hours=1.0), actor=2),  # Priya, not Sam, called
        _entry(11, events.CheckedIn(on_time=True)),
        _entry(12, events.CheckedIn(on_time=False)),
        _entry(13, events.MovedOn(from_stage="triage", to_stage="repair")),  # reached on time (expected 13:00)
        _entry(14, events.HandedOff(from_owner="sam@x", to_owner="priya@x"), note="Priya knows the roof"),
        _entry(15, events.HandedOff(from_owner="priya@x", to_owner="sam@x")),  # no note
        _entry(16, events.MovedOn(from_stage="repair", to_stage="check")),  # reached late (expected 15:00)
        _entry(17, events.Resolved(from_stage="check", on_time=False, business_hours=7.0, business_days=0.8,
                                   waiting_hours=0.0, checkin_missed=True)),  # "done" is the resolution's part
    ]
    stage_due = {"triage": "2026-11-23T09:00:00+00:00", "repair": "2026-11-23T13:00:00+00:00",
                 "check": "2026-11-23T15:00:00+00:00", "done": due.isoformat()}
    parts = rubric.measured(entries, stage_due, {1: "sam@x", 2: "priya@x"})
    # check-ins: 1 on time of 2 made + 1 missed at resolution = 1/3; stages 1 of 2; hand-offs 1 of 2
    assert parts == {"first_contact": 1.0, "checkins": pytest.approx(1 / 3), "owner_from_start": 0.0,
                     "stages": 0.5, "handoffs": 0.5, "resolved": 0.0}
    answers = rubric.checked_answers({**YES, "told_goal": "no", "nps": 6, "effort": 4})
    score = rubric.score(parts, answers)
    # measured: (1 + 1/3 + 0 + 0.5 + 0.5 + 0) / 6 = 0.38889 → 38.9
    # asked: yes 4 of 6, NPS 6 → 0.6, effort 4 → 3/6 = 0.5: (4 + 0.6 + 0.5) / 8 = 0.6375 → 63.8 (63.75)
    # score: (38.889 + 63.75) / 2 = 51.32 → 51.3
    assert (score.measured, score.asked, score.total, score.rubric) == (38.9, 63.8, 51.3, 1)


def test_a_part_with_nothing_to_measure_is_left_out() -> None:
    entries = [_entry(9, events.Assigned(owner="sam@x", team="t", reason="r")),
               _entry(10, events.Contacted(on_time=False, business_hours=9.0), actor=1),
               _entry(12, events.Resolved(from_stage="triage", on_time=True, business_hours=3.0, business_days=0.3,
                                          waiting_hours=0.0, checkin_missed=False))]
    parts = rubric.measured(entries, {}, {1: "sam@x"})
    assert parts == {"first_contact": 0.0, "checkins": None, "owner_from_start": 1.0, "stages": None,
                     "handoffs": None, "resolved": 1.0}
    score = rubric.score(parts, rubric.checked_answers({**YES, "told_part": "yes", "nps": 10, "effort": 1}))
    # measured (0 + 1 + 1) / 3 → 66.7; asked all 1 → 100; score (66.667 + 100) / 2 = 83.3
    assert (score.measured, score.asked, score.total) == (66.7, 100.0, 83.3)
    assert rubric.spread([80.0, 40.0, 60.0]) == {"lowest": 40.0, "highest": 80.0, "gap": 40.0, "stdev": 16.3}


# --- the command line -------------------------------------------------------------------------------------


class CliAt(Cli):
    """The command line at the desk's clock: its output, one line per error."""

    def __init__(self, url: str, desk: Any) -> None:
        super().__init__(url)
        self.desk = desk

    def ok(self, *args: str, **kwargs: Any) -> str:  # type: ignore[override]
        return super().ok(*args, now=self.desk.now().isoformat(), **kwargs).stdout

    def fails(self, *args: str, code: int = 1, **kwargs: Any) -> str:
        return super().fails(*args, code=code, now=self.desk.now().isoformat(), **kwargs)


def test_the_command_line_from_plan_to_results(ownit_demo_org, ownit_database_url) -> None:
    desk = ownit_demo_org
    cli = CliAt(ownit_database_url, desk)
    said = cli.ok("mystery", "programme", "facilities-north", "--per-month", "2", "--type", "facilities.leak",
                  "--shopper", TOM, "--as", HELEN)
    assert "asked to take part: Tom Hughes" in " ".join(said.split())
    assert "thank you" in cli.ok("mystery", "agree", "facilities-north", "--as", TOM)
    said = cli.ok("mystery", "plan", "facilities-north", "--scenario", SCENARIO, "--key", "p1", "--as", HELEN)
    assert "Tom Hughes raises a facilities.leak by 2026-12-07" in " ".join(said.split())
    assert "nothing changed" in cli.ok("mystery", "plan", "facilities-north", "--scenario", SCENARIO, "--key", "p1",
                                       "--as", HELEN)
    mystery_id = service.my_mysteries(desk, actor=TOM)["to_raise"][0]["id"]
    assert f"--mystery {mystery_id}" in " ".join(cli.ok("mystery", "mine", "--as", TOM).split())
    raised = json.loads(cli.ok("raise", "--type", "facilities.leak", "--title", "Ceiling drips", "-f",
                               "location=stockroom", "-f", "near_electrics=no", "--mystery", str(mystery_id),
                               "--json", "--as", TOM))
    ref, owner = raised["ref"], raised["owner"]["email"]
    assert raised["mystery"] is None
    work_and_close(desk, ref, owner)
    err = cli.fails("mystery", "answer", str(mystery_id), "--told-owner", "perhaps", "--told-goal", "yes",
                    "--told-how", "yes", "--told-part", "yes", "--heard-why", "yes", "--fought-corner", "yes",
                    "--nps", "9", "--effort", "2", "--as", TOM)
    assert err.count("\n") <= 1 and "answer yes or no to 'Were you told who owns it?'" in err
    said = cli.ok("mystery", "answer", str(mystery_id), "--told-owner", "yes", "--told-goal", "yes", "--told-how",
                  "yes", "--told-part", "yes", "--heard-why", "yes", "--fought-corner", "yes", "--nps", "9",
                  "--effort", "2", "--as", TOM)
    assert f"{ref}: thank you. It scored" in said
    desk.clock.advance(minutes=1)
    assert "your note is with" in cli.ok("mystery", "note", str(mystery_id), "--note", "Well done", "--as", HELEN)
    shown = " ".join(cli.ok("mystery", "show", "facilities-north", "--as", HELEN).split())
    assert "scored" in shown and ref in shown
    results = " ".join(cli.ok("mystery", "results", "facilities-north", "--as", HELEN).split())
    assert "1 mystery request scored" in results and "By owner" in results and "service health" in results
    data = json.loads(cli.ok("mystery", "results", "facilities-north", "--json", "--as", HELEN))
    assert data["count"] == 1 and data["scored"][0]["ref"] == ref
    assert json.loads(cli.ok("show", ref, "--json", "--as", owner))["mystery"]["score"] == data["mean"]
    card = " ".join(cli.ok("show", ref, "--as", owner).split())  # revealed, now it is closed and scored
    assert f"This was a mystery request, raised to test the service: it scored {data['mean']:g} out of 100" in card
    assert "Helen Price's note: Well done" in card
    assert "only the lead" in cli.fails("mystery", "results", "facilities-north", "--as", SAM)
