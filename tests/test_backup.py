"""ownit backup and restore: a consistent copy of a live SQLite database,
taken while another process keeps raising requests, that checks out and
restores into a working desk."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import AMIRA, HELEN
from ownit import backup, service
from ownit.cli import app
from ownit.desk import Desk
from ownit.errors import ConfigError, ValidationError

pytestmark = pytest.mark.slow

WRITER = """
import sys, time
from ownit import service
from ownit.desk import Desk
desk = Desk.open(sys.argv[1])
stop, progress, done = sys.argv[2], sys.argv[3], 0
while True:
    try:
        open(stop).close()
        break
    except FileNotFoundError:
        pass
    service.raise_request(desk, actor="amira.khan@example.com", request_type="facilities.leak",
                          title=f"leak {done}", fields={"location": "x", "near_electrics": "no"})
    done += 1
    with open(progress, "w") as out:
        out.write(str(done))
print(done)
"""


def _raised_so_far(progress: Path) -> int:
    try:
        return int(progress.read_text() or 0)
    except (FileNotFoundError, ValueError):  # not written yet, or caught mid-write
        return 0


def _wait_for_a_raise_after(progress: Path, seen: int, writer: subprocess.Popen) -> int:
    """Wait until the writer has raised more than ``seen`` requests: on a slow
    machine a fixed sleep can pass before its first raise commits."""
    deadline = time.monotonic() + 120
    while (now := _raised_so_far(progress)) <= seen:
        assert writer.poll() is None, "the writer stopped before raising"
        assert time.monotonic() < deadline, "the writer raised nothing in two minutes"
        time.sleep(0.05)
    return now


@pytest.fixture
def live(ownit_demo_org, ownit_database_url, tmp_path):
    if not ownit_database_url.startswith("sqlite"):
        pytest.skip("backup and restore are for the SQLite default (PostgreSQL has pg_dump)")
    return ownit_demo_org


def test_backups_taken_while_requests_are_raised_are_consistent(live, tmp_path: Path) -> None:
    stop, progress = tmp_path / "stop", tmp_path / "progress"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, live.url, str(stop), str(progress)],
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    copies, seen = [], 0
    try:
        for i in range(5):
            seen = _wait_for_a_raise_after(progress, seen, writer)  # so each copy has more than the last
            result = backup.backup(live.url, tmp_path / f"copy-{i}.db")
            copies.append((tmp_path / f"copy-{i}.db", result))
    finally:
        stop.touch()
        raised = int(writer.communicate(timeout=60)[0])
    assert raised > 0
    counts = [result["requests"] for _, result in copies]
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # writes went on during the backups
    for path, _ in copies:
        copy = sqlite3.connect(path)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every request in a copy is whole: raised and assigned, never half-written
        assert copy.execute("select count(*) from request r where (select count(*) from event e "
                            "where e.request_id = r.id) < 2").fetchone()[0] == 0
        copy.close()
    final = service.show(live, f"FAC-{1000 + raised}", actor=HELEN)
    assert final["title"] == f"leak {raised - 1}"


def test_restore_puts_a_checked_copy_in_place(live, tmp_path: Path) -> None:
    view = service.raise_request(live, actor=AMIRA, request_type="facilities.leak", title="Before the backup",
                                 fields={"location": "x", "near_electrics": "no"})
    copy = tmp_path / "copy.db"
    backup.backup(live.url, copy)
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    result = backup.restore(target, copy)
    assert result["requests"] == 1 and result["current"]
    restored = Desk.open(target, clock=live.clock)
    assert service.show(restored, view["ref"], actor=AMIRA)["title"] == "Before the backup"
    service.raise_request(restored, actor=AMIRA, request_type="facilities.leak", title="After the restore",
                          fields={"location": "x", "near_electrics": "no"})
    with pytest.raises(ValidationError, match="holds 2 requests; pass --replace"):
        backup.restore(target, copy)
    assert backup.restore(target, copy, replace=True)["requests"] == 1
    with pytest.raises(ValidationError, match="exists already"):
        backup.backup(live.url, copy)


def test_a_broken_or_foreign_file_fails_its_check(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValidationError, match="not a readable SQLite database"):
        backup.check(garbage)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table notes (x)").connection.close()
    with pytest.raises(ValidationError, match="not an OwnIt database"):
        backup.check(other)
    with pytest.raises(ConfigError, match="pg_dump"):
        backup.backup("postgresql://postgres@127.0.0.1/x", tmp_path / "x.db")
    too_long = tmp_path / ("b" * 300)  # found by the command-line fuzzing: the system cannot even look
    with pytest.raises(ValidationError, match="cannot use the path .*File name too long; give a shorter"):
        backup.check(too_long)


def test_the_commands(live, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"OWNIT_DATABASE_URL": live.url, "NO_COLOR": "1"}
    copy = tmp_path / "copy.db"
    done = runner.invoke(app, ["backup", str(copy)], env=env)
    assert done.exit_code == 0 and "the copy checks out" in done.stdout
    again = runner.invoke(app, ["backup", str(copy)], env=env)
    assert again.exit_code == 1 and again.stderr == f"error: {copy} exists already; back up to a new file\n"
    checked = runner.invoke(app, ["restore", str(copy), "--check"], env=env)
    assert checked.exit_code == 0 and checked.stdout.startswith(f"{copy} checks out: 0 requests")
    refused = runner.invoke(app, ["restore", str(tmp_path / "none.db")], env=env)
    assert refused.exit_code == 1 and refused.stderr.startswith("error: no backup file at")
