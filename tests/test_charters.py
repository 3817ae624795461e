"""Team charters: what a team agreed with the stores, as data (issue 19).

The demo organisation holds two charters (Facilities North, the IT Service
Desk). These tests load changed ones beside it and check: the errors name the
line, a changed charter is a new version and the same one again is nothing,
a promise keeps the version it was made under, tiers of stores, who may load
one, and what the requester's card and ``ownit charter show`` quote. On
SQLite, and PostgreSQL when set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import AMIRA, GRACE, HELEN, LEAK, OWEN, RAJ, SAM, TOM
from ownit import service
from ownit.errors import ConfigError, PermissionDenied
from test_cli import LEAK_ARGS, Cli, one_error_line
from test_ui import app  # noqa: F401  (the pages through AppTest, a fixture)

NORTH = '''
[[charter]]
team = "facilities-north"
agreed = 2026-11-20
with = "the store managers of the north region"
signed_by = ["amira.khan@example.com", "tom.hughes@example.com"]
review = 2027-05-20
needs = ["Someone to let the contractor in"]
standards = {{ promises_kept = 0.92, nps = 35 }}
tiers = {{ flagship = ["S001"] }}
{extra}
[[charter.promise]]
type = "facilities.leak"
priority = "high"
first_contact = "{first_contact}"
checkin = "2h"
resolve = "3d"
'''
FLAGSHIP = '''
[[charter.promise]]
type = "facilities.leak"
priority = "high"
tier = "flagship"
first_contact = "1h"
checkin = "2h"
resolve = "2d"
'''


def charter_file(tmp_path: Path, text: str, name: str = "charter.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def leak(desk: Any, actor: str = AMIRA) -> dict[str, Any]:
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Leak", fields=LEAK)


def local(iso: str) -> str:
    """A due time as London's clock reads it, like 2026-11-23 14:00."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")


def test_a_changed_charter_is_a_new_version_and_each_promise_keeps_its_own(ownit_demo_org, tmp_path) -> None:
    """The acceptance: change Facilities North's first-contact target, raise a
    leak: the new promise uses it and the card quotes the charter; the leak
    raised before keeps the promise it was made."""
    desk = ownit_demo_org
    before = leak(desk)
    assert before["promise"]["first_contact_within"] == "4 business hours"  # version 1 (the demo's)
    assert before["charter"]["version"] == 1
    counts = service.load_charters(desk, charter_file(tmp_path, NORTH.format(extra="", first_contact="2h")),
                                   actor=HELEN)
    assert counts == {"charters": 1, "new_charters": 1}
    again = service.load_charters(desk, charter_file(tmp_path, NORTH.format(extra="", first_contact="2h")),
                                  actor=HELEN)
    assert again == {"charters": 1, "new_charters": 0}  # the same charter again: nothing new

    after = leak(desk, actor=TOM)
    assert after["promise"]["first_contact_within"] == "2 business hours"
    assert local(after["promise"]["first_contact_due"]) == "2026-11-23 12:00"
    assert after["charter"]["version"] == 2
    assert after["charter"]["line"] == ("Facilities North's charter, agreed with the store managers of the north "
                                        "region on 20 Nov 2026 (Amira Khan, Tom Hughes)")
    assert after["charter"]["needs"] == ["Someone to let the contractor in"]
    assert after["charter"]["standards"]["promises_kept"] == 0.92
    assert after["charter"]["standards"]["reopen_rate"] == 0.1  # what the charter leaves out: the default

    kept = service.show(desk, before["ref"], actor=AMIRA)
    assert kept["promise"]["first_contact_within"] == "4 business hours" and kept["charter"]["version"] == 1
    # its check-in rhythm is its own version's too: version 1 says a day, version 2 two hours
    service.contact(desk, before["ref"], actor=before["owner"]["email"], note="On my way")
    service.contact(desk, after["ref"], actor=after["owner"]["email"], note="On my way")
    assert service.show(desk, before["ref"], actor=AMIRA)["promise"]["checkin_every"] == "1 business day"
    assert service.show(desk, after["ref"], actor=TOM)["promise"]["checkin_every"] == "2 business hours"
    shown = service.charter(desk, "facilities-north")
    assert [v["version"] for v in shown["versions"]] == [1, 2]


