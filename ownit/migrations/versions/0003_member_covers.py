"""Team members cover sites or regions (an HR partner looks after the north's stores).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:08:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.alter_column('covers', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.drop_column('covers')
