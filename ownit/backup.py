"""Backups of the embedded SQLite database, taken while OwnIt is in use.

``backup`` copies a live database with SQLite's online backup API: the copy is
a consistent snapshot even while agents keep writing (SQLite restarts a step
that a write overtook). ``check`` opens a copy read-only and proves it usable:
the file's integrity, a schema OwnIt knows, and the ownership invariant.
``restore`` checks a copy, then puts it in place with the same backup API and
upgrades it to the current schema. The photos and files the copy's
attachments name go with it, into a folder beside it named as the database's
own folder is (``copy.db`` → ``copy-files``, :func:`ownit.files.folder_for`),
and are put back in the file store on restore.

PostgreSQL has its own tools (``pg_dump -Fc`` and ``pg_restore``); see
docs/operating.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from .errors import ConfigError, OwnitError, ValidationError
from .files import LocalFiles, folder_for

PAGES_PER_STEP = 1024  # about 4 MB a step: writers wait at most one step


def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise ConfigError("ownit backup and restore work on the SQLite default; for PostgreSQL use "
                          "pg_dump -Fc and pg_restore (see docs/operating.md)")
    return Path(url.removeprefix("sqlite:///").split("?")[0])


def _copy(source: sqlite3.Connection, target: sqlite3.Connection,
          progress: Callable[[int, int], None] | None) -> None:
    def report(status: int, remaining: int, total: int) -> None:
        if progress:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=report, sleep=0.005)


def _looked_up(path: Path, test: Callable[[Path], bool]) -> bool:
    """``test(path)``, or one clear line when the system cannot even look (a name too long, say)."""
    try:
        return test(path)
    except OSError as exc:
        shown = str(path) if len(str(path)) <= 60 else str(path)[:60] + "…"
        raise ValidationError(f"cannot use the path {shown}: {exc.strerror}; give a shorter or valid path") from None


def ready_to_back_up(url: str, path: Path) -> Path:
    """The database file to copy, once it is sure the copy can be made."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise ConfigError(f"there is no database at {source_path}; run 'ownit init' first")
    if _looked_up(path, Path.exists):
        raise ValidationError(f"{path} exists already; back up to a new file")
    if not _looked_up(path.parent, Path.is_dir):
        raise ValidationError(f"folder {path.parent} does not exist; create it or pick another path")
    return source_path


