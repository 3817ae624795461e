"""SQLite's write-ahead-log checkpoints, off the request path.

By SQLite's default, the commit that takes the write-ahead log past a
thousand pages also copies them back into the database file, with its fsyncs,
before it returns: on the benchmark machine that was over half of an average
raise's commit (docs/benchmarks.md). So for OwnIt's SQLite engines one thread
per process does the copying instead: a few times a second, for each database
that has been written since, it opens a connection, runs a passive checkpoint
(which neither waits for nor holds up any reader or writer) and closes it
again, so it never keeps a database open. Every connection keeps SQLite's own
checkpoint as a backstop at ``BACKSTOP_PAGES`` (40 MB of log), for a process
whose thread falls behind. What is durable, and when, is unchanged: a commit
is in the log either way, and a checkpoint copies only committed pages.

A database is watched from its engine's first connection until the engine
is disposed of (or dropped): :func:`forget` waits for a checkpoint under way,
so once an engine is disposed of, nothing of OwnIt's has the file open.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BACKSTOP_PAGES = 10_000  # SQLite checkpoints in the committing connection only past this many pages of log
INTERVAL = 0.1  # seconds between looks at each database's log


@dataclass
class _Watched:
    path: str
    owner: Any  # a weak reference to what the checkpoints are for (the engine): none once it is gone
    stamp: tuple[int, int] | None = None  # the log's size and modification time at the last checkpoint
    busy: threading.Lock = field(default_factory=threading.Lock, repr=False)  # held during a checkpoint
    forgotten: bool = False


_lock = threading.Lock()
_watched: dict[str, _Watched] = {}
_thread: threading.Thread | None = None


def watch(path: str, owner: object) -> None:
    """Checkpoint the SQLite database at ``path`` in the background for as
    long as ``owner`` (its engine) lives, or until :func:`forget`."""
    global _thread
    with _lock:
        present = _watched.get(path)
        if present is not None and present.owner() is owner:
            return
        _watched[path] = _Watched(path, weakref.ref(owner))
        if _thread is None:
            _thread = threading.Thread(target=_run, name="ownit-checkpoints", daemon=True)
            _thread.start()


def forget(path: str) -> None:
    """Stop checkpointing ``path``, once any checkpoint under way has ended."""
    with _lock:
        item = _watched.pop(path, None)
    if item is not None:
        with item.busy:
            item.forgotten = True


def _run() -> None:
    while True:
        time.sleep(INTERVAL)
        with _lock:
            watched = list(_watched.values())
        for item in watched:
            if item.owner() is None:  # its engine is gone
                with _lock:
                    if _watched.get(item.path) is item:
                        del _watched[item.path]
                continue
            _tend(item)


def _tend(item: _Watched) -> None:
    """One look at a database: checkpoint it if its log changed since."""
    try:
        status = os.stat(f"{item.path}-wal")
    except OSError:  # no log: nothing written since the last connection closed
        return
    stamp = (status.st_size, status.st_mtime_ns)
    if stamp == item.stamp:
        return
    with item.busy:
        if item.forgotten:
            return
        try:
            # mode=rw: a file removed meanwhile is not made again, empty
            connection = sqlite3.connect(f"{Path(item.path).as_uri()}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                connection.close()
            item.stamp = stamp
        except sqlite3.Error:  # busy with another checkpoint, or the file went: the next look tries again
            pass


__all__ = ["watch", "forget", "BACKSTOP_PAGES", "INTERVAL"]
