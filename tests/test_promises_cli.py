"""Promises in business time (issue 3), accepted through the CLI as a new user would.

Each test loads its own organisation file with ``ownit org load`` and then
drives :data:`ownit.cli.app` through Typer's ``CliRunner`` with the hidden
``--now`` clock, on SQLite and on PostgreSQL (``ownit_database_url``).

The organisation: a store in London (England's bank holidays) served by
Facilities London, working Monday to Friday 09:00-17:00 — one business day is
eight hours. In November and December London is on UTC, so local times and the
UTC instants in ``--json`` read the same; in August it is UTC+1.

A second region, York, is served by Facilities York, whose calendar also closes
on Christmas Eve (as the demo organisation's does).

Promises of the facilities plugin (``ownit departments --json``):

    facilities.fixture  normal 1d / 2d / 10d   high (hazard=yes) 4h / 1d / 3d
    facilities.leak     high   4h / 1d / 3d    urgent (near_electrics=yes) 2h / 4h / 2d
    facilities.heating  normal 1d / 1d / 5d

(first contact / check-in every / resolve). Stages: reported, assessed (1d),
booked (1d), repaired (2d), verified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ownit.cli import app

REQUESTER = "rita.requester@example.com"  # store manager, Covent Garden (London)
LEAD = "lena.lead@example.com"  # leads Facilities London
ADA = "ada.agent@example.com"  # Facilities London; first in line (email order)
BOB = "bob.agent@example.com"  # Facilities London
YORK_REQUESTER = "yusuf.requester@example.com"  # store manager, York
YORK_LEAD = "yvonne.lead@example.com"
YARA = "yara.agent@example.com"  # Facilities York

SKILLS = '["building", "hvac", "security", "plumbing"]'
ORG = f"""
[[site]]
code = "L01"
name = "Covent Garden"
region = "london"
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[[site]]
code = "Y01"
name = "Coney Street, York"
region = "york"
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[[site]]
code = "HQ"
name = "Head office"
region = "london"
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[[person]]
email = "{REQUESTER}"
name = "Rita Requester"
title = "Store manager"
site = "L01"
roles = ["requester"]

[[person]]
email = "{YORK_REQUESTER}"
name = "Yusuf Requester"
title = "Store manager"
site = "Y01"
roles = ["requester"]

[[person]]
email = "{LEAD}"
name = "Lena Lead"
title = "Facilities lead, London"
site = "HQ"
roles = ["lead"]

[[person]]
email = "{ADA}"
name = "Ada Agent"
title = "Facilities coordinator"
site = "HQ"
roles = ["agent"]

[[person]]
email = "{BOB}"
name = "Bob Agent"
title = "Facilities coordinator"
site = "HQ"
roles = ["agent"]

[[person]]
email = "{YORK_LEAD}"
name = "Yvonne Lead"
title = "Facilities lead, York"
site = "HQ"
roles = ["lead"]

[[person]]
email = "{YARA}"
name = "Yara Agent"
title = "Facilities coordinator"
site = "HQ"
roles = ["agent"]

[[team]]
key = "facilities-london"
name = "Facilities London"
department = "facilities"
regions = ["london"]
lead = "{LEAD}"
calendar = {{ timezone = "Europe/London", days = "MO-FR", hours = "09:00-17:00", country = "GB", subdivision = "ENG" }}
members = [
  {{ email = "{ADA}", skills = {SKILLS}, capacity = 20 }},
  {{ email = "{BOB}", skills = {SKILLS}, capacity = 20 }},
]

