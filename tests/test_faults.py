"""One line for every fault: what goes wrong around OwnIt (the file, the disk,
the server, the bytes people type) ends in one ``error:`` line on stderr, exit
1 (2 for a usage error), naming the file or server and what to do, with
nothing half-written and never a traceback.

Every test runs the real command line against real SQLite files: through
Typer's ``CliRunner`` like tests/test_cli.py, or as a process of its own
where the bytes of ``sys.argv`` matter. A full disk is real SQLite behaviour:
the database file capped with ``PRAGMA max_page_count`` (always), and a
small tmpfs filled to the brim where the machine lets us mount one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import AMIRA, HELEN, PRIYA, SAM
from ownit import backup as backups
from ownit import service
from ownit.db import explain, make_engine, upgrade
from ownit.store import connections
from ownit.errors import ValidationError
from test_cli import DEMO_ORG, LEAK_ARGS, UNREACHABLE, Cli, assert_no_traceback

READS = (["people"], ["queue", "--as", SAM], ["show", "FAC-1001", "--as", AMIRA])
WRITES = (["init"], ["raise", "--as", AMIRA, *LEAK_ARGS], ["org", "load", str(DEMO_ORG)])


def loaded(path: Path) -> str:
    """A SQLite database at ``path`` holding the demo organisation and FAC-1001."""
    url = f"sqlite:///{path}"
    cli = Cli(url)
    cli.ok("init", now=None)
    cli.ok("org", "load", str(DEMO_ORG))
    cli.ok("raise", "--as", AMIRA, *LEAK_ARGS)
    make_engine(url).dispose()
    connections.dispose(url)
    return url


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        return db.execute("select count(*) from request").fetchone()[0], db.execute(
            "select count(*) from event").fetchone()[0]


def bigger_org(folder: Path) -> Path:
    """The demo organisation and 300 new people: a load that needs pages of its own."""
    bigger = folder / "bigger.toml"
    bigger.write_text(DEMO_ORG.read_text() + "".join(
        f'\n[[person]]\nemail = "new{n}@example.com"\nname = "New starter {n}"\nsite = "S001"\n' for n in range(300)))
    return bigger


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of our own, or a skip where mounting is not allowed."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Fill the disk holding ``folder`` to the last block."""
    filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(filler)


# --- a file that is not an OwnIt database -------------------------------------------------------------


