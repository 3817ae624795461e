"""Raises from another process while the heaviest report runs.

    python bench/raise_during_report.py [--n 100000] [--db URL]

The heaviest report is the longest period OwnIt allows (two years, so four
with the period before it) with no day counted yet: every day it covers is
counted into tallies first. Meanwhile a second process raises requests one
after another through ``ownit.service.raise_request`` and times each; the
same process's raises with no report running are the baseline. The figures
to track are the raises' p99 and worst while the report runs.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa
from _common import NOW, arguments, desk_for, filled, report

from ownit import service
from ownit.models import Tally, TallyDay

LEAK = {"location": "stockroom", "near_electrics": "no"}
REQUESTERS = ["amira.khan@example.com", "tom.hughes@example.com", "grace.okafor@example.com"]


def raising(url: str, stop: "multiprocessing.synchronize.Event", out: "multiprocessing.Queue") -> None:
    """Raise one request after another until ``stop``; put each raise's seconds on ``out``."""
    desk = desk_for(url)
    for i in range(50):  # warm: the organisation read, the statements compiled
        service.raise_request(desk, actor=REQUESTERS[i % 3], request_type="facilities.leak", title="warm", fields=LEAK)
    out.put("ready")
    times = []
    i = 0
    while not stop.is_set():
        started = time.perf_counter()
        service.raise_request(desk, actor=REQUESTERS[i % 3], request_type="facilities.leak",
                              title=f"bench leak {i}", fields=LEAK)
        times.append(time.perf_counter() - started)
        i += 1
        time.sleep(0.002)  # a busy desk, not a flood: others get their turn
    out.put(times)


def raises_while(url: str, work) -> tuple[list[float], float]:
    """The raise times of another process while ``work`` runs, and ``work``'s seconds."""
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    child = context.Process(target=raising, args=(url, stop, out))
    child.start()
    assert out.get() == "ready"
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    stop.set()
    times = out.get()
    child.join()
    return times, took


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    lead = "helen.price@example.com"
    since = NOW - timedelta(days=service.MAX_REPORT_DAYS)

    def forget_tallies() -> None:
        with desk.engine.begin() as connection:
            connection.execute(sa.delete(TallyDay.__table__))
            connection.execute(sa.delete(Tally.__table__))

    forget_tallies()
    baseline, _ = raises_while(desk.url, lambda: time.sleep(5))
    during, took = raises_while(desk.url, lambda: service.report(desk, actor=lead, since=since, until=NOW))
    rows = [("raise, nothing else running", baseline, "ms"), ("raise, while the report counts", during, "ms"),
            ("the report (two years, nothing counted yet)", [took], "s")]
    notes = [f"raises: {len(baseline)} alone, {len(during)} during the report; p99 alone "
             f"{percentile(baseline, 0.99) * 1000:.1f} ms, during {percentile(during, 0.99) * 1000:.1f} ms "
             f"(worst {max(during) * 1000:.1f} ms)"]
    report("A raise while the heaviest report runs", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
