"""A team's charter: what it agreed with the stores it serves.

A charter says, for one team, the promises it makes per request type and
priority (first contact, check-in rhythm, resolve; optionally per tier of
stores: a flagship, a small store), the service standards it is measured
against (promises kept, NPS, effort, reopen rate), what it needs from the
stores ("a key holder on site"), and when it was agreed, with whom, and when
it is due for review. It is kept in the org file as ``[[charter]]`` tables
(``docs/operating.md``); a changed charter is stored as a new dated version
(:mod:`ownit.store.charters`), and every request keeps the version its promise
was made under (``request.charter_id``).

This module is pure: the charter as data, read from its TOML table with an
error naming the field, and the promise it makes for a request. What the
plugin declares stays the default where the charter says nothing.
"""

from __future__ import annotations

import re
from dataclasses import field
from datetime import date
from typing import Any, Callable, Iterable, Mapping

from .frozen import frozen

from .departments import PRIORITIES, DeclarationError, Duration, Promise
from .terminal import first_unsafe

# The standards a charter may set, each with its range and how it reads ({}: its value); the defaults are every team's
# until its charter says otherwise (``ownit.metrics`` measures against them).
STANDARDS: dict[str, tuple[float, float, str]] = {
    "first_contact_kept": (0.0, 1.0, "{} of first contacts on time"),
    "checkins_kept": (0.0, 1.0, "{} of check-ins on time"),
    "promises_kept": (0.0, 1.0, "{} of promises kept"),
    "reopen_rate": (0.0, 1.0, "at most {} reopened"),
    "nps": (-100.0, 100.0, "NPS at least {}"),
    "effort": (1.0, 7.0, "effort at most {} of 7"),
}
DEFAULT_STANDARDS = {"first_contact_kept": 0.9, "checkins_kept": 0.9, "promises_kept": 0.9, "reopen_rate": 0.1,
                     "nps": 30.0, "effort": 3.0}
KEYS = {"team", "agreed", "with", "signed_by", "review", "needs", "standards", "tiers", "promise", "task"}
PROMISE_KEYS = {"type", "priority", "tier", "first_contact", "checkin", "resolve"}
TASK_KEYS = {"for", "within"}
_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

Fail = Callable[[str | None, str], Exception]  # (the field or None, the problem) -> the error to raise


@frozen
class Target:
    """The promise for one request type, at one priority (``None``: any) and
    one tier of stores (``None``: any)."""

    request_type: str
    priority: str | None
    tier: str | None
    promise: Promise

    @property
    def specificity(self) -> int:
        return (self.priority is not None) * 2 + (self.tier is not None)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.request_type, "priority": self.priority, "tier": self.tier,
                "first_contact": self.promise.first_contact, "checkin": self.promise.checkin,
                "resolve": self.promise.resolve}


@frozen
class Commitment:
    """What the team commits to another department that asks it for a task
    (IT isolating the tills before Facilities' roofer starts): done within
    ``within`` of the team's business time."""

    department: str
    within: str

    @property
    def duration(self) -> Duration:
        return Duration.parse(self.within)

    def as_dict(self) -> dict[str, Any]:
        return {"for": self.department, "within": self.within}


