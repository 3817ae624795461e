"""Raising requests through ownit.service, against the physical limit.

    python bench/raise_requests.py [--n 1000000] [--raises 20000] [--db URL]

Into a database that already holds N requests, R raises go through
``ownit.service.raise_request`` one transaction each (validate, route, choose
the owner, set the promise, insert the request and its events), single
process, after a warm-up of 200 raises that are not timed (a desk is a
long-lived process: its first raise reads the organisation, builds the
calendars and compiles the statements). The same-run baseline does the same rows with the standard library's
``sqlite3`` directly: one transaction per request inserting the request row and
its two events, WAL and synchronous=NORMAL, on a copy of the same file and
indexes. The ratio of the two is the figure to track.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from _common import NOW, arguments, copy_of, filled, report

from ownit import service

REQUESTERS = ["amira.khan@example.com", "tom.hughes@example.com", "grace.okafor@example.com",
              "noah.clarke@example.com", "isla.fraser@example.com", "ben.carter@example.com"]
LEAK = {"location": "stockroom", "near_electrics": "no"}


WARM_UP = 200


def through_ownit(desk, raises: int) -> float:
    for i in range(WARM_UP):
        service.raise_request(desk, actor=REQUESTERS[i % len(REQUESTERS)], request_type="facilities.leak",
                              title=f"warm-up leak {i}", fields=LEAK)
    started = time.perf_counter()
    for i in range(raises):
        service.raise_request(desk, actor=REQUESTERS[i % len(REQUESTERS)], request_type="facilities.leak",
                              title=f"bench leak {i}", fields=LEAK)
    return raises / (time.perf_counter() - started)


def through_sqlite3(path: Path, raises: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    at = NOW.replace(tzinfo=None).isoformat(" ")
    started = time.perf_counter()
    for i in range(raises):
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "INSERT INTO request (ref, department, request_type, title, detail, fields, requester_id, site_id, "
            "team_id, owner_id, stage, status, priority, needs_agreement, raised_at, first_contact_due, "
            "resolve_by, next_due, stage_due, updated_at, version) "
            "VALUES (?, 'facilities', 'facilities.leak', ?, '', '{}', 1, 1, 1, 8, 'reported', 'open', 'high', 0, "
            "?, ?, ?, ?, '{}', ?, 1)", (f"RAW-{i}", f"bench leak {i}", at, at, at, at, at))
        for kind in ("raised", "assigned"):
            db.execute("INSERT INTO event (request_id, at, kind, actor_id, note, data, internal) "
                       "VALUES (?, ?, ?, 1, '', '{}', 0)", (cursor.lastrowid, at, kind))
        db.execute("COMMIT")
    rate = raises / (time.perf_counter() - started)
    db.close()
    return rate


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000, raises=(2_000, "raises timed per run"))
    rows, notes = [], []
    ownit_rates, raw_rates = [], []
    for _ in range(args.repeat):
        desk = filled(args.n, args.db)
        ownit_rates.append(through_ownit(desk, args.raises))
        if desk.url.startswith("sqlite"):
            raw_rates.append(through_sqlite3(copy_of(args.n), args.raises))
        if args.db:
            break  # a given database is filled once
    rows.append((f"raises through ownit.service ({args.raises:,} per run)", ownit_rates, "/s"))
    if raw_rates:
        rows.append(("the same rows with sqlite3 directly", raw_rates, "/s"))
        ratio = sorted(ownit_rates)[len(ownit_rates) // 2] / sorted(raw_rates)[len(raw_rates) // 2]
        notes.append(f"ratio to raw sqlite3: {ratio:.3f} (target: 2,500 raises/s; not done below 1,500)")
    report("Raising requests", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
