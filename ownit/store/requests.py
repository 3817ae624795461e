"""The request repository: the only code that writes ``request`` (and the
counter its refs come from).

A request is a :class:`RequestRow`: a plain object with one attribute per
column of the table (``ownit.models.Request`` is the one declaration), made
with every column's default by :func:`new`, or loaded. :func:`insert` stores
every column; :func:`update` stores the columns that changed since the row was
loaded, bumps its version and checks the version it was loaded at, so that
two agents acting on one request at once can never both win: the second gets
:class:`~ownit.errors.Conflict`. The statements are compiled once per dialect
and run on the unit of work's driver cursor (:mod:`ownit.store.sql`).

Adding a column is adding a field to ``ownit.models.Request`` (with its default
there) and a migration; this module picks it up.
"""

from __future__ import annotations

import copy
import operator
from typing import Any, Iterable

from .. import promises
from ..errors import Conflict
from .sql import Insert, Statement, VersionedUpdate, dialect_insert, sa, shape, table
from .unit import Unit

TABLE = table("request")
COLUMNS: tuple[str, ...] = shape("request").columns
_JSON = shape("request").json
_VALUES = operator.attrgetter(*COLUMNS)  # a row's values, in the table's order


_FILLED = shape("request").defaults


class RequestRow:
    """One request. Assign to its attributes, then :func:`update`."""

    __slots__ = (*COLUMNS, "_seen")

    def __repr__(self) -> str:
        return f"RequestRow(id={self.id!r}, ref={self.ref!r}, status={self.status!r}, version={self.version!r})"

    def _loaded(self) -> None:
        """Remember the stored values, to know later what changed (a JSON
        column's value copied, so a change made in place shows too)."""
        seen = self._seen = dict(zip(COLUMNS, _VALUES(self)))
        for name in _JSON:
            seen[name] = copy.copy(seen[name])


