"""People may have a ``login`` (their operating-system account, for
``OWNIT_CLI_IDENTITY=os``), and a timeline entry records the admin who acted
as its actor (``acting_id``), if one did.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_person_login', ['login'])
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acting_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_event_acting_id_person', 'person', ['acting_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('fk_event_acting_id_person', type_='foreignkey')
        batch_op.drop_column('acting_id')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint('uq_person_login', type_='unique')
        batch_op.drop_column('login')
