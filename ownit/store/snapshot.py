"""What OwnIt keeps of its tables and statements, so that a command runs them
without importing SQLAlchemy, SQLModel or the models (``compiled.json``,
read by :mod:`ownit.store.sql`).

    python -m ownit.store.snapshot          # write it again after changing a table or a statement

It holds, from ``ownit.models`` and every statement a module of OwnIt
declares at its top (:class:`ownit.store.sql.Statement`): each table's
columns, JSON columns and defaults, and each statement's SQL for SQLite and
PostgreSQL with its parameters and the kinds of their values. A test checks
the file says what the code says (tests/test_snapshot.py).
"""

from __future__ import annotations

import json
import pkgutil
from importlib import import_module
from typing import Any

from . import sql

DIALECTS = ("sqlite", "postgresql")
SKIPPED = ("ownit.migrations", "ownit.testing", "ownit.demo")  # no statements: Alembic's scripts, pytest's plugin


def modules() -> list[str]:
    """Every module of OwnIt that may declare statements."""
    package = import_module("ownit")
    return sorted(found.name for found in pkgutil.walk_packages(package.__path__, "ownit.")
                  if not found.name.startswith(SKIPPED) and not found.name.endswith("__main__"))


def build() -> dict[str, Any]:
    """The snapshot, from the models and the statements as they are now (nothing read from the kept file)."""
    sql.FRESH = True
    sql._kept.cache_clear()
    sql.shape.cache_clear()
    import_module("ownit.cli")  # first: its command modules import it back
    for name in modules():
        import_module(name)
    metadata = import_module("ownit.models").SQLModel.metadata
    tables = {name: sql.shape_of(t) for name, t in sorted(metadata.tables.items())}
    statements: dict[str, Any] = {}
    for statement in sql._ALL:
        name = statement.name
        if name is None or not name.startswith("ownit."):
            continue  # made inside a function (a statement of its own shape), or a plugin's
        if name in statements:
            raise ValueError(f"two statements are named {name}")
        statements[name] = {dialect: fresh(statement, dialect) for dialect in DIALECTS}
    return {"tables": tables, "statements": dict(sorted(statements.items()))}


def fresh(statement: sql.Statement, dialect: str) -> dict[str, Any]:
    """What is kept of ``statement``, its columns taken from the models (not from the kept file)."""
    if isinstance(statement, sql.Insert):
        statement.keys = list(sql.shape(statement.table.name).inserted)
    elif statement.keys is not None and statement.build.__qualname__ == "VersionedUpdate._core":
        statement.keys = list(sql.shape(statement.build.__self__.table.name).columns)
    return statement.kept(dialect)


def text() -> str:
    return json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    written = text()
    sql.SNAPSHOT.write_text(written, encoding="utf-8")
    kept = json.loads(written)
    print(f"{sql.SNAPSHOT}: {len(kept['tables'])} tables, {len(kept['statements'])} statements")


if __name__ == "__main__":
    main()
