"""The only code that writes ``mystery_programme`` and ``mystery``: a team's
mystery programme, and each mystery request from its plan to its score
(:mod:`ownit.service.mystery`).

The mark that a request is a mystery lives here and nowhere else: the
request's own row, its timeline and its notices are those of any request.
Each step is one guarded statement, so two people racing cannot both win:
a mystery is linked to one request (``request_id IS NULL``), and scored once
(``scored_at IS NULL``).
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from .sql import Insert, Statement, sa, table
from .unit import Unit

PROGRAMME = table("mystery_programme")
TABLE = table("mystery")
_ADD = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
_ADD_PROGRAMME = Insert(PROGRAMME)
_PROGRAMME = Statement(lambda: sa.select(*PROGRAMME.columns).where(PROGRAMME.c.team_id == sa.bindparam("team")))
_CHANGE_PROGRAMME = Statement(lambda: PROGRAMME.update().where(PROGRAMME.c.team_id == sa.bindparam("team")),
                              keys=("per_month", "request_types", "shoppers", "set_by", "set_at"))
def _all() -> object:
    return sa.select(*TABLE.columns)


_BY_ID = Statement(lambda: _all().where(TABLE.c.id == sa.bindparam("id")))
_OF_REQUEST = Statement(lambda: _all().where(TABLE.c.request_id == sa.bindparam("request")))
_OF_TEAM = Statement(lambda: _all().where(TABLE.c.team_id == sa.bindparam("team")).order_by(TABLE.c.raise_by, TABLE.c.id))
_OF_SHOPPER = Statement(lambda: _all().where(TABLE.c.shopper_id == sa.bindparam("person")).order_by(TABLE.c.id))
_REVEALED_TO = Statement(lambda: _all().where(TABLE.c.owner_id == sa.bindparam("person"), TABLE.c.scored_at.isnot(None))
                         .order_by(TABLE.c.scored_at.desc()))
_PLANNED_IN = Statement(lambda: sa.select(sa.func.count()).where(
    TABLE.c.team_id == sa.bindparam("team"), TABLE.c.raise_by >= sa.bindparam("first"),
    TABLE.c.raise_by <= sa.bindparam("last")))
_LINK = Statement(lambda: TABLE.update().where(TABLE.c.id == sa.bindparam("row_id"), TABLE.c.request_id.is_(None)),
                  keys=("request_id", "raised_at"))
_SCORE = Statement(lambda: TABLE.update().where(TABLE.c.id == sa.bindparam("row_id"), TABLE.c.scored_at.is_(None)),
                   keys=("answers", "parts", "score", "rubric", "charter_id", "owner_id", "scored_at"))
_NOTE = Statement(lambda: TABLE.update().where(TABLE.c.id == sa.bindparam("row_id")), keys=("note", "noted_by"))


def _as(table: Any, found: Any) -> SimpleNamespace | None:
    """A row of ``table`` with its columns as attributes (``None`` for none)."""
    return None if found is None else SimpleNamespace(**dict(zip((c.key for c in table.columns), found)))


def _row(found: Any) -> SimpleNamespace | None:
    return _as(TABLE, found)


def programme(u: Unit, team_id: int) -> SimpleNamespace | None:
    """The team's programme (``shoppers``: person id, as text, to when they agreed, or ``None``)."""
    return _as(PROGRAMME, u.db.execute(_PROGRAMME, team=team_id).first())


_PROGRAMMES = Statement(lambda: sa.select(*PROGRAMME.columns).order_by(PROGRAMME.c.team_id))


def programmes(u: Unit) -> list[SimpleNamespace]:
    """Every team's programme, in one read (a person's page looks for them in each)."""
    return [_as(PROGRAMME, found) for found in u.db.execute(_PROGRAMMES).all()]


def set_programme(u: Unit, team_id: int, *, per_month: int, request_types: list[str],
                  shoppers: dict[str, str | None], set_by: int) -> None:
    """The team's programme, set whole (one per team)."""
    values = dict(per_month=per_month, request_types=request_types, shoppers=shoppers, set_by=set_by, set_at=u.now)
    if u.db.execute(_CHANGE_PROGRAMME, team=team_id, **values).rowcount == 0:
        u.db.execute(_ADD_PROGRAMME, team_id=team_id, **values)


def plan(u: Unit, *, team_id: int, request_type: str, scenario: str, shopper_id: int, planned_by: int,
         raise_by: date) -> int:
    """A new planned mystery request; its id."""
    return u.db.execute(_ADD, team_id=team_id, request_type=request_type, scenario=scenario, shopper_id=shopper_id,
                        planned_by=planned_by, planned_at=u.now, raise_by=raise_by, note="").scalar()


def get(u: Unit, mystery_id: int) -> SimpleNamespace | None:
    return _row(u.db.execute(_BY_ID, id=mystery_id).first())


def of_request(u: Unit, request_id: int) -> SimpleNamespace | None:
    return _row(u.db.execute(_OF_REQUEST, request=request_id).first())


def of_team(u: Unit, team_id: int) -> list[SimpleNamespace]:
    """The team's mystery requests, the earliest to raise first."""
    return [_row(found) for found in u.db.execute(_OF_TEAM, team=team_id).all()]


def of_shopper(u: Unit, person_id: int) -> list[SimpleNamespace]:
    return [_row(found) for found in u.db.execute(_OF_SHOPPER, person=person_id).all()]


def revealed_to(u: Unit, person_id: int) -> list[SimpleNamespace]:
    """The scored mystery requests ``person_id`` owned at their close, the newest first."""
    return [_row(found) for found in u.db.execute(_REVEALED_TO, person=person_id).all()]


def planned_in(u: Unit, team_id: int, first: date, last: date) -> int:
    """How many of the team's mystery requests are to be raised between ``first`` and ``last``."""
    return u.db.execute(_PLANNED_IN, team=team_id, first=first, last=last).scalar()


def link(u: Unit, mystery_id: int, request_id: int) -> bool:
    """The mystery raised as ``request_id``; ``False`` if it was raised already."""
    return u.db.execute(_LINK, row_id=mystery_id, request_id=request_id, raised_at=u.now).rowcount == 1


def score(u: Unit, mystery_id: int, *, answers: dict[str, Any], parts: dict[str, Any], score: float, rubric: int,
          charter_id: int | None, owner_id: int) -> bool:
    """The mystery scored; ``False`` if it was scored already."""
    return u.db.execute(_SCORE, row_id=mystery_id, answers=answers, parts=parts, score=score, rubric=rubric,
                        charter_id=charter_id, owner_id=owner_id, scored_at=u.now).rowcount == 1


def note(u: Unit, mystery_id: int, text: str, by: int) -> None:
    """The lead's coaching note on a scored mystery."""
    u.db.execute(_NOTE, row_id=mystery_id, note=text, noted_by=by)


def closed_unscored(u: Unit) -> list[SimpleNamespace]:
    """Mystery requests whose request is closed and not yet scored: their requesters are asked for the form."""
    request = table("request")
    found = u.db.run(_all().join(request, request.c.id == TABLE.c.request_id)
                     .where(TABLE.c.scored_at.is_(None), request.c.status == "closed").order_by(TABLE.c.id)).all()
    return [_row(row) for row in found]


def scored_between(u: Unit, team_id: int, since: datetime, until: datetime) -> list[SimpleNamespace]:
    """The team's mystery requests scored in ``[since, until)``, the first scored first."""
    return [_row(found) for found in u.db.run(_all().where(
        TABLE.c.team_id == team_id, TABLE.c.scored_at >= since, TABLE.c.scored_at < until)
        .order_by(TABLE.c.scored_at)).all()]
