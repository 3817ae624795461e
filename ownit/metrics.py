"""Service health: are promises kept, is the experience consistent across
owners, and are the customers happy — speed never without satisfaction.

Every figure is computed in SQL over the timeline's measures (``measure``, one
narrow row per contact, check-in, resolution and reopening, kept by database
triggers as events are written, with the request's scope on it: department,
team, owner, site, request type) and the ratings (``feedback``, joined to the
request for the scope). Business time was measured once, when it happened,
in the team's own calendar and stored on the event (``contacted.business_hours``,
``resolved.business_days``, ``resolved.waiting_hours``…), so no calendar
arithmetic runs here and nothing loads whole requests into Python: counts and
sums come back aggregated, and only the one numeric column a median needs is
fetched. What :func:`raw` counts over a finished day is kept as that day's
tally (``ownit.tallies``), so a report counts only what no tally covers.

Definitions (all over events in the period ``[since, until)``):

- **first contact kept**: first contacts made on time, over first contacts made
  plus those due in the period and still not made;
- **first contact median / p90**: business hours from raising to first contact;
- **check-ins kept**: check-ins made on time, over check-ins made plus
  resolutions that came with a check-in overdue;
- **time to resolve median / p90**: business days from raising to resolving
  (waiting time included: it is what the requester lived);
- **promises kept**: resolutions by the promised (or agreed) date;
- **reopen rate**: reopenings over resolutions;
- **waiting share**: business time spent waiting on the requester over the
  business time to resolve;
- **NPS**: % promoters (9–10) − % detractors (0–6) over ratings given; **effort**:
  mean customer effort (1 very easy – 7 very hard).

Per-owner figures go to the request's owner (the named person answers for it).
Mystery requests (:mod:`ownit.service.mystery`) count in none of them: they are
scored on their own, beside these figures.
p90 interpolates between ranks (a spreadsheet's PERCENTILE.INC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy import func, select

from . import events
from .models import Feedback, Measure, Mystery, Request

# (key, heading, unit, better) — the figures of a report row, in order
FIGURES = (
    ("first_contact_kept", "first contact kept", "%", "higher"),
    ("first_contact_median_h", "first contact median", "h", "lower"),
    ("first_contact_p90_h", "first contact p90", "h", "lower"),
    ("checkins_kept", "check-ins kept", "%", "higher"),
    ("resolve_median_d", "resolve median", "d", "lower"),
    ("resolve_p90_d", "resolve p90", "d", "lower"),
    ("promises_kept", "promises kept", "%", "higher"),
    ("reopen_rate", "reopen rate", "%", "lower"),
    ("waiting_share", "waiting on requester", "%", "lower"),
    ("nps", "NPS", "", "higher"),
    ("effort", "effort", "/7", "lower"),
)
COUNTS = ("first_contacts", "checkins", "resolved", "reopened", "responses", "effort_responses")


# A team is flagged when it got faster by this much while satisfaction fell by this much.
FASTER_BY = 0.10  # resolve median down by a tenth, or first contact kept up by 10 points
NPS_DROP, EFFORT_RISE = 20.0, 0.75
ENOUGH_RATINGS = 8  # in each half: fewer, and a swing in NPS is noise, not news


@dataclass(frozen=True)
class Scope:
    """Which requests a report covers; ``None`` is all."""

    department: str | None = None
    team_id: int | None = None
    owner_id: int | None = None
    site_id: int | None = None
    request_type: str | None = None

    def where(self, table: Any = Request) -> list[Any]:
        """The conditions on ``table``'s scope columns (a request, or a measure, which carries them)."""
        return [getattr(table, name) == value for name, value in (
            ("department", self.department), ("team_id", self.team_id), ("owner_id", self.owner_id),
            ("site_id", self.site_id), ("request_type", self.request_type)) if value is not None]


@dataclass(frozen=True)
class Source:
    """What a grouping may use of the rows a query counts: whose, which team's, which department's, when."""

    owner_id: Any
    team_id: Any
    department: Any
    at: Any


