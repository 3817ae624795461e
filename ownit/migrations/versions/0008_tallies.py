"""Service health keeps what it counted, one row per UTC day, department, team
and owner (``tally``), so a report over a quarter reads ninety days of tallies
instead of every measure in it (8.2 s for a department's quarter at a million
requests, docs/benchmarks.md).

``tally_day`` lists the days whose tallies are current. Triggers delete a day
from it whenever something that day counted changes, so a stale tally is
never read: a measure written, moved or removed (its ``at``), a rating given
or changed (its ``at``), and a request raised, removed or changed in owner,
team, department or first contact (its first contact's due day, and the days
of its ratings, which are counted by the request's scope). OwnIt fills days
again when a report needs them (``ownit.tallies``).

Ratings get an index on when they were given: the part-days a report still
counts directly would otherwise read every rating. The measure indexes that a
day's count (by kind and time) and a department's report (by department,
kind and time) read now hold every column counted, so neither looks up each
measure's row: recounting ten busy days at a million requests went from 2.7 s
to 0.9 s.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 19:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import ownit.models


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEASURED = ['team_id', 'owner_id', 'on_time', 'checkin_missed', 'hours', 'days', 'waiting_hours']
# the measure indexes a day's count and a department's report read, with every column they count
COVERING = {'ix_measure_kind_at': ['kind', 'at', 'department', *MEASURED],
            'ix_measure_department': ['department', 'kind', 'at', *MEASURED]}
BEFORE = {'ix_measure_kind_at': ['kind', 'at'], 'ix_measure_department': ['department', 'kind', 'at']}
REQUEST_SCOPE = "owner_id, team_id, department, first_contact_at, first_contact_due"


def _day(column: str, dialect: str) -> str:
    """The UTC day of a stored datetime, as ``tally_day.day`` holds it."""
    return f"({column} AT TIME ZONE 'UTC')::date" if dialect == "postgresql" else f"date({column})"


def _stale(row: str, column: str, dialect: str) -> str:
    return f"DELETE FROM tally_day WHERE day = {_day(f'{row}.{column}', dialect)};"


def _ratings_stale(row: str, dialect: str) -> str:
    return (f"DELETE FROM tally_day WHERE day IN (SELECT {_day('f.at', dialect)} FROM feedback f "
            f"WHERE f.request_id = {row}.id);")


def upgrade() -> None:
    op.create_table('tally_day',
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('filled_at', ownit.models.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('day'))
    op.create_table('tally',
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('department', sa.String(length=64), nullable=False),
                    sa.Column('team_id', sa.Integer(), nullable=False),
                    sa.Column('owner_id', sa.Integer(), nullable=False),
                    sa.Column('data', sa.JSON(), nullable=False),
                    sa.PrimaryKeyConstraint('day', 'department', 'team_id', 'owner_id'))
    op.create_index('ix_feedback_at', 'feedback', ['at'], unique=False)  # the ratings of a part-day
    for name, columns in COVERING.items():  # plain CREATE INDEX: batch mode would drop the triggers
        op.drop_index(name, table_name='measure')
        op.create_index(name, 'measure', columns, unique=False)
    create_triggers(op.get_bind().dialect.name)


def create_triggers(dialect: str) -> None:
    """The tally triggers as this revision wrote them (migration 0010 puts them back on its downgrade)."""
    # (table, event, the statements run for each row)
    triggers = []
    for table in ("measure", "feedback"):
        triggers += [(table, "INSERT", _stale("NEW", "at", dialect)),
                     (table, "UPDATE", _stale("OLD", "at", dialect) + _stale("NEW", "at", dialect)),
                     (table, "DELETE", _stale("OLD", "at", dialect))]
    triggers += [("request", "INSERT", _stale("NEW", "first_contact_due", dialect)),
                 ("request", f"UPDATE OF {REQUEST_SCOPE}",
                  _stale("OLD", "first_contact_due", dialect) + _stale("NEW", "first_contact_due", dialect)
                  + _ratings_stale("NEW", dialect)),
                 ("request", "DELETE", _stale("OLD", "first_contact_due", dialect) + _ratings_stale("OLD", dialect))]
    for table, event, body in triggers:
        name = f"{table}_tally_{event.split()[0].lower()}"
        if dialect == "postgresql":
            op.execute(f"CREATE FUNCTION ownit_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body} RETURN NULL; END $$")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION ownit_{name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in ("measure", "feedback", "request"):
        for event in ("insert", "update", "delete"):
            name = f"{table}_tally_{event}"
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS ownit_{name}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_feedback_at', table_name='feedback')
    for name, columns in BEFORE.items():
        op.drop_index(name, table_name='measure')
        op.create_index(name, 'measure', columns, unique=False)
    op.drop_table('tally')
    op.drop_table('tally_day')
