"""People and teams may be reached by chat (``chat``: Apprise URLs), people
keep their notification preferences (``notify``: channels, digest, quiet
hours, time zone), and OwnIt keeps the keys it makes for itself (``secret``:
the key that signs reply addresses and rating links).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 23:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat', sa.String(length=2000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notify', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('chat', existing_type=sa.String(length=2000), server_default=None)
        batch_op.alter_column('notify', existing_type=sa.JSON(), server_default=None)
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat', sa.String(length=2000), nullable=False, server_default=''))
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.alter_column('chat', existing_type=sa.String(length=2000), server_default=None)
    op.create_table('secret',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('value', sa.String(length=200), nullable=False),
                    sa.PrimaryKeyConstraint('name'))


def downgrade() -> None:
    op.drop_table('secret')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('chat')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('notify')
        batch_op.drop_column('chat')
