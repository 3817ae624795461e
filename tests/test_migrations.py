"""The Alembic migrations and the SQLModel models agree, the database itself
enforces one named owner, and upgrading (or downgrading and upgrading again)
is safe — on a SQLite file and on PostgreSQL (a private schema per test)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from conftest import AMIRA, GRACE, HELEN, LEAK, PRIYA, SAM, TOM
from ownit import db, service
from ownit.demo import ORG_FILE
from ownit.org import load_org

import ownit.models  # noqa: F401  (registers the tables on SQLModel.metadata)

TABLES = {"site", "person", "team", "team_member", "request", "event", "feedback", "notification", "ref_counter"}


def _engine(url: str) -> sa.Engine:
    return db.make_engine(url)


def _head(url: str) -> str:
    return ScriptDirectory.from_config(db.migrations_config(url)).get_current_head()


def _current(url: str) -> str | None:
    with _engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _differences(url: str) -> list[Any]:
    with _engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, SQLModel.metadata)


def _tables(url: str) -> set[str]:
    return set(sa.inspect(_engine(url)).get_table_names())


def _schema(url: str) -> dict[str, Any]:
    """Columns, indexes, keys and constraints of every table, for before/after comparisons."""
    inspector = sa.inspect(_engine(url))
    schema = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in inspector.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
            "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
        }
    return schema


def _dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every OwnIt table, in primary-key order."""
    engine = _engine(url)
    dump = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in TABLES:
                rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                dump[table.name] = [tuple(row) for row in rows]
    return dump


def _populate(desk: Any) -> list[str]:
    """Raise and work a few requests through the service so every table holds rows."""
    refs = []
    for who, title in ((AMIRA, "leak in the stockroom"), (TOM, "leak by the tills"), (GRACE, "roof drip")):
        refs.append(service.raise_request(desk, actor=who, request_type="facilities.leak", title=title,
                                          fields=dict(LEAK))["ref"])
    service.contact(desk, refs[0], actor=HELEN, note="on my way")
    first_owner = service.show(desk, refs[0], actor=HELEN)["owner"]["email"]
    other = SAM if first_owner == PRIYA else PRIYA
    service.hand_off(desk, refs[0], actor=HELEN, to=other, note="knows the building")
    service.resolve(desk, refs[0], actor=other, note="fixed the pipe")
    service.confirm(desk, refs[0], actor=AMIRA, nps=9, effort=2, comment="quick")
    return refs


# --- (a) models and migrations agree ------------------------------------------------------------


def test_fresh_database_is_at_head_and_matches_the_models(ownit_database_url: str) -> None:
    """``ownit_database_url`` is a fresh database upgraded through the shipped migrations."""
    assert _current(ownit_database_url) == _head(ownit_database_url)
    assert TABLES <= _tables(ownit_database_url)
    assert _differences(ownit_database_url) == []


def test_the_comparison_notices_a_difference(ownit_database_url: str) -> None:
    """The check above can fail: drop an index the models declare and it is reported."""
    with _engine(ownit_database_url).begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_event_request"))
    differences = _differences(ownit_database_url)
    assert [d[0] for d in differences] == ["add_index"]
    assert differences[0][1].name == "ix_event_request"
    if ownit_database_url.startswith("postgresql"):  # SQLite cannot alter a column in place
        with _engine(ownit_database_url).begin() as conn:
            conn.execute(sa.text("ALTER TABLE request ALTER COLUMN owner_id DROP NOT NULL"))
        changed = [d for d in _differences(ownit_database_url) if isinstance(d, list)]
        assert [(c[0], c[2], c[3], c[5], c[6]) for group in changed for c in group] == [
            ("modify_nullable", "request", "owner_id", True, False)]


# --- (b) one named owner, enforced by the database ----------------------------------------------


def _ids(conn: sa.Connection) -> dict[str, int]:
    one = lambda sql, **kw: conn.execute(sa.text(sql), kw).scalar_one()  # noqa: E731
    return {"person": one("SELECT id FROM person WHERE email = :e", e=AMIRA),
            "owner": one("SELECT id FROM person WHERE email = :e", e=PRIYA),
            "site": one("SELECT id FROM site WHERE code = 'S001'"),
            "team": one("SELECT id FROM team WHERE key = 'facilities-north'")}


