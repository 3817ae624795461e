"""The tables the database keeps by itself, declared once, in Python.

Four things are derived from what OwnIt writes, by database triggers, so that
no writer can forget them and a bulk write keeps them too:

- **open counts**: ``person.open_requests``, each owner's requests in an
  active status (:data:`ownit.domain.ACTIVE`), which owner choice reads;
- **the organisation's generation**: ``org_state.generation`` takes a fresh
  random value whenever a column the in-memory directory holds changes
  (:data:`ORG_COLUMNS`), so a desk knows when to read it again;
- **measures**: one ``measure`` row per measured event (:data:`ownit.events.MEASURED`),
  its columns filled from the fields each event class declares with
  ``measure("column")``, with the request's scope; moved with the request when
  it changes owner or team; none for a mystery request (``mystery``), which
  service health leaves out;
- **day tallies' freshness**: a day of service-health tallies stops being
  current (``tally_day`` loses it) when anything it counted changes.

The triggers are generated here for SQLite and PostgreSQL from those
declarations. They are not written in migrations: the migration environment
(``ownit/migrations/env.py``) drops them before the migrations of an upgrade
run, so any migration may rebuild any table (SQLite's batch mode copies a
table, which a trigger naming it would break), and installs this declaration
once the database is at the head revision; ``ownit init`` does the same when
the declaration changed. ``tests/test_derived.py`` compares what the database
holds with :func:`wanted`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .. import domain, events
from .directory import ORG_COLUMNS

# What a day's tally counts of a request itself: its scope, and its first contact (missed ones count)
REQUEST_SCOPE = ("owner_id", "team_id", "department", "first_contact_at", "first_contact_due")
# The request's columns each measure row copies, besides the event's own
MEASURE_SCOPE = ("department", "team_id", "owner_id", "site_id", "request_type")
MEASURE_VALUES = ("on_time", "checkin_missed", "hours", "days", "waiting_hours")


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # INSERT, DELETE or UPDATE OF ...
    body: str  # statements, each ending in ';'
    when: str | None = None
    per_row: bool = True


def _quoted(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class _Dialect:
    """The few places SQLite and PostgreSQL write the same thing differently."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pg = name == "postgresql"

    def changed(self, columns: tuple[str, ...]) -> str:
        test = "OLD.{0} IS DISTINCT FROM NEW.{0}" if self.pg else "OLD.{0} IS NOT NEW.{0}"
        return " OR ".join(test.format(c) for c in columns)

    def day(self, column: str) -> str:
        """The UTC day of a stored datetime, as ``tally_day.day`` holds it."""
        return f"({column} AT TIME ZONE 'UTC')::date" if self.pg else f"date({column})"

    def json_value(self, row: str, key: str, sql_type: str) -> str:
        if self.pg:
            return f"({row}.data->>'{key}')::{sql_type}"
        return f"json_extract({row}.data, '$.{key}')"

    def new_generation(self) -> str:
        return "md5(random()::text || clock_timestamp()::text)" if self.pg else "lower(hex(randomblob(16)))"


def declared(dialect_name: str) -> list[Trigger]:
    """Every trigger OwnIt wants in a database of ``dialect_name``."""
    d = _Dialect(dialect_name)
    active = _quoted(domain.ACTIVE)
    triggers = [
        # open counts
        Trigger("request_load_insert", "request", "INSERT", when=f"NEW.status IN {active}",
                body="UPDATE person SET open_requests = open_requests + 1 WHERE id = NEW.owner_id;"),
        Trigger("request_load_delete", "request", "DELETE", when=f"OLD.status IN {active}",
                body="UPDATE person SET open_requests = open_requests - 1 WHERE id = OLD.owner_id;"),
        Trigger("request_load_update", "request", "UPDATE OF owner_id, status",
                when=d.changed(("owner_id", "status")),
                body=f"UPDATE person SET open_requests = open_requests - 1 WHERE id = OLD.owner_id "
                     f"AND OLD.status IN {active}; "
                     f"UPDATE person SET open_requests = open_requests + 1 WHERE id = NEW.owner_id "
                     f"AND NEW.status IN {active};"),
    ]
    # the organisation's generation (PostgreSQL: once per statement, a bulk load is one bump)
    bump = f"UPDATE org_state SET generation = {d.new_generation()};"
    for table, columns in ORG_COLUMNS.items():
        for event in ("INSERT", "DELETE", f"UPDATE OF {', '.join(columns)}"):
            triggers.append(Trigger(f"{table}_org_{event.split()[0].lower()}", table, event, body=bump,
                                    per_row=not d.pg))
    # measures: one trigger for every measured kind (a trigger costs each event written its start), each
    # column taken from the JSON key the kinds that measure it declare, NULL for the others
    types = {"on_time": "boolean", "checkin_missed": "boolean", "hours": "double precision",
             "days": "double precision", "waiting_hours": "double precision"}
    sources: dict[str, dict[str, list[str]]] = {column: {} for column in MEASURE_VALUES}  # column -> key -> kinds
    for cls in events.MEASURED:
        keys = events.measures(cls)
        unknown = set(keys) - set(MEASURE_VALUES)
        if unknown:
            raise ValueError(f"{cls.__name__} measures {sorted(unknown)}, which the measure table has no column for")
        for column, key in keys.items():
            sources[column].setdefault(key, []).append(cls.kind)

    def value(column: str) -> str:
        cases = " ".join(f"WHEN NEW.kind IN {_quoted(tuple(kinds))} THEN {d.json_value('NEW', key, types[column])}"
                         for key, kinds in sources[column].items())
        return f"CASE {cases} END" if cases else "NULL"

    measured = tuple(cls.kind for cls in events.MEASURED)
    triggers.append(Trigger(
        "event_measure", "event", "INSERT", when=f"NEW.kind IN {_quoted(measured)}",
        body=f"INSERT INTO measure (event_id, request_id, kind, at, {', '.join(MEASURE_SCOPE)}, "
             f"{', '.join(MEASURE_VALUES)}) SELECT NEW.id, NEW.request_id, NEW.kind, NEW.at, "
             f"{', '.join('r.' + c for c in MEASURE_SCOPE)}, {', '.join(value(c) for c in MEASURE_VALUES)} "
             "FROM request r WHERE r.id = NEW.request_id "
             # a mystery request is worked like any other but counts in no service health figure
             "AND NOT EXISTS (SELECT 1 FROM mystery m WHERE m.request_id = r.id);"))
    triggers.append(Trigger(
        "request_measure_moves", "request", "UPDATE OF owner_id, team_id", when=d.changed(("owner_id", "team_id")),
        body="UPDATE measure SET owner_id = NEW.owner_id, team_id = NEW.team_id WHERE request_id = NEW.id;"))
    # day tallies: a day stops being current when anything it counted changes

    def stale(row: str, column: str) -> str:
        return f"DELETE FROM tally_day WHERE day = {d.day(f'{row}.{column}')};"

    def ratings_stale(row: str) -> str:
        return f"DELETE FROM tally_day WHERE day IN (SELECT {d.day('f.at')} FROM feedback f WHERE f.request_id = {row}.id);"

    for table in ("measure", "feedback"):
        triggers += [Trigger(f"{table}_tally_insert", table, "INSERT", body=stale("NEW", "at")),
                     Trigger(f"{table}_tally_update", table, "UPDATE", body=stale("OLD", "at") + " " + stale("NEW", "at")),
                     Trigger(f"{table}_tally_delete", table, "DELETE", body=stale("OLD", "at"))]
    triggers += [
        Trigger("request_tally_insert", "request", "INSERT", body=stale("NEW", "first_contact_due")),
        Trigger("request_tally_update", "request", f"UPDATE OF {', '.join(REQUEST_SCOPE)}",
                when=d.changed(REQUEST_SCOPE),
                body=f"{stale('OLD', 'first_contact_due')} {stale('NEW', 'first_contact_due')} {ratings_stale('NEW')}"),
        Trigger("request_tally_delete", "request", "DELETE",
                body=f"{stale('OLD', 'first_contact_due')} {ratings_stale('OLD')}"),
    ]
    return triggers


