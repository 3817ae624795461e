"""Notifications remember their delivery attempts, so the sweep can retry the
ones no channel has taken yet.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)
        batch_op.create_index('ix_notification_undelivered', ['delivered_at', 'attempts'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_undelivered')
        batch_op.drop_column('attempts')
