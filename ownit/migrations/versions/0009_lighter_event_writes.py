"""Events lose their index by kind and time: nothing reads events that way
since service health reads ``measure`` (migration 0007); every query on
events is by request (``ix_event_request``). Each event written cost a page
of that index in the write-ahead log: two of the 22 pages a raise commits.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:30:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain DROP INDEX, not batch mode: rebuilding ``event`` would lose its triggers (migrations 0007, 0008)
    op.drop_index('ix_event_kind_at', table_name='event')


def downgrade() -> None:
    op.create_index('ix_event_kind_at', 'event', ['kind', 'at'], unique=False)
