"""The database without SQLAlchemy, for the reads that must be instant.

Importing SQLAlchemy and SQLModel takes about a quarter of a second here:
more than ``ownit queue`` may take in all (docs/benchmarks.md). The reads that
must be that quick speak to the driver itself through :class:`Lite`: the
standard library's ``sqlite3`` or psycopg, on the same file or server and the
same schema, with what differs between the two kept here: how parameters are
written (``:name`` in the SQL, turned into psycopg's ``%(name)s``), how
datetimes are stored (UTC text on SQLite, ``timestamptz`` on PostgreSQL) and
how JSON comes back. The service reaches the same reads through its engine's
pool (:meth:`Lite.of`), so there is one implementation of each.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Iterator

from .errors import ConfigError

_SQLITE_WHEN = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a datetime on SQLite, which OwnIt's columns use
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def default_database_url() -> str:
    """``OWNIT_DATABASE_URL``, else a SQLite file under the user's data dir."""
    url = os.environ.get("OWNIT_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'ownit' / 'ownit.db'}"


class Lite:
    """One read transaction on a driver connection."""

    def __init__(self, connection: Any, dialect: str, url: Any) -> None:
        self.connection = connection
        self.dialect = dialect
        self.url = url

    @classmethod
    @contextmanager
    def open(cls, url: str) -> Iterator["Lite"]:
        """A connection of its own to the database at ``url``."""
        if url.startswith("sqlite:///"):
            import sqlite3

            path = Path(url.removeprefix("sqlite:///")).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)  # as the engine does: then "run ownit init"
                connection = sqlite3.connect(path, timeout=5, isolation_level=None)
            except (OSError, sqlite3.Error) as exc:
                raise ConfigError(f"cannot open the database at {path}: {exc}") from None
            lite = cls(connection, "sqlite", url)
        elif url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            import psycopg

            conninfo = "postgresql://" + url.split("://", 1)[1]
            try:
                connection = psycopg.connect(conninfo, connect_timeout=5)
            except psycopg.Error as exc:
                raise lite_error(exc, url) from None
            lite = cls(connection, "postgresql", url)
        else:
            from .db import normalise_url

            normalise_url(url)  # says what is wrong with the URL
            raise ConfigError(f"database URL {url!r} is not valid; use sqlite:///PATH or postgresql://USER@HOST/DB")
        try:
            with lite._transaction():
                yield lite
        finally:
            connection.close()

    @classmethod
    @contextmanager
    def of(cls, engine: Any) -> Iterator["Lite"]:
        """A connection from ``engine``'s pool (the service's reads)."""
        connection = pooled(engine)
        try:
            lite = cls(connection.driver_connection, engine.dialect.name, engine.url)
            with lite._transaction():
                yield lite
        finally:
            connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """The reads see one snapshot; nothing is written, so it ends in a rollback."""
        if self.dialect == "sqlite":
            self.connection.execute("BEGIN")
        try:
            yield
        finally:
            self.connection.rollback()

    def when(self, moment: datetime) -> Any:
        """A datetime as the database stores it."""
        if self.dialect == "sqlite":
            return moment.astimezone(timezone.utc).strftime(_SQLITE_WHEN)
        return moment

    def rows(self, sql: str, *, when: Iterable[str] = (), json_columns: Iterable[str] = (),
             **params: Any) -> list[SimpleNamespace]:
        """The rows of ``sql`` (parameters written ``:name``), each with its
        columns as attributes; those named in ``when`` as aware UTC datetimes and
        in ``json_columns`` as Python values, on either database."""
        if self.dialect == "postgresql":
            sql = _NAMED.sub(r"%(\1)s", sql)
        try:
            cursor = self.connection.execute(sql, params)
            names = [d[0] for d in cursor.description]
            found = cursor.fetchall()
        except Exception as exc:
            if self._driver_error(exc):
                raise lite_error(exc, self.url) from None
            raise
        when, json_columns = set(when), set(json_columns)
        rows = []
        for values in found:
            row = SimpleNamespace(**dict(zip(names, values, strict=True)))
            for name in when:
                setattr(row, name, _aware(getattr(row, name)))
            for name in json_columns:
                value = getattr(row, name)
                if isinstance(value, str):
                    setattr(row, name, json.loads(value))
            rows.append(row)
        return rows

    def _driver_error(self, exc: Exception) -> bool:
        if self.dialect == "sqlite":
            import sqlite3

            return isinstance(exc, sqlite3.Error)
        import psycopg

        return isinstance(exc, psycopg.Error)


def pooled(engine: Any) -> Any:
    """A driver connection from ``engine``'s pool, or the one line saying why
    there is none (the server is down, the file cannot be opened)."""
    try:
        return engine.raw_connection()
    except Exception as exc:
        explained = lite_error(exc, engine.url)
        if explained is exc:
            raise
        raise explained from None


def listed(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``:name0, :name1, …`` and their values, for ``IN (...)``."""
    values = list(values)
    return ", ".join(f":{name}{i}" for i in range(len(values))), {f"{name}{i}": v for i, v in enumerate(values)}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def lite_error(exc: Exception, url: Any) -> Exception:
    """A driver's error as the one line OwnIt says about it (:func:`ownit.db.explain`;
    SQLAlchemy is loaded only now, on the way out), else the error itself."""
    import sqlalchemy as sa

    from .db import explain

    wrapped = exc if isinstance(exc, sa.exc.DBAPIError) else sa.exc.DBAPIError.instance(None, None, exc, Exception)
    return explain(wrapped, url) or exc
