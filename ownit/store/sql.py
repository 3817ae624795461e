"""Statements, run on the database driver's own cursor.

SQLAlchemy's execution layer costs tens of microseconds a statement on top of
the driver's own work (a raise's eight statements: 2,400 transactions/s
through Core, 8,900/s on the bare ``sqlite3`` cursor on this machine;
docs/benchmarks.md). So OwnIt writes its statements with SQLAlchemy Core
against the models' tables (:class:`Statement`), lets SQLAlchemy compile each
once per dialect, and runs the SQL on the driver's cursor, binding values with
the column types' own converters (UTC datetimes, JSON).

The few reads the command line must answer without importing SQLAlchemy at
all (a quarter of a second) are plain SQL (:class:`Sql`): ``:name``
parameters, datetimes and JSON converted here for either database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

_SQLITE_WHEN = "%Y-%m-%d %H:%M:%S.%f"  # how OwnIt's UTC datetime columns are stored on SQLite
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters in order, for a positional paramstyle; None: by name
    order: tuple[str, ...]  # the parameters, in order
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # where in the order a type converts its value
    defaults: dict[str, Any]  # the values written into the statement itself (a LIMIT, a constant)
    types: tuple[Any, ...]  # the result columns' types, for the dialect
    results: list[Any] = field(default_factory=list)  # their converters, worked out at the first run


def _converters(types: tuple[Any, ...], dialect: Any, description: Any) -> tuple[Callable[[Any], Any] | None, ...]:
    """The result columns' converters (a driver's numeric type decides PostgreSQL's, so the cursor is asked)."""
    codes = [column[1] for column in description or ()] or [None] * len(types)
    return tuple(kind.result_processor(dialect, code) for kind, code in zip(types, codes, strict=True))


_SHAPES: dict[tuple[str, Any], tuple[Any, dict[str, Any], tuple[Any, ...]]] = {}  # Cursor.run's compiled forms


class Statement:
    """A Core statement compiled once per dialect and run on a driver cursor.

    ``keys`` names the columns an INSERT or UPDATE sets (each is a parameter
    of the same name); other statements name their parameters with
    ``sa.bindparam``. ``statement`` may also be a function of the dialect,
    for a construct of the dialect's own (``INSERT ... ON CONFLICT``)."""

    def __init__(self, statement: Any, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Any) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = compile_for(
                self.statement(dialect) if callable(self.statement) else self.statement, dialect, self.keys)
        return found


def compile_for(statement: Any, dialect: Any, keys: Sequence[str] | None = None) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    positional = dialect.paramstyle in ("qmark", "numeric", "format")
    binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
             for bind, name in compiled.bind_names.items()}
    defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
    columns = getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", ())
    types = tuple(column.type.dialect_impl(dialect) for column in columns)
    names = tuple(compiled.positiontup) if positional else None
    order = tuple(names or binds)
    return _Compiled(sql=str(compiled), names=names, order=order,
                     converters=tuple((i, binds[n]) for i, n in enumerate(order) if binds[n] is not None),
                     defaults=defaults, types=types)


class Insert(Statement):
    """An INSERT of a row of ``table``: every column but an autoincrement key,
    those not given taking the models' defaults (:func:`defaults`), so a column
    added with a default is stored by every writer. A column whose default only
    the database knows is left to it. ``build`` makes a dialect's own form of
    the statement (``ON CONFLICT DO NOTHING``, ``RETURNING``) from the plain one."""

    def __init__(self, table: Any, build: Callable[[Any, Any], Any] | None = None) -> None:
        self.filled = defaults(table)
        keys = [c.key for c in table.columns if c is not table.autoincrement_column
                and (c.key in self.filled or c.server_default is None)]
        plain = table.insert()
        super().__init__((lambda dialect: build(plain, dialect)) if build else plain, keys)

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every other column's default (``None`` where it has none)."""
        if len(values) == len(self.keys):  # every column given (a name given wrongly fails in _params)
            return values
        filled = self.filled
        return {name: values[name] if name in values else filled[name]() if name in filled else None
                for name in self.keys}


@dataclass(frozen=True)
class Sql:
    """Plain SQL with ``:name`` parameters, for the reads that must not load
    SQLAlchemy. Aware datetimes bound as each database stores them; the
    result columns named in ``when`` come back as aware UTC datetimes, those
    in ``json`` as Python values."""

    text: str
    when: tuple[str, ...] = ()
    json: tuple[str, ...] = ()


