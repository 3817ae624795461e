"""Statements, run on the database driver's own cursor, without SQLAlchemy.

SQLAlchemy's execution layer costs tens of microseconds a statement on top of
the driver's own work (a raise's eight statements: 2,400 transactions/s
through Core, 8,900/s on the bare ``sqlite3`` cursor on this machine;
docs/benchmarks.md), and importing it with SQLModel and the models costs a
command a third of a second. So OwnIt writes its statements with SQLAlchemy
Core against the models' tables, and runs them as SQL on the driver's cursor:

- :class:`Statement` takes a function that builds the Core statement. Each
  module-level statement's SQL for each database, its parameters and the kind
  of each value (:data:`KINDS`) are kept with the package in
  ``compiled.json``, generated from those functions
  (``python -m ownit.store.snapshot``; a test checks it is current), so a
  command runs them without importing SQLAlchemy. A statement the file does
  not hold, or whose function changed since, is compiled with SQLAlchemy once
  per process.
- :func:`shape` is a table's columns, its JSON columns and its defaults, kept
  the same way from ``ownit.models`` (the one declaration of the tables).
- :data:`sa` and :func:`table` load SQLAlchemy and the models on first use
  only, so a module can declare its statements at the top and cost nothing
  until one is compiled.
- :class:`Sql` is plain SQL with ``:name`` parameters, for reads no Core
  construct expresses better.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import sys
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import import_module
from pathlib import Path
from types import CodeType, MethodType, SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

from ..lazy import Lazy

_SQLITE_WHEN = "%Y-%m-%d %H:%M:%S.%f"  # how OwnIt's UTC datetime columns are stored on SQLite
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
SNAPSHOT = Path(__file__).with_name("compiled.json")


sa = Lazy("sqlalchemy")
models = Lazy("ownit.models")


class LazyTable:
    """A table of ``ownit.models`` by name, its SQLAlchemy ``Table`` loaded on
    first use: ``T.c.id``, ``T.columns``, ``T.update()`` are the table's, and
    SQLAlchemy takes ``T`` wherever it takes the table (a FROM, a JOIN);
    ``T.table`` is the table itself."""

    is_clause_element = False  # SQLAlchemy asks __clause_element__ for the table

    def __init__(self, name: str) -> None:
        self.name = name

    def __clause_element__(self) -> Any:
        return self.table

    @property
    def table(self) -> Any:
        return import_module("ownit.models").SQLModel.metadata.tables[self.name]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.table, attr)


def table(name: str) -> LazyTable:
    return LazyTable(name)


# --- value kinds: how a value is bound and read back, by database ---------------------------------

def _when_bind_sqlite(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use an aware one")
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _when_bind_postgresql(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use an aware one")
    return value.astimezone(timezone.utc)


def aware(value: Any) -> datetime | None:
    """A stored datetime (text on SQLite) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _bool_bind(value: Any) -> Any:
    if value not in (True, False):
        raise TypeError(f"not a boolean value: {value!r}")
    return bool(value)


def _date_read(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _float_read(value: Any) -> Any:
    return value if isinstance(value, float) else float(value)


# kind -> {database: (bind, read)}: each None where the driver's own value is right. ownit.models' column
# types convert with these same functions, so a value is stored alike with or without SQLAlchemy.
KINDS: dict[str, dict[str, tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]]] = {
    "when": {"sqlite": (_when_bind_sqlite, aware), "postgresql": (_when_bind_postgresql, aware)},
    "json": {"sqlite": (json.dumps, _json), "postgresql": (json.dumps, None)},
    "bool": {"sqlite": (int, bool), "postgresql": (_bool_bind, None)},
    "date": {"sqlite": (date.isoformat, _date_read), "postgresql": (None, None)},
    "float": {"sqlite": (float, None), "postgresql": (None, _float_read)},
}


