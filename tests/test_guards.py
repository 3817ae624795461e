"""Who may do what from the command line: the operating-system identity mode
(``OWNIT_CLI_IDENTITY=os``, an admin acting as someone, on the timeline), and
the guards on the commands that change everyone's desk at once — loading the
org file, restoring a backup, the demo over a database that is not the demo's."""

from __future__ import annotations

import mailbox
import os
import pwd
import sqlite3
from pathlib import Path

import pytest

from conftest import AMIRA, HELEN, SAM
from test_cli import DEMO_ORG, LEAK_ARGS, Cli
from ownit.testing import fresh_database

ME = pwd.getpwuid(os.geteuid()).pw_name  # the account these tests run as
OS = {"OWNIT_CLI_IDENTITY": "os"}


def org(tmp_path: Path, *, logins: dict[str, str] = {}, admins: tuple[str, ...] = (HELEN,)) -> Path:
    """A small organisation: one store, a facilities team (Helen leads, Sam works
    it), Amira the store manager; ``logins`` by email, ``admins`` by email."""
    def person(email: str, name: str, roles: list[str], site: str) -> str:
        roles = roles + (["admin"] if email in admins else [])
        login = f'login = "{logins[email]}"\n' if email in logins else ""
        return (f'[[person]]\nemail = "{email}"\nname = "{name}"\nsite = "{site}"\n'
                f'roles = [{", ".join(repr(r).replace(chr(39), chr(34)) for r in roles)}]\n{login}\n')

    text = ('[[site]]\ncode = "S001"\nname = "Leeds"\nregion = "north"\ntimezone = "Europe/London"\n\n'
            '[[site]]\ncode = "HQ"\nname = "Head office"\nregion = "north"\ntimezone = "Europe/London"\n\n'
            + person(AMIRA, "Amira Khan", ["requester"], "S001")
            + person(HELEN, "Helen Price", ["lead"], "HQ") + person(SAM, "Sam Doyle", ["agent"], "HQ")
            + '[[team]]\nkey = "facilities-north"\nname = "Facilities North"\ndepartment = "facilities"\n'
              f'regions = ["north"]\nlead = "{HELEN}"\n'
              f'members = [{{ email = "{SAM}", skills = ["building", "plumbing", "hvac"] }}]\n')
    path = tmp_path / f"org-{len(list(tmp_path.glob('org-*')))}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path):
    for url in fresh_database("sqlite", tmp_path):
        yield Cli(url)


# --- the operating-system identity ------------------------------------------------------------------


def test_os_mode_knows_you_by_your_login_and_refuses_anyone_else(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path, logins={AMIRA: ME}))  # an empty directory: the first load makes it
    raised = cli.json("raise", *LEAK_ARGS, env=OS)  # no --as: the login says who
    assert raised["requester"]["email"] == AMIRA
    # Amira is no admin: --as (or an OWNIT_USER left in the environment) is refused, nothing is done
    assert cli.fails("note", raised["ref"], "--note", "hi", "--as", SAM, env=OS) == (
        f"you are signed in as {AMIRA} (login {ME!r}); only an admin may act --as someone else: "
        "leave out --as (and OWNIT_USER)")
    assert cli.fails("queue", env={**OS, "OWNIT_USER": SAM}).startswith(f"you are signed in as {AMIRA}")
    # naming yourself is no acting
    assert cli.json("show", raised["ref"], "--as", AMIRA, env=OS)["ref"] == raised["ref"]
    assert len(cli.show(raised["ref"])["timeline"]) == 2  # raised, assigned: nothing else was written


def test_os_mode_with_a_login_not_in_the_directory_is_one_line(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path))
    assert cli.fails("queue", env=OS) == (
        f"your login {ME!r} is not in the directory (OWNIT_CLI_IDENTITY=os); ask an admin to add "
        f'login = "{ME}" to your [[person]] in the org file')
    assert cli.fails("queue", code=2, env={"OWNIT_CLI_IDENTITY": "kerberos"}) == (
        "OWNIT_CLI_IDENTITY='kerberos' is not a mode; use 'os' (your login) or leave it unset (--as)")


def test_an_admin_acting_as_someone_is_on_the_timeline_as_both(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path, logins={HELEN: ME}))
    ref = cli.raise_leak()["ref"]
    assert cli.show(ref)["owner"]["email"] == SAM
    cli.ok("contact", ref, "--note", "Called Amira for Sam", "--as", SAM, env=OS)
    contact = cli.show(ref)["timeline"][-1]
    assert (contact["kind"], contact["actor"], contact["acting"]) == ("contacted", SAM, HELEN)
    assert contact["actor_name"] == "Helen Price acting as Sam Doyle"
    assert "Helen Price acting as Sam Doyle" in cli.ok("show", ref, "--as", AMIRA).stdout
    # acting as yourself is plain you
    cli.ok("note", ref, "--note", "Roofer booked", env=OS)
    assert (cli.show(ref)["timeline"][-1]["actor_name"], cli.show(ref)["timeline"][-1]["acting"]) == (
        "Helen Price", None)


