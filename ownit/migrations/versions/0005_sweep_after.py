"""Requests remember until when the sweep has nothing new to say about them,
so a sweep looks only at those whose promises moved on since.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import ownit.models


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sweep_after', ownit.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('sweep_after')
