"""The service-health report at scale.

    python bench/report.py [--n 1000000] [--db URL]

With N requests over the past year in the database, times the report a lead
runs: one department over a quarter through ``ownit.service.report`` (headline,
previous quarter, every owner, twelve weeks of every team), and the same with
``--by owner``. The first report on a fresh copy counts every finished day it
covers into the day tallies (``ownit.tallies``) and is timed on its own; the
repeated runs read them, as every later report does until a day's counts
change. Beside them, one of the report's counts (the quarter's resolutions and
how many were on time) straight from the measures with the standard library's
``sqlite3`` on the same file and indexes: what a single pass over the quarter
costs.
"""

from __future__ import annotations

import sqlite3
import statistics
from datetime import timedelta

from _common import NOW, arguments, filled, report, timed

from ownit import service

LEAD = "helen.price@example.com"


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    since, until = NOW - timedelta(days=91), NOW
    run = lambda by=None: service.report(desk, actor=LEAD, department="facilities", since=since,  # noqa: E731
                                         until=until, by=by)
    first = timed(run, 1)  # counts the finished days into tallies
    rows = [("first report on a fresh copy (counts the days into tallies)", first, "ms"),
            ("report: facilities, one quarter", timed(run, args.repeat), "ms"),
            ("the same --by owner", timed(lambda: run("owner"), args.repeat), "ms")]
    notes = []
    if desk.url.startswith("sqlite"):
        raw = sqlite3.connect(desk.url.removeprefix("sqlite:///"))
        query = ("SELECT count(*), sum(on_time) FROM measure "
                 "WHERE kind = 'resolved' AND at >= ? AND at < ? AND department = ?")
        bounds = (since.replace(tzinfo=None).isoformat(" "), until.replace(tzinfo=None).isoformat(" "), "facilities")
        floor = timed(lambda: raw.execute(query, bounds).fetchall(), args.repeat)
        rows.append(("one of its passes with sqlite3 directly", floor, "ms"))
        notes.append(f"ratio to the raw pass: {statistics.median(rows[1][1]) / statistics.median(floor):.2f}× "
                     "(the whole report, from tallies, against one count over the quarter's measures)")
    notes.append("targets: under 2 s at 100,000 requests (issue 6), 1 s at 1,000,000 (issue 8)")
    report("Service-health report", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
