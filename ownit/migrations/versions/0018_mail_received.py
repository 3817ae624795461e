"""Replies by email OwnIt has acted on (``mail_received``), by Message-ID, so
that a mail delivered twice adds one note.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('mail_received',
                    sa.Column('message_id', sa.String(length=255), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=False),
                    sa.Column('person_id', sa.Integer(), nullable=False),
                    sa.Column('received_at', UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
                    sa.ForeignKeyConstraint(['request_id'], ['request.id']),
                    sa.PrimaryKeyConstraint('message_id'))
    op.create_index(op.f('ix_mail_received_request_id'), 'mail_received', ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mail_received_request_id'), table_name='mail_received')
    op.drop_table('mail_received')