[[team]]
key = "facilities-york"
name = "Facilities York"
department = "facilities"
regions = ["york"]
lead = "{YORK_LEAD}"
calendar = {{ timezone = "Europe/London", days = "MO-FR", hours = "09:00-17:00", country = "GB", subdivision = "ENG", closures = ["2026-12-24"] }}
members = [
  {{ email = "{YARA}", skills = {SKILLS}, capacity = 20 }},
]
"""

MONDAY = "2026-11-23T10:00:00+00:00"  # Monday 23 November 2026, 10:00 in London

FIXTURE = ["--type", "facilities.fixture", "--title", "Shelf bay 12 has collapsed",
           "--field", "item=shelf bay 12", "--field", "hazard=no"]
FIXTURE_HAZARD = ["--type", "facilities.fixture", "--title", "Fitting-room door hanging off",
                  "--field", "item=fitting-room door", "--field", "hazard=yes"]
LEAK = ["--type", "facilities.leak", "--title", "Roof leaking over the stockroom",
        "--field", "location=stockroom ceiling", "--field", "near_electrics=no"]
LEAK_URGENT = ["--type", "facilities.leak", "--title", "Water dripping onto the tills",
               "--field", "location=above till 3", "--field", "near_electrics=yes"]
HEATING = ["--type", "facilities.heating", "--title", "Shop floor is freezing",
           "--field", "problem=too cold", "--field", "temperature=15"]


class Cli:
    """``ownit`` at a terminal, against one database, at a given ``--now``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, now: str) -> Result:
        env: dict[str, str | None] = {"OWNIT_DATABASE_URL": self.url, "OWNIT_USER": None,
                                      "OWNIT_DISABLE_PLUGINS": None, "COLUMNS": "200", "NO_COLOR": "1"}
        return self.runner.invoke(app, ["--now", now, *map(str, args)], env=env)

    def ok(self, *args: str, now: str) -> Result:
        result = self(*args, now=now)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"unexpected {result.exception!r}: {result.output}")
        assert result.exit_code == 0, f"ownit {' '.join(args)} failed: {result.output}"
        assert "Traceback" not in result.output
        return result

    def json(self, *args: str, now: str) -> Any:
        return json.loads(self.ok(*args, "--json", now=now).stdout)

    def fails(self, *args: str, now: str) -> str:
        """A step that must be refused: exit 1, one line on stderr, nothing on stdout."""
        result = self(*args, now=now)
        assert "Traceback" not in result.output
        assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]

    # the steps people take, as they would type them

    def raise_(self, form: list[str], *, now: str, actor: str = REQUESTER, extra: tuple[str, ...] = ()) -> dict:
        return self.json("raise", "--as", actor, *form, *extra, now=now)

    def show(self, ref: str, *, now: str, actor: str = ADA) -> dict:
        return self.json("show", ref, "--as", actor, now=now)

    def show_text(self, ref: str, *, now: str, actor: str) -> str:
        return self.ok("show", ref, "--as", actor, now=now).stdout

    def sweep(self, *, now: str) -> dict:
        return self.json("sweep", now=now)

    def inbox(self, actor: str, *, now: str) -> list[dict]:
        return self.json("inbox", "--as", actor, now=now)

    def overdue(self, actor: str, *, now: str) -> list[str]:
        return [row["ref"] for row in self.json("queue", "--overdue", "--as", actor, now=now)]


def kinds(view: dict) -> list[str]:
    return [entry["kind"] for entry in view["timeline"]]


def mine(rows: list[dict], ref: str, kind: str | None = None) -> list[dict]:
    """Inbox rows about ``ref`` (of ``kind``)."""
    return [r for r in rows if r["ref"] == ref and (kind is None or r["kind"] == kind)]


def swept_nothing(report: dict) -> bool:
    return all(report[key] == [] for key in ("due_soon", "overdue", "escalated", "reassigned", "closed"))


@pytest.fixture
def cli(ownit_database_url: str, tmp_path: Path) -> Cli:
    """The CLI on a fresh database with this file's organisation loaded."""
    org = tmp_path / "org.toml"
    org.write_text(ORG)
    runner = Cli(ownit_database_url)
    result = runner.ok("org", "load", str(org), now=MONDAY)
    assert result.stdout == f"loaded 3 sites, 7 people, 2 teams from {org}\n"
    return runner


# --- the promises on offer -----------------------------------------------------------------


def test_the_facilities_promises_are_the_ones_these_tests_rely_on(cli: Cli) -> None:
    data = cli.json("departments", now=MONDAY)
    types = {t["key"]: t for d in data["departments"] for t in d["request_types"]}
    promise = {key: {p: (v["first_contact"], v["checkin"], v["resolve"]) for p, v in t["promise"].items()}
               for key, t in types.items()}
    assert promise["facilities.fixture"]["normal"] == ("1d", "2d", "10d")
    assert promise["facilities.fixture"]["high"] == ("4h", "1d", "3d")
    assert promise["facilities.leak"]["high"] == ("4h", "1d", "3d")
    assert promise["facilities.leak"]["urgent"] == ("2h", "4h", "2d")
    assert promise["facilities.heating"]["normal"] == ("1d", "1d", "5d")
    assert [(s["key"], s["days"]) for s in types["facilities.leak"]["stages"]] == [
        ("reported", 0), ("assessed", 1), ("booked", 1), ("repaired", 2), ("verified", 0)]


# --- due times in business time --------------------------------------------------------------