@pytest.mark.parametrize("what", ["garbage", "truncated"])
def test_a_file_that_is_not_a_database_is_one_line_for_every_command(what: str, tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    if what == "garbage":
        path.write_bytes(os.urandom(3000))
    else:
        good = tmp_path / "good.db"
        loaded(good)
        path.write_bytes(good.read_bytes()[:5000])
    before = path.read_bytes()
    cli = Cli(f"sqlite:///{path}")
    for args in (*READS, *WRITES):
        message = cli.fails(*args)
        assert message.startswith(f"{path} is not an OwnIt database ("), (args, message)
        assert message.endswith("point OWNIT_DATABASE_URL at the right file or restore a backup"), message
    assert path.read_bytes() == before  # nothing written into it


# --- a database written by a newer OwnIt ---------------------------------------------------------------


def test_a_database_from_a_newer_ownit_is_refused_by_every_command(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    url = loaded(path)
    with sqlite3.connect(path) as db:
        db.execute("update alembic_version set version_num = '9999_from_the_future'")
    make_engine.cache_clear()  # another OwnIt process: the check runs once per engine, and per pool
    connections.dispose(url)
    cli = Cli(url)
    for args in (*READS, *WRITES, ["report", "--as", HELEN]):
        message = cli.fails(*args)
        assert message == (f"the database at {path} was written by a newer OwnIt (schema 9999_from_the_future); "
                           "upgrade OwnIt to use it"), (args, message)
    with sqlite3.connect(path) as db:
        assert db.execute("select version_num from alembic_version").fetchone()[0] == "9999_from_the_future"
    assert counts(path)[0] == 1


# --- read-only ------------------------------------------------------------------------------------------


def test_a_read_only_file_system_is_one_line(tmpfs: Path, tmp_path: Path) -> None:
    loaded(tmp_path / "good.db")
    path = tmpfs / "ownit.db"
    path.write_bytes((tmp_path / "good.db").read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    cli = Cli(f"sqlite:///{path}")
    for args in (*READS, *WRITES):
        message = cli.fails(*args)
        assert message == (f"the database {path} is on a read-only file system; remount {tmpfs} read-write "
                           "or move the database to a disk OwnIt may write"), (args, message)
    message = Cli(f"sqlite:///{tmpfs / 'new.db'}").fails("init", now=None)
    assert "read-only file system" in message and str(tmpfs) in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files (the tmpfs test covers it)")
def test_a_read_only_file_or_folder_is_one_line(tmp_path: Path) -> None:  # pragma: no cover - as root
    path = tmp_path / "db" / "ownit.db"
    loaded(path)
    path.chmod(0o444)
    message = Cli(f"sqlite:///{path}").fails("raise", "--as", AMIRA, *LEAK_ARGS)
    assert message.startswith(f"the database file {path} is read-only; make it writable"), message
    path.chmod(0o644)
    path.parent.chmod(0o555)
    try:
        message = Cli(f"sqlite:///{path.parent / 'new.db'}").fails("init", now=None)
        assert message.startswith(f"the folder {path.parent} is read-only"), message
    finally:
        path.parent.chmod(0o755)


# --- a full disk -----------------------------------------------------------------------------------------


@pytest.fixture
def capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Cli, Path]]:
    """The demo database with FAC-1001, capped at the pages it holds: SQLite
    answers every write that needs a page more with SQLITE_FULL."""
    path = tmp_path / "full.db"
    url = loaded(path)
    with sqlite3.connect(path) as db:
        db.execute("pragma wal_checkpoint(truncate)")
        pages = db.execute("pragma page_count").fetchone()[0]

    opened = connections.Pool._sqlite

    def capped_open(pool: connections.Pool) -> Any:
        connection = opened(pool)
        connection.execute(f"pragma max_page_count = {pages}")
        return connection

    monkeypatch.setattr(connections.Pool, "_sqlite", capped_open)
    connections.dispose(url)
    yield Cli(url), path
    connections.dispose(url)


def test_every_write_to_a_full_database_is_one_line_and_writes_nothing(capped: tuple[Cli, Path]) -> None:
    cli, path = capped
    before = counts(path)
    bigger = bigger_org(path.parent)
    many = "a line of a long note that needs pages of its own " * 150
    for args in (["raise", "--as", AMIRA, *LEAK_ARGS, "--detail", many],
                 ["note", "FAC-1001", "--as", PRIYA, "--note", many],
                 ["contact", "FAC-1001", "--as", PRIYA, "--note", many],
                 ["org", "load", str(bigger)]):
        message = cli.fails(*args)
        assert message.startswith(f"the disk holding the database at {path} is full (database or disk is full); "
                                  "free some space and try again"), (args, message)
    assert counts(path) == before
    assert cli.json("show", "FAC-1001", "--as", AMIRA)["status"] == "open"  # reads still work


def test_a_write_to_a_full_disk_is_one_line(tmpfs: Path, tmp_path: Path) -> None:
    path = tmpfs / "ownit.db"
    url = loaded(path)
    fill(tmpfs)
    cli = Cli(url)
    many = "a long detail " * 700
    for args in (["raise", "--as", AMIRA, *LEAK_ARGS, "--detail", many],
                 ["note", "FAC-1001", "--as", PRIYA, "--note", many],
                 ["org", "load", str(bigger_org(tmp_path))]):
        message = cli.fails(*args)
        assert message.startswith(f"the disk holding the database at {path} is full ("), (args, message)
    make_engine(url).dispose()
    connections.dispose(url)
    (tmpfs / "filler").unlink()
    assert counts(path)[0] == 1
    cli.ok("raise", "--as", AMIRA, *LEAK_ARGS)  # room again: it works


# --- a lock held past the timeout, a server gone ------------------------------------------------------------


def test_a_lock_held_past_the_timeout_is_busy_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    loaded(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("begin immediate")
    try:
        waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiter.execute("begin immediate")
        waiter.close()
    finally:
        holder.rollback()
        holder.close()
    message = str(explain(raised.value, f"sqlite:///{path}"))
    assert message == f"the database at {path} is busy (another program holds its lock); try again in a moment"


@pytest.mark.parametrize("args", [*READS, *WRITES], ids=lambda a: a[0])
def test_a_postgresql_server_that_is_gone_is_one_line(args: list[str]) -> None:
    message = Cli(UNREACHABLE).fails(*args)
    assert message.startswith("cannot reach the database at 127.0.0.1: "), message


# --- bytes that are not UTF-8 ---------------------------------------------------------------------------------


def ownit(*args: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``ownit`` as a process of its own: its arguments are bytes, as a shell passes them."""
    return subprocess.run([sys.executable.encode(), b"-c", b"from ownit.cli import main; main()", *args],
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=60)


def test_arguments_that_are_not_utf8_are_refused_before_anything_is_done(tmp_path: Path) -> None:
    path = tmp_path / "ownit.db"
    url = loaded(path)
    before = counts(path)
    for args, env in (([b"raise", b"--as", AMIRA.encode(), *(a.encode() for a in LEAK_ARGS[:2]), b"--title",
                        b"\xff broken"], {}),
                      ([b"note", b"FAC-1001", b"--as", PRIYA.encode(), b"--note", b"caf\xe9"], {}),
                      ([b"queue"], {"OWNIT_USER": "\udcfe"})):
        done = ownit(*args, env={"OWNIT_DATABASE_URL": url, **env})
        assert done.returncode == 2, done
        assert b"Traceback" not in done.stderr and done.stdout == b""
        which = next(iter(env), "argument")
        assert done.stderr.decode() == f"error: {which} is not valid UTF-8 text; retype it\n"
    assert counts(path) == before


def test_the_service_refuses_text_that_is_not_utf8(ownit_demo_org: Any) -> None:
    with pytest.raises(ValidationError, match="the title is not valid UTF-8 text"):
        service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="\udcff",
                              fields={"location": "stockroom", "near_electrics": "no"})
    with pytest.raises(ValidationError, match=r"location\): is not valid UTF-8 text"):
        service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Leak",
                              fields={"location": "stock\udcffroom", "near_electrics": "no"})


# --- dates outside 1900-2200 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, code", [
    (["--now", "0001-01-01", "people"], 2),
    (["--now", "9999-12-31T23:59:59", "queue", "--as", SAM], 2),
    (["--now", "1899-12-31", "raise", "--as", AMIRA, *LEAK_ARGS], 2),
    (["report", "--as", HELEN, "--since", "0001-01-01"], 1),
    (["report", "--as", HELEN, "--until", "9999-12-31"], 1),
    (["away", SAM, "--as", HELEN, "--from", "2026-11-23", "--until", "9999-12-31"], 1),
    (["raise", "--as", AMIRA, *LEAK_ARGS, "--needed-by", "2201-01-01"], 1),
], ids=["now-year-1", "now-9999", "now-1899", "since", "until", "away-until", "needed-by"])
def test_dates_outside_1900_to_2200_are_one_line(args: list[str], code: int, tmp_path: Path) -> None:
    path = tmp_path / "ownit.db"
    cli = Cli(loaded(path))
    before = counts(path)
    message = cli.fails(*args, code=code, now=None if "--now" in args else "2026-11-23T10:00:00+00:00")
    assert message.endswith("is out of range: dates must be between 1900 and 2200"), message
    assert counts(path) == before


# --- malformed org files ----------------------------------------------------------------------------------------

ORG_HEAD = """[[site]]
code = "S1"
name = "Leeds"
region = "north"

[[person]]
email = "a@example.com"
name = "A"
site = "S1"
"""
TEAM = """
[[team]]
key = "t"
department = "facilities"
lead = "a@example.com"
"""


@pytest.mark.parametrize("text, expected", [
    (ORG_HEAD + 'name = "unclosed\n', "not valid TOML: "),
    (ORG_HEAD + TEAM + 'members = [{ email = "a@example.com", capacity = "five" }]\n',
     "line 15: team #1 field 'members': capacity of a@example.com must be a whole number from 1"),
    ("sites = 3\n", "line 1: unknown section [[sites]]"),
    ("site = 3\n", "'site' must be a list of [[site]] tables"),
    ('[site]\ncode = "S1"\n', "'site' must be a list of [[site]] tables"),
    (ORG_HEAD.replace('email = "a@example.com"\n', ""), "line 6: person #1: 'email' is missing"),
    (ORG_HEAD.replace('site = "S1"', 'site = "NOPE"'), "line 9: person #1 field 'site': no site 'NOPE'"),
    (ORG_HEAD + TEAM + "calendar = { hours = 5 }\n",
     "line 15: team #1 field 'calendar': hours must be text in quotes"),
    (ORG_HEAD + TEAM + "calendar = { timezone = [\"x\"] }\n",
     "line 15: team #1 field 'calendar': timezone must be text in quotes"),
    (ORG_HEAD + TEAM + 'calendar = { closures = "2026-12-25" }\n',
     "line 15: team #1 field 'calendar': closures must be a list of dates"),
    (ORG_HEAD + TEAM + "calendar = { closures = [0001-01-01] }\n",
     "line 15: team #1 field 'calendar': closure 0001-01-01 is out of range: dates must be between 1900 and 2200"),
    (b"\xff\xfe[[site]]\n", "line 1: not UTF-8 text; save the file as UTF-8"),
], ids=["toml-syntax", "capacity-five", "sites-3", "site-3", "site-table", "missing-email", "unknown-site",
        "hours-number", "timezone-list", "closures-text", "closure-year-1", "not-utf8"])
def test_a_malformed_org_file_is_one_line_naming_the_file(text: str | bytes, expected: str,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "ownit.db"
    cli = Cli(loaded(path))
    org = tmp_path / "org.toml"
    if isinstance(text, bytes):
        org.write_bytes(text)
    else:
        org.write_text(text)
    message = cli.fails("org", "load", str(org))
    assert message.startswith(str(org)), message
    assert expected in message, message
    assert len(cli.json("people")) == 17  # all or nothing: the demo organisation as it was


# --- backups ------------------------------------------------------------------------------------------------


def test_a_backup_onto_a_full_disk_leaves_nothing_and_the_retry_works(tmpfs: Path, tmp_path: Path) -> None:
    url = loaded(tmp_path / "ownit.db")
    fill(tmpfs)
    os.truncate(tmpfs / "filler", os.path.getsize(tmpfs / "filler") - 64 * 1024)  # room for part of a copy
    cli = Cli(url)
    target = tmpfs / "copy.db"
    message = cli.fails("backup", str(target), now=None)
    assert message.startswith(f"cannot back up to {target}: the disk is full ("), message
    assert message.endswith("nothing was written; free some space or back up to another disk")
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler"]
    (tmpfs / "filler").unlink()
    result = cli("backup", str(target), now=None)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmpfs.iterdir()) == ["copy.db"]
    assert backups.check(target)["requests"] == 1


def test_a_backup_that_fails_part_way_leaves_no_file_behind(tmp_path: Path) -> None:
    url = loaded(tmp_path / "ownit.db")
    (tmp_path / "copies").mkdir()
    target = tmp_path / "copies" / "copy.db"

    def interrupted(done: int, total: int) -> None:
        if done:  # part of the copy is written: the person presses Ctrl-C
            raise KeyboardInterrupt

    saved, backups.PAGES_PER_STEP = backups.PAGES_PER_STEP, 4
    try:
        with pytest.raises(KeyboardInterrupt):
            backups.backup(url, target, progress=interrupted)
    finally:
        backups.PAGES_PER_STEP = saved
    assert list((tmp_path / "copies").iterdir()) == []
    assert backups.backup(url, target)["requests"] == 1
    assert [p.name for p in (tmp_path / "copies").iterdir()] == ["copy.db"]


def test_the_schema_check_does_not_touch_an_uninitialised_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'blank.db'}"
    assert "is not set up yet; run 'ownit init'" in Cli(url).fails("people")
    upgrade(url)
    assert Cli(url).json("people", now=None) == []