def kind_of(sa_type: Any) -> str | None:
    """The kind of a column type or expression type (``None``: the driver's value as it is)."""
    types = import_module("sqlalchemy").types
    if isinstance(sa_type, models.UTCDateTime):
        return "when"
    if isinstance(sa_type, types.TypeDecorator):  # SQLModel's AutoString: its own type's kind
        return kind_of(sa_type.impl)
    if isinstance(sa_type, types.JSON):
        return "json"
    if isinstance(sa_type, types.Boolean):
        return "bool"
    if isinstance(sa_type, types.Date):
        return "date"
    if isinstance(sa_type, (types.Float, types.Numeric)):
        return "float"
    if isinstance(sa_type, (types.Integer, types.String, types.NullType)):
        return None
    raise TypeError(f"OwnIt's statements do not know the column type {sa_type!r}: give it a kind in "
                    "ownit.store.sql.kind_of and KINDS")


@functools.cache
def sa_dialect(name: str) -> Any:
    """SQLAlchemy's dialect for ``name``, to compile with (no connection)."""
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite as dialect
    else:
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg as dialect
    return dialect(dbapi=dialect.import_dbapi())


# --- what is kept with the package --------------------------------------------------------------

FRESH = False  # True: nothing is read from the kept file (ownit.store.snapshot, writing it)


@functools.cache
def _kept() -> dict[str, Any]:
    """What ``compiled.json`` keeps. Where the models are loaded already (the UI, a test, a tool), the
    tables are checked against them: a table changed since the file was written makes the whole file
    stale, and every statement is compiled from the code instead."""
    empty: dict[str, Any] = {"tables": {}, "statements": {}}
    if FRESH:
        return empty
    try:
        kept = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    loaded = sys.modules.get("ownit.models")
    if loaded is not None and kept["tables"] != {name: shape_of(t) for name, t in
                                                  loaded.SQLModel.metadata.tables.items()}:
        return empty
    return kept


@dataclass(frozen=True)
class Shape:
    """A table as OwnIt writes it: its columns in order, those holding JSON, the
    columns an INSERT sets (all but an autoincrement key and those only the
    database fills), and each column's default as a function giving a fresh value."""

    name: str
    columns: tuple[str, ...]
    json: tuple[str, ...]
    inserted: tuple[str, ...]
    defaults: dict[str, Callable[[], Any]]

    @classmethod
    def of(cls, kept: dict[str, Any], name: str) -> "Shape":
        made = {column: (functools.partial(copy.deepcopy, value) if isinstance(value, (list, dict))
                         else functools.partial(_same, value))
                for column, value in kept["defaults"].items()}
        return cls(name, tuple(kept["columns"]), tuple(kept["json"]), tuple(kept["inserted"]), made)


def _same(value: Any) -> Any:
    return value


@functools.cache
def shape(name: str) -> Shape:
    """The table ``name`` of ``ownit.models``, from what is kept (or read from the models)."""
    kept = _kept()["tables"].get(name)
    return Shape.of(kept if kept is not None else shape_of(LazyTable(name).table), name)


def shape_of(t: Any) -> dict[str, Any]:
    """What :func:`shape` keeps of a SQLAlchemy table."""
    found: dict[str, Any] = {}
    for column in t.columns:
        default = column.default
        if default is None:
            continue
        value = default.arg(None) if default.is_callable else default.arg  # SQLAlchemy's wrapper takes a context
        if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            raise TypeError(f"{t.name}.{column.key}: a default OwnIt cannot keep ({value!r})")
        found[column.key] = value
    return {"columns": [c.key for c in t.columns],
            "json": [c.key for c in t.columns if kind_of(c.type) == "json"],
            "inserted": [c.key for c in t.columns if c is not t.autoincrement_column
                         and (c.key in found or c.server_default is None)],
            "defaults": found}


def fingerprint(build: Callable[..., Any]) -> str:
    """What a statement's function says: the names and constants of its code
    (and of the code inside it), so that changing a statement shows."""
    parts: list[Any] = []

    def walk(code: CodeType) -> None:
        parts.extend((code.co_names, code.co_varnames, code.co_freevars))
        for constant in code.co_consts:
            if isinstance(constant, CodeType):
                walk(constant)
            else:
                parts.append(constant)

    walk(build.__code__)
    return f"{zlib.crc32(repr(parts).encode()):08x}"


