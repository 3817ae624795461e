"""The only code that writes ``feedback``: the requester's rating of the service."""

from __future__ import annotations

from datetime import datetime

from .sql import Insert, Statement, sa, table
from .unit import Unit

TABLE = table("feedback")
_ADD = Insert(TABLE)
_THROUGH = Statement(lambda: sa.select(TABLE.c.at, TABLE.c.nps, TABLE.c.effort, TABLE.c.comment)
                     .where(TABLE.c.notification_id == sa.bindparam("note")))


def add(u: Unit, request_id: int, person_id: int, *, nps: int | None, effort: int | None, comment: str,
        notification_id: int | None = None) -> None:
    """Record a rating; ``notification_id`` names the rating link it came through
    (unique: a second rating through one link fails in the database)."""
    u.db.execute(_ADD, request_id=request_id, person_id=person_id, at=u.now, nps=nps, effort=effort, comment=comment,
                 notification_id=notification_id)


def given_through(u: Unit, notification_id: int) -> tuple[datetime, int | None, int | None, str] | None:
    """``(at, nps, effort, comment)`` of the rating given through the link of ``notification_id``, or ``None``."""
    return u.db.execute(_THROUGH, note=notification_id).first()