def test_a_login_moves_between_people_in_one_load_and_is_never_shared(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path, logins={AMIRA: ME}))
    cli.ok("org", "load", org(tmp_path, logins={HELEN: ME}), "--as", HELEN)  # from Amira to Helen at once
    assert cli.json("queue", env=OS) == []  # Helen's (empty) queue: the login is hers now
    shared = org(tmp_path, logins={HELEN: ME, SAM: ME})
    assert f"login {ME!r} is already {HELEN}'s; one account is one person" in cli.fails(
        "org", "load", shared, "--as", HELEN)
    bad = org(tmp_path, logins={SAM: "sam doyle"})
    assert "is not an account name" in cli.fails("org", "load", bad, "--as", HELEN)


# --- guards: the org file, restore, the demo -----------------------------------------------------------


def test_only_an_admin_loads_the_org_file_once_there_is_one(cli: Cli, tmp_path: Path) -> None:
    first = org(tmp_path, admins=())
    assert cli.ok("org", "load", first).stdout.startswith("loaded 2 sites, 3 people, 1 team")  # anyone, at first
    # no admin named yet: anyone, with a warning that says how to close it
    loaded = cli("org", "load", org(tmp_path), "--as", SAM)
    assert loaded.exit_code == 0 and loaded.stderr == (
        "warning: the directory names no admin, so anyone may load the org file, restore and reset; "
        'give someone roles = [..., "admin"] in the org file\n')
    # now Helen is an admin: nobody else, and no one unnamed
    assert cli.fails("org", "load", first, "--as", SAM) == (
        f"only an admin may load the org file; you are {SAM}, not an admin (admins: {HELEN})")
    assert cli.fails("org", "load", first).startswith("who are you?")
    assert cli.fails("org", "load", first, env={"OWNIT_USER": "  "}).startswith("who are you?")
    assert [p["roles"] for p in cli.json("people") if p["email"] == HELEN] == [["admin", "lead"]]  # unchanged
    cli.ok("org", "load", first, "--as", HELEN)
    assert [p["roles"] for p in cli.json("people") if p["email"] == HELEN] == [["lead"]]


def test_restore_keeps_what_it_replaces_and_needs_replace_for_a_stranger(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path))
    cli.raise_leak()
    backup = tmp_path / "copy.db"
    assert cli("backup", str(backup)).exit_code == 0
    live = Path(cli.url.removeprefix("sqlite:///"))

    # a file that is not an OwnIt database is not overwritten unless asked, and then kept
    stranger = tmp_path / "notes.db"
    sqlite3.connect(stranger).execute("create table notes (x)").connection.close()
    stranger_bytes = stranger.read_bytes()
    other = Cli(f"sqlite:///{stranger}")
    assert other.fails("restore", str(backup)) == (
        f"{stranger} is not an OwnIt database; pass --replace to overwrite it (a copy of it is kept next to it first)")
    assert stranger.read_bytes() == stranger_bytes
    text = tmp_path / "letter.txt"
    text.write_text("Dear Amira,\n")
    assert Cli(f"sqlite:///{text}").fails("restore", str(backup)).startswith(f"{text} is not an OwnIt database")
    restored = Cli(f"sqlite:///{text}")("restore", str(backup), "--replace").stdout
    kept = next(tmp_path.glob("letter.txt.before-restore-*"))
    assert f"what was there is kept at {kept}" in restored and kept.read_text() == "Dear Amira,\n"
    assert len(Cli(f"sqlite:///{text}").json("queue", "--as", SAM)) == 1

    # over a live OwnIt database: --replace, an admin of it, and a copy of it first
    cli.raise_leak()
    assert "holds 2 requests; pass --replace" in cli.fails("restore", str(backup), "--as", HELEN)
    assert cli.fails("restore", str(backup), "--replace", "--as", SAM) == (
        f"only an admin may restore a backup over this database; you are {SAM}, not an admin (admins: {HELEN})")
    assert len(cli.json("queue", "--as", SAM)) == 2  # nothing changed
    assert not list(tmp_path.glob("**/ownit-test.db.before-*"))
    assert cli("restore", str(backup), "--replace", "--as", HELEN).exit_code == 0
    assert len(cli.json("queue", "--as", SAM)) == 1
    kept = next(live.parent.glob("ownit-test.db.before-restore-*"))
    assert len(Cli(f"sqlite:///{kept}").json("queue", "--as", SAM)) == 2  # what was replaced, whole


