"""The only code that writes the organisation: ``site``, ``person``, ``team``,
``team_member`` and the named ``calendar`` tables — what the org file loads (:mod:`ownit.org`), someone's
absence, and when a member last got a request.

Rows are read and written as plain dictionaries of their columns. A row is
saved by its natural key (a site's code, a person's email, a team's key, a
membership's team and person, a calendar's key); only the columns that differ are written, so
loading the same file again changes nothing, not even the organisation's
generation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .sql import Statement, sa, shape, table
from .unit import Unit

TABLES = {"site": table("site"), "person": table("person"), "team": table("team"),
          "team_member": table("team_member"), "calendar": table("calendar")}
_M, _P = table("team_member"), table("person")
_ASSIGNED = Statement(lambda: _M.update().where(_M.c.team_id == sa.bindparam("team"), _M.c.person_id == sa.bindparam("person")),
                      keys=("last_assigned_at",))
_ABSENT = Statement(lambda: _P.update().where(_P.c.id == sa.bindparam("person")), keys=("away_from", "away_until"))

Row = dict[str, Any]


def rows(u: Unit, table: str, **where: Any) -> list[Row]:
    """The rows of one of the organisation's tables (those matching ``where``), in id order."""
    t = TABLES[table]
    statement = sa.select(*t.columns).where(*(t.c[k] == v for k, v in where.items())).order_by(t.c.id)
    return [dict(zip(t.columns.keys(), row, strict=True)) for row in u.db.run(statement).all()]


def save(u: Unit, table: str, values: Row, existing: Row | None) -> Row:
    """Insert ``values`` as a new row, or write what differs into ``existing``;
    returns the row as stored (with its id)."""
    t = TABLES[table]
    if existing is None:
        values = {**{name: make() for name, make in shape(table).defaults.items()}, **values}
        new_id = u.db.run(sa.insert(t).values(**values).returning(t.c.id)).scalar()
        return {**{c: None for c in t.columns.keys()}, **values, "id": new_id}
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        u.db.run(sa.update(t).where(t.c.id == existing["id"]).values(**changed))
    return {**existing, **changed}


def remove(u: Unit, table: str, row_id: int) -> None:
    t = TABLES[table]
    u.db.run(sa.delete(t).where(t.c.id == row_id))


def mark_assigned(u: Unit, team_id: int, person_id: int) -> None:
    """Remember when a member last got a request (ties go to whoever waited longest)."""
    u.db.execute(_ASSIGNED, team=team_id, person=person_id, last_assigned_at=u.now)


def set_absence(u: Unit, person_id: int, away_from: datetime, away_until: datetime) -> None:
    u.db.execute(_ABSENT, person=person_id, away_from=away_from, away_until=away_until)