INSERT_REQUEST = sa.text(
    "INSERT INTO request (ref, department, request_type, title, detail, fields, requester_id, site_id, team_id,"
    " owner_id, stage, status, priority, raised_at, first_contact_due, resolve_by, updated_at, version,"
    " needs_agreement, stage_due)"
    " VALUES (:ref, 'facilities', 'facilities.leak', 'raw', '', :fields, :person, :site, :team,"
    " :owner, 'reported', 'open', 'normal', :at, :at, :at, :at, 1, false, :fields)")


def _insert(url: str, *, ref: str, owner: Any) -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    if url.startswith("sqlite"):
        at = at.replace(tzinfo=None)  # stored as naive UTC text on SQLite, as models.UTCDateTime does
    with _engine(url).begin() as conn:
        ids = _ids(conn)
        conn.execute(INSERT_REQUEST, {"ref": ref, "fields": "{}", "person": ids["person"], "site": ids["site"],
                                      "team": ids["team"], "owner": ids["owner"] if owner == "valid" else owner,
                                      "at": at})


def test_owner_id_cannot_be_null_in_the_database(ownit_demo_org: Any) -> None:
    url = ownit_demo_org.url
    _insert(url, ref="RAW-1", owner="valid")  # the same row with an owner is accepted
    with pytest.raises(sa.exc.IntegrityError):
        _insert(url, ref="RAW-2", owner=None)
    with pytest.raises(sa.exc.IntegrityError):
        with _engine(url).begin() as conn:
            conn.execute(sa.text("UPDATE request SET owner_id = NULL WHERE ref = 'RAW-1'"))
    with _engine(url).connect() as conn:
        rows = conn.execute(sa.text("SELECT ref, owner_id FROM request ORDER BY ref")).all()
        owner = _ids(conn)["owner"]
    assert rows == [("RAW-1", owner)]


def test_owner_must_be_an_existing_person(ownit_demo_org: Any) -> None:
    url = ownit_demo_org.url
    with pytest.raises(sa.exc.IntegrityError):
        _insert(url, ref="RAW-3", owner=987654)
    assert service.ownership_problems(ownit_demo_org) == []
    assert service.load_problems(ownit_demo_org) == []


# --- (c) upgrading a database that holds data --------------------------------------------------


def test_upgrading_a_database_with_data_to_head_is_a_no_op(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    url = desk.url
    refs = _populate(desk)
    rows_before, schema_before = _dump(url), _schema(url)
    requesters = dict(zip(refs, (AMIRA, TOM, GRACE), strict=True))
    shown_before = [service.show(desk, ref, actor=requesters[ref]) for ref in refs]
    assert all(rows_before[t] for t in TABLES), {t for t in TABLES if not rows_before[t]}

    db.upgrade(url)  # what `ownit init` does on an existing install
    command.upgrade(db.migrations_config(url), "head")
    service.init(url)

    assert _current(url) == _head(url)
    assert _dump(url) == rows_before
    assert _schema(url) == schema_before
    assert [service.show(desk, ref, actor=requesters[ref]) for ref in refs] == shown_before
    assert _differences(url) == []
    # ... and the desk carries on where it left off.
    assert service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="another",
                                 fields=dict(LEAK))["ref"] == "FAC-1004"


# --- (d) downgrade to base, then upgrade ---------------------------------------------------------


def test_downgrade_to_base_then_upgrade(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    url = desk.url
    _populate(desk)
    schema_at_head = _schema(url)
    config = db.migrations_config(url)

    command.downgrade(config, "base")
    assert _current(url) is None
    assert _tables(url) == {"alembic_version"}, "downgrade to base left tables behind"
    if url.startswith("postgresql"):
        assert sa.inspect(_engine(url)).get_sequence_names() == [], "downgrade left sequences behind"

    command.upgrade(config, "head")
    assert _current(url) == _head(url)
    assert _schema(url) == schema_at_head
    assert _differences(url) == []
    assert all(not rows for rows in _dump(url).values()), "a recreated schema starts empty"
    # The recreated database works end to end.
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="after the round trip",
                                 fields=dict(LEAK))
    assert view["ref"] == "FAC-1001"
    assert view["owner"]["email"]


