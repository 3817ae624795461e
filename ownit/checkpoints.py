"""SQLite's write-ahead-log checkpoints, off the request path.

By SQLite's default, the commit that takes the write-ahead log past a
thousand pages also copies them back into the database file, with its fsyncs,
before it returns: on the benchmark machine that was over half of an average
raise's commit (docs/benchmarks.md). So for OwnIt's SQLite engines one thread
per process does the copying instead: a few times a second, for each database
that has been written since, it runs a passive checkpoint, which neither waits
for nor holds up any reader or writer. Every connection keeps SQLite's own
checkpoint as a backstop at ``BACKSTOP_PAGES`` (40 MB of log), for a process
whose thread falls behind. What is durable, and when, is unchanged: a commit
is in the log either way, and a checkpoint copies only committed pages.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

BACKSTOP_PAGES = 10_000  # SQLite checkpoints in the committing connection only past this many pages of log
INTERVAL = 0.1  # seconds between looks at each database's log
IDLE_CLOSE = 5.0  # seconds without writes before the thread lets go of a database's file


@dataclass
class _Watched:
    path: str
    owner: Any  # a weak reference to what the checkpoints are for (the engine): none once it is gone
    stamp: tuple[int, int] | None = None  # the log's size and modification time at the last look
    changed: float = 0.0
    connection: sqlite3.Connection | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except sqlite3.Error:
                pass
            self.connection = None


_lock = threading.Lock()
_watched: dict[str, _Watched] = {}
_thread: threading.Thread | None = None


def watch(path: str, owner: object) -> None:
    """Checkpoint the SQLite database at ``path`` in the background for as
    long as ``owner`` (its engine) lives."""
    global _thread
    with _lock:
        previous = _watched.get(path)
        if previous is not None and previous.owner() is owner:
            return
        _watched[path] = _Watched(path, weakref.ref(owner))
        if _thread is None:
            _thread = threading.Thread(target=_run, name="ownit-checkpoints", daemon=True)
            _thread.start()


def _run() -> None:
    while True:
        time.sleep(INTERVAL)
        with _lock:
            watched = list(_watched.values())
        for item in watched:
            if not _tend(item):
                item.close()
                with _lock:
                    if _watched.get(item.path) is item:
                        del _watched[item.path]


def _tend(item: _Watched) -> bool:
    """One look at a database: checkpoint it if its log changed. ``False``
    when it is no longer to be watched (its engine is gone)."""
    if item.owner() is None:
        return False
    try:
        status = os.stat(f"{item.path}-wal")
    except OSError:  # no log: nothing written since the last connection closed
        item.close()
        return True
    stamp = (status.st_size, status.st_mtime_ns)
    now = time.monotonic()
    if stamp == item.stamp:
        if item.connection is not None and now - item.changed > IDLE_CLOSE:
            item.close()
        return True
    item.stamp, item.changed = stamp, now
    try:
        if item.connection is None:
            item.connection = sqlite3.connect(item.path, timeout=0, isolation_level=None, check_same_thread=False)
        item.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:  # busy with another checkpoint, or the file went: the next look tries again
        item.close()
        item.stamp = None
    return True


__all__ = ["watch", "BACKSTOP_PAGES"]
