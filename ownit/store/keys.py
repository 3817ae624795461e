"""The only code that writes ``secret``: keys OwnIt makes for itself, once."""

from __future__ import annotations

from typing import Callable

from .sql import Insert, Statement, dialect_insert, sa, table
from .unit import Unit

TABLE = table("secret")
_KEEP = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table).on_conflict_do_nothing(
    index_elements=["name"]))
_READ = Statement(lambda: sa.select(TABLE.c.value).where(TABLE.c.name == sa.bindparam("name")))


def get_or_make(u: Unit, name: str, make: Callable[[], str]) -> str:
    """The key ``name``, made now with ``make()`` if there is none yet; when
    two hosts make one at once, both get the one stored first."""
    found = u.db.execute(_READ, name=name).scalar()
    if found is None:
        u.db.execute(_KEEP, name=name, value=make())
        found = u.db.execute(_READ, name=name).scalar()
    return found