@pytest.mark.parametrize("form, now, priority, first_contact_due, resolve_by", [
    pytest.param(FIXTURE, "2026-11-20T16:30:00+00:00", "normal",
                 "2026-11-23T16:30:00+00:00", "2026-12-04T16:30:00+00:00", id="friday-1630-1d-is-monday-1630"),
    pytest.param(HEATING, "2026-11-20T16:30:00+00:00", "normal",
                 "2026-11-23T16:30:00+00:00", "2026-11-27T16:30:00+00:00", id="heating-friday"),
    pytest.param(FIXTURE_HAZARD, "2026-11-20T16:30:00+00:00", "high",
                 "2026-11-23T12:30:00+00:00", "2026-11-25T16:30:00+00:00", id="friday-1630-4h-is-monday-1230"),
    pytest.param(LEAK, "2026-11-20T16:30:00+00:00", "high",
                 "2026-11-23T12:30:00+00:00", "2026-11-25T16:30:00+00:00", id="leak-friday"),
    pytest.param(LEAK_URGENT, "2026-11-20T16:30:00+00:00", "urgent",
                 "2026-11-23T10:30:00+00:00", "2026-11-24T16:30:00+00:00", id="urgent-leak-friday-2h"),
    # Friday 28 August 16:30 BST; Monday 31 August is the Late Summer Bank Holiday
    pytest.param(FIXTURE, "2026-08-28T15:30:00+00:00", "normal",
                 "2026-09-01T15:30:00+00:00", "2026-09-14T15:30:00+00:00", id="before-late-summer-bank-holiday"),
    # Thursday 24 December: Christmas Day on Friday, Boxing Day observed on Monday 28th;
    # New Year's Day (Friday) is skipped by the ten-day target too
    pytest.param(FIXTURE, "2026-12-24T16:30:00+00:00", "normal",
                 "2026-12-29T16:30:00+00:00", "2027-01-12T16:30:00+00:00", id="christmas-eve"),
    # Friday 23 October 16:30 BST; the clocks go back on Sunday: Monday 16:30 GMT
    pytest.param(FIXTURE, "2026-10-23T15:30:00+00:00", "normal",
                 "2026-10-26T16:30:00+00:00", "2026-11-06T16:30:00+00:00", id="across-the-clock-change"),
    # raised on a Saturday: the day starts at Monday's opening
    pytest.param(FIXTURE, "2026-11-21T12:00:00+00:00", "normal",
                 "2026-11-23T17:00:00+00:00", "2026-12-04T17:00:00+00:00", id="saturday"),
])
def test_first_contact_and_resolve_targets_are_in_business_time(
        cli: Cli, form: list[str], now: str, priority: str, first_contact_due: str, resolve_by: str) -> None:
    view = cli.raise_(form, now=now)
    assert (view["ref"], view["priority"], view["owner"]["email"]) == ("FAC-1001", priority, ADA)
    assert view["promise"]["first_contact_due"] == first_contact_due
    assert view["promise"]["resolve_by"] == resolve_by
    assert view["promise"]["next_checkin_due"] is None  # check-ins start at first contact
    assert view["next_due"] == first_contact_due
    assert cli.show("FAC-1001", now=now, actor=REQUESTER)["promise"]["first_contact_due"] == first_contact_due


def test_the_requester_is_told_the_due_time_in_the_teams_zone(cli: Cli) -> None:
    out = cli.ok("raise", "--as", REQUESTER, *FIXTURE, now="2026-11-20T16:30:00+00:00").stdout
    assert out == ("FAC-1001 raised: Ada Agent (Facilities London) owns it and will contact you by "
                   "Mon 23 Nov 16:30.\n")
    out = cli.ok("raise", "--as", REQUESTER, *FIXTURE, now="2026-08-28T15:30:00+00:00").stdout
    assert out.endswith("will contact you by Tue 01 Sep 16:30.\n")  # London time (BST), not UTC
    card = cli.show("FAC-1001", now="2026-11-20T16:30:00+00:00", actor=REQUESTER)["promise"]
    assert "contact you by Mon 23 Nov 16:30" in card["summary"]
    assert (card["first_contact_within"], card["checkin_every"], card["resolve_within"]) == (
        "1 business day", "2 business days", "10 business days")


# --- the escalation sweep ----------------------------------------------------------------------