def new(**values: Any) -> RequestRow:
    """A request not stored yet: ``values``, and every other column's default
    (``None`` for a column without one; the database refuses a required one left out)."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise TypeError(f"request has no column {sorted(unknown)[0]!r}")
    row = RequestRow()
    for name in COLUMNS:
        setattr(row, name, values[name] if name in values else _FILLED[name]() if name in _FILLED else None)
    row.version = 1
    return row


def _from(u: Unit, values: tuple[Any, ...]) -> RequestRow:
    row = RequestRow()
    for name, value in zip(COLUMNS, values, strict=True):
        setattr(row, name, value)
    row._loaded()
    u.seen[row.id] = row
    return row


_INSERT = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
_INSERTED = operator.attrgetter(*_INSERT.keys)
_BY_REF = Statement(lambda: sa.select(*TABLE.columns).where(TABLE.c.ref == sa.bindparam("ref")))
_BY_ID = Statement(lambda: sa.select(*TABLE.columns).where(TABLE.c.id == sa.bindparam("id")))
_UPDATE = VersionedUpdate(TABLE)  # the columns that changed, the version checked


def insert(u: Unit, row: RequestRow) -> None:
    """Store a new request; ``row.id`` is set."""
    row.id = u.db.execute(_INSERT, **dict(zip(_INSERT.keys, _INSERTED(row)))).scalar()
    row._loaded()
    u.seen[row.id] = row


def by_ref(u: Unit, ref: str) -> RequestRow | None:
    found = u.db.execute(_BY_REF, ref=ref).first()
    return None if found is None else _from(u, found)


def get(u: Unit, request_id: int) -> RequestRow | None:
    """The request (the one this unit already holds, if it read it before)."""
    if request_id in u.seen:
        return u.seen[request_id]
    found = u.db.execute(_BY_ID, id=request_id).first()
    return None if found is None else _from(u, found)


def many(u: Unit, ids: Iterable[int]) -> dict[int, RequestRow]:
    """The requests of ``ids`` that exist, by id (one read for a sweep's batch)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = u.db.run(sa.select(*TABLE.columns).where(TABLE.c.id.in_(ids))).all()
    return {row[0]: _from(u, row) for row in rows}


def changed(row: RequestRow) -> tuple[str, ...]:
    """The columns assigned a different value since the row was loaded."""
    seen = row._seen
    return tuple(name for name, value in zip(COLUMNS, _VALUES(row)) if value != seen[name])


def update(u: Unit, row: RequestRow) -> None:
    """Store what changed and move the version on, even when nothing else
    changed (a concurrent action on the same request is always caught);
    :class:`Conflict` if someone else changed the request since it was loaded."""
    seen_version = row._seen["version"]
    row.version = seen_version + 1
    columns = changed(row)
    if u.db.update(_UPDATE, columns, row_id=row.id, seen=seen_version,
                   **{name: getattr(row, name) for name in columns}).rowcount != 1:
        row.version = seen_version
        raise Conflict("this request was changed by someone else at the same moment; reload it and try again")
    row._loaded()


def acted_on(u: Unit, row: RequestRow) -> None:
    """After an action on the request: its next due time from its promises
    now, looked at afresh by the next sweep, stored (:func:`update`)."""
    row.next_due = promises.next_due_of(row)
    row.sweep_after = None  # its promises may have moved: the next sweep looks afresh
    row.updated_at = u.now
    update(u, row)


def note_swept(u: Unit, row: RequestRow) -> bool:
    """Store ``row.sweep_after`` (until when the sweep has said all it owes)
    without moving the version: it is no change to the request. ``False``
    when someone acted on the request meanwhile, which resets it anyway."""
    columns = changed(row)
    if not columns:
        return True  # another sweep noted the same already
    if columns != ("sweep_after",):
        raise ValueError(f"note_swept stores sweep_after only, not {columns}")
    if u.db.update(_UPDATE, ("sweep_after",), row_id=row.id, seen=row._seen["version"],
                   sweep_after=row.sweep_after).rowcount != 1:
        return False
    row._loaded()
    return True


_COUNTER = table("ref_counter")
FIRST_REF = 1001  # a department's first request: FAC-1001
# the department's counter moved on by one, made at its first ref for its first request: one statement
_NEXT_REF = Statement(lambda dialect: dialect_insert(dialect)(_COUNTER.table)
                      .values(prefix=sa.bindparam("ref_prefix"), value=sa.bindparam("first"))
                      .on_conflict_do_update(index_elements=[_COUNTER.c.prefix], set_={"value": _COUNTER.c.value + 1})
                      .returning(_COUNTER.c.value))


def next_ref(u: Unit, prefix: str) -> str:
    """The next ref of a department (``FAC-1001``, ``FAC-1002`` ...), counted
    in ``ref_counter``, so no two requests share one.

    On PostgreSQL the number is taken in a transaction of its own, committed
    before the raise goes on (:meth:`Unit.apart`): bumped inside the raise, the
    department's counter row stayed locked until the raise committed, and the
    department's raises ran one at a time whatever the number of processes. So,
    as with a sequence, a raise that fails after taking its number leaves a gap
    in the refs (FAC-1001, FAC-1003); none is ever given twice. On SQLite,
    whose writers take turns anyway, it is counted in the raise's own unit."""
    # Not durable on its own (synchronous_commit off): no request carries the number until the raise
    # commits, durably, later; PostgreSQL writes its log in order, so that flush takes the counter's
    # commit to disk with it. A crash before it loses the bump and the raise alike, and the number is
    # given again, to no one else. It saves a raise a second wait for the disk: the counter's commit
    # alone took 2.0-2.3 ms durable, 0.4-1.0 ms without, on the benchmarks' machine (2026-12-04).
    return f"{prefix}-{u.apart(_NEXT_REF, durable=False, ref_prefix=prefix, first=FIRST_REF)}"
