"""The schema revisions this OwnIt ships, read without Alembic or SQLAlchemy.

Every command checks the database's ``alembic_version`` against them once,
when it first connects: a database written by a newer OwnIt is refused in one
line rather than used with a schema this code does not know (and ``ownit
init`` crashing on it). Reading the migration files' ``revision = ...`` lines
costs well under a millisecond, so the command line's queue can afford it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


@lru_cache(maxsize=1)
def known() -> frozenset[str]:
    """Every revision in ``ownit/migrations/versions``."""
    found = set()
    for script in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        match = _REVISION.search(script.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return frozenset(found)


def check(revision: str | None, where: str) -> None:
    """Refuse a database whose schema ``revision`` this OwnIt does not know
    (``None``: not set up yet, which the first query will say)."""
    if revision is not None and revision not in known():
        raise ConfigError(f"the database at {where} was written by a newer OwnIt (schema {revision}); "
                          "upgrade OwnIt to use it")


def stored(cursor: Any, *, postgresql: bool) -> str | None:
    """The revision ``alembic_version`` holds, read on a DB-API ``cursor`` at
    the start of a transaction; ``None`` when the table is not there yet."""
    if postgresql:
        cursor.execute("select to_regclass('alembic_version') is not null")
    else:
        cursor.execute("select count(*) from sqlite_master where type = 'table' and name = 'alembic_version'")
    if not cursor.fetchone()[0]:
        return None
    cursor.execute("select version_num from alembic_version")
    row = cursor.fetchone()
    return row[0] if row else None
