"""IT: the kit a store trades with — tills, scanners, printers, laptops, phones —
the network that joins it up, and access to the systems staff work in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ownit import Department, Field, Promise, RequestType, Stage, hookimpl, pure

# --- broken kit -------------------------------------------------------------------

POS_DEVICES = ("POS till", "handheld scanner", "receipt printer")  # need an owner who knows the tills
DEVICES = ("POS till", "handheld scanner", "label printer", "receipt printer", "laptop", "phone")
SELLING_DEVICES = ("POS till", "handheld scanner")  # the store sells more slowly without them
ASSET_TAG = re.compile(r"^[A-Z]{2}-\d{6}$", re.IGNORECASE)

# first contact / check-in / resolve, in business time on the IT team's calendar
KIT_PROMISE = {
    "urgent": Promise(first_contact="1h", checkin="2h", resolve="1d"),
    "high": Promise(first_contact="2h", checkin="4h", resolve="2d"),
    "normal": Promise(first_contact="1d", checkin="1d", resolve="5d"),
}

BROKEN_KIT = RequestType(
    key="it.broken_kit",
    label="Broken till or other kit",
    why="Every till, scanner or printer that is down means slower queues, lost sales and staff working round it.",
    fields=(
        Field("device", "Which device?", kind="choice", required=True, choices=DEVICES),
        Field("asset_tag", "Asset tag", required=True, max_length=20,
              help="On the white sticker on the device, like AT-123456"),
        Field("can_trade", "Can the store still trade?", kind="yesno", required=True,
              help="Answer no if customers cannot pay at all"),
        Field("symptom", "What happens?",
              help="For example: stuck on the start-up screen, card reader says 'no connection'"),
        Field("since", "Since when?", kind="date", help="The day it started, if you know it"),
    ),
    stages=(
        Stage("triaged", "Logged and triaged"),
        Stage("diagnosed", "Fault diagnosed", days=0.5),
        Stage("fixed", "Replacement shipped or fixed remotely", days=1,
              requester_action="Swap the device when the courier arrives and send the old one back"),
        Stage("confirmed", "Confirmed working", days=0.5,
              requester_action="Check it works on the shop floor and confirm"),
    ),
    promise=KIT_PROMISE,
    skills=("hardware",),  # the fallback; ownit_required_skills decides by device
)

# --- network ----------------------------------------------------------------------

OUTAGES = ("whole store", "tills only", "Wi-Fi", "back office")
TRADING_OUTAGES = ("whole store", "tills only")

NETWORK = RequestType(
    key="it.network",
    label="Network or internet down",
    why="Without the network the tills cannot take cards and nothing reaches stock or head office.",
    fields=(
        Field("what_down", "What is down?", kind="choice", required=True, choices=OUTAGES),
        Field("tills_affected", "Are the tills affected?", kind="yesno", required=True,
              help="Yes if any till cannot take card payments"),
        Field("tried", "What have you tried?",
              help="For example: restarted the router in the comms cabinet"),
    ),
    stages=(
        Stage("triaged", "Logged and triaged"),
        Stage("diagnosed", "Fault diagnosed", days=0.5),
        Stage("fixed", "Engineer on site or fixed remotely", days=1,
              requester_action="Let the engineer into the comms cabinet if they visit"),
        Stage("confirmed", "Confirmed working", days=0.5,
              requester_action="Check the tills and Wi-Fi work and confirm"),
    ),
    promise=KIT_PROMISE,
    skills=("network",),
    default_priority="high",
    site_wide=True,  # a line or a supplier down often takes the region's stores with it
)

# --- access -----------------------------------------------------------------------

SYSTEMS = ("email", "rota system", "stock system", "tills (manager code)")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

ACCESS = RequestType(
    key="it.access",
    label="Access to a system",
    why="A new starter or a new role needs the right logins from day one, or they cannot do the job.",
    fields=(
        Field("system", "Which system?", kind="choice", required=True, choices=SYSTEMS),
        Field("for_whom", "For whom?", required=True, max_length=254,
              help="Their work email, like jo.bloggs@example.com"),
        Field("start_date", "Start date", kind="date",
              help="A new starter's first day; leave empty for someone already working here"),
        Field("reason", "What do they need it for?", help="For example: new assistant manager, covering nights"),
    ),
    stages=(
        Stage("requested", "Requested"),
        Stage("approved", "Approved", days=1, requester_action="Confirm the new starter's start date"),
        Stage("set_up", "Access set up", days=2),
        Stage("confirmed", "Confirmed working", days=1,
              requester_action="Ask them to log in and confirm it works"),
    ),
    promise={"normal": Promise(first_contact="1d", checkin="2d", resolve="5d")},  # no urgent access
    skills=("access",),
    needed_by_field="start_date",  # access must be ready for the first day
)


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="it", name="IT", prefix="IT",
                        description="Tills, scanners, printers and laptops; the store network; system access.",
                        request_types=(BROKEN_KIT, NETWORK, ACCESS)))


def _latest_today(now: datetime) -> date:
    """The desk's today somewhere on Earth (UTC+14): a date after it is in the
    future wherever the store is."""
    return (now.astimezone(UTC) + timedelta(hours=14)).date()


def _problem(rtype: RequestType, key: str, problem: str) -> str:
    """A message naming the field as the form shows it, like OwnIt's own:
    ``Asset tag (asset_tag): ...``."""
    label = next(f.label for f in rtype.fields if f.key == key)
    return f"{label} ({key}): {problem}"


@hookimpl
@pure
def ownit_validate_request(request_type: str, fields: dict[str, Any], now: datetime) -> list[str] | None:
    problems = []
    if request_type == "it.broken_kit":
        tag = fields.get("asset_tag")
        if tag is not None and not ASSET_TAG.match(tag):
            problems.append(_problem(BROKEN_KIT, "asset_tag", f"{tag!r} is not an asset tag; "
                                     "it is on the white sticker, like AT-123456"))
        since = fields.get("since")
        if since is not None and date.fromisoformat(since) > _latest_today(now):
            problems.append(_problem(BROKEN_KIT, "since", f"{since} is in the future; give the day it started"))
    elif request_type == "it.access":
        email = fields.get("for_whom")
        if email is not None and not EMAIL.match(email):
            problems.append(_problem(ACCESS, "for_whom", f"{email!r} is not an email address; "
                                     "give their work email, like jo.bloggs@example.com"))
    return problems or None


@hookimpl
@pure
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "it.broken_kit":
        if fields.get("can_trade") is False:
            return "urgent"
        return "high" if fields.get("device") in SELLING_DEVICES else "normal"
    if request_type == "it.network":
        if fields.get("what_down") in TRADING_OUTAGES or fields.get("tills_affected"):
            return "urgent"
        return "high"
    if request_type == "it.access":
        return "normal"
    return None


@hookimpl
@pure
def ownit_required_skills(request_type: str, fields: dict[str, Any]) -> list[str] | None:
    if request_type == "it.broken_kit":
        return ["pos"] if fields.get("device") in POS_DEVICES else ["hardware"]
    if request_type == "it.network":
        return ["network"]
    if request_type == "it.access":
        return ["access"]
    return None
