"""Every "now" in OwnIt comes from a clock, so that tests and ``--now``
simulations are deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class FixedClock:
    """A clock that stands still until told to move (tests, ``--now``)."""

    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __post_init__(self) -> None:
        self.at = as_utc(self.at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.at = self.at + (delta or timedelta(**kwargs))
        return self.at

    def set(self, at: datetime) -> None:
        self.at = as_utc(at)


def as_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime; naive values are taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


EARLIEST, LATEST = 1900, 2200  # the years OwnIt accepts from people: business calendars and offsets hold there


def within_bounds(value: date, text: str | None = None) -> None:
    """Refuse a date or instant outside :data:`EARLIEST` to :data:`LATEST`
    (year 1 or 9999 would overflow the promise arithmetic and the database)."""
    if not EARLIEST <= value.year <= LATEST:
        from .errors import ValidationError

        shown = repr(text.strip()) if text is not None else value.isoformat()
        raise ValidationError(f"{shown} is out of range: dates must be between {EARLIEST} and {LATEST}")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant such as ``2026-11-20T16:30`` or
    ``2026-11-20T16:30+00:00``; without an offset it is taken as UTC. Like
    every date people give OwnIt, it is refused outside 1900-2200."""
    from .errors import ValidationError

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{text!r} is not a date and time; use ISO form like 2026-11-20T16:30+00:00"
        ) from None
    within_bounds(value, text)
    return as_utc(value)


def parse_date(text: str | date) -> date:
    """Parse a day given as ``YYYY-MM-DD`` (or a date already parsed, from a
    TOML file), refused outside 1900-2200: the one place OwnIt reads the days
    people type."""
    from .errors import ValidationError

    if isinstance(text, datetime):
        value = text.date()
    elif isinstance(text, date):
        value = text
    else:
        try:
            value = date.fromisoformat(str(text).strip())
        except ValueError:
            raise ValidationError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    within_bounds(value, text if isinstance(text, str) else None)
    return value
