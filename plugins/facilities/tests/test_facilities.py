"""The facilities plugin through the real desk, with OwnIt's own fixtures."""

from __future__ import annotations

import pytest

from ownit import ValidationError, service

AMIRA = "amira.khan@example.com"


def raise_(desk, request_type, **fields):
    return service.raise_request(desk, actor=AMIRA, request_type=request_type, title="Help", fields=fields)


@pytest.mark.parametrize("fields, priority", [
    ({"location": "stockroom", "near_electrics": "no"}, "high"),
    ({"location": "till 2", "near_electrics": "yes"}, "urgent"),
    ({"location": "aisle 4", "near_electrics": "no", "trading_floor": "yes"}, "urgent"),
])
def test_leak_priority(ownit_demo_org, fields, priority) -> None:
    view = raise_(ownit_demo_org, "facilities.leak", **fields)
    assert view["priority"] == priority
    assert view["request_type_label"] == "Water leak or roof"
    assert view["why"].startswith("Water damages stock")


def test_urgent_leak_promises_contact_within_two_hours(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "facilities.leak", location="till 2", near_electrics="yes")
    assert view["promise"]["first_contact_within"] == "2 business hours"
    assert view["promise"]["first_contact_due"] == "2026-11-23T12:00:00+00:00"


def test_heating_needs_an_hvac_owner_and_a_sane_temperature(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "facilities.heating", problem="too cold", temperature="9")
    assert view["priority"] == "high" and view["owner"]["email"] == "sam.doyle@example.com"
    with pytest.raises(ValidationError, match="is not a floor temperature"):
        raise_(ownit_demo_org, "facilities.heating", problem="too cold", temperature="400")
    with pytest.raises(ValidationError, match="is not one of"):
        raise_(ownit_demo_org, "facilities.heating", problem="lukewarm")


def test_the_contractor_stage_asks_the_store_for_access(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "facilities.fixture", item="door", hazard="yes")
    booked = [s for s in view["progress"]["stages"] if s["key"] == "booked"][0]
    assert booked["requester_action"] == "Let the contractor in and show them the problem"
    assert view["priority"] == "high"


@pytest.mark.parametrize("request_type, fields, priority, skill_holder", [
    ("facilities.pest", {"pest": "insects", "where": "car park", "near_food": "no"}, "normal", None),
    ("facilities.pest", {"pest": "mice or rats", "where": "stockroom", "near_food": "no"}, "urgent", None),
    ("facilities.security", {"what": "shutter", "can_secure": "no"}, "urgent", "priya.shah@example.com"),
    ("facilities.security", {"what": "alarm", "can_secure": "yes"}, "normal", "priya.shah@example.com"),
])
def test_pests_and_security(ownit_demo_org, request_type, fields, priority, skill_holder) -> None:
    view = raise_(ownit_demo_org, request_type, **fields)
    assert view["priority"] == priority
    if skill_holder:  # only Priya has the security skill in the north
        assert view["owner"]["email"] == skill_holder
    else:  # nobody in the north has the pest skill: the lead owns it
        assert view["owner"]["email"] == "helen.price@example.com"