def test_a_tier_of_stores_gets_its_own_promise_and_the_rest_the_charters(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    service.load_charters(desk, charter_file(tmp_path, NORTH.format(extra=FLAGSHIP, first_contact="3h")),
                          actor=HELEN)
    assert leak(desk, actor=AMIRA)["promise"]["first_contact_within"] == "1 business hour"  # S001: flagship
    assert leak(desk, actor=TOM)["promise"]["first_contact_within"] == "3 business hours"  # S002: any store
    urgent = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Flood",
                                   fields={**LEAK, "near_electrics": "yes"})
    assert urgent["priority"] == "urgent" and urgent["promise"]["first_contact_within"] == "2 business hours"
    rows = {(r["request_type"], r["priority"], r["tier"]): r for r in service.charter(desk, "facilities-north")["promises"]}
    assert (rows[("facilities.leak", "high", None)]["source"], rows[("facilities.leak", "high", None)]["version"]) == (
        "charter", 2)
    assert rows[("facilities.leak", "high", "flagship")]["first_contact"] == "1h"
    assert rows[("facilities.leak", "normal", None)]["source"] == "plugin"  # the charter says nothing of it
    assert ("facilities.leak", "normal", "flagship") not in rows  # a tier promised what any store is: no line


def test_a_hand_off_after_the_charter_changed_keeps_the_promise_made(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    service.load_charters(desk, charter_file(tmp_path, NORTH.format(extra="", first_contact="2h")), actor=HELEN)
    view = leak(desk, actor=TOM)
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    changed = NORTH.format(extra="", first_contact="3h").replace('checkin = "2h"', 'checkin = "1d"')
    assert service.load_charters(desk, charter_file(tmp_path, changed), actor=HELEN)["new_charters"] == 1
    other = next(m for m in ("sam.doyle@example.com", "priya.shah@example.com") if m != view["owner"]["email"])
    moved = service.hand_off(desk, view["ref"], actor=HELEN, to=other, note="Sam is nearer")
    assert moved["owner"]["email"] == other
    assert (moved["charter"]["version"], moved["promise"]["checkin_every"]) == (2, "2 business hours")
    assert leak(desk, actor=TOM)["charter"]["version"] == 3


BAD = [
    ('[[charter]]\nteam = "nobody"\n', "line 2: charter #1 field 'team': no team 'nobody'; add it as a [[team]]"),
    ('[[charter]]\nteam = "facilities-north"\nwith = "x"\nsigned_by = ["amira.khan@example.com"]\nreview = 2027-01-01\n',
     "line 1: charter #1: 'agreed' is missing; give a date like agreed = 2026-10-01"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2026-09-01\n',
     "line 6: charter #1 field 'review': review date 2026-09-01 must come after the date agreed, 2026-10-01"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\nsigned_by = ["who@example.com"]\n'
     'review = 2027-01-01\n', "line 5: charter #1 field 'signed_by': no person 'who@example.com'; add them as a [[person]]"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\nstandards = { nps = 300 }\n',
     "line 7: charter #1 field 'standards': nps must be a number from -100 to 100"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\n\n[[charter.promise]]\ntype = "it.broken_kit"\n'
     'first_contact = "1h"\nresolve = "1d"\n',
     "line 9: charter.promise #1 field 'type': 'it.broken_kit' is not a request type of the team's department"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\n\n[[charter.promise]]\ntype = "facilities.leak"\n'
     'first_contact = "soon"\nresolve = "1d"\n',
     "line 10: charter.promise #1 field 'first_contact': duration 'soon' must be a number and m, h or d, like '30m', '4h' or '2d'"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\n\n[[charter.promise]]\ntype = "facilities.leak"\n'
     'first_contact = "30m"\nresolve = "soon"\n',  # a duration in minutes is not the one named
     "line 11: charter.promise #1 field 'resolve': duration 'soon' must be a number and m, h or d"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\n\n[[charter.promise]]\ntype = "facilities.leak"\n'
     'tier = "flagship"\nfirst_contact = "1h"\nresolve = "1d"\n',
     "line 10: charter.promise #1 field 'tier': no tier 'flagship'; the charter names no tiers"),
    ('[[charter]]\nteam = "facilities-north"\nagreed = 2026-10-01\nwith = "x"\n'
     'signed_by = ["amira.khan@example.com"]\nreview = 2027-01-01\ntiers = { flagship = ["S999"] }\n',
     "line 7: charter #1 field 'tiers': flagship: no site 'S999'; add it as a [[site]]"),
]


@pytest.mark.parametrize("text, said", BAD, ids=range(len(BAD)))
def test_a_bad_charter_is_one_line_naming_the_line_and_nothing_is_loaded(ownit_demo_org, tmp_path, text,
                                                                         said) -> None:
    path = charter_file(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        service.load_charters(ownit_demo_org, path, actor=HELEN)
    assert str(error.value).startswith(f"{path} {said}"), str(error.value)
    assert [v["version"] for v in service.charter(ownit_demo_org, "facilities-north")["versions"]] == [1]


def test_a_charter_is_loaded_by_an_admin_or_its_teams_lead_alone(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    path = charter_file(tmp_path, NORTH.format(extra="", first_contact="2h"))
    for who in (OWEN, SAM, AMIRA, RAJ):  # another team's lead, a member, a store manager, another department's
        with pytest.raises(PermissionDenied, match="only an admin or the lead of facilities-north can load its "
                                                   "charter"):
            service.load_charters(desk, path, actor=who)
    org = charter_file(tmp_path, '[[site]]\ncode = "S1"\nname = "x"\nregion = "north"\n', "org.toml")
    with pytest.raises(ConfigError, match=r"holds \[\[site\]\] tables too; 'ownit org load"):
        service.load_charters(desk, org, actor=HELEN)
    assert [v["version"] for v in service.charter(desk, "facilities-north")["versions"]] == [1]


def test_the_command_line_loads_shows_and_quotes_the_charter(ownit_demo_org, ownit_database_url, tmp_path) -> None:
    cli = Cli(ownit_database_url)
    path = charter_file(tmp_path, NORTH.format(extra=FLAGSHIP, first_contact="2h"))
    assert cli.ok("charter", "load", str(path), "--as", HELEN).stdout == f"loaded 1 charter from {path}: 1 new version\n"
    assert cli.ok("charter", "load", str(path), "--as", HELEN).stdout == (
        f"loaded 1 charter from {path}: nothing new (each says what it said)\n")
    shown = cli.ok("charter", "show", "facilities-north").stdout
    assert shown.startswith("Facilities North's charter, agreed with the store managers of the north region on "
                            "20 Nov 2026 (Amira Khan, Tom Hughes); version 2, due for review by 2027-05-20\n")
    assert "needs from the stores: Someone to let the contractor in\n" in shown
    assert "92% of promises kept" in shown and "NPS at least 35" in shown and "tier flagship: S001" in shown
    sources = {(r["request_type"], r["priority"], r["tier"]): (r["source"], r["version"])
               for r in cli.json("charter", "show", "facilities-north")["promises"]}
    assert sources[("facilities.leak", "high", "flagship")] == ("charter", 2)
    assert sources[("facilities.fixture", "high", None)] == ("plugin", None)
    assert "versions: 1 agreed 2026-10-01; 2 agreed 2026-11-20" in shown
    overdue = cli.ok("charter", "show", "it-service").stdout  # the demo's IT charter was due for review on 16 Nov
    assert "[overdue for review since 2026-11-16]" in overdue
    assert "has no charter yet" in cli.ok("charter", "show", "hr-partners").stdout
    assert cli.json("charter", "show", "facilities-north")["current"]["tiers"] == {"flagship": ["S001"]}
    assert one_error_line(cli("charter", "show", "nobody"), 1).startswith("no team 'nobody'; teams:")
    assert one_error_line(cli("charter", "load", str(path), "--as", GRACE), 1) == (
        "only an admin or the lead of facilities-north can load its charter; ask them to")
    promised = {(r["team"], r["request_type"], r["priority"], r["tier"]): (r["first_contact"], r["source"], r["version"])
                for r in cli.json("departments")["promises"]}
    assert promised[("facilities-north", "facilities.leak", "high", "flagship")] == ("1h", "charter", 2)
    assert promised[("facilities-south", "facilities.leak", "high", None)] == ("4h", "plugin", None)
    assert "What each team promises" in cli.ok("departments").stdout
    ref = cli.json("raise", *LEAK_ARGS, "--as", TOM)["ref"]
    card = " ".join(cli.ok("show", ref, "--as", TOM).stdout.split())  # as wrapped for 80 columns
    assert "Promised under Facilities North's charter, agreed with the store managers of the north region" in card
    assert "Facilities North needs from the store: Someone to let the contractor in" in card


def test_the_card_and_your_support_people_quote_the_charter(app, ownit_demo_org) -> None:
    from test_ui import rendered_text

    view = leak(ownit_demo_org, actor=TOM)
    ownit_demo_org.clock.advance(hours=1)
    service.contact(ownit_demo_org, view["ref"], actor=view["owner"]["email"], note="On my way")  # on time
    ownit_demo_org.clock.advance(hours=1)  # the record counts up to now: what happened before it
    assert service.team_record(ownit_demo_org, "facilities-north") == {
        "team": "facilities-north", "days": 28, "first_contacts": 1, "first_contact_kept": 1.0, "resolved": 0,
        "promises_kept": None}
    at = app(TOM).run()
    assert not at.exception
    captions = [rendered_text(c.value) for c in at.caption]
    assert any(c.startswith("Promised under Facilities North's charter, agreed with the store managers of the north "
                            "region on 1 Oct 2026 (Amira Khan, Tom Hughes, Isla Fraser). Kept 100% of first contacts "
                            "in the last 28 days. Facilities North needs from the store: Someone to let the "
                            "contractor in") for c in captions), captions
    assert service.show(ownit_demo_org, view["ref"], actor=TOM)["charter"]["version"] == 1
    at.switch_page("views/support_people.py").run()
    assert not at.exception
    captions = [rendered_text(c.value) for c in at.caption]
    assert ("Agreed with the store managers of the north region on 2026-10-01. Kept 100% of first contacts in the "
            "last 28 days.") in captions
    assert "Agreed with the store and sales managers' forum on 2026-05-18 (due for review)." in captions  # none yet


def test_service_health_measures_a_team_against_its_own_charter(ownit_demo_org) -> None:
    from ownit import metrics

    desk = ownit_demo_org
    it = service.report(desk, actor=RAJ, team="it-service")
    assert it["standards"]["first_contact_kept"] == 0.95 and it["standards"]["nps"] == 40.0
    assert it["standards"]["reopen_rate"] == 0.1  # left out of its charter: the default
    assert it["charter"]["version"] == 1 and it["charter"]["overdue"]  # due for review on 16 Nov
    wider = service.report(desk, actor=HELEN, department="facilities")
    assert wider["charter"] is None and wider["standards"]["first_contact_kept"] == 0.9
    owners = [{"name": "A", **{k: None for k, *_ in metrics.FIGURES}, "first_contact_kept": 0.93},
              {"name": "B", **{k: None for k, *_ in metrics.FIGURES}, "first_contact_kept": 0.97}]
    assert metrics.spread(owners, it["standards"])["first_contact_kept"]["below_standard"] == 1  # 93% < 95%
    assert metrics.spread(owners, wider["standards"])["first_contact_kept"]["below_standard"] == 0


def test_charter_check_flags_a_task_commitment_that_cannot_fit_a_promise_and_a_charter_past_review(
        ownit_demo_org, ownit_database_url, tmp_path) -> None:
    """The demo's IT charter commits to Facilities' tasks within 3 business
    days (36 h of its 12-hour days), while Facilities promises the stores to
    resolve an urgent lock fault within one (10 h): no task asked for would
    fit. Its charter was also due for review on 16 Nov."""
    desk = ownit_demo_org
    found = service.check_charters(desk, actor=HELEN)
    conflict = next(c for c in found["conflicts"] if c["other"] == "facilities-north")
    assert (conflict["team"], conflict["for"], conflict["within_hours"]) == ("it-service", "facilities", 36.0)
    assert conflict["line"].startswith("IT Service Desk commits to Facilities' tasks within 3 business days (36 h), "
                                       "but ")
    assert "the tightest Lock, shutter or alarm (urgent) within 1 business day (10 h)" in conflict["line"]
    leak_high = next(p for p in conflict["promises"] if (p["request_type"], p["priority"]) == ("facilities.leak", "high"))
    assert (leak_high["resolve"], leak_high["source"]) == ("3d", "charter")  # 30 h of Facilities' 10-hour days
    assert [r["team"] for r in found["reviews"]] == ["it-service"]
    with pytest.raises(PermissionDenied):
        service.check_charters(desk, actor=AMIRA)  # service health's readers only

    # IT agrees to a day (12 h): it fits every promise but the tightest, a day of Facilities' (10 h)
    tighter = NORTH.format(extra="", first_contact="2h").replace('team = "facilities-north"', 'team = "it-service"')
    tighter = tighter.replace('type = "facilities.leak"', 'type = "it.broken_kit"').replace(
        'tiers = { flagship = ["S001"] }', 'tiers = { flagship = ["S001"] }\n\n[[charter.task]]\nfor = "facilities"\n'
                                           'within = "1d"\n')
    service.load_charters(desk, charter_file(tmp_path, tighter), actor=RAJ)
    found = service.check_charters(desk, actor=HELEN)
    assert {c["within_hours"] for c in found["conflicts"]} == {12.0} and found["reviews"] == []
    assert {p["resolve"] for c in found["conflicts"] for p in c["promises"]} == {"1d"}

    cli = Cli(ownit_database_url)
    out = cli.ok("charter", "check", "--as", HELEN).stdout
    assert out.startswith("2 things to settle:\nconflict: IT Service Desk commits to Facilities' tasks within 1 "
                          "business day (12 h)")
    assert "tasks for facilities: done within 1d" in cli.ok("charter", "show", "it-service").stdout


def test_a_task_commitment_names_an_installed_department_and_a_duration(ownit_demo_org, tmp_path) -> None:
    base = ('[[charter]]\nteam = "it-service"\nagreed = 2026-10-01\nwith = "x"\nsigned_by = ["tom.hughes@example.com"]\n'
            'review = 2027-01-01\n\n[[charter.task]]\n')
    for task, said in (('for = "catering"\nwithin = "1d"\n', "line 9: charter.task #1 field 'for': 'for' must name an "
                                                              "installed department"),
                       ('for = "facilities"\nwithin = "soon"\n', "line 10: charter.task #1 field 'within': 'within' "
                                                                 "must be a duration like")):
        path = charter_file(tmp_path, base + task)
        with pytest.raises(ConfigError) as error:
            service.load_charters(ownit_demo_org, path, actor=RAJ)
        assert str(error.value).startswith(f"{path} {said}"), str(error.value)
    # the durations' one grammar: minutes too, as a promise takes them
    path = charter_file(tmp_path, base + 'for = "facilities"\nwithin = "30m"\n')
    assert service.load_charters(ownit_demo_org, path, actor=RAJ)["new_charters"] == 1


def test_the_health_page_shows_where_goals_conflict(app, ownit_demo_org) -> None:
    from test_ui import rendered_text

    at = app(HELEN).run()
    at.switch_page("views/health.py").run()
    assert not at.exception
    warnings = [rendered_text(w.value) for w in at.warning]
    assert any(w.startswith("IT Service Desk commits to Facilities' tasks within 3 business days") for w in warnings)
    assert any(w.startswith("IT Service Desk's charter (version 1") for w in warnings)


def test_the_demo_history_changes_facilities_souths_charter_halfway(ownit_desk) -> None:
    """Its requests keep the version they were raised under: the spring's
    four hours to first contact before the midpoint, the autumn's one after."""
    from ownit.demo import seed

    seed(ownit_desk, history_weeks=6)
    versions = service.charter(ownit_desk, "facilities-south")["versions"]
    assert [(v["version"], v["agreed"]) for v in versions] == [(1, "2026-04-13"), (2, "2026-10-19")]
    found = {}
    statuses = ["open", "waiting", "resolved", "closed"]
    for line in service.queue(ownit_desk, actor=OWEN, team="facilities-south", statuses=statuses, limit=1000):
        view = service.show(ownit_desk, line["ref"], actor=OWEN)
        if view["request_type"] == "facilities.leak" and view["priority"] == "high":
            found.setdefault(view["charter"]["version"], set()).add(view["promise"]["first_contact_within"])
    assert found == {1: {"4 business hours"}, 2: {"1 business hour"}}
    # and its stores grew less happy since: the charter check says so, with the numbers
    [targets] = service.check_charters(ownit_desk, actor=OWEN)["targets"]
    assert (targets["team"], targets["version"]) == ("facilities-south", 2)
    assert targets["tightened"] == ["facilities.leak (high): first contact 4h → 1h, resolve 3d → 1d"]
    assert "and its customers grew less happy since: NPS " in targets["line"]


def test_tightened_compares_the_same_promise_in_the_same_unit() -> None:
    from datetime import date

    from ownit.charters import Charter, Target, tightened
    from ownit.departments import Promise

    def charter(*targets: Target) -> Charter:
        return Charter("t", date(2026, 1, 1), "x", ("a@example.com",), date(2026, 6, 1), targets=targets)

    before = charter(Target("it.broken_kit", "high", None, Promise("4h", "1d", "3d")),
                     Target("it.broken_kit", None, None, Promise("1d", "1d", "5d")))
    after = charter(Target("it.broken_kit", "high", None, Promise("2h", "1d", "3d")),  # faster first contact
                    Target("it.broken_kit", None, None, Promise("8h", "1d", "6d")),  # another unit; slower resolve
                    Target("it.network", "high", None, Promise("1h", "1d", "1d")))  # new: nothing to compare
    assert tightened(before, after) == ["it.broken_kit (high): first contact 4h → 2h"]
    assert tightened(after, before) == ["it.broken_kit (any): resolve 6d → 5d"]  # 8h against 1d: not compared