def test_every_revision_steps_down_and_up(ownit_database_url: str) -> None:
    """The stairway: each revision upgrades, downgrades one step and upgrades
    again, so every downgrade() undoes its upgrade() (checked for each
    revision that will ever be added)."""
    config = db.migrations_config(ownit_database_url)
    script = ScriptDirectory.from_config(config)
    revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
    assert revisions, "no migrations found"
    command.downgrade(config, "base")
    for revision in revisions:
        command.upgrade(config, revision.revision)
        schema = _schema(ownit_database_url)
        command.downgrade(config, revision.down_revision or "base")
        assert _current(ownit_database_url) == revision.down_revision
        command.upgrade(config, revision.revision)
        assert _schema(ownit_database_url) == schema, f"revision {revision.revision} does not round-trip"
    assert _current(ownit_database_url) == _head(ownit_database_url)
    assert _differences(ownit_database_url) == []


# --- (e) a database filled at the first revision upgrades without loss -------------------------


def test_a_database_filled_at_the_first_revision_upgrades_without_loss(ownit_demo_org: Any, tmp_path) -> None:
    """The rows OwnIt writes, restricted to the first revision's columns, in a
    database at that revision; upgraded to head, nothing is lost or changed and
    the new columns are filled as the migrations promise."""
    from ownit.desk import Desk
    from ownit.testing import fresh_database

    source = ownit_demo_org
    refs = _populate(source)
    waiting = refs[1]
    owner = service.show(source, waiting, actor=HELEN)["owner"]["email"]
    service.contact(source, waiting, actor=owner, note="hello")
    service.wait_on_requester(source, waiting, actor=owner, note="which till?")
    rows = _dump(source.url)

    kind = "sqlite" if source.url.startswith("sqlite") else "postgresql"
    (tmp_path / "first" / "db").mkdir(parents=True)
    databases = fresh_database(kind, tmp_path / "first", migrate=False)
    old = next(databases)
    try:
        db.upgrade(old, "0001")
        assert _current(old) == "0001"
        first = sa.MetaData()
        first.reflect(_engine(old))
        with _engine(source.url).connect() as read, _engine(old).begin() as write:
            for table in SQLModel.metadata.sorted_tables:  # parents before children
                if table.name not in TABLES:
                    continue
                kept = {c.name for c in first.tables[table.name].columns}
                # the model's own column types (UTC datetimes, JSON), limited to the first revision's columns
                narrow = sa.Table(table.name, sa.MetaData(), *(c._copy() for c in table.columns if c.name in kept))
                for row in read.execute(sa.select(table)).mappings():
                    write.execute(sa.insert(narrow).values({c: row[c] for c in kept}))
            if kind == "postgresql":  # the ids were given: move the sequences past them
                for name in TABLES - {"ref_counter"}:
                    write.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                          f"(SELECT coalesce(max(id), 1) FROM {name}))"))
        db.upgrade(old)
        assert _current(old) == _head(old) and _differences(old) == []

        upgraded = _dump(old)
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in TABLES:
                continue
            names = [c.name for c in table.columns]
            kept = {c.name for c in first.tables[table.name].columns}
            for before, after in zip(rows[table.name], upgraded[table.name], strict=True):
                assert {n: v for n, v in zip(names, after, strict=True) if n in kept} == \
                       {n: v for n, v in zip(names, before, strict=True) if n in kept}, table.name
        new_columns = {row[0]: dict(zip([c.name for c in SQLModel.metadata.tables["request"].columns], row,
                                        strict=True)) for row in upgraded["request"]}
        source_requests = {row[0]: dict(zip([c.name for c in SQLModel.metadata.tables["request"].columns], row,
                                            strict=True)) for row in rows["request"]}
        for request_id, after in new_columns.items():
            assert after["needs_agreement"] is False and after["stage_due"] == {}
            assert after["waiting_since"] == source_requests[request_id]["waiting_since"]  # from the events
        assert any(r["waiting_since"] is not None for r in new_columns.values())

        old_desk = Desk.open(old, clock=source.clock)
        assert service.load_problems(old_desk) == []  # each owner's open requests, counted by the upgrade
        for ref, who in zip(refs, (AMIRA, TOM, GRACE), strict=True):
            now, then = service.show(old_desk, ref, actor=who), service.show(source, ref, actor=who)
            for key in ("owner", "status", "stage", "timeline", "priority", "version"):
                assert now[key] == then[key], (ref, key)
        assert service.resume(old_desk, waiting, actor=TOM, note="till 3")["status"] == "open"
        assert service.raise_request(old_desk, actor=AMIRA, request_type="facilities.leak", title="after upgrade",
                                     fields=dict(LEAK))["ref"] == "FAC-1004"
        assert service.load_problems(old_desk) == []  # ... and kept since
    finally:
        for _ in databases:
            pass
