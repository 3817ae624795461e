"""The only code that writes ``attachment``: what each photo or file on a
request is. Its bytes are in the file store (:mod:`ownit.files`), its
``attached`` event on the timeline; rows are only ever added."""

from __future__ import annotations

from types import SimpleNamespace

from .sql import Insert, Statement, sa, table
from .unit import Unit

TABLE = table("attachment")
_ADD = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
_GET = Statement(lambda: sa.select(TABLE.table).where(TABLE.c.id == sa.bindparam("id")))
_HELD = Statement(lambda: sa.select(sa.func.coalesce(sa.func.sum(TABLE.c.size), 0))
                  .where(TABLE.c.request_id == sa.bindparam("request")))


def add(u: Unit, request_id: int, *, name: str, content_type: str, size: int, sha256: str,
        thumbnail: str | None, internal: bool, by: int) -> int:
    """Record a file on the request, added by ``by`` now; returns its id."""
    return u.db.execute(_ADD, request_id=request_id, name=name, content_type=content_type, size=size,
                        sha256=sha256, thumbnail=thumbnail, internal=internal, added_by=by,
                        added_at=u.now).scalar()


def get(u: Unit, attachment_id: int) -> SimpleNamespace | None:
    """The row of ``attachment_id`` (an attribute per column), or ``None``."""
    row = u.db.execute(_GET, id=attachment_id).first()
    return None if row is None else SimpleNamespace(**dict(zip(TABLE.columns.keys(), row, strict=True)))


def held(u: Unit, request_id: int) -> int:
    """The bytes of all the request's files together."""
    return int(u.db.execute(_HELD, request=request_id).scalar())