def test_the_demo_never_lands_on_a_database_that_is_not_the_demos(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "load", org(tmp_path))
    kim = tmp_path / "kim.toml"  # someone the demo does not have: this is a real organisation
    kim.write_text('[[person]]\nemail = "kim.lowe@corp.example"\nname = "Kim Lowe"\nsite = "S001"\n')
    cli.ok("org", "load", kim, "--as", HELEN)
    ref = cli.raise_leak()["ref"]
    for args in (["demo", "--no-ui", "--history-weeks", "0"], ["demo", "--reset", "--no-ui"]):
        message = cli.fails(*args)
        assert message.startswith(f"the database at {cli.url} holds more than the demo (person kim.lowe@corp.example); "
                                  ) and message.endswith(
            "give the demo a database of its own (OWNIT_DATABASE_URL), or pass --force as an admin to "
            + ("reset it" if "--reset" in args else "load the demo into it")), message
    assert cli.fails("demo", "--reset", "--force", "--no-ui", "--as", SAM).startswith("only an admin may reset")
    assert cli.show(ref)["ref"] == ref  # still there

    mail = mailbox.Maildir(Path(cli.url.removeprefix("sqlite:///")).parent / "ownit-mail")  # the folder beside it
    mail.add(b"Subject: [FAC-1001] Roof leaking\r\n\r\nto Kim's colleagues\r\n")
    done = cli.ok("demo", "--reset", "--force", "--no-ui", "--history-weeks", "0", "--as", HELEN,
                  env={"OWNIT_SMTP_URL": None}).stdout
    kept = next(Path(cli.url.removeprefix("sqlite:///")).parent.glob("ownit-test.db.before-reset-*"))
    assert f"kept a copy of what was there at {kept}" in done
    assert Cli(f"sqlite:///{kept}").show(ref)["ref"] == ref
    assert "mail folder" not in done and len(mail) == 1  # kept with the database it belongs to, not emptied
    # the demo's own database: reset again without asking anyone, and nothing kept
    cli.ok("demo", "--reset", "--no-ui", "--history-weeks", "0")
    assert [p.name for p in kept.parent.glob("ownit-test.db.before-*") if not p.name.endswith(("-wal", "-shm"))] == [
        kept.name]
    loaded = cli("org", "load", DEMO_ORG)  # the demo names no admin: anyone, with the warning
    assert loaded.exit_code == 0 and "the directory names no admin" in loaded.stderr


def test_acting_as_through_the_service_on_both_databases(ownit_desk, tmp_path: Path) -> None:
    from ownit import PermissionDenied, service
    from ownit.actors import Login
    from ownit.org import load_org

    load_org(ownit_desk, org(tmp_path, logins={HELEN: "helen", AMIRA: "amira"}))
    ref = service.raise_request(ownit_desk, actor=Login("amira"), request_type="facilities.leak", title="Leak",
                                fields={"location": "stockroom", "near_electrics": "no"})["ref"]
    with pytest.raises(PermissionDenied, match="only an admin may act --as someone else"):
        service.add_note(ownit_desk, ref, actor=Login("amira", acting_as=SAM), note="as Sam")
    service.contact(ownit_desk, ref, actor=Login("helen", acting_as=SAM), note="for Sam")
    last = service.show(ownit_desk, ref, actor=HELEN)["timeline"][-1]
    assert (last["actor"], last["acting"], last["actor_name"]) == (SAM, HELEN, "Helen Price acting as Sam Doyle")
    assert [e["acting"] for e in service.show(ownit_desk, ref, actor=HELEN)["timeline"]] == [None, None, HELEN]


# --- what reaches an agent's terminal --------------------------------------------------------------


def test_text_a_terminal_would_obey_is_shown_escaped(cli: Cli, tmp_path: Path) -> None:
    import json

    cli.ok("org", "load", org(tmp_path))
    title = "Leak \u009b2J over \u202etill 2\u2028urgent"  # a C1 CSI, a right-to-left override, a line separator
    ref = cli.json("raise", "--as", AMIRA, "--type", "facilities.leak", "--title", title,
                   "--field", "location=stockroom", "--field", "near_electrics=no")["ref"]
    for args in (["show", ref, "--as", SAM], ["queue", "--as", SAM], ["inbox", "--as", SAM]):
        shown = cli.ok(*args).stdout
        assert "\\u009b2J" in shown and "\\u202etill" in shown, shown
        assert not any(ch in shown for ch in "\u009b\u202e\u2028"), args
    data = cli.ok("show", ref, "--as", SAM, "--json").stdout
    assert "\\u202e" in data and json.loads(data)["title"] == title  # still JSON, meaning the same