def _middle_and_p90(values: list[float]) -> tuple[float | None, float | None]:
    """The median and the 90th percentile (interpolated between ranks, as
    ``statistics.quantiles(method="inclusive")`` and a spreadsheet's
    PERCENTILE.INC), from one sort."""
    if not values:
        return None, None
    ranked = sorted(values)
    n = len(ranked)
    middle = ranked[n // 2] if n % 2 else (ranked[n // 2 - 1] + ranked[n // 2]) / 2
    if n == 1:
        return middle, ranked[0]
    j, delta = divmod(90 * (n - 1), 100)
    return middle, (ranked[j] * (100 - delta) + ranked[j + 1] * delta) / 100


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def raw_blank() -> dict[str, Any]:
    return {"first_contacts": 0, "first_on_time": 0, "first_missed": 0, "checkins": 0, "checkins_on_time": 0,
            "checkins_missed": 0, "resolved": 0, "resolved_on_time": 0, "reopened": 0, "business_hours": 0.0,
            "waiting_hours": 0.0, "responses": 0, "promoters": 0, "detractors": 0, "effort_sum": 0,
            "effort_responses": 0, "first_hours": [], "resolve_days": []}


def combine(raws: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Raw rows added together (counts summed, measured values pooled), so that
    the whole is computed from its groups without another pass."""
    total = raw_blank()
    for raw in raws:
        for key, value in raw.items():
            if isinstance(value, list):
                total[key].extend(value)  # in place: adding lists would copy the pool at every step
            else:
                total[key] += value
    return total


def add(into: dict[Any, dict[str, Any]], key: Any, raw: dict[str, Any]) -> None:
    """Pool ``raw`` into ``into[key]`` (taken as it is when the key is new)."""
    into[key] = combine((into[key], raw)) if key in into else raw


def regroup(raws: dict[tuple, dict[str, Any]], key: Callable[[tuple], Any]) -> dict[Any, dict[str, Any]]:
    """Raw rows added together under a coarser key (owner from owner × team × week …)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for k, r in raws.items():
        groups.setdefault(key(k), []).append(r)
    return {k: combine(rs) for k, rs in groups.items()}


Grouping = Callable[[Source], list[Any]]  # given a query's owner, team, department and time columns, what to group by


def raw(u: Any, scope: Scope, since: datetime, until: datetime, *, now: datetime,
        group: Grouping = lambda source: []) -> dict[tuple, dict[str, Any]]:
    """The counts, sums and measured values behind the figures, per group
    (a tuple of the ``group`` expressions' values; ``()`` for all). Six
    queries, each one pass over an index range of the measures (``measure``:
    one narrow row per contact, check-in, resolution or reopening, with the
    request's scope on it) or of the ratings, aggregated in SQL: the values a
    median needs come back as one list of text per group, not a row each."""
    rows: dict[tuple, dict[str, Any]] = {}
    if u.db.name == "sqlite":
        def pooled(column: Any) -> Any:  # every value of the group (NULLs left out), as text
            return func.group_concat(column)
    else:
        def pooled(column: Any) -> Any:
            return func.string_agg(sa.cast(column, sa.Text), ",")

    def each(query: Any, source: Source, *columns: Any) -> Iterable[tuple]:
        keys = group(source)
        statement = query.with_only_columns(*keys, *columns)
        if keys:
            statement = statement.group_by(*keys)
        for result in u.db.run(statement).all():
            key = tuple(int(k) if isinstance(k, float) else k for k in result[:len(keys)])
            row = rows.get(key)
            if row is None:
                row = rows[key] = raw_blank()
            yield row, result[len(keys):]

    def true(column: Any) -> Any:
        return func.count().filter(column == sa.true())

    measures = Source(Measure.owner_id, Measure.team_id, Measure.department, Measure.at)
    # a mystery request counts in no figure: it has no measures (ownit.store.derived), and its missed first
    # contact and its rating are left out here
    ordinary = ~sa.exists().where(Mystery.request_id == Request.id)

    def measured(kind: type[events.Event]) -> Any:
        return select(Measure.event_id).where(Measure.kind == kind.kind, Measure.at >= since, Measure.at < until,
                                              *scope.where(Measure))

    for r, (made, kept, hours) in each(measured(events.Contacted), measures, func.count(), true(Measure.on_time),
                                       pooled(Measure.hours)):
        r["first_contacts"] += made
        r["first_on_time"] += kept
        r["first_hours"] += _floats(hours)
    # first contacts due in the period and still not made: promises already broken
    missed = select(Request.id).where(Request.first_contact_at.is_(None), Request.first_contact_due >= since,
                                      Request.first_contact_due < min(until, now), *scope.where(), ordinary)
    for r, (count,) in each(missed, Source(Request.owner_id, Request.team_id, Request.department,
                                           Request.first_contact_due), func.count()):
        r["first_missed"] += count
    for r, (made, kept) in each(measured(events.CheckedIn), measures, func.count(), true(Measure.on_time)):
        r["checkins"] += made
        r["checkins_on_time"] += kept
    for r, (made, kept, checkin_missed, hours, waiting, days) in each(
            measured(events.Resolved), measures, func.count(), true(Measure.on_time), true(Measure.checkin_missed),
            func.coalesce(func.sum(Measure.hours), 0), func.coalesce(func.sum(Measure.waiting_hours), 0),
            pooled(Measure.days)):
        r["resolved"] += made
        r["resolved_on_time"] += kept
        r["checkins_missed"] += checkin_missed
        r["business_hours"] += float(hours)
        r["waiting_hours"] += float(waiting)
        r["resolve_days"] += _floats(days)
    for r, (count,) in each(measured(events.Reopened), measures, func.count()):
        r["reopened"] += count
    ratings = (select(Feedback.id).select_from(Feedback).join(Request, Request.id == Feedback.request_id)
               .where(Feedback.at >= since, Feedback.at < until, *scope.where(), ordinary))
    for r, (responses, promoters, detractors, effort_sum, effort_responses) in each(
            ratings, Source(Request.owner_id, Request.team_id, Request.department, Feedback.at),
            func.count(Feedback.nps), func.count().filter(Feedback.nps >= 9), func.count().filter(Feedback.nps <= 6),
            func.coalesce(func.sum(Feedback.effort), 0), func.count(Feedback.effort)):
        r.update(responses=r["responses"] + responses, promoters=r["promoters"] + promoters,
                 detractors=r["detractors"] + detractors, effort_sum=r["effort_sum"] + int(effort_sum),
                 effort_responses=r["effort_responses"] + effort_responses)
    return rows


def _floats(text: str | None) -> list[float]:
    """A group's values, in order: pooled with other groups' (a quarter's days), they sort as runs, quickly."""
    return sorted(float(value) for value in text.split(",")) if text else []


UNITS = {key: unit for key, _, unit, _ in FIGURES}


def shown(key: str, value: float | None) -> str:
    """A figure as people read it: 50%, 4.0h, 3.2d, NPS 12, effort 3.5; — when there is nothing to count."""
    if value is None:
        return "—"
    unit = UNITS.get(key, "")
    if unit == "%":
        return f"{value:.0%}"
    if unit in ("h", "d"):
        return f"{value:.1f}{unit}"
    return f"{value:.0f}" if key == "nps" else f"{value:.1f}"


def finish(r: dict[str, Any]) -> dict[str, Any]:
    """The figures of one row from its raw counts and values."""
    first_due = r["first_contacts"] + r["first_missed"]
    first_median, first_p90 = _middle_and_p90(r["first_hours"])
    resolve_median, resolve_p90 = _middle_and_p90(r["resolve_days"])
    checkins_due = r["checkins"] + r["checkins_missed"]
    return {
        "first_contact_kept": _ratio(r["first_on_time"], first_due),
        "first_contact_median_h": first_median, "first_contact_p90_h": first_p90,
        "checkins_kept": _ratio(r["checkins_on_time"], checkins_due),
        "resolve_median_d": resolve_median, "resolve_p90_d": resolve_p90,
        "promises_kept": _ratio(r["resolved_on_time"], r["resolved"]),
        "reopen_rate": _ratio(r["reopened"], r["resolved"]),
        "waiting_share": _ratio(r["waiting_hours"], r["business_hours"]),
        "nps": 100 * (r["promoters"] - r["detractors"]) / r["responses"] if r["responses"] else None,
        "effort": r["effort_sum"] / r["effort_responses"] if r["effort_responses"] else None,
        "first_contacts": first_due, "checkins": checkins_due, "resolved": r["resolved"],
        "reopened": r["reopened"], "responses": r["responses"], "effort_responses": r["effort_responses"],
        "promoters": r["promoters"], "detractors": r["detractors"],
    }


EMPTY = finish(raw_blank())


def below_standard(key: str, value: float | None, standards: dict[str, float]) -> bool:
    """``value`` of figure ``key`` falls short of ``standards`` (a team's
    charter's, :meth:`ownit.charters.Charter.all_standards`)."""
    if value is None or key not in standards:
        return False
    better = dict((k, b) for k, _, _, b in FIGURES)[key]
    return value < standards[key] if better == "higher" else value > standards[key]


def spread(owners: list[dict[str, Any]], standards: dict[str, float]) -> dict[str, dict[str, Any]]:
    """For each figure: the best and worst owner and how many fall short of
    the ``standards`` — consistency, not just the average."""
    result = {}
    for key, _, _, better in FIGURES:
        measured = [o for o in owners if o[key] is not None]
        if not measured:
            result[key] = {"best": None, "worst": None, "below_standard": 0, "standard": standards.get(key)}
            continue
        ranked = sorted(measured, key=lambda o: o[key], reverse=better == "higher")
        result[key] = {"best": {"name": ranked[0]["name"], "value": ranked[0][key]},
                       "worst": {"name": ranked[-1]["name"], "value": ranked[-1][key]},
                       "below_standard": sum(below_standard(key, o[key], standards) for o in measured),
                       "standard": standards.get(key)}
    return result


def weeks(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Monday-to-Monday weeks (UTC) covering ``[since, until)``, clipped to it."""
    start = (since - timedelta(days=since.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    spans = []
    while start < until:
        end = start + timedelta(days=7)
        spans.append((max(start, since), min(end, until)))
        start = end
    return spans


def alignment(team_name: str, weekly: list[dict[str, Any]]) -> str | None:
    """A plain sentence when a team got faster while its customers grew less
    happy (the second half of the weeks against the first), else ``None``."""
    weekly = [w for w in weekly if w["resolved"] or w["responses"]]  # weeks with something to judge
    if len(weekly) < 2:
        return None
    half = len(weekly) // 2
    before, after = weekly[:half], weekly[half:]

    weights = {"resolve_median_d": "resolved", "first_contact_kept": "first_contacts", "effort": "effort_responses"}

    def mean(rows: Iterable[dict[str, Any]], key: str) -> float | None:
        """Weighted by how much each week counted (a week's effort by its ratings)."""
        pairs = [(r[key], r[weights[key]]) for r in rows if r[key] is not None and r[weights[key]]]
        total = sum(weight for _, weight in pairs)
        return sum(value * weight for value, weight in pairs) / total if total else None

    faster = []
    resolve = mean(before, "resolve_median_d"), mean(after, "resolve_median_d")
    if None not in resolve and resolve[1] <= resolve[0] * (1 - FASTER_BY):
        faster.append(f"median time to resolve fell from {resolve[0]:.1f} to {resolve[1]:.1f} business days")
    contact = mean(before, "first_contact_kept"), mean(after, "first_contact_kept")
    if None not in contact and contact[1] >= contact[0] + FASTER_BY:
        faster.append(f"first contact kept rose from {contact[0]:.0%} to {contact[1]:.0%}")
    unhappier = []
    if min(sum(r["responses"] for r in before), sum(r["responses"] for r in after)) < ENOUGH_RATINGS:
        return None
    (nps_before, error_before), (nps_after, error_after) = _nps(before), _nps(after)
    # a fall that chance would rarely make: over twice the standard error of the difference
    if nps_before - nps_after >= max(NPS_DROP, 2 * math.hypot(error_before, error_after)):
        unhappier.append(f"NPS fell from {nps_before:.0f} to {nps_after:.0f}")
    effort = mean(before, "effort"), mean(after, "effort")
    if None not in effort and effort[1] >= effort[0] + EFFORT_RISE:
        unhappier.append(f"customer effort rose from {effort[0]:.1f} to {effort[1]:.1f} of 7")
    if faster and unhappier:
        return (f"{team_name} got faster ({'; '.join(faster)}) while its customers grew less happy "
                f"({'; '.join(unhappier)}): speed is not reaching them.")
    return None


def _nps(weeks: list[dict[str, Any]]) -> tuple[float, float]:
    """The pooled NPS of ``weeks`` and its standard error (of a difference of
    two shares from one sample of ratings)."""
    n = sum(w["responses"] for w in weeks)
    promoters, detractors = (sum(w[k] for w in weeks) / n for k in ("promoters", "detractors"))
    variance = (promoters + detractors - (promoters - detractors) ** 2) / n
    return 100 * (promoters - detractors), 100 * math.sqrt(max(variance, 0.0))


def names(org: Any, by: str, keys: Iterable[Any]) -> dict[Any, dict[str, str]]:
    """Display names for the group keys of ``by``, from the directory ``org``."""
    ids = [k for k in keys if k is not None]
    if by == "owner":
        return {i: {"key": org.people[i].email, "name": org.people[i].name} for i in ids if i in org.people}
    if by == "team":
        return {i: {"key": org.teams[i].key, "name": org.teams[i].name} for i in ids if i in org.teams}
    return {}


__all__ = ["FIGURES", "COUNTS", "UNITS", "Scope", "Source", "raw", "combine", "add", "regroup",
           "finish", "shown", "spread", "weeks", "alignment", "names", "EMPTY", "below_standard",
           "raw_blank"]
