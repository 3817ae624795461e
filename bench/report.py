"""How long the service-health report takes at scale.

    python bench/report.py [--n 100000] [--db URL] [--repeat 5]

Fills a fresh database (a SQLite file by default) with the demo organisation
and N closed or open requests spread over a year, with their timeline events
and ratings written in bulk (history is not what is measured), then times
``ownit.service.report`` for one department over a quarter, as a lead would
run it, and the same period's main count with the standard library's sqlite3
directly, the floor on this machine. Prints median/min/max over the runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ownit import service  # noqa: E402
from ownit.clock import FixedClock  # noqa: E402
from ownit.demo import ORG_FILE  # noqa: E402
from ownit.desk import Desk  # noqa: E402
from ownit.models import Event, Feedback, Person, Request, Site, Team, TeamMember  # noqa: E402
from ownit.org import load_org  # noqa: E402

NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
TYPES = {"facilities": ("facilities.leak", "facilities.fixture", "facilities.heating"), "it": ("it.broken_kit",)}


def fill(desk: Desk, n: int, rng: random.Random) -> None:
    """N requests over the past year with their events and ratings, in bulk."""
    with desk.engine.connect() as connection:
        sites = connection.execute(sa.select(Site.id, Site.region)).all()
        teams = connection.execute(sa.select(Team.id, Team.department, Team.regions, Team.lead_id)).all()
        requesters = connection.execute(sa.select(Person.id, Person.site_id).where(Person.site_id.is_not(None))).all()
        members: dict[int, list[int]] = {}
        for team_id, person_id in connection.execute(sa.select(TeamMember.team_id, TeamMember.person_id)):
            members.setdefault(team_id, []).append(person_id)
    batch, events, ratings = [], [], []
    refs = {"facilities": 100_000, "it": 100_000}

    def flush() -> None:
        with desk.engine.begin() as connection:
            ids = connection.execute(sa.insert(Request).returning(Request.id), batch).scalars().all()
            for request_id, (req_events, rating) in zip(ids, pending, strict=True):
                events.extend({**e, "request_id": request_id} for e in req_events)
                if rating:
                    ratings.append({**rating, "request_id": request_id})
            connection.execute(sa.insert(Event), events)
            if ratings:
                connection.execute(sa.insert(Feedback), ratings)
        batch.clear(), events.clear(), ratings.clear(), pending.clear()

    pending: list = []
    for i in range(n):
        department = "facilities" if rng.random() < 0.7 else "it"
        requester, site_id = rng.choice(requesters)
        region = next(r for s, r in sites if s == site_id)
        team_id, _, _, lead = next(t for t in teams if t[1] == department and (not t[2] or region in t[2]))
        owner = rng.choice(members.get(team_id) or [lead])
        raised = NOW - timedelta(days=rng.uniform(0, 365))
        contact = raised + timedelta(hours=rng.uniform(0.2, 8))
        resolved = raised + timedelta(days=rng.uniform(0.5, 9))
        done = resolved < NOW - timedelta(hours=1)
        refs[department] += 1
        batch.append(dict(
            ref=f"{'FAC' if department == 'facilities' else 'IT'}-{refs[department]}", department=department,
            request_type=rng.choice(TYPES[department]), title="Bench request", requester_id=requester,
            site_id=site_id, team_id=team_id, owner_id=owner, stage="verified" if done else "assessed",
            status="closed" if done else "open", priority="normal", raised_at=raised,
            first_contact_due=raised + timedelta(hours=4), first_contact_at=min(contact, NOW),
            resolve_by=raised + timedelta(days=5), resolved_at=resolved if done else None,
            closed_at=resolved + timedelta(days=1) if done else None, updated_at=NOW, version=1,
            fields={}, stage_due={}, detail=""))
        req_events = [dict(at=raised, kind="raised", data={}), dict(at=raised, kind="assigned", data={}),
                      dict(at=contact, kind="contacted", data={"on_time": contact <= raised + timedelta(hours=4),
                                                               "business_hours": (contact - raised).seconds / 3600})]
        req_events += [dict(at=contact + timedelta(days=d), kind="checkin", data={"on_time": rng.random() < 0.85})
                       for d in range(1, int((resolved - raised).days))]
        rating = None
        if done:
            days = (resolved - raised).total_seconds() / 86400
            req_events.append(dict(at=resolved, kind="resolved", data={
                "on_time": days <= 5, "business_days": days * 0.7, "business_hours": days * 7,
                "waiting_hours": rng.choice((0, 0, 0, 2.5)), "checkin_missed": rng.random() < 0.1}))
            if rng.random() < 0.6:
                rating = dict(person_id=requester, at=resolved + timedelta(hours=3), nps=rng.randint(0, 10),
                              effort=rng.randint(1, 7), comment="")
        pending.append(([{**e, "actor_id": owner, "note": "", "internal": False} for e in req_events], rating))
        if len(batch) == 2000:
            flush()
            print(f"\r  filled {i + 1:,} of {n:,}", end="", file=sys.stderr)
    if batch:
        flush()
    print(file=sys.stderr)


def timed(work, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="requests in the database")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='ownit-bench-')}/bench.db"
    service.init(url)
    desk = Desk.open(url, clock=FixedClock(NOW))
    load_org(desk, ORG_FILE)
    started = time.perf_counter()
    fill(desk, args.n, random.Random(8))
    filled = time.perf_counter() - started
    since, until = NOW - timedelta(days=91), NOW
    lead = "helen.price@example.com"
    report = timed(lambda: service.report(desk, actor=lead, department="facilities", since=since, until=until), args.repeat)
    by_owner = timed(lambda: service.report(desk, actor=lead, department="facilities", since=since, until=until,
                                            by="owner"), args.repeat)
    rows = [("report, facilities, one quarter", report), ("the same --by owner", by_owner)]
    if url.startswith("sqlite:///"):
        import sqlite3

        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        query = ("select count(*), sum(json_extract(e.data, '$.on_time')) from event e join request r "
                 "on r.id = e.request_id where e.kind = 'resolved' and e.at >= ? and e.at < ? and r.department = ?")
        floor = timed(lambda: raw.execute(query, (since.isoformat(" "), until.isoformat(" "), "facilities")).fetchall(),
                      args.repeat)
        rows.append(("raw sqlite3: one of its counts", floor))
    print(f"OwnIt service-health report — {args.n:,} requests ({filled:.0f} s to fill), "
          f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SQLAlchemy {version('sqlalchemy')}, ownit {version('ownit')}")
    print(f"{'what':40} {'median':>9} {'min':>9} {'max':>9}")
    for name, times in rows:
        print(f"{name:40} {statistics.median(times) * 1000:8.0f}ms {min(times) * 1000:8.0f}ms "
              f"{max(times) * 1000:8.0f}ms")
    if len(rows) == 3:
        print(f"ratio of the report to the raw count: {statistics.median(report) / statistics.median(rows[2][1]):.1f}×")
    if statistics.median(report) >= 2:
        print("over the 2 s target", file=sys.stderr)


if __name__ == "__main__":
    main()
