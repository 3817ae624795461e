"""Changing answers after the raise: "cordoned off: yes" makes an urgent
spill high priority, its promise is worked out again, the timeline says so
and the other side is told — through the service, the command line and the
card."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

import conftest
from conftest import AMIRA, SAM, UPKEEP_TEAM, with_department
from test_ui import app, unfold  # noqa: F401  (the fixture)
from ownit import Field, Promise, RequestType, Stage, hookimpl, service
from ownit.errors import Conflict, NotFound, ValidationError

SPILL = RequestType(
    key="upkeep.spill", label="Spill", why="Nobody slips.", calendar="24x7",
    fields=(Field("where", "Where is it?", required=True),
            Field("slippery", "Could someone slip on it?", kind="yesno", required=True, risk_when=True),
            Field("cordoned", "Is it cordoned off?", kind="yesno", shown_when=("slippery", True))),
    stages=(Stage("reported", "Reported"), Stage("cleaning", "Cleaner on the way", days=0.05),
            Stage("cleaned", "Cleaned", days=0.1)),
    priorities=("urgent", "high"),
    promise={"urgent": Promise(first_contact="15m", checkin="30m", resolve="2h"),
             "high": Promise(first_contact="30m", checkin="1h", resolve="4h"),
             "normal": Promise(first_contact="2h", checkin="4h", resolve="1d")})


class Upkeep(conftest.Upkeep):
    TYPES = (SPILL,)

    @hookimpl
    def ownit_priority(self, request_type, fields):
        if request_type == "upkeep.spill" and fields.get("slippery"):
            return "high" if fields.get("cordoned") else "urgent"
        return None


SATURDAY_2AM = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def upkeep(ownit_demo_org, tmp_path, monkeypatch):
    with_department(ownit_demo_org, Upkeep(), UPKEEP_TEAM, tmp_path, monkeypatch)
    ownit_demo_org.clock.set(SATURDAY_2AM)
    return ownit_demo_org


def raise_spill(desk, **fields):
    return service.raise_request(desk, actor=AMIRA, request_type="upkeep.spill", title="Oil by the tills",
                                 fields={"where": "tills", "slippery": "yes", "cordoned": "no", **fields})


def kinds(view):
    return [(e["kind"], e["note"]) for e in view["timeline"]][2:]  # after raised and assigned


def test_cordoned_off_lowers_the_priority_and_moves_the_promise(upkeep) -> None:
    spill = raise_spill(upkeep)
    assert (spill["priority"], spill["promise"]["resolve_by"]) == ("urgent", "2026-11-28T04:00:00+00:00")
    upkeep.clock.advance(minutes=5)
    view = service.change_answers(upkeep, spill["ref"], actor=AMIRA, answers={"cordoned": "yes"},
                                  note="Tape across the aisle")
    assert view["priority"] == "high" and view["fields"]["cordoned"] is True
    # each promise moves by the difference: first contact 15m -> 30m, resolve 2h -> 4h, from the raise
    assert view["promise"]["first_contact_due"] == "2026-11-28T02:30:00+00:00"
    assert view["promise"]["resolve_by"] == "2026-11-28T06:00:00+00:00"
    assert view["promise"]["first_contact_within"] == "30 minutes"
    said = "Is it cordoned off? no → yes — Tape across the aisle"
    assert kinds(view) == [("answers_changed", said), ("priority_changed", "urgent → high")]
    changed = next(e for e in view["timeline"] if e["kind"] == "priority_changed")
    assert changed["data"] == {"from": "urgent", "to": "high", "resolve_by": "2026-11-28T06:00:00+00:00"}
    told = service.inbox(upkeep, actor=SAM)[0]  # the owner hears what the requester changed
    assert told["message"] == ("UPK-1001: Amira Khan changed the answers: Is it cordoned off? no → yes — Tape across "
                            "the aisle. It is now high priority: resolve by Sat 28 Nov 06:00.")


def test_the_team_s_change_is_told_to_the_requester_and_drops_a_follow_up_no_longer_asked(upkeep) -> None:
    ref = raise_spill(upkeep)["ref"]
    service.contact(upkeep, ref, actor=SAM, note="On my way")  # check-ins every 30m from 02:00
    view = service.change_answers(upkeep, ref, actor=SAM, answers={"slippery": "no"})
    assert view["fields"] == {"where": "tills", "slippery": False}  # "cordoned off?" is no longer asked
    assert view["priority"] == "normal"
    assert view["promise"]["next_checkin_due"] == "2026-11-28T06:00:00+00:00"  # 30m -> 4h
    assert view["promise"]["resolve_by"] == "2026-11-29T02:00:00+00:00"  # 2h -> 1 day of 24 hours
    told = service.inbox(upkeep, actor=AMIRA)[0]["message"]
    assert told.startswith("UPK-1001: Sam Doyle changed the answers: Could someone slip on it? yes → no; "
                           "Is it cordoned off? no → —. It is now normal priority")
    again = service.change_answers(upkeep, ref, actor=SAM, answers={"where": "aisle 4"})  # the priority stays
    assert [k for k, _ in kinds(again)][-1] == "answers_changed" and again["priority"] == "normal"


def test_bad_changes_are_refused_and_save_nothing(upkeep) -> None:
    ref = raise_spill(upkeep)["ref"]
    for answers, error, message in (
            ({"colour": "red"}, ValidationError, "Spill has no field 'colour'"),
            ({"cordoned": "maybe"}, ValidationError, "'maybe' is not yes or no"),
            ({"cordoned": "no"}, ValidationError, "UPK-1001 already has those answers; nothing changed"),
            ({}, ValidationError, "no answer given"),
    ):
        with pytest.raises(error, match=message):
            service.change_answers(upkeep, ref, actor=AMIRA, answers=answers)
    with pytest.raises(NotFound):  # someone who may not see it cannot change it
        service.change_answers(upkeep, ref, actor="tom.hughes@example.com", answers={"cordoned": "yes"})
    assert kinds(service.show(upkeep, ref, actor=AMIRA)) == []


def test_a_repeated_change_changes_nothing_and_a_closed_request_keeps_its_answers(upkeep) -> None:
    ref = raise_spill(upkeep)["ref"]
    first = service.change_answers(upkeep, ref, actor=AMIRA, answers={"cordoned": "yes"}, key="k1")
    again = service.change_answers(upkeep, ref, actor=AMIRA, answers={"cordoned": "yes"}, key="k1")
    assert again["repeated"] and len(again["timeline"]) == len(first["timeline"])
    service.contact(upkeep, ref, actor=SAM, note="Mopped")
    service.resolve(upkeep, ref, actor=SAM, note="Dry")
    service.confirm(upkeep, ref, actor=AMIRA)
    with pytest.raises(Conflict, match="cannot change the answers of UPK-1001: it is closed"):
        service.change_answers(upkeep, ref, actor=AMIRA, answers={"where": "aisle 4"})


def test_the_command_line_changes_answers_and_says_the_new_priority(upkeep) -> None:
    from ownit.cli import app as ownit_cli

    ref = raise_spill(upkeep)["ref"]
    env = {"OWNIT_DATABASE_URL": upkeep.url, "OWNIT_USER": AMIRA, "COLUMNS": "160"}
    now = ["--now", SATURDAY_2AM.isoformat()]
    done = CliRunner().invoke(ownit_cli, [*now, "answer", ref, "--field", "cordoned=yes"], env=env)
    assert done.exit_code == 0, done.output
    assert done.stdout == (f"{ref}: answers changed; now high priority, resolve by Sat 28 Nov 06:00 (status open, "
                           "stage Reported 1/3, owner Sam Doyle)\n")
    shown = CliRunner().invoke(ownit_cli, [*now, "show", ref], env=env)
    assert "Is it cordoned off? no → yes" in shown.stdout
    assert "priority_changed Amira Khan — urgent → high" in shown.stdout
    refused = CliRunner().invoke(ownit_cli, [*now, "answer", ref, "--field", "cordoned=perhaps"], env=env)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.strip().count("\n") == 0 and "'perhaps' is not yes or no" in refused.stderr


def test_the_card_changes_an_answer_and_says_the_new_priority(app, upkeep) -> None:  # noqa: F811
    ref = raise_spill(upkeep)["ref"]
    at = app(AMIRA)
    at.query_params["ref"] = ref
    at.run()
    assert not at.exception
    unfold(at, "answers", ref)
    cordoned = next(r for r in at.radio if r.label == "Is it cordoned off? (if Could someone slip on it is yes)")
    assert cordoned.value == "no"  # the form starts from the answers given
    cordoned.set_value("yes")
    next(b for b in at.button if b.label == "Save the answers").click().run()
    assert not at.exception and not at.error
    from test_ui import rendered_text

    assert (f"{ref}: answers changed; now high priority, resolve by Sat 28 Nov 06:00"
            in [rendered_text(s.value) for s in at.success])
    view = service.show(upkeep, ref, actor=AMIRA)
    assert view["fields"]["cordoned"] is True and view["priority"] == "high"
    assert [k for k, _ in kinds(view)] == ["answers_changed", "priority_changed"]  # only what changed was sent
    assert view["timeline"][2]["note"] == "Is it cordoned off? no → yes"
