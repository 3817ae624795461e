"""The ``ownit`` command line, end to end, as a new support agent would use it.

Every test drives :data:`ownit.cli.app` through Typer's ``CliRunner`` against a
real database (a SQLite file, and PostgreSQL when ``OWNIT_TEST_DATABASE_URL``
is set), with the hidden ``--now`` clock so that due times are exact.

The demo organisation is loaded the way ``ownit_demo_org`` does it (IT and HR
teams skipped: their plugins are not installed), so no sample requests exist
and the first request raised is ``FAC-1001``.

Times: Monday 2026-11-23 10:00 UTC is 10:00 in London; Facilities North works
Monday to Friday 08:00-18:00, so one business day is ten hours.
"""

from __future__ import annotations

import json
import mailbox
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner, Result

from conftest import AMIRA, GRACE, HELEN, LUCY, OWEN, PRIYA, SAM, TOM
from ownit.cli import app
from ownit.testing import fresh_database

NOW = "2026-11-23T10:00:00+00:00"  # Monday
REPO = Path(__file__).resolve().parents[1]
DEMO_ORG = REPO / "ownit" / "demo" / "org.toml"
LEAK_ARGS = ["--type", "facilities.leak", "--title", "Roof leaking over the stockroom",
             "--field", "location=stockroom", "--field", "near_electrics=no"]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"


