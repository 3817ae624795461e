"""Cross-department tasks: part of a request another department's team is
asked to do, with one named owner in that team and a dated commitment
(``task``).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 09:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0025'
down_revision: Union[str, None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=500), nullable=False),
        sa.Column('needed_by', sa.Date(), nullable=False),
        sa.Column('due', UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('asked_by', sa.Integer(), nullable=False),
        sa.Column('asked_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('done_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('nudged_for', UTCDateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['person.id']),
        sa.ForeignKeyConstraint(['asked_by'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_task_request_id', 'task', ['request_id'])
    op.create_index('ix_task_team_open', 'task', ['team_id', 'status', 'due'])


def downgrade() -> None:
    op.drop_index('ix_task_team_open', table_name='task')
    op.drop_index('ix_task_request_id', table_name='task')
    op.drop_table('task')
