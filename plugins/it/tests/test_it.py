"""The IT plugin through the real desk, with OwnIt's own fixtures.

The demo org's IT team is "it-service" (lead Raj Patel): Chloe Martin has
pos/hardware/access, Dan Lee network/hardware/access. The clock stands at
Monday 2026-11-23 10:00 London; the team works Mon-Sat 07:00-19:00.
"""

from __future__ import annotations

import json
from datetime import timedelta

import ownit_it
import pytest
from typer.testing import CliRunner

from ownit import ValidationError, service
from ownit.testing import START

AMIRA = "amira.khan@example.com"  # store manager, S001 Leeds
TOM = "tom.hughes@example.com"  # store manager, S002 York
CHLOE = "chloe.martin@example.com"
DAN = "dan.lee@example.com"


def raise_(desk, request_type, actor=AMIRA, title="Help", **fields):
    return service.raise_request(desk, actor=actor, request_type=request_type, title=title, fields=fields)


def kit(device, can_trade="yes", asset_tag="AT-123456", **more):
    return {"device": device, "asset_tag": asset_tag, "can_trade": can_trade, **more}


# --- broken kit -------------------------------------------------------------------


def test_a_till_that_stops_the_store_trading_is_urgent_and_owned_by_the_pos_analyst(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "it.broken_kit", title="Till 1 will not boot",
                  **kit("POS till", can_trade="no", symptom="Stuck on the start-up screen"))
    assert view["priority"] == "urgent"
    assert view["team"] == {"key": "it-service", "name": "IT Service Desk"}
    assert view["owner"]["email"] == CHLOE
    assert view["ref"].startswith("IT-")
    promise = view["promise"]
    assert promise["first_contact_within"] == "1 business hour"
    assert promise["checkin_every"] == "2 business hours"
    assert promise["resolve_within"] == "1 business day"
    assert promise["first_contact_due"] == "2026-11-23T11:00:00+00:00"
    assert view["request_type_label"] == "Broken till or other kit"
    assert view["why"].startswith("Every till, scanner or printer that is down")


@pytest.mark.parametrize("device, can_trade, priority, first_contact, checkin, resolve", [
    ("POS till", "no", "urgent", "1 business hour", "2 business hours", "1 business day"),
    ("laptop", "no", "urgent", "1 business hour", "2 business hours", "1 business day"),
    ("POS till", "yes", "high", "2 business hours", "4 business hours", "2 business days"),
    ("handheld scanner", "yes", "high", "2 business hours", "4 business hours", "2 business days"),
    ("receipt printer", "yes", "normal", "1 business day", "1 business day", "5 business days"),
    ("label printer", "yes", "normal", "1 business day", "1 business day", "5 business days"),
    ("laptop", "yes", "normal", "1 business day", "1 business day", "5 business days"),
    ("phone", "yes", "normal", "1 business day", "1 business day", "5 business days"),
])
def test_broken_kit_priority_and_promise(ownit_demo_org, device, can_trade, priority, first_contact, checkin,
                                         resolve) -> None:
    view = raise_(ownit_demo_org, "it.broken_kit", **kit(device, can_trade=can_trade))
    assert view["priority"] == priority
    assert (view["promise"]["first_contact_within"], view["promise"]["checkin_every"],
            view["promise"]["resolve_within"]) == (first_contact, checkin, resolve)


def test_a_laptop_goes_to_whichever_hardware_analyst_has_fewer_open_requests(ownit_demo_org) -> None:
    first = raise_(ownit_demo_org, "it.broken_kit", actor=TOM, **kit("laptop"))
    assert first["priority"] == "normal" and first["team"]["key"] == "it-service"
    assert first["owner"]["email"] == CHLOE  # both have none open: the tie goes to Chloe
    second = raise_(ownit_demo_org, "it.broken_kit", **kit("laptop", asset_tag="AT-654321"))
    assert second["owner"]["email"] == DAN  # Chloe now has one open, Dan none


def test_till_kit_stays_with_the_pos_analyst_even_when_she_is_busier(ownit_demo_org) -> None:
    raise_(ownit_demo_org, "it.broken_kit", actor=TOM, **kit("laptop"))  # Chloe: 1 open, Dan: 0
    for device in ownit_it.POS_DEVICES:
        view = raise_(ownit_demo_org, "it.broken_kit", actor=TOM, **kit(device))
        assert view["owner"]["email"] == CHLOE, device


def test_broken_kit_stages_tell_the_store_what_to_do(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "it.broken_kit", **kit("handheld scanner"))
    stages = view["progress"]["stages"]
    assert [s["label"] for s in stages] == ["Logged and triaged", "Fault diagnosed",
                                            "Replacement shipped or fixed remotely", "Confirmed working"]
    actions = {s["key"]: s["requester_action"] for s in stages}
    assert actions["fixed"] == "Swap the device when the courier arrives and send the old one back"
    assert actions["confirmed"] == "Check it works on the shop floor and confirm"
    assert view["stage"] == "triaged"
    # every stage is expected no later than the promised resolve-by time
    assert all(s["expected"] <= view["promise"]["resolve_by"] for s in view["promise"]["stages"])


