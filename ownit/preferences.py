"""How someone wants to hear from OwnIt, beyond their inbox (which always has everything).

- ``channels``: the channel plugins that may reach them (``email``, ``chat``,
  ...); unset means every channel that can reach them.
- ``digest``: hold what is not urgent for the morning digest instead of
  sending each notification at once.
- ``quiet``: hours in which nothing is sent (``"19:00-07:00"``, in their own
  time); what falls in them waits until they end.
- ``timezone``: their own time zone, for the quiet hours and the digest
  (unset: their site's).

Set in the org file (``notify = { ... }`` on a ``[[person]]``) and by each
person on the UI's Settings page; stored as the person's ``notify`` column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ValidationError

KEYS = ("channels", "digest", "quiet", "timezone")
DIGEST_AT = time(8, 0)  # the morning digest, in each person's own time
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Preferences:
    channels: tuple[str, ...] | None = None  # None: every channel that reaches them
    digest: bool = False
    quiet: tuple[time, time] | None = None  # [start, end) in their own time; may wrap past midnight
    timezone: str | None = None  # None: their site's

    def allows(self, channel: str) -> bool:
        """Whether the channel plugin ``channel`` may reach them."""
        return self.channels is None or channel in self.channels

    def quiet_at(self, local: time) -> bool:
        """Whether ``local`` (their own time of day) falls in their quiet hours."""
        if self.quiet is None:
            return False
        start, end = self.quiet
        return start <= local < end if start <= end else local >= start or local < end

    def hold(self, now: datetime, zone: str, *, urgent: bool) -> tuple[datetime | None, bool]:
        """When a notification for them may go out, at ``now``, in their
        zone: ``(None, False)`` at once; ``(when, True)`` held for the morning
        digest at ``when``; ``(when, False)`` held until their quiet hours end.
        Only an ``urgent`` notification skips the digest; none skips quiet hours."""
        local = now.astimezone(ZoneInfo(zone))
        if self.digest and not urgent:
            return next_at(local, DIGEST_AT), True
        if self.quiet is not None and self.quiet_at(local.time()):
            return next_at(local, self.quiet[1]), False
        return None, False

    def to_dict(self) -> dict[str, Any]:
        """As stored (and as the org file gives them): only what is set."""
        stored: dict[str, Any] = {}
        if self.channels is not None:
            stored["channels"] = list(self.channels)
        if self.digest:
            stored["digest"] = True
        if self.quiet is not None:
            stored["quiet"] = quiet_text(self.quiet)
        if self.timezone:
            stored["timezone"] = self.timezone
        return stored


def next_at(local: datetime, moment: time) -> datetime:
    """The first instant at or after ``local`` whose wall-clock time in its
    zone is ``moment`` (a moment skipped by a DST change falls just after it), in UTC."""
    day = local.date() if local.time().replace(tzinfo=None) < moment else local.date() + timedelta(days=1)
    return datetime.combine(day, moment, tzinfo=local.tzinfo).astimezone(timezone.utc)


def quiet_text(quiet: tuple[time, time] | None) -> str:
    return f"{quiet[0]:%H:%M}-{quiet[1]:%H:%M}" if quiet else ""


def parse(data: Any) -> Preferences:
    """Preferences from the org file's or the UI's ``notify`` table; a
    :class:`~ownit.errors.ValidationError` names the first thing wrong and how to fix it."""
    if data is None:
        return Preferences()
    if not isinstance(data, dict):
        raise ValidationError("notify must be a table, like { digest = true, quiet = \"19:00-07:00\" }")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValidationError(f"notify has no {unknown[0]!r}; it takes {', '.join(KEYS)}")
    return Preferences(channels=_channels(data.get("channels")), digest=_digest(data.get("digest", False)),
                       quiet=parse_quiet(data.get("quiet")), timezone=_zone(data.get("timezone")))


def stored(data: dict[str, Any] | None) -> Preferences:
    """Preferences as stored (already checked when they were saved)."""
    return parse(data or None)


def _channels(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and _CHANNEL.match(v) for v in value):
        raise ValidationError("notify channels must be a list of channel names, like [\"email\", \"chat\"] "
                              "(an empty list: the inbox only)")
    return tuple(dict.fromkeys(value))


def _digest(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("notify digest must be true (a morning digest) or false (each at once)")
    return value


def parse_quiet(value: Any) -> tuple[time, time] | None:
    """``"19:00-07:00"`` as two times of day; ``None`` or ``""`` for no quiet hours."""
    if value is None or value == "":
        return None
    found = _QUIET.match(value) if isinstance(value, str) else None
    if found:
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) != (h2, m2):
            return time(h1, m1), time(h2, m2)
    raise ValidationError(f"quiet hours {value!r} must be two different times of day like \"19:00-07:00\" "
                          "(from-until, in the person's own time)")


def _zone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValidationError(f"notify timezone {value!r} is not a time zone; use a name like "
                              "\"Europe/London\"") from None
    return value
