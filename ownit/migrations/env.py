"""Alembic environment: runs against the engine OwnIt hands over in
``config.attributes["engine"]`` (see :func:`ownit.db.upgrade`).

The triggers that keep derived tables are not the migrations' business
(``ownit/store/derived.py``): before migrations run they are all dropped, so a
migration may rebuild any table, and at the head revision the declared ones
are installed (or put right, when the declaration changed since).
"""

from alembic import context
from sqlmodel import SQLModel

from ownit import models  # noqa: F401  (registers the tables)
from ownit.store import derived

config = context.config
engine = config.attributes["engine"]


def _run(connection) -> None:
    script = context.script
    heads = set(script.get_heads())
    migration = context.get_context()
    staying = (set(migration.get_current_heads()) == heads
               and context.get_revision_argument() in ("head", "heads", *heads))
    if not staying:
        derived.drop(connection)
    context.run_migrations()
    if set(migration.get_current_heads()) == heads:
        derived.sync(connection)


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a table by copying it; with foreign keys enforced the
        # DROP of the old copy fails while other tables point at it. The pragma
        # only takes effect outside a transaction, hence the raw connection.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            _run(connection)
        connection.commit()
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
