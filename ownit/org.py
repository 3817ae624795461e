"""Loading the organisation directory from a TOML file.

The file lists ``[[site]]``, ``[[person]]``, ``[[calendar]]``, ``[[team]]``
and ``[[charter]]`` tables (see ``docs/operating.md``). Loading is all or
nothing, and repeatable: an existing site, person, calendar or team (matched
by code, email or key) is updated,
and a team's charter that says something new is its next version
(:mod:`ownit.charters`). Any mistake names the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Collection, Mapping

from . import charters, preferences
from .calendar import AROUND_THE_CLOCK, BusinessCalendar
from .clock import parse_date
from .errors import ConfigError, ValidationError
from .store import charters as charter_store
from .store import org as org_store
from .store import unit as store
from .store.unit import Unit
from .terminal import first_unsafe

Row = org_store.Row

ROLES = ("requester", "agent", "lead", "admin")
_SECTIONS = {
    "site": {"code", "name", "region", "timezone", "country", "subdivision", "deputies"},
    "person": {"email", "name", "site", "roles", "title", "phone", "login", "chat", "notify"},
    "team": {"key", "name", "department", "regions", "lead", "calendar", "members", "chat"},
    "charter": charters.KEYS,
}
_CALENDAR_KEYS = {"timezone", "days", "hours", "country", "subdivision", "closures"}
_SECTIONS["calendar"] = {"key", *_CALENDAR_KEYS}
_IDENTITY = {"site": "code", "person": "email", "team": "key", "charter": "team", "calendar": "key"}
Departments = Mapping[str, Collection[str]]  # each installed department's request types
_MEMBER_KEYS = {"email", "skills", "capacity", "covers"}
_CALENDAR_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")  # as a request type names it (ownit.departments)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")  # an operating-system account name
_CHAT_URL = re.compile(r"^[a-z][a-z0-9+]{1,31}://\S+$")  # an Apprise URL: workflows://..., slack://..., https://...


@dataclass
class _Where:
    """Finds the line of an entry or of one of its keys in the file's text."""

    path: str
    lines: list[str]

    def header(self, section: str, index: int) -> int:
        seen = -1
        for number, line in enumerate(self.lines, 1):
            if line.split("#", 1)[0].strip().replace(" ", "") == f"[[{section}]]":
                seen += 1
                if seen == index:
                    return number
        return 1

    def section_line(self, name: str) -> int:
        """The first line that opens table ``name`` (or sets it as a key)."""
        pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(name)}\s*\]\]?|{re.escape(name)}\s*=)")
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return number
        return 1

    def key(self, section: str, index: int, key: str) -> int:
        start = self.header(section, index)
        for number in range(start, len(self.lines)):
            line = self.lines[number].strip()
            if line.startswith("["):
                break
            if re.match(rf"^{re.escape(key)}\s*=", line):
                return number + 1
        return start

    def error(self, section: str, index: int, key: str | None, problem: str) -> ConfigError:
        line = self.key(section, index, key) if key else self.header(section, index)
        return ConfigError(f"{self.path} line {line}: {section} #{index + 1}"
                           + (f" field '{key}'" if key else "") + f": {problem}")


def catalogue(plugins: Any) -> dict[str, list[str]]:
    """The installed departments and each one's request types (its incident type too)."""
    return {key: [t for t in plugins.request_types if t.split(".", 1)[0] == key] for key in plugins.departments}


