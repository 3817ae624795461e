"""The only code that writes ``incident``: what makes a request an incident
(its scope, the type a joining store raises), and the reads of incidents and
of the requests linked to them. A request is linked through its own
``incident_id``, written like any of its columns (:mod:`.requests`), so a
link made at the same moment as another change to the request is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import domain
from ..incidents import Scope
from . import requests
from .requests import RequestRow
from .sql import Insert, Statement, sa, table
from .unit import Unit

TABLE = table("incident")
_R = table("request")
_ADD = Insert(TABLE)
_OF = Statement(lambda: sa.select(TABLE.c.scope, TABLE.c.targets, TABLE.c.joins_as)
                .where(TABLE.c.request_id == sa.bindparam("request")))
_OPEN = Statement(lambda: sa.select(TABLE.c.request_id, TABLE.c.scope, TABLE.c.targets, TABLE.c.joins_as)
                  .join(_R, _R.c.id == TABLE.c.request_id).where(_R.c.status.in_([sa.literal_column(f"'{status}'") for status in domain.ACTIVE]))
                  .order_by(_R.c.raised_at.desc(), _R.c.id.desc()))
_LINKED = Statement(lambda: sa.select(_R.c.id).where(_R.c.incident_id == sa.bindparam("incident")).order_by(_R.c.id))


@dataclass(frozen=True)
class Details:
    """An incident's own: its scope and the request type a joining store raises."""

    scope: Scope
    joins_as: str


def add(u: Unit, request_id: int, scope: Scope, joins_as: str) -> None:
    """Make the request ``request_id`` (just inserted) an incident."""
    u.db.execute(_ADD, request_id=request_id, scope=scope.kind, targets=list(scope.targets), joins_as=joins_as)


def details(u: Unit, request_id: int) -> Details | None:
    """The incident's details (``None``: the request is no incident)."""
    found = u.db.execute(_OF, request=request_id).first()
    return None if found is None else Details(Scope.stored(found[0], found[1]), found[2])


def open_ones(u: Unit) -> list[tuple[int, Details]]:
    """The incidents still being worked (ids and details), the latest declared first."""
    return [(row[0], Details(Scope.stored(row[1], row[2]), row[3])) for row in u.db.execute(_OPEN).all()]


def linked(u: Unit, incident_id: int) -> list[RequestRow]:
    """The requests linked to the incident, the first linked first (by id)."""
    ids = [row[0] for row in u.db.execute(_LINKED, incident=incident_id).all()]
    found = requests.many(u, ids)
    return [found[i] for i in ids if i in found]


_INVOLVES = Statement(lambda: sa.select(_R.c.id).where(_R.c.incident_id == sa.bindparam("incident"), sa.or_(
    _R.c.requester_id == sa.bindparam("person"), _R.c.owner_id == sa.bindparam("person"))).limit(1))


def involves(u: Unit, incident_id: int, person_id: int) -> bool:
    """Whether ``person_id`` raised or owns a request linked to the incident."""
    return u.db.execute(_INVOLVES, incident=incident_id, person=person_id).first() is not None


_CANDIDATES = Statement(lambda: sa.select(_R.c.id).where(
    _R.c.department == sa.bindparam("department"), _R.c.incident_id.is_(None),
    _R.c.status.in_([sa.literal_column(f"'{status}'") for status in domain.ACTIVE]),
    _R.c.ref.not_like(sa.literal_column("'INC-%'"))).order_by(_R.c.raised_at.desc(), _R.c.id.desc())
    .limit(sa.bindparam("limit")))


def unlinked(u: Unit, department: str, limit: int) -> list[RequestRow]:
    """The department's requests still being worked and part of no incident, the latest raised first."""
    ids = [row[0] for row in u.db.execute(_CANDIDATES, department=department, limit=limit).all()]
    found = requests.many(u, ids)
    return [found[i] for i in ids if i in found]


def during(u: Unit, since: datetime, until: datetime, department: str | None = None) -> list[tuple[RequestRow, int, int]]:
    """The incidents affecting stores at some time in ``[since, until)`` (of
    ``department``), the first declared first, each with how many requests
    and how many stores are linked to it now."""
    ended = sa.func.coalesce(_R.c.resolved_at, _R.c.closed_at)
    query = (sa.select(_R.c.id).join(TABLE, TABLE.c.request_id == _R.c.id)
             .where(_R.c.raised_at < until, sa.or_(ended.is_(None), ended >= since)))
    if department is not None:
        query = query.where(_R.c.department == department)
    ids = [row[0] for row in u.db.run(query.order_by(_R.c.raised_at, _R.c.id)).all()]
    if not ids:
        return []
    counted = {row[0]: (row[1], row[2]) for row in u.db.run(
        sa.select(_R.c.incident_id, sa.func.count(), sa.func.count(sa.distinct(_R.c.site_id)))
        .where(_R.c.incident_id.in_(ids)).group_by(_R.c.incident_id)).all()}
    found = requests.many(u, ids)
    return [(found[i], *counted.get(i, (0, 0))) for i in ids]
