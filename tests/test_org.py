"""The organisation file loader: ``ownit.org.load_org`` and ``ownit org load FILE``.

A valid file loads and reloads without duplicates; every mistake is a
:class:`~ownit.errors.ConfigError` whose one line names the file, the line and
the field, and nothing at all is written when the file has a mistake.
"""

from __future__ import annotations

from conftest import look

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner, Result

from ownit import service
from ownit.cli import app
from ownit.errors import ConfigError, ValidationError
from ownit.models import Person, Site, Team, TeamMember
from ownit.org import load_org

LEAD = "lead.north@example.com"
AGENT1 = "agent.one@example.com"
AGENT2 = "agent.two@example.com"
MANAGER = "manager.s001@example.com"
SOUTH_MANAGER = "manager.s101@example.com"

BASE = """\
# A small organisation for the loader tests.

[[site]]
code = "S001"
name = "High Street"
region = "north"
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[[site]]
code = "S101"
name = "Queen Street"
region = "south"
timezone = "Europe/London"

[[person]]
email = "lead.north@example.com"
name = "Helen Lead"
title = "Facilities lead"
site = "S001"
roles = ["requester"]

[[person]]
email = "agent.one@example.com"
name = "Agent One"
site = "S001"

[[person]]
email = "agent.two@example.com"
name = "Agent Two"

[[person]]
email = "manager.s001@example.com"
name = "Amira Manager"
title = "Store manager"
phone = "0113 496 0001"
site = "S001"
roles = ["requester"]

[[person]]
email = "manager.s101@example.com"
name = "Grace Manager"
site = "S101"
roles = ["requester"]

[[team]]
key = "facilities-north"
name = "Facilities North"
department = "facilities"
regions = ["north"]
lead = "lead.north@example.com"
calendar = { timezone = "Europe/London", days = "MO-FR", hours = "08:00-18:00", country = "GB", subdivision = "ENG", closures = ["2026-12-24"] }
members = [
  { email = "agent.one@example.com", skills = ["building", "plumbing"], capacity = 15 },
  { email = "agent.two@example.com", skills = ["building"], capacity = 10 },
]
"""

COUNTS = {"sites": 2, "people": 5, "calendars": 0, "teams": 1, "skipped_teams": 0, "charters": 0, "new_charters": 0}