def load_file(u: Unit, path: str | Path, *, departments: Departments,
              calendars_wanted: Mapping[str, str] | None = None,
              skip_missing_departments: bool = False) -> dict[str, int]:
    """Load ``path`` into the directory, in the unit of work ``u``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path} line {line}: not UTF-8 text; save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if "end of document" in message:  # tomllib gives no line there: it is the last written one
            written = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
            message = message.replace("end of document", f"line {written[-1] if written else 1}")
        raise ConfigError(f"{path}: not valid TOML: {message}") from None
    return load(u, data, where=_Where(str(path), text.splitlines()), departments=departments,
                calendars_wanted=calendars_wanted, skip_missing_departments=skip_missing_departments)


def load(u: Unit, data: dict[str, Any], *, where: _Where, departments: Departments,
         calendars_wanted: Mapping[str, str] | None = None, skip_missing_departments: bool = False) -> dict[str, int]:
    """Load parsed org ``data``; with ``skip_missing_departments`` (the demo), teams
    of departments whose plugin is not installed are left out instead of refused.
    ``calendars_wanted`` (request type -> calendar, :func:`calendars_wanted`) are
    the calendars the installed request types count on: one the database would
    not hold after this load is refused."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        line = where.section_line(unknown[0])
        raise ConfigError(f"{where.path} line {line}: unknown section [[{unknown[0]}]]; "
                          "use [[site]], [[person]], [[calendar]], [[team]] and [[charter]]")
    counts = {"sites": 0, "people": 0, "calendars": 0, "teams": 0, "skipped_teams": 0, "charters": 0,
              "new_charters": 0}
    sites = {s["code"]: s for s in org_store.rows(u, "site")}
    deputies: list[tuple[int, str, list[str]]] = []  # named once the people are in: (entry, site code, emails)
    for index, entry in enumerate(_entries(data, "site", where)):
        values = _site(entry, index, where)
        sites[values["code"]] = org_store.save(u, "site", values, sites.get(values["code"]))
        deputies.append((index, values["code"], _deputies(entry, index, where)))
        counts["sites"] += 1
    people = {p["email"]: p for p in org_store.rows(u, "person")}
    listed = [_person(entry, index, where, sites) for index, entry in enumerate(_entries(data, "person", where))]
    emails = {values["email"] for values in listed}
    logins = {p["login"]: p["email"] for p in people.values() if p.get("login") and p["email"] not in emails}
    for values in listed:  # logins moving between people listed here: free them first (they are unique)
        before = people.get(values["email"])
        if before is not None and before.get("login") and before["login"] != values["login"]:
            people[values["email"]] = org_store.save(u, "person", {"login": None}, before)
    for index, values in enumerate(listed):
        holder = logins.get(values["login"]) if values["login"] else None
        if holder is not None and holder != values["email"]:
            raise where.error("person", index, "login", f"login {values['login']!r} is already {holder}'s; "
                                                        "one account is one person")
        if values["login"]:
            logins[values["login"]] = values["email"]
        people[values["email"]] = org_store.save(u, "person", values, people.get(values["email"]))
        counts["people"] += 1
    for index, code, emails in deputies:
        missing = next((email for email in emails if email not in people), None)
        if missing:
            raise where.error("site", index, "deputies", f"no person {missing!r}; add them as a [[person]]")
        org_store.save(u, "site", {"deputies": [people[email]["id"] for email in emails]}, sites[code])
    calendars = {c["key"]: c for c in org_store.rows(u, "calendar")}
    for index, entry in enumerate(_entries(data, "calendar", where)):
        key = _text(entry, "key", "calendar", index, where, limit=64)
        if key == AROUND_THE_CLOCK or not _CALENDAR_KEY.match(key):
            raise where.error("calendar", index, "key", f"{key!r} must be lower case letters, digits and '-', "
                                                        "like \"office-hours\" (\"24x7\" needs no table)")
        body = _calendar(u, {k: v for k, v in entry.items() if k != "key"}, "calendar", index, None, where)
        calendars[key] = org_store.save(u, "calendar", {"key": key, "body": body}, calendars.get(key))
        counts["calendars"] += 1
    teams = {t["key"]: t for t in org_store.rows(u, "team")}
    for index, entry in enumerate(_entries(data, "team", where)):
        if skip_missing_departments and entry.get("department") not in departments:
            counts["skipped_teams"] += 1
            continue
        _team(u, entry, index, where, people, teams, departments)
        counts["teams"] += 1
    staffed = {t["department"] for t in teams.values()}
    for rtype_key, wanted in sorted((calendars_wanted or {}).items()):  # those a team could be given a request of
        if rtype_key.split(".", 1)[0] in staffed and wanted != AROUND_THE_CLOCK and wanted not in calendars:
            raise ConfigError(f"{where.path}: request type {rtype_key} counts its promises on calendar {wanted!r}; "
                              f"add a [[calendar]] with key = \"{wanted}\" (its timezone, days and hours)")
    promises_before = tasks_before = 0  # [[charter.promise]] and [[charter.task]] are numbered through the file
    for index, entry in enumerate(_entries(data, "charter", where)):
        key = _text(entry, "team", "charter", index, where, limit=64)
        team = teams.get(key)
        if team is None:
            if skip_missing_departments:  # its team was left out with its department (the demo)
                promises_before += len(entry.get("promise", []) or [])
                tasks_before += len(entry.get("task", []) or [])
                continue
            raise where.error("charter", index, "team", f"no team {key!r}; add it as a [[team]]")
        first, first_task = promises_before, tasks_before
        charter = charters.parse(
            entry, team=key, types=departments.get(team["department"], ()), sites=sites, people=people,
            departments=departments,
            fail=lambda field, problem, index=index: where.error("charter", index, field, problem),
            promise_fail=lambda n, field, problem, first=first: where.error("charter.promise", first + n, field,
                                                                            problem),
            task_fail=lambda n, field, problem, first=first_task: where.error("charter.task", first + n, field,
                                                                              problem))
        promises_before += len(charter.targets)
        tasks_before += len(charter.commitments)
        _, new = charter_store.add(u, team["id"], charter)
        counts["charters"] += 1
        counts["new_charters"] += new
    return counts


