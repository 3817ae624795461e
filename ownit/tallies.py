"""Day tallies: what service health counted, kept per UTC day.

A report over a quarter at a million requests would count some 300,000
contacts and resolutions and a million check-ins again each time it is asked
(8.2 s, docs/benchmarks.md). Instead, each finished day is counted once into
``tally`` rows, one per department, team and owner, holding the raw counts,
sums and measured values of :func:`ownit.metrics.raw` — the values too, so
medians stay exact. A report adds up the days' tallies and counts only what no
tally covers: the part-days at the ends of its period, today, and any day
whose tally has gone stale.

A tally is never read stale: database triggers (migration 0008) delete a day
from ``tally_day`` whenever something it counted changes, and only days
listed there are read. :func:`refresh` counts the missing days again, a week
per transaction, with writes to what it counts held off meanwhile (SQLite's
write lock; a share lock on PostgreSQL), so no change can slip between the
count and the mark. A report counts the days it needs that have no current
tally; the sweep (:func:`refresh_stale`) counts again the days that reports
have counted and that changed since, so the next report finds them ready.

Tallies are kept by department, team and owner, so they serve reports scoped
to those; a report for a site or a request type counts its measures directly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

import sqlalchemy as sa

from . import metrics
from .models import Tally, TallyDay
from .store import unit as store
from .store.sql import Insert, Sql

if TYPE_CHECKING:
    from .desk import Desk

Key = tuple[Any, Any, date]  # owner id, team id, UTC day
DAYS_PER_FILL = 7  # days counted per transaction when filling: writers wait for at most one such count
KEEP_CURRENT = timedelta(days=400)  # how far back the sweep keeps counted days current: a year and its quarter


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def whole_days(start: datetime, end: datetime, now: datetime) -> list[date]:
    """The UTC days wholly inside ``[start, end)`` and over by ``now``: those a tally may count."""
    first = start.astimezone(timezone.utc).date()
    if _midnight(first) < start:
        first += timedelta(days=1)
    last = min(end, now).astimezone(timezone.utc).date()  # the day that holds the end, or now: not whole
    return [first + timedelta(days=i) for i in range((last - first).days)]


def kept(scope: metrics.Scope) -> bool:
    """Whether tallies serve ``scope`` (they are kept by department, team and owner)."""
    return scope.site_id is None and scope.request_type is None


def refresh(desk: "Desk", spans: Iterable[tuple[datetime, datetime]]) -> int:
    """Count the whole days of ``spans`` that have no current tally; returns
    how many were counted."""
    now = desk.now()
    wanted = sorted({day for start, end in spans for day in whole_days(start, end, now)})
    if not wanted:
        return 0
    current = set(store.run(desk, lambda u: _days(u, wanted[0], wanted[-1]), write=False))
    missing = [day for day in wanted if day not in current]
    for i in range(0, len(missing), DAYS_PER_FILL):
        chunk = missing[i:i + DAYS_PER_FILL]
        store.run(desk, lambda u, chunk=chunk: _fill(u, chunk, now))
    return len(missing)


_DAY, _TALLY = TallyDay.__table__, Tally.__table__
_ADD_TALLY, _ADD_DAY = Insert(_TALLY), Insert(_DAY)


def _days(u: store.Unit, first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` whose tallies are current."""
    return [row[0] for row in u.db.run(sa.select(_DAY.c.day).where(_DAY.c.day >= first, _DAY.c.day <= last)).all()]


def refresh_stale(desk: "Desk", *, within: timedelta = KEEP_CURRENT) -> int:
    """Count again the days of the last ``within`` that a report has counted
    before and that changed since (the sweep runs this, so reports stay
    quick after hand-offs move past measures); returns how many were counted."""
    now = desk.now()
    since = (now - within).date()

    def earliest(u: store.Unit) -> date | None:
        days = [u.db.run(sa.select(sa.func.min(table.c.day)).where(table.c.day >= since)).scalar()
                for table in (_DAY, _TALLY)]
        return min((day for day in days if day is not None), default=None)

    first = store.run(desk, earliest, write=False)
    if first is None:  # no report has counted anything lately: nothing to keep current
        return 0
    return refresh(desk, [(_midnight(first), now)])


def _fill(u: store.Unit, days: list[date], now: datetime) -> None:
    """Count ``days`` into tallies and mark them current: the only writer of ``tally`` and ``tally_day``."""
    if u.db.name == "postgresql":
        # hold off writes to what is counted until the days are marked, so none is missed (the request
        # first: a writer changes it before its events, so taking it first cannot deadlock with one)
        u.db.execute(Sql("LOCK TABLE request, feedback, measure IN SHARE MODE"))
    done = set(_days(u, days[0], days[-1]))
    days = [day for day in days if day not in done]  # another process may have just done them
    if not days:
        return
    u.db.run(sa.delete(_TALLY).where(_TALLY.c.day.in_(days)))
    for day in days:  # a day at a time: SQLite sorts a day's check-ins to group them, and smaller sorts are quicker
        counted = metrics.raw(u, metrics.Scope(), _midnight(day), _midnight(day + timedelta(days=1)), now=now,
                              group=lambda rows: [rows.department, rows.team_id, rows.owner_id])
        u.db.executemany(_ADD_TALLY, [{"day": day, "department": department, "team_id": team_id,
                                       "owner_id": owner_id, "data": data}
                                      for (department, team_id, owner_id), data in counted.items()])
    u.db.executemany(_ADD_DAY, [{"day": day, "filled_at": now} for day in days])


def tallied(u: store.Unit, scope: metrics.Scope, start: datetime, end: datetime, *,
            now: datetime) -> dict[Key, dict[str, Any]]:
    """The raw counts of ``scope`` over ``[start, end)`` per owner, team and
    UTC day: from the current tallies where they cover a whole day, counted
    from the measures for the rest."""
    if start >= end:
        return {}
    days = whole_days(start, end, now) if kept(scope) else []
    current: set[date] = set()
    result: dict[Key, dict[str, Any]] = {}
    if days:
        current = set(_days(u, days[0], days[-1]))
        where = [_TALLY.c[name] == value for name, value in (
            ("department", scope.department), ("team_id", scope.team_id), ("owner_id", scope.owner_id))
            if value is not None]
        rows = u.db.run(sa.select(_TALLY.c.owner_id, _TALLY.c.team_id, _TALLY.c.day, _TALLY.c.data).where(
            _TALLY.c.day >= days[0], _TALLY.c.day <= days[-1], *where)).all()
        for owner_id, team_id, day, data in rows:
            if day in current:
                metrics.add(result, (owner_id, team_id, day), data)
    # what no current tally covers, counted from the measures a day (or part-day) at a time
    covered = current.intersection(days)
    cursor = start
    while cursor < end:
        day = cursor.astimezone(timezone.utc).date()
        after = min(end, _midnight(day + timedelta(days=1)))
        if day not in covered:
            counted = metrics.raw(u, scope, cursor, after, now=now,
                                  group=lambda rows: [rows.owner_id, rows.team_id])
            for (owner_id, team_id), data in counted.items():
                metrics.add(result, (owner_id, team_id, day), data)
        cursor = after
    return result


__all__ = ["tallied", "refresh", "refresh_stale", "whole_days", "kept", "DAYS_PER_FILL"]