class Cli:
    """Runs ``ownit`` against one database URL, as a person at a terminal would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, now: str | None = NOW, env: dict[str, str | None] | None = None) -> Result:
        # An 80-column terminal; no identity leaks in from the caller's shell, and the plugins are the suite's
        # own (ownit_plugins in pyproject.toml, through OWNIT_PLUGINS).
        environment: dict[str, str | None] = {"OWNIT_DATABASE_URL": self.url, "OWNIT_USER": None,
                                              "OWNIT_CLI_IDENTITY": None, "OWNIT_DISABLE_PLUGINS": None,
                                              "COLUMNS": "80", "NO_COLOR": "1"}
        environment.update(env or {})
        argv = (["--now", now] if now else []) + [str(a) for a in args]
        return self.runner.invoke(app, argv, env=environment)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert_no_traceback(result)
        assert result.exit_code == 0, f"ownit {' '.join(args)} failed: {result.output}"
        assert result.stderr == "", result.stderr
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)

    def fails(self, *args: str, code: int = 1, **kwargs: Any) -> str:
        """Run a wrong step; return its one error line (without 'error: ')."""
        result = self(*args, **kwargs)
        return one_error_line(result, code)

    def raise_leak(self, actor: str = AMIRA, now: str = NOW) -> dict[str, Any]:
        return self.json("raise", "--as", actor, *LEAK_ARGS, now=now)

    def show(self, ref: str, actor: str = AMIRA, now: str = NOW) -> dict[str, Any]:
        return self.json("show", ref, "--as", actor, now=now)

    def queue(self, actor: str, *args: str, now: str = NOW) -> list[dict[str, Any]]:
        return self.json("queue", "--as", actor, *args, now=now)


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unexpected {result.exception!r}; output: {result.output}")
    assert "Traceback" not in result.output


def one_error_line(result: Result, code: int) -> str:
    assert_no_traceback(result)
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0][len("error: "):]


def kinds(view: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in view["timeline"]]


def refs(rows: list[dict[str, Any]]) -> list[str]:
    return [r["ref"] for r in rows]


def line_of(path: Path, needle: str) -> int:
    matches = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(matches) == 1, f"{needle!r} is on lines {matches}"
    return matches[0]


@pytest.fixture
def cli(ownit_demo_org: Any, ownit_database_url: str) -> Cli:
    """The CLI on a database holding the demo organisation and no requests."""
    return Cli(ownit_database_url)


@pytest.fixture
def leak(cli: Cli) -> str:
    """FAC-1001: Amira's leak, raised Monday 10:00, owned by Priya."""
    view = cli.raise_leak()
    assert view["ref"] == "FAC-1001" and view["owner"]["email"] == PRIYA
    return view["ref"]


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has run 'ownit init' on."""
    yield from fresh_database(request.param, tmp_path, migrate=False)


# --- what is installed ------------------------------------------------------------------


def test_departments_lists_facilities_and_its_request_types(cli: Cli) -> None:
    out = cli.ok("departments").stdout
    assert "Facilities" in out
    for key in ("facilities.leak", "facilities.fixture", "facilities.heating"):
        assert key in out  # in full: it is what --type takes
    assert "Water leak or roof" in out and "Heating or cooling" in out
    assert "plugins: chat 0.1.0, email 0.1.0, facilities 0.1.0, hr 0.1.0, it 0.1.0" in out

    data = cli.json("departments")
    assert [p["name"] for p in data["plugins"]] == ["chat", "email", "facilities", "hr", "it"]
    assert [p["distribution"] for p in data["plugins"]] == ["ownit-chat", "ownit-email", "ownit-facilities", "ownit-hr",
                                                            "ownit-it"]
    assert data["problems"] == []
    assert [d["key"] for d in data["departments"]] == ["facilities", "hr", "it"]
    facilities = data["departments"][0]
    assert facilities["prefix"] == "FAC"
    types = {t["key"]: t for t in facilities["request_types"]}
    assert set(types) == {"facilities.leak", "facilities.fixture", "facilities.heating", "facilities.pest",
                          "facilities.security"}
    leak = types["facilities.leak"]
    assert leak["label"] == "Water leak or roof"
    assert leak["default_priority"] == "high"
    assert [f["key"] for f in leak["fields"]] == ["location", "near_electrics", "trading_floor"]
    assert [s["key"] for s in leak["stages"]] == ["reported", "assessed", "booked", "repaired", "verified"]
    assert leak["promise"]["high"] == {"first_contact": "4h", "checkin": "1d", "resolve": "3d"}


@pytest.mark.parametrize("command, identifiers", [
    ("people", [AMIRA, SAM, PRIYA, HELEN]),
    ("teams", ["facilities-north", "facilities-south"]),
])
def test_directory_tables_show_identifiers_in_full_on_an_80_column_terminal(
        cli: Cli, command: str, identifiers: list[str]) -> None:
    out = cli.ok(command).stdout
    missing = [i for i in identifiers if i not in out]
    assert missing == []


def test_people_and_teams_json_return_the_directory(cli: Cli) -> None:
    people = cli.json("people")
    assert len(people) == 17  # every person of the demo file, IT and HR staff included
    by_email = {p["email"]: p for p in people}
    assert [p["email"] for p in people] == sorted(by_email)
    amira = by_email[AMIRA]
    assert (amira["name"], amira["title"], amira["site"], amira["roles"]) == (
        "Amira Khan", "Store manager", "S001", ["requester"])
    assert amira["phone"] == "0113 496 0001"
    assert amira["away_from"] is None and amira["away_until"] is None
    assert "lead" in by_email[HELEN]["roles"]
    assert "agent" in by_email[SAM]["roles"] and by_email[SAM]["site"] == "HQ"

    teams = cli.json("teams")
    assert [t["key"] for t in teams] == ["facilities-north", "facilities-south", "hr-partners", "it-service"]
    north, south = teams[:2]
    assert north["name"] == "Facilities North" and north["department"] == "facilities"
    assert north["regions"] == ["north"]
    assert north["lead"]["email"] == HELEN
    assert {m["email"] for m in north["members"]} == {SAM, PRIYA}
    assert north["calendar"]["hours"] == "08:00-18:00" and north["calendar"]["days"] == "MO-FR"
    assert north["calendar"]["closures"] == ["2026-12-24"]
    sam = next(m for m in north["members"] if m["email"] == SAM)
    assert (sam["skills"], sam["capacity"], sam["open"], sam["away"]) == (
        ["building", "hvac", "plumbing"], 15, 0, False)
    assert south["lead"]["email"] == OWEN
    assert [m["email"] for m in south["members"]] == [LUCY]

    cli.raise_leak()
    north = cli.json("teams")[0]
    assert {m["email"]: m["open"] for m in north["members"]} == {PRIYA: 1, SAM: 0}


# --- raising and showing a request ------------------------------------------------------------


def test_raise_prints_the_ref_and_the_owner(cli: Cli) -> None:
    result = cli.ok("raise", "--as", AMIRA, *LEAK_ARGS)
    assert result.stdout == ("FAC-1001 raised: Priya Shah (Facilities North) owns it "
                             "and will contact you by Mon 23 Nov 14:00.\n")


def test_show_json_has_owner_promise_progress_and_timeline(cli: Cli, leak: str) -> None:
    view = cli.show(leak, AMIRA)
    assert view["ref"] == "FAC-1001"
    assert view["title"] == "Roof leaking over the stockroom"
    assert view["owner"]["email"] == PRIYA and view["owner"]["name"] == "Priya Shah"
    assert view["requester"]["email"] == AMIRA
    assert view["team"] == {"key": "facilities-north", "name": "Facilities North"}
    assert view["status"] == "open"
    assert view["stage"] == "reported"
    assert view["priority"] == "high"
    assert view["fields"] == {"location": "stockroom", "near_electrics": False}
    promise = view["promise"]
    assert promise["first_contact_due"] == "2026-11-23T14:00:00+00:00"  # 4 business hours
    assert promise["next_checkin_due"] is None  # check-ins start at first contact
    assert promise["resolve_by"] == "2026-11-26T10:00:00+00:00"  # 3 business days
    assert view["progress"]["done"] == 1 and view["progress"]["total"] == 5
    assert kinds(view) == ["raised", "assigned"]
    raised, assigned = view["timeline"]
    assert raised["actor"] == AMIRA and raised["at"] == "2026-11-23T10:00:00+00:00"
    assert assigned["data"]["owner"] == PRIYA and assigned["data"]["team"] == "facilities-north"

    text = cli.ok("show", leak, "--as", AMIRA).stdout
    assert "FAC-1001 Roof leaking over the stockroom" in text
    assert "Owner: Priya Shah" in text
    assert "First contact: due by Mon 23 Nov 14:00" in text
    assert "Resolve by: Thu 26 Nov 10:00" in text
    assert "Progress 1/5" in text


@pytest.mark.parametrize("now, near_electrics, priority, contact_due, resolve_by", [
    pytest.param(NOW, "yes", "urgent", "2026-11-23T12:00:00+00:00", "2026-11-25T10:00:00+00:00", id="urgent"),
    # Friday 17:00: one hour on Friday, three on Monday.
    pytest.param("2026-11-27T17:00:00+00:00", "no", "high", "2026-11-30T11:00:00+00:00",
                 "2026-12-02T17:00:00+00:00", id="over-a-weekend"),
    # 23 December 17:00: the 24th is a team closure, then Christmas, the weekend and the
    # Boxing Day holiday (Saturday the 26th, observed on Monday the 28th).
    pytest.param("2026-12-23T17:00:00+00:00", "no", "high", "2026-12-29T11:00:00+00:00",
                 "2026-12-31T17:00:00+00:00", id="over-christmas"),
])
def test_the_promise_follows_the_team_calendar(cli: Cli, now: str, near_electrics: str, priority: str,
                                               contact_due: str, resolve_by: str) -> None:
    view = cli.json("raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                    "--field", "location=stockroom", "--field", f"near_electrics={near_electrics}", now=now)
    assert view["priority"] == priority
    assert view["promise"]["first_contact_due"] == contact_due
    assert view["promise"]["resolve_by"] == resolve_by


def test_identity_from_ownit_user_and_email_case_does_not_matter(cli: Cli, leak: str) -> None:
    result = cli.ok("show", leak, "--json", env={"OWNIT_USER": AMIRA})
    assert json.loads(result.stdout)["ref"] == leak
    assert cli.json("show", leak.lower(), "--as", "Amira.Khan@Example.COM")["ref"] == leak


@pytest.mark.parametrize("command", [["note", "--note", "Anyone there?"], ["note", "--note", "x", "--internal"],
                                     ["show"], ["checkin", "--note", "x"], ["resolve", "--note", "x"]])
@pytest.mark.parametrize("user", [None, "", "   "])
def test_no_identity_is_who_are_you_never_ownit_itself(cli: Cli, leak: str, command: list[str],
                                                      user: str | None) -> None:
    """Neither --as nor OWNIT_USER (or an empty one): nothing is read or
    written as the system."""
    before = cli.show(leak)["timeline"]
    result = cli(command[0], leak, *command[1:], "--json", env={"OWNIT_USER": user})
    assert one_error_line(result, 1) == "who are you? pass --as EMAIL or set OWNIT_USER"
    assert cli.show(leak)["timeline"] == before


def test_an_action_prints_the_request_s_line_and_with_json_its_whole_view(cli: Cli, leak: str) -> None:
    """The line comes from the request's line alone (a brief desk: no timeline
    read for it); ``--json`` answers with the whole view, as ``show`` does."""
    said = cli.ok("contact", leak, "--as", PRIYA, "--note", "On my way").stdout
    assert said == "FAC-1001: first contact made (status open, stage Reported 1/5, owner Priya Shah)\n"
    again = cli.ok("checkin", leak, "--as", PRIYA, "--note", "Roofer booked", "--key", "c-1").stdout
    assert again == "FAC-1001: checked in (status open, stage Reported 1/5, owner Priya Shah)\n"
    repeat = cli.ok("checkin", leak, "--as", PRIYA, "--note", "Roofer booked", "--key", "c-1").stdout
    assert repeat.startswith("FAC-1001: done earlier with this key, nothing changed (status open")
    view = cli.json("advance", leak, "--as", PRIYA, "--note", "Assessed")
    assert [e["kind"] for e in view["timeline"]][-3:] == ["contacted", "checkin", "stage"]
    assert view == {**cli.show(leak, PRIYA), "repeated": False}


# --- working a request from start to finish --------------------------------------------------------


def test_walk_a_request_from_raise_to_confirmation(cli: Cli, leak: str) -> None:
    def step(at: str, *args: str) -> dict[str, Any]:
        return cli.json(*args, now=at)

    def mine(at: str) -> dict[str, dict[str, Any]]:
        return {r["ref"]: r for r in cli.queue(PRIYA, "--mine", now=at)}

    view = step("2026-11-23T11:00:00+00:00", "contact", leak, "--as", PRIYA,
                "--note", "Called Amira; buckets in place")
    assert view["promise"]["first_contact_at"] == "2026-11-23T11:00:00+00:00"
    assert view["promise"]["next_checkin_due"] == "2026-11-24T11:00:00+00:00"  # one business day on

    view = step("2026-11-24T09:00:00+00:00", "checkin", leak, "--as", PRIYA,
                "--note", "Roofer booked for tomorrow")
    assert view["promise"]["next_checkin_due"] == "2026-11-25T09:00:00+00:00"

    view = step("2026-11-24T10:00:00+00:00", "advance", leak, "--as", PRIYA, "--note", "Flashing has failed")
    assert (view["stage"], view["progress"]["done"], view["progress"]["total"]) == ("assessed", 2, 5)
    queued = mine("2026-11-24T10:00:00+00:00")
    assert queued[leak]["progress"] == {"done": 2, "total": 5}
    text = cli.ok("queue", "--mine", "--as", PRIYA, now="2026-11-24T10:00:00+00:00").stdout
    assert "FAC-1001" in text and "(2/5)" in text

    view = step("2026-11-24T11:00:00+00:00", "advance", leak, "--as", PRIYA, "--note", "Roofer booked")
    assert (view["stage"], view["progress"]["done"]) == ("booked", 3)

    view = step("2026-11-24T12:00:00+00:00", "wait", leak, "--as", PRIYA,
                "--note", "Please let the roofer in on Wednesday at 8")
    assert view["status"] == "waiting"
    assert mine("2026-11-24T12:00:00+00:00")[leak]["status"] == "waiting"  # still in the queue

    view = step("2026-11-25T09:00:00+00:00", "resume", leak, "--as", AMIRA, "--note", "Roofer has been in")
    assert view["status"] == "open"

    view = step("2026-11-25T10:00:00+00:00", "advance", leak, "--to", "verified", "--as", PRIYA,
                "--note", "Sealed; please check it")
    assert (view["stage"], view["progress"]["done"]) == ("verified", 5)
    text = cli.ok("queue", "--as", PRIYA, now="2026-11-25T10:00:00+00:00").stdout
    assert "FAC-1001" in text and "(5/5)" in text

    view = step("2026-11-25T11:00:00+00:00", "resolve", leak, "--as", PRIYA, "--note", "Roof resealed")
    assert view["status"] == "resolved" and view["resolved_at"] == "2026-11-25T11:00:00+00:00"
    assert leak not in mine("2026-11-25T11:00:00+00:00")

    result = cli.ok("confirm", leak, "--nps", "9", "--effort", "2", "--comment", "Kept me posted",
                    "--as", AMIRA, now="2026-11-26T09:00:00+00:00")
    assert result.stdout.startswith("FAC-1001: closed (status closed")

    view = cli.show(leak, AMIRA, now="2026-11-26T09:00:00+00:00")
    assert view["status"] == "closed" and view["closed_at"] == "2026-11-26T09:00:00+00:00"
    assert (view["stage"], view["progress"]["done"], view["progress"]["total"]) == ("verified", 5, 5)
    assert view["owner"]["email"] == PRIYA
    assert kinds(view) == ["raised", "assigned", "contacted", "checkin", "stage", "stage", "waiting",
                           "resumed", "stage", "resolved", "confirmed"]
    timeline = view["timeline"]
    assert [e["actor"] for e in timeline] == [AMIRA, None, PRIYA, PRIYA, PRIYA, PRIYA, PRIYA, AMIRA,
                                              PRIYA, PRIYA, AMIRA]
    assert [e["at"][:16] for e in timeline[2:]] == [
        "2026-11-23T11:00", "2026-11-24T09:00", "2026-11-24T10:00", "2026-11-24T11:00",
        "2026-11-24T12:00", "2026-11-25T09:00", "2026-11-25T10:00", "2026-11-25T11:00", "2026-11-26T09:00"]
    assert timeline[2]["note"] == "Called Amira; buckets in place" and timeline[2]["data"]["on_time"] is True
    assert timeline[6]["note"] == "Please let the roofer in on Wednesday at 8"
    stages = [(e["data"]["from"], e["data"]["to"]) for e in timeline if e["kind"] == "stage"]
    assert stages == [("reported", "assessed"), ("assessed", "booked"), ("booked", "verified")]
    assert timeline[9]["note"] == "Roof resealed"
    assert timeline[10]["data"] == {"nps": 9, "effort": 2}

    assert cli.queue(PRIYA, "--mine", now="2026-11-26T09:00:00+00:00") == []
    assert cli.ok("queue", "--mine", "--as", PRIYA, now="2026-11-26T09:00:00+00:00").stdout == (
        "nothing here: the queue is empty\n")
    closed = cli.queue(PRIYA, "--status", "closed", now="2026-11-26T09:00:00+00:00")
    assert refs(closed) == [leak] and closed[0]["status"] == "closed"


def test_waiting_on_the_requester_pauses_the_promise(cli: Cli, leak: str) -> None:
    cli.ok("contact", leak, "--as", PRIYA, "--note", "Called", now="2026-11-23T11:00:00+00:00")
    cli.ok("wait", leak, "--as", PRIYA, "--note", "Send a photo", now="2026-11-23T12:00:00+00:00")
    # Two business days later Amira answers.
    view = cli.json("resume", leak, "--as", AMIRA, "--note", "Photo sent", now="2026-11-25T12:00:00+00:00")
    assert view["promise"]["resolve_by"] > "2026-11-26T10:00:00+00:00"
    assert view["promise"]["next_checkin_due"] > "2026-11-25T12:00:00+00:00"
    assert cli.queue(PRIYA, "--overdue", now="2026-11-25T12:00:00+00:00") == []


# --- wrong steps: one line on stderr, exit 1 (usage: 2), never a traceback -------------------------


@pytest.mark.parametrize("args, code, expected", [
    pytest.param(["resolve", "FAC-1001", "--note", "done", "--as", PRIYA], 1,
                 "cannot resolve FAC-1001: first contact has not been made yet", id="resolve-before-contact"),
    pytest.param(["handoff", "FAC-1001", "--to", LUCY, "--note", "yours", "--as", PRIYA], 1,
                 "lucy.ward@example.com is not in Facilities North", id="handoff-outside-team"),
    pytest.param(["handoff", "FAC-1001", "--to", PRIYA, "--note", "mine", "--as", PRIYA], 1,
                 "already owned by that person", id="handoff-to-owner"),
    pytest.param(["show", "FAC-9999", "--as", AMIRA], 1, "no request 'FAC-9999'", id="unknown-ref"),
    pytest.param(["contact", "FAC-9999", "--note", "hi", "--as", PRIYA], 1, "no request 'FAC-9999'",
                 id="unknown-ref-action"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "   ",
                  "--field", "location=stockroom", "--field", "near_electrics=no"], 1,
                 "the title is empty", id="empty-title"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.lake", "--title", "Leak",
                  "--field", "location=stockroom"], 1, "unknown request type 'facilities.lake'",
                 id="unknown-type"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                  "--field", "location=stockroom", "--field", "near_electrics=maybe"], 1,
                 "'maybe' is not yes or no", id="bad-field-value"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                  "--field", "near_electrics=no"], 1, "(location) is required", id="missing-required-field"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                  "--field", "location=stockroom", "--field", "colour=blue"], 1, "has no field 'colour'",
                 id="unknown-field"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                  "--field", "location=stockroom", "--field", "near_electrics"], 2,
                 "--field 'near_electrics' must look like key=value", id="field-without-equals"),
    pytest.param(["raise", "--as", AMIRA, *LEAK_ARGS, "--needed-by", "next week"], 1,
                 "--needed-by 'next week' is not a date", id="bad-needed-by"),
    pytest.param(["raise", "--as", AMIRA, *LEAK_ARGS, "--needed-by", "2026-11-01"], 1,
                 "needed-by date 2026-11-01 is in the past", id="needed-by-in-the-past"),
    pytest.param(["raise", "--as", AMIRA, *LEAK_ARGS, "--site", "S101"], 1,
                 "you can raise requests for your own site only, not S101", id="someone-elses-site"),
    pytest.param(["raise", "--as", AMIRA, *LEAK_ARGS, "--site", "S999"], 1, "no site 'S999'", id="unknown-site"),
    pytest.param(["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "x" * 201,
                  "--field", "location=stockroom", "--field", "near_electrics=no"], 1,
                 "the title is 201 characters long; keep it under 200", id="title-too-long"),
    pytest.param(["raise", *LEAK_ARGS], 1, "who are you?", id="no-identity"),
    pytest.param(["handoff", "FAC-1001", "--to", "ghost@example.com", "--note", "yours", "--as", PRIYA], 1,
                 "ghost@example.com is not registered", id="handoff-to-unregistered"),
    pytest.param(["away", "ghost@example.com", "--from", "2026-11-23", "--until", "2026-11-30", "--as", HELEN],
                 1, "ghost@example.com is not registered", id="away-unregistered"),
    pytest.param(["show", "FAC-1001", "--as", "nobody@example.com"], 1,
                 "nobody@example.com is not registered", id="unregistered-email"),
    pytest.param(["contact", "FAC-1001", "--note", "hi", "--as", SAM], 1,
                 "only the owner (Priya Shah) or the lead of Facilities North can contact FAC-1001",
                 id="not-owner-or-lead"),
    pytest.param(["resolve", "FAC-1001", "--note", "done", "--as", AMIRA], 1,
                 "only the owner (Priya Shah) or the lead of Facilities North can resolve FAC-1001",
                 id="requester-resolves"),
    pytest.param(["show", "FAC-1001", "--as", GRACE], 1, "no request 'FAC-1001'",
                 id="other-region-store-cannot-see"),
    pytest.param(["advance", "FAC-1001", "--note", "on", "--as", PRIYA], 1,
                 "first contact has not been made yet", id="advance-before-contact"),
    pytest.param(["confirm", "FAC-1001", "--as", AMIRA], 1, "it has not been resolved yet",
                 id="confirm-before-resolve"),
    pytest.param(["queue", "--team", "facilities-east", "--as", HELEN], 1, "no team 'facilities-east'",
                 id="unknown-team"),
    pytest.param(["queue", "--team", "facilities-north", "--as", AMIRA], 1,
                 "you are not in Facilities North", id="team-queue-outsider"),
    pytest.param(["queue", "--status", "done", "--as", PRIYA], 1, "unknown status 'done'", id="bad-status"),
    pytest.param(["queue", "--mine", "--team", "facilities-north", "--as", HELEN], 2,
                 "use --mine or --team, not both", id="mine-and-team"),
])
def test_wrong_steps_give_one_error_line(cli: Cli, leak: str, args: list[str], code: int,
                                         expected: str) -> None:
    message = cli.fails(*args, code=code)
    assert expected in message
    # nothing changed
    view = cli.show(leak, PRIYA)
    assert kinds(view) == ["raised", "assigned"] and view["owner"]["email"] == PRIYA
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--status", "open")) == [leak]  # no new request


def resolved(cli: Cli, ref: str) -> None:
    cli.ok("contact", ref, "--as", PRIYA, "--note", "Called", now="2026-11-23T11:00:00+00:00")
    cli.ok("resolve", ref, "--as", PRIYA, "--note", "Fixed", now="2026-11-23T12:00:00+00:00")


@pytest.mark.parametrize("args, expected", [
    pytest.param(["--as", SAM], "only the person who raised it can confirm FAC-1001", id="teammate"),
    pytest.param(["--as", PRIYA], "only the person who raised it can confirm FAC-1001", id="owner"),
    pytest.param(["--as", TOM], "no request 'FAC-1001'", id="other-store"),
    pytest.param(["--as", AMIRA, "--nps", "11"], "--nps 11 is out of range", id="nps-11"),
    pytest.param(["--as", AMIRA, "--nps", "-1"], "--nps -1 is out of range", id="nps-negative"),
    pytest.param(["--as", AMIRA, "--effort", "8"], "--effort 8 is out of range", id="effort-8"),
])
def test_confirm_mistakes(cli: Cli, leak: str, args: list[str], expected: str) -> None:
    resolved(cli, leak)
    message = cli.fails("confirm", leak, *args, now="2026-11-23T13:00:00+00:00")
    assert expected in message
    assert cli.show(leak, AMIRA)["status"] == "resolved"


def test_reopen_puts_a_resolved_request_back_where_it_was(cli: Cli, leak: str) -> None:
    resolved(cli, leak)
    assert cli.show(leak)["stage"] == "verified"
    result = cli.ok("reopen", leak, "--as", AMIRA, "--note", "Still dripping", now="2026-11-23T12:30:00+00:00")
    assert result.stdout.startswith("FAC-1001: reopened (status open")
    view = cli.show(leak, AMIRA, now="2026-11-23T12:30:00+00:00")
    assert view["status"] == "open" and view["stage"] == "reported"  # back where it was before resolving
    assert kinds(view)[-2:] == ["resolved", "reopened"]
    assert view["timeline"][-1]["actor"] == AMIRA and view["timeline"][-1]["note"] == "Still dripping"
    assert view["promise"]["next_checkin_due"] == "2026-11-24T12:30:00+00:00"
    assert refs(cli.queue(PRIYA, "--mine", now="2026-11-23T12:30:00+00:00")) == [leak]
    assert "only a resolved or recently closed request can be reopened" in cli.fails(
        "reopen", leak, "--as", AMIRA, "--note", "again", now="2026-11-23T12:40:00+00:00")


def test_advancing_to_an_unknown_or_earlier_stage(cli: Cli, leak: str) -> None:
    cli.ok("contact", leak, "--as", PRIYA, "--note", "Called")
    cli.ok("advance", leak, "--to", "booked", "--as", PRIYA, "--note", "Booked")
    assert "has no stage 'fixed'" in cli.fails("advance", leak, "--to", "fixed", "--as", PRIYA, "--note", "x")
    assert "cannot move FAC-1001 on to that stage" in cli.fails(
        "advance", leak, "--to", "assessed", "--as", PRIYA, "--note", "x")
    assert "first contact was already made" in cli.fails("contact", leak, "--as", PRIYA, "--note", "again")
    view = cli.show(leak, PRIYA)
    assert view["stage"] == "booked" and kinds(view) == ["raised", "assigned", "contacted", "stage"]


def test_closed_request_refuses_more_work(cli: Cli, leak: str) -> None:
    resolved(cli, leak)
    cli.ok("confirm", leak, "--as", AMIRA, now="2026-11-23T13:00:00+00:00")
    message = cli.fails("checkin", leak, "--as", PRIYA, "--note", "still ok?", now="2026-11-23T14:00:00+00:00")
    assert message.startswith("cannot check in on FAC-1001: it is closed")
    message = cli.fails("handoff", leak, "--to", SAM, "--as", PRIYA, "--note", "x",
                        now="2026-11-23T14:00:00+00:00")
    assert "it is closed" in message


def test_now_must_be_a_date(cli: Cli) -> None:
    message = one_error_line(cli("queue", "--as", PRIYA, now="not-a-date"), code=2)
    assert message == ("--now: 'not-a-date' is not a date and time; "
                       "use ISO form like 2026-11-20T16:30+00:00")


# --- ownership changes -------------------------------------------------------------------------


def test_handoff_by_owner_then_reassignment_by_lead(cli: Cli, leak: str) -> None:
    result = cli.ok("handoff", leak, "--to", SAM, "--as", PRIYA, "--note", "Sam knows this roof",
                    now="2026-11-23T10:30:00+00:00")
    assert result.stdout.startswith("FAC-1001: handed to Sam Doyle (status open")
    view = cli.show(leak, AMIRA)
    assert view["owner"]["email"] == SAM
    assert kinds(view) == ["raised", "assigned", "handoff"]
    handoff = view["timeline"][-1]
    assert handoff["actor"] == PRIYA and handoff["note"] == "Sam knows this roof"
    assert handoff["data"] == {"from": PRIYA, "to": SAM}
    assert refs(cli.queue(SAM, "--mine")) == [leak]
    assert cli.queue(PRIYA, "--mine") == []

    # Priya no longer owns it: she may not hand it on again.
    assert "only the owner (Sam Doyle) or the lead" in cli.fails(
        "handoff", leak, "--to", PRIYA, "--as", PRIYA, "--note", "back to me")

    view = cli.json("handoff", leak, "--to", PRIYA, "--as", HELEN, "--note", "Sam is on the York job",
                    now="2026-11-23T11:00:00+00:00")
    assert view["owner"]["email"] == PRIYA
    view = cli.show(leak, PRIYA)
    assert kinds(view) == ["raised", "assigned", "handoff", "reassigned"]
    reassigned = view["timeline"][-1]
    assert reassigned["actor"] == HELEN and reassigned["note"] == "Sam is on the York job"
    assert reassigned["data"] == {"from": SAM, "to": PRIYA}


def test_away_hands_open_requests_to_a_teammate(cli: Cli) -> None:
    first = cli.raise_leak(AMIRA)["ref"]
    second = cli.raise_leak(AMIRA)["ref"]  # continuity: Amira's requests stay with Priya
    assert [cli.show(r)["owner"]["email"] for r in (first, second)] == [PRIYA, PRIYA]

    # Someone who is neither Priya nor her lead may not record her absence.
    assert "only Priya Shah or their team lead" in cli.fails(
        "away", PRIYA, "--from", "2026-11-23", "--until", "2026-11-30", "--as", SAM)

    result = cli.ok("away", PRIYA, "--from", "2026-11-23", "--until", "2026-11-30", "--as", HELEN)
    assert result.stdout == (f"{PRIYA} away from 2026-11-23 until 2026-11-30\n"
                             f"  {first} handed to {SAM}\n"
                             f"  {second} handed to {SAM}\n")
    for ref in (first, second):
        view = cli.show(ref, AMIRA)
        assert view["owner"]["email"] == SAM
        assert kinds(view) == ["raised", "assigned", "handoff"]
        event = view["timeline"][-1]
        assert event["actor"] is None and event["actor_name"] == "OwnIt"
        assert event["data"]["from"] == PRIYA and event["data"]["to"] == SAM and event["data"]["reason"] == "away"
        assert "Priya Shah is away until 2026-11-30" in event["note"]
        assert "Sam Doyle takes this over" in event["note"]

    people = {p["email"]: p for p in cli.json("people")}
    assert people[PRIYA]["away_from"].startswith("2026-11-23")
    north = cli.json("teams")[0]
    assert {m["email"]: m["away"] for m in north["members"]} == {PRIYA: True, SAM: False}

    # While she is away nothing new comes to her, and nobody can hand her anything.
    assert cli.raise_leak(TOM)["owner"]["email"] == SAM
    assert "Priya Shah is away until 2026-11-30" in cli.fails(
        "handoff", first, "--to", PRIYA, "--as", SAM, "--note", "back to you")


def test_a_future_absence_moves_nothing_yet(cli: Cli, leak: str) -> None:
    result = cli.ok("away", PRIYA, "--from", "2026-12-01", "--until", "2026-12-03", "--as", PRIYA)
    assert result.stdout == f"{PRIYA} away from 2026-12-01 until 2026-12-03\n"
    assert cli.show(leak)["owner"]["email"] == PRIYA
    assert "must be after --from" in cli.fails(
        "away", PRIYA, "--from", "2026-12-03", "--until", "2026-12-01", "--as", PRIYA)
    assert "--until '1 Dec' is not a date" in cli.fails(
        "away", PRIYA, "--from", "2026-12-03", "--until", "1 Dec", "--as", PRIYA)


# --- queues -------------------------------------------------------------------------------------


def test_team_queue_and_overdue(cli: Cli) -> None:
    amira = cli.raise_leak(AMIRA)["ref"]  # to Priya, first contact due 14:00
    tom = cli.raise_leak(TOM, now="2026-11-23T10:05:00+00:00")["ref"]  # to Sam (fewest open), due 14:05
    grace = cli.raise_leak(GRACE)["ref"]  # south: Lucy

    rows = cli.queue(HELEN, "--team", "facilities-north")
    assert refs(rows) == [amira, tom]  # most pressing first
    assert [r["owner"]["email"] for r in rows] == [PRIYA, SAM]
    assert all(r["overdue"] is False for r in rows)
    text = cli.ok("queue", "--team", "facilities-north", "--as", HELEN).stdout
    assert "Team facilities-north queue" in text and amira in text and tom in text and grace not in text
    assert refs(cli.queue(SAM, "--team", "facilities-north")) == [amira, tom]  # members see it too
    assert refs(cli.queue(OWEN, "--team", "facilities-south")) == [grace]
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--limit", "1")) == [amira]  # the most pressing
    text = cli.ok("queue", "--team", "facilities-north", "--limit", "1", "--as", HELEN).stdout
    assert "the 1 most pressing; --limit 4 shows more" in text and tom not in text

    # Before first contact is due nothing is overdue.
    assert cli.queue(HELEN, "--team", "facilities-north", "--overdue", now="2026-11-23T13:59:00+00:00") == []
    # Past 14:00 Amira's request is overdue; Tom's is due at 14:05.
    late = "2026-11-23T14:01:00+00:00"
    rows = cli.queue(HELEN, "--team", "facilities-north", "--overdue", now=late)
    assert refs(rows) == [amira] and rows[0]["overdue"] is True
    assert refs(cli.queue(PRIYA, "--overdue", now=late)) == [amira]
    assert cli.queue(SAM, "--overdue", now=late) == []
    text = cli.ok("queue", "--team", "facilities-north", "--overdue", "--as", HELEN, now=late).stdout
    assert amira in text and "overdue" in text and tom not in text

    view = cli.json("contact", amira, "--as", PRIYA, "--note", "Sorry for the wait", now=late)
    assert view["timeline"][-1]["data"]["on_time"] is False
    assert cli.queue(HELEN, "--team", "facilities-north", "--overdue", now=late) == []
    rows = cli.queue(HELEN, "--team", "facilities-north", "--overdue", now="2026-11-23T15:00:00+00:00")
    assert refs(rows) == [tom]


def test_due_today_and_by_owner_within_the_team_queue(cli: Cli) -> None:
    amira = cli.raise_leak(AMIRA)["ref"]  # to Priya, first contact due 14:00 today
    tom = cli.raise_leak(TOM, now="2026-11-23T10:05:00+00:00")["ref"]  # to Sam, due 14:05
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--due-today")) == [amira, tom]
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--owner", SAM)) == [tom]
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--search", tom.lower())) == [tom]  # words or a ref
    assert refs(cli.queue(HELEN, "--team", "facilities-north", "--due-today",
                          now="2026-11-23T14:02:00+00:00")) == [tom]  # Amira's is overdue by then
    assert "within a team's queue" in cli.fails("queue", "--owner", SAM, "--as", HELEN)
    assert cli.fails("queue", "--team", "facilities-north", "--owner", "x@y.z", "--as", HELEN).startswith(
        "x@y.z is not registered in OwnIt")


def test_who_says_who_would_own_a_new_request_without_raising_one(cli: Cli) -> None:
    answer = cli.json("who", "--as", AMIRA)
    facilities = next(d for d in answer["departments"] if d["department"]["key"] == "facilities")
    assert answer["site"]["code"] == "S001" and facilities["team"]["key"] == "facilities-north"
    assert facilities["owner"]["email"] in (PRIYA, SAM) and facilities["lead"]["email"] == HELEN
    text = cli.ok("who", "--site", "S101", "--type", "facilities.pest", "--as", AMIRA).stdout
    assert "Your support people for S101 Queen Street, Bristol" in text
    assert "Facilities (Pests)" in text and "lead: Owen Ellis, owen.ellis@example.com" in text
    assert cli.fails("who", "--site", "S9", "--as", AMIRA).startswith("no site 'S9'; sites: HQ, S001")
    assert cli.json("queue", "--team", "facilities-north", "--as", HELEN) == []  # nothing was raised


def test_a_closed_request_reopens_within_five_business_days(cli: Cli, leak: str) -> None:
    resolved(cli, leak)
    cli.ok("confirm", leak, "--as", AMIRA, now="2026-11-23T13:00:00+00:00")
    view = cli.json("reopen", leak, "--as", AMIRA, "--note", "Dripping again", now="2026-11-27T10:00:00+00:00")
    assert view["status"] == "open"
    cli.ok("resolve", leak, "--as", PRIYA, "--note", "New flashing", now="2026-11-27T11:00:00+00:00")
    cli.ok("confirm", leak, "--as", AMIRA, now="2026-11-27T12:00:00+00:00")
    message = cli.fails("reopen", leak, "--as", AMIRA, "--note", "Again", now="2026-12-07T12:00:00+00:00")
    assert message.startswith("cannot reopen FAC-1001: it was closed too long ago (raise a new request)")


# --- set-up and the database ------------------------------------------------------------------


def test_init_says_where_and_an_uninitialised_database_says_to_run_init(blank_url: str) -> None:
    cli = Cli(blank_url)
    for args in (["queue", "--as", PRIYA], ["raise", "--as", AMIRA, *LEAK_ARGS], ["people"],
                 ["show", "FAC-1001", "--as", AMIRA], ["org", "load", str(DEMO_ORG)]):
        message = cli.fails(*args)
        assert "is not set up yet; run 'ownit init'" in message, (args, message)
    from ownit.db import describe

    result = cli.ok("init", now=None)
    assert result.stdout == f"database ready at {describe(blank_url)}\n"
    if blank_url.startswith("sqlite"):
        assert str(Path(blank_url.removeprefix("sqlite:///"))) in result.stdout
    else:
        assert "127.0.0.1" in result.stdout
    assert cli.json("people") == []
    assert cli.ok("init", now=None).stdout == result.stdout  # again: nothing to do, same answer


@pytest.mark.parametrize("args", [
    ["queue", "--as", PRIYA], ["init"], ["raise", "--as", AMIRA, *LEAK_ARGS], ["people", "--json"],
    ["org", "load", str(DEMO_ORG)], ["show", "FAC-1001", "--as", AMIRA],
], ids=lambda a: a[0])
def test_an_unreachable_database_gives_one_line_naming_the_host(args: list[str]) -> None:
    message = Cli(UNREACHABLE).fails(*args)
    assert message.startswith("cannot reach the database at 127.0.0.1"), message
    assert "Connection refused" in message


@pytest.mark.parametrize("url", [
    "mysql://ownit@db.internal/ownit", "not a url",
    pytest.param("sqlite:///{tmp}/a-file/ownit.db", id="sqlite-under-a-file"),
], ids=lambda u: u.split(":")[0])
def test_a_bad_database_url_gives_one_line(url: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    url = url.replace("{tmp}", str(tmp_path))
    for args in (["init"], ["queue", "--as", PRIYA], ["people"]):
        message = Cli(url).fails(*args, now=None)
        assert "database" in message, message


def test_the_demo_file_loads_with_org_load_and_with_demo(ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    assert cli.ok("org", "load", str(DEMO_ORG)).stdout == (
        f"loaded 6 sites, 17 people, 4 teams, 2 charters (2 new) from {DEMO_ORG}\n")
    result = cli("demo", "--no-ui", "--history-weeks", "3", env={"OWNIT_SMTP_URL": None})  # again, and history
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "email: into the local folder " in result.stdout and " OWNIT_SMTP_URL=maildir:///" in result.stdout
    assert "OWNIT_SMTP_URL" not in os.environ  # for the UI it starts, not for whatever runs next in this process
    assert "6 sites, 17 people, 4 teams" in result.stdout and "skipped" not in result.stdout
    assert "over 3 weeks, played through the service" in result.stdout
    samples = result.stdout.split("sample requests: ")[1].split("\n")[0].split(", ")
    assert len(samples) == 7
    assert len(cli.json("people")) == 17
    assert [t["key"] for t in cli.json("teams")] == ["facilities-north", "facilities-south", "hr-partners",
                                                    "it-service"]
    first = cli.show(samples[0], AMIRA)
    assert first["status"] == "closed" and first["title"] == "Roof leaking over the stockroom"


@pytest.fixture
def demo_db(tmp_path: Path) -> Iterator[str]:
    """A SQLite file nobody has used yet: where ``make demo`` puts the demo."""
    yield from fresh_database("sqlite", tmp_path, migrate=False)


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout whose ``.venv`` runs this process (as ``make demo`` runs
    ``.venv/bin/ownit``), with the shell in the checkout and no ``ownit`` on the PATH."""
    folder = tmp_path / "checkout"
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "ownit").write_text("#!/bin/sh\n")
    (bin_dir / "ownit").chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.chdir(folder)
    return folder


