"""The raise's hot path: the organisation kept in memory until it changes,
each owner's load kept by the database, and plugin hooks called only where
they have something to say."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import AMIRA, GRACE, HELEN, LEAK, PRIYA, SAM, TOM, look
from ownit import Department, RequestType, Stage, bounded, hookimpl, pure, reacts_to, service
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.errors import PluginError
from ownit.org import load_org
from ownit.plugins import build_plugins


def raise_leak(desk, actor=AMIRA, title="Leak"):
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title=title, fields=LEAK)


def generation(desk) -> str:
    with desk.engine.connect() as conn:
        return conn.execute(sa.text("SELECT generation FROM org_state")).scalar_one()


def org_with(tmp_path: Path, old: str, new: str) -> Path:
    text = ORG_FILE.read_text()
    assert old in text
    path = tmp_path / "org.toml"
    path.write_text(text.replace(old, new))
    return path


SAM_ONLY = '  { email = "priya.shah@example.com", skills = ["building", "security"], capacity = 15 },\n'


def test_a_changed_organisation_is_read_again_by_every_desk(ownit_demo_org, ownit_clock, tmp_path) -> None:
    desk = ownit_demo_org
    other = Desk.open(desk.url, clock=ownit_clock, plugins=desk.plugins)  # another process, say
    raise_leak(desk), raise_leak(other, actor=TOM)
    kept = desk.directory
    assert raise_leak(desk, actor=GRACE) and desk.directory is kept  # nothing changed: not read again

    load_org(desk, org_with(tmp_path, SAM_ONLY, ""), skip_missing_departments=True)  # Priya leaves the team
    owners = {raise_leak(d, actor=who, title=f"after {i}")["owner"]["email"]
              for i, (d, who) in enumerate([(desk, AMIRA), (other, TOM), (desk, TOM), (other, AMIRA)])}
    assert owners <= {SAM, HELEN} and PRIYA not in owners
    assert desk.directory is not kept


def test_the_generation_moves_with_the_organisation_not_with_the_work(ownit_demo_org) -> None:
    desk = ownit_demo_org
    before = generation(desk)
    view = raise_leak(desk)  # marks the owner's last assignment and load: not the organisation
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="on my way")
    assert generation(desk) == before
    with desk.engine.begin() as conn:  # an edit made by hand, outside OwnIt, is seen too
        conn.execute(sa.text("UPDATE team_member SET capacity = capacity + 1"))
    after = generation(desk)
    assert after != before
    with desk.engine.begin() as conn:
        conn.execute(sa.text("UPDATE person SET phone = '0113 000 0000' WHERE email = :e"), {"e": AMIRA})
    assert generation(desk) not in (before, after)


def test_the_load_kept_on_each_person_follows_every_change(ownit_demo_org, ownit_clock) -> None:
    from datetime import date

    desk = ownit_demo_org
    refs = [raise_leak(desk, actor=who, title=f"leak {i}")["ref"] for i, who in enumerate([AMIRA, TOM, AMIRA])]
    assert service.load_problems(desk) == []
    first = service.show(desk, refs[0], actor=HELEN)
    other = SAM if first["owner"]["email"] == PRIYA else PRIYA
    service.hand_off(desk, refs[0], actor=HELEN, to=other, note="knows the building")
    service.contact(desk, refs[1], actor=HELEN, note="hello")
    service.wait_on_requester(desk, refs[1], actor=HELEN, note="which floor?")
    service.contact(desk, refs[0], actor=other, note="on my way")
    service.resolve(desk, refs[0], actor=other, note="fixed")
    assert service.load_problems(desk) == []
    service.reopen(desk, refs[0], actor=AMIRA, note="dripping again")
    service.set_away(desk, actor=HELEN, email=other, start=date(2026, 11, 23), until=date(2026, 12, 1))
    assert service.load_problems(desk) == []
    with desk.engine.begin() as conn:  # closed by hand: the count follows a raw edit too
        conn.execute(sa.text("UPDATE request SET status = 'closed' WHERE ref = :r"), {"r": refs[2]})
        conn.execute(sa.text("DELETE FROM notification"))
    assert service.load_problems(desk) == []
    loads = {p["email"]: p["open"] for p in service.show(desk, refs[1], actor=HELEN)["team_members"]}
    assert sum(loads.values()) == 2  # two of the three still open, whoever has them


def test_the_load_kept_is_what_owner_choice_reads(ownit_demo_org) -> None:
    desk = ownit_demo_org
    with desk.engine.begin() as conn:  # Sam is busier than anyone: the next leak goes to Priya
        conn.execute(sa.text("UPDATE person SET open_requests = 9 WHERE email = :e"), {"e": SAM})
    view = raise_leak(desk)
    assert view["owner"]["email"] == PRIYA and "fewest open requests (0)" in view["timeline"][1]["data"]["reason"]


# --- plugins: under the time limit even when pure, only for their own department, only for the events they want


class Rules:
    """A facilities plugin of sorts (no department of its own): pure rules, and a listener for first contact."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.heard: list[str] = []

    @hookimpl
    @pure
    def ownit_priority(self, request_type, fields):
        self.threads.append(threading.current_thread().name)
        return None

    @hookimpl
    @reacts_to("contacted")
    def ownit_on_event(self, request, event):
        self.heard.append(event.kind)


