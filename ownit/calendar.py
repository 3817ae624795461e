"""Business time: working days and hours of a team, public holidays, closures.

Working days come from a ``dateutil.rrule`` rule set (the weekly pattern, with
public holidays from the ``holidays`` package and the org file's closure dates
as exclusions); arithmetic is done in UTC over each day's working window in the
team's zone, so daylight-saving changes need no special case.

A business day is the length of one day's working hours, so "1d" from Friday
16:30 on a Monday–Friday 09:00–17:00 calendar is Monday 16:30.

The ``holidays`` package is asked when the org file is loaded: a team's stored
calendar keeps the public holidays of the years around then (``holidays``, by
year), so a command that works out a promise reads them instead of importing
the package and building the country's list again (a tenth of a second, in
every process). A year not kept is asked of the package as before.
"""

from __future__ import annotations

import bisect
import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from .departments import Duration
from .errors import ConfigError

_WEEKDAYS = {"MO": rrule.MO, "TU": rrule.TU, "WE": rrule.WE, "TH": rrule.TH,
             "FR": rrule.FR, "SA": rrule.SA, "SU": rrule.SU}
_ORDER = list(_WEEKDAYS)


def parse_days(text: str) -> tuple[str, ...]:
    """``"MO-FR"``, ``"MO-SA"`` or ``"MO,WE,FR"`` as weekday codes."""
    days: list[str] = []
    for part in text.upper().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            raise ConfigError(f"working days {text!r} must look like 'MO-FR' or 'MO,TU,WE'")
        if last:
            start, end = _ORDER.index(first), _ORDER.index(last)
            if end < start:
                raise ConfigError(f"working days {text!r} run backwards")
            days.extend(_ORDER[start : end + 1])
        else:
            days.append(first)
    return tuple(dict.fromkeys(days))