def test_the_demo_says_where_its_database_is_and_the_cli_lines_that_reach_it(demo_db: str, checkout: Path) -> None:
    path = Path(demo_db.removeprefix("sqlite:///"))
    lines = Cli(demo_db).ok("demo", "--no-ui", "--history-weeks", "0", env={"OWNIT_SMTP_URL": None,
                                                                           "PATH": "/usr/bin:/bin"}).stdout.splitlines()
    assert lines[0] == f"seeding the demo organisation into {path} (a few seconds)…"
    assert lines[3] == f"email: into the local folder {path.parent / 'ownit-mail'}"
    assert lines[4] == (f"for the CLI, in this shell: export OWNIT_DATABASE_URL=sqlite:///{path} "
                        f"OWNIT_SMTP_URL=maildir://{path.parent / 'ownit-mail'}")
    assert lines[5] == ("try: .venv/bin/ownit queue --as sam.doyle@example.com    "
                        ".venv/bin/ownit show FAC-1001 --as amira.khan@example.com")
    # the exported lines, in a shell that has nothing else set, reach the demo's requests
    exported = dict(pair.split("=", 1) for pair in shlex.split(lines[4].split(": export ")[1]))
    shell = Cli("sqlite:////nowhere/else.db")
    assert shell.json("show", "FAC-1001", "--as", AMIRA, env=exported)["title"] == "Roof leaking over the stockroom"
    assert "FAC-1002" in refs(shell.json("queue", "--as", SAM, env=exported))


