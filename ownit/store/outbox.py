"""The outbox: the only code that writes ``notification``.

A notification is a :class:`~ownit.notices.Notice` for one person, stored with
its kind, its data and its plain text; the UI shows the outbox as each
person's inbox, and channel plugins are offered each notification after the
commit (and again by the sweep until one takes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import Notification, Request
from ..notices import Notice
from .sql import Insert, Statement, dialect_insert
from .unit import Unit

TABLE = Notification.__table__
_R = Request.__table__


@dataclass(frozen=True)
class Put:
    """A notification this unit of work put in the outbox."""

    id: int
    person_id: int
    request_id: int | None
    notice: Notice
    created_at: datetime


_PUT = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
_PUT_ONCE = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(TABLE)
                   .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(TABLE.c.id))
_DELIVERED = Statement(TABLE.update().where(TABLE.c.id == sa.bindparam("note"))
                       .values(attempts=TABLE.c.attempts + 1, delivered_at=sa.bindparam("at")))
_TRIED = Statement(TABLE.update().where(TABLE.c.id == sa.bindparam("note")).values(attempts=TABLE.c.attempts + 1))
_INBOX = Statement(sa.select(TABLE.c.id, _R.c.ref, TABLE.c.kind, TABLE.c.message, TABLE.c.data, TABLE.c.created_at)
                   .select_from(TABLE.outerjoin(_R, _R.c.id == TABLE.c.request_id))
                   .where(TABLE.c.person_id == sa.bindparam("person"))
                   .order_by(TABLE.c.created_at.desc(), TABLE.c.id.desc()).limit(sa.bindparam("limit")))



def put(u: Unit, person_id: int, request_id: int | None, notice: Notice, *, dedupe_key: str | None = None) -> bool:
    """Tell ``person_id`` ``notice``, in this unit of work. With a
    ``dedupe_key``, only once ever: ``False`` when that key was already put
    (another sweep, or this one earlier)."""
    values = {"person_id": person_id, "request_id": request_id, "kind": notice.kind, "message": notice.text(),
              "data": notice.data(), "created_at": u.now, "delivered_at": None, "attempts": 0, "dedupe_key": dedupe_key}
    new_id = u.db.execute(_PUT_ONCE if dedupe_key else _PUT, **values).scalar()
    if new_id is None:
        return False
    u.notifications.append(Put(new_id, person_id, request_id, notice, u.now))
    return True


def mark_tried(u: Unit, delivered: dict[int, bool]) -> None:
    """Count a delivery attempt on each notification, and say when a channel took it."""
    for note_id, done in delivered.items():
        if done:
            u.db.execute(_DELIVERED, note=note_id, at=u.now)
        else:
            u.db.execute(_TRIED, note=note_id)


def undelivered(u: Unit, *, created_before: datetime, max_attempts: int) -> list[int]:
    """Notifications no channel has taken yet, with attempts left."""
    return [row[0] for row in u.db.run(sa.select(TABLE.c.id).where(
        TABLE.c.delivered_at.is_(None), TABLE.c.attempts < max_attempts,
        TABLE.c.created_at <= created_before).order_by(TABLE.c.id)).all()]


def by_ids(u: Unit, ids: list[int]) -> list[tuple[Any, ...]]:
    """``(id, person id, request id, ref, team id, kind, message, data, created at, attempts)`` of each."""
    return u.db.run(sa.select(TABLE.c.id, TABLE.c.person_id, TABLE.c.request_id, _R.c.ref, _R.c.team_id,
                              TABLE.c.kind, TABLE.c.message, TABLE.c.data, TABLE.c.created_at, TABLE.c.attempts)
                    .select_from(TABLE.outerjoin(_R, _R.c.id == TABLE.c.request_id))
                    .where(TABLE.c.id.in_(ids)).order_by(TABLE.c.id)).all()


def inbox(u: Unit, person_id: int, limit: int) -> list[tuple[Any, ...]]:
    """``(id, ref, kind, message, data, created at)`` of someone's notifications, newest first."""
    return u.db.execute(_INBOX, person=person_id, limit=limit).all()
