"""The only code that writes ``feedback``: the requester's rating of the service."""

from __future__ import annotations

from ..models import Feedback
from .sql import Insert
from .unit import Unit

TABLE = Feedback.__table__
_ADD = Insert(TABLE)


def add(u: Unit, request_id: int, person_id: int, *, nps: int | None, effort: int | None, comment: str) -> None:
    u.db.execute(_ADD, request_id=request_id, person_id=person_id, at=u.now, nps=nps, effort=effort, comment=comment)