def test_a_missed_checkin_is_escalated_once_and_leaves_the_overdue_queue_after_a_checkin(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]
    view = cli.json("contact", ref, "--note", "Called Rita; roofer on the way", "--as", ADA,
                    now="2026-11-23T11:00:00+00:00")
    assert view["promise"]["next_checkin_due"] == "2026-11-24T11:00:00+00:00"  # one business day on
    assert view["promise"]["resolve_by"] == "2026-11-26T10:00:00+00:00"
    assert cli.overdue(ADA, now="2026-11-24T11:00:00+00:00") == []  # due, not yet past

    # Tuesday 11:30: the check-in is missed; the owner is told, the lead not yet (grace period)
    report = cli.sweep(now="2026-11-24T11:30:00+00:00")
    assert [(r["ref"], r["promise"], r["owner"]) for r in report["overdue"]] == [(ref, "checkin", ADA)]
    assert report["escalated"] == [] and report["due_soon"] == []
    assert cli.overdue(ADA, now="2026-11-24T11:30:00+00:00") == [ref]
    assert cli.show(ref, now="2026-11-24T11:30:00+00:00")["promise"]["states"]["checkin"] == "overdue"
    assert swept_nothing(cli.sweep(now="2026-11-24T12:59:00+00:00"))  # 1h59 late: still within grace

    # 13:00, two business hours late: escalated to the lead
    report = cli.sweep(now="2026-11-24T13:00:00+00:00")
    assert report["escalated"] == [{"ref": ref, "promise": "checkin", "what": "check-in",
                                    "due": "2026-11-24T11:00:00+00:00", "owner": ADA, "lead": LEAD}]
    assert report["overdue"] == [] and report["due_soon"] == []
    lead_inbox = cli.inbox(LEAD, now="2026-11-24T13:00:00+00:00")
    assert [(r["ref"], r["kind"]) for r in lead_inbox] == [(ref, "escalated"), (None, "digest")]  # and her morning
    assert "Ada Agent" in lead_inbox[0]["message"] and "check-in" in lead_inbox[0]["message"]
    owner_inbox = cli.inbox(ADA, now="2026-11-24T13:00:00+00:00")
    assert len(mine(owner_inbox, ref, "overdue")) == 1
    requester_inbox = cli.inbox(REQUESTER, now="2026-11-24T13:00:00+00:00")
    assert len(mine(requester_inbox, ref, "escalated")) == 1  # the requester knows it went up
    view = cli.show(ref, now="2026-11-24T13:00:00+00:00")
    assert kinds(view).count("escalated") == 1
    escalation = next(e for e in view["timeline"] if e["kind"] == "escalated")
    assert escalation["at"] == "2026-11-24T13:00:00+00:00" and escalation["data"]["lead"] == LEAD
    timeline = len(view["timeline"])

    # again at once, and again later the same day: nothing new anywhere
    for later in ("2026-11-24T13:00:00+00:00", "2026-11-24T13:05:00+00:00", "2026-11-24T16:30:00+00:00"):
        assert swept_nothing(cli.sweep(now=later)), later
    assert cli.inbox(LEAD, now="2026-11-24T16:30:00+00:00") == lead_inbox
    assert cli.inbox(ADA, now="2026-11-24T16:30:00+00:00") == owner_inbox
    assert cli.inbox(REQUESTER, now="2026-11-24T16:30:00+00:00") == requester_inbox
    view = cli.show(ref, now="2026-11-24T16:30:00+00:00")
    assert kinds(view).count("escalated") == 1 and len(view["timeline"]) == timeline

    # the owner's overdue queue lists it, with the missed due time, until they check in
    rows = cli.json("queue", "--overdue", "--as", ADA, now="2026-11-24T16:30:00+00:00")
    assert [(r["ref"], r["overdue"], r["next_due"]) for r in rows] == [(ref, True, "2026-11-24T11:00:00+00:00")]
    assert cli.overdue(BOB, now="2026-11-24T16:30:00+00:00") == []
    view = cli.json("checkin", ref, "--note", "Roofer booked for tomorrow", "--as", ADA,
                    now="2026-11-24T16:30:00+00:00")
    assert view["promise"]["next_checkin_due"] == "2026-11-25T16:30:00+00:00"
    assert view["promise"]["states"]["checkin"] == "on track"
    assert cli.overdue(ADA, now="2026-11-24T16:30:00+00:00") == []
    assert swept_nothing(cli.sweep(now="2026-11-24T16:31:00+00:00"))


def test_the_sweep_prints_what_it_did(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]  # first contact due 14:00
    out = cli.ok("sweep", now="2026-11-23T16:00:00+00:00").stdout
    assert f"{ref}: first contact overdue, escalated to {LEAD}\n" in out
    assert f"{ref}: first contact overdue, told {ADA}\n" in out
    assert out.endswith("1 overdue, 1 escalated, 0 reassigned, 0 closed; 2 morning digests sent\n")  # lead, owner
    out = cli.ok("sweep", now="2026-11-23T16:00:00+00:00").stdout
    assert ref not in out and "0 due soon, 0 overdue, 0 escalated" in out


