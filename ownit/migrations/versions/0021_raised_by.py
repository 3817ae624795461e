"""Who raised a request for its requester (``request.raised_by_id``): an agent
or lead taking a phone call raises it on the caller's behalf; ``NULL`` when
the requester raised it themselves.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raised_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_request_raised_by', 'person', ['raised_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_constraint('fk_request_raised_by', type_='foreignkey')
        batch_op.drop_column('raised_by_id')