@pytest.mark.parametrize("tag", ["X1", "AT123456", "AT-12345", "AT-1234567", "A-123456", "12-345678",
                                 "AT-12345X", "AT 123456"])
def test_an_invalid_asset_tag_is_refused_naming_the_field(ownit_demo_org, tag) -> None:
    with pytest.raises(ValidationError) as refused:
        raise_(ownit_demo_org, "it.broken_kit", **kit("POS till", asset_tag=tag))
    assert str(refused.value) == (f"Asset tag (asset_tag): {tag!r} is not an asset tag; "
                                  "it is on the white sticker, like AT-123456")


def test_an_asset_tag_in_lower_case_or_with_spaces_around_is_accepted(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "it.broken_kit", **kit("phone", asset_tag="  at-000042 "))
    assert view["fields"]["asset_tag"] == "at-000042"


@pytest.mark.parametrize("request_type, fields, key", [
    ("it.broken_kit", {"device": "laptop", "can_trade": "yes"}, "asset_tag"),
    ("it.broken_kit", {"device": "laptop", "asset_tag": "AT-123456"}, "can_trade"),
    ("it.broken_kit", {"asset_tag": "AT-123456", "can_trade": "yes"}, "device"),
    ("it.network", {"tills_affected": "no"}, "what_down"),
    ("it.network", {"what_down": "Wi-Fi"}, "tills_affected"),
    ("it.access", {"for_whom": "jo.bloggs@example.com"}, "system"),
    ("it.access", {"system": "email", "for_whom": "  "}, "for_whom"),
])
def test_a_missing_required_field_is_refused_naming_it(ownit_demo_org, request_type, fields, key) -> None:
    with pytest.raises(ValidationError, match=rf"\({key}\) is required$"):
        raise_(ownit_demo_org, request_type, **fields)


def test_a_device_not_on_the_list_is_refused(ownit_demo_org) -> None:
    with pytest.raises(ValidationError, match=r"^Which device\? \(device\): 'toaster' is not one of: POS till"):
        raise_(ownit_demo_org, "it.broken_kit", **kit("toaster"))


def test_since_when_may_be_today_or_earlier_but_not_in_the_future(ownit_demo_org) -> None:
    today = ownit_demo_org.now().date()  # the desk's clock, not the machine's
    for day in (today, today - timedelta(days=3)):
        view = raise_(ownit_demo_org, "it.broken_kit", **kit("label printer", since=day.isoformat()))
        assert view["fields"]["since"] == day.isoformat()
    future = (today + timedelta(days=3)).isoformat()
    with pytest.raises(ValidationError) as refused:
        raise_(ownit_demo_org, "it.broken_kit", **kit("label printer", since=future))
    assert str(refused.value) == f"Since when? (since): {future} is in the future; give the day it started"
    with pytest.raises(ValidationError, match=r"^Since when\? \(since\): 'last Tuesday' is not a date"):
        raise_(ownit_demo_org, "it.broken_kit", **kit("label printer", since="last Tuesday"))


def test_every_problem_is_reported_at_once(ownit_demo_org) -> None:
    future = (ownit_demo_org.now().date() + timedelta(days=3)).isoformat()
    with pytest.raises(ValidationError) as refused:
        raise_(ownit_demo_org, "it.broken_kit", **kit("laptop", asset_tag="X1", since=future))
    assert "(asset_tag)" in str(refused.value) and "(since)" in str(refused.value)


# --- network ----------------------------------------------------------------------


@pytest.mark.parametrize("what_down, tills_affected, priority", [
    ("whole store", "yes", "urgent"),
    ("whole store", "no", "urgent"),
    ("tills only", "yes", "urgent"),
    ("Wi-Fi", "yes", "urgent"),
    ("Wi-Fi", "no", "high"),
    ("back office", "no", "high"),
])
def test_a_network_outage_is_owned_by_the_network_analyst(ownit_demo_org, what_down, tills_affected,
                                                          priority) -> None:
    view = raise_(ownit_demo_org, "it.network", title="No internet",
                  what_down=what_down, tills_affected=tills_affected)
    assert view["priority"] == priority
    assert view["team"]["key"] == "it-service"
    assert view["owner"]["email"] == DAN


def test_a_whole_store_outage_promises_contact_within_the_hour(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "it.network", what_down="whole store", tills_affected="yes",
                  tried="Restarted the router")
    assert view["promise"]["first_contact_within"] == "1 business hour"
    assert view["promise"]["checkin_every"] == "2 business hours"
    assert view["promise"]["resolve_within"] == "1 business day"
    labels = [s["label"] for s in view["progress"]["stages"]]
    assert labels == ["Logged and triaged", "Fault diagnosed", "Engineer on site or fixed remotely",
                      "Confirmed working"]


def test_network_goes_to_dan_even_when_he_is_busier(ownit_demo_org) -> None:
    for tag in ("AT-000001", "AT-000002"):
        assert raise_(ownit_demo_org, "it.broken_kit", actor=TOM, **kit("laptop", asset_tag=tag))
    # Chloe and Dan now have one laptop each; another for Dan, then an outage still goes to him
    raise_(ownit_demo_org, "it.network", actor=TOM, what_down="Wi-Fi", tills_affected="no")
    view = raise_(ownit_demo_org, "it.network", what_down="back office", tills_affected="no")
    assert view["owner"]["email"] == DAN


