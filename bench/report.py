"""The service-health report at scale.

    python bench/report.py [--n 1000000] [--db URL]

With N requests over the past year in the database, times the report a lead
runs: one department over a quarter through ``ownit.service.report`` (headline,
previous quarter, every owner, twelve weeks of every team), and the same with
``--by owner``. The first report on a fresh copy counts every finished day it
covers into the day tallies (``ownit.tallies``) and is timed on its own; the
repeated runs read them, as every later report does until a day's counts
change; then the report after a hundred hand-offs, each of which moves its
request's contact and check-ins to the new owner and so makes their days
stale. Beside them, one of the report's counts (the quarter's resolutions and
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
HAND_OFFS = 100  # a busy morning: each moves its request's contact and check-ins, making their days stale


def hand_offs(desk, count: int) -> None:
    """``count`` open facilities requests handed by their team's lead to
    another member, through the service, as a lead reassigning work does."""
    import random

    import sqlalchemy as sa

    from ownit.models import Person, Request, Team, TeamMember

    with desk.engine.connect() as connection:
        email = dict(connection.execute(sa.select(Person.id, Person.email)).all())
        members: dict[int, list[int]] = {}
        for team_id, person_id in connection.execute(sa.select(TeamMember.team_id, TeamMember.person_id)):
            members.setdefault(team_id, []).append(person_id)
        leads = dict(connection.execute(sa.select(Team.id, Team.lead_id)).all())
        open_ones = connection.execute(sa.select(Request.ref, Request.team_id, Request.owner_id).where(
            Request.department == "facilities", Request.status == "open")).all()
    rng = random.Random(len(open_ones))
    for ref, team_id, owner_id in rng.sample(open_ones, count):
        others = [m for m in members.get(team_id, []) if m != owner_id]
        if others:
            service.hand_off(desk, ref, actor=email[leads[team_id]], to=email[rng.choice(others)], note="bench")


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    since, until = NOW - timedelta(days=91), NOW
    run = lambda by=None: service.report(desk, actor=LEAD, department="facilities", since=since,  # noqa: E731
                                         until=until, by=by)
    first = timed(run, 1)  # counts the finished days into tallies
    rows = [("first report: counts the days, once", first, "ms"),
            ("report: facilities, one quarter", timed(run, args.repeat), "ms"),
            ("the same --by owner", timed(lambda: run("owner"), args.repeat), "ms")]
    after = []
    for _ in range(args.repeat):
        hand_offs(desk, HAND_OFFS)
        after.append(timed(run, 1)[0])
    rows.append((f"after {HAND_OFFS} hand-offs (their days counted again)", after, "ms"))
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