def test_a_due_soon_nudge_is_sent_once_within_two_business_hours(cli: Cli) -> None:
    # raised Monday 15:00: first contact (4h) due Tuesday 11:00 — two hours Monday, two Tuesday
    ref = cli.raise_(LEAK, now="2026-11-23T15:00:00+00:00")["ref"]
    assert cli.show(ref, now="2026-11-23T15:00:00+00:00")["promise"]["first_contact_due"] == (
        "2026-11-24T11:00:00+00:00")
    assert swept_nothing(cli.sweep(now="2026-11-23T16:30:00+00:00"))  # 2.5 business hours to go
    assert cli.show(ref, now="2026-11-23T16:30:00+00:00")["promise"]["states"]["first_contact"] == "on track"

    # Monday 17:00: eighteen hours of wall clock, but two business hours: due soon
    report = cli.sweep(now="2026-11-23T17:00:00+00:00")
    assert report["due_soon"] == [{"ref": ref, "promise": "first_contact", "what": "first contact",
                                   "due": "2026-11-24T11:00:00+00:00", "owner": ADA}]
    assert report["overdue"] == report["escalated"] == []
    assert cli.show(ref, now="2026-11-23T17:00:00+00:00")["promise"]["states"]["first_contact"] == "due soon"
    for later in ("2026-11-23T17:00:00+00:00", "2026-11-23T22:00:00+00:00", "2026-11-24T10:59:00+00:00"):
        assert swept_nothing(cli.sweep(now=later)), later
    nudges = mine(cli.inbox(ADA, now="2026-11-24T10:59:00+00:00"), ref, "due_soon")
    assert len(nudges) == 1 and nudges[0]["created_at"] == "2026-11-23T17:00:00+00:00"
    assert "first contact due by Tue 24 Nov 11:00" in nudges[0]["message"]
    # the lead hears only of escalations, and of her team's day in her morning digest
    assert [r["kind"] for r in cli.inbox(LEAD, now="2026-11-24T10:59:00+00:00")] == ["digest"]


def test_a_checkin_due_soon_nudge(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]
    cli.ok("contact", ref, "--note", "Spoke to Rita", "--as", ADA, now="2026-11-23T10:30:00+00:00")
    # check-in due Tuesday 10:30; resolve by Thursday 10:00
    assert swept_nothing(cli.sweep(now="2026-11-23T16:29:00+00:00"))  # 2h01 to go
    report = cli.sweep(now="2026-11-23T16:30:00+00:00")
    assert [(r["ref"], r["promise"], r["due"]) for r in report["due_soon"]] == [
        (ref, "checkin", "2026-11-24T10:30:00+00:00")]
    assert swept_nothing(cli.sweep(now="2026-11-24T09:00:00+00:00"))
    assert len(mine(cli.inbox(ADA, now="2026-11-24T09:00:00+00:00"), ref, "due_soon")) == 1


# --- waiting on the requester -----------------------------------------------------------------


def test_waiting_three_business_days_pushes_the_promises_three_business_days(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]
    before = cli.json("contact", ref, "--note", "Called Rita", "--as", ADA, now="2026-11-23T11:00:00+00:00")
    assert before["promise"]["next_checkin_due"] == "2026-11-24T11:00:00+00:00"
    assert before["promise"]["resolve_by"] == "2026-11-26T10:00:00+00:00"
    # the stages add up to four days, squeezed into the three allowed (by 3/4)
    assert [s["expected"] for s in before["promise"]["stages"]] == [
        "2026-11-23T10:00:00+00:00", "2026-11-23T16:00:00+00:00", "2026-11-24T14:00:00+00:00",
        "2026-11-26T10:00:00+00:00", "2026-11-26T10:00:00+00:00"]

    note = "Send us photos of the ceiling so the roofer brings the right kit"
    cli.ok("wait", ref, "--note", note, "--as", ADA, now="2026-11-23T12:00:00+00:00")

    # Thursday 11:00: past the check-in and the resolve target, but the clock is paused
    thursday = "2026-11-26T11:00:00+00:00"
    for actor in (ADA, REQUESTER):
        card = cli.show(ref, now=thursday, actor=actor)["promise"]
        assert card["waiting"] == {"since": "2026-11-23T12:00:00+00:00", "for": note}
        # first contact was kept (it has to come before waiting); the running promises are paused
        assert card["states"] == {"first_contact": "met", "checkin": "paused", "resolve": "paused"}
        assert f"It is waiting on you: {note}" in card["summary"]
        text = cli.show_text(ref, now=thursday, actor=actor)
        assert "Waiting on the requester" in text and note in text
    assert cli.overdue(ADA, now=thursday) == []
    assert [(r["ref"], r["overdue"], r["next_due"]) for r in
            cli.json("queue", "--as", ADA, now=thursday)] == [(ref, False, None)]
    assert swept_nothing(cli.sweep(now=thursday))

    # resumed three business days after it started waiting (Monday 12:00 -> Thursday 12:00)
    after = cli.json("resume", ref, "--note", "Photos received", "--as", ADA, now="2026-11-26T12:00:00+00:00")
    assert after["status"] == "open"
    assert after["promise"]["waiting"] is None
    assert after["promise"]["next_checkin_due"] == "2026-11-27T11:00:00+00:00"  # Tue 11:00 + 3 business days
    assert after["promise"]["resolve_by"] == "2026-12-01T10:00:00+00:00"  # Thu 10:00 + 3 business days
    assert [s["expected"] for s in after["promise"]["stages"]] == [
        "2026-11-26T10:00:00+00:00", "2026-11-26T16:00:00+00:00", "2026-11-27T14:00:00+00:00",
        "2026-12-01T10:00:00+00:00", "2026-12-01T10:00:00+00:00"]
    assert after["promise"]["first_contact_due"] == before["promise"]["first_contact_due"]  # already kept
    resumed = [e for e in after["timeline"] if e["kind"] == "resumed"]
    assert len(resumed) == 1 and resumed[0]["data"]["paused_hours"] == 24  # 3 days of 8 business hours
    assert after["promise"]["states"] == {"first_contact": "met", "checkin": "on track", "resolve": "on track"}
    assert cli.overdue(ADA, now="2026-11-26T12:00:00+00:00") == []