# --- access -----------------------------------------------------------------------


def test_an_access_request_is_normal_with_its_own_promise(ownit_demo_org) -> None:
    view = raise_(ownit_demo_org, "it.access", title="Email for our new supervisor",
                  system="email", for_whom="Jo.Bloggs@example.com", reason="New supervisor")
    assert view["priority"] == "normal"
    assert view["team"]["key"] == "it-service"
    assert view["owner"]["email"] in (CHLOE, DAN)
    assert view["promise"]["first_contact_within"] == "1 business day"
    assert view["promise"]["checkin_every"] == "2 business days"
    assert view["promise"]["resolve_within"] == "5 business days"
    approved = next(s for s in view["progress"]["stages"] if s["key"] == "approved")
    assert approved["requester_action"] == "Confirm the new starter's start date"
    assert [s["key"] for s in view["progress"]["stages"]] == ["requested", "approved", "set_up", "confirmed"]
    assert "urgent" not in ownit_it.ACCESS.promise


def test_an_access_request_goes_to_the_access_analyst_with_fewer_open(ownit_demo_org) -> None:
    raise_(ownit_demo_org, "it.broken_kit", actor=TOM, **kit("POS till"))  # Chloe: 1 open
    view = raise_(ownit_demo_org, "it.access", system="rota system", for_whom="sam@example.com")
    assert view["owner"]["email"] == DAN


@pytest.mark.parametrize("email", ["jo", "jo@", "@example.com", "jo@example", "jo bloggs@example.com",
                                   "jo@@example.com", "jo@example."])
def test_for_whom_must_be_an_email_address(ownit_demo_org, email) -> None:
    with pytest.raises(ValidationError) as refused:
        raise_(ownit_demo_org, "it.access", system="email", for_whom=email)
    assert str(refused.value) == (f"For whom? (for_whom): {email!r} is not an email address; "
                                  "give their work email, like jo.bloggs@example.com")


def test_a_start_date_is_when_access_is_needed_by(ownit_demo_org) -> None:
    # Monday 23 Nov 10:00: the standard is five business days (Saturday 28 Nov, Mon-Sat team)
    soon = raise_(ownit_demo_org, "it.access", system="tills (manager code)", for_whom="new.starter@example.com",
                  start_date="2026-11-25")
    assert soon["needed_by"] == "2026-11-25"
    assert soon["promise"]["needs_agreement"] is True  # sooner than the standard: agreed at first contact
    later = raise_(ownit_demo_org, "it.access", system="stock system", for_whom="new.starter@example.com",
                   start_date="2026-12-14")
    assert later["needed_by"] == "2026-12-14" and later["promise"]["needs_agreement"] is False
    with pytest.raises(ValidationError, match="is in the past"):
        raise_(ownit_demo_org, "it.access", system="email", for_whom="new.starter@example.com",
               start_date="2026-11-20")


# --- the plugin as a whole --------------------------------------------------------


def test_every_request_type_says_in_one_line_why_it_matters() -> None:
    for rtype in (ownit_it.BROKEN_KIT, ownit_it.NETWORK, ownit_it.ACCESS):
        assert rtype.why and "\n" not in rtype.why and rtype.why.endswith("."), rtype.key
        assert rtype.department == "it"


def test_the_hooks_have_no_opinion_on_other_departments() -> None:
    fields = {"device": "POS till", "can_trade": False, "asset_tag": "nope", "for_whom": "nope"}
    assert ownit_it.ownit_priority("facilities.leak", fields) is None
    assert ownit_it.ownit_required_skills("facilities.leak", fields) is None
    assert ownit_it.ownit_validate_request("facilities.leak", fields, START) is None


def test_ownit_departments_lists_the_it_plugin(ownit_database_url) -> None:
    from ownit.cli import app

    result = CliRunner().invoke(app, ["departments", "--json"],
                                env={"OWNIT_DATABASE_URL": ownit_database_url,
                                     "OWNIT_DISABLE_PLUGINS": None})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    plugin = [p for p in data["plugins"] if p["name"] == "it"]
    assert plugin and plugin[0]["distribution"] == "ownit-it" and plugin[0]["version"] == "0.1.0"
    it = next(d for d in data["departments"] if d["key"] == "it")
    assert (it["name"], it["prefix"]) == ("IT", "IT")
    types = {t["key"]: t for t in it["request_types"]}
    assert list(types) == ["it.broken_kit", "it.network", "it.access"]
    fields = {f["key"]: f for f in types["it.broken_kit"]["fields"]}
    assert fields["device"]["choices"] == list(ownit_it.DEVICES)
    assert fields["asset_tag"]["required"] and fields["can_trade"]["kind"] == "yesno"
    assert set(types["it.access"]["promise"]) == {"normal"}
    assert set(types["it.broken_kit"]["promise"]) == {"urgent", "high", "normal"}
    assert types["it.network"]["skills"] == ["network"]
