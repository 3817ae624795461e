"""A day being counted into tallies is marked first, with no ``filled_at``
yet: the count then runs without holding up writers, and is kept only if
nothing took the mark away meanwhile (``ownit.tallies``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ownit.models import UTCDateTime


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('tally_day', schema=None) as batch_op:
        batch_op.alter_column('filled_at', existing_type=UTCDateTime(timezone=True), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM tally_day WHERE filled_at IS NULL")
    with op.batch_alter_table('tally_day', schema=None) as batch_op:
        batch_op.alter_column('filled_at', existing_type=UTCDateTime(timezone=True), nullable=False)
