"""Working requests through ownit.service — check-in, advance, hand-off — against the physical limit.

    python bench/actions.py [--n 100000] [--actions 300] [--repeat 3]

Into a database that already holds N requests, each action is one call of
``ownit.service`` (one unit of work: load the request and its timeline, check
who acts and what the lifecycle allows, store the request, append the event,
tell the requester, and return the request's view), on open, contacted
requests of the Facilities North team, by their owners: ``--actions`` of
each kind, each on a request of its own, after 20 of each that are not timed.
Each is timed twice: answering with the request's whole view (as a test or a
plugin gets it) and, on a brief desk, with its line (``Desk.brief``: as the
command line and the UI get it, with no timeline, loads or tasks read).

The baseline in the same run is those very actions' SQL replayed with the
standard library's ``sqlite3``: the statements OwnIt issued are recorded (with
their values) on a second copy of the same database by sqlite3's trace
callback, and replayed on a third copy, WAL and synchronous=NORMAL, each
action's transactions in turn: its unit of work and, with a channel plugin
listening, the unit marking its notifications delivered (printed as "6 + 1"
statements). The ratio of the two is the figure to track.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from _common import NOW, arguments, copy_of, desk_for, release, report

from ownit import service
from ownit.store import connections
from ownit.models import Person, Request, Team, TeamMember

WARM_UP = 20
KINDS = ("check-in", "advance", "hand-off")
# django-helpdesk's equivalents measured on this machine (issue 21), in milliseconds
HELPDESK = {"check-in": 0.9, "advance": 1.5, "hand-off": 1.7}


def _plan(desk, actions: int) -> list[tuple[str, str, str, str | None]]:
    """(kind, ref, owner, hand-off target) for the warm-up and the timed actions, each on a request of its own."""
    with desk.engine.connect() as connection:
        team_id = connection.execute(sa.select(Team.id).where(Team.key == "facilities-north")).scalar_one()
        members = dict(connection.execute(sa.select(Person.id, Person.email).join(
            TeamMember, TeamMember.person_id == Person.id).where(TeamMember.team_id == team_id)).all())
        rows = connection.execute(sa.select(Request.ref, Request.owner_id).where(
            Request.team_id == team_id, Request.status == "open", Request.first_contact_at.is_not(None),
            Request.stage == "assessed", Request.owner_id.in_(list(members))).order_by(Request.id)
            .limit(len(KINDS) * (actions + WARM_UP))).all()
    if len(rows) < len(KINDS) * (actions + WARM_UP):
        raise SystemExit(f"only {len(rows)} open requests to act on; use a larger --n or fewer --actions")
    others = {owner: next(e for i, e in members.items() if i != owner) for owner in members}
    plan = []
    for i, (ref, owner_id) in enumerate(rows):
        kind = KINDS[i % len(KINDS)]
        plan.append((kind, ref, members[owner_id], others[owner_id] if kind == "hand-off" else None))
    return plan


def _act(desk, kind: str, ref: str, owner: str, to: str | None) -> None:
    if kind == "check-in":
        service.check_in(desk, ref, actor=owner, note="Roofer is on site")
    elif kind == "advance":
        service.advance(desk, ref, actor=owner, note="Contractor booked")
    else:
        service.hand_off(desk, ref, actor=owner, to=to, note="Knows this building")


def through_ownit(plan, path: Path, brief: bool) -> dict[str, list[float]]:
    desk = desk_for(f"sqlite:///{path}", brief=brief)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i, step in enumerate(plan):
        started = time.perf_counter()
        _act(desk, *step)
        if i >= len(KINDS) * WARM_UP:
            times[step[0]].append(time.perf_counter() - started)
    release(desk.url)
    return times


def recorded(plan, path: Path, brief: bool) -> list[list[list[str]]]:
    """The SQL of each action, with its values, as OwnIt issued it: its
    transactions in order (its unit of work, then, with a channel plugin
    listening, the unit that marks its notifications delivered)."""
    desk = desk_for(f"sqlite:///{path}", brief=brief)
    statements: list[str] = []
    opened = connections.Pool._sqlite

    def traced(pool: connections.Pool) -> sqlite3.Connection:
        connection = opened(pool)
        connection.set_trace_callback(statements.append)
        return connection

    release(desk.url)
    connections.Pool._sqlite = traced  # type: ignore[method-assign]
    actions: list[list[list[str]]] = []
    try:
        for step in plan:
            statements.clear()
            _act(desk, *step)
            actions.append(_transactions(statements))
    finally:
        connections.Pool._sqlite = opened  # type: ignore[method-assign]
        release(desk.url)
    return actions


def _transactions(statements: list[str]) -> list[list[str]]:
    """The traced ``statements`` as transactions, without the BEGINs and COMMITs (the replay adds its own)."""
    transactions: list[list[str]] = []
    for i, sql in enumerate(statements):
        if i and sql == statements[i - 1]:
            continue  # sqlite3 reports a statement again as each trigger it fires starts: run it once
        if sql.startswith("BEGIN IMMEDIATE"):
            transactions.append([])
        elif sql == "COMMIT":
            continue
        elif transactions and not sql.startswith(("PRAGMA", "BEGIN")):
            transactions[-1].append(sql)
    if not transactions:
        raise SystemExit("recorded no transaction for an action")
    return transactions


def through_sqlite3(plan, actions: list[list[list[str]]], path: Path) -> dict[str, list[float]]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i, (step, transactions) in enumerate(zip(plan, actions, strict=True)):
        started = time.perf_counter()
        for statements in transactions:
            db.execute("BEGIN IMMEDIATE")
            for sql in statements:
                db.execute(sql).fetchall()
            db.execute("COMMIT")
        if i >= len(KINDS) * WARM_UP:
            times[step[0]].append(time.perf_counter() - started)
    db.close()
    return times


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000, actions=(300, "actions of each kind timed per run"))
    answers = {False: "the whole view", True: "its line"}
    ownit_runs = {(brief, kind): [] for brief in answers for kind in KINDS}
    raw_runs = {(brief, kind): [] for brief in answers for kind in KINDS}
    counts: dict[tuple[bool, str], str] = {}
    for _ in range(args.repeat):
        for brief in answers:
            template = copy_of(args.n)
            desk = desk_for(f"sqlite:///{template}")
            plan = _plan(desk, args.actions)
            for kind, values in through_ownit(plan, template, brief).items():
                ownit_runs[brief, kind].append(statistics.median(values))
            transactions = recorded(plan, copy_of(args.n), brief)
            counts.update({(brief, step[0]): " + ".join(str(len(sql)) for sql in units)  # the last of each: warm
                           for step, units in zip(plan, transactions)})
            for kind, values in through_sqlite3(plan, transactions, copy_of(args.n)).items():
                raw_runs[brief, kind].append(statistics.median(values))
    rows: list[tuple[str, list[float], str]] = []
    notes = []
    for brief, answer in answers.items():
        for kind in KINDS:
            rows.append((f"{kind} answering {answer} (median of {args.actions})", ownit_runs[brief, kind], "ms"))
            rows.append((f"  its {counts[brief, kind]} statements with sqlite3", raw_runs[brief, kind], "ms"))
            ratio = statistics.median(raw_runs[brief, kind]) / statistics.median(ownit_runs[brief, kind])
            notes.append(f"{kind} answering {answer}: ratio to raw sqlite3 {ratio:.2f} (targets: under "
                         f"{HELPDESK[kind]} ms, django-helpdesk's measured here, and within 3x of raw sqlite3)")
    report(f"Working requests, {NOW:%Y-%m-%d}", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
