"""Agents checking in at once on PostgreSQL, from 1, 2 and 4 processes.

    python bench/pg_checkins.py --db postgresql://postgres@127.0.0.1:5432/test [--n 100000] [--seconds 10]

Fills the database (N requests, a tenth open), contacts the open requests of
the busiest owners once, then has each process check in on its own share of
them through ``ownit.service.check_in`` for a fixed time. Prints check-ins
per second for each process count and every error (there should be none).
"""

from __future__ import annotations

import multiprocessing
import sys
import time

import sqlalchemy as sa
from _common import NOW, arguments, desk_for, filled, report

from ownit import service
from ownit.models import Person, Request


def _work(url: str, refs: list[tuple[str, str]], seconds: float, queue: multiprocessing.Queue) -> None:
    desk = desk_for(url)
    service.show(desk, refs[0][0], actor=refs[0][1])  # warm: plugins loaded, statements compiled
    done, errors, started = 0, [], time.perf_counter()
    while time.perf_counter() - started < seconds:
        ref, owner = refs[done % len(refs)]
        try:
            service.check_in(desk, ref, actor=owner, note="still on it")
        except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
            errors.append(repr(exc))
        done += 1
    queue.put((done, time.perf_counter() - started, errors))


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000, seconds=(10.0, "seconds each process checks in"))
    if not args.db or not args.db.startswith("postgresql"):
        sys.exit("give --db postgresql://...: this benchmark is about PostgreSQL")
    desk = filled(args.n, args.db)
    with desk.engine.connect() as connection:
        rows = connection.execute(sa.select(Request.ref, Person.email).join(Person, Person.id == Request.owner_id)
                                  .where(Request.status == "open", Request.first_contact_at.is_not(None))
                                  .order_by(Request.id).limit(4000)).all()
    refs = [(ref, email) for ref, email in rows]
    rates, all_errors = [], []
    for processes in (1, 2, 4):
        queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        workers = [multiprocessing.get_context("spawn").Process(
            target=_work, args=(desk.url, refs[i::processes], args.seconds, queue)) for i in range(processes)]
        for worker in workers:
            worker.start()
        results = [queue.get(timeout=args.seconds + 120) for _ in workers]
        for worker in workers:
            worker.join()
        total = sum(done for done, _, _ in results)
        errors = [e for _, _, errs in results for e in errs]
        all_errors += errors
        rates.append((f"{processes} process{'es' if processes > 1 else ''}: check-ins per second",
                      [total / max(seconds for _, seconds, _ in results)], "/s"))
    report(f"Concurrent check-ins, {NOW:%Y-%m-%d}", desk, args.n, rates,
           [f"errors: {len(all_errors)}"] + all_errors[:5])


if __name__ == "__main__":
    main()
