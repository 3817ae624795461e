"""The only code that writes ``mail_received``: the replies by email OwnIt acted on."""

from __future__ import annotations

from .sql import Insert, dialect_insert, sa, table
from .unit import Unit

TABLE = table("mail_received")
_ONCE = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table)
               .on_conflict_do_nothing(index_elements=["message_id"]).returning(TABLE.c.message_id))


def first_time(u: Unit, message_id: str, request_id: int, person_id: int) -> bool:
    """Note that the mail ``message_id`` was acted on, in this unit of work:
    ``False`` when it already was (by an earlier delivery, or another host at
    the same moment: the database keeps one)."""
    return u.db.execute(_ONCE, message_id=message_id, request_id=request_id, person_id=person_id,
                        received_at=u.now).scalar() is not None
