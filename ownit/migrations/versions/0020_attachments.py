"""Photos and files on requests (``attachment``): their bytes are in the file
store, keyed by checksum; the rows say what each is, who added it and when.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('attachment',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=255), nullable=False),
                    sa.Column('content_type', sa.String(length=64), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('thumbnail', sa.String(length=64), nullable=True),
                    sa.Column('internal', sa.Boolean(), nullable=False),
                    sa.Column('added_by', sa.Integer(), nullable=False),
                    sa.Column('added_at', UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['added_by'], ['person.id']),
                    sa.ForeignKeyConstraint(['request_id'], ['request.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_attachment_request_id'), 'attachment', ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_attachment_request_id'), table_name='attachment')
    op.drop_table('attachment')
