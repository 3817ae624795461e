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
stale. Beside them, the quarter's headline alone counted straight from the
measures and ratings with the standard library's ``sqlite3`` on the same file
and indexes: what the report would cost at the least without tallies.
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


def headline_directly(db: sqlite3.Connection, since: str, until: str) -> dict:
    """The quarter's headline for facilities counted from the measures and
    ratings with ``sqlite3``, on the same indexes: each figure's one pass, the
    values for the medians fetched and sorted in Python."""
    where = "department = 'facilities' AND at >= ? AND at < ?"
    figures = {}
    for kind in ("contacted", "checkin", "resolved", "reopened"):
        figures[kind] = db.execute(f"SELECT count(*), sum(on_time), sum(checkin_missed), sum(hours), "
                                   f"sum(waiting_hours) FROM measure WHERE kind = ? AND {where}",
                                   (kind, since, until)).fetchone()
    for kind, column in (("contacted", "hours"), ("resolved", "days")):
        values = sorted(v for (v,) in db.execute(f"SELECT {column} FROM measure WHERE kind = ? AND {where}",
                                                  (kind, since, until)))
        figures[f"{kind} median"] = values[len(values) // 2] if values else None
    figures["missed"] = db.execute("SELECT count(*) FROM request WHERE first_contact_at IS NULL AND department = "
                                   "'facilities' AND first_contact_due >= ? AND first_contact_due < ?",
                                   (since, until)).fetchone()
    figures["ratings"] = db.execute("SELECT count(f.nps), sum(f.nps >= 9), sum(f.nps <= 6), avg(f.effort) "
                                    "FROM feedback f JOIN request r ON r.id = f.request_id "
                                    "WHERE r.department = 'facilities' AND f.at >= ? AND f.at < ?",
                                    (since, until)).fetchone()
    return figures


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
        bounds = (since.replace(tzinfo=None).isoformat(" "), until.replace(tzinfo=None).isoformat(" "))
        floor = timed(lambda: headline_directly(raw, *bounds), args.repeat)
        rows.append(("its headline straight from the measures, sqlite3", floor, "ms"))
        ratio = statistics.median(rows[1][1]) / statistics.median(floor)
        notes.append(f"ratio to counting the headline directly: {ratio:.2f} "
                     "(the report also gives the previous quarter, every owner and twelve weeks of every team)")
    notes.append("targets: under 2 s at 100,000 requests (issue 6), 1 s at 1,000,000 (issue 8)")
    report("Service-health report", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
