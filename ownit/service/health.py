"""Service health: the report behind ``ownit report`` and the UI's page
(:mod:`ownit.metrics` defines the figures, :mod:`ownit.tallies` keeps days counted)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import metrics, tallies
from ..actors import Actor
from ..charters import DEFAULT_STANDARDS
from ..clock import within_bounds
from ..errors import NotFound, PermissionDenied, ValidationError
from ..incidents import SUFFIX
from ..store import incidents as incident_store, unit as store
from ..views import quoted_charter

REPORT_DAYS = 28  # the default period: the last four weeks
MAX_REPORT_DAYS = 731  # the longest period: two years (and the two before it, to compare)
TREND_WEEKS = 12  # the alignment view and the trend charts look back this far


RECORD_DAYS = 28  # what requesters are shown of a team's record: its last four weeks


def team_record(desk: Any, team: str) -> dict[str, Any]:
    """How a team kept its promises lately, as the stores it serves see it
    ("kept 94% of first contacts in the last 28 days"): the team's figures
    over the last :data:`RECORD_DAYS` days, never one owner's. Anyone may
    read it. ``first_contact_kept`` and ``promises_kept`` are ``None`` with
    nothing to count."""
    now = desk.now()
    since = now - timedelta(days=RECORD_DAYS)
    scope = store.run(desk, lambda u: metrics.Scope(team_id=u.directory.team(team).id), write=False)
    tallies.refresh(desk, [(since, now)])  # the finished days no current tally covers, counted once

    def work(u: store.Unit) -> dict[str, Any]:
        counted = metrics.finish(metrics.combine(tallies.tallied(u, scope, since, now, now=now).values()))
        return {"team": team, "days": RECORD_DAYS, "first_contacts": counted["first_contacts"],
                "first_contact_kept": counted["first_contact_kept"], "resolved": counted["resolved"],
                "promises_kept": counted["promises_kept"]}

    return store.run(desk, work, write=False)


def report(desk: Any, *, actor: Actor, team: str | None = None, department: str | None = None,
           owner: str | None = None, site: str | None = None, request_type: str | None = None,
           since: datetime | None = None, until: datetime | None = None, by: str | None = None) -> dict[str, Any]:
    """Service health for a scope over ``[since, until)`` (default: the last
    four weeks): the headline figures and the previous period's, every owner's
    figures with the spread across owners, rows by ``week``, ``owner`` or
    ``team`` when asked, and each team's weekly speed beside its satisfaction
    with a sentence where they pull apart. See :mod:`ownit.metrics`."""
    if by not in (None, "week", "owner", "team"):
        raise ValidationError(f"--by {by!r} is not a grouping; use week, owner or team")
    for given in (since, until):
        if given is not None:
            within_bounds(given)
    now = desk.now()
    until = until or now
    since = since or until - timedelta(days=REPORT_DAYS)
    if since >= until:
        raise ValidationError(f"--since {since:%Y-%m-%d} must be before --until {until:%Y-%m-%d}")
    if until - since > timedelta(days=MAX_REPORT_DAYS):
        raise ValidationError(f"a report covers at most two years; --since {since:%Y-%m-%d} to --until "
                              f"{until:%Y-%m-%d} is {(until - since).days} days: ask for two years at a time")
    if department is not None and department not in desk.plugins.departments:
        known = ", ".join(sorted(desk.plugins.departments)) or "none installed"
        raise NotFound(f"no department {department!r}; departments: {known}")
    if request_type is not None:
        desk.plugins.request_type(request_type)

    span = until - since
    spans = metrics.weeks(min(since, until - timedelta(weeks=TREND_WEEKS)), until)  # the trend: twelve weeks
    monday = (spans[0][0] - timedelta(days=spans[0][0].weekday())).replace(hour=0, minute=0, second=0,
                                                                           microsecond=0)

    def scoped(u: store.Unit) -> metrics.Scope:
        org = u.directory
        person = u.person(actor)
        if not (org.teams_of(person.id) or person.admin):
            raise PermissionDenied("service health is for support teams and their leads; ask your lead")
        return metrics.Scope(department=department, team_id=org.team(team).id if team else None,
                             owner_id=org.person(owner).id if owner else None,
                             site_id=org.site(site).id if site else None, request_type=request_type)

    scope = store.run(desk, scoped, write=False)
    if tallies.kept(scope):  # count the finished days no current tally covers, once, for this and later reports
        tallies.refresh(desk, [(spans[0][0], until), (since - span, since)])

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory

        def named(by_key: str, rows: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
            labels = metrics.names(org, by_key, rows)
            return sorted(({**labels.get(k, {"key": str(k), "name": str(k)}), **v} for k, v in rows.items()),
                          key=lambda r: r["name"])

        # The period and the trend weeks before it, per owner, team and day (from the day tallies where
        # current); every view below is a regrouping of them, so none costs another pass.
        passes: dict[tuple, dict[str, Any]] = {}
        for in_period, (start, end) in enumerate(((spans[0][0], since), (since, until))):
            for (owner_id, team_id, day), counted in tallies.tallied(u, scope, start, end, now=now).items():
                metrics.add(passes, (owner_id, team_id, (day - monday.date()).days // 7, in_period), counted)
        in_period = {key: r for key, r in passes.items() if key[3] == 1}
        per_owner = metrics.regroup(in_period, lambda key: key[0])
        owners = named("owner", {key: metrics.finish(r) for key, r in per_owner.items()})
        # a team is measured against its own charter's standards; any wider scope against the defaults
        charter = org.charter_now.get(scope.team_id) if scope.team_id is not None else None
        standards = charter.charter.all_standards() if charter else dict(DEFAULT_STANDARDS)
        result: dict[str, Any] = {
            "scope": {"team": team, "department": department, "owner": owner, "site": site,
                      "request_type": request_type},
            "since": since.isoformat(), "until": until.isoformat(),
            "previous": {"since": (since - span).isoformat(), "until": since.isoformat()},
            "headline": metrics.finish(metrics.combine(per_owner.values())),  # the owners add up to the whole
            "previous_headline": metrics.finish(metrics.combine(
                tallies.tallied(u, scope, since - span, since, now=now).values())),
            "owners": owners, "spread": metrics.spread(owners, standards), "standards": standards,
            "charter": quoted_charter(org, charter.id, now) if charter else None,
        }
        blank = metrics.raw_blank()
        if by == "week":
            per_week = metrics.regroup(in_period, lambda key: key[2])
            result["rows"] = [{"key": start.date().isoformat(), "name": f"week of {start:%d %b %Y}",
                               **metrics.finish(per_week.get((start - monday).days // 7, blank))}
                              for start, _ in metrics.weeks(since, until)]
        elif by in ("owner", "team"):
            result["rows"] = owners if by == "owner" else named("team", {
                key: metrics.finish(r) for key, r in metrics.regroup(in_period, lambda key: key[1]).items()})
        # week by week per team: speed beside satisfaction, and where they pull apart
        by_week = metrics.regroup(passes, lambda key: (key[1], key[2]))
        teams = sorted(org.teams.values(), key=lambda t: t.key)
        weekly = {t.id: [{"week": start.date().isoformat(),
                          **metrics.finish(by_week.get((t.id, (start - monday).days // 7), blank))}
                         for start, _ in spans] for t in teams}
        result["alignment"] = [
            {"team": t.key, "name": t.name, "weeks": weekly[t.id], "flag": metrics.alignment(t.name, weekly[t.id])}
            for t in teams if any(r["resolved"] or r["responses"] for r in weekly[t.id])]
        result["incidents"] = _incidents(u, scope, since, until, now)
        return result

    return store.run(desk, work, write=False)


def _incidents(u: store.Unit, scope: metrics.Scope, since: datetime, until: datetime,
               now: datetime) -> list[dict[str, Any]]:
    """The incidents of the period, per department: each counted once, as the
    request it is (its owner and promise are in the figures above; the
    requests linked to it are not resolved on their own, so nothing is
    counted twice), with the stores it affected and for how many hours of the
    period, open incidents until now."""
    org = u.directory
    if scope.request_type is not None and not scope.request_type.endswith(SUFFIX):
        return []
    departments: dict[str, dict[str, Any]] = {}
    for inc, linked, stores in incident_store.during(u, since, until, scope.department):
        if scope.team_id is not None and inc.team_id != scope.team_id or \
                scope.owner_id is not None and inc.owner_id != scope.owner_id:
            continue
        if scope.site_id is not None:  # a store's report: the incidents whose scope covered it
            details = incident_store.details(u, inc.id)
            if details is None or not details.scope.covers(org.sites[scope.site_id]):
                continue
        ended = inc.resolved_at or inc.closed_at or min(now, until)
        hours = round(max(0.0, (min(ended, until) - max(inc.raised_at, since)).total_seconds() / 3600), 1)
        line = {"ref": inc.ref, "title": inc.title, "status": inc.status, "owner": org.people[inc.owner_id].name,
                "requests": linked, "stores": stores, "hours": hours, "store_hours": round(hours * stores, 1)}
        group = departments.setdefault(inc.department, {"department": inc.department, "incidents": []})
        group["incidents"].append(line)
    for group in departments.values():
        lines = group["incidents"]
        group.update(count=len(lines), stores=sum(line["stores"] for line in lines),
                     hours=round(sum(line["hours"] for line in lines), 1),
                     store_hours=round(sum(line["store_hours"] for line in lines), 1))
    return [departments[key] for key in sorted(departments)]
