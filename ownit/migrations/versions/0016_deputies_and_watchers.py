"""Deputies and watchers: a site names its deputies (``site.deputies``, person
ids), a request may be marked for the site (``request.for_site``), and a
request's watchers are kept in ``watcher``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deputies', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('deputies', existing_type=sa.JSON(), server_default=None)
    with op.batch_alter_table('request', schema=None) as batch_op:  # the default stays: rows made by hand
        batch_op.add_column(sa.Column('for_site', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('watcher',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=False),
                    sa.Column('person_id', sa.Integer(), nullable=False),
                    sa.Column('added_by', sa.Integer(), nullable=False),
                    sa.Column('added_at', UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['request_id'], ['request.id']),
                    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
                    sa.ForeignKeyConstraint(['added_by'], ['person.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('request_id', 'person_id'))
    op.create_index(op.f('ix_watcher_person_id'), 'watcher', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_watcher_person_id'), table_name='watcher')
    op.drop_table('watcher')
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('for_site')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('deputies')
