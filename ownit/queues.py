"""The queue an agent works: their own or a team's, most pressing first.

A read the command line must answer at once, so it runs on :mod:`ownit.lite`
(the driver, without SQLAlchemy); :func:`ownit.service.queue` is this same
function on the service's engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from . import domain
from .departments import PRIORITIES
from .errors import PermissionDenied, ValidationError, no_such, not_registered, typed, who_are_you
from .lite import Lite, listed
from .views import summary_view

_LINE = "id, ref, title, status, priority, stage, owner_id, team_id, request_type, next_due"


def queue(db: Lite, *, plugins: Any, now: datetime, actor: str | None, team: str | None = None,
          overdue: bool = False, due_today: bool = False, owner: str | None = None,
          statuses: Iterable[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The requests an agent works: their own (default) or a team's, most
    pressing first (open ones by their next due time, then the rest by
    priority). Filters: past a due time (``overdue``), due later today in the
    team's hours (``due_today``), one owner's within the team (``owner``), by
    status."""
    if overdue and due_today:
        raise ValidationError("overdue and due today exclude each other; pick one")
    if owner and not team:
        raise ValidationError("filtering by owner works within a team's queue; say which team")
    wanted = tuple(statuses or domain.ACTIVE)
    unknown = set(wanted) - set(domain.STATUSES)
    if unknown:
        raise ValidationError(f"unknown status {sorted(unknown)[0]!r}; use: {', '.join(domain.STATUSES)}")
    person = _person(db, actor)
    statuses_in, params = listed("status", wanted)
    where = [f"status IN ({statuses_in})"]
    params["now"] = db.when(now)
    if team:
        the_team = _team(db, team)
        member = db.rows("SELECT 1 AS yes FROM team_member WHERE team_id = :team AND person_id = :person",
                         team=the_team.id, person=person.id)
        if not (member or the_team.lead_id == person.id or "admin" in person.roles):
            raise PermissionDenied(f"you are not in {the_team.name}; ask its lead to add you")
        where.append("team_id = :team")
        params["team"] = the_team.id
        if owner:
            where.append("owner_id = :owner")
            params["owner"] = _person(db, owner).id
    else:
        where.append("owner_id = :me")
        params["me"] = person.id
    if overdue:
        where.append("status = 'open' AND next_due < :now")
    if due_today:
        where.append(_due_today(db, now, params))
    # Open requests by their next due time straight off the (…, status, next_due) index, stopping at the
    # limit; only when they run short, the rest (waiting, resolved …: no due time) by priority.
    conditions = " AND ".join(where)
    rows = db.rows(f"SELECT {_LINE} FROM request WHERE {conditions} AND status = 'open' AND next_due IS NOT NULL "
                   "ORDER BY next_due, id LIMIT :limit", when=("next_due",), limit=limit, **params)
    if len(rows) < limit:
        rank = "CASE " + " ".join(f"WHEN priority = '{p}' THEN {i}" for i, p in enumerate(PRIORITIES)) + \
               f" ELSE {len(PRIORITIES)} END"
        rows += db.rows(f"SELECT {_LINE} FROM request WHERE {conditions} AND (status != 'open' OR next_due IS NULL) "
                        f"ORDER BY {rank}, id LIMIT :rest", when=("next_due",), rest=limit - len(rows), **params)
    owners = _by_id(db, "SELECT id, email, name FROM person WHERE id IN ({})", {r.owner_id for r in rows})
    teams = _by_id(db, "SELECT id, key, calendar FROM team WHERE id IN ({})", {r.team_id for r in rows},
                   json_columns=("calendar",))
    return [summary_view(r, owner=owners[r.owner_id], team=teams[r.team_id],
                         rtype=plugins.request_types.get(r.request_type), now=now) for r in rows]


def _person(db: Lite, email: str | None) -> Any:
    if not email:
        raise who_are_you()
    found = db.rows("SELECT id, email, name, roles FROM person WHERE email = :email", json_columns=("roles",),
                    email=email.strip().lower()) if typed(email) else []
    if not found:
        raise not_registered(email)
    return found[0]


def _team(db: Lite, key: str) -> Any:
    found = db.rows("SELECT id, key, name, lead_id, calendar FROM team WHERE key = :key", json_columns=("calendar",),
                    key=key) if typed(key) else []
    if not found:
        raise no_such("team", key, [r.key for r in db.rows("SELECT key FROM team ORDER BY key")])
    return found[0]


def _by_id(db: Lite, sql: str, ids: set[int], **options: Any) -> dict[int, Any]:
    if not ids:
        return {}
    marks, params = listed("id", sorted(ids))
    return {row.id: row for row in db.rows(sql.format(marks), **options, **params)}


def _due_today(db: Lite, now: datetime, params: dict[str, Any]) -> str:
    """Open and due from now to the end of the working day, in each team's own hours."""
    from .calendar import BusinessCalendar

    ends = []
    for i, team in enumerate(db.rows("SELECT id, calendar FROM team ORDER BY id", json_columns=("calendar",))):
        calendar = BusinessCalendar.of(team.calendar or {})
        params[f"due_team{i}"], params[f"due_end{i}"] = team.id, db.when(calendar.closes_today(now))
        ends.append(f"(team_id = :due_team{i} AND next_due <= :due_end{i})")
    return f"status = 'open' AND next_due >= :now AND ({' OR '.join(ends) or '1 = 0'})"