def test_the_demo_hint_names_the_ownit_this_shell_would_run(demo_db: str, checkout: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = checkout / ".venv" / "bin"

    def hint(path: str) -> str:
        out = Cli(demo_db).ok("demo", "--no-ui", "--history-weeks", "0", env={"PATH": path}).stdout
        return next(line for line in out.splitlines() if line.startswith("try: "))

    assert hint("/usr/bin:/bin").startswith("try: .venv/bin/ownit queue ")
    assert hint(f"{bin_dir}:/usr/bin:/bin").startswith("try: ownit queue ")  # the one on the PATH: its name
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # outside the checkout: the whole path
    assert hint("/usr/bin:/bin").startswith(f"try: {bin_dir / 'ownit'} queue ")


def test_the_demo_again_keeps_its_requests_and_reset_starts_it_afresh(demo_db: str, checkout: Path) -> None:
    cli = Cli(demo_db)
    folder = Path(demo_db.removeprefix("sqlite:///")).parent
    first = cli.ok("demo", "--no-ui", "--history-weeks", "0").stdout
    assert "sample requests: FAC-1001, FAC-1002, FAC-1003, FAC-1004, FAC-1005, IT-1001, HR-1001" in first
    seeded = refs(cli.queue(PRIYA))
    mine = cli.raise_leak()["ref"]
    assert mine not in seeded and mine in refs(cli.queue(PRIYA))
    (folder / "notes.txt").write_text("mine")  # something else in the demo's folder

    again = cli.ok("demo", "--no-ui", "--history-weeks", "0").stdout
    assert "kept the 8 requests already there; to start afresh: make demo-reset (or ownit demo --reset)" in again
    assert "sample requests" not in again and " show " not in again.split("try: ")[1]
    assert cli.show(mine)["ref"] == mine

    # the demo's mail, as the UI (or a shell with the hint's exports) delivers it: a reset empties it
    demo_mail = folder / "ownit-mail"
    mailbox.Maildir(demo_mail).add(b"Subject: [FAC-1008] Leak\r\n\r\nabout a request the reset removes\r\n")
    elsewhere = cli.ok("demo", "--reset", "--no-ui", "--history-weeks", "0",
                       env={"OWNIT_SMTP_URL": f"maildir://{folder / 'other-mail'}"}).stdout
    assert "mail folder" not in elsewhere and len(mailbox.Maildir(demo_mail, create=False)) == 1  # not its to empty
    mine = cli.raise_leak()["ref"]

    afresh = cli.ok("demo", "--reset", "--no-ui", "--history-weeks", "0", env={"OWNIT_SMTP_URL": None}).stdout
    assert afresh.startswith(f"emptying the database at {folder / 'ownit-test.db'} and seeding the demo "
                             "organisation again (a few seconds)…\n")
    assert "emptied the demo's mail folder: 1 mail of the requests before the reset\n" in afresh
    assert "kept" not in afresh and "sample requests: FAC-1001, " in afresh
    assert cli.fails("show", mine, "--as", AMIRA).startswith(f"no request '{mine}'")  # only the samples again
    assert refs(cli.queue(PRIYA)) == seeded
    assert len(mailbox.Maildir(demo_mail, create=False)) == 0
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "notes.txt", "ownit-mail", "ownit-test.db"]  # nothing else removed, and no copy kept of the demo's own data


