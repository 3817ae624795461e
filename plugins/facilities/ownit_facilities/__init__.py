"""Facilities: the building itself — leaks, broken fixtures, heating and cooling."""

from __future__ import annotations

from typing import Any

from ownit import Department, Field, Promise, RequestType, Stage, hookimpl

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
        Field("near_electrics", "Is water near lights, tills or sockets?", kind="yesno", required=True),
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
        Field("hazard", "Could someone get hurt?", kind="yesno"),
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


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="facilities", name="Facilities", prefix="FAC",
                        description="The building: roof, plumbing, fixtures, heating and cooling.",
                        request_types=(LEAK, FIXTURE, HEATING)))


@hookimpl
def ownit_validate_request(request_type: str, fields: dict[str, Any]) -> list[str] | None:
    temperature = fields.get("temperature")
    if request_type == "facilities.heating" and temperature is not None and not -20 <= temperature <= 60:
        return [f"Temperature (temperature): {temperature} °C is not a floor temperature; give a reading in °C"]
    return None


@hookimpl
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "facilities.leak":
        if fields.get("near_electrics") or fields.get("trading_floor"):
            return "urgent"
        return "high"
    if request_type == "facilities.fixture" and fields.get("hazard"):
        return "high"
    if request_type == "facilities.heating":
        temperature = fields.get("temperature")
        if fields.get("problem") == "not working at all" or (temperature is not None and not 12 <= temperature <= 30):
            return "high"
    return None
