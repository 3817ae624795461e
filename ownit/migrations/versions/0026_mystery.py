"""Mystery requests: a team's programme (``mystery_programme``) and each
mystery request, its scenario, who raises it, its link to the request once
raised, and its score (``mystery``). The mark lives only here.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 11:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0026'
down_revision: Union[str, None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'mystery_programme',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('per_month', sa.Integer(), nullable=False),
        sa.Column('request_types', sa.JSON(), nullable=False),
        sa.Column('shoppers', sa.JSON(), nullable=False),
        sa.Column('set_by', sa.Integer(), nullable=False),
        sa.Column('set_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.ForeignKeyConstraint(['set_by'], ['person.id']),
        sa.PrimaryKeyConstraint('team_id'),
    )
    op.create_table(
        'mystery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('request_type', sa.String(length=128), nullable=False),
        sa.Column('scenario', sa.String(length=2000), nullable=False),
        sa.Column('shopper_id', sa.Integer(), nullable=False),
        sa.Column('planned_by', sa.Integer(), nullable=False),
        sa.Column('planned_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('raise_by', sa.Date(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('answers', sa.JSON(), nullable=True),
        sa.Column('parts', sa.JSON(), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('rubric', sa.Integer(), nullable=True),
        sa.Column('charter_id', sa.Integer(), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('scored_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('note', sa.String(length=2000), nullable=False),
        sa.Column('noted_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.ForeignKeyConstraint(['shopper_id'], ['person.id']),
        sa.ForeignKeyConstraint(['planned_by'], ['person.id']),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.ForeignKeyConstraint(['charter_id'], ['charter.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['person.id']),
        sa.ForeignKeyConstraint(['noted_by'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id'),
    )
    op.create_index('ix_mystery_team_id', 'mystery', ['team_id'])
    op.create_index('ix_mystery_shopper_id', 'mystery', ['shopper_id'])


def downgrade() -> None:
    op.drop_index('ix_mystery_shopper_id', table_name='mystery')
    op.drop_index('ix_mystery_team_id', table_name='mystery')
    op.drop_table('mystery')
    op.drop_table('mystery_programme')
