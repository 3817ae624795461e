"""A rating given through a mail's rating link names the link's notification
(``feedback.notification_id``); a unique index lets each link record once,
also when two submissions race.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_feedback_notification', 'notification', ['notification_id'], ['id'])
        batch_op.create_index('ix_feedback_notification', ['notification_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_notification')
        batch_op.drop_constraint('fk_feedback_notification', type_='foreignkey')
        batch_op.drop_column('notification_id')
