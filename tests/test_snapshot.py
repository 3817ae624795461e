"""The statements kept with the package (ownit/store/compiled.json), and the
command line's agent commands running on them without SQLAlchemy, SQLModel
or pydantic (issue 21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ownit import service
from ownit.store import sql
from ownit.store.sql import KINDS, SNAPSHOT, Statement, VersionedUpdate, sa_dialect, table

from conftest import AMIRA, HELEN, PRIYA, SAM
from test_service import raise_leak

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "ownit.models")


def test_the_kept_snapshot_says_what_the_code_says() -> None:
    """Written by ``python -m ownit.store.snapshot`` from the models and every
    statement: a table or a statement changed without writing it again fails here."""
    done = subprocess.run([sys.executable, "-c", "from ownit.store import snapshot; print(snapshot.text(), end='')"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == json.loads(SNAPSHOT.read_text(encoding="utf-8")), \
        "write it again: python -m ownit.store.snapshot"
    kept = json.loads(done.stdout)
    assert "ownit.store.requests._BY_REF" in kept["statements"]
    assert kept["statements"]["ownit.store.requests._UPDATE.all"]["sqlite"]["sql"].startswith("UPDATE request SET ")
    assert kept["tables"]["request"]["defaults"]["status"] == "open"


def _run(desk: Any, *argv: str, watched: tuple[str, ...] = HEAVY) -> tuple[str, list[str]]:
    """``ownit argv`` as its own process: what it printed, and which of ``watched`` it imported."""
    code = ("import sys, atexit; atexit.register(lambda: print('loaded:', ' '.join(sorted(m for m in "
            f"{watched!r} if m in sys.modules)), file=sys.stderr)); from ownit.cli import main; "
            f"sys.argv = ['ownit', '--now', '2026-11-23T10:05:00+00:00', *{list(argv)!r}]; main()")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "OWNIT_DATABASE_URL": desk.url},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr.strip().splitlines()[-1].removeprefix("loaded:").split()


def test_an_agent_s_day_at_the_command_line_loads_no_sqlalchemy(ownit_demo_org: Any) -> None:
    """Every command an agent types all day runs on the kept statements and the
    driver alone, on both databases: importing SQLAlchemy, SQLModel and the
    models would cost each command more than the rest of its work."""
    desk = ownit_demo_org
    refs = [raise_leak(desk)["ref"] for _ in range(2)]
    owner = service.show(desk, refs[0], actor=HELEN)["owner"]["email"]
    mate = SAM if owner == PRIYA else PRIYA  # Facilities North's two
    day = [("show", refs[0], "--as", owner), ("queue", "--mine", "--as", owner),
           ("who", "--type", "facilities.leak", "--as", AMIRA), ("inbox", "--as", owner),
           ("contact", refs[0], "--note", "on my way", "--as", owner),
           ("checkin", refs[0], "--note", "parts ordered", "--as", owner),
           ("advance", refs[0], "--note", "assessed", "--as", owner),
           ("note", refs[0], "--note", "ladder needed", "--internal", "--as", owner),
           ("wait", refs[0], "--note", "need a photo", "--as", owner),
           ("resume", refs[0], "--note", "photo in", "--as", owner),
           ("resolve", refs[0], "--note", "sealed", "--as", owner),
           ("contact", refs[1], "--note", "called", "--as", owner),
           ("handoff", refs[1], "--to", mate, "--note", "knows the roof", "--as", owner)]
    for argv in day:
        out, loaded = _run(desk, *argv)
        assert loaded == [], (argv, loaded)
    assert service.show(desk, refs[0], actor=HELEN)["status"] == "resolved"
    assert service.show(desk, refs[1], actor=HELEN)["owner"]["email"] == mate
    shown, _ = _run(desk, "show", refs[0], "--as", owner)
    assert "sealed" in shown and "parts ordered" in shown


RAISING = ("ownit.service.intake", "ownit.notices", "ownit.uploads", "ownit.service.attachments",
           "ownit.service.audience", "ownit.service.reads")


def test_who_at_the_command_line_asks_the_raise_s_rules_and_loads_nothing_a_raise_writes(ownit_demo_org: Any) -> None:
    """``ownit who`` names the owner a raise would pick, by the same rules
    (:mod:`ownit.service.owners`), and loads neither the raise (its notices,
    files, the requester's audience) nor the request's card."""
    desk = ownit_demo_org
    out, loaded = _run(desk, "who", "--type", "facilities.leak", "--as", AMIRA, "--json", watched=HEAVY + RAISING)
    assert loaded == []
    line, = json.loads(out)["departments"]
    assert line["owner"]["email"] == raise_leak(desk)["owner"]["email"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("columns", [("status",), ("fields", "status", "updated_at"), ("version", "stage_due")])
def test_a_versioned_update_is_the_one_sqlalchemy_compiles(dialect: str, columns: tuple[str, ...]) -> None:
    """The UPDATE of a request's changed columns is put together from the kept
    one that sets them all: it is, word for word, SQLAlchemy's own."""
    update = VersionedUpdate(table("request"))
    request = update.table.table
    core = request.update().where(request.c.id == sa.bindparam("row_id"),
                                  request.c.version == sa.bindparam("seen"))
    theirs = core.compile(dialect=sa_dialect(dialect), column_keys=list(columns))
    ours = update.compiled(dialect, columns)
    assert ours.sql == str(theirs)
    if ours.names is not None:
        assert list(ours.names) == list(theirs.positiontup)
    json_at = [i for i, name in enumerate(ours.order) if name == "fields"]
    assert [i for i, _ in ours.converters if i in json_at] == json_at  # JSON is written as JSON


SAMPLES = {"when": datetime(2026, 11, 23, 10, 5, 0, 123456, tzinfo=timezone.utc),
           "json": {"where": "stockroom", "n": [1, 2]}, "bool": True, "date": date(2026, 12, 3), "float": 87.5}
TYPES = {"when": "UTCDateTime", "json": sa.JSON(), "bool": sa.Boolean(), "date": sa.Date(), "float": sa.Float()}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_binds_a_value_as_the_models_types_do(dialect: str, kind: str) -> None:
    """A value is stored alike with or without SQLAlchemy: each kind's
    converter gives what the column type's own processor gives."""
    from ownit.models import UTCDateTime

    column_type = UTCDateTime() if TYPES[kind] == "UTCDateTime" else TYPES[kind]
    assert sql.kind_of(column_type) == kind
    dialect_ = sa_dialect(dialect)
    theirs = column_type.dialect_impl(dialect_).bind_processor(dialect_)
    ours = KINDS[kind][dialect][0]
    value = SAMPLES[kind]
    expected = theirs(value) if theirs else value
    got = ours(value) if ours else value
    if hasattr(expected, "obj"):  # psycopg's Json: the same document, which the statement casts ("::JSON")
        expected, got = expected.obj, json.loads(got)
    assert got == expected or (isinstance(got, bool) and int(got) == expected)
    read = KINDS[kind][dialect][1]
    if dialect == "sqlite" and read is not None:  # and read back from what SQLite keeps
        assert read(expected if kind != "bool" else 1) == value


def test_a_statement_changed_since_it_was_kept_is_compiled_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is kept runs only while the statement's function still says the
    same: change it without writing the snapshot again, and the statement is
    compiled from the code (with SQLAlchemy), never run stale."""
    module = types.ModuleType("ownit_test_kept")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    request = table("request")
    made = Statement(lambda: sa.select(request.c.ref).where(request.c.id == sa.bindparam("id")),
                     module=module.__name__)
    module.MINE = made
    stale = {"sql": "SELECT 'stale'", "names": [], "order": [], "binds": {}, "defaults": {}, "results": [None],
             "keys": None}
    monkeypatch.setattr(sql, "_kept", lambda: {"tables": {}, "statements": {
        "ownit_test_kept.MINE": {"sqlite": {**stale, "fingerprint": made.fingerprint()},
                                 "postgresql": {**stale, "fingerprint": "changed"}}}})
    assert made.name == "ownit_test_kept.MINE"
    assert made.compiled("sqlite").sql == "SELECT 'stale'"  # kept, and the function is the same: run as kept
    assert made.compiled("postgresql").sql.startswith("SELECT request.ref")  # the function changed: compiled


def test_the_command_line_package_ships_the_snapshot() -> None:
    """``compiled.json`` is package data, so an installed OwnIt runs without SQLAlchemy too."""
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"store/compiled.json"' in text


def test_a_connection_the_server_dropped_is_replaced(ownit_demo_org: Any) -> None:
    """A pooled connection PostgreSQL closed while it waited (a restart, an idle
    timeout) fails its next statement; the unit of work is run again on the
    next connection, and the person never hears of it (here three in a row
    were dropped: the action is done once, on the fourth)."""
    desk = ownit_demo_org
    if not desk.url.startswith("postgresql"):
        pytest.skip("SQLite's connections are files: the server cannot drop them")
    ref = raise_leak(desk)["ref"]
    owner = service.show(desk, ref, actor=HELEN)["owner"]["email"]
    pool = desk.connections
    held = [pool.take() for _ in range(3)]  # three in the pool, each its own server process
    pids = [c.info.backend_pid for c in held]
    for connection in held:
        pool.give(connection)
    with desk.engine.connect() as admin:
        for pid in pids:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    view = service.contact(desk, ref, actor=owner, note="on my way")
    assert view["promise"]["first_contact_at"] is not None
    assert [e["kind"] for e in service.show(desk, ref, actor=HELEN)["timeline"]].count("contacted") == 1
