"""Business time, property-tested: the laws ``ownit.calendar.BusinessCalendar``
must keep on every calendar, at any instant, across daylight-saving changes,
public holidays and the org file's closure dates.

Four calendars: a London office (with closures), a New York store team that
works Saturdays, a Sydney team closing at 17:30 (its clocks change in the
opposite season), and a calendar with no holidays, odd working days and
ragged hours. Instants are drawn across 2025-2028, with extra weight on the
weekends the clocks change, on the days around holidays and closures, and on
the exact opening and closing instants.

Every "inside working time" check uses an oracle written here (weekday, local
clock time, the ``holidays`` package for several years at once, the closure
dates), not the calendar's own helpers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ownit.calendar import BusinessCalendar

FIRST, LAST = datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
SPAN = int((LAST - FIRST).total_seconds())

EXAMPLES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Spec:
    """A calendar and, independently of it, what its working time should be.
    (A plain class with a short repr, so a falsifying example prints briefly.)"""

    def __init__(self, name: str, calendar: BusinessCalendar, weekdays: set[int], opens: time,
                 closes: time) -> None:
        self.name, self.calendar, self.opens, self.closes = name, calendar, opens, closes
        self.weekdays = frozenset(weekdays)  # Monday is 0

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    @cached_property
    def days_off(self) -> frozenset[date]:
        off = set(self.calendar.closures)
        if self.calendar.country:
            off |= set(holidays.country_holidays(self.calendar.country, subdiv=self.calendar.subdivision,
                                                 years=range(2024, 2032)))
        return frozenset(off)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.days_off

    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def __repr__(self) -> str:  # hypothesis and pytest print this
        return self.name


LONDON = Spec(
    "london",
    BusinessCalendar(timezone="Europe/London", days="MO-FR", hours="09:00-17:00", country="GB", subdivision="ENG",
                     closures=(date(2025, 12, 24), date(2026, 12, 24), date(2027, 6, 16), date(2028, 4, 13))),
    set(range(5)), time(9), time(17))
NEW_YORK = Spec(
    "new_york",
    BusinessCalendar(timezone="America/New_York", days="MO-SA", hours="08:00-18:00", country="US", subdivision="NY"),
    set(range(6)), time(8), time(18))
SYDNEY = Spec(
    "sydney",
    BusinessCalendar(timezone="Australia/Sydney", days="MO-FR", hours="09:00-17:30", country="AU", subdivision="NSW"),
    set(range(5)), time(9), time(17, 30))
NO_HOLIDAYS = Spec(
    "no_holidays",
    BusinessCalendar(timezone="Europe/Berlin", days="MO,WE,FR", hours="07:45-12:15"),
    {0, 2, 4}, time(7, 45), time(12, 15))

SPECS = [LONDON, NEW_YORK, SYDNEY, NO_HOLIDAYS]
every_calendar = pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])


def _clock_changes() -> list[date]:
    """Every day in 2025-2028 on which one of the calendars' zones changes its offset."""
    changes = set()
    for zone in {ZoneInfo(s.calendar.timezone) for s in SPECS}:
        day = date(2025, 1, 1)
        while day < date(2029, 1, 1):
            before = datetime.combine(day, time(0), zone).utcoffset()
            after = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
            if before != after:
                changes.add(day)
            day += timedelta(days=1)
    return sorted(changes)


CLOCK_CHANGES = _clock_changes()
DAYS_OFF = sorted({d for s in SPECS for d in s.days_off if FIRST.date() <= d < LAST.date()})
CLOSURES = sorted(LONDON.calendar.closures)


def test_the_strategies_cover_what_they_claim() -> None:
    # two changes a year in each of Europe/London, Europe/Berlin (same days), New York and Sydney
    assert len(CLOCK_CHANGES) == 3 * 2 * 4
    assert date(2026, 10, 25) in CLOCK_CHANGES and date(2026, 3, 8) in CLOCK_CHANGES  # London, New York
    assert date(2026, 4, 5) in CLOCK_CHANGES  # Sydney goes back in April
    assert date(2026, 8, 31) in DAYS_OFF and date(2026, 12, 24) in DAYS_OFF


