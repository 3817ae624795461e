"""Alembic environment: runs against the engine OwnIt hands over in
``config.attributes["engine"]`` (see :func:`ownit.db.upgrade`)."""

from alembic import context
from sqlmodel import SQLModel

from ownit import models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

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
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
