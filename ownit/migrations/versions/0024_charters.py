"""Team charters: each version of what a team agreed with the stores
(``charter``), and the version each request's promise was made under
(``request.charter_id``).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 09:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0024'
down_revision: Union[str, None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'charter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('agreed_on', sa.Date(), nullable=False),
        sa.Column('review_by', sa.Date(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('loaded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('team_id', 'version'),
    )
    with op.batch_alter_table('request') as batch:
        batch.add_column(sa.Column('charter_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_request_charter_id_charter', 'charter', ['charter_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('request') as batch:
        batch.drop_constraint('fk_request_charter_id_charter', type_='foreignkey')
        batch.drop_column('charter_id')
    op.drop_table('charter')