# --- strategies -------------------------------------------------------------------------

def _near(days: list[date]) -> st.SearchStrategy[datetime]:
    """An instant within four days either side of noon UTC on one of ``days``."""
    return st.builds(lambda day, seconds: datetime.combine(day, time(12), UTC) + timedelta(seconds=seconds),
                     st.sampled_from(days), st.integers(-4 * 86400, 4 * 86400))


anywhere = st.integers(0, SPAN).map(lambda s: FIRST + timedelta(seconds=s))
instants_utc = st.one_of(anywhere, _near(CLOCK_CHANGES), _near(DAYS_OFF), _near(CLOSURES))


@st.composite
def instants(draw: Any, spec: Spec) -> datetime:
    """An aware instant, expressed in UTC, in the calendar's own zone or in a
    fixed offset (the calendar must not care which); sometimes exactly at, or a
    second either side of, an opening or a closing."""
    moment = draw(instants_utc)
    if draw(st.integers(0, 3)) == 0:
        local_day = moment.astimezone(spec.zone).date()
        edge = draw(st.sampled_from([spec.opens, spec.closes]))
        moment = (datetime.combine(local_day, edge, spec.zone).astimezone(UTC)
                  + timedelta(seconds=draw(st.sampled_from([-1, 0, 0, 1]))))
    zone = draw(st.sampled_from([UTC, spec.zone, timezone(timedelta(hours=-3, minutes=-30))]))
    return moment.astimezone(zone)


amounts = st.one_of(
    st.integers(0, 60 * 90).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 400_000).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 60).map(lambda n: f"{n}h"),
    st.integers(0, 25).map(lambda n: f"{n}d"),
    st.sampled_from(["0.5d", "1.5d", "2.25h", "0.5h"]),
)


def span_of(spec: Spec, amount: timedelta | str) -> timedelta:
    """The business time an amount stands for, by the oracle's own reckoning."""
    if isinstance(amount, timedelta):
        return amount
    number, unit = float(amount[:-1]), amount[-1]
    return (timedelta(hours=1) if unit == "h" else spec.day_length()) * number


def assert_in_working_time(spec: Spec, moment: datetime, *, may_be_closing: bool) -> None:
    assert moment.tzinfo is not None
    local = moment.astimezone(spec.zone)
    day = local.date()
    assert day.weekday() in spec.weekdays, f"{local} is a {local:%A}"
    assert day not in spec.days_off, f"{local} is a holiday or closure"
    assert spec.calendar.holiday_name(day) is None
    clock = local.timetz().replace(tzinfo=None)
    assert spec.opens <= clock, f"{local} is before opening"
    assert clock < spec.closes or (may_be_closing and clock == spec.closes), f"{local} is after closing"


# --- add and between --------------------------------------------------------------------

