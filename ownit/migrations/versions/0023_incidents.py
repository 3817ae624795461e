"""Incidents: the request an incident is (``incident``: its scope and the type
a joining store raises) and the incident each request is linked to
(``request.incident_id``).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 07:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0023'
down_revision: Union[str, None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'incident',
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('joins_as', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.PrimaryKeyConstraint('request_id'),
    )
    with op.batch_alter_table('request') as batch:
        batch.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_request_incident_id_request', 'request', ['incident_id'], ['id'])
        batch.create_index('ix_request_incident_id', ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('request') as batch:
        batch.drop_index('ix_request_incident_id')
        batch.drop_constraint('fk_request_incident_id_request', type_='foreignkey')
        batch.drop_column('incident_id')
    op.drop_table('incident')
