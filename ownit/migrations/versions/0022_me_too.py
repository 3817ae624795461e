""""Me too": a watcher who joined because the problem affects them too
(``watcher.affected``), and an index for the open requests of one type at one
site (the duplicate hint while raising).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('watcher') as batch:
        batch.add_column(sa.Column('affected', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_request_site_type', 'request', ['site_id', 'request_type', 'status', 'raised_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_request_site_type', table_name='request')
    with op.batch_alter_table('watcher') as batch:
        batch.drop_column('affected')