class Cursor:
    """A driver cursor inside one unit of work, speaking :class:`Statement` and :class:`Sql`.

    ``dialect`` is SQLAlchemy's (for :class:`Statement`), or only the
    dialect's name on a connection opened without SQLAlchemy."""

    def __init__(self, cursor: Any, dialect: Any, driver_error: type[BaseException]) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self.name = dialect if isinstance(dialect, str) else dialect.name
        self.driver_error = driver_error
        self._results: tuple[Callable[[Any], Any] | None, ...] = ()
        self._names: list[str] = []

    # --- running ---------------------------------------------------------------------------------

    def execute(self, statement: Statement | Sql, **values: Any) -> "Cursor":
        if isinstance(statement, Sql):
            return self._execute_sql(statement, values)
        compiled = statement.compiled(self.dialect)
        if isinstance(statement, Insert):
            values = statement.row(values)
        self._run(compiled.sql, self._params(compiled, values))
        if compiled.types and not compiled.results:
            compiled.results.append(_converters(compiled.types, self.dialect, self.cursor.description))
        self._results = compiled.results[0] if compiled.types else ()
        return self

    def run(self, statement: Any) -> "Cursor":
        """An ad-hoc Core statement (a report's query built for its scope, a
        batch's ``IN``): compiled once per shape and dialect, as SQLAlchemy
        caches its own (by the statement's cache key), and run with its values."""
        dialect = self.dialect
        key = statement._generate_cache_key()
        found = _SHAPES.get((dialect.name, key.key)) if key is not None else None
        if found is None:
            compiled = statement.compile(dialect=dialect, cache_key=key)
            if compiled.post_compile_params or compiled.literal_execute_params or key is None:
                # an IN of values, or a value written into the SQL: the SQL is this statement's own
                compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
                key = None
            found = (compiled, {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                                for bind, name in compiled.bind_names.items()},
                     tuple(c.type.dialect_impl(dialect) for c in
                           getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", ())))
            if key is not None:
                _SHAPES[(dialect.name, key.key)] = found
        compiled, processors, types = found
        values = compiled.construct_params(extracted_parameters=key.bindparams) if key is not None \
            else compiled.construct_params()
        for name, value in values.items():
            # an expanded IN's values are named after its parameter: ids_1_1, ids_1_2 ...
            convert = processors[name] if name in processors else processors.get(name.rsplit("_", 1)[0])
            if convert is not None and value is not None:
                values[name] = convert(value)
        positional = dialect.paramstyle in ("qmark", "numeric", "format")
        self._run(compiled.string, tuple(values[n] for n in compiled.positiontup) if positional else values)
        self._results = _converters(types, dialect, self.cursor.description) if types else ()
        return self

    def executemany(self, statement: Statement, rows: Sequence[dict[str, Any]]) -> None:
        compiled = statement.compiled(self.dialect)
        if isinstance(statement, Insert):
            rows = [statement.row(row) for row in rows]
        try:
            self.cursor.executemany(compiled.sql, [self._params(compiled, row) for row in rows])
        except self.driver_error as exc:
            raise wrapped(exc, self.dialect) from exc

    def _run(self, sql: str, params: Any) -> None:
        try:
            self.cursor.execute(sql, params)
        except self.driver_error as exc:
            raise wrapped(exc, self.dialect) from exc

    def _params(self, compiled: _Compiled, values: dict[str, Any]) -> Any:
        defaults = compiled.defaults
        bound = [values[name] if name in values else defaults[name] for name in compiled.order]
        for index, convert in compiled.converters:
            if bound[index] is not None:
                bound[index] = convert(bound[index])
        if compiled.names is not None:
            return tuple(bound)
        return dict(zip(compiled.order, bound, strict=True))

    def _execute_sql(self, statement: Sql, values: dict[str, Any]) -> "Cursor":
        sql = _NAMED.sub(r"%(\1)s", statement.text) if self.name == "postgresql" else statement.text
        if self.name == "sqlite":
            values = {k: v.astimezone(timezone.utc).strftime(_SQLITE_WHEN) if isinstance(v, datetime) else v
                      for k, v in values.items()}
        self._run(sql, values)
        names = [column[0] for column in self.cursor.description or ()]
        self._names = names
        self._results = tuple(aware if name in statement.when else _json if name in statement.json else None
                              for name in names)
        return self

    # --- results -----------------------------------------------------------------------------------

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

    def records(self) -> list[SimpleNamespace]:
        """The rows of an :class:`Sql` read, each with its columns as attributes."""
        names = self._names
        return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in self.all()]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def aware(value: Any) -> datetime | None:
    """A stored datetime (text on SQLite) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def listed(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``:name0, :name1, …`` and their values, for ``IN (...)`` in :class:`Sql`."""
    values = list(values)
    return ", ".join(f":{name}{i}" for i in range(len(values))), {f"{name}{i}": v for i, v in enumerate(values)}


def defaults(table: Any) -> dict[str, Callable[[], Any]]:
    """Each column's default as the models declare it (``ownit.models``: the one
    declaration of the tables), as a function giving a fresh value; columns
    whose default only the database knows (a ``server_default``) are not here."""
    found: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default = column.default
        if default is None:
            continue
        if default.is_callable:
            found[column.key] = lambda arg=default.arg: arg(None)  # SQLAlchemy's wrapper takes a context
        else:
            found[column.key] = lambda value=default.arg: value
    return found


def dialect_insert(dialect: Any) -> Any:
    """The dialect's own INSERT, which knows ``ON CONFLICT DO NOTHING`` on both databases."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert


def wrapped(exc: BaseException, dialect: Any) -> Exception:
    """A driver's error as SQLAlchemy's, which OwnIt knows how to explain and retry."""
    import sqlalchemy as sa

    error_class = getattr(getattr(dialect, "loaded_dbapi", None), "Error", Exception)
    return sa.exc.DBAPIError.instance(None, None, exc, error_class, dialect=None if isinstance(dialect, str)
                                      else dialect)
