"""The database's triggers come from one declaration in Python
(``ownit/store/derived.py``) instead of SQL written into migrations 0006–0008,
which copied event kinds, JSON keys and statuses as strings.

From this revision on, the migration environment (``env.py``) drops every
trigger before the migrations of an upgrade or a downgrade run, so any
migration may rebuild any table (SQLite's batch mode copies a table, which a
trigger naming it breaks), and installs the declared triggers when the
database is at the head revision. This revision only takes the old ones away;
going back, it puts them back as 0006–0008 wrote them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:00:00
"""
from importlib import util
from pathlib import Path
from typing import Sequence, Union

from alembic import op

from ownit.store import derived


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    derived.drop(op.get_bind())  # env.py installs the declaration once the database is at the head


def downgrade() -> None:
    derived.drop(op.get_bind())
    dialect = op.get_bind().dialect.name
    for name in ("0006_owner_load_and_org_generation", "0007_measures", "0008_tallies"):
        spec = util.spec_from_file_location(f"ownit_migration_{name}", Path(__file__).with_name(f"{name}.py"))
        module = util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.create_triggers(dialect)