def test_waiting_over_a_bank_holiday_weekend_counts_only_business_time(cli: Cli) -> None:
    # raised and contacted Friday 28 August 10:00 BST; Monday 31 August is a bank holiday
    ref = cli.raise_(LEAK, now="2026-08-28T09:00:00+00:00")["ref"]
    view = cli.json("contact", ref, "--note", "Called", "--as", ADA, now="2026-08-28T09:00:00+00:00")
    assert view["promise"]["next_checkin_due"] == "2026-09-01T09:00:00+00:00"  # Tue 10:00 BST
    assert view["promise"]["resolve_by"] == "2026-09-03T09:00:00+00:00"  # Thu 10:00 BST (3d from Fri 10:00)
    cli.ok("wait", ref, "--note", "Which door should the roofer use?", "--as", ADA, now="2026-08-28T09:00:00+00:00")
    after = cli.json("resume", ref, "--note", "Back door", "--as", REQUESTER, now="2026-09-02T09:00:00+00:00")
    # paused Fri 10:00 -> Wed 10:00 BST: Fri 7h + Tue 8h + Wed 1h = 16 business hours (two days)
    assert [e["data"]["paused_hours"] for e in after["timeline"] if e["kind"] == "resumed"] == [16]
    assert after["promise"]["next_checkin_due"] == "2026-09-03T09:00:00+00:00"
    assert after["promise"]["resolve_by"] == "2026-09-07T09:00:00+00:00"


# --- needed-by and agreement ----------------------------------------------------------------


def test_a_needed_by_date_before_the_standard_must_be_agreed_at_first_contact(cli: Cli) -> None:
    # a fixture's standard is ten business days: Monday 23 Nov 10:00 -> Monday 7 Dec 10:00
    view = cli.raise_(FIXTURE, now=MONDAY, extra=("--needed-by", "2026-12-01"))
    ref = view["ref"]
    assert view["promise"]["resolve_by"] == "2026-12-07T10:00:00+00:00"
    assert (view["promise"]["needs_agreement"], view["promise"]["needed_by"]) == (True, "2026-12-01")
    for actor in (ADA, REQUESTER):
        assert cli.show(ref, now=MONDAY, actor=actor)["promise"]["needs_agreement"] is True
        assert "needs agreement" in cli.show_text(ref, now=MONDAY, actor=actor).lower()

    error = cli.fails("contact", ref, "--note", "Called Rita", "--as", ADA, now="2026-11-23T11:00:00+00:00")
    assert "--agreed-by" in error and "needs agreement" in error
    view = cli.show(ref, now="2026-11-23T11:00:00+00:00")
    assert view["promise"]["first_contact_at"] is None and "contacted" not in kinds(view)  # nothing written

    view = cli.json("contact", ref, "--note", "Agreed Wednesday 2nd: the part arrives on the 1st",
                    "--agreed-by", "2026-12-02", "--as", ADA, now="2026-11-23T11:00:00+00:00")
    card = view["promise"]
    assert (card["needs_agreement"], card["agreed_by"], card["needed_by"]) == (False, "2026-12-02", "2026-12-01")
    assert card["resolve_by"] == "2026-12-02T17:00:00+00:00"  # close of business on the agreed day
    assert card["first_contact_at"] == "2026-11-23T11:00:00+00:00"
    agreed = [e for e in view["timeline"] if e["kind"] == "agreed"]
    assert len(agreed) == 1
    assert agreed[0]["note"] == "Agreed Wednesday 2nd: the part arrives on the 1st"
    assert agreed[0]["data"]["previous_resolve_by"] == "2026-12-07T10:00:00+00:00"
    assert agreed[0]["data"]["resolve_by"] == "2026-12-02T17:00:00+00:00"
    for actor in (ADA, REQUESTER):
        text = cli.show_text(ref, now="2026-11-23T11:00:00+00:00", actor=actor)
        assert "needs agreement" not in text.lower()
        assert "2026-12-02" in text
    assert cli.show(ref, now="2026-11-23T11:00:00+00:00", actor=REQUESTER)["promise"]["resolve_by"] == (
        "2026-12-02T17:00:00+00:00")


