"""Statements for the hot paths, run on the database driver's own cursor.

A raise must take well under a millisecond, and SQLAlchemy's execution layer
costs tens of microseconds per statement on top of the driver's own work (a
raise's eight statements: 2,400 transactions/s through Core, 8,900/s through
the bare ``sqlite3`` cursor on this machine; docs/benchmarks.md). So the few
statements on those paths are still written with SQLAlchemy Core against the
models' tables, and compiled by SQLAlchemy for the engine's dialect, but only
once: each run then binds its values with the column types' own converters
(UTC datetimes, JSON) and hands the SQL to the driver. Everything else in
OwnIt uses the ORM.

:func:`unit` is the transaction around them: ``BEGIN IMMEDIATE`` on SQLite as
everywhere in OwnIt, the same retries on a lock or a deadlock, and the same
one-line errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import sqlalchemy as sa

from .db import RETRIES, settle
from .lite import pooled

T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters in order, for a positional paramstyle; None: by name
    order: tuple[str, ...]  # the parameters, in order
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # where in the order a type converts its value
    defaults: dict[str, Any]  # the values written into the statement itself (a LIMIT, a constant)
    results: tuple[Callable[[Any], Any] | None, ...]


class Statement:
    """A Core statement compiled once per dialect and run on a DBAPI cursor.

    ``keys`` names the columns an INSERT or UPDATE sets (each is a parameter
    of the same name); other statements name their parameters with
    ``sa.bindparam``. ``statement`` may also be a function of the dialect,
    for a construct of the dialect's own (``INSERT ... ON CONFLICT``)."""

    def __init__(self, statement: Any, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: sa.Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            statement = self.statement(dialect) if callable(self.statement) else self.statement
            compiled = statement.compile(dialect=dialect, column_keys=self.keys)
            positional = dialect.paramstyle in ("qmark", "numeric", "format")
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                     for bind, name in compiled.bind_names.items()}
            defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()
                        if not bind.required}
            columns = getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", ())
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
            names = tuple(compiled.positiontup) if positional else None
            order = tuple(names or binds)
            found = _Compiled(sql=str(compiled), names=names, order=order,
                              converters=tuple((i, binds[n]) for i, n in enumerate(order) if binds[n] is not None),
                              defaults=defaults, results=results)
            self._by_dialect[dialect.name] = found
        return found


class Cursor:
    """A driver cursor inside one :func:`unit`, speaking :class:`Statement`."""

    def __init__(self, cursor: Any, dialect: sa.Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def _params(self, compiled: _Compiled, values: dict[str, Any]) -> Any:
        defaults = compiled.defaults
        bound = [values[name] if name in values else defaults[name] for name in compiled.order]
        for index, convert in compiled.converters:
            if bound[index] is not None:
                bound[index] = convert(bound[index])
        if compiled.names is not None:
            return tuple(bound)
        return dict(zip(compiled.order, bound, strict=True))

    def execute(self, statement: Statement, **values: Any) -> "Cursor":
        compiled = statement.compiled(self.dialect)
        try:
            self.cursor.execute(compiled.sql, self._params(compiled, values))
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(exc, self.dialect) from exc
        self._results = compiled.results
        return self

    def executemany(self, statement: Statement, rows: Sequence[dict[str, Any]]) -> None:
        compiled = statement.compiled(self.dialect)
        try:
            self.cursor.executemany(compiled.sql, [self._params(compiled, row) for row in rows])
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(exc, self.dialect) from exc

    @property
    def rowcount(self) -> int:
        """The rows the last INSERT, UPDATE or DELETE touched."""
        return self.cursor.rowcount

    def _row(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value if convert is None or value is None else convert(value)
                     for convert, value in zip(self._results, row, strict=True))

    def all(self) -> list[tuple[Any, ...]]:
        return [self._row(row) for row in self.cursor.fetchall()]

    def first(self) -> tuple[Any, ...] | None:
        row = self.cursor.fetchone()
        if row is not None:
            self.cursor.fetchall()  # a statement left unfinished would hold SQLite's commit
        return None if row is None else self._row(row)

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]


def _wrapped(exc: Exception, dialect: sa.Dialect) -> sa.exc.DBAPIError:
    """A driver's error as SQLAlchemy's, which OwnIt knows how to explain and retry."""
    return sa.exc.DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect)


def unit(engine: sa.Engine, work: Callable[[Cursor], T], *, write: bool = True) -> T:
    """``work`` in one transaction on a pooled connection's driver cursor:
    commit on success, roll back on any error; a lock timeout or deadlock
    retries the whole unit with backoff, as :func:`ownit.db.run_in_transaction`.
    A unit that only reads (``write=False``) does not take SQLite's write lock."""
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    for attempt in range(RETRIES):
        connection = pooled(engine)
        try:
            cursor = connection.cursor()
            if dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = work(Cursor(cursor, dialect))
            connection.commit()
            return result
        except (driver_error, sa.exc.DBAPIError) as exc:
            connection.rollback()
            settle(exc if isinstance(exc, sa.exc.DBAPIError) else _wrapped(exc, dialect), attempt, engine.url)
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
    raise AssertionError("unreachable")
