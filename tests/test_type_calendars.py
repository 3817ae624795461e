"""A request type's own clock: spills count every hour of every day
(``calendar = "24x7"``), deep cleans a named ``[[calendar]]`` of the org file,
whatever hours the team that owns them keeps. Raised, contacted, checked in
on, swept and shown on that clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import conftest
from conftest import AMIRA, UPKEEP_TEAM, with_department
from ownit import Field, Promise, RequestType, Stage, service
from ownit.calendar import BusinessCalendar, around_the_clock, parse_hours
from ownit.departments import DeclarationError
from ownit.errors import ConfigError
from ownit.plugins import build_plugins
from ownit.testing import load_org_text

STAGES = (Stage("reported", "Reported"), Stage("cordoned", "Cordoned off"), Stage("clean", "Cleaned", days=1))
SPILL = RequestType(
    key="upkeep.spill", label="Spill", why="Nobody slips.", calendar="24x7", stages=STAGES,
    fields=(Field("what", "What was spilt?", required=True),),
    promise={"normal": Promise(first_contact="30m", checkin="2h", resolve="4h")})
DEEP_CLEAN = RequestType(
    key="upkeep.deep_clean", label="Deep clean", why="A clean store is a safe store.", calendar="store-hours",
    stages=STAGES, promise={"normal": Promise(first_contact="1h", checkin="1d", resolve="2d")})
POLISH = RequestType(  # on its team's hours
    key="upkeep.polish", label="Polish", why="It shines.", stages=STAGES,
    promise={"normal": Promise(first_contact="30m", checkin="1d", resolve="2d")})


class Upkeep(conftest.Upkeep):
    TYPES = (SPILL, DEEP_CLEAN, POLISH)


STORE_HOURS = """
[[calendar]]
key = "store-hours"
timezone = "Europe/London"
days = "MO-SU"
hours = "06:00-22:00"
"""
SATURDAY_2AM = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # London is on UTC in November


@pytest.fixture
def upkeep(ownit_demo_org, tmp_path, monkeypatch):
    with_department(ownit_demo_org, Upkeep(), STORE_HOURS + UPKEEP_TEAM, tmp_path, monkeypatch)
    ownit_demo_org.clock.set(SATURDAY_2AM)
    return ownit_demo_org


def raise_one(desk, request_type, **fields):
    return service.raise_request(desk, actor=AMIRA, request_type=request_type, title="In aisle 4", fields=fields)


def test_hours_may_run_to_midnight() -> None:
    assert around_the_clock("Europe/London").day_length == timedelta(days=1)
    evenings = BusinessCalendar(hours="18:00-24:00")
    assert evenings.day_length == timedelta(hours=6)
    friday_night = datetime(2026, 11, 27, 23, 0, tzinfo=timezone.utc)
    # Friday's last hour, then Monday's first
    assert evenings.add(friday_night, "2h") == datetime(2026, 11, 30, 19, 0, tzinfo=timezone.utc)
    with pytest.raises(ConfigError, match="close before they open"):
        parse_hours("18:00-06:00")


def test_each_type_counts_its_promises_on_its_own_clock(upkeep) -> None:
    spill, deep, polish = (raise_one(upkeep, "upkeep.spill", what="milk"), raise_one(upkeep, "upkeep.deep_clean"),
                           raise_one(upkeep, "upkeep.polish"))
    # around the clock: half an hour from 02:00 on a Saturday, the team's weekend notwithstanding
    assert spill["promise"]["first_contact_due"] == "2026-11-28T02:30:00+00:00"
    assert spill["promise"]["resolve_by"] == "2026-11-28T06:00:00+00:00"
    assert (spill["promise"]["first_contact_within"], spill["promise"]["clock"]) == ("30 minutes", "around the clock")
    # the store's hours, 06:00-22:00 every day: an hour after opening; two 16-hour days, Saturday's and Sunday's
    assert deep["promise"]["first_contact_due"] == "2026-11-28T07:00:00+00:00"
    assert deep["promise"]["resolve_by"] == "2026-11-29T22:00:00+00:00"
    assert deep["promise"]["clock"] == "in working hours, MO-SU 06:00-22:00 Europe/London"
    # the team's own hours, Monday to Friday 08:00-18:00
    assert polish["promise"]["first_contact_due"] == "2026-11-30T08:30:00+00:00"
    assert polish["promise"]["first_contact_within"] == "30 business minutes"


def test_check_ins_and_the_sweep_keep_the_type_s_clock(upkeep) -> None:
    spill = raise_one(upkeep, "upkeep.spill", what="milk")
    upkeep.clock.set(SATURDAY_2AM + timedelta(minutes=20))  # due soon: within half of its half hour
    report = service.sweep(upkeep)
    assert [(r["ref"], r["promise"]) for r in report["due_soon"]] == [(spill["ref"], "first_contact")]
    owner = spill["owner"]["email"]
    contacted = service.contact(upkeep, spill["ref"], actor=owner, note="Cordoned off, mop on the way")
    assert contacted["promise"]["states"]["first_contact"] == "met"
    assert contacted["promise"]["next_checkin_due"] == "2026-11-28T04:20:00+00:00"  # two hours, at night
    contact = next(e for e in service.show(upkeep, spill["ref"], actor=owner)["timeline"] if e["kind"] == "contacted")
    assert contact["data"]["business_hours"] == 0.333  # 20 minutes, measured on its clock, not the team's


def test_the_card_says_which_clock_the_times_count_on(upkeep) -> None:
    from ownit.cli import app

    ref = raise_one(upkeep, "upkeep.spill", what="milk")["ref"]
    env = {"OWNIT_DATABASE_URL": upkeep.url, "OWNIT_USER": AMIRA, "COLUMNS": "160"}
    shown = CliRunner().invoke(app, ["--now", SATURDAY_2AM.isoformat(), "show", ref], env=env)
    assert shown.exit_code == 0, shown.output
    assert "These times count around the clock." in shown.stdout
    assert "(within 30 minutes)" in shown.stdout
    assert service.departments(upkeep)["departments"][-1]["request_types"][0]["calendar"] == "24x7"


def test_a_calendar_a_staffed_type_needs_must_be_in_the_org_file(ownit_demo_org, tmp_path, monkeypatch) -> None:
    ownit_demo_org.plugins = build_plugins(extra=[("upkeep", Upkeep())])
    with pytest.raises(ConfigError) as missing:
        load_org_text(ownit_demo_org, UPKEEP_TEAM, tmp_path)
    assert str(missing.value) == (f"{tmp_path / 'org.toml'}: request type upkeep.deep_clean counts its promises on "
                                  "calendar 'store-hours'; add a [[calendar]] with key = \"store-hours\" (its "
                                  "timezone, days and hours)")
    assert [t for t in service.teams(ownit_demo_org) if t["key"] == "upkeep-north"] == []  # none of it was kept
    # without a team of its department, nothing can be raised on it: no calendar is needed yet
    assert load_org_text(ownit_demo_org, "", tmp_path)["teams"] == 0
    with pytest.raises(ConfigError, match=r"line 3: calendar #1 field 'key': '24x7' must be lower case"):
        load_org_text(ownit_demo_org, STORE_HOURS.replace("store-hours", "24x7"), tmp_path)
    with pytest.raises(ConfigError, match=r"line 2: calendar #1: working hours '06:00-02:00' close before they open"):
        load_org_text(ownit_demo_org, STORE_HOURS.replace("22:00", "02:00"), tmp_path)


def test_a_calendar_removed_from_under_a_type_is_said_at_the_raise(upkeep, tmp_path) -> None:
    from sqlalchemy import text

    made = raise_one(upkeep, "upkeep.deep_clean")["ref"]
    with upkeep.engine.begin() as connection:  # as if the type was given its calendar after the org was loaded
        connection.execute(text("DELETE FROM calendar"))
    with pytest.raises(ConfigError, match="counts its promises on calendar 'store-hours', which the org file does "
                                          "not declare; add a \\[\\[calendar\\]\\]"):
        raise_one(upkeep, "upkeep.deep_clean")
    assert [r["ref"] for r in service.my_requests(upkeep, actor=AMIRA)] == [made]  # the refused one saved nothing
    shown = service.show(upkeep, made, actor=AMIRA)  # and what was made is still shown, on the team's hours
    assert shown["promise"]["clock"] == "in working hours, MO-FR 08:00-18:00 Europe/London"


def test_a_type_s_calendar_is_24x7_or_a_key() -> None:
    with pytest.raises(DeclarationError, match="calendar 'Office Hours' must be \"24x7\" or the key"):
        RequestType(key="upkeep.x", label="X", why="-", stages=STAGES, calendar="Office Hours")


def test_the_named_calendar_is_kept_and_updated_by_key(upkeep, tmp_path: Path) -> None:
    from ownit.store import org as org_store
    from ownit.store import unit as store

    load_org_text(upkeep, STORE_HOURS.replace("06:00-22:00", "07:00-21:00"), tmp_path)
    stored = store.run(upkeep, lambda u: org_store.rows(u, "calendar"), write=False)
    assert [(c["key"], c["body"]["hours"]) for c in stored] == [("store-hours", "07:00-21:00")]
    assert raise_one(upkeep, "upkeep.deep_clean")["promise"]["first_contact_due"] == "2026-11-28T08:00:00+00:00"
