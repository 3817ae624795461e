"""The unit of work: the only way OwnIt runs a transaction.

:func:`run` gives ``work`` a :class:`Unit` — one transaction on a pooled
connection's driver cursor — and commits when it returns: SQLite's
``BEGIN IMMEDIATE`` (pysqlite's own transaction handling reads outside the
transaction and loses concurrent updates without an error), the same retries
with backoff on a lock timeout or deadlock, and the same one-line errors, for
every action, read and sweep. A unit that only reads (``write=False``) does
not take SQLite's write lock.

:func:`reading` is the same transaction on a connection of its own, opened
without SQLAlchemy, for the command line's reads that must answer at once.

What a unit wrote to the timeline and the outbox stays on it
(:attr:`Unit.entries`, :attr:`Unit.notifications`), so that the plugins can
be told after the commit.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from .. import revisions
from ..actors import resolve
from ..errors import ConfigError
from . import directory
from .sql import Cursor, wrapped

if TYPE_CHECKING:
    from ..actors import Actor
    from ..desk import Desk
    from .directory import Directory, PersonEntry  # noqa: F401

T = TypeVar("T")


def default_database_url() -> str:
    """``OWNIT_DATABASE_URL``, else a SQLite file under the user's data dir."""
    url = os.environ.get("OWNIT_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'ownit' / 'ownit.db'}"


class Unit:
    """One transaction: what an action reads and writes goes through ``db``."""

    def __init__(self, db: Cursor, desk: "Desk | None" = None, now: datetime | None = None) -> None:
        self.db = db
        self.desk = desk
        self.now = now if now is not None or desk is None else desk.now()
        self.entries: list[Any] = []  # timeline entries appended (ownit.store.timeline)
        self.notifications: list[Any] = []  # notifications put in the outbox (ownit.store.outbox)
        self.seen: dict[int, Any] = {}  # the requests this unit read or wrote, by id (ownit.store.requests)
        self.acting: tuple[int, int] | None = None  # (the actor's id, the admin acting as them), see person()
        self._directory: "Directory | None" = None

    @property
    def directory(self) -> "Directory":
        """The organisation, from the desk's memory unless it changed (:mod:`ownit.store.directory`)."""
        if self._directory is None:
            self._directory = directory.current(self.desk, self.db)
        return self._directory

    def person(self, actor: "Actor") -> "PersonEntry":
        """The person taking this unit's action (:func:`ownit.actors.resolve`);
        when an admin acts as them, what this unit writes to the timeline as
        theirs records the admin too."""
        person, by = resolve(self.directory, actor)
        if by is not None:
            self.acting = (person.id, by.id)
        return person


def run(desk: "Desk", work: Callable[[Unit], T], *, write: bool = True) -> T:
    """``work`` in one transaction: commit on success, roll back on any error;
    a lock timeout or deadlock retries the whole unit with backoff, then says
    the database is busy; any other database failure is one line
    (:func:`ownit.db.explain`) or, if it is a bug, raised as it is."""
    from ..db import RETRIES, DBAPIError, settle  # SQLAlchemy: loaded by the engine already

    engine = desk.engine
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    for attempt in range(RETRIES):
        connection = pooled(engine)
        try:
            cursor = connection.cursor()
            if dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = work(Unit(Cursor(cursor, dialect, driver_error), desk))
            connection.commit()
            return result
        except (driver_error, DBAPIError) as exc:
            connection.rollback()
            settle(exc if isinstance(exc, DBAPIError) else wrapped(exc, dialect), attempt, engine.url)
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
    raise AssertionError("unreachable")


@contextmanager
def reading(url: str, *, now: datetime) -> Iterator[Unit]:
    """A read-only unit on a connection of its own to ``url``, opened with the
    driver alone (``sqlite3`` or psycopg): no SQLAlchemy is imported unless
    something fails and has to be explained. Its organisation is read from
    the database (there is no desk to keep it)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        path = Path(url.removeprefix("sqlite:///")).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as the engine does: then "run ownit init"
            connection = sqlite3.connect(path, timeout=5, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the database at {path}: {exc}") from None
        dialect, error = "sqlite", sqlite3.Error
    elif url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        import psycopg

        try:
            connection = psycopg.connect("postgresql://" + url.split("://", 1)[1], connect_timeout=5)
        except psycopg.Error as exc:
            raise explained(exc, url) from None
        dialect, error = "postgresql", psycopg.Error
    else:
        from ..db import normalise_url

        normalise_url(url)  # says what is wrong with the URL
        raise ConfigError(f"database URL {url!r} is not valid; use sqlite:///PATH or postgresql://USER@HOST/DB")
    try:
        cursor = connection.cursor()
        try:
            if dialect == "sqlite":
                cursor.execute("BEGIN")
            revisions.check(revisions.stored(cursor, postgresql=dialect == "postgresql"),
                            str(path) if dialect == "sqlite" else _where(url))
            yield Unit(Cursor(cursor, dialect, error), now=now)
        except Exception as exc:
            if isinstance(exc, error) or type(exc).__module__.startswith("sqlalchemy"):
                raise explained(exc, url) from None
            raise
        finally:
            connection.rollback()  # nothing was written
    finally:
        connection.close()


def _where(url: str) -> str:
    """The database as messages name it: the URL without its password."""
    scheme, _, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        credentials, _, host = rest.partition("@")
        rest = f"{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else rest
    return f"{scheme}://{rest}"


def pooled(engine: Any) -> Any:
    """A driver connection from ``engine``'s pool, or the one line saying why
    there is none (the server is down, the file cannot be opened)."""
    try:
        return engine.raw_connection()
    except Exception as exc:
        found = explained(exc, engine.url)
        if found is exc:
            raise
        raise found from None


def explained(exc: BaseException, url: Any) -> BaseException:
    """A database failure as the one line OwnIt says about it
    (:func:`ownit.db.explain`), else the error itself."""
    import sqlalchemy as sa

    from ..db import explain

    error = exc if isinstance(exc, sa.exc.DBAPIError) else sa.exc.DBAPIError.instance(None, None, exc, Exception)
    return explain(error, url) or exc