@pytest.mark.parametrize("needed_by, needs_agreement", [
    pytest.param("2026-12-10", False, id="later-than-the-standard"),
    pytest.param("2026-12-07", False, id="the-standard-day-itself"),  # 17:00 on the 7th is after 10:00
    pytest.param("2026-12-04", True, id="the-friday-before"),
    pytest.param("2026-12-06", True, id="a-sunday-means-friday's-close"),
])
def test_which_needed_by_dates_need_agreement(cli: Cli, needed_by: str, needs_agreement: bool) -> None:
    view = cli.raise_(FIXTURE, now=MONDAY, extra=("--needed-by", needed_by))
    assert view["promise"]["needs_agreement"] is needs_agreement
    assert view["promise"]["needed_by"] == needed_by
    assert ("needs agreement" in cli.show_text(view["ref"], now=MONDAY, actor=REQUESTER).lower()) is needs_agreement
    if not needs_agreement:  # first contact goes ahead without an agreed date, and the standard stands
        after = cli.json("contact", view["ref"], "--note", "Called", "--as", ADA, now=MONDAY)
        assert after["promise"]["resolve_by"] == "2026-12-07T10:00:00+00:00"
        assert after["promise"]["agreed_by"] is None and "agreed" not in kinds(after)


def test_a_needed_by_date_already_past_in_london_is_refused(cli: Cli) -> None:
    # Saturday 29 August 00:30 BST is still Friday the 28th in UTC
    error = cli.fails("raise", "--as", REQUESTER, *FIXTURE, "--needed-by", "2026-08-28",
                      now="2026-08-28T23:30:00+00:00")
    assert "in the past" in error


# --- the stage forecast -----------------------------------------------------------------------


@pytest.mark.parametrize("form", [FIXTURE, FIXTURE_HAZARD, LEAK, LEAK_URGENT, HEATING],
                         ids=["fixture", "fixture-hazard", "leak", "leak-urgent", "heating"])
@pytest.mark.parametrize("now", [MONDAY, "2026-11-20T16:30:00+00:00", "2026-12-23T16:59:00+00:00",
                                 "2026-10-23T15:30:00+00:00"], ids=["monday", "friday", "christmas", "clocks"])
def test_stage_forecast_is_in_order_and_within_the_resolve_target(cli: Cli, form: list[str], now: str) -> None:
    card = cli.raise_(form, now=now)["promise"]
    expected = [s["expected"] for s in card["stages"]]
    assert all(expected), expected
    assert expected == sorted(expected)  # ISO strings in UTC sort as the instants do
    assert expected[0] == cli.show("FAC-1001", now=now)["raised_at"]
    assert max(expected) <= card["resolve_by"]
    by = [a["by"] for a in card["requester_actions"]]
    assert by == [s["expected"] for s in card["stages"] if s["requester_action"]]


def test_stage_forecast_of_a_ten_day_fixture(cli: Cli) -> None:
    card = cli.raise_(FIXTURE, now=MONDAY)["promise"]
    assert {s["key"]: s["expected"] for s in card["stages"]} == {
        "reported": "2026-11-23T10:00:00+00:00", "assessed": "2026-11-24T10:00:00+00:00",
        "booked": "2026-11-25T10:00:00+00:00", "repaired": "2026-11-27T10:00:00+00:00",
        "verified": "2026-11-27T10:00:00+00:00"}


def test_stage_forecast_fits_an_earlier_agreed_date(cli: Cli) -> None:
    ref = cli.raise_(FIXTURE, now=MONDAY, extra=("--needed-by", "2026-11-24"))["ref"]
    card = cli.json("contact", ref, "--note", "Agreed: tomorrow", "--agreed-by", "2026-11-24", "--as", ADA,
                    now="2026-11-23T11:00:00+00:00")["promise"]
    assert card["resolve_by"] == "2026-11-24T17:00:00+00:00"
    expected = [s["expected"] for s in card["stages"]]
    assert max(expected) <= card["resolve_by"], expected


# --- absence and auto-close -------------------------------------------------------------------


