"""The outbox keeps its schedule: when each notification is offered next
(held for quiet hours or the morning digest, or retried with backoff), why
its last attempt failed, and which sweep is offering it (a lease, so sweeps
on several hosts never send one twice). Undelivered notifications with
attempts left are offered at the next sweep.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 23:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('claimed_until', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_index('ix_notification_undelivered')
        batch_op.create_index('ix_notification_next', ['next_attempt_at'], unique=False)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('last_error', existing_type=sa.String(length=500), server_default=None)
        batch_op.alter_column('digest', existing_type=sa.Boolean(), server_default=None)
    op.execute("UPDATE notification SET next_attempt_at = created_at WHERE delivered_at IS NULL AND attempts < 5")


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_next')
        batch_op.create_index('ix_notification_undelivered', ['delivered_at', 'attempts'], unique=False)
        batch_op.drop_column('digest')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