def test_make_demo_gives_the_demo_a_database_inside_the_checkout() -> None:
    def dry_run(*args: str) -> list[str]:
        done = subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True, check=True)
        return [line for line in done.stdout.splitlines() if "ownit demo" in line]

    inside = f"OWNIT_DATABASE_URL='sqlite:///{REPO}/.ownit/demo.db' .venv/bin/ownit demo"
    assert dry_run("demo") == [inside]
    assert dry_run("demo-reset") == [f"{inside} --reset"]
    assert dry_run("demo", "DEMO_DB=/srv/try/demo.db") == [
        "OWNIT_DATABASE_URL='sqlite:////srv/try/demo.db' .venv/bin/ownit demo"]
    assert ".ownit/" in (REPO / ".gitignore").read_text().splitlines()  # never committed


def test_raise_names_every_problem_on_one_line_and_show_prints_the_answers_by_label(cli: Cli) -> None:
    said = cli.fails("raise", "--as", AMIRA, "--type", "facilities.leak", "--title", " ",
                     "--field", "near_electrics=maybe")
    assert said == ("the title is empty; write a few words; Where is the water coming in? (location) is required; "
                    "Is water near lights, tills or sockets? (near_electrics): 'maybe' is not yes or no")
    view = cli.json("raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Till leak",
                    "--field", "location=above till 2", "--field", "near_electrics=yes")
    text = cli.ok("show", view["ref"], "--as", AMIRA).stdout
    assert ("Answers:\n  Where is the water coming in? above till 2\n"
            "  Is water near lights, tills or sockets? yes (safety)\n") in text
