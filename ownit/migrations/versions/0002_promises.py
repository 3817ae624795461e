"""Promises: each stage's expected date, the needed-by agreement, and when a
request started waiting on its requester (the promise clock pauses then).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:37:09.879705
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import ownit.models


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_agreement', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('agreed_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('stage_due', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('waiting_since', ownit.models.UTCDateTime(timezone=True), nullable=True))
    # Requests already waiting started to wait at their last "waiting" event.
    op.execute("""
        UPDATE request SET waiting_since = (
            SELECT max(event.at) FROM event WHERE event.request_id = request.id AND event.kind = 'waiting')
        WHERE status = 'waiting'
    """)
    # the defaults only filled existing rows; new rows get theirs from OwnIt, as the models say
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.alter_column('needs_agreement', server_default=None)
        batch_op.alter_column('stage_due', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('stage_due')
        batch_op.drop_column('agreed_by')
        batch_op.drop_column('needs_agreement')
