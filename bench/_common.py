"""What every benchmark shares: a database filled with realistic history in
bulk, timing, and a printed table of figures with the machine they came from.

The history is written in bulk (it is not what is measured): requests over the
past year across departments, sites and owners, most closed, a tenth still
open, with their timeline events and ratings. A filled SQLite file is kept in
the system's temp folder per size and copied for each run, so a second
benchmark at the same size starts at once.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ownit import events, service  # noqa: E402
from ownit.clock import FixedClock  # noqa: E402
from ownit.demo import ORG_FILE  # noqa: E402
from ownit.desk import Desk  # noqa: E402
from ownit.models import Event, Feedback, Person, Request, Site, Team, TeamMember  # noqa: E402
from ownit.org import load_org  # noqa: E402

NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)  # the benchmarks' clock: a Monday morning
TYPES = {"facilities": ("facilities.leak", "facilities.fixture", "facilities.heating"), "it": ("it.broken_kit",)}
OPEN_SHARE = 0.1  # of all requests, still being worked


def arguments(description: str, n: int, **extra: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=n, help=f"requests already in the database (default {n:,})")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in the temp folder)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    for name, (default, text) in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default, help=text)
    return parser.parse_args()


def scratch() -> Path:
    """A fresh folder in the temp folder, removed when the benchmark exits
    (a copy of a filled database is large: about a gigabyte at 1M requests)."""
    import atexit

    folder = Path(tempfile.mkdtemp(prefix="ownit-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def desk_for(url: str, *, brief: bool = False) -> Desk:
    """A desk on the benchmarks' clock; ``brief``: actions answer with the
    request's line, as they do for the command line and the UI (``Desk.brief``)."""
    return Desk.open(url, clock=FixedClock(NOW), brief=brief)


def release(url: str) -> None:
    """Close this process's connections to ``url``: OwnIt's own and SQLAlchemy's (before a file is
    copied or renamed, or a template database is used)."""
    from ownit.db import make_engine
    from ownit.store import connections

    connections.dispose(url)
    make_engine(url).dispose()


def template(n: int) -> Path:
    """The kept SQLite file holding the demo organisation and ``n`` requests,
    filled the first time and brought up to this OwnIt's schema (once)."""
    path = Path(tempfile.gettempdir()) / f"ownit-bench-{n}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        _fill_new(f"sqlite:///{building}", n)
        release(f"sqlite:///{building}")
        building.rename(path)
    service.init(f"sqlite:///{path}")  # a no-op when it is up to date
    release(f"sqlite:///{path}")  # every page in the file itself, none left in the log
    return path


def copy_of(n: int) -> Path:
    """A fresh copy of :func:`template`, written out to disk before anything
    is timed (a gigabyte at 1M: its write-back would otherwise land in the
    middle of a timed run)."""
    run = scratch() / "bench.db"
    shutil.copyfile(template(n), run)
    os.sync()
    return run


def filled(n: int, url: str | None) -> Desk:
    """A desk on a database holding the demo organisation and ``n`` requests."""
    if url is None:
        return desk_for(f"sqlite:///{copy_of(n)}")
    if url.startswith("postgresql"):
        url = _own_schema(url)
    _fill_new(url, n)
    return desk_for(url)


def _own_schema(base: str) -> str:
    """A schema of the benchmark's own in the given PostgreSQL database, dropped at exit."""
    import atexit
    import uuid
    from urllib.parse import quote

    from ownit.db import make_engine

    schema = f"ownit_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    atexit.register(drop)
    return f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"