def backup(url: str, path: Path, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Copy the live database at ``url`` to a new file ``path`` and check the
    copy. The copy is written under a temporary name in the same folder and
    renamed into place once it checks out, so a copy that fails (a full disk)
    leaves nothing behind to block the next try."""
    source_path = ready_to_back_up(url, path)
    started = time.perf_counter()
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        try:
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            target = sqlite3.connect(partial)
            try:
                _copy(source, target, progress)
            finally:
                target.close()
                source.close()
        except (sqlite3.Error, OSError) as exc:
            raise _not_copied(exc, source_path, path) from None
        checked = check(partial)
        os.replace(partial, path)
        copied, missing = _copy_files(_file_keys(path), LocalFiles(folder_for(url)), files_beside(path))
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    return {**checked, "path": str(path), "seconds": round(time.perf_counter() - started, 3),
            "bytes": path.stat().st_size, "files": copied, "files_missing": missing}


def files_beside(path: Path) -> LocalFiles:
    """The photos and files of the backup at ``path``: ``copy.db`` → ``copy-files``."""
    return LocalFiles(path.with_name(f"{path.stem}-files"))


def _file_keys(path: Path) -> list[str]:
    """The file-store keys the attachments in the database at ``path`` name
    (their bytes, a photo's thumbnail). A finished copy, which nothing writes:
    read as immutable, so no ``-wal`` or ``-shm`` file is left beside it."""
    copy = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        if not copy.execute("select 1 from sqlite_master where type = 'table' and name = 'attachment'").fetchone():
            return []  # from before attachments
        rows = copy.execute("select sha256, thumbnail from attachment order by id").fetchall()
    finally:
        copy.close()
    return list(dict.fromkeys(key for row in rows for key in row if key))


def _copy_files(keys: list[str], source: LocalFiles, target: LocalFiles) -> tuple[int, int]:
    """Copy the files of ``keys`` that ``target`` lacks from ``source``: ``(copied, missing from source)``."""
    copied = missing = 0
    for key in keys:
        there = target.path(key)
        if there.exists():
            continue
        if not source.path(key).exists():
            missing += 1
            continue
        try:
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.path(key), there.with_name(f".{key}.partial"))
            os.replace(there.with_name(f".{key}.partial"), there)
        except OSError as exc:
            raise ConfigError(f"cannot copy the file {key[:12]}… to {target.root}: {exc.strerror or exc}; "
                              "free some space or pick another place") from None
        copied += 1
    return copied, missing


def _not_copied(exc: Exception, source: Path, path: Path) -> OwnitError:
    """Why a backup could not be written, as one line; nothing is left at ``path``."""
    text = str(exc) if isinstance(exc, sqlite3.Error) else (exc.strerror or str(exc))
    if "full" in text.lower() or "no space" in text.lower():
        return ConfigError(f"cannot back up to {path}: the disk is full ({text}); nothing was written; "
                           "free some space or back up to another disk")
    if "not a database" in text.lower() or "malformed" in text.lower():
        return ConfigError(f"{source} is not an OwnIt database ({text}); nothing to back up")
    return ConfigError(f"cannot back up to {path}: {text}; nothing was written")


def check(path: Path) -> dict[str, Any]:
    """Prove a copy usable, read-only: integrity, a known schema revision, and
    every request with one existing owner and its raising on the timeline."""
    from .db import head_revision, known_revisions

    if not _looked_up(path, Path.is_file):
        raise ValidationError(f"no backup file at {path}")
    try:
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in copy.execute("select name from sqlite_master where type = 'table'")}
            if "alembic_version" not in tables or "request" not in tables:
                raise ValidationError(f"{path} is not an OwnIt database (no OwnIt tables in it)")
            revision = copy.execute("select version_num from alembic_version").fetchone()
            requests = copy.execute("select count(*) from request").fetchone()[0]
            events = copy.execute("select count(*) from event").fetchone()[0]
            ownerless = copy.execute("select count(*) from request r left join person p on p.id = r.owner_id "
                                     "where p.id is null").fetchone()[0]
            unraised = copy.execute("select count(*) from request r where not exists (select 1 from event e "
                                    "where e.request_id = r.id and e.kind = 'raised')").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{path} is not a readable SQLite database: {exc}") from None
    revision = revision[0] if revision else None
    problems = []
    if integrity != "ok":
        problems.append(f"integrity check says: {integrity}")
    if revision not in known_revisions():
        problems.append(f"schema revision {revision!r} is unknown to this OwnIt")
    if ownerless:
        problems.append(f"{ownerless} requests have no existing owner")
    if unraised:
        problems.append(f"{unraised} requests have no 'raised' event")
    if problems:
        raise ValidationError(f"{path} fails its check: " + "; ".join(problems))
    return {"path": str(path), "requests": requests, "events": events, "revision": revision,
            "current": revision == head_revision()}


def is_sqlite(path: Path) -> bool:
    """Whether the file at ``path`` starts as a SQLite database does."""
    try:
        with open(path, "rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def holds_ownit(path: Path) -> bool:
    """Whether ``path`` is a SQLite database with OwnIt's tables in it."""
    if not is_sqlite(path):
        return False
    live = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in live.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    finally:
        live.close()
    return {"alembic_version", "request"} <= tables


def ready_to_restore(url: str, path: Path, *, replace: bool = False) -> tuple[dict[str, Any], Path]:
    """The checked copy and the database file it goes to, once it is sure
    nothing is lost by putting it there: a file that holds requests, or that
    is not an OwnIt database at all, is overwritten only with ``replace``."""
    checked = check(path)
    target_path = sqlite_path(url)
    if replace or not target_path.exists() or target_path.stat().st_size == 0:
        return checked, target_path
    if not holds_ownit(target_path):
        raise ValidationError(f"{target_path} is not an OwnIt database; pass --replace to overwrite it "
                              "(a copy of it is kept next to it first)")
    live = sqlite3.connect(f"file:{target_path}?mode=ro", uri=True)
    try:
        held = live.execute("select count(*) from request").fetchone()[0]
    finally:
        live.close()
    if held:
        raise ValidationError(f"the database at {target_path} holds {held} requests; pass --replace to "
                              "overwrite them with the backup (a copy of it is kept next to it first)")
    return checked, target_path


def restore(url: str, path: Path, *, replace: bool = False, checked: tuple[dict[str, Any], Path] | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Check the copy at ``path`` (unless ``checked`` by :func:`ready_to_restore`
    already), then put it in place of the database at ``url`` (which must be
    empty unless ``replace``) and upgrade it."""
    from .db import upgrade

    copy, target_path = checked or ready_to_restore(url, path, replace=replace)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        _copy(source, target, progress)
    finally:
        target.close()
        source.close()
    copied, missing = _copy_files(_file_keys(path), files_beside(path), LocalFiles(folder_for(url)))
    upgrade(url)
    return {**copy, "restored_to": str(target_path), "files": copied, "files_missing": missing}
