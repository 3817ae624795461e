"""Every agent command as a whole process: what an agent waits for at the terminal.

    python bench/cli.py [--n 100000] [--db URL] [--repeat 5]

With N requests in the database (a tenth open), runs each command an agent
uses all day — ``show``, ``queue --mine``, ``who``, ``inbox``, and the
actions ``contact``, ``checkin``, ``advance``, ``wait``, ``resume``,
``handoff``, ``note``, ``resolve`` — as its own process, the way a person
types it, on open requests of the busiest Facilities North owner (each action
on a request of its own, in an order the lifecycle allows). Beside them, in
the same run, the floor: ``python -c pass``, and ``python -c "import ownit.cli"``
(the interpreter and the command line's own start). The figure to track is
each command's median over the floor's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _common import NOW, arguments, filled, report

OWNIT = [sys.executable, "-c", "from ownit.cli import main; main()"]
TARGET_MS = 250  # issue 21: every agent command, whole process, at 100,000 requests


def _open_requests(desk, team: str, count: int) -> tuple[str, list[tuple[str, str]]]:
    """The busiest owner of ``team`` with ``count`` of their open, contacted
    requests: (owner email, [(ref, a teammate's email to hand it to)])."""
    import sqlalchemy as sa

    from ownit.models import Person, Request, Team, TeamMember

    with desk.engine.connect() as connection:
        team_id = connection.execute(sa.select(Team.id).where(Team.key == team)).scalar_one()
        owner_id, email = connection.execute(
            sa.select(Request.owner_id, Person.email).join(Person, Person.id == Request.owner_id)
            .where(Request.team_id == team_id, Request.status == "open", Request.first_contact_at.isnot(None))
            .group_by(Request.owner_id, Person.email).order_by(sa.func.count().desc()).limit(1)).one()
        refs = connection.execute(
            sa.select(Request.ref).where(Request.owner_id == owner_id, Request.status == "open",
                                         Request.first_contact_at.isnot(None)).order_by(Request.id).limit(count)
        ).scalars().all()
        mate = connection.execute(
            sa.select(Person.email).join(TeamMember, TeamMember.person_id == Person.id)
            .where(TeamMember.team_id == team_id, Person.id != owner_id).limit(1)).scalar_one()
    if len(refs) < count:
        raise SystemExit(f"only {len(refs)} open, contacted requests for {email}; use a larger --n")
    return email, [(ref, mate) for ref in refs]


def _fresh(desk) -> tuple[str, str]:
    """A new request at Amira's store (Facilities North's), not yet contacted, for ``contact``: (ref, owner email)."""
    from ownit import service

    view = service.raise_request(desk, actor="amira.khan@example.com", request_type="facilities.leak",
                                 title="Bench leak", fields={"location": "stockroom", "near_electrics": "no"})
    return view["ref"], view["owner"]["email"]


def _run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed: {done.stderr.strip()}")
    return took


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    repeat = args.repeat
    # as an installed OwnIt runs: from compiled bytecode (a shell with PYTHONDONTWRITEBYTECODE set would
    # compile every module again in every process, about a tenth of a second), written by a first run
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "OWNIT_DATABASE_URL": desk.url}
    _run(OWNIT + ["--help"], env)
    now = ["--now", NOW.isoformat()]
    actions = ("checkin", "advance", "note", "wait", "resume", "handoff", "resolve")
    owner, requests = _open_requests(desk, "facilities-north", len(actions) * repeat + 1)
    shown = requests[-1][0]
    commands: list[tuple[str, list[list[str]]]] = [
        ("ownit show REF", [["show", shown, "--as", owner]] * repeat),
        ("ownit queue --mine", [["queue", "--mine", "--as", owner]] * repeat),
        ("ownit who --type facilities.leak", [["who", "--type", "facilities.leak", "--as", owner]] * repeat),
        ("ownit inbox", [["inbox", "--as", owner]] * repeat),
    ]
    fresh = [_fresh(desk) for _ in range(repeat)]
    commands.append(("ownit contact REF --note", [["contact", ref, "--note", "On my way", "--as", who]
                                                  for ref, who in fresh]))
    pool = iter(requests)
    picked: dict[str, list[tuple[str, str]]] = {}
    for action in actions:  # each on requests of its own, but resume on those just put to wait
        picked[action] = picked["wait"] if action == "resume" else [next(pool) for _ in range(repeat)]
        runs = []
        for ref, mate in picked[action]:
            to = ["--to", mate] if action == "handoff" else []
            runs.append([action, ref, *to, "--note", f"bench {action}", "--as", owner])
        commands.append((f"ownit {action} REF --note", runs))
    rows = []
    floor = [_run([sys.executable, "-c", "pass"], env) for _ in range(repeat)]
    start = [_run([sys.executable, "-c", "import ownit.cli"], env) for _ in range(repeat)]
    medians = {}
    for label, runs in commands:
        times = [_run(OWNIT + now + argv, env) for argv in runs]
        medians[label] = statistics.median(times)
        rows.append((label, [t / 1000 for t in times], "ms"))
    rows.append(("python -c 'import ownit.cli' (the command line's start)", [t / 1000 for t in start], "ms"))
    rows.append(("python -c pass (the floor)", [t / 1000 for t in floor], "ms"))
    base = statistics.median(floor)
    slowest = max(medians, key=medians.get)
    notes = ["each over the floor: " + ", ".join(f"{label.split()[1]} {m / base:.0f}×" for label, m in medians.items()),
             f"slowest: {slowest}, {medians[slowest]:.0f} ms; target: every one ≤ {TARGET_MS} ms "
             f"(≤ 8× the floor)"]
    report("Agent commands, whole process", desk, args.n, rows, notes)


if __name__ == "__main__":
    main()
