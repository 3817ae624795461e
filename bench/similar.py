"""The duplicate hint while raising, and "At my site".

    python bench/similar.py [--n 1000000] [--db URL]

With N requests in the database (a tenth open), times, for a requester at the
busiest site: ``ownit.service.similar_open`` on the type with the most open
requests there (the raise page's hint, read each time the type is chosen),
and the same two queries (one a status) with the standard library's
``sqlite3`` on the same file and index; the hint as if that type were
site-wide (its region's sites after the requester's own: it fills up from
the region only when the site has fewer than five); and
``ownit.service.site_requests`` (the "At my site" list).
Target: a few milliseconds at 1M requests.
"""

from __future__ import annotations

import dataclasses
import sqlite3

from pathlib import Path

from _common import arguments, filled, report, scratch, timed

from ownit import service
from ownit.demo import ORG_FILE
from ownit.models import Person, Request, Site
from ownit.org import load_org

NEW_MANAGER = "new.manager@example.com"
NEW_STORE = f"""
[[site]]
code = "S999"
name = "A new store"
region = "{{region}}"
timezone = "Europe/London"

[[person]]
email = "{NEW_MANAGER}"
name = "New Manager"
title = "Store manager"
site = "S999"
roles = ["requester"]
"""


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
    # the same type as if it were site-wide (RequestType.site_wide), for a manager at a new store of the region
    # (nothing raised there yet: the whole hint comes from the region's other sites, a seek per site and status)
    with desk.engine.connect() as connection:
        region = connection.execute(sa.select(Site.region).where(Site.id == site_id)).scalar_one()
        sites, open_there = connection.execute(
            sa.select(sa.func.count(sa.distinct(Request.site_id)), sa.func.count()).join(Site)
            .where(active, Site.region == region, Request.request_type == request_type)).one()
    org = scratch() / "org.toml"
    org.write_text(Path(ORG_FILE).read_text(encoding="utf-8") + NEW_STORE.format(region=region), encoding="utf-8")
    load_org(desk, org)
    plugins = desk.plugins.request_types
    plugins[request_type] = dataclasses.replace(plugins[request_type], site_wide=True)
    regional = lambda: service.similar_open(desk, actor=NEW_MANAGER, request_type=request_type)  # noqa: E731
    assert len(regional()) == 5
    rows.append((f"similar_open as if site-wide, at a new store: {sites} sites of the region "
                 f"({open_there:,} open)", timed(regional, runs), "ms"))
    service.site_requests(desk, actor=email)
    rows.append(("site_requests: At my site, 50 a page", timed(lambda: service.site_requests(desk, actor=email), runs),
                 "ms"))
    notes.append("target: a few milliseconds at 1M requests")
    report("The duplicate hint while raising", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