def write(tmp_path: Path, text: str, name: str = "org.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not unique in the file"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the one line of ``text`` containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def header_line(text: str, section: str, number: int) -> int:
    """The line of the ``number``-th (1-based) ``[[section]]`` header."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(f"[[{section}]]")]
    return found[number - 1]


def count(desk: Any, model: type) -> int:
    return look(desk, lambda s: s.exec(select(func.count()).select_from(model)).one())


def snapshot(desk: Any) -> dict[str, Any]:
    """Everything the loader writes, to compare before and after a failed load."""
    return {"people": service.people(desk), "teams": service.teams(desk),
            "sites": look(desk, lambda s: sorted((x.code, x.name, x.region) for x in s.exec(select(Site)))),
            "members": count(desk, TeamMember)}


# --- a valid file -------------------------------------------------------------------------


def test_a_valid_file_loads(ownit_desk: Any, tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert load_org(ownit_desk, path) == COUNTS

    people = {p["email"]: p for p in service.people(ownit_desk)}
    assert sorted(people) == sorted([LEAD, AGENT1, AGENT2, MANAGER, SOUTH_MANAGER])
    assert people[MANAGER]["name"] == "Amira Manager" and people[MANAGER]["site"] == "S001"
    assert people[MANAGER]["phone"] == "0113 496 0001" and people[MANAGER]["title"] == "Store manager"
    assert people[MANAGER]["roles"] == ["requester"]
    assert people[AGENT2]["site"] is None
    # Leading a team makes you a lead, being a member makes you an agent.
    assert people[LEAD]["roles"] == ["lead", "requester"]
    assert people[AGENT1]["roles"] == ["agent", "requester"]  # no roles given: a requester

    [team] = service.teams(ownit_desk)
    assert (team["key"], team["name"], team["department"], team["regions"]) == (
        "facilities-north", "Facilities North", "facilities", ["north"])
    assert team["lead"]["email"] == LEAD
    assert team["calendar"] == {"timezone": "Europe/London", "days": "MO-FR", "hours": "08:00-18:00",
                                "country": "GB", "subdivision": "ENG", "closures": ["2026-12-24"]}
    members = {m["email"]: (m["skills"], m["capacity"]) for m in team["members"]}
    assert members == {AGENT1: (["building", "plumbing"], 15), AGENT2: (["building"], 10)}

    sites = look(ownit_desk, lambda s: {x.code: (x.name, x.region, x.timezone, x.country, x.subdivision)
                                       for x in s.exec(select(Site))})
    assert sites == {"S001": ("High Street", "north", "Europe/London", "GB", "ENG"),
                     "S101": ("Queen Street", "south", "Europe/London", None, None)}


def test_the_loaded_org_takes_requests(ownit_desk: Any, tmp_path: Path) -> None:
    load_org(ownit_desk, write(tmp_path, BASE))
    view = service.raise_request(ownit_desk, actor=MANAGER, request_type="facilities.leak", title="Leak",
                                 fields={"location": "stockroom", "near_electrics": "no"})
    assert view["team"]["key"] == "facilities-north" and view["owner"]["email"] == AGENT1
    # No team covers the south yet.
    with pytest.raises(ValidationError, match="no facilities team covers region 'south'"):
        service.raise_request(ownit_desk, actor=SOUTH_MANAGER, request_type="facilities.leak", title="Leak",
                              fields={"location": "stockroom", "near_electrics": "no"})


def test_loading_twice_is_idempotent_and_applies_updates(ownit_desk: Any, tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    load_org(ownit_desk, path)
    before = snapshot(ownit_desk)
    assert load_org(ownit_desk, path) == COUNTS
    assert snapshot(ownit_desk) == before
    assert (count(ownit_desk, Site), count(ownit_desk, Person), count(ownit_desk, Team),
            count(ownit_desk, TeamMember)) == (2, 5, 1, 2)

    changed = edit(BASE, 'name = "High Street"', 'name = "High Street (rebuilt)"')
    changed = edit(changed, 'name = "Amira Manager"', 'name = "Amira Khan"')
    changed = edit(changed, 'site = "S101"\nroles', 'site = "S001"\nroles')  # Grace moves north
    changed = edit(changed, 'hours = "08:00-18:00"', 'hours = "09:00-17:00"')
    changed = edit(changed, 'skills = ["building", "plumbing"], capacity = 15',
                   'skills = ["building", "hvac"], capacity = 12')
    changed = edit(changed, '  { email = "agent.two@example.com", skills = ["building"], capacity = 10 },\n', "")
    changed = edit(changed, 'lead = "lead.north@example.com"', 'lead = "agent.two@example.com"')
    assert load_org(ownit_desk, write(tmp_path, changed, "org-v2.toml")) == COUNTS

    assert (count(ownit_desk, Site), count(ownit_desk, Person), count(ownit_desk, Team),
            count(ownit_desk, TeamMember)) == (2, 5, 1, 1)
    people = {p["email"]: p for p in service.people(ownit_desk)}
    assert people[MANAGER]["name"] == "Amira Khan"
    assert people[SOUTH_MANAGER]["site"] == "S001"
    assert look(ownit_desk, lambda s: s.exec(select(Site.name).where(Site.code == "S001")).one()) == (
        "High Street (rebuilt)")
    [team] = service.teams(ownit_desk)
    assert team["lead"]["email"] == AGENT2
    assert "lead" in people[AGENT2]["roles"]
    assert team["calendar"]["hours"] == "09:00-17:00"
    assert [(m["email"], m["skills"], m["capacity"]) for m in team["members"]] == [
        (AGENT1, ["building", "hvac"], 12)]


def test_a_site_code_and_an_email_match_whatever_their_case(ownit_desk: Any, tmp_path: Path) -> None:
    load_org(ownit_desk, write(tmp_path, BASE))
    shouting = edit(BASE, 'email = "manager.s001@example.com"', 'email = "Manager.S001@Example.com"')
    shouting = edit(shouting, 'code = "S101"', 'code = "s101"')
    assert load_org(ownit_desk, write(tmp_path, shouting, "again.toml")) == COUNTS
    assert count(ownit_desk, Person) == 5 and count(ownit_desk, Site) == 2


def test_reloading_takes_away_a_role_removed_from_the_file(ownit_desk: Any, tmp_path: Path) -> None:
    admin = edit(BASE, 'name = "Grace Manager"\nsite = "S101"\nroles = ["requester"]',
                 'name = "Grace Manager"\nsite = "S101"\nroles = ["requester", "admin"]')
    load_org(ownit_desk, write(tmp_path, admin))
    people = {p["email"]: p for p in service.people(ownit_desk)}
    assert people[SOUTH_MANAGER]["roles"] == ["admin", "requester"]
    load_org(ownit_desk, write(tmp_path, BASE, "revoked.toml"))
    people = {p["email"]: p for p in service.people(ownit_desk)}
    assert people[SOUTH_MANAGER]["roles"] == ["requester"]


def test_org_load_command(ownit_database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    result = org_load(ownit_database_url, path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"loaded 2 sites, 5 people, 1 team from {path}\n"
    assert result.stderr == ""
    again = org_load(ownit_database_url, path)
    assert again.exit_code == 0 and again.stdout == result.stdout

    missing = tmp_path / "nope.toml"
    message = one_error_line(org_load(ownit_database_url, missing))
    assert message.startswith(f"cannot read {missing}")


# --- mistakes --------------------------------------------------------------------------------


class Case:
    """A mistake: how to make it from BASE, the line it is on, and what the message says."""

    def __init__(self, make: Callable[[str], str], line: Callable[[str], int], field: str | None,
                 says: str) -> None:
        self.make, self.line, self.field, self.says = make, line, field, says


def at(needle: str) -> Callable[[str], int]:
    return lambda text: line_of(text, needle)


def header(section: str, number: int) -> Callable[[str], int]:
    return lambda text: header_line(text, section, number)


def swap(old: str, new: str) -> Callable[[str], str]:
    return lambda text: edit(text, old, new)


CASES = {
    # what a terminal would obey, in an identifier or a name (found trying OwnIt as an attacker would)
    "person-email-bidi": Case(swap('[[person]]\nemail = "agent.one@example.com"',
                                   '[[person]]\nemail = "agent.one\\u202e@example.com"'),
                              at('email = "agent.one\\u202e'), "email",
                              "holds the control character \\u202e; remove it"),
    "person-email-nul": Case(swap('[[person]]\nemail = "agent.one@example.com"',
                                  '[[person]]\nemail = "agent.one\\u0000@example.com"'),
                             at('email = "agent.one\\u0000'), "email", "holds the control character \\u0000; remove it"),
    "team-name-csi": Case(swap('name = "Facilities North"', 'name = "Facilities \\u009b2J North"'),
                          at('name = "Facilities \\u009b'), "name", "holds the control character \\u009b; remove it"),
    "member-skill-line-separator": Case(swap('skills = ["building", "plumbing"]', 'skills = ["build\\u2028ing"]'),
                                        at("members = ["), "members",
                                        "skills of agent.one@example.com must be a list of words"),
    "unknown-section": Case(
        lambda t: t + '\n[[sites]]\ncode = "S002"\nname = "York"\nregion = "north"\n',
        at("[[sites]]"), None, "unknown section [[sites]]"),
    "site-unknown-field": Case(swap('region = "north"', 'regoin = "north"'), at("regoin"), "regoin",
                               "unknown field"),
    "person-unknown-field": Case(swap('[[person]]\nemail = "agent.two@example.com"',
                                      '[[person]]\nemial = "agent.two@example.com"'),
                                 at("emial"), "emial", "unknown field"),
    "team-unknown-field": Case(swap('regions = ["north"]', 'region = ["north"]'), at('region = ["north"]'),
                               "region", "unknown field"),
    "site-missing-region": Case(swap('region = "south"\n', ""), header("site", 2), "region",
                                "'region' is missing"),
    "person-missing-name": Case(swap('name = "Agent Two"\n', ""), header("person", 3), "name",
                                "'name' is missing"),
    "team-missing-key": Case(swap('key = "facilities-north"\n', ""), header("team", 1), "key",
                             "'key' is missing"),
    "person-unknown-site": Case(swap('name = "Agent One"\nsite = "S001"', 'name = "Agent One"\nsite = "S999"'),
                                at('site = "S999"'), "site", "no site 'S999'; add it as a [[site]]"),
    "person-bad-email": Case(swap('[[person]]\nemail = "agent.one@example.com"',
                                  '[[person]]\nemail = "agent.one.example.com"'),
                             at('email = "agent.one.example.com"'), "email",
                             "'agent.one.example.com' is not an email address"),
    "person-bad-role": Case(swap('name = "Grace Manager"\nsite = "S101"\nroles = ["requester"]',
                                 'name = "Grace Manager"\nsite = "S101"\nroles = ["manager"]'),
                            at('roles = ["manager"]'), "roles", "must be a list of: requester, agent, lead, admin"),
    "team-without-lead": Case(swap('lead = "lead.north@example.com"\n', ""), header("team", 1), "lead",
                              "has no 'lead'"),
    "team-lead-not-a-person": Case(swap('lead = "lead.north@example.com"', 'lead = "ghost@example.com"'),
                                   at("ghost@example.com"), "lead",
                                   "no person 'ghost@example.com'; add them as a [[person]]"),
    "team-uninstalled-department": Case(swap('department = "facilities"', 'department = "cleaning"'),
                                        at('department = "cleaning"'), "department",
                                        "department 'cleaning' is not installed; installed: facilities"),
    "calendar-bad-timezone": Case(swap('calendar = { timezone = "Europe/London"', 'calendar = { timezone = "Mars/Olympus"'),
                                  at("Mars/Olympus"), "calendar", "unknown time zone 'Mars/Olympus'"),
    "calendar-hours-backwards": Case(swap('hours = "08:00-18:00"', 'hours = "17:00-09:00"'), at("17:00-09:00"),
                                     "calendar", "working hours '17:00-09:00' close before they open"),
    "calendar-bad-days": Case(swap('days = "MO-FR"', 'days = "MONDAY"'), at('days = "MONDAY"'), "calendar",
                              "working days 'MONDAY'"),
    "calendar-bad-closure": Case(swap('closures = ["2026-12-24"]', 'closures = ["2026-02-30"]'),
                                 at("2026-02-30"), "calendar", ""),
    "calendar-unknown-key": Case(swap('closures = ["2026-12-24"]', 'holidays = ["2026-12-24"]'),
                                 at('holidays = ["2026-12-24"]'), "calendar", "must be a table with"),
    "member-capacity-0": Case(swap('skills = ["building"], capacity = 10', 'skills = ["building"], capacity = 0'),
                              at("members = ["), "members",
                              "capacity of agent.two@example.com must be a whole number from 1"),
    "member-not-a-person": Case(swap('{ email = "agent.two@example.com", skills',
                                     '{ email = "agent.three@example.com", skills'),
                                at("members = ["), "members", "no person 'agent.three@example.com'"),
    "member-unknown-field": Case(swap('skills = ["building"], capacity = 10', 'skils = ["building"], capacity = 10'),
                                 at("members = ["), "members", "unknown member field 'skils'"),
    "site-bad-timezone": Case(swap('region = "south"\ntimezone = "Europe/London"',
                                   'region = "south"\ntimezone = "Europe/Londn"'),
                              at("Europe/Londn"), "timezone", "unknown time zone 'Europe/Londn'"),
    "site-name-not-text": Case(swap('name = "Queen Street"', "name = 101"), at("name = 101"), "name",
                               "must be text in quotes"),
    "invalid-toml": Case(swap('name = "Agent One"', 'name = "Agent One'), at('name = "Agent One'), None,
                         "not valid TOML"),
    "invalid-toml-at-the-end": Case(
        lambda t: t.rstrip().removesuffix("]") + "\n", at("capacity = 10"), None, "not valid TOML"),
    "header-with-comment": Case(
        lambda t: edit(edit(t, '[[person]]\nemail = "agent.one@example.com"',
                            '[[person]]  # the plumber\nemail = "agent.one@example.com"'),
                       'name = "Agent One"\nsite = "S001"', 'name = "Agent One"\nsite = "S999"'),
        at('site = "S999"'), "site", "no site 'S999'"),
}


def _case_params() -> list[Any]:
    params = []
    for name, case in CASES.items():
        if isinstance(case, Case):
            params.append(pytest.param(case, id=name))
        else:
            params.append(pytest.param(*case.values, marks=case.marks, id=name))
    return params


def broken_file(tmp_path: Path, case: Case) -> tuple[Path, str]:
    """BASE with a new person, a renamed site and the mistake: only the mistake is wrong."""
    text = edit(BASE, 'name = "High Street"', 'name = "High Street (renamed)"')
    text = edit(text, "\n[[team]]\n", '\n[[person]]\nemail = "new.starter@example.com"\nname = "New Starter"\n'
                                      'site = "S001"\n\n[[team]]\n')
    text = case.make(text)
    return write(tmp_path, text, "broken.toml"), text


def check_message(message: str, path: Path, text: str, case: Case) -> None:
    assert message.startswith(str(path)), message
    assert re.search(rf"\bline {case.line(text)}\b", message), message
    if case.field is not None:
        assert f"'{case.field}'" in message, message
    assert case.says in message, message
    assert "\n" not in message


@pytest.mark.parametrize("case", _case_params())
def test_a_mistake_names_file_line_and_field_and_writes_nothing(ownit_desk: Any, tmp_path: Path,
                                                                case: Case) -> None:
    load_org(ownit_desk, write(tmp_path, BASE))
    before = snapshot(ownit_desk)
    path, text = broken_file(tmp_path, case)
    with pytest.raises(ConfigError) as caught:
        load_org(ownit_desk, path)
    check_message(str(caught.value), path, text, case)
    assert snapshot(ownit_desk) == before  # all or nothing: no new person, no renamed site
    assert count(ownit_desk, Person) == 5


@pytest.mark.parametrize("case", _case_params())
def test_org_load_command_reports_a_mistake_in_one_line(ownit_database_url: str, tmp_path: Path,
                                                        case: Case) -> None:
    path, text = broken_file(tmp_path, case)
    message = one_error_line(org_load(ownit_database_url, path))
    check_message(message, path, text, case)
    people = CliRunner().invoke(app, ["people", "--json"], env={"OWNIT_DATABASE_URL": ownit_database_url})
    assert people.exit_code == 0 and people.stdout.strip() == "[]"  # nothing written


def test_an_unknown_section_is_refused_and_nothing_is_written(ownit_desk: Any, tmp_path: Path) -> None:
    path = write(tmp_path, BASE + '\n[[sites]]\ncode = "S002"\nname = "York"\nregion = "north"\n')
    with pytest.raises(ConfigError) as caught:
        load_org(ownit_desk, path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "unknown section [[sites]]" in message
    assert count(ownit_desk, Person) == 0 and count(ownit_desk, Site) == 0


def test_a_mistake_in_the_first_load_leaves_the_directory_empty(ownit_desk: Any, tmp_path: Path) -> None:
    path = write(tmp_path, edit(BASE, 'department = "facilities"', 'department = "cleaning"'))
    with pytest.raises(ConfigError, match=r"line \d+: team #1 field 'department'"):
        load_org(ownit_desk, path)
    assert (count(ownit_desk, Site), count(ownit_desk, Person), count(ownit_desk, Team)) == (0, 0, 0)


def test_the_first_mistake_is_reported_with_the_entry_number(ownit_desk: Any, tmp_path: Path) -> None:
    text = edit(BASE, 'email = "manager.s101@example.com"', 'email = "manager.s101"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_org(ownit_desk, path)
    line = line_of(text, 'email = "manager.s101"')
    assert str(caught.value) == (f"{path} line {line}: person #5 "
                                 "field 'email': 'manager.s101' is not an email address")


# --- helpers for the command line -----------------------------------------------------------


def org_load(url: str, path: Path) -> Result:
    return CliRunner().invoke(app, ["org", "load", str(path)],
                              env={"OWNIT_DATABASE_URL": url, "OWNIT_USER": None, "COLUMNS": "80"})


def one_error_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0][len("error: "):]


def test_the_demo_leaves_out_teams_of_departments_not_installed(ownit_database_url: str, ownit_clock: Any) -> None:
    from ownit.demo import ORG_FILE
    from ownit.desk import Desk
    from ownit.plugins import build_plugins

    desk = Desk(url=ownit_database_url, plugins=build_plugins(only={"facilities"}), clock=ownit_clock)
    with pytest.raises(ConfigError, match="team #3 field 'department': department 'it' is not installed"):
        load_org(desk, ORG_FILE)
    counts = load_org(desk, ORG_FILE, skip_missing_departments=True)
    assert (counts["teams"], counts["skipped_teams"]) == (2, 2)