def test_the_sweep_hands_on_the_requests_of_an_owner_whose_absence_has_begun(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]
    cli.ok("contact", ref, "--note", "Called Rita", "--as", ADA, now="2026-11-23T10:30:00+00:00")
    result = cli.json("away", ADA, "--from", "2026-11-25", "--until", "2026-11-30", "--as", LEAD,
                      now="2026-11-23T11:00:00+00:00")
    assert result == {"email": ADA, "away_from": "2026-11-25", "away_until": "2026-11-30", "reassigned": []}
    assert cli.show(ref, now="2026-11-23T11:00:00+00:00")["owner"]["email"] == ADA  # not away yet

    assert cli.sweep(now="2026-11-24T23:59:00+00:00")["reassigned"] == []  # Tuesday, a minute before
    report = cli.sweep(now="2026-11-25T00:00:00+00:00")  # Wednesday 00:00 in London: away from now
    assert report["reassigned"] == [{"ref": ref, "to": BOB}]
    view = cli.show(ref, now="2026-11-25T00:00:00+00:00", actor=REQUESTER)
    assert view["owner"]["email"] == BOB
    handoffs = [e for e in view["timeline"] if e["kind"] == "handoff"]
    assert len(handoffs) == 1
    assert handoffs[0]["data"] == {"from": ADA, "to": BOB, "reason": "away"}
    assert handoffs[0]["at"] == "2026-11-25T00:00:00+00:00"
    assert "Ada Agent is away until 2026-11-30" in handoffs[0]["note"]
    assert len(mine(cli.inbox(BOB, now="2026-11-25T00:00:00+00:00"), ref, "handoff")) == 1

    assert cli.sweep(now="2026-11-25T00:05:00+00:00")["reassigned"] == []
    view = cli.show(ref, now="2026-11-25T00:05:00+00:00")
    assert kinds(view).count("handoff") == 1 and view["owner"]["email"] == BOB


def test_a_resolved_request_nobody_confirms_is_closed_after_five_business_days(cli: Cli) -> None:
    ref = cli.raise_(LEAK, now=MONDAY)["ref"]
    cli.ok("contact", ref, "--note", "Called Rita", "--as", ADA, now="2026-11-23T10:30:00+00:00")
    cli.ok("resolve", ref, "--note", "Roof patched", "--as", ADA, now="2026-11-23T11:00:00+00:00")

    assert cli.sweep(now="2026-11-30T10:59:00+00:00")["closed"] == []  # a minute short of five business days
    assert cli.show(ref, now="2026-11-30T10:59:00+00:00")["status"] == "resolved"
    report = cli.sweep(now="2026-11-30T11:00:00+00:00")
    assert report["closed"] == [{"ref": ref}]
    view = cli.show(ref, now="2026-11-30T11:00:00+00:00", actor=REQUESTER)
    assert (view["status"], view["closed_at"]) == ("closed", "2026-11-30T11:00:00+00:00")
    closed = [e for e in view["timeline"] if e["kind"] == "closed"]
    assert len(closed) == 1 and closed[0]["at"] == "2026-11-30T11:00:00+00:00"
    assert len(mine(cli.inbox(REQUESTER, now="2026-11-30T11:00:00+00:00"), ref, "closed")) == 1

    assert cli.sweep(now="2026-11-30T11:05:00+00:00")["closed"] == []
    assert kinds(cli.show(ref, now="2026-11-30T11:05:00+00:00")).count("closed") == 1


def test_auto_close_counts_business_days_over_christmas(cli: Cli) -> None:
    # resolved Wednesday 23 December 12:00: 24th, 29th, 30th, 31st, 4th January -> Monday 4 January 12:00
    ref = cli.raise_(LEAK, now="2026-12-23T09:00:00+00:00")["ref"]
    cli.ok("contact", ref, "--note", "Called", "--as", ADA, now="2026-12-23T10:00:00+00:00")
    cli.ok("resolve", ref, "--note", "Fixed", "--as", ADA, now="2026-12-23T12:00:00+00:00")
    assert cli.sweep(now="2027-01-04T11:59:00+00:00")["closed"] == []
    assert cli.sweep(now="2027-01-04T12:00:00+00:00")["closed"] == [{"ref": ref}]


# --- a closure before a long holiday -----------------------------------------------------------


def test_a_due_soon_nudge_reaches_the_owner_before_a_long_closure(cli: Cli) -> None:
    # Facilities York closes on Christmas Eve; 25th, 26th-27th (weekend) and 28th are off too.
    # Raised Wednesday 23 December 14:00: first contact (4h) is due Tuesday 29 December 10:00.
    view = cli.raise_(LEAK, now="2026-12-23T14:00:00+00:00", actor=YORK_REQUESTER)
    ref = view["ref"]
    assert (view["owner"]["email"], view["team"]["key"]) == (YARA, "facilities-york")
    assert view["promise"]["first_contact_due"] == "2026-12-29T10:00:00+00:00"
    # 16:00 on the last working day before the break: two business hours to go
    wednesday = "2026-12-23T16:00:00+00:00"
    assert cli.show(ref, now=wednesday, actor=YARA)["promise"]["states"]["first_contact"] == "due soon"
    report = cli.sweep(now=wednesday)
    assert [(r["ref"], r["promise"]) for r in report["due_soon"]] == [(ref, "first_contact")]