def desk_with(plugin, url, clock, name="rules") -> Desk:

    desk = Desk(url=url, plugins=build_plugins(extra=[(name, plugin)]), clock=clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk


def test_pure_rules_run_under_the_limit_and_listeners_hear_only_what_they_asked_for(ownit_database_url,
                                                                                      ownit_clock) -> None:
    rules = Rules()
    desk = desk_with(rules, ownit_database_url, ownit_clock)
    view = raise_leak(desk)
    assert rules.threads == ["MainThread"]  # pure, from the main thread: in line, under the interval timer
    assert rules.heard == []  # raised and assigned were not asked for
    elsewhere = threading.Thread(target=raise_leak, args=(desk,), name="a-ui-session")
    elsewhere.start()
    elsewhere.join()
    assert rules.threads == ["MainThread", "ownit-hooks"]  # no timer off the main thread: a hook worker
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="hello")
    assert rules.heard == ["contacted"]


class PureButBroken:
    @hookimpl
    @pure
    def ownit_validate_request(self, request_type, fields):
        raise KeyError("boom")


def test_a_pure_rule_that_fails_still_refuses_cleanly(ownit_database_url, ownit_clock) -> None:
    desk = desk_with(PureButBroken(), ownit_database_url, ownit_clock, name="broken")
    with pytest.raises(PluginError, match="plugin 'broken' failed while checking the request, so nothing was saved"):
        raise_leak(desk)
    assert service.load_problems(desk) == [] and look(desk, 
        lambda s: s.exec(sa.select(sa.func.count()).select_from(sa.table("request"))).one())[0] == 0


