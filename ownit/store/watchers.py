"""The only code that writes ``watcher``: the colleagues following a request.

A watcher hears what the requester hears and sees the request as the
requester does (:mod:`ownit.service.audience`, :mod:`ownit.service.access`).
Adding someone who already watches, or removing someone who does not,
changes nothing. A watcher may be *affected* ("me too": the problem is
theirs too, :func:`join`); the request affects its requester and them.

A unit of work reads a request's watchers once (:func:`of`, kept on the
unit until it adds or removes one): an action tells them and then shows them.
"""

from __future__ import annotations

from .sql import Insert, Statement, dialect_insert, sa, table
from .unit import Unit

TABLE = table("watcher")
_ADD = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table)
              .on_conflict_do_nothing(index_elements=["request_id", "person_id"]).returning(TABLE.c.id))
_JOIN = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table)
               .on_conflict_do_update(index_elements=["request_id", "person_id"], set_={"affected": True},
                                      where=TABLE.c.affected == sa.false()).returning(TABLE.c.id))
_REMOVE = Statement(lambda: TABLE.delete().where(TABLE.c.request_id == sa.bindparam("request"),
                                         TABLE.c.person_id == sa.bindparam("person")))
_OF = Statement(lambda: sa.select(TABLE.c.person_id).where(TABLE.c.request_id == sa.bindparam("request"))
                .order_by(TABLE.c.id))
_WATCHES = Statement(lambda: sa.select(TABLE.c.id).where(TABLE.c.request_id == sa.bindparam("request"),
                                                 TABLE.c.person_id == sa.bindparam("person")))
_WATCHED = Statement(lambda: sa.select(TABLE.c.request_id).where(TABLE.c.person_id == sa.bindparam("person"))
                     .order_by(TABLE.c.id.desc()).limit(sa.bindparam("limit")))


def add(u: Unit, request_id: int, person_id: int, *, by: int) -> bool:
    """``person_id`` watches the request from now; ``False`` if they already did."""
    u.watching.pop(request_id, None)
    return u.db.execute(_ADD, request_id=request_id, person_id=person_id, added_by=by,
                        added_at=u.now).scalar() is not None


def join(u: Unit, request_id: int, person_id: int) -> bool:
    """``person_id`` is affected by the request from now (and watches it, if
    they did not); ``False`` if they already were."""
    u.watching.pop(request_id, None)
    return u.db.execute(_JOIN, request_id=request_id, person_id=person_id, added_by=person_id, added_at=u.now,
                        affected=True).scalar() is not None


def affects(u: Unit, request_ids: list[int]) -> dict[int, int]:
    """How many people each request affects: its requester and the watchers who joined it."""
    found = dict(u.db.run(sa.select(TABLE.c.request_id, sa.func.count()).where(
        TABLE.c.request_id.in_(request_ids), TABLE.c.affected == sa.true()).group_by(TABLE.c.request_id)).all()
    ) if request_ids else {}
    return {request_id: 1 + found.get(request_id, 0) for request_id in request_ids}


def remove(u: Unit, request_id: int, person_id: int) -> bool:
    """``person_id`` no longer watches the request; ``False`` if they did not."""
    u.watching.pop(request_id, None)
    return u.db.execute(_REMOVE, request=request_id, person=person_id).rowcount == 1


def of(u: Unit, request_id: int) -> list[int]:
    """The request's watchers (person ids), in the order they were added:
    read once in this unit, while it changes none of them (a copy each time,
    for the caller to add to)."""
    if request_id not in u.watching:
        u.watching[request_id] = tuple(row[0] for row in u.db.execute(_OF, request=request_id).all())
    return list(u.watching[request_id])


def watches(u: Unit, request_id: int, person_id: int) -> bool:
    return u.db.execute(_WATCHES, request=request_id, person=person_id).first() is not None


def watched_by(u: Unit, person_id: int, limit: int) -> list[int]:
    """The requests ``person_id`` watches (ids), the latest added first."""
    return [row[0] for row in u.db.execute(_WATCHED, person=person_id, limit=limit).all()]
