"""Business time on known dates (London, England's bank holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ownit.calendar import BusinessCalendar, parse_days
from ownit.errors import ConfigError

LONDON = ZoneInfo("Europe/London")
TEAM = BusinessCalendar(timezone="Europe/London", days="MO-FR", hours="09:00-17:00", country="GB",
                        subdivision="ENG", closures=(date(2026, 12, 24),))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_one_business_day_from_friday_afternoon_is_monday_afternoon() -> None:
    assert TEAM.add(at(2026, 11, 20, 16, 30), "1d") == at(2026, 11, 23, 16, 30)


def test_a_bank_holiday_is_skipped() -> None:
    # Friday 28 Aug 2026 16:30 + 1d: Monday 31 Aug is the summer bank holiday
    assert TEAM.add(at(2026, 8, 28, 16, 30), "1d") == at(2026, 9, 1, 16, 30)
    assert TEAM.holiday_name(date(2026, 8, 31)) == "Late Summer Bank Holiday"


def test_closures_from_the_org_file_are_skipped() -> None:
    # 23 Dec 16:00 + 2h: the 24th is a closure, 25/26/28 are holidays (Boxing Day observed Mon 28th)
    assert TEAM.add(at(2026, 12, 23, 16, 0), "2h") == at(2026, 12, 29, 10, 0)


def test_hours_outside_working_time_start_at_the_next_opening() -> None:
    assert TEAM.add(at(2026, 11, 21, 12, 0), "2h") == at(2026, 11, 23, 11, 0)  # Saturday
    assert TEAM.add(at(2026, 11, 23, 7, 0), "1h") == at(2026, 11, 23, 10, 0)
    assert TEAM.next_business_moment(at(2026, 11, 23, 17, 0)) == at(2026, 11, 24, 9, 0)


def test_daylight_saving_change_keeps_local_working_hours() -> None:
    # Clocks go back on Sunday 25 Oct 2026: Friday 16:00 + 2h is Monday 10:00 local
    result = TEAM.add(at(2026, 10, 23, 16, 0), "2h")
    assert result == at(2026, 10, 26, 10, 0)
    assert result.astimezone(timezone.utc).hour == 10  # GMT again


def test_between_measures_business_time() -> None:
    assert TEAM.between(at(2026, 11, 20, 16, 30), at(2026, 11, 23, 16, 30)) == timedelta(hours=8)
    assert TEAM.between(at(2026, 11, 23, 16, 30), at(2026, 11, 20, 16, 30)) == -timedelta(hours=8)


def test_saturday_team() -> None:
    store = BusinessCalendar(timezone="Europe/London", days="MO-SA", hours="08:00-18:00")
    assert store.add(at(2026, 11, 20, 17, 0), "2h") == at(2026, 11, 21, 9, 0)


@pytest.mark.parametrize("kwargs, message", [
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"days": "MO-XX"}, "working days"),
    ({"hours": "17:00-09:00"}, "close before they open"),
    ({"hours": "nine to five"}, "working hours"),
    ({"country": "ZZ"}, "no public holidays known"),
])
def test_bad_calendars_are_refused_clearly(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        BusinessCalendar(**kwargs)


def test_parse_days() -> None:
    assert parse_days("MO-FR") == ("MO", "TU", "WE", "TH", "FR")
    assert parse_days("mo,we,sa") == ("MO", "WE", "SA")


def test_a_stored_calendar_keeps_its_years_public_holidays_so_a_command_never_imports_the_package(tmp_path) -> None:
    """The org file's load asks the ``holidays`` package once and keeps the
    years around it with the team's calendar; a process that reads the stored
    calendar works out a promise across Christmas without importing it."""
    import json
    import subprocess
    import sys

    england = BusinessCalendar(timezone="Europe/London", country="GB", subdivision="ENG")
    stored = england.to_dict(holidays_of=range(2025, 2029))
    assert list(stored["holidays"]) == ["2025", "2026", "2027", "2028"]
    assert stored["holidays"]["2026"]["2026-12-25"] == "Christmas Day"
    kept = BusinessCalendar.from_dict(json.loads(json.dumps(stored)))
    assert kept == england and kept.holiday_name(date(2026, 12, 28)) == england.holiday_name(date(2026, 12, 28))
    start = datetime(2026, 12, 24, 16, tzinfo=timezone.utc)
    assert kept.add(start, "1d") == england.add(start, "1d")  # over Christmas and Boxing Day (moved to the 28th)
    (tmp_path / "calendar.json").write_text(json.dumps(stored))
    probe = ("import json, sys; from datetime import datetime, timezone; from ownit.calendar import BusinessCalendar; "
             f"c = BusinessCalendar.from_dict(json.load(open({str(tmp_path / 'calendar.json')!r}))); "
             "print(c.add(datetime(2026, 12, 24, 16, tzinfo=timezone.utc), '1d').isoformat(), "
             "'holidays' in sys.modules)")
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert said == [england.add(start, "1d").isoformat(), "False"]
    # a year not kept is asked of the package, as before
    assert kept.holiday_name(date(2031, 12, 25)) == "Christmas Day"


def test_loading_the_org_file_keeps_the_holidays_around_now(ownit_demo_org) -> None:
    from ownit.store import unit as store

    teams = store.run(ownit_demo_org, lambda u: {t.key: t.calendar for t in u.directory.teams.values()}, write=False)
    north = teams["facilities-north"]
    assert north["country"] == "GB" and list(north["holidays"]) == ["2025", "2026", "2027", "2028"]  # now: 2026