# --- statements ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters in order, for a positional paramstyle; None: by name
    order: tuple[str, ...]  # the parameters, in order
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # where in the order a kind converts its value
    defaults: dict[str, Any]  # the values written into the statement itself (a LIMIT, a constant)
    results: tuple[Callable[[Any], Any] | None, ...]  # how each result column is read back; () when none converts

    @classmethod
    def of(cls, kept: dict[str, Any], dialect: str) -> "_Compiled":
        order = tuple(kept["order"])
        binds = kept["binds"]
        converters = tuple((i, KINDS[binds[name]][dialect][0]) for i, name in enumerate(order)
                           if binds.get(name) and KINDS[binds[name]][dialect][0] is not None)
        results = tuple(KINDS[kind][dialect][1] if kind else None for kind in kept["results"])
        return cls(sql=kept["sql"], names=tuple(kept["names"]) if kept["names"] is not None else None, order=order,
                   converters=converters, defaults=kept["defaults"],
                   results=results if any(results) else ())


def compile_for(statement: Any, dialect: str, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """A Core statement compiled for ``dialect``: its SQL, its parameters and their kinds (what is kept)."""
    compiled = statement.compile(dialect=sa_dialect(dialect), column_keys=keys)
    names = list(compiled.positiontup) if compiled.positiontup is not None else None
    defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
    for name, value in defaults.items():
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise TypeError(f"a value written into a statement must be plain, not {value!r}; make it a parameter")
    columns = getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", ())
    return {"sql": str(compiled), "names": names, "order": names or list(compiled.bind_names.values()),
            "binds": {name: kind_of(bind.type) for bind, name in compiled.bind_names.items() if kind_of(bind.type)},
            "defaults": defaults, "results": [kind_of(column.type) for column in columns]}


_ALL: list["Statement"] = []  # every statement made at a module's top, to keep (ownit.store.snapshot)


class Statement:
    """A statement compiled once per database and run on a driver cursor.

    ``build`` makes the Core statement: with no argument, or with the
    database's name for a construct of its own (``INSERT ... ON CONFLICT``).
    ``keys`` names the columns an INSERT or UPDATE sets (each is a parameter
    of the same name); other statements name their parameters with
    ``sa.bindparam``. A statement kept in ``compiled.json`` (one held by a
    module's name) runs from there."""

    def __init__(self, build: Callable[..., Any], keys: Sequence[str] | None = None, *,
                 module: str | None = None) -> None:
        self.build = build
        self.keys = list(keys) if keys is not None else None
        self.module = module or sys._getframe(1).f_globals.get("__name__", "")
        self._by_dialect: dict[str, _Compiled] = {}
        _ALL.append(self)

    @functools.cached_property
    def name(self) -> str | None:
        """``module.NAME``: the module's name that holds this statement, if one does."""
        module = sys.modules.get(self.module)
        for key, value in vars(module or object()).items():
            if value is self:
                return f"{self.module}.{key}"
            if isinstance(value, VersionedUpdate) and value.all is self:
                return f"{self.module}.{key}.all"
        return None

    def fingerprint(self) -> str:
        return fingerprint(self.build)

    def core(self, dialect: str) -> Any:
        """The Core statement (SQLAlchemy is imported here)."""
        build = self.build
        arguments = build.__code__.co_argcount - isinstance(build, MethodType)
        return build(dialect) if arguments else build()

    def kept(self, dialect: str) -> dict[str, Any]:
        """What ``compiled.json`` keeps of this statement for ``dialect``."""
        return {**compile_for(self.core(dialect), dialect, self.keys), "keys": self.keys,
                "fingerprint": self.fingerprint()}

    def compiled(self, dialect: str) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is None:
            kept = _kept()["statements"].get(self.name or "", {}).get(dialect)
            if kept is None or kept["keys"] != self.keys or kept["fingerprint"] != self.fingerprint():
                kept = self.kept(dialect)  # not kept, or changed since: compiled with SQLAlchemy
            found = self._by_dialect[dialect] = _Compiled.of(kept, dialect)
        return found


class Insert(Statement):
    """An INSERT of a row of ``table``: every column but an autoincrement key,
    those not given taking the models' defaults (:func:`shape`), so a column
    added with a default is stored by every writer. A column whose default only
    the database knows is left to it. ``build`` makes a dialect's own form of
    the statement (``ON CONFLICT DO NOTHING``, ``RETURNING``) from the plain
    one and the database's name."""

    def __init__(self, table: LazyTable, build: Callable[[Any, str], Any] | None = None) -> None:
        self.table = table
        self.shape = shape(table.name)
        self.filled = self.shape.defaults
        self.insert_build = build
        super().__init__(self._core, self.shape.inserted, module=sys._getframe(1).f_globals.get("__name__", ""))

    def _core(self, dialect: str) -> Any:
        plain = self.table.insert()
        return self.insert_build(plain, dialect) if self.insert_build else plain

    def fingerprint(self) -> str:
        return fingerprint(self.insert_build) if self.insert_build else f"insert {self.table.name}"

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every other column's default (``None`` where it has none)."""
        if len(values) == len(self.keys):  # every column given (a name given wrongly fails in _params)
            return values
        filled = self.filled
        return {name: values[name] if name in values else filled[name]() if name in filled else None
                for name in self.keys}


class VersionedUpdate:
    """``UPDATE table SET <the columns that changed> WHERE id = :row_id AND
    version = :seen``, for the tables whose rows carry a version
    (:mod:`ownit.store.requests`, :mod:`ownit.store.tasks`): one statement per
    set of changed columns, put together from the one that sets them all."""

    def __init__(self, table: LazyTable) -> None:
        self.table = table
        self.all = Statement(self._core, shape(table.name).columns, module=sys._getframe(1).f_globals["__name__"])
        self._by_columns: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def _core(self) -> Any:
        t = self.table
        return t.update().where(t.c.id == sa.bindparam("row_id"), t.c.version == sa.bindparam("seen"))

    def compiled(self, dialect: str, columns: tuple[str, ...]) -> _Compiled:
        found = self._by_columns.get((dialect, columns))
        if found is None:
            found = self._by_columns[(dialect, columns)] = self._for(dialect, columns)
        return found

    def _for(self, dialect: str, columns: tuple[str, ...]) -> _Compiled:
        whole = self.all.compiled(dialect)
        head, _, rest = whole.sql.partition(" SET ")
        sets, _, where = rest.partition(" WHERE ")
        every = self.all.keys
        fragments = dict(zip(every, sets.split(", "), strict=True))
        wanted = [name for name in every if name in columns]  # the table's order, as SQLAlchemy writes it
        if len(wanted) != len(columns):
            raise TypeError(f"{self.table.name} has no column {sorted(set(columns) - set(wanted))[0]!r}")
        sql = f"{head} SET {', '.join(fragments[name] for name in wanted)} WHERE {where}"
        order = tuple(wanted) + tuple(name for name in whole.order if name not in every)
        position = {name: i for i, name in enumerate(whole.order)}
        converters = dict(whole.converters)
        return _Compiled(sql=sql, names=order if whole.names is not None else None, order=order,
                         converters=tuple((i, converters[position[name]]) for i, name in enumerate(order)
                                          if position[name] in converters),
                         defaults={}, results=())


@dataclass(frozen=True)
class Sql:
    """Plain SQL with ``:name`` parameters. Aware datetimes bound as each
    database stores them; the result columns named in ``when`` come back as
    aware UTC datetimes, those in ``json`` as Python values."""

    text: str
    when: tuple[str, ...] = ()
    json: tuple[str, ...] = ()


_SHAPES: dict[tuple[str, Any], tuple[Any, dict[str, Any], tuple[Any, ...]]] = {}  # Cursor.run's compiled forms


class Cursor:
    """A driver cursor inside one unit of work, speaking :class:`Statement`,
    :class:`Sql` and ad-hoc Core statements (:meth:`run`). ``dialect`` is the
    database's name: ``sqlite`` or ``postgresql``."""

    def __init__(self, cursor: Any, dialect: str, driver_error: type[BaseException]) -> None:
        self.cursor = cursor
        self.name = self.dialect = dialect
        self.driver_error = driver_error
        self._results: tuple[Callable[[Any], Any] | None, ...] | None = ()  # None: read from the columns
        self._names: list[str] = []
        self._described: tuple[Any, ...] | Sql = ()  # what the columns are read for (_columns)

    # --- running ---------------------------------------------------------------------------------

    def execute(self, statement: Statement | Sql, **values: Any) -> "Cursor":
        if isinstance(statement, Sql):
            return self._execute_sql(statement, values)
        compiled = statement.compiled(self.name)
        if isinstance(statement, Insert):
            values = statement.row(values)
        self._run(compiled.sql, self._params(compiled, values))
        self._results = compiled.results
        return self

    def update(self, statement: VersionedUpdate, columns: tuple[str, ...], **values: Any) -> "Cursor":
        """A row's ``columns`` written (their values in ``values``, with ``row_id`` and ``seen``)."""
        compiled = statement.compiled(self.name, columns)
        self._run(compiled.sql, self._params(compiled, values))
        self._results = ()
        return self

    def run(self, statement: Any) -> "Cursor":
        """An ad-hoc Core statement (a report's query built for its scope, a
        batch's ``IN``): compiled once per shape and dialect, as SQLAlchemy
        caches its own (by the statement's cache key), and run with its values."""
        dialect = sa_dialect(self.name)
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
        self._results, self._described = (None, types) if types else ((), ())
        return self

    def executemany(self, statement: Statement, rows: Sequence[dict[str, Any]]) -> None:
        compiled = statement.compiled(self.name)
        if isinstance(statement, Insert):
            rows = [statement.row(row) for row in rows]
        self._run_many(compiled.sql, [self._params(compiled, row) for row in rows])

    def flush(self) -> None:
        """Send what is queued before the commit: nothing here, each statement went when it was run
        (:class:`Batched` queues them)."""

    def _run(self, sql: str, params: Any) -> None:
        try:
            self.cursor.execute(sql, params)
        except self.driver_error as exc:
            raise wrapped(exc, self.name) from exc

    def _run_many(self, sql: str, rows: list[Any]) -> None:
        try:
            self.cursor.executemany(sql, rows)
        except self.driver_error as exc:
            raise wrapped(exc, self.name) from exc

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
        self._results, self._described = None, statement
        return self

    # --- results -----------------------------------------------------------------------------------

    @property
    def rowcount(self) -> int:
        """The rows the last INSERT, UPDATE or DELETE touched."""
        return self.cursor.rowcount

    def _columns(self) -> None:
        """The converters of the last statement's result columns, once its rows
        have come: a driver's column types decide some, and in a batched unit
        (:class:`Batched`) the columns are not known before the queue is sent."""
        described, description = self._described, self.cursor.description
        if isinstance(described, Sql):
            self._names = [column[0] for column in description or ()]
            self._results = tuple(aware if name in described.when else _json if name in described.json else None
                                  for name in self._names)
        else:
            self._results = _converters(described, sa_dialect(self.name), description)

    def _row(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self._results:
            return tuple(row)
        return tuple(value if convert is None or value is None else convert(value)
                     for convert, value in zip(self._results, row, strict=True))

    def all(self) -> list[tuple[Any, ...]]:
        rows = self.cursor.fetchall()
        if self._results is None:
            self._columns()
        return [self._row(row) for row in rows]

    def first(self) -> tuple[Any, ...] | None:
        row = self.cursor.fetchone()
        if row is not None:
            self.cursor.fetchall()  # a statement left unfinished would hold SQLite's commit
        if self._results is None:
            self._columns()
        return None if row is None else self._row(row)

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def records(self) -> list[SimpleNamespace]:
        """The rows of an :class:`Sql` read, each with its columns as attributes."""
        rows = self.all()
        return [SimpleNamespace(**dict(zip(self._names, row, strict=True))) for row in rows]


class Batched(Cursor):
    """A unit's statements sent to PostgreSQL together (``batched=True`` on
    :func:`ownit.store.unit.run`; :meth:`~ownit.store.unit.Unit.apart`).

    Each statement is written out with its values on the client (psycopg's
    ``ClientCursor``, which quotes them as the server reads them) and queued.
    The commit (:meth:`flush`) sends the queue as one simple query: one round
    trip, which the server runs as one transaction, ``SET LOCAL`` included
    (the connection is in autocommit for the unit, so psycopg sends no BEGIN
    or COMMIT of its own). Reading a result sends what is queued with a BEGIN
    in front, and the commit then sends the rest with a COMMIT behind: a round
    trip for each read, and one for the commit. psycopg's pipeline mode saved
    the same round trips, but its bookkeeping cost the client more CPU than
    they did (docs/benchmarks.md).

    A statement's error is raised when the queue is sent (at the next read,
    a row count included, or the commit), not where it was run, and the whole
    transaction is rolled back with it. Once the commit has sent a unit that
    read nothing before, its last statement's result can still be read."""

    def __init__(self, connection: Any, driver_error: type[BaseException]) -> None:
        from psycopg import ClientCursor

        super().__init__(ClientCursor(connection), "postgresql", driver_error)
        self._queued: list[str] = []
        self._begun = self._ended = False

    def _run(self, sql: str, params: Any) -> None:
        self._queue(sql, params)

    def _run_many(self, sql: str, rows: list[Any]) -> None:
        for row in rows:
            self._queue(sql, row)

    def _queue(self, sql: str, params: Any) -> None:
        if self._ended:
            raise RuntimeError("a batched unit runs nothing after its commit")
        try:
            self._queued.append(self.cursor.mogrify(sql, params))
        except self.driver_error as exc:
            raise wrapped(exc, self.name) from exc

    def flush(self) -> None:
        """The commit: what is queued sent in one message, one transaction (with a COMMIT behind it once a read began one)."""
        if self._ended:
            return
        if self._begun:
            self._send([*self._queued, "COMMIT"])
        elif self._queued:
            self._send(self._queued)
        self._queued, self._ended = [], True

    def _read(self) -> None:
        """Before a result is read: the queue sent, in the transaction it begins."""
        if self._queued:
            self._send(self._queued if self._begun else ["BEGIN", *self._queued])
            self._queued, self._begun = [], True

    def _send(self, statements: list[str]) -> None:
        try:
            self.cursor.execute("; ".join(statements), prepare=False)  # written out already: nothing to bind
            while self.cursor.nextset():  # the last statement's result is the one to read
                pass
        except self.driver_error as exc:
            raise wrapped(exc, self.name) from exc

    @property
    def rowcount(self) -> int:
        """The rows the last statement touched (what is queued is sent first)."""
        self._read()
        return self.cursor.rowcount

    def all(self) -> list[tuple[Any, ...]]:
        self._read()
        return super().all()

    def first(self) -> tuple[Any, ...] | None:
        self._read()
        return super().first()


def _converters(types: tuple[Any, ...], dialect: Any, description: Any) -> tuple[Callable[[Any], Any] | None, ...]:
    """An ad-hoc statement's result columns' converters (a driver's numeric type decides PostgreSQL's, so the cursor is asked)."""
    codes = [column[1] for column in description or ()] or [None] * len(types)
    return tuple(kind.result_processor(dialect, code) for kind, code in zip(types, codes, strict=True))


def listed(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``:name0, :name1, …`` and their values, for ``IN (...)`` in :class:`Sql`."""
    values = list(values)
    return ", ".join(f":{name}{i}" for i in range(len(values))), {f"{name}{i}": v for i, v in enumerate(values)}


def dialect_insert(dialect: str) -> Any:
    """The dialect's own INSERT, which knows ``ON CONFLICT DO NOTHING`` on both databases."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def wrapped(exc: BaseException, dialect: str) -> Exception:
    """A driver's error as SQLAlchemy's, which OwnIt knows how to explain and retry."""
    import sqlalchemy as real

    found = sa_dialect(dialect)
    return real.exc.DBAPIError.instance(None, None, exc, found.loaded_dbapi.Error, dialect=found)
