"""Each person's count of open requests is kept on their row by the database,
and the organisation carries a generation that changes with every change to
it, so a raise reads an owner's load in constant time and keeps the
organisation cached between raises.

Both are kept by triggers, so no writer can forget them: ``person.open_requests``
follows every insert, delete, owner change and status change of a request
(the statuses counted are ``ownit.domain.ACTIVE``), and ``org_state.generation``
takes a fresh random value whenever a site, person (other than their load or
absence), team or team membership (other than when it last got a request)
changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTIVE = "('open', 'waiting')"  # ownit.domain.ACTIVE when this revision was written
# what the cached organisation holds, per table: a change to any of these columns is a new generation
ORG_COLUMNS = {
    "site": "code, name, region, timezone, country, subdivision",
    "person": "email, name, title, phone, site_id, roles",
    "team": "key, name, department, regions, lead_id, calendar",
    "team_member": "team_id, person_id, skills, covers, capacity",
}


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_requests', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('org_state',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('generation', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute("INSERT INTO org_state (id, generation) VALUES (1, 'initial')")
    op.execute(f"UPDATE person SET open_requests = (SELECT count(*) FROM request "
               f"WHERE request.owner_id = person.id AND request.status IN {ACTIVE})")
    create_triggers(op.get_bind().dialect.name)


def create_triggers(dialect: str) -> None:
    """The triggers as this revision wrote them (migration 0010 puts them back on its downgrade)."""
    if dialect == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    op.execute(f"""CREATE TRIGGER request_load_insert AFTER INSERT ON request WHEN NEW.status IN {ACTIVE}
        BEGIN UPDATE person SET open_requests = open_requests + 1 WHERE id = NEW.owner_id; END""")
    op.execute(f"""CREATE TRIGGER request_load_delete AFTER DELETE ON request WHEN OLD.status IN {ACTIVE}
        BEGIN UPDATE person SET open_requests = open_requests - 1 WHERE id = OLD.owner_id; END""")
    op.execute(f"""CREATE TRIGGER request_load_update AFTER UPDATE OF owner_id, status ON request BEGIN
        UPDATE person SET open_requests = open_requests - 1 WHERE id = OLD.owner_id AND OLD.status IN {ACTIVE};
        UPDATE person SET open_requests = open_requests + 1 WHERE id = NEW.owner_id AND NEW.status IN {ACTIVE};
        END""")
    bump = "BEGIN UPDATE org_state SET generation = lower(hex(randomblob(16))); END"
    for table, columns in ORG_COLUMNS.items():
        op.execute(f"CREATE TRIGGER {table}_org_insert AFTER INSERT ON {table} {bump}")
        op.execute(f"CREATE TRIGGER {table}_org_delete AFTER DELETE ON {table} {bump}")
        op.execute(f"CREATE TRIGGER {table}_org_update AFTER UPDATE OF {columns} ON {table} {bump}")


def _postgresql_triggers() -> None:
    op.execute(f"""CREATE FUNCTION ownit_request_load() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {ACTIVE} THEN
                UPDATE person SET open_requests = open_requests - 1 WHERE id = OLD.owner_id;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status IN {ACTIVE} THEN
                UPDATE person SET open_requests = open_requests + 1 WHERE id = NEW.owner_id;
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER request_load AFTER INSERT OR DELETE OR UPDATE OF owner_id, status ON request
        FOR EACH ROW EXECUTE FUNCTION ownit_request_load()""")
    op.execute("""CREATE FUNCTION ownit_org_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE org_state SET generation = md5(random()::text || clock_timestamp()::text);
            RETURN NULL;
        END $$""")
    for table, columns in ORG_COLUMNS.items():
        op.execute(f"""CREATE TRIGGER {table}_org_changed AFTER INSERT OR DELETE OR UPDATE OF {columns}
            ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ownit_org_changed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS request_load ON request")
        op.execute("DROP FUNCTION IF EXISTS ownit_request_load()")
        for table in ORG_COLUMNS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_org_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ownit_org_changed()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS request_load_{name}")
            for table in ORG_COLUMNS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_org_{name}")
    op.drop_table('org_state')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('open_requests')