def _function_body(trigger: Trigger) -> str:
    return f" BEGIN {trigger.body} RETURN NULL; END "


def statements(trigger: Trigger, dialect_name: str) -> list[str]:
    """The SQL that creates ``trigger``."""
    when = f" WHEN ({trigger.when})" if trigger.when else ""
    if dialect_name == "postgresql":
        return [f"CREATE FUNCTION ownit_{trigger.name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$${_function_body(trigger)}$$",
                f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} "
                f"FOR EACH {'ROW' if trigger.per_row else 'STATEMENT'}{when} EXECUTE FUNCTION ownit_{trigger.name}()",
                f"COMMENT ON TRIGGER {trigger.name} ON {trigger.table} IS '{_fingerprint(trigger, dialect_name)}'"]
    return [f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table}{when} BEGIN {trigger.body} END"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fingerprint(trigger: Trigger, dialect_name: str) -> str:
    if dialect_name == "postgresql":  # the trigger's definition, and its function's source as PostgreSQL keeps it
        definition = f"{trigger.name} {trigger.event} {trigger.table} {trigger.per_row} {trigger.when}"
        return f"{_digest(definition)}:{_digest(_function_body(trigger))}"
    return _digest(statements(trigger, dialect_name)[0])


def wanted(dialect_name: str) -> dict[str, str]:
    """``{trigger name: fingerprint}`` of the declaration, to compare with :func:`installed`."""
    return {t.name: _fingerprint(t, dialect_name) for t in declared(dialect_name)}


def installed(connection: Any) -> dict[str, str]:
    """``{trigger name: fingerprint}`` of the triggers the database holds on
    OwnIt's tables (PostgreSQL: in the connection's current schema)."""
    import sqlalchemy as sa

    if connection.dialect.name != "postgresql":
        rows = connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        return {name: _digest(sql) for name, sql in rows}
    rows = connection.execute(sa.text(
        "SELECT t.tgname, obj_description(t.oid, 'pg_trigger'), p.prosrc FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")).all()
    return {name: f"{(comment or '').split(':')[0]}:{_digest(source)}" for name, comment, source in rows}


def drop(connection: Any) -> None:
    """Drop every trigger on OwnIt's tables (and, on PostgreSQL, OwnIt's trigger functions)."""
    import sqlalchemy as sa

    if connection.dialect.name != "postgresql":
        for (name,) in connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
            connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
        return
    for name, table in connection.execute(sa.text(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")).all():
        connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
    for (name,) in connection.execute(sa.text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype "
            "AND p.proname LIKE :prefix"), {"prefix": "ownit\\_%"}).all():
        connection.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{name}"()')


def install(connection: Any) -> None:
    """Create the declared triggers (after :func:`drop`)."""
    dialect = connection.dialect.name
    for trigger in declared(dialect):
        for sql in statements(trigger, dialect):
            connection.exec_driver_sql(sql)


def current(connection: Any) -> bool:
    """Whether the database holds exactly the declared triggers."""
    return installed(connection) == wanted(connection.dialect.name)


def sync(connection: Any) -> bool:
    """Make the database hold exactly the declared triggers; ``True`` if it had to."""
    if current(connection):
        return False
    drop(connection)
    install(connection)
    return True
