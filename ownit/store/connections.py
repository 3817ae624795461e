"""Connections to the database, opened with its driver alone (``sqlite3``, psycopg).

A :class:`Pool` per database URL and process keeps the connections that
units of work (:mod:`ownit.store.unit`) hand back, for the next one. Opening
one does what each needs once:

- SQLite: the folder made if missing; a busy timeout, the write-ahead log with
  ``synchronous = NORMAL``, foreign keys; its log checkpointed on a thread of
  its own (:mod:`ownit.checkpoints`), SQLite's own checkpoint kept as a backstop;
  OwnIt issues ``BEGIN`` itself.
- PostgreSQL: a connect timeout; the URL's ``options`` (a schema's search path)
  passed to the server as they are; autocommit, so that psycopg sends no BEGIN
  of its own: a unit of work sends it with its first read
  (:func:`ownit.store.unit._begin`).

The first connection of a pool checks the schema (:mod:`ownit.revisions`): a
database written by a newer OwnIt is refused in one line. No SQLAlchemy is
imported unless a failure has to be explained (:func:`explained`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

from .. import checkpoints, revisions
from ..errors import ConfigError

KEEP_IDLE = 8  # connections a pool keeps for the next unit of work; more are closed when handed back
KEEP_POOLS = 16  # databases a process keeps connections to; past that, the first opened is closed for a new one

_pools: "OrderedDict[str, Pool]" = OrderedDict()
_pools_lock = threading.Lock()


class Pool:
    """The connections of one database: :meth:`take` one, :meth:`give` it back."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            import sqlite3

            self.dialect, self.error = "sqlite", sqlite3.Error
            self.path = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser()
            self.where = str(self.path)
            self._open: Callable[[], Any] = self._sqlite
        elif url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            import psycopg

            self.dialect, self.error = "postgresql", psycopg.Error
            self.conninfo = "postgresql://" + url.split("://", 1)[1]
            self.where = where(url)
            self._open = self._postgresql
        else:
            from ..db import normalise_url

            normalise_url(url)  # says what is wrong with the URL
            raise ConfigError(f"database URL {url!r} is not valid; use sqlite:///PATH or postgresql://USER@HOST/DB")
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._checked = False

    @classmethod
    def of(cls, url: str) -> "Pool":
        """The pool of ``url`` in this process."""
        found = _pools.get(url)
        if found is not None:
            return found
        with _pools_lock:
            found = _pools.get(url)
            if found is None:
                found = _pools[url] = cls(url)
                while len(_pools) > KEEP_POOLS:
                    _pools.popitem(last=False)[1].dispose()
            return found

    def take(self) -> Any:
        """A connection, not in a transaction: one handed back before, or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        connection = self._connect()
        if not self._checked:
            try:
                cursor = connection.cursor()
                revisions.check(revisions.stored(cursor, postgresql=self.dialect == "postgresql"), self.where)
                connection.rollback()
            except BaseException:
                connection.close()
                raise
            self._checked = True
        return connection

    def give(self, connection: Any, *, broken: bool = False) -> None:
        """Hand back a connection whose transaction has ended (closed if it is ``broken``)."""
        if not broken and not getattr(connection, "closed", False):
            with self._lock:
                if len(self._idle) < KEEP_IDLE:
                    self._idle.append(connection)
                    return
        try:
            connection.close()
        except self.error:
            pass

    def dispose(self) -> None:
        """Close the idle connections (one in use comes back to this pool when its unit ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        if self.dialect == "sqlite":
            checkpoints.forget(str(self.path.resolve()))

    def _connect(self) -> Any:
        try:
            return self._open()
        except self.error as exc:
            raise explained(exc, self.url) from None

    def _sqlite(self) -> Any:
        import sqlite3

        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the folder {folder} for the database: {exc.strerror}") from None
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        try:
            for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON",
                           f"wal_autocheckpoint = {checkpoints.BACKSTOP_PAGES}"):
                connection.execute(f"PRAGMA {pragma}")
        except sqlite3.Error:
            connection.close()
            raise
        checkpoints.watch(str(self.path.resolve()), self)
        return connection

    def _postgresql(self) -> Any:
        import psycopg

        # in autocommit: a unit of work sends its own BEGIN, with its first read (ownit.store.unit._begin)
        return psycopg.connect(self.conninfo, connect_timeout=5, autocommit=True)


def dispose(url: str) -> None:
    """Close ``url``'s idle connections in this process (before its database is dropped or replaced)."""
    found = _pools.pop(url, None)
    if found is not None:
        found.dispose()


def where(url: str) -> str:
    """The database as messages name it: the URL without its password."""
    scheme, _, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        credentials, _, host = rest.partition("@")
        rest = f"{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else rest
    return f"{scheme}://{rest}"


def explained(exc: BaseException, url: Any) -> BaseException:
    """A database failure as the one line OwnIt says about it
    (:func:`ownit.db.explain`), else the error itself."""
    import sqlalchemy as sa

    from ..db import explain

    error = exc if isinstance(exc, sa.exc.DBAPIError) else sa.exc.DBAPIError.instance(None, None, exc, Exception)
    return explain(error, url) or exc