def _fill_new(url: str, n: int) -> None:
    service.init(url)
    desk = desk_for(url)
    load_org(desk, ORG_FILE)
    started = time.perf_counter()
    fill(desk, n, random.Random(8))
    print(f"  filled {n:,} requests in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def fill(desk: Desk, n: int, rng: random.Random) -> None:
    """``n`` requests over the past year with their events and ratings, in bulk."""
    with desk.engine.connect() as connection:
        sites = dict(connection.execute(sa.select(Site.id, Site.region)).all())
        teams = connection.execute(sa.select(Team.id, Team.department, Team.regions, Team.lead_id)).all()
        requesters = connection.execute(sa.select(Person.id, Person.site_id).where(Person.site_id.is_not(None))).all()
        emails = dict(connection.execute(sa.select(Person.id, Person.email)).all())
        team_keys = dict(connection.execute(sa.select(Team.id, Team.key)).all())
        members: dict[int, list[int]] = {}
        for team_id, person_id in connection.execute(sa.select(TeamMember.team_id, TeamMember.person_id)):
            members.setdefault(team_id, []).append(person_id)
    refs = {"facilities": 100_000, "it": 100_000}
    batch: list[dict] = []
    pending: list[tuple[list[dict], dict | None]] = []

    def flush() -> None:
        events, ratings = [], []
        with desk.engine.begin() as connection:
            ids = connection.execute(sa.insert(Request).returning(Request.id), batch).scalars().all()
            for request_id, (req_events, rating) in zip(ids, pending, strict=True):
                events.extend({**e, "request_id": request_id} for e in req_events)
                if rating:
                    ratings.append({**rating, "request_id": request_id})
            connection.execute(sa.insert(Event), events)
            if ratings:
                connection.execute(sa.insert(Feedback), ratings)
        batch.clear()
        pending.clear()

    for i in range(n):
        department = "facilities" if rng.random() < 0.7 else "it"
        requester, site_id = rng.choice(requesters)
        team_id, _, _, lead = next(t for t in teams if t[1] == department and (not t[2] or sites[site_id] in t[2]))
        owner = rng.choice(members.get(team_id) or [lead])
        is_open = rng.random() < OPEN_SHARE
        # open requests are recent; the rest spread over the year
        raised = NOW - timedelta(days=rng.uniform(0, 10) if is_open else rng.uniform(1, 365))
        contact = raised + timedelta(hours=rng.uniform(0.2, 8))
        resolved = raised + timedelta(days=rng.uniform(0.5, 9))
        contacted = contact < NOW
        refs[department] += 1
        due = raised + timedelta(days=rng.uniform(0.5, 12))
        request_type = rng.choice(TYPES[department])
        batch.append(dict(
            ref=f"{'FAC' if department == 'facilities' else 'IT'}-{refs[department]}", department=department,
            request_type=request_type, title="Bench request", requester_id=requester,
            site_id=site_id, team_id=team_id, owner_id=owner, stage="assessed" if is_open else "verified",
            status=("open" if rng.random() < 0.85 else "waiting") if is_open else "closed", priority="normal",
            raised_at=raised, first_contact_due=raised + timedelta(hours=4),
            first_contact_at=contact if contacted else None, resolve_by=raised + timedelta(days=5),
            next_due=due if is_open else None, next_checkin_due=due if is_open and contacted else None,
            resolved_at=None if is_open else resolved, closed_at=None if is_open else resolved + timedelta(days=1),
            updated_at=NOW, version=1, fields={}, stage_due={}, detail=""))
        told = [(raised, events.Raised(priority="normal", request_type=request_type)),
                (raised, events.Assigned(owner=emails[owner], team=team_keys[team_id], reason="filled in bulk"))]
        if contacted:
            told.append((contact, events.Contacted(on_time=contact <= raised + timedelta(hours=4),
                                                   business_hours=(contact - raised).seconds / 3600)))
        end = NOW if is_open else resolved
        told += [(contact + timedelta(days=d), events.CheckedIn(on_time=rng.random() < 0.85))
                 for d in range(1, max(1, int((end - raised).days)))]
        rating = None
        if not is_open:
            days = (resolved - raised).total_seconds() / 86400
            # the same draws in the same order as before the fill used the event classes (same history)
            on_time, waiting, missed = days <= 5, rng.choice((0, 0, 0, 2.5)), rng.random() < 0.1
            told.append((resolved, events.Resolved(from_stage="repaired", on_time=on_time, business_hours=days * 7,
                                                   business_days=days * 0.7, waiting_hours=waiting,
                                                   checkin_missed=missed)))
            if rng.random() < 0.6:
                rating = dict(person_id=requester, at=resolved + timedelta(hours=3), nps=rng.randint(0, 10),
                              effort=rng.randint(1, 7), comment="")
        req_events = [dict(at=at, kind=event.kind, data=event.data()) for at, event in told]
        pending.append(([{**e, "actor_id": owner, "note": "", "internal": False} for e in req_events], rating))
        if len(batch) == 2000:
            flush()
            print(f"\r  filling: {i + 1:,} of {n:,}", end="", file=sys.stderr)
    if batch:
        flush()
    print(file=sys.stderr)


def timed(work: Callable[[], Any], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` runs of ``work``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def backend(desk: Desk) -> str:
    return "SQLite (WAL, synchronous=NORMAL)" if desk.url.startswith("sqlite") else "PostgreSQL"


def report(title: str, desk: Desk, n: int, rows: list[tuple[str, list[float], str]],
           notes: list[str] = ()) -> None:
    """Print the figures: what, median/min/max (in the row's unit), the machine."""
    print(f"{title} — {n:,} requests in the database, {backend(desk)}")
    print(f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}, SQLAlchemy {version('sqlalchemy')}, "
          f"SQLModel {version('sqlmodel')}, ownit {version('ownit')}")
    print(f"  {'what':46} {'median':>10} {'min':>10} {'max':>10}")
    for name, values, unit in rows:
        scale, suffix = {"ms": (1000, " ms"), "s": (1, " s"), "/s": (1, " /s"), "MB": (1, " MB")}[unit]
        figures = [statistics.median(values), min(values), max(values)]
        print(f"  {name:46} " + " ".join(f"{v * scale:>7.1f}{suffix:<3}" if unit != "/s" else f"{v:>7.0f}{suffix:<3}"
                                         for v in figures))
    for note in notes:
        print(f"  {note}")
