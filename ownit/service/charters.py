"""Team charters (:mod:`ownit.charters`): loading them, and reading what a
team agreed with the stores and which promise applies to each request type.

A charter is kept in the org file as a ``[[charter]]`` table; it can also be
loaded on its own (:func:`load`), by an admin or by the lead of every team
whose charter the file holds: agreeing it with the stores is the lead's job.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from .. import charters, metrics
from ..actors import Actor
from ..departments import PRIORITIES, Duration
from ..errors import ConfigError, PermissionDenied
from ..store import charters as charter_store
from ..store import unit as store
from ..views import quoted_charter


def load(desk: Any, path: str | Path, *, actor: Actor) -> dict[str, Any]:
    """Load the ``[[charter]]`` tables of ``path`` in one unit of work: each
    team's charter that says something new becomes its next version; one
    that says the same again changes nothing. Returns ``charters`` (how many
    the file holds), ``new_charters`` (versions added) and, per team, its
    ``versions`` now."""
    from ..org import catalogue, load_file

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}  # the org loader says what is wrong with the file, with the line
    listed = data.get("charter", [])
    teams = {entry.get("team") for entry in listed if isinstance(entry, dict)} if isinstance(listed, list) else set()
    other = sorted(set(data) - {"charter"})
    if other:
        raise ConfigError(f"{path} holds [[{other[0]}]] tables too; 'ownit org load {path}' loads the whole "
                          "organisation, 'ownit charter load' a file of [[charter]] tables alone")
    departments = catalogue(desk.plugins)

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        if not person.admin:
            not_led = sorted(k for k in teams if k in org.teams_by_key  # an unknown team: the loader says so
                             and org.teams_by_key[k].lead_id != person.id)
            if not_led:
                raise PermissionDenied(f"only an admin or the lead of {not_led[0]} can load its charter; "
                                       "ask them to")
        counts = load_file(u, path, departments=departments)
        return {"charters": counts["charters"], "new_charters": counts["new_charters"]}

    return store.run(desk, work)


def show(desk: Any, team: str) -> dict[str, Any]:
    """A team's charter as anyone may read it: the version in force
    (``current``, ``None`` before any), every earlier one (``versions``), and
    for each of the department's request types and priorities the promise
    that applies now and whether the charter or the plugin sets it
    (``promises``)."""
    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        the_team = org.team(team)
        entry = org.charter_now.get(the_team.id)
        versions = sorted((c for c in org.charters.values() if c.team_id == the_team.id), key=lambda c: c.version)
        return {"team": {"key": the_team.key, "name": the_team.name, "department": the_team.department},
                "current": _current(org, entry, u.now) if entry else None,
                "versions": [{"version": c.version, "agreed": c.charter.agreed.isoformat(),
                              "review": c.charter.review.isoformat(), "with": c.charter.with_whom}
                             for c in versions],
                "promises": applying(desk, org, the_team, entry)}

    return store.run(desk, work, write=False)


def everywhere(desk: Any) -> list[dict[str, Any]]:
    """Every team's promises per request type and priority, and whether its
    charter or the plugin sets each (:func:`applying`): what ``ownit
    departments`` shows beside the plugins' declarations."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        return [{"team": team.key, **row} for team in sorted(org.teams.values(), key=lambda t: t.key)
                for row in applying(desk, org, team, org.charter_now.get(team.id))]

    return store.run(desk, work, write=False)


