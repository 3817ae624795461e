"""Notifications carry their content as data (``ownit.notices``): who, what
changed, what is wanted, when. A channel plugin lays out an email or a chat
card from it; the text stays for the inbox. Notifications from before have
none (``{}``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=sa.JSON(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('data')
