"""Day tallies: what service health counted, kept per UTC day.

A report over a quarter at a million requests would count some 300,000
contacts and resolutions and a million check-ins again each time it is asked
(8.2 s, docs/benchmarks.md). Instead, each finished day is counted once into
``tally`` rows, one per department, team and owner, holding the raw counts,
sums and measured values of :func:`ownit.metrics.raw` — the values too, so
medians stay exact. A report adds up the days' tallies and counts only what no
tally covers: the part-days at the ends of its period, today, and any day
whose tally has gone stale.

A tally is never read stale: database triggers (:mod:`ownit.store.derived`)
delete a day from ``tally_day`` whenever something it counted changes, and
only days listed there with a ``filled_at`` are read. :func:`refresh` counts
the missing days again without holding up anyone who writes: it marks the
days first, counts them in a read transaction, and keeps a day's count only if
its mark survived — no change since the mark, which came before the count. A
report counts the days it needs that have no current tally; the sweep
(:func:`refresh_stale`) counts again the days that reports have counted and
that changed since, so the next report finds them ready.

Tallies are kept by department, team and owner, so they serve reports scoped
to those; a report for a site or a request type counts its measures directly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from . import metrics
from .store import unit as store
from .store.sql import Insert, Sql, Statement, sa, table

if TYPE_CHECKING:
    from .desk import Desk

Key = tuple[Any, Any, date]  # owner id, team id, UTC day
DAYS_PER_FILL = 7  # days marked, counted (holding no lock) and kept together
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
    how many were counted (see :func:`_fill`: no lock is held while counting)."""
    now = desk.now()
    wanted = sorted({day for start, end in spans for day in whole_days(start, end, now)})
    if not wanted:
        return 0
    current = set(store.run(desk, lambda u: _days(u, wanted[0], wanted[-1]), write=False))
    missing = [day for day in wanted if day not in current]
    for i in range(0, len(missing), DAYS_PER_FILL):
        _fill(desk, missing[i:i + DAYS_PER_FILL], now)
    return len(missing)


_DAY, _TALLY = table("tally_day"), table("tally")
_ADD_TALLY, _ADD_DAY = Insert(_TALLY), Insert(_DAY)


_CURRENT = Statement(lambda: sa.update(_DAY).where(_DAY.c.day == sa.bindparam("day"), _DAY.c.filled_at.is_(None))
                     .values(filled_at=sa.bindparam("filled_at")))


def _days(u: store.Unit, first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` whose tallies are current (counted, not just being counted)."""
    return [row[0] for row in u.db.run(sa.select(_DAY.c.day).where(
        _DAY.c.day >= first, _DAY.c.day <= last, _DAY.c.filled_at.is_not(None))).all()]


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


def _fill(desk: "Desk", days: list[date], now: datetime) -> None:
    """Count ``days`` into tallies and mark them current: the only writer of
    ``tally`` and ``tally_day``. Three short steps, and no lock while counting:

    1. mark the days as being counted (a ``tally_day`` row with no
       ``filled_at``) — the triggers delete a day's row whenever anything it
       counted changes, so from here on a change to a day takes its mark away;
    2. count them in a read transaction, which holds no writer up;
    3. in one write, keep the count of each day whose mark is still there (no
       change since the mark, which came before the count) and drop the rest,
       to be counted by a later report.
    """
    def mark(u: store.Unit) -> None:
        if u.db.name == "postgresql":
            # wait for writers already under way (their triggers ran before the mark existed), and keep
            # new ones out only while the marks are written
            u.db.execute(Sql("LOCK TABLE request, feedback, measure IN SHARE MODE"))
        marked = {row[0] for row in u.db.run(sa.select(_DAY.c.day).where(_DAY.c.day.in_(days))).all()}
        u.db.executemany(_ADD_DAY, [{"day": day, "filled_at": None} for day in days if day not in marked])

    def count(u: store.Unit) -> dict[date, Any]:
        return {day: metrics.raw(u, metrics.Scope(), _midnight(day), _midnight(day + timedelta(days=1)), now=now,
                                 group=lambda rows: [rows.department, rows.team_id, rows.owner_id])
                for day in days}  # a day at a time: SQLite sorts a day's check-ins to group them, and smaller sorts are quicker

    def keep(u: store.Unit, counted: dict[date, Any]) -> None:
        for day, tallies in counted.items():
            if u.db.execute(_CURRENT, day=day, filled_at=now).rowcount != 1:
                continue  # changed since the mark, or counted by another report meanwhile
            u.db.run(sa.delete(_TALLY).where(_TALLY.c.day == day))
            u.db.executemany(_ADD_TALLY, [{"day": day, "department": department, "team_id": team_id,
                                           "owner_id": owner_id, "data": data}
                                          for (department, team_id, owner_id), data in tallies.items()])

    store.run(desk, mark)
    counted = store.run(desk, count, write=False)
    store.run(desk, lambda u: keep(u, counted))


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