@frozen
class Charter:
    """One version of a team's charter, as agreed."""

    team: str
    agreed: date
    with_whom: str  # "store managers of the north region"
    signed_by: tuple[str, ...]  # the emails of those who agreed it for the stores
    review: date
    needs: tuple[str, ...] = ()
    standards: Mapping[str, float] = field(default_factory=dict)  # only those it sets
    tiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # tier -> site codes
    targets: tuple[Target, ...] = ()
    commitments: tuple[Commitment, ...] = ()

    def tier_of(self, site_code: str | None) -> str | None:
        return next((tier for tier, codes in self.tiers.items() if site_code in codes), None)

    def target(self, request_type: str, priority: str, site_code: str | None) -> Target | None:
        """The most specific target for a request of ``request_type`` at
        ``priority`` raised at ``site_code``: a priority named beats any, a
        tier named beats any; ``None`` when the charter says nothing of it."""
        tier = self.tier_of(site_code)
        fitting = [t for t in self.targets if t.request_type == request_type
                   and t.priority in (None, priority) and t.tier in (None, tier)]
        return max(fitting, key=lambda t: t.specificity, default=None)

    def standard(self, key: str) -> float:
        return float(self.standards.get(key, DEFAULT_STANDARDS[key]))

    def all_standards(self) -> dict[str, float]:
        return {key: self.standard(key) for key in DEFAULT_STANDARDS}

    def overdue(self, today: date) -> bool:
        return today > self.review

    def as_dict(self) -> dict[str, Any]:
        """What is stored (and shown as ``--json``): dates as ISO text."""
        return {"team": self.team, "agreed": self.agreed.isoformat(), "with": self.with_whom,
                "signed_by": list(self.signed_by), "review": self.review.isoformat(), "needs": list(self.needs),
                "standards": dict(self.standards), "tiers": {k: list(v) for k, v in self.tiers.items()},
                "promise": [t.as_dict() for t in self.targets], "task": [c.as_dict() for c in self.commitments]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Charter":
        """A stored charter back (:meth:`as_dict`): it was checked when loaded."""
        return cls(team=data["team"], agreed=date.fromisoformat(data["agreed"]), with_whom=data["with"],
                   signed_by=tuple(data["signed_by"]), review=date.fromisoformat(data["review"]),
                   needs=tuple(data["needs"]), standards=dict(data["standards"]),
                   tiers={k: tuple(v) for k, v in data["tiers"].items()},
                   targets=tuple(Target(t["type"], t["priority"], t["tier"],
                                        Promise(t["first_contact"], t["checkin"], t["resolve"]))
                                 for t in data["promise"]),
                   commitments=tuple(Commitment(c["for"], c["within"]) for c in data.get("task", ())))


def tightened(before: Charter, after: Charter) -> list[str]:
    """The promises ``after`` makes faster than ``before`` did, each as
    "facilities.leak (high): first contact 4h → 1h, resolve 3d → 1d" (the
    same unit only: a change of unit is not compared)."""
    said = []
    for target in after.targets:
        old = next((t for t in before.targets if (t.request_type, t.priority, t.tier)
                    == (target.request_type, target.priority, target.tier)), None)
        if old is None:
            continue
        faster = [f"{words} {getattr(old.promise, key)} → {getattr(target.promise, key)}"
                  for key, words in (("first_contact", "first contact"), ("resolve", "resolve"))
                  if _faster(getattr(old.promise, key), getattr(target.promise, key))]
        if faster:
            where = ", ".join(x for x in (target.priority, target.tier) if x) or "any"
            said.append(f"{target.request_type} ({where}): {', '.join(faster)}")
    return said


def _faster(old: str, new: str) -> bool:
    a, b = Duration.parse(old), Duration.parse(new)
    return a.unit == b.unit and b.amount < a.amount


def parse(entry: Mapping[str, Any], *, team: str, types: Iterable[str], sites: Iterable[str], people: Iterable[str],
          departments: Iterable[str], fail: Fail, promise_fail: Callable[[int, str | None, str], Exception],
          task_fail: Callable[[int, str | None, str], Exception]) -> Charter:
    """The charter in a ``[[charter]]`` table, checked: ``types`` are the
    request types of the team's department, ``sites`` the site codes,
    ``people`` the emails it may name and ``departments`` those installed.
    ``fail`` makes the error for a field of the table, ``promise_fail`` for
    the ``n``-th ``[[charter.promise]]`` of this charter and ``task_fail`` for
    its ``n``-th ``[[charter.task]]`` (each names the line)."""
    extra = sorted(set(entry) - KEYS)
    if extra:
        raise fail(extra[0], f"unknown field; known fields: {', '.join(sorted(KEYS))}")
    agreed = _date(entry, "agreed", fail)
    review = _date(entry, "review", fail)
    if review <= agreed:
        raise fail("review", f"review date {review} must come after the date agreed, {agreed}")
    with_whom = _text(entry.get("with"), "with", fail, required=True)
    known = {p.lower() for p in people}
    signed = entry.get("signed_by", [])
    if not _texts(signed) or not signed:
        raise fail("signed_by", "must list who agreed it for the stores, by email, like [\"amira.khan@example.com\"]")
    signed_by = tuple(dict.fromkeys(s.strip().lower() for s in signed))
    missing = next((s for s in signed_by if s not in known), None)
    if missing:
        raise fail("signed_by", f"no person {missing!r}; add them as a [[person]]")
    needs = entry.get("needs", [])
    if not _texts(needs):
        raise fail("needs", "must be a list of what the team needs from the stores, like [\"A key holder on site\"]")
    needs = tuple(_text(n, "needs", fail, required=True, limit=200) for n in needs)
    standards = _standards(entry.get("standards", {}), fail)
    codes = {s.upper() for s in sites}
    tiers = _tiers(entry.get("tiers", {}), codes, fail)
    raw = entry.get("promise", [])
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise fail("promise", "must be [[charter.promise]] tables, each with type, first_contact and resolve")
    types = set(types)
    targets: list[Target] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for n, item in enumerate(raw):
        target = _target(item, types, tiers, lambda key, problem, n=n: promise_fail(n, key, problem))
        identity = (target.request_type, target.priority, target.tier)
        if identity in seen:
            raise promise_fail(n, "type", f"{target.request_type} (priority {target.priority or 'any'}, tier "
                                          f"{target.tier or 'any'}) is already promised above; give it once")
        seen.add(identity)
        targets.append(target)
    commitments = _commitments(entry.get("task", []), set(departments), task_fail)
    return Charter(team=team, agreed=agreed, with_whom=with_whom, signed_by=signed_by, review=review, needs=needs,
                   standards=standards, tiers=tiers, targets=tuple(targets), commitments=commitments)


def _commitments(raw: Any, departments: set[str], fail: Callable[[int, str | None, str], Exception]
                 ) -> tuple[Commitment, ...]:
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise fail(0, None, "must be [[charter.task]] tables, each with for = \"DEPARTMENT\" and within = \"3d\"")
    found: dict[str, Commitment] = {}
    for n, item in enumerate(raw):
        extra = sorted(set(item) - TASK_KEYS)
        if extra:
            raise fail(n, extra[0], f"unknown field; known fields: {', '.join(sorted(TASK_KEYS))}")
        department = item.get("for")
        if department not in departments:
            raise fail(n, "for" if department else None, f"'for' must name an installed department: "
                                                         f"{', '.join(sorted(departments))}")
        if department in found:
            raise fail(n, "for", f"the tasks of {department} are committed to above; give them once")
        within = item.get("within")
        if not isinstance(within, str) or not Duration.valid(within):
            raise fail(n, "within" if within is not None else None,
                       "'within' must be a duration like \"30m\", \"4h\" or \"3d\" (business minutes, hours or days)")
        found[department] = Commitment(department, within.strip())
    return tuple(found.values())


def _target(item: Mapping[str, Any], types: set[str], tiers: Mapping[str, Any],
            fail: Callable[[str | None, str], Exception]) -> Target:
    extra = sorted(set(item) - PROMISE_KEYS)
    if extra:
        raise fail(extra[0], f"unknown field; known fields: {', '.join(sorted(PROMISE_KEYS))}")
    request_type = _text(item.get("type"), "type", fail, required=True, limit=64)
    if request_type not in types:
        raise fail("type", f"{request_type!r} is not a request type of the team's department; "
                           f"its types: {', '.join(sorted(types)) or 'none'}")
    priority = item.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise fail("priority", f"must be one of {', '.join(PRIORITIES)}, or left out for any")
    tier = item.get("tier")
    if tier is not None and tier not in tiers:
        raise fail("tier", f"no tier {tier!r}; name it in the charter's tiers = {{ {tier} = [\"S001\"] }}"
                           if tiers else f"no tier {tier!r}; the charter names no tiers")
    for key in ("first_contact", "resolve"):
        if key not in item:
            raise fail(None, f"'{key}' is missing; give a duration like \"4h\" or \"2d\"")
    values = {}
    for key in ("first_contact", "checkin", "resolve"):
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise fail(key, "must be a duration in quotes, like \"4h\" (business hours) or \"2d\" (business days)")
        values[key] = value.strip()
    try:
        promise = Promise(first_contact=values["first_contact"], checkin=values.get("checkin"),
                          resolve=values["resolve"])
    except DeclarationError as exc:
        bad = next(k for k, v in values.items() if not Duration.valid(v))
        raise fail(bad, str(exc)) from None
    first, resolve = promise.first_contact_within, promise.resolve_within
    if first.unit == resolve.unit and first.amount > resolve.amount:
        raise fail("resolve", f"resolve within {resolve} comes before first contact within {first}")
    return Target(request_type, priority, tier, promise)


def _date(entry: Mapping[str, Any], key: str, fail: Fail) -> date:
    value = entry.get(key)
    if value is None:
        raise fail(None, f"'{key}' is missing; give a date like {key} = 2026-10-01")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail(key, "must be a date like 2026-10-01")


def _text(value: Any, key: str, fail: Fail, *, required: bool, limit: int = 200) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise fail(None, f"'{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise fail(key, "must be text in quotes")
    unsafe = first_unsafe(value)
    if unsafe is not None:
        raise fail(key, f"holds the control character {unsafe}; remove it")
    if len(value) > limit:
        raise fail(key, f"is longer than {limit} characters")
    return value.strip()


def _texts(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _standards(values: Any, fail: Fail) -> dict[str, float]:
    if not isinstance(values, dict):
        raise fail("standards", "must be a table like { promises_kept = 0.9, nps = 30 }")
    found = {}
    for key, value in values.items():
        if key not in STANDARDS:
            raise fail("standards", f"unknown standard {key!r}; known: {', '.join(STANDARDS)}")
        low, high, _ = STANDARDS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            shown = f"{low:g} to {high:g}" + (" (a share: 0.9 is 90%)" if high == 1.0 else "")
            raise fail("standards", f"{key} must be a number from {shown}")
        found[key] = float(value)
    return found


def _tiers(values: Any, codes: set[str], fail: Fail) -> dict[str, tuple[str, ...]]:
    if not isinstance(values, dict):
        raise fail("tiers", "must be a table of site codes by tier, like { flagship = [\"S001\"] }")
    tiers: dict[str, tuple[str, ...]] = {}
    placed: dict[str, str] = {}
    for tier, listed in values.items():
        if not _WORD.match(tier):
            raise fail("tiers", f"tier {tier!r} must be a short lower-case word, like flagship")
        if not _texts(listed) or not listed:
            raise fail("tiers", f"{tier} must list site codes, like [\"S001\"]")
        tiers[tier] = tuple(code.strip().upper() for code in listed)
        for code in tiers[tier]:
            if code not in codes:
                raise fail("tiers", f"{tier}: no site {code!r}; add it as a [[site]]")
            if code in placed:
                raise fail("tiers", f"{code} is in both {placed[code]} and {tier}; a store is in one tier")
            placed[code] = tier
    return tiers


__all__ = ["Charter", "Commitment", "Target", "STANDARDS", "DEFAULT_STANDARDS", "parse", "tightened"]
