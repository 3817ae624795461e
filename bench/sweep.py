"""The escalation sweep at scale.

    python bench/sweep.py [--n 1000000] [--db URL]

With N requests in the database (a tenth open), sweeps once to settle what
was already overdue, moves the clock so that about 2% of the open requests
have just become overdue, then times one ``ownit.service.sweep``. One more run
on a fresh copy measures the peak memory it took (tracemalloc, which slows
Python down, so that run is not timed): the sweep reads candidate ids only and
handles them a batch per transaction, so memory should stay flat as N grows.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from _common import NOW, arguments, filled, report

from ownit import service
from ownit.clock import FixedClock
from ownit.models import Request


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    times, peaks, counts = [], [], []
    for run in range(min(args.repeat, 3) + 1):  # the last run measures memory only (tracemalloc slows Python down)
        desk = filled(args.n, args.db)
        with desk.engine.connect() as connection:
            dues = connection.execute(sa.select(Request.next_due).where(Request.status == "open",
                                                                         Request.next_due.is_not(None))
                                      .order_by(Request.next_due)).scalars().all()
        overdue_before = sum(d < NOW.replace(tzinfo=None) if d.tzinfo is None else d < NOW for d in dues)
        target = dues[min(len(dues) - 1, overdue_before + max(1, len(dues) // 50))]
        moment = max(NOW, target if target.tzinfo else target.replace(tzinfo=NOW.tzinfo)) + timedelta(seconds=1)
        service.sweep(desk)  # settle what was already overdue, as the sweep every few minutes would have
        sim = replace(desk, clock=FixedClock(moment))
        if run < min(args.repeat, 3) and not (args.db and times):
            started = time.perf_counter()
            result = service.sweep(sim)
            times.append(time.perf_counter() - started)
            counts.append(result["looked_at"])
            continue
        tracemalloc.start()
        service.sweep(sim)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        break
    report("Escalation sweep", desk, args.n,
           [(f"one sweep ({counts[0]:,} requests looked at)", times, "ms"),
            ("its peak memory", peaks, "MB")],
           ["target: 2 s with 2% of the open requests newly overdue, memory flat"])


if __name__ == "__main__":
    main()
