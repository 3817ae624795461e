"""The only code that writes ``charter``: each version of a team's charter
(:mod:`ownit.charters`). A version is never changed: loading a charter that
differs from the team's latest adds the next version, and loading the same
one again adds nothing. The versions are read with the rest of the
organisation (:mod:`.directory`), whose generation each new one moves.
"""

from __future__ import annotations

from typing import Any

from ..charters import Charter
from .sql import Insert, Statement, sa, table
from .unit import Unit

TABLE = table("charter")
_ADD = Insert(TABLE)
_LATEST = Statement(lambda: sa.select(TABLE.c.id, TABLE.c.version, TABLE.c.body)
                    .where(TABLE.c.team_id == sa.bindparam("team")).order_by(TABLE.c.version.desc()).limit(1))


_LOADED = Statement(lambda: sa.select(TABLE.c.loaded_at).where(TABLE.c.id == sa.bindparam("charter")))


def loaded_at(u: Unit, charter_id: int) -> Any:
    """When the version ``charter_id`` was loaded: from then on new requests were promised under it."""
    return u.db.execute(_LOADED, charter=charter_id).scalar()


def add(u: Unit, team_id: int, charter: Charter) -> tuple[int, bool]:
    """``charter`` as the team's latest version: its version number, and
    whether it is new (``False``: the latest says the same already)."""
    body = charter.as_dict()
    latest = u.db.execute(_LATEST, team=team_id).first()
    if latest is not None and latest[2] == body:
        return latest[1], False
    version = latest[1] + 1 if latest is not None else 1
    u.db.execute(_ADD, team_id=team_id, version=version, agreed_on=charter.agreed, review_by=charter.review,
                 body=body, loaded_at=u.now)
    return version, True
