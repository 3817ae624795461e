"""Engines, the retry policy and one-line errors, and migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: pysqlite's own transaction handling
reads outside the transaction, which loses concurrent updates without an error.
Its log is checkpointed on a thread of its own (:mod:`ownit.checkpoints`), not
by whichever commit happens to fill it.
PostgreSQL runs through psycopg 3 with the same code.
"""

from __future__ import annotations

import random
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from . import checkpoints
from .errors import Conflict, ConfigError, OwnitError
from .store.unit import RETRIES, default_database_url  # noqa: F401  (where the edges have always found it)



def normalise_url(url: str) -> sa.URL:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(f"database URL {url!r} is not valid; use sqlite:///PATH or postgresql://USER@HOST/DB") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith(("sqlite", "postgresql")):
        raise ConfigError(f"database {parsed.drivername!r} is not supported; use SQLite or PostgreSQL")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # checkpoints run on a thread of their own (ownit.checkpoints); a commit does one only past the backstop
    cursor.execute(f"PRAGMA wal_autocheckpoint = {checkpoints.BACKSTOP_PAGES}")
    cursor.close()


def _checkpointed(engine: sa.Engine, path: str) -> None:
    """The log of ``path`` checkpointed in the background (:mod:`ownit.checkpoints`)
    while ``engine`` has connections: from each new one until it is disposed of."""
    event.listen(engine, "connect", lambda _connection, _record: checkpoints.watch(path, engine))
    event.listen(engine, "engine_disposed", lambda _engine: checkpoints.forget(path))


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=16)
def make_engine(url: str) -> sa.Engine:
    """One engine per URL for the process. A PostgreSQL URL may carry a schema
    as ``?options=-csearch_path%3Dmyschema``."""
    parsed = normalise_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"cannot create the folder {folder} for the database: {exc.strerror}") from None
        engine = sa.create_engine(parsed, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        if parsed.database and parsed.database != ":memory:":
            _checkpointed(engine, str(Path(parsed.database).expanduser().resolve()))
    else:
        engine = sa.create_engine(parsed, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
    event.listen(engine, "connect", _known_schema(engine))
    return engine


def _known_schema(engine: sa.Engine) -> Any:
    """A listener that refuses, on the engine's first connection that works, a
    database written by a newer OwnIt (:mod:`ownit.revisions`): once per
    process, not on each action."""
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)
    checked = False

    def check(dbapi_connection: Any, _record: Any) -> None:
        nonlocal checked
        if checked:
            return
        from . import revisions

        cursor = dbapi_connection.cursor()
        try:
            revision = revisions.stored(cursor, postgresql=engine.dialect.name == "postgresql")
        finally:
            cursor.close()
            if engine.dialect.name == "postgresql":
                dbapi_connection.rollback()  # the read began a transaction
        revisions.check(revision, where)
        checked = True

    return check


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return normalise_url(url).render_as_string(hide_password=True)


def is_transient(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(sign in text for sign in _TRANSIENT)


_TRANSIENT = ("database is locked", "deadlock detected", "could not serialize access", "database is busy",
              "lock timeout", "canceling statement due to lock timeout")
_NOT_A_DATABASE = ("file is not a database", "database disk image is malformed")
_READ_ONLY = ("readonly database", "read-only file system", "unable to open database file",
              "cannot start a transaction within a read-only", "read-only transaction")
_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk quota exceeded")
_GONE = ("connection failed", "could not connect", "connection refused", "unable to open database",
         "connection to server", "timeout expired", "server closed the connection", "terminating connection",
         "consuming input failed", "the connection is closed", "connection is lost", "ssl connection has been closed")


def _driver_error(exc: BaseException) -> bool:
    """A DB-API driver's own error (``sqlite3``, psycopg) that reached us unwrapped."""
    return type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg") and hasattr(exc, "args")


def explain(exc: BaseException, url: sa.URL | str) -> OwnitError | None:
    """A one-line, person-facing error for a database failure, or ``None`` when
    it is not one we can explain (a bug, to be raised as it is). Every line
    names the file or server and what to do."""
    if isinstance(exc, DBAPIError):
        orig, invalidated = exc.orig, exc.connection_invalidated
    elif _driver_error(exc):
        orig, invalidated = exc, False
    else:
        return None
    parsed = normalise_url(url) if isinstance(url, str) else url
    where = parsed.render_as_string(hide_password=True)
    sqlite = parsed.drivername.startswith("sqlite")
    path = Path(parsed.database).expanduser() if sqlite and parsed.database not in (None, "", ":memory:") else None
    text = str(orig or exc).strip()
    first = text.splitlines()[0] if text else type(orig or exc).__name__
    lowered = text.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return ConfigError(f"the database at {where} is not set up yet; run 'ownit init'")
    if any(sign in lowered for sign in _TRANSIENT):
        return Conflict(f"the database at {path or parsed.host} is busy (another program holds its lock); "
                        "try again in a moment")
    if path is not None and any(sign in lowered for sign in _NOT_A_DATABASE):
        return ConfigError(f"{path} is not an OwnIt database ({first}); point OWNIT_DATABASE_URL at the right "
                           "file or restore a backup")
    if any(sign in lowered for sign in _FULL) or (path is not None and "disk i/o error" in lowered
                                                  and _full(path.parent)):
        return ConfigError(f"the disk holding the database at {path or parsed.host} is full ({first}); "
                           "free some space and try again (nothing was written)")
    if path is not None and any(sign in lowered for sign in _READ_ONLY):
        read_only = _read_only(path)
        if read_only:
            return ConfigError(read_only)
    if invalidated or any(sign in lowered for sign in _GONE):
        return ConfigError(f"cannot reach the database at {parsed.host or parsed.database}: {first}")
    return None


def _full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has no room left: SQLite says only
    "disk I/O error" when it cannot even make its shared-memory file."""
    import os

    try:
        room = os.statvfs(folder)
    except OSError:
        return False
    return room.f_bavail * room.f_frsize < 64 * 1024


def _read_only(path: Path) -> str | None:
    """What keeps SQLite from writing ``path`` (the file, or the folder it
    keeps its journal in), as the line to show; ``None`` when nothing does."""
    import os

    folder = path.parent
    try:
        mounted_read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        mounted_read_only = False
    if mounted_read_only:
        return (f"the database {path} is on a read-only file system; remount {folder} read-write "
                "or move the database to a disk OwnIt may write")
    if path.exists() and not os.access(path, os.W_OK):
        return (f"the database file {path} is read-only; make it writable by the user running OwnIt "
                "(or point OWNIT_DATABASE_URL at a copy it may write)")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return (f"the folder {folder} is read-only and SQLite keeps its journal beside the database; "
                "make the folder writable by the user running OwnIt")
    return None


def settle(exc: DBAPIError, attempt: int, url: sa.URL) -> None:
    """After a unit of work failed in the database on its ``attempt``-th try:
    wait before the next try when it was a lock timeout or deadlock (with
    backoff), else raise what to tell the person: "busy" once the retries are
    spent, or any other one-line explanation (:func:`explain`), or the error itself."""
    if is_transient(exc) and attempt < RETRIES - 1:
        time.sleep(0.05 * 2**attempt * (1 + random.random()))
        return
    explained = explain(exc, url)
    if explained is not None:
        raise explained from None
    raise exc


def migrations_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = make_engine(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema through the shipped migrations."""
    from alembic import command

    try:
        command.upgrade(migrations_config(url), revision)
    except DBAPIError as exc:
        explained = explain(exc, url)
        if explained is None:
            raise
        raise explained from None


def _scripts() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(__file__).parent / "migrations"))


def known_revisions() -> set[str]:
    """Every schema revision this OwnIt ships."""
    return {script.revision for script in _scripts().walk_revisions()}


def head_revision() -> str:
    return _scripts().get_current_head()
