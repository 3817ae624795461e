"""Service health reads narrow rows of measures, kept by the database as events
are written, instead of joining every event of a quarter to its request and
reading its measures out of JSON (21 s for a department's quarter at a million
requests, docs/benchmarks.md).

A partial index finds the first contacts never made (the report counts those
missed) without reading every request.

``measure`` has one row per ``contacted``, ``checkin``, ``resolved`` and
``reopened`` event: its time, the request's scope (department, team, owner,
site, type) and the event's measures. Triggers insert it with the event, and
move it with the request when the request changes owner or team; existing
events are copied in here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import ownit.models


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS = "('contacted', 'checkin', 'resolved', 'reopened')"
COLUMNS = ("event_id, request_id, kind, at, department, team_id, owner_id, site_id, request_type, on_time, "
           "checkin_missed, hours, days, waiting_hours")


def _values(event: str, dialect: str) -> str:
    """The measure row's values for ``event`` (a row alias) joined to its request ``r``."""
    if dialect == "postgresql":
        def value(key: str, kind: str) -> str:
            return f"({event}.data->>'{key}')::{kind}"
        flag, number = "boolean", "double precision"
    else:
        def value(key: str, kind: str) -> str:
            return f"json_extract({event}.data, '$.{key}')"
        flag = number = ""
    return (f"{event}.id, {event}.request_id, {event}.kind, {event}.at, r.department, r.team_id, r.owner_id, "
            f"r.site_id, r.request_type, {value('on_time', flag)}, {value('checkin_missed', flag)}, "
            f"{value('business_hours', number)}, {value('business_days', number)}, "
            f"{value('waiting_hours', number)}")


def upgrade() -> None:
    op.create_table('measure',
                    sa.Column('event_id', sa.Integer(), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=32), nullable=False),
                    sa.Column('at', ownit.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('department', sa.String(length=64), nullable=False),
                    sa.Column('team_id', sa.Integer(), nullable=False),
                    sa.Column('owner_id', sa.Integer(), nullable=False),
                    sa.Column('site_id', sa.Integer(), nullable=False),
                    sa.Column('request_type', sa.String(length=128), nullable=False),
                    sa.Column('on_time', sa.Boolean(), nullable=True),
                    sa.Column('checkin_missed', sa.Boolean(), nullable=True),
                    sa.Column('hours', sa.Float(), nullable=True),
                    sa.Column('days', sa.Float(), nullable=True),
                    sa.Column('waiting_hours', sa.Float(), nullable=True),
                    sa.ForeignKeyConstraint(['event_id'], ['event.id']),
                    sa.ForeignKeyConstraint(['request_id'], ['request.id']),
                    sa.ForeignKeyConstraint(['team_id'], ['team.id']),
                    sa.ForeignKeyConstraint(['owner_id'], ['person.id']),
                    sa.ForeignKeyConstraint(['site_id'], ['site.id']),
                    sa.PrimaryKeyConstraint('event_id'))
    dialect = op.get_bind().dialect.name
    # plain CREATE INDEX, not batch mode: rebuilding ``request`` would lose its triggers (migration 0006)
    op.create_index('ix_request_uncontacted', 'request', ['first_contact_due'], unique=False,
                    sqlite_where=sa.text('first_contact_at IS NULL'), postgresql_where=sa.text('first_contact_at IS NULL'))
    op.execute(f"INSERT INTO measure ({COLUMNS}) SELECT {_values('e', dialect)} FROM event e "
               f"JOIN request r ON r.id = e.request_id WHERE e.kind IN {KINDS}")
    for name, columns in (('ix_measure_department', ['department', 'kind', 'at']),
                          ('ix_measure_team', ['team_id', 'kind', 'at']), ('ix_measure_owner', ['owner_id', 'kind', 'at']),
                          ('ix_measure_kind_at', ['kind', 'at']), ('ix_measure_request', ['request_id'])):
        op.create_index(name, 'measure', columns, unique=False)
    create_triggers(dialect)


def create_triggers(dialect: str) -> None:
    """The measure triggers as this revision wrote them (migration 0010 puts them back on its downgrade)."""
    if dialect == "postgresql":
        op.execute(f"""CREATE FUNCTION ownit_measure() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO measure ({COLUMNS}) SELECT {_values('NEW', dialect)} FROM request r
                    WHERE r.id = NEW.request_id;
                RETURN NULL;
            END $$""")
        op.execute(f"""CREATE TRIGGER event_measure AFTER INSERT ON event FOR EACH ROW
            WHEN (NEW.kind IN {KINDS}) EXECUTE FUNCTION ownit_measure()""")
        op.execute("""CREATE FUNCTION ownit_measure_moves() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE measure SET owner_id = NEW.owner_id, team_id = NEW.team_id WHERE request_id = NEW.id;
                RETURN NULL;
            END $$""")
        op.execute("""CREATE TRIGGER request_measure_moves AFTER UPDATE OF owner_id, team_id ON request
            FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id)
            EXECUTE FUNCTION ownit_measure_moves()""")
    else:
        op.execute(f"""CREATE TRIGGER event_measure AFTER INSERT ON event WHEN NEW.kind IN {KINDS} BEGIN
            INSERT INTO measure ({COLUMNS}) SELECT {_values('NEW', dialect)} FROM request r
                WHERE r.id = NEW.request_id;
            END""")
        op.execute("""CREATE TRIGGER request_measure_moves AFTER UPDATE OF owner_id, team_id ON request
            WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.team_id IS NOT NEW.team_id BEGIN
            UPDATE measure SET owner_id = NEW.owner_id, team_id = NEW.team_id WHERE request_id = NEW.id;
            END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_measure ON event")
        op.execute("DROP FUNCTION IF EXISTS ownit_measure()")
        op.execute("DROP TRIGGER IF EXISTS request_measure_moves ON request")
        op.execute("DROP FUNCTION IF EXISTS ownit_measure_moves()")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_measure")
        op.execute("DROP TRIGGER IF EXISTS request_measure_moves")
    for name in ('ix_measure_request', 'ix_measure_kind_at', 'ix_measure_owner', 'ix_measure_team',
                 'ix_measure_department'):
        op.drop_index(name, table_name='measure')
    op.drop_table('measure')
    op.drop_index('ix_request_uncontacted', table_name='request')
