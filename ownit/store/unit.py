"""The unit of work: the only way OwnIt runs a transaction.

:func:`run` gives ``work`` a :class:`Unit` — one transaction on a driver
connection of the database's pool (:mod:`ownit.store.connections`) — and
commits when it returns: SQLite's ``BEGIN IMMEDIATE`` (pysqlite's own
transaction handling reads outside the transaction and loses concurrent
updates without an error), the same retries with backoff on a lock timeout or
deadlock, and the same one-line errors, for every action, read and sweep. A
unit that only reads (``write=False``) does not take SQLite's write lock. No
SQLAlchemy is imported unless something fails and has to be explained.

:func:`reading` is a read-only unit without a desk, for the command line's
reads that must answer at once (the queue).

:meth:`Unit.apart` is the one transaction a unit runs besides its own: a
short one, committed at once on another connection, so that PostgreSQL's ref
counter, which every raise of a department bumps, is not held until the raise
commits.

``durable=False`` (on :func:`run` and :meth:`Unit.apart`) is the one way a
transaction's commit does without waiting for the disk (:func:`_not_durable`);
``batched=True`` the one way its statements go to the server together, in
one message (:func:`_cursor`).

What a unit wrote to the timeline and the outbox stays on it
(:attr:`Unit.entries`, :attr:`Unit.notifications`), so that the plugins can
be told after the commit.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from ..actors import resolve
from . import directory
from .connections import Pool, explained
from .sql import Batched, Cursor, Sql, Statement, wrapped

if TYPE_CHECKING:
    from ..actors import Actor
    from ..desk import Desk
    from .directory import Directory, PersonEntry  # noqa: F401

T = TypeVar("T")
_NOT_DURABLE = Sql("SET LOCAL synchronous_commit TO OFF")  # this transaction's commit only (_not_durable)
_BEGIN = f"BEGIN; {directory.GENERATION.text}"  # PostgreSQL: a unit's first round trip (_begin)
RETRIES = 6  # a unit of work's tries when the database is busy (ownit.db.settle waits between them)


def default_database_url() -> str:
    """``OWNIT_DATABASE_URL``, else a SQLite file under the user's data dir."""
    url = os.environ.get("OWNIT_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'ownit' / 'ownit.db'}"


class Unit:
    """One transaction: what an action reads and writes goes through ``db``."""

    def __init__(self, db: Cursor, desk: "Desk | None" = None, now: datetime | None = None,
                 generation: Any = None) -> None:
        self.db = db
        self.desk = desk
        self.now = now if now is not None or desk is None else desk.now()
        self.entries: list[Any] = []  # timeline entries appended (ownit.store.timeline)
        self.notifications: list[Any] = []  # notifications put in the outbox (ownit.store.outbox)
        self.seen: dict[int, Any] = {}  # the requests this unit read or wrote, by id (ownit.store.requests)
        self.watching: dict[int, tuple[int, ...]] = {}  # each request's watchers as read here (ownit.store.watchers)
        self.acting: tuple[int, int] | None = None  # (the actor's id, the admin acting as them), see person()
        self._directory: "Directory | None" = None
        self._generation = generation  # the organisation's, when it was read with the unit's BEGIN (_begin)

    @property
    def directory(self) -> "Directory":
        """The organisation, from the desk's memory unless it changed (:mod:`ownit.store.directory`)."""
        if self._directory is None:
            self._directory = directory.current(self.desk, self.db, self._generation)
        return self._directory

    def apart(self, statement: Statement, *, durable: bool = True, **values: Any) -> Any:
        """``statement`` in a short transaction of its own, committed at once,
        on another connection of the desk's pool; returns the first column of
        the row it returns. What it locks is let go before this unit goes on,
        so a row every unit of a kind bumps (a department's ref counter) does
        not make those units wait for each other's commits. What it wrote stays
        even if this unit then fails. It goes in one message, one round trip
        (:class:`~ownit.store.sql.Batched`), its ``SET LOCAL`` included.

        On PostgreSQL only. On SQLite this unit already holds the one write
        lock, which a second connection would wait on until it timed out (and
        writers take turns anyway): there ``statement`` runs in this unit, as
        it does in a unit without a desk. A connection the server dropped
        while it waited in the pool is replaced, as :func:`run` does; any
        other failure is raised for :func:`run` to handle like the unit's own
        (retried on a lock timeout, else one line). The pool opens a
        connection when none is idle and this one is handed back before its
        result is used, so a unit holds at most two, never waiting on the pool
        for the second. ``durable=False``: its commit does not wait for the
        disk (:func:`_not_durable`), for what a later durable commit depends on."""
        if self.desk is None or self.db.dialect != "postgresql":
            return self.db.execute(statement, **values).scalar()
        pool = self.desk.connections
        for attempt in range(RETRIES):
            connection = pool.take()
            broken = False
            try:
                cursor = _cursor(connection, pool, batched=True)
                if not durable:
                    _not_durable(cursor)
                cursor.execute(statement, **values)
                cursor.flush()  # sent and committed, and its result read after
                return cursor.scalar()
            except BaseException as exc:
                broken = _rolled_back(connection, pool.error)
                if not broken or attempt == RETRIES - 1 or not (isinstance(exc, pool.error) or _database_error(exc)):
                    raise
                # dropped while idle (or during the commit: its work is done again, at worst a ref is skipped)
            finally:
                pool.give(connection, broken=broken)
        raise AssertionError("unreachable")

    def person(self, actor: "Actor") -> "PersonEntry":
        """The person taking this unit's action (:func:`ownit.actors.resolve`);
        when an admin acts as them, what this unit writes to the timeline as
        theirs records the admin too."""
        person, by = resolve(self.directory, actor)
        if by is not None:
            self.acting = (person.id, by.id)
        return person


def run(desk: "Desk", work: Callable[[Unit], T], *, write: bool = True, durable: bool = True,
        batched: bool = False) -> T:
    """``work`` in one transaction: commit on success, roll back on any error;
    a lock timeout or deadlock retries the whole unit with backoff, then says
    the database is busy; any other database failure is one line
    (:func:`ownit.db.explain`) or, if it is a bug, raised as it is. A
    connection the server dropped while it waited in the pool is replaced.
    ``durable=False``: the commit does not wait for the disk
    (:func:`_not_durable`), for what may be lost in a server crash and done
    again. ``batched=True``: the statements go to the server together
    (:func:`_cursor`), for a short unit that writes (each read in it costs a
    round trip)."""
    pool = desk.connections
    dialect, driver_error = pool.dialect, pool.error
    for attempt in range(RETRIES):
        connection = pool.take()
        broken = committing = False
        try:
            cursor = _cursor(connection, pool, batched)
            generation = None if isinstance(cursor, Batched) else _begin(cursor, write=write)
            unit = Unit(cursor, desk, generation=generation)
            if not durable:
                _not_durable(unit.db)
            result = work(unit)
            committing = True
            cursor.flush()
            connection.commit()
            return result
        except BaseException as exc:
            broken = _rolled_back(connection, driver_error)
            if not isinstance(exc, driver_error) and not _database_error(exc):
                raise
            if broken and not committing and attempt < RETRIES - 1:
                # the server closed it before the commit (a restart, an idle timeout): nothing was written,
                # so the unit runs again on the next connection (one lost during the commit is said, not redone)
                continue
            from ..db import settle  # SQLAlchemy: only when something has to be explained

            settle(wrapped(exc, dialect) if isinstance(exc, driver_error) else exc, attempt, desk.url)
        finally:
            pool.give(connection, broken=broken)
    raise AssertionError("unreachable")


def _not_durable(cursor: Cursor) -> None:
    """This transaction's commit, and no other, returns without waiting for
    the log to reach the disk (PostgreSQL's ``synchronous_commit``): a server
    crash may lose it (the last moment's such commits, nothing else, never
    half of one), and a later durable commit flushes it with its own. On
    SQLite nothing to do: in WAL mode with ``synchronous = NORMAL`` no commit
    waits for the disk (a power cut, not a crashed process, may lose the last ones)."""
    if cursor.dialect == "postgresql":
        cursor.execute(_NOT_DURABLE)


def _cursor(connection: Any, pool: Pool, batched: bool) -> Cursor:
    """The unit's cursor on ``connection``. With ``batched``, on PostgreSQL, a
    :class:`~ownit.store.sql.Batched` one: the transaction's statements, its
    ``SET LOCAL`` included, queued and sent with the commit as one message in
    one round trip, which the server runs as one transaction. A read sends
    what is queued, and begins the transaction, at the cost of its round trip;
    an error is raised when the queue is sent, and nothing of the unit stays.
    For short units that write: delivery marks, the ref counter. On SQLite
    (in the process, no round trips to save) nothing changes."""
    if batched and pool.dialect == "postgresql":
        return Batched(connection, pool.error)
    return Cursor(connection.cursor(), pool.dialect, pool.error)


def _begin(cursor: Cursor, *, write: bool) -> Any:
    """Begin the unit's transaction; the organisation's generation, when it was read with it.

    SQLite: ``BEGIN IMMEDIATE`` for a writer (pysqlite's own transaction
    handling reads outside the transaction), ``BEGIN`` for a reader.
    PostgreSQL: the pool's connections are in autocommit, so psycopg sends no
    BEGIN of its own, a round trip of its own before the first statement;
    BEGIN goes with the first read of nearly every unit, the organisation's
    generation (:mod:`ownit.store.directory`), as one simple query: one round
    trip for both. The COMMIT (``connection.commit()``) and ROLLBACK are
    psycopg's, sent because the server is in a transaction."""
    if cursor.dialect == "sqlite":
        cursor.cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        return None
    cursor.cursor.execute(_BEGIN)  # no parameters: one message, both statements
    cursor.cursor.nextset()
    row = cursor.cursor.fetchone()
    return None if row is None else row[0]


def _rolled_back(connection: Any, driver_error: type[BaseException]) -> bool:
    """Roll back ``connection``'s transaction; whether it is broken instead
    (the server closed it, or the rollback failed), to be closed, not kept."""
    if _broken(connection):
        return True
    try:
        connection.rollback()
    except driver_error:
        return True
    return False


def _broken(connection: Any) -> bool:
    """Whether the server closed ``connection`` (psycopg knows; SQLite's cannot be)."""
    return bool(getattr(connection, "closed", False) or getattr(connection, "broken", False))


def duplicate(exc: BaseException) -> bool:
    """Whether ``exc`` is a unique key refusing a row (another unit of work wrote it first)."""
    found = sys.modules.get("sqlalchemy.exc")
    return found is not None and isinstance(exc, found.IntegrityError)


def _database_error(exc: BaseException) -> bool:
    """A driver's error as SQLAlchemy wraps it (:func:`ownit.store.sql.wrapped`)."""
    found = sys.modules.get("sqlalchemy.exc")
    return found is not None and isinstance(exc, found.DBAPIError)


@contextmanager
def reading(url: str, *, now: datetime) -> Iterator[Unit]:
    """A read-only unit on a connection of ``url``'s pool (:mod:`.connections`).
    Its organisation is read from the database (there is no desk to keep it)."""
    pool = Pool.of(url)
    connection = pool.take()
    broken = False
    try:
        cursor = Cursor(connection.cursor(), pool.dialect, pool.error)
        generation = _begin(cursor, write=False)
        yield Unit(cursor, now=now, generation=generation)
    except Exception as exc:
        broken = _broken(connection)
        if isinstance(exc, pool.error) or type(exc).__module__.startswith("sqlalchemy"):
            raise explained(exc, url) from None
        raise
    finally:
        if not broken:
            connection.rollback()  # nothing was written
        pool.give(connection, broken=broken)
