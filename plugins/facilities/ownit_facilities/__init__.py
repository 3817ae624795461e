"""Facilities: the building itself — leaks, broken fixtures, heating and cooling."""

from __future__ import annotations

from typing import Any

from ownit import Department, Field, Promise, RequestType, Stage, hookimpl, pure

STAGES = (
    Stage("reported", "Reported"),
    Stage("assessed", "Assessed by facilities", days=1),
    Stage("booked", "Contractor booked", days=1,
          requester_action="Let the contractor in and show them the problem"),
    Stage("repaired", "Repaired", days=2),
    Stage("verified", "Checked by the store", requester_action="Check the repair and confirm it"),
)

LEAK = RequestType(
    key="facilities.leak",
    label="Water leak or roof",
    why="Water damages stock and can make the shop floor unsafe for staff and customers.",
    fields=(
        Field("location", "Where is the water coming in?", required=True,
              help="For example: stockroom ceiling, above till 3"),
        Field("near_electrics", "Is water near lights, tills or sockets?", kind="yesno", required=True,
              risk_when=True),
        Field("trading_floor", "Is the trading floor affected?", kind="yesno"),
    ),
    stages=STAGES,
    promise={"urgent": Promise(first_contact="2h", checkin="4h", resolve="2d"),
             "high": Promise(first_contact="4h", checkin="1d", resolve="3d"),
             "normal": Promise(first_contact="1d", checkin="1d", resolve="5d")},
    skills=("building",),
    default_priority="high",
)

FIXTURE = RequestType(
    key="facilities.fixture",
    label="Broken fixture or fitting",
    why="Broken shelving, doors or fittings look neglected and can hurt someone.",
    fields=(
        Field("item", "What is broken?", required=True, help="For example: shelf bay 12, fitting-room door"),
        Field("hazard", "Could someone get hurt?", kind="yesno", risk_when=True),
    ),
    stages=STAGES,
    promise={"high": Promise(first_contact="4h", checkin="1d", resolve="3d"),
             "normal": Promise(first_contact="1d", checkin="2d", resolve="10d")},
    skills=("building",),
)

HEATING = RequestType(
    key="facilities.heating",
    label="Heating or cooling",
    why="Staff and customers cannot stay in a store that is too hot or too cold.",
    fields=(
        Field("problem", "What is wrong?", kind="choice", required=True,
              choices=("too hot", "too cold", "noisy", "not working at all")),
        Field("temperature", "Temperature on the floor (°C), if you know it", kind="number"),
    ),
    stages=STAGES,
    promise={"high": Promise(first_contact="4h", checkin="1d", resolve="2d"),
             "normal": Promise(first_contact="1d", checkin="1d", resolve="5d")},
    skills=("hvac",),
)


PEST = RequestType(
    key="facilities.pest",
    label="Pests",
    why="Pests near food or stock can close a store and damage its name overnight.",
    fields=(
        Field("pest", "What have you seen?", kind="choice", required=True,
              choices=("mice or rats", "insects", "birds", "other")),
        Field("where", "Where?", required=True, help="For example: stockroom, bakery, car park"),
        Field("near_food", "Is it near food or food stock?", kind="yesno", required=True, risk_when=True),
    ),
    stages=(
        Stage("reported", "Reported"),
        Stage("booked", "Pest control booked", days=1,
              requester_action="Keep the area clear and let the technician in"),
        Stage("treated", "Treated", days=1),
        Stage("follow_up", "Follow-up visit done", days=5),
        Stage("verified", "Checked by the store", requester_action="Confirm there are no more signs"),
    ),
    promise={"urgent": Promise(first_contact="2h", checkin="1d", resolve="3d"),
             "normal": Promise(first_contact="1d", checkin="2d", resolve="10d")},
    skills=("pest",),
)

SECURITY = RequestType(
    key="facilities.security",
    label="Lock, shutter or alarm",
    why="A store that cannot be locked, opened or alarmed is at risk every hour it stays that way.",
    fields=(
        Field("what", "What is not working?", kind="choice", required=True,
              choices=("front door lock", "shutter", "fire exit", "alarm", "safe", "other"), risk_when="fire exit"),
        Field("can_secure", "Can the store be secured tonight?", kind="yesno", required=True, risk_when=False),
    ),
    stages=(
        Stage("reported", "Reported"),
        Stage("booked", "Locksmith or engineer booked", days=0.25,
              requester_action="Have a key holder on site for the engineer"),
        Stage("repaired", "Repaired", days=0.5),
        Stage("verified", "Checked by the store", requester_action="Lock and unlock it once and confirm"),
    ),
    promise={"urgent": Promise(first_contact="1h", checkin="2h", resolve="1d"),
             "normal": Promise(first_contact="4h", checkin="1d", resolve="3d")},
    skills=("security",),
)


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="facilities", name="Facilities", prefix="FAC",
                        description="The building: roof, plumbing, fixtures, heating and cooling, pests, security.",
                        request_types=(LEAK, FIXTURE, HEATING, PEST, SECURITY)))


@hookimpl
@pure
def ownit_validate_request(request_type: str, fields: dict[str, Any]) -> list[str] | None:
    temperature = fields.get("temperature")
    if request_type == "facilities.heating" and temperature is not None and not -20 <= temperature <= 60:
        return [f"Temperature (temperature): {temperature} °C is not a floor temperature; give a reading in °C"]
    return None


@hookimpl
@pure
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "facilities.leak":
        if fields.get("near_electrics") or fields.get("trading_floor"):
            return "urgent"
        return "high"
    if request_type == "facilities.fixture" and fields.get("hazard"):
        return "high"
    if request_type == "facilities.pest" and (fields.get("near_food") or fields.get("pest") == "mice or rats"):
        return "urgent"
    if request_type == "facilities.security" and (not fields.get("can_secure") or fields.get("what") == "fire exit"):
        return "urgent"
    if request_type == "facilities.heating":
        temperature = fields.get("temperature")
        if fields.get("problem") == "not working at all" or (temperature is not None and not 12 <= temperature <= 30):
            return "high"
    return None
