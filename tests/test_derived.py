"""What the database derives by itself — open counts, the organisation's
generation, measures, day tallies' freshness — comes from one declaration
(``ownit/store/derived.py``): the database holds exactly it, on SQLite and
PostgreSQL; a migration may rebuild any table; and a measured event's row of
``measure`` holds the fields its class declares."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from conftest import AMIRA, LEAK
from ownit import db, events, service
from ownit.store import derived


def _holds_the_declaration(url: str) -> bool:
    with db.make_engine(url).connect() as connection:
        return derived.current(connection)


def test_the_database_holds_exactly_the_declared_triggers(ownit_database_url: str) -> None:
    engine = db.make_engine(ownit_database_url)
    with engine.connect() as connection:
        held = derived.installed(connection)
    wanted = derived.wanted(engine.dialect.name)
    assert held == wanted
    assert "event_measure" in held


def test_a_trigger_changed_by_hand_is_noticed_and_put_right_by_init(ownit_database_url: str) -> None:
    engine = db.make_engine(ownit_database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER request_load_insert" +
                                   (" ON request" if engine.dialect.name == "postgresql" else ""))
    assert not _holds_the_declaration(ownit_database_url)
    service.init(ownit_database_url)  # what `ownit init` does
    assert _holds_the_declaration(ownit_database_url)


def test_the_declaration_follows_the_event_classes_and_the_statuses() -> None:
    """Measured kinds and their JSON keys, and the active statuses, are read
    from the Python declarations, not copied into SQL by hand."""
    sql = " ".join(t.body + " " + (t.when or "") for t in derived.declared("sqlite"))
    for cls in events.MEASURED:
        assert f"'{cls.kind}'" in sql
        for key in events.measures(cls).values():
            assert f"'$.{key}'" in sql
    from ownit import domain

    assert "(" + ", ".join(f"'{s}'" for s in domain.ACTIVE) + ")" in sql


def test_each_measured_event_is_measured_from_its_declared_fields(ownit_demo_org: Any) -> None:
    """Work a request through every measured kind; each event's measure row
    holds the values its class declares (``measure("column")``)."""
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=dict(LEAK))
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    service.check_in(desk, ref, actor=owner, note="Roofer booked")
    service.resolve(desk, ref, actor=owner, note="Done")
    service.reopen(desk, ref, actor=AMIRA, note="Dripping again")
    columns = ", ".join(derived.MEASURE_VALUES)
    with desk.engine.connect() as connection:
        rows = connection.execute(sa.text(
            f"SELECT e.kind, e.data, {columns} FROM measure m JOIN event e ON e.id = m.event_id "
            "JOIN request r ON r.id = m.request_id WHERE r.ref = :ref ORDER BY e.id"), {"ref": ref}).all()
    assert [row[0] for row in rows] == ["contacted", "checkin", "resolved", "reopened"]
    for kind, data, *values in rows:
        data = data if isinstance(data, dict) else __import__("json").loads(data)
        measured = events.measures(events.KINDS[kind])
        expected = [data[measured[c]] if c in measured else None for c in derived.MEASURE_VALUES]
        assert [None if v is None else type(e)(v) if e is not None else v for v, e in zip(values, expected)] \
            == expected, kind


def test_a_measure_column_no_table_has_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declaring a measured field the measure table has no column for fails at
    once, naming it, instead of measuring nothing."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Timed(events.Event):
        minutes: float = events.measure("minutes")

    Timed.kind, Timed.measured = "timed", True
    monkeypatch.setattr(events, "MEASURED", (*events.MEASURED, Timed))
    with pytest.raises(ValueError, match="minutes"):
        derived.declared("sqlite")


ALTER_REQUEST = '''"""A test migration: change request the way SQLite can only do by copying it."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("request") as batch:
        batch.alter_column("title", existing_type=sa.String(200), type_=sa.String(300))
        batch.add_column(sa.Column("triage", sa.String(32), nullable=False, server_default="none"))


def downgrade():
    with op.batch_alter_table("request") as batch:
        batch.drop_column("triage")
        batch.alter_column("title", existing_type=sa.String(300), type_=sa.String(200))
'''


def test_a_migration_may_rebuild_the_request_table(ownit_demo_org: Any, tmp_path: Path) -> None:
    """SQLite's batch mode copies ``request`` to alter a column; with the
    triggers in place that broke ("no such table: main.request"). Migrations
    run without them and the declaration is installed after, so this works,
    on both databases, up and down, and the desk works on. Going down, the
    triggers come back with ``ownit init`` of the version gone back to."""
    desk = ownit_demo_org
    url = desk.url
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Before", fields=dict(LEAK))
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(db.__file__).parent / "migrations", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_alter_request.py").write_text(ALTER_REQUEST.format(head=db.head_revision()))
    config = db.migrations_config(url)
    config.set_main_option("script_location", str(scripts))

    command.upgrade(config, "head")
    assert _holds_the_declaration(url)
    with desk.engine.connect() as connection:
        columns = {c["name"]: c for c in sa.inspect(connection).get_columns("request")}
        assert "triage" in columns
        assert connection.execute(sa.text("SELECT triage FROM request WHERE ref = :ref"),
                                  {"ref": view["ref"]}).scalar() == "none"
    after = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="After", fields=dict(LEAK))
    service.contact(desk, after["ref"], actor=after["owner"]["email"], note="Hello")
    assert service.load_problems(desk) == []  # the open counts were kept through the copy and after
    with desk.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM measure")).scalar() == 1

    command.downgrade(config, db.head_revision())
    assert not _holds_the_declaration(url)  # below the head it ran for, env.py installs nothing ...
    service.init(url)  # ... until `ownit init` of the OwnIt at that revision installs its own
    assert _holds_the_declaration(url)
    assert service.show(desk, after["ref"], actor=AMIRA)["status"] == "open"
