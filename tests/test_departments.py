"""What plugins declare: typed, checked on creation, parsed with clear messages."""

from __future__ import annotations

import pytest

from ownit import Department, Field, Promise, RequestType, Stage, ValidationError
from ownit.departments import DeclarationError, Duration

STAGES = (Stage("new", "New"), Stage("done", "Done"))


def rtype(**kwargs) -> RequestType:
    return RequestType(**{"key": "dept.thing", "label": "Thing", "why": "Because.", "stages": STAGES, **kwargs})


@pytest.mark.parametrize("kind, raw, value", [
    ("text", "  hello ", "hello"),
    ("number", "12", 12),
    ("number", "12.5", 12.5),
    ("date", "2026-12-01", "2026-12-01"),
    ("yesno", "Yes", True),
    ("yesno", "n", False),
    ("yesno", False, False),
])
def test_fields_parse_their_kind(kind, raw, value) -> None:
    assert Field("f", "F", kind=kind).parse(raw) == value


def test_choice_is_case_insensitive_and_canonical() -> None:
    field = Field("problem", "Problem", kind="choice", choices=("too hot", "too cold"))
    assert field.parse("TOO HOT") == "too hot"
    with pytest.raises(ValidationError, match=r"Problem \(problem\): 'warm' is not one of: too hot, too cold"):
        field.parse("warm")


@pytest.mark.parametrize("kind, raw, message", [
    ("number", "twelve", "is not a number"),
    ("number", "nan", "finite"),
    ("date", "31/12/2026", "use YYYY-MM-DD"),
    ("yesno", "maybe", "is not yes or no"),
])
def test_bad_values_name_the_field(kind, raw, message) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Field("f", "Label", kind=kind).parse(raw)
    assert caught.value.field == "f"
    assert str(caught.value).startswith("Label (f)")


def test_required_and_length() -> None:
    with pytest.raises(ValidationError, match="is required"):
        Field("f", "F", required=True).parse("  ")
    assert Field("f", "F").parse("") is None
    with pytest.raises(ValidationError, match="keep it under 5"):
        Field("f", "F", max_length=5).parse("abcdefg")


def test_unknown_fields_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="has no field 'colour'"):
        rtype(fields=(Field("size", "Size"),)).parse_fields({"colour": "red"})


@pytest.mark.parametrize("build, message", [
    (lambda: Field("f", "F", kind="colour"), "unknown kind 'colour'"),
    (lambda: Field("f", "F", kind="choice"), "needs choices"),
    (lambda: rtype(key="Thing"), "must look like 'department.name'"),
    (lambda: rtype(stages=STAGES[:1]), "at least two stages"),
    (lambda: rtype(fields=(Field("a", "A"), Field("a", "B"))), "repeats field 'a'"),
    (lambda: rtype(promise={"urgent": Promise()}), "can be 'normal' \\(its default_priority\\) but has no promise"),
    (lambda: rtype(promise={"normal": Promise()}, priorities=("urgent",)), "can be 'urgent' \\(listed in its priorities"),
    (lambda: rtype(priorities=("asap",)), "unknown priority 'asap'"),
    (lambda: rtype(default_priority="asap"), "unknown default priority 'asap'"),
    (lambda: rtype(promise={"normal": Promise(), "asap": Promise()}), "unknown priority 'asap'"),
    (lambda: Promise(first_contact="soon"), "must be a number and m, h or d, like '30m'"),
    (lambda: Promise(first_contact="30s"), "must be a number and m, h or d"),
    (lambda: Department(key="other", name="Other", request_types=(rtype(),)), "must start with 'other.'"),
    (lambda: Department(key="dept", name="Dept", prefix="d1", request_types=()), "prefix"),
])
def test_malformed_declarations_fail_with_a_reason(build, message) -> None:
    with pytest.raises(DeclarationError, match=message):
        build()


def test_promise_durations() -> None:
    promise = Promise(first_contact="2h", checkin=None, resolve="1.5d")
    assert promise.first_contact_within == Duration(2, "h")
    assert promise.checkin_every is None
    assert str(promise.resolve_within) == "1.5 business days"
    assert str(Duration(1, "d")) == "1 business day"
    assert Department(key="dept", name="D", request_types=()).prefix == "DEP"


@pytest.mark.parametrize("text, amount, unit, said", [
    ("30m", 0.5, "h", "30 business minutes"), ("0.5h", 0.5, "h", "30 business minutes"),
    ("90m", 1.5, "h", "1.5 business hours"), ("1m", 1 / 60, "h", "1 business minute"),
    ("4h", 4, "h", "4 business hours"), ("1d", 1, "d", "1 business day"), (" 2.5 d ", 2.5, "d", "2.5 business days"),
])
def test_durations_in_minutes_hours_and_days(text, amount, unit, said) -> None:
    duration = Duration.parse(text)
    assert (duration.amount, duration.unit, str(duration)) == (pytest.approx(amount), unit, said)


def test_a_type_needs_promises_only_for_the_priorities_it_can_reach() -> None:
    deep = rtype(default_priority="low", promise={"low": Promise(first_contact="1d", resolve="10d")})
    assert deep.reachable == ("low",) and deep.promise_for("low").resolve == "10d"
    spill = rtype(default_priority="urgent", priorities=("urgent", "normal"),
                  promise={"urgent": Promise(first_contact="30m"), "normal": Promise()})
    assert spill.reachable == ("urgent", "normal")
    assert str(spill.promise_for("urgent").first_contact_within) == "30 business minutes"
    assert spill.promise_for("high") is spill.promise["normal"]  # none for high: normal's, as before
    assert deep.promise_for("urgent") is deep.promise["low"]  # nor for normal: its default's


def test_every_problem_is_found_at_once_each_on_its_field() -> None:
    form = rtype(fields=(Field("where", "Where is it?", required=True),
                         Field("slippery", "Is it slippery?", kind="yesno", required=True),
                         Field("count", "How many?", kind="number")))
    with pytest.raises(ValidationError) as caught:
        form.parse_fields({"slippery": "maybe", "count": "lots", "colour": "red"})
    error = caught.value
    assert str(error) == ("Thing has no field 'colour'; its fields are: where, slippery, count; "
                          "Where is it? (where) is required; Is it slippery? (slippery): 'maybe' is not yes or no; "
                          "How many? (count): 'lots' is not a number")
    assert error.problems == {"colour": "It is not a question of this form.", "where": "It is required.",
                              "slippery": "'maybe' is not yes or no.", "count": "'lots' is not a number."}
    assert error.field == "colour"


def test_a_safety_question_names_the_answer_that_is_a_risk() -> None:
    from ownit.views import answers_view

    form = rtype(fields=(Field("wet", "Is it wet?", kind="yesno", risk_when=True),
                         Field("locks", "Does it lock?", kind="yesno", risk_when="no"),
                         Field("door", "Which door?", kind="choice", choices=("front", "fire exit"),
                               risk_when=("Fire exit",)),
                         Field("note", "Note")))
    assert [f.risk_when for f in form.fields] == [(True,), (False,), ("fire exit",), None]
    answers = answers_view(form, {"wet": False, "locks": False, "door": "fire exit", "note": "x", "gone": 3})
    assert [(a["label"], a["value"], a["safety"]) for a in answers] == [
        ("Is it wet?", "no", False), ("Does it lock?", "no", True), ("Which door?", "fire exit", True),
        ("Note", "x", False), ("gone", "3", False)]  # an answer to a question no longer asked, under its key
    with pytest.raises(DeclarationError, match="field 'door': risk_when is not an answer to it"):
        Field("door", "Which door?", kind="choice", choices=("front",), risk_when="back")
