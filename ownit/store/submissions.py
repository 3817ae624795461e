"""The only code that writes ``submission``: what each person submitted in
the last day, by the idempotency key their form or command sent.

A key is claimed inside the unit of work of the action it came with, so a
failed action leaves it free to be sent again once the input is fixed; two
submissions of one key at the same moment are serialised by the table's
primary key (PostgreSQL's insert waits for the other transaction). A key
older than :data:`KEEP` may be used again; the sweep forgets those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .sql import Insert, Statement, dialect_insert, sa, table
from .unit import Unit

TABLE = table("submission")
KEEP = timedelta(days=1)  # how long a key stands for its first submission
KEY_MAX = 100



def _me() -> object:
    """The person's key."""
    return (TABLE.c.person_id == sa.bindparam("person")) & (TABLE.c.key == sa.bindparam("key"))


_CLAIM = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table)
                .on_conflict_do_nothing(index_elements=["person_id", "key"]).returning(TABLE.c.person_id))
_EARLIER = Statement(lambda: sa.select(TABLE.c.action, TABLE.c.request_id, TABLE.c.submitted_at).where(_me()))
_TAKE_OVER = Statement(lambda: TABLE.update().where(_me() & (TABLE.c.submitted_at < sa.bindparam("stale")))
                       .values(action=sa.bindparam("action"), request_id=sa.bindparam("request"),
                               submitted_at=sa.bindparam("at")))
_SETTLE = Statement(lambda: TABLE.update().where(_me()).values(request_id=sa.bindparam("request")))
_FORGET = Statement(lambda: TABLE.delete().where(TABLE.c.submitted_at < sa.bindparam("stale")))


@dataclass(frozen=True)
class Earlier:
    """The first submission of a key: its action, the request it acted on, when."""

    action: str
    request_id: int | None
    at: datetime


def claim(u: Unit, person_id: int, key: str, action: str, request_id: int | None) -> Earlier | None:
    """Claim ``key`` for ``action`` on ``request_id`` (``None``: a request
    this unit raises, named later with :func:`settle`): ``None`` when it is
    new (or was last used more than :data:`KEEP` ago), else its first submission."""
    claimed = u.db.execute(_CLAIM, person_id=person_id, key=key, action=action, request_id=request_id,
                           submitted_at=u.now).scalar()
    if claimed is not None:
        return None
    action_, request_, at = u.db.execute(_EARLIER, person=person_id, key=key).first()
    if at >= u.now - KEEP:
        return Earlier(action_, request_, at)
    u.db.execute(_TAKE_OVER, person=person_id, key=key, stale=u.now - KEEP, action=action, request=request_id, at=u.now)
    return None


def settle(u: Unit, person_id: int, key: str, request_id: int) -> None:
    """Name the request a claimed key's raise created."""
    u.db.execute(_SETTLE, person=person_id, key=key, request=request_id)


def forget(u: Unit) -> int:
    """Drop the keys older than :data:`KEEP`: how many."""
    return u.db.execute(_FORGET, stale=u.now - KEEP).rowcount
