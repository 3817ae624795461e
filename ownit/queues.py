"""The queue an agent works: their own or a team's, most pressing first.

A read the command line must answer at once, so it is plain SQL
(:class:`ownit.store.sql.Sql`) on a unit of work that may have been opened
without SQLAlchemy (:func:`ownit.store.unit.reading`); :func:`ownit.service.queue`
is this same function on the desk's unit of work.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from . import domain
from .actors import Actor
from .departments import PRIORITIES
from .errors import PermissionDenied, ValidationError
from .store.sql import Sql, listed
from .store.unit import Unit
from .views import summary_view

_LINE = "id, ref, title, status, priority, stage, owner_id, team_id, request_type, next_due"
_INCIDENT = "id IN (SELECT request_id FROM incident)"  # one problem at many stores (ownit.incidents)
_PRESSING = "(status = 'open' AND next_due IS NOT NULL)"  # sorted by due time, before the rest
_RANK = ("CASE " + " ".join(f"WHEN priority = '{p}' THEN {i}" for i, p in enumerate(PRIORITIES))
         + f" ELSE {len(PRIORITIES)} END")
_TIERS = (  # a queue's order, each tier a condition and its order: incidents, then the rest by due time or priority
    (_INCIDENT, "CASE WHEN next_due IS NULL THEN 1 ELSE 0 END, next_due, id"),
    (f"NOT {_INCIDENT} AND {_PRESSING}", "next_due, id"),
    (f"NOT {_INCIDENT} AND NOT {_PRESSING}", f"{_RANK}, id"),
)


def queue(u: Unit, *, plugins: Any, actor: Actor, team: str | None = None,
          overdue: bool = False, due_today: bool = False, owner: str | None = None,
          statuses: Iterable[str] | None = None, search: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The requests an agent works: their own (default) or a team's, most
    pressing first (incidents, then open ones by their next due time, then the
    rest by priority). Filters: past a due time (``overdue``), due later today in the
    team's hours (``due_today``), one owner's within the team (``owner``), by
    status, and words of the title or reference (``search``, :func:`_selection`)."""
    conditions, params = _selection(u, actor=actor, team=team, overdue=overdue, due_today=due_today, owner=owner,
                                    statuses=statuses, search=search)
    return _lines(u, plugins, conditions, params, offset=0, limit=limit, tiers=None)


_TASKS = Sql("SELECT t.id, t.what, t.due, t.owner_id, r.ref, r.title FROM task t JOIN request r ON r.id = t.request_id "
             "WHERE t.team_id = :team AND t.status = 'open' ORDER BY t.due, t.id LIMIT :limit", when=("due",))


def tasks(u: Unit, *, actor: Actor, team: str, limit: int = 50) -> list[dict[str, Any]]:
    """The open tasks other departments asked of ``team``, the earliest due
    first (``ref`` and ``title`` of the request each is part of, ``what``,
    ``owner``, ``due``, ``late``): what its queue lists beside its requests.
    The same plain SQL as the queue, for the command line."""
    org = u.directory
    person = u.person(actor)
    the_team = org.team(team)
    if not (org.in_team(the_team, person.id) or person.admin):
        raise PermissionDenied(f"you are not in {the_team.name}; ask its lead to add you")
    return [{"id": r.id, "ref": r.ref, "title": r.title, "what": r.what, "owner": org.people[r.owner_id].name,
             "due": r.due.isoformat(), "late": r.due < u.now, "timezone": the_team.calendar.get("timezone", "UTC")}
            for r in u.db.execute(_TASKS, team=the_team.id, limit=limit).records()]


def page(u: Unit, *, plugins: Any, actor: Actor, team: str | None = None, overdue: bool = False,
         due_today: bool = False, owner: str | None = None, statuses: Iterable[str] | None = None,
         search: str | None = None, number: int = 1, size: int = 20) -> dict[str, Any]:
    """One page of :func:`queue` (``number`` from 1; past the last page, the
    last), so every request is reachable however long the queue: ``requests``,
    ``total``, ``page``, ``pages``, ``size``; and ``found``, the reference
    ``search`` names exactly when that request is in the team's (or the
    agent's own) queue, whatever its status, for the edge to open at once."""
    if size < 1:
        raise ValidationError("a page holds at least one request; ask for a size of 1 or more")
    conditions, params = _selection(u, actor=actor, team=team, overdue=overdue, due_today=due_today, owner=owner,
                                    statuses=statuses, search=search)
    counted = u.db.execute(Sql(
        "SELECT " + ", ".join(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)" for condition, _ in _TIERS)
        + f" FROM request WHERE {conditions}"), **params).first() or ()
    tiers = [int(n or 0) for n in counted] or [0] * len(_TIERS)
    total = sum(tiers)
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    found = None
    if search and search.strip():
        scope = "team_id = :team" if "team" in params else "owner_id = :me"
        hit = u.db.execute(Sql(f"SELECT ref FROM request WHERE ref = :ref AND {scope}"),
                           ref=search.strip().upper(), **{k: params[k] for k in ("team", "me") if k in params}).first()
        found = hit[0] if hit else None
    return {"requests": _lines(u, plugins, conditions, params, offset=(number - 1) * size, limit=size,
                               tiers=tiers),
            "total": total, "page": number, "pages": pages, "size": size, "found": found}


def _selection(u: Unit, *, actor: Actor, team: str | None, overdue: bool, due_today: bool, owner: str | None,
               statuses: Iterable[str] | None, search: str | None) -> tuple[str, dict[str, Any]]:
    """The ``WHERE`` conditions and parameters of a queue, checking who may see it.

    ``search`` keeps the requests whose title or reference holds it, in any
    case: a condition on each row the index range yields, no index of its own
    (a team's open requests are a few thousand at most; a whole range of
    100,000 is scanned in tens of milliseconds, docs/architecture.md)."""
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
    words = (search or "").strip().lower()
    if words:
        params["words"] = "%" + re.sub(r"([\\%_])", r"\\\1", words) + "%"  # the words as typed: % and _ too
        where.append("(lower(title) LIKE :words ESCAPE '\\' OR lower(ref) LIKE :words ESCAPE '\\')")
    return " AND ".join(where), params


def _lines(u: Unit, plugins: Any, conditions: str, params: dict[str, Any], *, offset: int, limit: int,
           tiers: list[int] | None) -> list[dict[str, Any]]:
    """``limit`` queue lines from ``offset``, tier by tier (:data:`_TIERS`):
    the open incidents, then open requests by their next due time straight
    off the (…, status, next_due) index, stopping at the limit, then the rest
    (waiting, resolved …: no due time) by priority. A tier is read only while
    lines are short; ``tiers`` counts each tier's lines to skip whole tiers
    before ``offset`` (``None``: from the start)."""
    org = u.directory
    rows: list[Any] = []
    before = 0
    for i, (condition, order) in enumerate(_TIERS):
        if len(rows) >= limit:
            break
        skip = max(0, offset - before)
        if tiers is not None:
            before += tiers[i]
            if skip >= tiers[i]:
                continue
        rows += u.db.execute(Sql(f"SELECT {_LINE} FROM request WHERE {conditions} AND {condition} "
                                 f"ORDER BY {order} LIMIT :limit OFFSET :skip", when=("next_due",)),
                             limit=limit - len(rows), skip=skip, **params).records()
    return [summary_view(r, owner=org.people[r.owner_id], team=org.teams[r.team_id],
                         rtype=plugins.request_types.get(r.request_type), now=u.now) for r in rows]
