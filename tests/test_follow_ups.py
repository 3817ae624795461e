"""Several choices and follow-up questions: a department declares them, and
they are asked, checked and shown alike through the service, the command
line and the browser's form."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import conftest
from conftest import AMIRA, UPKEEP_TEAM, raise_page, with_department
from test_ui import app  # noqa: F401  (the fixture)
from ownit import Field, Promise, RequestType, Stage, service
from ownit.departments import DeclarationError
from ownit.errors import ValidationError

DEEP_CLEAN = RequestType(
    key="upkeep.deep_clean", label="Deep clean", why="A clean store is a safe store.",
    fields=(Field("areas", "Which areas?", kind="multichoice", required=True,
                  choices=("shop floor", "stockroom", "toilets", "other"), risk_when="toilets"),
            Field("other_area", "Which other area?", required=True, shown_when=("areas", "other")),
            Field("spill", "Is anything spilt?", kind="yesno"),
            Field("cordoned", "Is it cordoned off?", kind="yesno", shown_when=("spill", True))),
    stages=(Stage("asked", "Asked"), Stage("booked", "Cleaners booked", days=1), Stage("done", "Cleaned", days=2)),
    promise={"normal": Promise(first_contact="30m", checkin="1d", resolve="5d")},
)


class Upkeep(conftest.Upkeep):
    TYPES = (DEEP_CLEAN,)




@pytest.fixture
def upkeep(ownit_demo_org, tmp_path, monkeypatch):
    """The demo desk with the Upkeep department and a team for it, for the service, the CLI and the UI."""
    return with_department(ownit_demo_org, Upkeep(), UPKEEP_TEAM, tmp_path, monkeypatch)


def raise_clean(desk, **fields):
    return service.raise_request(desk, actor=AMIRA, request_type="upkeep.deep_clean", title="Deep clean", fields=fields)


def test_several_choices_arrive_as_a_list_in_the_declared_order_and_show_joined(upkeep) -> None:
    view = raise_clean(upkeep, areas=["toilets", "Shop floor", "toilets"])
    assert view["fields"]["areas"] == ["shop floor", "toilets"]
    answer = view["answers"][0]
    assert (answer["value"], answer["safety"]) == ("shop floor, toilets", True)  # any risky choice is a risk
    assert raise_clean(upkeep, areas="stockroom")["answers"][0] == {
        "key": "areas", "label": "Which areas?", "value": "stockroom", "safety": False}


def test_a_follow_up_is_asked_only_after_its_answer(upkeep) -> None:
    view = raise_clean(upkeep, areas=["other"], other_area="car park", spill="no")
    assert view["fields"] == {"areas": ["other"], "other_area": "car park", "spill": False}
    with pytest.raises(ValidationError) as missing:  # asked, and required
        raise_clean(upkeep, areas=["stockroom", "other"])
    assert missing.value.problems == {"other_area": "It is required."}
    with pytest.raises(ValidationError) as unasked:  # not asked: an answer to it is refused, not dropped
        raise_clean(upkeep, areas="stockroom", spill="no", cordoned="yes")
    assert str(unasked.value) == ("Is it cordoned off? (cordoned) is asked only when Is anything spilt? is yes; "
                                  "leave it empty")
    assert len(service.my_requests(upkeep, actor=AMIRA)) == 1  # the two refused saved nothing


@pytest.mark.parametrize("shown_when, message", [
    (("nowhere", "x"), "must be a field before it"),
    (("areas", "garden"), "not with an answer to it"),
    ("areas", "shown_when must be"),
])
def test_a_follow_up_on_no_earlier_answer_is_refused_at_start(shown_when, message) -> None:
    with pytest.raises(DeclarationError, match=message):
        RequestType(key="upkeep.x", label="X", why="-", stages=DEEP_CLEAN.stages, promise=DEEP_CLEAN.promise,
                    fields=(DEEP_CLEAN.fields[0], Field("other_area", "Other", shown_when=shown_when)))


def test_several_choices_need_choices_without_commas() -> None:
    with pytest.raises(DeclarationError, match="multichoice field 'a' needs choices"):
        Field("a", "A", kind="multichoice")
    with pytest.raises(DeclarationError, match="cannot hold a comma"):
        Field("a", "A", kind="multichoice", choices=("tills, front", "back"))


def test_the_command_line_takes_several_choices_separated_by_commas(upkeep) -> None:
    from ownit.cli import app as ownit_cli

    env = {"OWNIT_DATABASE_URL": upkeep.url, "OWNIT_USER": AMIRA}
    now = ["--now", upkeep.now().isoformat()]
    made = CliRunner().invoke(ownit_cli, [*now, "raise", "--type", "upkeep.deep_clean", "--title", "Deep clean",
                                    "--field", "areas=stockroom, other", "--field", "other_area=car park",
                                    "--json"], env=env)
    assert made.exit_code == 0, made.output
    ref = service.my_requests(upkeep, actor=AMIRA)[0]["ref"]
    shown = CliRunner().invoke(ownit_cli, [*now, "show", ref], env={**env, "COLUMNS": "120"})
    assert "Which areas? stockroom, other" in shown.stdout and "Which other area? car park" in shown.stdout
    refused = CliRunner().invoke(ownit_cli, [*now, "raise", "--type", "upkeep.deep_clean", "--title", "Clean",
                                       "--field", "areas=stockroom,garden"], env=env)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.strip() == ("error: Which areas? (areas): 'garden' is not one of: shop floor, stockroom, "
                                      "toilets, other")


def test_the_form_asks_several_choices_and_a_follow_up_as_its_answer_is_picked(app, upkeep) -> None:  # noqa: F811
    at = raise_page(app(AMIRA), "Upkeep")
    assert not at.exception
    areas = at.multiselect[0]
    assert areas.label == "Which areas?" and areas.options == ["shop floor", "stockroom", "toilets", "other"]
    def labels() -> list[str]:
        return [w.label for w in [*at.text_input, *at.radio]]

    assert not [label for label in labels() if label.startswith(("Which other area?", "Is it cordoned off?"))]
    areas.set_value(["stockroom", "other"]).run()  # a follow-up appears as its answer is picked
    assert "Which other area?" in labels()
    spill = next(r for r in at.radio if r.label == "Is anything spilt? (optional)")
    spill.set_value("yes").run()
    assert "Is it cordoned off? (optional)" in labels()
    next(r for r in at.radio if r.label == "Is anything spilt? (optional)").set_value("no").run()
    assert "Is it cordoned off? (optional)" not in labels()  # and goes when it is not asked after all
    at.text_input[0].input("Deep clean after the refit")
    next(t for t in at.text_input if t.label == "Which other area?").input("car park")
    next(b for b in at.button if b.label == "Raise it").click().run()
    assert not at.exception and at.success
    mine = service.my_requests(upkeep, actor=AMIRA)
    assert mine[0]["fields"] == {"areas": ["stockroom", "other"], "other_area": "car park", "spill": False}



def test_the_questions_asked_follow_the_answers_typed_so_far(upkeep) -> None:
    def asked(**answers):
        return service.asked_questions(upkeep, "upkeep.deep_clean", answers)

    assert asked() == ["areas", "spill"]
    assert asked(areas=["stockroom", "other"], spill="yes") == ["areas", "other_area", "spill", "cordoned"]
    assert asked(areas="other", spill="maybe") == ["areas", "other_area", "spill"]  # not an answer yet: not asked