def check(desk: Any, *, actor: Actor, alignment: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Where the teams' goals pull against each other or against the stores
    (``ownit charter check``, the health page): ``conflicts``, where a team's
    commitment to another department's tasks cannot fit inside a promise
    that department made to the stores (IT's three days inside Facilities'
    two-day resolve); ``targets``, where a team's charter made its promises
    faster and its customers grew less happy since (NPS down 20 or effort up
    three quarters of a point, the same span before and after the change,
    with enough ratings on each side); ``speed``, where a team got faster
    while its customers grew less happy (service health over the last four
    weeks and the twelve before; ``alignment``: a report's, when in hand);
    ``reviews``, charters past their review date. For the support teams and
    their leads, like service health."""
    from .health import report

    flags = [line for line in (report(desk, actor=actor)["alignment"] if alignment is None else alignment)
             if line["flag"]]

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        conflicts, reviews, faster = [], [], []
        for team in sorted(org.teams.values(), key=lambda t: t.key):
            entry = org.charter_now.get(team.id)
            if entry is None:
                continue
            charter = entry.charter
            before = next((c for c in org.charters.values() if c.team_id == team.id
                           and c.version == entry.version - 1), None)
            said = charters.tightened(before.charter, charter) if before else []
            if said:
                faster.append((team, entry, said, charter_store.loaded_at(u, entry.id)))
            if charter.overdue(team.business_calendar.local(u.now).date()):
                reviews.append({"team": team.key, "name": team.name, "version": entry.version,
                                "review": charter.review.isoformat(), "with": charter.with_whom,
                                "line": f"{team.name}'s charter (version {entry.version}, agreed with "
                                        f"{charter.with_whom}) was due for review on {charter.review:%-d %b %Y}"})
            for commitment in charter.commitments:
                within = _hours(commitment.duration, team)
                for other in org.teams_by_department.get(commitment.department, []):
                    tight = [row for row in applying(desk, org, other, org.charter_now.get(other.id))
                             if _hours(Duration.parse(row["resolve"]), other) <= within]
                    if tight:
                        conflicts.append(_conflict(desk, team, entry, commitment, within, other, tight))
        return {"conflicts": conflicts, "faster": faster, "speed": [
            {"team": f["team"], "name": f["name"], "line": f["flag"]} for f in flags], "reviews": reviews}

    found = store.run(desk, work, write=False)
    now = desk.now()
    targets = []
    for team, entry, said, since in found.pop("faster"):
        if now - since < timedelta(days=1):
            continue  # nothing to compare yet
        health = report(desk, actor=actor, team=team.key, since=since, until=now)
        fell = _less_happy(health["previous_headline"], health["headline"])
        if fell:
            targets.append({"team": team.key, "name": team.name, "version": entry.version, "tightened": said,
                            "line": f"{team.name}'s charter version {entry.version} (agreed "
                                    f"{entry.charter.agreed:%-d %b %Y}) made promises faster — {'; '.join(said)} — "
                                    f"and its customers grew less happy since: {fell}"})
    return {**found, "targets": targets}


def _less_happy(before: dict[str, Any], after: dict[str, Any]) -> str:
    """How satisfaction fell from ``before`` to ``after`` (two report
    headlines), in words; empty when it did not, or too few rated either."""
    if min(before["responses"], after["responses"]) < metrics.ENOUGH_RATINGS:
        return ""
    fell = []
    if None not in (before["nps"], after["nps"]) and before["nps"] - after["nps"] >= metrics.NPS_DROP:
        fell.append(f"NPS {before['nps']:.0f} → {after['nps']:.0f} ({before['responses']} and "
                    f"{after['responses']} ratings)")
    if None not in (before["effort"], after["effort"]) and after["effort"] - before["effort"] >= metrics.EFFORT_RISE:
        fell.append(f"effort {before['effort']:.1f} → {after['effort']:.1f} of 7")
    return ", ".join(fell)


def _hours(duration: Duration, team: Any) -> float:
    """A span of ``team``'s business time in hours (a business day is its opening hours)."""
    day = team.business_calendar.day_length.total_seconds() / 3600
    return duration.amount * (day if duration.unit == "d" else 1)


def _conflict(desk: Any, team: Any, entry: Any, commitment: Any, within: float, other: Any,
              tight: list[dict[str, Any]]) -> dict[str, Any]:
    """One line per pair of teams: how many promises to the stores a task could swallow, the tightest named."""
    name = desk.plugins.departments[commitment.department].name
    whose = f"{name}'" if name.endswith("s") else f"{name}'s"
    tightest = min(tight, key=lambda row: _hours(Duration.parse(row["resolve"]), other))
    label = desk.plugins.request_types[tightest["request_type"]].label
    kinds = f"{len(tight)} promise{'s' * (len(tight) != 1)}"
    return {"team": team.key, "version": entry.version, "for": commitment.department, "within": commitment.within,
            "within_hours": within, "other": other.key, "promises": tight,
            "line": f"{team.name} commits to {whose} tasks within {commitment.duration} ({within:g} h), but "
                    f"{kinds} {other.name} made the stores resolve in that time or less, the tightest "
                    f"{label} ({tightest['priority']}{', ' + tightest['tier'] if tightest['tier'] else ''}) within "
                    f"{Duration.parse(tightest['resolve'])} ({_hours(Duration.parse(tightest['resolve']), other):g} h)"
                    ": a task asked for then would leave no time to finish"}


def _current(org: Any, entry: Any, now: Any) -> dict[str, Any]:
    return {**(quoted_charter(org, entry.id, now) or {}), "tiers": {k: list(v) for k, v in entry.charter.tiers.items()},
            "targets": [t.as_dict() for t in entry.charter.targets],
            "tasks": [c.as_dict() for c in entry.charter.commitments]}


def applying(desk: Any, org: Any, team: Any, entry: Any) -> list[dict[str, Any]]:
    """Each request type of the team's department at each priority it
    declares: the promise that applies at a store of no tier, and where it
    comes from (``source``: ``charter`` with its ``version``, or ``plugin``);
    the charter's tiers add a line each where they differ."""
    rows = []
    types = [t for t in desk.plugins.request_types.values() if t.department == team.department]
    charter = entry.charter if entry else None
    for rtype in types:
        named = {t.priority for t in charter.targets if t.request_type == rtype.key} if charter else set()
        for priority in [p for p in PRIORITIES if p in rtype.promise or p in named]:
            for tier in (None, *(charter.tiers if charter else ())):
                target = charter.target(rtype.key, priority, charter.tiers[tier][0] if tier else None) \
                    if charter else None
                if tier is not None and (target is None or target.tier != tier):
                    continue  # the tier is promised what any store is
                promise = target.promise if target else rtype.promise_for(priority)
                rows.append({"request_type": rtype.key, "priority": priority, "tier": tier,
                             "first_contact": promise.first_contact, "checkin": promise.checkin,
                             "resolve": promise.resolve, "source": "charter" if target else "plugin",
                             "version": entry.version if target else None})
    return rows


__all__ = ["load", "show", "applying", "everywhere", "check"]
