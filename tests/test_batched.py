"""Units whose statements go to the server together (``batched=True`` on
``ownit.store.unit.run``; ``Unit.apart``): on PostgreSQL they are written out
on the client and sent with the commit as one message, which the server runs
as one transaction; a read inside sends what is queued and still gets its
rows, converted as anywhere else; an error is raised when the queue is sent
and leaves nothing of the unit behind. On SQLite nothing changes."""

from __future__ import annotations

from datetime import timedelta, timezone

import psycopg
import pytest
import sqlalchemy as sa

from conftest import AMIRA, LEAK
from ownit import service
from ownit.store import outbox
from ownit.store import unit as store
from ownit.store.sql import Sql

MARK = Sql("UPDATE notification SET attempts = attempts + 1 WHERE id = :note")
READ = Sql("SELECT id, created_at, data FROM notification WHERE id = :note", when=("created_at",), json=("data",))


@pytest.fixture
def notes(ownit_demo_org) -> list[int]:
    """The notifications of one leak raised by Amira."""
    desk = ownit_demo_org
    ref = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)["ref"]
    return store.run(desk, lambda u: [row[0] for row in u.db.execute(Sql(
        "SELECT n.id FROM notification n JOIN request r ON r.id = n.request_id WHERE r.ref = :ref ORDER BY n.id"),
        ref=ref).all()], write=False)


def test_a_batched_unit_reads_what_an_unbatched_one_reads(ownit_demo_org, notes) -> None:
    desk = ownit_demo_org

    def work(u: store.Unit) -> tuple:
        u.db.execute(MARK, note=notes[0])
        record = u.db.execute(READ, note=notes[0]).records()[0]
        core = u.db.run(sa.select(outbox.TABLE.c.attempts, outbox.TABLE.c.created_at)
                        .where(outbox.TABLE.c.id == notes[0])).first()
        u.db.execute(MARK, note=notes[0])  # and a write after the reads, in the same transaction
        return record.id, record.created_at, record.data, core

    plain = store.run(desk, work)
    batched = store.run(desk, work, durable=False, batched=True)
    assert batched[:3] == plain[:3]
    assert batched[1].tzinfo is not None and batched[1].utcoffset() == timedelta(0)  # aware UTC, as anywhere
    assert isinstance(batched[2], dict)  # JSON as Python values
    assert batched[3] == (plain[3][0] + 2, plain[3][1])
    assert batched[3][1].astimezone(timezone.utc) == batched[1]


def test_a_failing_batched_unit_writes_nothing(ownit_demo_org, notes) -> None:
    desk = ownit_demo_org
    before = store.run(desk, lambda u: u.db.execute(READ, note=notes[0]).records()[0], write=False)

    def work(u: store.Unit) -> None:
        u.db.execute(MARK, note=notes[0])
        u.db.execute(Sql("UPDATE notification SET person_id = NULL WHERE id = :note"), note=notes[1])  # NOT NULL

    with pytest.raises(sa.exc.IntegrityError, match="person_id"):  # a bug, raised as it is (store.run)
        store.run(desk, work, durable=False, batched=True)
    after = store.run(desk, lambda u: u.db.execute(READ, note=notes[0]).records()[0], write=False)
    assert after == before

    # and the pooled connection it ran on is fit for the next unit, which is one transaction again
    def marked_then_failed(u: store.Unit) -> None:
        u.db.execute(MARK, note=notes[0])
        raise ValueError("after the mark")

    with pytest.raises(ValueError, match="after the mark"):
        store.run(desk, marked_then_failed)
    assert store.run(desk, lambda u: u.db.execute(READ, note=notes[0]).records()[0], write=False) == before


def test_a_batched_unit_failing_after_a_read_writes_nothing_either(ownit_demo_org, notes) -> None:
    """The read sent the first mark, in the transaction it began: the failure
    after it takes that back too."""
    desk = ownit_demo_org
    before = store.run(desk, lambda u: u.db.execute(READ, note=notes[0]).records()[0], write=False)

    def work(u: store.Unit) -> None:
        u.db.execute(MARK, note=notes[0])
        u.db.execute(READ, note=notes[0]).first()
        u.db.execute(MARK, note=notes[0])
        raise ValueError("after the read")

    with pytest.raises(ValueError, match="after the read"):
        store.run(desk, work, durable=False, batched=True)
    assert store.run(desk, lambda u: u.db.execute(READ, note=notes[0]).records()[0], write=False) == before
    assert store.run(desk, lambda u: u.db.execute(MARK, note=notes[0]).rowcount) == 1  # the connection is fit


def test_on_postgresql_a_batched_unit_sends_nothing_before_its_commit(ownit_demo_org, notes) -> None:
    """Its statements are queued and go with the commit, in one message (what
    that saves is measured by bench/pg_throughput.py, not asserted here): until
    then the server has not even begun a transaction for it."""
    desk = ownit_demo_org
    if not desk.url.startswith("postgresql"):
        pytest.skip("SQLite runs in the process: there are no round trips to save")

    def marks(u: store.Unit) -> str:
        for note in notes:
            u.db.execute(MARK, note=note)
        return psycopg.pq.TransactionStatus(u.db.cursor.connection.pgconn.transaction_status).name

    def attempts() -> list[int]:
        return store.run(desk, lambda u: [n for n, in u.db.run(sa.select(outbox.TABLE.c.attempts).where(
            outbox.TABLE.c.id.in_(notes)).order_by(outbox.TABLE.c.id)).all()], write=False)

    def read_then_marked(u: store.Unit) -> str:
        u.db.execute(READ, note=notes[0]).first()
        return marks(u)

    before = attempts()
    assert store.run(desk, marks, durable=False) == "INTRANS"
    assert store.run(desk, marks, durable=False, batched=True) == "IDLE"
    assert store.run(desk, read_then_marked, durable=False, batched=True) == "INTRANS"  # the read began it
    assert attempts() == [n + 3 for n in before]
