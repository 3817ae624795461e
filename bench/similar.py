"""The duplicate hint while raising, and "At my site".

    python bench/similar.py [--n 1000000] [--db URL]

With N requests in the database (a tenth open), times, for a requester at the
busiest site: ``ownit.service.similar_open`` on the type with the most open
requests there (the raise page's hint, read each time the type is chosen),
and the same two queries (one a status) with the standard library's
``sqlite3`` on the same file and index; and ``ownit.service.site_requests`` (the "At my site" list).
Target: a few milliseconds at 1M requests.
"""

from __future__ import annotations

import sqlite3

from _common import arguments, filled, report, timed

from ownit import service
from ownit.models import Person, Request


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    import sqlalchemy as sa

    active = Request.status.in_(("open", "waiting"))
    with desk.engine.connect() as connection:
        site_id, request_type, open_count = connection.execute(
            sa.select(Request.site_id, Request.request_type, sa.func.count()).where(active)
            .group_by(Request.site_id, Request.request_type).order_by(sa.func.count().desc()).limit(1)).one()
        requester_id, email = connection.execute(sa.select(Person.id, Person.email).where(Person.site_id == site_id)
                                                 .order_by(Person.id).limit(1)).one()
    hint = lambda: service.similar_open(desk, actor=email, request_type=request_type)  # noqa: E731
    hint()  # warm: plugins loaded, statements compiled
    runs = max(args.repeat, 50)
    rows = [(f"similar_open: {request_type} ({open_count:,} open there)", timed(hint, runs), "ms")]
    notes = []
    if desk.url.startswith("sqlite"):
        raw = sqlite3.connect(desk.url.removeprefix("sqlite:///"))
        query = ("SELECT raised_at, id FROM request WHERE site_id = ? AND request_type = ? AND status = ? "
                 "AND requester_id != ? ORDER BY raised_at DESC, id DESC LIMIT 5")  # the service's, once a status
        values = (site_id, request_type, "open", requester_id)
        plan = " ".join(row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + query, values))
        floor = timed(lambda: [raw.execute(query, (*values[:2], status, requester_id)).fetchall()
                               for status in ("open", "waiting")], runs)
        rows.append(("the same query with sqlite3 directly", floor, "ms"))
        notes.append(f"plan: {plan}")
    service.site_requests(desk, actor=email)
    rows.append(("site_requests: At my site, 50 a page", timed(lambda: service.site_requests(desk, actor=email), runs),
                 "ms"))
    notes.append("target: a few milliseconds at 1M requests")
    report("The duplicate hint while raising", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