@every_calendar
@EXAMPLES
@given(data=st.data())
def test_adding_then_measuring_gives_back_the_amount(spec: Spec, data: st.DataObject) -> None:
    start = data.draw(instants(spec), label="start")
    amount = data.draw(amounts, label="amount")
    end = spec.calendar.add(start, amount)
    assert end.utcoffset() == timedelta(0)  # results are UTC
    assert spec.calendar.between(start, end) == span_of(spec, amount)
    assert spec.calendar.between(end, start) == -span_of(spec, amount)
    assert end >= start


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_results_fall_inside_working_time(spec: Spec, data: st.DataObject) -> None:
    start = data.draw(instants(spec), label="start")
    amount = data.draw(amounts, label="amount")
    end = spec.calendar.add(start, amount)
    # a positive amount may use a day's hours to the last minute and end at its close
    assert_in_working_time(spec, end, may_be_closing=span_of(spec, amount) > timedelta(0))


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_whole_business_days_keep_the_local_clock_time(spec: Spec, data: st.DataObject) -> None:
    """Inside working hours, N business days later is the same local time on
    the N-th working day after — whatever the clocks did in between."""
    day = data.draw(instants(spec), label="from").astimezone(spec.zone).date()
    while not spec.is_working_day(day):
        day += timedelta(days=1)
    minutes = int(spec.day_length().total_seconds() // 60)
    into = timedelta(minutes=data.draw(st.integers(1, minutes), label="minutes after opening"))
    start = datetime.combine(day, spec.opens, spec.zone).astimezone(UTC) + into  # up to the close itself
    clock = (datetime.combine(day, spec.opens) + into).time()
    days = data.draw(st.integers(1, 12), label="days")
    expected_day, counted = day, 0
    while counted < days:
        expected_day += timedelta(days=1)
        counted += spec.is_working_day(expected_day)
    end = spec.calendar.add(start, f"{days}d").astimezone(spec.zone)
    assert (end.date(), end.timetz().replace(tzinfo=None)) == (expected_day, clock)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_add_is_monotonic_in_the_amount(spec: Spec, data: st.DataObject) -> None:
    start = data.draw(instants(spec), label="start")
    small, large = sorted(data.draw(st.lists(st.integers(0, 400_000), min_size=2, max_size=2), label="seconds"))
    assert spec.calendar.add(start, timedelta(seconds=small)) <= spec.calendar.add(start, timedelta(seconds=large))
    if small < large:  # strictly, since every result is inside working time
        assert spec.calendar.add(start, timedelta(seconds=small)) < spec.calendar.add(start, timedelta(seconds=large))


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_add_is_monotonic_in_the_start(spec: Spec, data: st.DataObject) -> None:
    first = data.draw(instants(spec), label="first")
    later = first + timedelta(seconds=data.draw(st.integers(0, 10 * 86400), label="later by"))
    amount = data.draw(amounts, label="amount")
    assert spec.calendar.add(first, amount) <= spec.calendar.add(later, amount)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_adding_in_steps_is_adding_at_once(spec: Spec, data: st.DataObject) -> None:
    """``add(add(s, a), b) == add(s, a + b)`` for a positive ``b``: business
    time is additive, whichever instant one walks on from."""
    start = data.draw(instants(spec), label="start")
    a, b = (timedelta(seconds=x) for x in data.draw(st.tuples(st.integers(0, 400_000), st.integers(1, 400_000)),
                                                    label="seconds"))
    assert spec.calendar.add(spec.calendar.add(start, a), b) == spec.calendar.add(start, a + b)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_adding_each_of_several_amounts_in_one_walk_is_adding_each(spec: Spec, data: st.DataObject) -> None:
    """``add_each`` (a stage forecast's instants in one walk) gives what
    ``add`` gives for each amount, equal amounts and zero included."""
    start = data.draw(instants(spec), label="start")
    spans = sorted(span_of(spec, amount) for amount in data.draw(st.lists(amounts, max_size=6), label="amounts"))
    assert spec.calendar.add_each(start, spans) == [spec.calendar.add(start, span) for span in spans]


def test_adding_each_refuses_amounts_out_of_order_or_backwards() -> None:
    calendar = SPECS[0].calendar
    with pytest.raises(ValueError, match="increasing order"):
        calendar.add_each(FIRST, [timedelta(hours=3), timedelta(hours=1)])
    with pytest.raises(ValueError, match="backwards"):
        calendar.add_each(FIRST, [timedelta(hours=-1)])


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_between_stops_counting_past_a_bound_without_changing_a_comparison(spec: Spec, data: st.DataObject) -> None:
    start = data.draw(instants(spec), label="start")
    end = start + timedelta(seconds=data.draw(st.integers(0, 30 * 86400), label="later by"))
    bound = timedelta(seconds=data.draw(st.integers(0, 200_000), label="bound"))
    exact, capped = spec.calendar.between(start, end), spec.calendar.between(start, end, past=bound)
    assert (capped <= bound) == (exact <= bound) and (capped >= bound) == (exact >= bound)
    assert capped == exact or (capped > bound and capped <= exact)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_between_is_additive_and_antisymmetric(spec: Spec, data: st.DataObject) -> None:
    a = data.draw(instants(spec), label="a")
    gaps = data.draw(st.lists(st.integers(0, 20 * 86400), min_size=2, max_size=2), label="gaps")
    b = a + timedelta(seconds=gaps[0])
    c = b + timedelta(seconds=gaps[1])
    between = spec.calendar.between
    assert between(a, b) + between(b, c) == between(a, c)
    for x, y in ((a, b), (b, c), (a, c)):
        assert between(y, x) == -between(x, y)
        assert timedelta(0) <= between(x, y) <= y - x  # never more business time than wall-clock time
    assert between(a, a) == timedelta(0)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_between_counts_each_working_day_in_full(spec: Spec, data: st.DataObject) -> None:
    """From one local midnight to another: exactly a day's hours per working day."""
    first = data.draw(instants(spec), label="first").astimezone(spec.zone).date()
    days = data.draw(st.integers(0, 40), label="days")
    start = datetime.combine(first, time(0), spec.zone)
    end = datetime.combine(first + timedelta(days=days), time(0), spec.zone)
    working = sum(spec.is_working_day(first + timedelta(days=n)) for n in range(days))
    assert spec.calendar.between(start, end) == spec.day_length() * working


# --- next business moment and the end of a day ---------------------------------------------

@every_calendar
@EXAMPLES
@given(data=st.data())
def test_next_business_moment_is_idempotent_and_never_earlier(spec: Spec, data: st.DataObject) -> None:
    moment = data.draw(instants(spec), label="moment")
    nxt = spec.calendar.next_business_moment(moment)
    assert nxt >= moment
    assert spec.calendar.next_business_moment(nxt) == nxt
    assert spec.calendar.between(moment, nxt) == timedelta(0)  # no working time is skipped
    assert_in_working_time(spec, nxt, may_be_closing=False)  # a closing instant is the next opening
    if nxt > moment:  # it moved: to an opening
        assert nxt.astimezone(spec.zone).timetz().replace(tzinfo=None) == spec.opens
    assert spec.calendar.add(moment, timedelta(0)) == nxt


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_end_of_day_is_the_last_close_on_or_before_the_day(spec: Spec, data: st.DataObject) -> None:
    day = data.draw(instants(spec), label="day").astimezone(spec.zone).date()
    end = spec.calendar.end_of_day(day)
    local = end.astimezone(spec.zone)
    assert local.timetz().replace(tzinfo=None) == spec.closes
    assert spec.is_working_day(local.date())
    assert local.date() <= day
    gap = local.date() + timedelta(days=1)
    while gap <= day:  # every day after it, up to the given day, is not a working day
        assert not spec.is_working_day(gap), gap
        gap += timedelta(days=1)
    assert spec.calendar.is_working_day(day) == spec.is_working_day(day)


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_working_days_match_the_oracle(spec: Spec, data: st.DataObject) -> None:
    start = data.draw(instants(spec), label="start").astimezone(spec.zone).date()
    days = spec.calendar.working_days(start)
    got = [next(days) for _ in range(10)]
    expected, day = [], start
    while len(expected) < 10:
        if spec.is_working_day(day):
            expected.append(day)
        day += timedelta(days=1)
    assert got == expected


@every_calendar
@EXAMPLES
@given(data=st.data())
def test_before_is_add_backwards(spec: Spec, data: st.DataObject) -> None:
    """``before(end, span)`` leaves exactly ``span`` of working time until ``end``,
    and is the latest such instant (the sweep's "when does it come due soon")."""
    start = data.draw(instants(spec), label="start")
    span = span_of(spec, data.draw(amounts, label="amount"))
    end = spec.calendar.add(start, span + timedelta(hours=1))  # a working instant with room behind it
    moment = spec.calendar.before(end, span)
    assert start <= moment <= end
    assert spec.calendar.between(moment, end) == span
    if span > timedelta(0):
        assert spec.calendar.between(moment + timedelta(seconds=1), end) < span
