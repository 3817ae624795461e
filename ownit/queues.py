"""The queue an agent works: their own or a team's, most pressing first.

A read the command line must answer at once, so it is plain SQL
(:class:`ownit.store.sql.Sql`) on a unit of work that may have been opened
without SQLAlchemy (:func:`ownit.store.unit.reading`); :func:`ownit.service.queue`
is this same function on the desk's unit of work.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import domain
from .actors import Actor
from .departments import PRIORITIES
from .errors import PermissionDenied, ValidationError
from .store.sql import Sql, listed
from .store.unit import Unit
from .views import summary_view

_LINE = "id, ref, title, status, priority, stage, owner_id, team_id, request_type, next_due"
_RANK = ("CASE " + " ".join(f"WHEN priority = '{p}' THEN {i}" for i, p in enumerate(PRIORITIES))
         + f" ELSE {len(PRIORITIES)} END")


def queue(u: Unit, *, plugins: Any, actor: Actor, team: str | None = None,
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
    org, now = u.directory, u.now
    person = u.person(actor)
    statuses_in, params = listed("status", wanted)
    where = [f"status IN ({statuses_in})"]
    params["now"] = now
    if team:
        the_team = org.team(team)
        if not (org.in_team(the_team, person.id) or person.admin):
            raise PermissionDenied(f"you are not in {the_team.name}; ask its lead to add you")
        where.append("team_id = :team")
        params["team"] = the_team.id
        if owner:
            where.append("owner_id = :owner")
            params["owner"] = org.person(owner).id
    else:
        where.append("owner_id = :me")
        params["me"] = person.id
    if overdue:
        where.append("status = 'open' AND next_due < :now")
    if due_today:
        ends = []
        for i, each in enumerate(sorted(org.teams.values(), key=lambda t: t.id)):  # in each team's own hours
            params[f"due_team{i}"], params[f"due_end{i}"] = each.id, each.business_calendar.closes_today(now)
            ends.append(f"(team_id = :due_team{i} AND next_due <= :due_end{i})")
        where.append(f"status = 'open' AND next_due >= :now AND ({' OR '.join(ends) or '1 = 0'})")
    # Open requests by their next due time straight off the (…, status, next_due) index, stopping at the
    # limit; only when they run short, the rest (waiting, resolved …: no due time) by priority.
    conditions = " AND ".join(where)
    rows = u.db.execute(Sql(f"SELECT {_LINE} FROM request WHERE {conditions} AND status = 'open' "
                            "AND next_due IS NOT NULL ORDER BY next_due, id LIMIT :limit", when=("next_due",)),
                        limit=limit, **params).records()
    if len(rows) < limit:
        rows += u.db.execute(Sql(f"SELECT {_LINE} FROM request WHERE {conditions} "
                                 f"AND (status != 'open' OR next_due IS NULL) ORDER BY {_RANK}, id LIMIT :rest",
                                 when=("next_due",)), rest=limit - len(rows), **params).records()
    return [summary_view(r, owner=org.people[r.owner_id], team=org.teams[r.team_id],
                         rtype=plugins.request_types.get(r.request_type), now=now) for r in rows]
