"""Idempotency keys (``submission``): what each person submitted in the last
day, so that a repeated submission changes nothing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 04:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('submission',
                    sa.Column('person_id', sa.Integer(), nullable=False),
                    sa.Column('key', sa.String(length=100), nullable=False),
                    sa.Column('action', sa.String(length=20), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=True),
                    sa.Column('submitted_at', UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
                    sa.ForeignKeyConstraint(['request_id'], ['request.id']),
                    sa.PrimaryKeyConstraint('person_id', 'key'))
    op.create_index(op.f('ix_submission_submitted_at'), 'submission', ['submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_submission_submitted_at'), table_name='submission')
    op.drop_table('submission')