MIDNIGHT = time(0)


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-17:00"`` as opening and closing times; a day that closes at
    midnight (``"00:00-24:00"``, ``"18:00-24:00"``) closes at :data:`MIDNIGHT`,
    the start of the next day."""
    try:
        opens, closes = (MIDNIGHT if part.strip() == "24:00" else time.fromisoformat(part.strip())
                         for part in text.split("-"))
    except ValueError:
        raise ConfigError(f"working hours {text!r} must look like '09:00-17:00' (or '00:00-24:00')") from None
    if closes <= opens and closes != MIDNIGHT:
        raise ConfigError(f"working hours {text!r} close before they open")
    return opens, closes


AROUND_THE_CLOCK = "24x7"  # what a request type's ``calendar`` says to count every hour of every day


@functools.cache
def around_the_clock(timezone: str) -> "BusinessCalendar":
    """Every hour of every day, holidays too, days reckoned in ``timezone``:
    the calendar of a request type declared ``calendar = "24x7"`` (a spill is
    urgent at 3 a.m. on Christmas Day). "1d" is 24 hours."""
    return BusinessCalendar.of({"timezone": timezone, "days": "MO-SU", "hours": "00:00-24:00"})


_BUILT: dict[str, "BusinessCalendar"] = {}  # stored calendar (as JSON) -> its calendar, see BusinessCalendar.of


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works. Built from the org file's ``calendar`` table."""

    timezone: str = "UTC"
    days: str = "MO-FR"
    hours: str = "09:00-17:00"
    country: str | None = None
    subdivision: str | None = None
    closures: tuple[date, ...] = ()
    _years: dict[int, list[date]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    _windows: dict[date, tuple[datetime, datetime]] = field(default_factory=dict, compare=False, hash=False,
                                                             repr=False)
    _by_year: dict[int, tuple[list, list]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # public holidays by year, as kept with a stored calendar (worked out when the org was loaded)
    _known: dict[int, dict[date, str]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "closures", tuple(sorted(set(self.closures))))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {self.timezone!r}; use a name like 'Europe/London'") from None
        parse_days(self.days)
        parse_hours(self.hours)
        if self.country and not self._known:  # a country the package does not know is refused here, once
            self._holidays(date.today().year)

    @classmethod
    def from_dict(cls, data: dict) -> "BusinessCalendar":
        closures = tuple(c if isinstance(c, date) else date.fromisoformat(str(c))
                         for c in data.get("closures", ()))
        known = {int(year): {date.fromisoformat(day): name for day, name in days.items()}
                 for year, days in (data.get("holidays") or {}).items()} if data.get("country") else {}
        return cls(
            timezone=data.get("timezone", "UTC"),
            days=data.get("days", "MO-FR"),
            hours=data.get("hours", "09:00-17:00"),
            country=data.get("country"),
            subdivision=data.get("subdivision"),
            closures=closures,
            _known=known,
        )

    @classmethod
    def of(cls, data: dict) -> "BusinessCalendar":
        """The calendar for a stored ``calendar`` table, built once per process:
        its working days are worked out a year at a time and kept."""
        key = json.dumps(data, sort_keys=True, default=str)
        calendar = _BUILT.get(key)
        if calendar is None:
            calendar = _BUILT[key] = cls.from_dict(data)
        return calendar

    @classmethod
    def of_team(cls, team: Any) -> "BusinessCalendar":
        """A team's calendar: the one its directory entry keeps, else built once
        from its stored table (:meth:`of`)."""
        return getattr(team, "business_calendar", None) or cls.of(team.calendar)

    def to_dict(self, *, holidays_of: Iterable[int] = ()) -> dict:
        """The calendar as stored; with ``holidays_of``, the public holidays of
        those years kept with it (``{"2026": {"2026-12-25": "Christmas Day"}}``)."""
        stored: dict[str, Any] = {"timezone": self.timezone, "days": self.days, "hours": self.hours,
                                  "country": self.country, "subdivision": self.subdivision,
                                  "closures": [d.isoformat() for d in self.closures]}
        if self.country and holidays_of:
            stored["holidays"] = {str(year): {day.isoformat(): name for day, name in sorted(self._holidays(year).items())}
                                  for year in holidays_of}
        return stored

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _window(self) -> tuple[time, time]:
        return parse_hours(self.hours)

    @cached_property
    def day_length(self) -> timedelta:
        opens, closes = self._window
        day = date(2000, 1, 1)
        return (datetime.combine(day + timedelta(days=1) if closes == MIDNIGHT else day, closes)
                - datetime.combine(day, opens))

    @property
    def is_around_the_clock(self) -> bool:
        return self.day_length == timedelta(days=1) and len(parse_days(self.days)) == 7 and not self.country \
            and not self.closures

    def describe(self) -> str:
        """How its time counts, in words: "around the clock", or "in working
        hours, MO-FR 09:00-17:00 Europe/London" (and its public holidays off)."""
        if self.is_around_the_clock:
            return "around the clock"
        extra = f", {self.country} public holidays off" if self.country else ""
        return f"in working hours, {self.days} {self.hours} {self.timezone}{extra}"

    def _holidays(self, year: int) -> dict[date, str]:
        if not self.country:
            return {}
        known = self._known.get(year)
        if known is not None:
            return known
        import holidays

        try:
            return dict(holidays.country_holidays(self.country, subdiv=self.subdivision, years=year))
        except NotImplementedError as exc:
            raise ConfigError(
                f"no public holidays known for country {self.country!r} subdivision {self.subdivision!r}: {exc}"
            ) from None

    def _working_days_of(self, year: int) -> list[date]:
        days = self._years.get(year)
        if days is None:
            rules = rrule.rruleset()
            rules.rrule(rrule.rrule(
                rrule.DAILY, dtstart=datetime(year, 1, 1), until=datetime(year, 12, 31),
                byweekday=[_WEEKDAYS[d] for d in parse_days(self.days)],
            ))
            for excluded in list(self._holidays(year)) + [c for c in self.closures if c.year == year]:
                rules.exdate(datetime.combine(excluded, time()))
            days = [moment.date() for moment in rules]
            self._years[year] = days
        return days

    def working_days(self, start: date) -> Iterator[date]:
        """Working days from ``start`` (inclusive) onwards."""
        year = start.year
        days = self._working_days_of(year)
        index = bisect.bisect_left(days, start)
        for _ in range(50):  # a calendar with no working day in 50 years is a mistake
            yield from days[index:]
            year += 1
            days, index = self._working_days_of(year), 0
        raise ConfigError(f"calendar {self.days} {self.hours} has no working days")

    def is_working_day(self, day: date) -> bool:
        days = self._working_days_of(day.year)
        index = bisect.bisect_left(days, day)
        return index < len(days) and days[index] == day

    def holiday_name(self, day: date) -> str | None:
        if day in self.closures:
            return "closure"
        return self._holidays(day.year).get(day)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working hours of ``day`` as UTC instants (worked out once per day)."""
        found = self._windows.get(day)
        if found is None:
            opens, closes = self._window
            closing_day = day + timedelta(days=1) if closes == MIDNIGHT else day
            found = self._windows[day] = (datetime.combine(day, opens, self.zone).astimezone(timezone.utc),
                                          datetime.combine(closing_day, closes, self.zone).astimezone(timezone.utc))
        return found

    def _year_windows(self, year: int) -> tuple[list[tuple[datetime, datetime]], list[datetime]]:
        """The working hours of every working day of ``year`` in order, as UTC
        instants, and their closing instants (to bisect): built once a year."""
        found = self._by_year.get(year)
        if found is None:
            windows = [self.window(day) for day in self._working_days_of(year)]
            found = self._by_year[year] = (windows, [closes for _, closes in windows])
        return found

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working hours still to come from ``moment`` (UTC), the first cut to start at it."""
        year = (moment - timedelta(days=2)).year  # a working day's hours may close in the next UTC year
        for _ in range(52):  # a calendar with no working day in 50 years is a mistake
            windows, closings = self._year_windows(year)
            for index in range(bisect.bisect_right(closings, moment), len(windows)):
                opens, closes = windows[index]
                yield max(opens, moment), closes
            year += 1
        raise ConfigError(f"calendar {self.days} {self.hours} has no working days")

    def to_span(self, duration: Duration | str) -> timedelta:
        """A duration as working time (``d`` counts one day's working hours)."""
        if isinstance(duration, str):
            duration = Duration.parse(duration)
        unit = timedelta(hours=1) if duration.unit == "h" else self.day_length
        return unit * duration.amount

    def add(self, start: datetime, amount: Duration | str | timedelta) -> datetime:
        """The instant ``amount`` of working time after ``start`` (UTC)."""
        return self.add_each(start, [amount if isinstance(amount, timedelta) else self.to_span(amount)])[0]

    def add_each(self, start: datetime, amounts: Sequence[timedelta]) -> list[datetime]:
        """The instant each of ``amounts`` (in increasing order) of working time
        after ``start`` (UTC), from one walk over the working hours."""
        found: list[datetime] = []
        wanted = iter(amounts)
        target = next(wanted, None)
        if target is None:
            return found
        if target < timedelta(0):
            raise ValueError("business time cannot be added backwards")
        walked = timedelta(0)  # the working time of the windows passed
        for opens, closes in self._windows_from(start.astimezone(timezone.utc)):
            available = closes - opens
            while target - walked <= available:
                found.append(opens + (target - walked))
                following = next(wanted, None)
                if following is None:
                    return found
                if following < target:
                    raise ValueError("amounts of business time to add must come in increasing order")
                target = following
            walked += available
        raise AssertionError("unreachable: working_days never ends")

    def before(self, end: datetime, amount: timedelta) -> datetime:
        """The latest instant with ``amount`` of working time left until ``end``
        (``add`` backwards): when a due time comes within ``amount`` of now."""
        end = end.astimezone(timezone.utc)
        remaining = amount
        day = end.astimezone(self.zone).date()
        for _ in range(3700):  # ten years of days: a calendar with no working day is refused when built
            if self.is_working_day(day):
                opens, closes = self.window(day)
                if opens < end:
                    available = min(closes, end) - opens
                    if remaining <= available:
                        return min(closes, end) - remaining
                    remaining -= available
            day -= timedelta(days=1)
        raise ConfigError(f"calendar {self.days} {self.hours} has no working days")

    def next_business_moment(self, moment: datetime) -> datetime:
        """``moment`` itself inside working hours, else the next opening."""
        return self.add(moment, timedelta(0))

    def between(self, start: datetime, end: datetime, *, past: timedelta | None = None) -> timedelta:
        """Working time from ``start`` to ``end`` (negative when end is earlier).
        With ``past``, counting stops once the total is beyond it: the answer is
        exact up to ``past`` and only "more than ``past``" above it, enough to
        compare with it without walking every working day to a distant ``end``."""
        start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        for opens, closes in self._windows_from(start):
            if opens >= end or (past is not None and total > past):
                break
            total += min(closes, end) - opens
        return total

    def end_of_day(self, day: date) -> datetime:
        """The close of business on ``day``, or on the last working day before it."""
        for back in range(0, 370):
            candidate = day - timedelta(days=back)
            if self.is_working_day(candidate):
                return self.window(candidate)[1]
        raise ConfigError(f"calendar {self.days} {self.hours} has no working day in the year before {day}")

    def closes_today(self, now: datetime) -> datetime:
        """When the working day of ``now`` (its local date) closes: what "due today" runs to."""
        return self.end_of_day(self.local(now).date())

    def in_business_days(self, span: timedelta) -> float:
        return span / self.day_length

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)
