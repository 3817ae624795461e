"""The owner's queue, and the command line as a whole process.

    python bench/owner_queue.py [--n 1000000] [--db URL]

With N requests in the database (a tenth open), times: the 50 most urgent
open requests of the busiest owner through ``ownit.service.queue``, and the
same query with the standard library's ``sqlite3`` on the same file and index;
the Team queue's page of 20, a search by words and the last page on the busiest team;
``ownit queue --mine`` as a whole process; ``ownit --help`` beside a bare
``python -c pass``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from _common import NOW, arguments, filled, report, timed

from ownit import service
from ownit.models import Person, Request

OWNIT = [sys.executable, "-c", "from ownit.cli import main; main()"]


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    import sqlalchemy as sa

    with desk.engine.connect() as connection:
        owner_id, email, open_count = connection.execute(
            sa.select(Request.owner_id, Person.email, sa.func.count()).join(Person, Person.id == Request.owner_id)
            .where(Request.status.in_(("open", "waiting"))).group_by(Request.owner_id, Person.email)
            .order_by(sa.func.count().desc()).limit(1)).one()
    service.queue(desk, actor=email, limit=50)  # warm: plugins loaded, statements compiled
    runs = max(args.repeat, 20)
    rows = [(f"queue of 50 for {email.split('@')[0]} ({open_count:,} open)",
             timed(lambda: service.queue(desk, actor=email, limit=50), runs), "ms")]
    # the Team queue page: one page of 20, and a search by words, on the busiest team (a lead sees it all)
    lead = connection_lead(desk)
    team, busiest = lead
    for label, search in (("page 1 of a team's queue", None), ("a search every title matches", "request"),
                          ("a search that matches nothing", "no such words")):
        service.queue_page(desk, actor=busiest, team=team, search=search)
        rows.append((f"{label} ({team}, 20 a page)",
                     timed(lambda s=search: service.queue_page(desk, actor=busiest, team=team, search=s), runs), "ms"))
    last = service.queue_page(desk, actor=busiest, team=team)["pages"]
    rows.append((f"the last page ({last}) of it", timed(lambda: service.queue_page(
        desk, actor=busiest, team=team, page=last), runs), "ms"))
    notes = []
    if desk.url.startswith("sqlite"):
        raw = sqlite3.connect(desk.url.removeprefix("sqlite:///"))
        query = ("SELECT * FROM request WHERE owner_id = ? AND status = 'open' AND next_due IS NOT NULL "
                 "ORDER BY next_due, id LIMIT 50")  # the service's first query, which fills a busy queue
        raw.execute(query, (owner_id,)).fetchall()
        floor = timed(lambda: raw.execute(query, (owner_id,)).fetchall(), runs)
        rows.append(("the same query with sqlite3 directly", floor, "ms"))
        ratio = sorted(rows[0][1])[runs // 2] / sorted(floor)[runs // 2]
        notes.append(f"ratio to raw sqlite3: {ratio:.1f}× (target: 2 ms median through the service)")
    env = {**os.environ, "OWNIT_DATABASE_URL": desk.url}
    now = ["--now", NOW.isoformat()]
    rows.append(("ownit queue --mine (whole process)", timed(lambda: subprocess.run(
        OWNIT + now + ["queue", "--mine", "--as", email], env=env, check=True, capture_output=True), args.repeat),
        "ms"))
    rows.append(("ownit --help (whole process)", timed(lambda: subprocess.run(
        OWNIT + ["--help"], env=env, check=True, capture_output=True), args.repeat), "ms"))
    rows.append(("python -c pass (the floor)", timed(lambda: subprocess.run(
        [sys.executable, "-c", "pass"], check=True), args.repeat), "ms"))
    notes.append("targets: ownit queue --mine 300 ms, ownit --help 100 ms")
    report("The owner's queue", desk, args.n, rows, notes)


def connection_lead(desk) -> tuple[str, str]:
    """The team with the most requests still being worked, and its lead's email."""
    import sqlalchemy as sa

    from ownit.models import Team

    with desk.engine.connect() as connection:
        return connection.execute(
            sa.select(Team.key, Person.email).join(Request, Request.team_id == Team.id)
            .join(Person, Person.id == Team.lead_id).where(Request.status.in_(("open", "waiting")))
            .group_by(Team.key, Person.email).order_by(sa.func.count().desc()).limit(1)).one()


if __name__ == "__main__":
    main()