def _entries(data: dict[str, Any], section: str, where: _Where) -> list[dict[str, Any]]:
    entries = data.get(section, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where.path}: '{section}' must be a list of [[{section}]] tables")
    identity = _IDENTITY[section]
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        extra = sorted(set(entry) - _SECTIONS[section])
        if extra:
            raise where.error(section, index, extra[0], f"unknown field; known fields: {', '.join(sorted(_SECTIONS[section]))}")
        value = str(entry.get(identity, "")).strip().lower()
        if value and value in seen:
            first = where.header(section, seen[value])
            raise where.error(section, index, identity, f"{value!r} is already given at line {first}; list it once")
        seen[value] = index
    return entries


def _text(entry: dict[str, Any], key: str, section: str, index: int, where: _Where, *,
          required: bool = True, limit: int = 200) -> str:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise where.error(section, index, None, f"'{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise where.error(section, index, key, "must be text in quotes")
    unsafe = first_unsafe(value)
    if unsafe is not None:  # shown in terminals and pages, typed back in: it must read as what it is
        raise where.error(section, index, key, f"holds the control character {unsafe}; remove it")
    if len(value) > limit:
        raise where.error(section, index, key, f"is longer than {limit} characters")
    return value.strip()


def _words(values: Any) -> bool:
    """A list of plain words: text, with nothing a terminal would obey in it."""
    return isinstance(values, list) and all(isinstance(v, str) and first_unsafe(v) is None for v in values)


def _site(entry: dict[str, Any], index: int, where: _Where) -> Row:
    code = _text(entry, "code", "site", index, where, limit=32).upper()
    timezone = _text(entry, "timezone", "site", index, where, required=False) or "UTC"
    country = _text(entry, "country", "site", index, where, required=False) or None
    subdivision = _text(entry, "subdivision", "site", index, where, required=False) or None
    try:
        BusinessCalendar(timezone=timezone, country=country, subdivision=subdivision)
    except ConfigError as exc:
        raise where.error("site", index, "timezone" if "zone" in str(exc) else "country", str(exc)) from None
    return {"code": code, "name": _text(entry, "name", "site", index, where),
            "region": _text(entry, "region", "site", index, where, limit=64),
            "timezone": timezone, "country": country, "subdivision": subdivision}


def _deputies(entry: dict[str, Any], index: int, where: _Where) -> list[str]:
    """Who stands in for the site's requesters (the deputy manager, the area manager): emails, each once."""
    emails = entry.get("deputies", [])
    if not _words(emails) or not all(_EMAIL.match(e.strip()) for e in emails):
        raise where.error("site", index, "deputies", "must be a list of people's emails, like "
                                                     "[\"deputy.s001@example.com\"]")
    return list(dict.fromkeys(e.strip().lower() for e in emails))


def _person(entry: dict[str, Any], index: int, where: _Where, sites: dict[str, Row]) -> Row:
    email = _text(entry, "email", "person", index, where, limit=254).lower()
    if not _EMAIL.match(email):
        raise where.error("person", index, "email", f"{email!r} is not an email address")
    site_code = _text(entry, "site", "person", index, where, required=False).upper()
    if site_code and site_code not in sites:
        raise where.error("person", index, "site", f"no site {site_code!r}; add it as a [[site]]")
    roles = entry.get("roles", ["requester"])
    if not isinstance(roles, list) or any(r not in ROLES for r in roles):
        raise where.error("person", index, "roles", f"must be a list of: {', '.join(ROLES)}")
    login = _text(entry, "login", "person", index, where, required=False, limit=64) or None
    if login is not None and not _LOGIN.match(login):
        raise where.error("person", index, "login", f"{login!r} is not an account name; use the operating-system "
                                                     "login, letters, digits, '.', '_' or '-'")
    values = {"email": email, "name": _text(entry, "name", "person", index, where), "login": login,
              "title": _text(entry, "title", "person", index, where, required=False),
              "phone": _text(entry, "phone", "person", index, where, required=False, limit=64),
              "site_id": sites[site_code]["id"] if site_code else None,
              "chat": _chat(entry, "person", index, where),
              "roles": sorted(set(roles))}  # "lead" and "agent" are added back by the teams they are in
    if "notify" in entry:  # absent: the person's own choice (the UI's Settings page) stands
        try:
            values["notify"] = preferences.parse(entry["notify"]).to_dict()
        except ValidationError as exc:
            raise where.error("person", index, "notify", str(exc)) from None
    return values


def _chat(entry: dict[str, Any], section: str, index: int, where: _Where) -> str:
    """Apprise URLs (``workflows://...``, ``slack://...``, or a service's own webhook address), one or a
    list; stored space-separated."""
    value = entry.get("chat", "")
    urls = [value] if isinstance(value, str) else value
    if not _words(urls) or not all(_CHAT_URL.match(url.strip()) for url in urls if url.strip()):
        raise where.error(section, index, "chat", "must be an Apprise URL like \"workflows://...\" or "
                                                  "\"slack://...\", or a list of them")
    text = " ".join(url.strip() for url in urls if url.strip())
    if len(text) > 2000:
        raise where.error(section, index, "chat", "is longer than 2000 characters")
    return text


def _with_role(u: Unit, people: dict[str, Row], email: str, role: str) -> None:
    person = people[email]
    if role not in person["roles"]:
        people[email] = org_store.save(u, "person", {"roles": sorted({*person["roles"], role})}, person)


HOLIDAY_YEARS = 3  # a team's public holidays are kept for last year, this year and the next two (ownit.calendar)


def _calendar(u: Unit, calendar: Any, section: str, index: int, field: str | None, where: _Where) -> dict[str, Any]:
    """A team's ``calendar`` table or a ``[[calendar]]`` (``field`` None) as
    stored, with the public holidays of the years around now kept with it."""
    def error(problem: str) -> ConfigError:
        return where.error(section, index, field, problem)

    if not isinstance(calendar, dict) or set(calendar) - _CALENDAR_KEYS:
        raise error(f"must be a table with: {', '.join(sorted(_CALENDAR_KEYS))}")
    not_text = sorted(k for k in _CALENDAR_KEYS - {"closures"} if k in calendar and not isinstance(calendar[k], str))
    if not_text:
        raise error(f"{not_text[0]} must be text in quotes, like "
                    + {"days": '"MO-FR"', "hours": '"08:00-18:00"', "timezone": '"Europe/London"'}.get(
                        not_text[0], '"GB"'))
    if not isinstance(calendar.get("closures", []), list):
        raise error("closures must be a list of dates, like [2026-12-25]")
    closures = []
    for closure in calendar.get("closures", []):
        try:
            closures.append(parse_date(closure if isinstance(closure, date) else str(closure)))
        except ValidationError as exc:
            raise error(f"closure {exc}") from None
    try:
        cal = BusinessCalendar.from_dict({**calendar, "closures": closures})
    except ConfigError as exc:
        raise error(str(exc)) from None
    return cal.to_dict(holidays_of=range(u.now.year - 1, u.now.year + HOLIDAY_YEARS))


def _team(u: Unit, entry: dict[str, Any], index: int, where: _Where, people: dict[str, Row],
          teams: dict[str, Row], departments: set[str]) -> None:
    key = _text(entry, "key", "team", index, where, limit=64)
    department = _text(entry, "department", "team", index, where, limit=64)
    if department not in departments:
        raise where.error("team", index, "department",
                          f"department {department!r} is not installed; installed: {', '.join(sorted(departments)) or 'none'}")
    lead_email = _text(entry, "lead", "team", index, where, limit=254).lower() if entry.get("lead") else ""
    if not lead_email:
        raise where.error("team", index, None, "has no 'lead'; every team needs a lead, the owner of last resort")
    if lead_email not in people:
        raise where.error("team", index, "lead", f"no person {lead_email!r}; add them as a [[person]]")
    regions = entry.get("regions", [])
    if not _words(regions):
        raise where.error("team", index, "regions", "must be a list of region names, like [\"north\"]")
    calendar = _calendar(u, entry.get("calendar", {}), "team", index, "calendar", where)
    members = entry.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise where.error("team", index, "members", "must be a list of { email = ..., skills = [...], capacity = N }")
    team = teams[key] = org_store.save(u, "team", {
        "key": key, "name": _text(entry, "name", "team", index, where, required=False) or key,
        "department": department, "regions": regions, "lead_id": people[lead_email]["id"],
        "calendar": calendar,
        "chat": _chat(entry, "team", index, where)}, teams.get(key))
    _with_role(u, people, lead_email, "lead")
    existing = {m["person_id"]: m for m in org_store.rows(u, "team_member", team_id=team["id"])}
    keep = set()
    for member in members:
        extra = sorted(set(member) - _MEMBER_KEYS)
        if extra:
            raise where.error("team", index, "members", f"unknown member field {extra[0]!r}")
        email = str(member.get("email", "")).strip().lower()
        if email not in people:
            raise where.error("team", index, "members", f"no person {email!r}; add them as a [[person]]")
        capacity = member.get("capacity", 20)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10_000:
            raise where.error("team", index, "members", f"capacity of {email} must be a whole number from 1")
        skills = member.get("skills", [])
        if not _words(skills):
            raise where.error("team", index, "members", f"skills of {email} must be a list of words")
        covers = member.get("covers", [])
        if not _words(covers):
            raise where.error("team", index, "members", f"covers of {email} must be a list of site codes or regions")
        person_id = people[email]["id"]
        org_store.save(u, "team_member", {"team_id": team["id"], "person_id": person_id,
                                          "skills": sorted(set(skills)), "capacity": capacity, "covers": covers},
                       existing.get(person_id))
        keep.add(person_id)
        _with_role(u, people, email, "agent")
    for person_id, row in existing.items():
        if person_id not in keep:
            org_store.remove(u, "team_member", row["id"])


def calendars_wanted(plugins: Any) -> dict[str, str]:
    """The installed request types that count their promises on a calendar of
    their own, and its name (``RequestType.calendar``)."""
    return {key: rtype.calendar for key, rtype in plugins.request_types.items() if rtype.calendar}


def load_org(desk: Any, path: str | Path, *, skip_missing_departments: bool = False) -> dict[str, int]:
    """Load an org file through one transaction of ``desk``."""
    departments, wanted = catalogue(desk.plugins), calendars_wanted(desk.plugins)

    return store.run(desk, lambda u: load_file(u, path, departments=departments, calendars_wanted=wanted,
                                               skip_missing_departments=skip_missing_departments))