class Gardens:
    """A department of its own, with its own rule for choosing owners."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def ownit_register_departments(self, register):
        register(Department(key="gardens", name="Gardens", prefix="GDN", request_types=(
            RequestType(key="gardens.hedge", label="Hedge", why="-", stages=(Stage("a", "A"), Stage("b", "B"))),)))

    @hookimpl
    def ownit_choose_owner(self, request, team):
        self.asked.append(request.request_type)


class EveryDepartment(Gardens):
    """The same rule from a plugin with no department: it speaks for all of them."""

    @hookimpl
    def ownit_register_departments(self, register):
        pass


@pytest.mark.parametrize("plugin, asked", [(Gardens(), []), (EveryDepartment(), ["facilities.leak"])])
def test_a_department_plugin_chooses_owners_for_its_own_department_only(ownit_database_url, ownit_clock,
                                                                         plugin, asked) -> None:
    plugin.asked.clear()
    desk = desk_with(plugin, ownit_database_url, ownit_clock, name="extra")
    assert raise_leak(desk)["owner"]["email"] in (SAM, PRIYA)
    assert plugin.asked == asked


def test_calls_after_a_hang_still_run_on_a_fresh_worker() -> None:
    release = threading.Event()
    ran: list[int] = []

    def call(i):
        def run():
            if i == 1:
                release.wait(10)
            ran.append(i)
            return i
        return run

    try:
        started = time.monotonic()
        outcomes = bounded.each([call(i) for i in range(4)], what=lambda i: f"call {i}", limit=0.2)
        assert time.monotonic() - started < 2
    finally:
        release.set()
    assert outcomes[0] == (True, 0) and outcomes[2:] == [(True, 2), (True, 3)]
    assert outcomes[1][0] is False and "no answer within 0.2 s from call 1" in str(outcomes[1][1])
    deadline = time.monotonic() + 10
    while len(ran) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(ran) == [0, 1, 2, 3]  # the stuck one finished on its own, and nothing ran twice


def test_the_command_line_reads_a_queue_without_loading_sqlalchemy(ownit_demo_org) -> None:
    """``ownit queue`` goes straight to the driver (ownit.lite): importing
    SQLAlchemy and SQLModel alone would take most of its time."""
    import os
    import subprocess
    import sys

    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    owner = service.show(desk, ref, actor=HELEN)["owner"]["email"]
    code = ("import sys, atexit; atexit.register(lambda: print('loaded:', sorted(m for m in ('sqlalchemy', 'sqlmodel',"
            " 'ownit.service', 'ownit.models') if m in sys.modules), file=sys.stderr)); from ownit.cli import main; "
            f"sys.argv = ['ownit', '--now', '2026-11-23T10:05:00+00:00', 'queue', '--mine', '--as', '{owner}']; main()")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "OWNIT_DATABASE_URL": desk.url},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert ref in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "loaded: []"


def test_the_measures_follow_the_timeline_and_the_request_s_owner(ownit_demo_org) -> None:
    """Service health reads ``measure``, which the database keeps beside the
    timeline: one row per contact, check-in, resolution and reopening, moved
    with the request when it changes hands."""
    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    first = service.show(desk, ref, actor=HELEN)["owner"]["email"]
    service.contact(desk, ref, actor=first, note="on my way")
    service.check_in(desk, ref, actor=first, note="parts ordered")
    other = SAM if first == PRIYA else PRIYA
    service.hand_off(desk, ref, actor=HELEN, to=other, note="knows the building")
    service.resolve(desk, ref, actor=other, note="fixed")
    service.reopen(desk, ref, actor=AMIRA, note="dripping again")
    with desk.engine.connect() as conn:
        measures = conn.execute(sa.text(
            "SELECT m.kind, p.email, m.on_time, m.hours IS NOT NULL, m.days IS NOT NULL FROM measure m "
            "JOIN person p ON p.id = m.owner_id ORDER BY m.event_id")).all()
        kinds = [k for (k,) in conn.execute(sa.text(
            "SELECT kind FROM event WHERE kind IN ('contacted', 'checkin', 'resolved', 'reopened') ORDER BY id"))]
    assert [m[0] for m in measures] == kinds == ["contacted", "checkin", "resolved", "reopened"]
    assert {m[1] for m in measures} == {other}  # the owner now answers for all of it
    contacted, _, resolved, _ = measures
    assert contacted[2] in (True, 1) and contacted[3] and resolved[3] and resolved[4]


def test_sqlite_s_log_is_checkpointed_by_a_thread_not_by_a_commit(tmp_path: Path) -> None:
    """Commits only append to the write-ahead log (SQLite's own checkpoint waits
    until the backstop); the pages reach the database file through the
    checkpoint thread, soon after (ownit.checkpoints)."""
    from ownit import checkpoints, db

    path = tmp_path / "log.db"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == checkpoints.BACKSTOP_PAGES
    time.sleep(5 * checkpoints.INTERVAL)  # the table itself checkpointed
    before = path.stat().st_mtime_ns, path.stat().st_size
    for _ in range(30):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO note VALUES (?)", ("x" * 3000,))
    deadline = time.monotonic() + 5
    while (path.stat().st_mtime_ns, path.stat().st_size) == before and time.monotonic() < deadline:
        time.sleep(checkpoints.INTERVAL)
    assert path.stat().st_size > before[1]  # the 30 notes (90 kB) are in the database file, not only the log
    assert any(t.name == "ownit-checkpoints" and t.daemon for t in threading.enumerate())
    engine.dispose()


def test_once_an_engine_is_disposed_of_its_database_file_stands_alone(tmp_path: Path) -> None:
    """The checkpoint thread never keeps a database open: after ``dispose()``
    the file holds everything written, and a plain copy of it is whole."""
    import shutil
    import sqlite3

    from ownit import db

    path = tmp_path / "whole.db"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
    for turn in range(20):
        for _ in range(25):
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO note VALUES (?)", ("x" * 3000,))
        engine.dispose()  # with the checkpoint thread at work or not
        assert not Path(f"{path}-wal").exists()
        copy = tmp_path / f"copy{turn}.db"
        shutil.copyfile(path, copy)
        check = sqlite3.connect(copy)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM note").fetchone() == (25 * (turn + 1),)
        check.close()


def test_the_checkpoint_thread_never_makes_a_removed_database_again(tmp_path: Path) -> None:
    """A database file removed while its engine lives (a test's folder, a
    reset) stays gone: the thread opens only a file that is there."""
    from ownit import checkpoints, db

    path = tmp_path / "gone.db"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
    raw = engine.raw_connection()  # holds the log open while the files go
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Path(f"{path}-wal").write_bytes(b"changed")  # a log that looks written since the last checkpoint
    time.sleep(5 * checkpoints.INTERVAL)
    assert not path.exists()
    raw.close()
    engine.dispose()
