"""A requester action due now: what the first stage asks of the requester
("keep people away from the spill") is said at once — on the card, in what
they are told when it is raised — and so is a later stage's, once reached."""

from __future__ import annotations

import pytest

import conftest
from conftest import AMIRA, SAM, UPKEEP_TEAM, with_department
from ownit import Field, Promise, RequestType, Stage, service

SPILL = RequestType(
    key="upkeep.spill", label="Spill", why="Nobody slips.",
    fields=(Field("where", "Where is it?", required=True),),
    stages=(Stage("reported", "Reported", requester_action="Keep people away from it until the cleaner comes"),
            Stage("cleaning", "Cleaner on the way", days=0.05),
            Stage("checked", "Checked by the store", days=0.1, requester_action="Check the floor is dry")),
    promise={"normal": Promise(first_contact="1h", checkin="2h", resolve="1d")})


class Upkeep(conftest.Upkeep):
    TYPES = (SPILL,)


@pytest.fixture
def upkeep(ownit_demo_org, tmp_path, monkeypatch):
    return with_department(ownit_demo_org, Upkeep(), UPKEEP_TEAM, tmp_path, monkeypatch)


def test_the_first_stage_s_action_is_due_now_and_a_later_one_once_reached(upkeep) -> None:
    view = service.raise_request(upkeep, actor=AMIRA, request_type="upkeep.spill", title="Milk", fields={"where": "4"})
    promise = view["promise"]
    assert promise["summary"].endswith("Your part now: Keep people away from it until the cleaner comes.")
    assert [(a["stage"], a["now"]) for a in promise["requester_actions"]] == [("reported", True), ("checked", False)]
    told = service.inbox(upkeep, actor=AMIRA)[0]
    assert told["message"].endswith("Your part now: Keep people away from it until the cleaner comes.")
    ref = view["ref"]
    service.contact(upkeep, ref, actor=SAM, note="On my way")
    moved = service.advance(upkeep, ref, actor=SAM, note="Mop out")
    assert "Your part: Check the floor is dry (at 'Checked by the store', expected" in moved["promise"]["summary"]
    moved = service.advance(upkeep, ref, actor=SAM, note="Done, please check")
    assert moved["promise"]["summary"].endswith("Your part now: Check the floor is dry.")


def test_the_command_line_says_it_when_the_request_is_raised(upkeep) -> None:
    from typer.testing import CliRunner

    from ownit.cli import app

    env = {"OWNIT_DATABASE_URL": upkeep.url, "OWNIT_USER": AMIRA}
    made = CliRunner().invoke(app, ["--now", upkeep.now().isoformat(), "raise", "--type", "upkeep.spill", "--title",
                                    "Milk", "--field", "where=aisle 4"], env=env)
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines()[-1] == "Your part now: Keep people away from it until the cleaner comes"
