"""Raises and check-ins on PostgreSQL from 1, 2 and 4 processes, against raw psycopg.

    python bench/pg_throughput.py --db postgresql://postgres@127.0.0.1:5432/test [--n 100000] [--actions 400]

A database of its own on the given server is filled with N requests (a tenth
open) and copied (``CREATE DATABASE ... TEMPLATE``) for every run, so each
starts from the same rows. For 1, 2 and then 4 processes, each process raises
its share of ``--actions`` requests through ``ownit.service.raise_request``,
then checks in on its share of ``--actions`` open requests through
``ownit.service.check_in``, all processes at once, on a brief desk (the
check-in answers with the request's line, as the command line and the UI get
it: ``Desk.brief``); the figure is actions per second, with every error
printed (there should be none). Before the clock starts each process does
``WARM_UP`` actions of the same kind on requests of their own, as a server
that has been running has: without them, loading the modules an action needs
and starting its hook worker were counted in the first timed actions, 70-100
ms of CPU a process, which made each of the 100 actions of each of four
processes take 0.7-1 ms more of it.

The baseline in the same run is those very actions' SQL replayed with psycopg
alone: the statements OwnIt sent, with their values, are recorded on another
copy (per action, one list per transaction), and each process replays its
share, each action's transactions in turn, on a third copy; a new request's id
is put in place of the recorded one in the statements that follow its INSERT.
An action's transactions are its unit of work, the unit that records after
the commit what the plugins did with its notifications, and, for a raise, the
short transaction its ref is taken in (``Unit.apart``, committed on another
connection before the raise goes on): the replay commits that one first, so
the baseline holds the counter's row no longer than OwnIt does.

The replay is run twice: each statement sent on its own, as psycopg does by
default (the issue's anchor), and with the transactions OwnIt batches
(``batched=True``: the delivery marks, the ref's) sent the same way, each as
one message written out on the client (``ownit.store.sql.Batched``), the
tighter floor.
"""

from __future__ import annotations

import functools
import multiprocessing
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa
from _common import NOW, arguments, desk_for, fill, release, report

from ownit import service
from ownit.models import Person, Request

REQUESTERS = ["amira.khan@example.com", "tom.hughes@example.com", "grace.okafor@example.com",
              "noah.clarke@example.com", "isla.fraser@example.com", "ben.carter@example.com"]
LEAK = {"location": "stockroom", "near_electrics": "no"}
PROCESSES = (1, 2, 4)
WARM_UP = 20  # actions of the same kind each OwnIt process does before the clock starts, on requests of their own

Step = tuple[str, str, str]  # ("raise", requester, title) or ("check-in", ref, owner)
Statements = list[tuple[str, Any, Any, bool]]  # (sql, parameters, what it returned, executemany)
Unit = tuple[bool, Statements]  # one transaction: whether OwnIt batched it, and its statements
Recorded = list[list[Unit]]  # per action, its transactions in order


def _act(desk: Any, step: Step) -> None:
    kind, first, second = step
    if kind == "raise":
        service.raise_request(desk, actor=first, request_type="facilities.leak", title=second, fields=LEAK)
    else:
        service.check_in(desk, first, actor=second, note="still on it")


# --- databases of the benchmark's own -----------------------------------------------------------------


class Server:
    """Databases made on the server at ``base`` for this run, dropped at exit."""

    def __init__(self, base: str) -> None:
        import atexit

        self.base = sa.make_url(base).set(drivername="postgresql+psycopg")
        self.admin = sa.create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []
        atexit.register(self.drop)

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"ownit_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return name

    def drop(self) -> None:
        with self.admin.connect() as connection:
            for name in self.made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _filled(server: Server, n: int) -> str:
    from random import Random

    from ownit.demo import ORG_FILE
    from ownit.org import load_org

    name = server.create()
    url = server.url(name)
    service.init(url)
    desk = desk_for(url)
    load_org(desk, ORG_FILE)
    started = time.perf_counter()
    fill(desk, n, Random(8))
    print(f"  filled {n:,} requests in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    release(url)  # a template must have no one connected
    return name


def _plan(url: str, actions: int) -> tuple[dict[str, list[Step]], dict[str, list[Step]]]:
    """The timed steps of each kind, and the warm-up steps (``WARM_UP`` for each
    of the most processes), each check-in on a request of its own."""
    warm = WARM_UP * max(PROCESSES)
    desk = desk_for(url)
    with desk.engine.connect() as connection:
        rows = connection.execute(sa.select(Request.ref, Person.email).join(Person, Person.id == Request.owner_id)
                                  .where(Request.status == "open", Request.first_contact_at.is_not(None))
                                  .order_by(Request.id).limit(actions + warm)).all()
    release(url)
    raises = [("raise", REQUESTERS[i % len(REQUESTERS)], f"bench leak {i}") for i in range(actions + warm)]
    checkins = [("check-in", ref, owner) for ref, owner in rows]
    return ({"raise": raises[:actions], "check-in": checkins[:actions]},
            {"raise": raises[actions:], "check-in": checkins[actions:]})


# --- through OwnIt --------------------------------------------------------------------------------------


def _ownit_worker(url: str, steps: list[Step], barrier: Any, queue: Any, warm: list[Step]) -> None:
    desk = desk_for(url, brief=True)  # the answer the command line and the UI get
    for step in warm:  # what a long-running process has done already: its modules loaded, its statements prepared
        _act(desk, step)
    errors: list[str] = []
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for step in steps:
        try:
            _act(desk, step)
        except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
            errors.append(repr(exc))
    queue.put((len(steps), time.perf_counter() - started, time.process_time() - cpu, errors))


def _record(url: str, shares: list[list[Step]]) -> list[Recorded]:
    """Each share's units of work as OwnIt sent them to the server, one share after another."""
    from ownit.store import sql as store_sql
    from ownit.store import unit as store_unit

    units: list[Statements] = []
    batched: list[bool] = []
    real = store_unit.run, store_sql.Cursor._run, store_sql.Cursor.first, store_sql.Cursor.executemany, \
        store_unit.Unit.apart, store_sql.Batched._run

    def run(desk: Any, work: Any, **kwargs: Any) -> Any:
        units.append([])
        batched.append(bool(kwargs.get("batched")))
        return real[0](desk, work, **kwargs)

    def execute(self: Any, sql: str, params: Any) -> None:
        units[-1].append((sql, params, None, False))
        real[1](self, sql, params)

    def queue(self: Any, sql: str, params: Any) -> None:
        units[-1].append((sql, params, None, False))
        real[5](self, sql, params)

    def first(self: Any) -> Any:
        found = real[2](self)
        sql, params, _, many = units[-1][-1]
        units[-1][-1] = (sql, params, found, many)
        return found

    def executemany(self: Any, statement: Any, rows: Any) -> None:
        compiled = statement.compiled(self.dialect)
        if isinstance(statement, store_sql.Insert):
            rows = [statement.row(row) for row in rows]
        units[-1].append((compiled.sql, [self._params(compiled, row) for row in rows], None, True))
        real[3](self, statement, rows)

    def apart(self: Any, statement: Any, **kwargs: Any) -> Any:
        """The side transaction's statement as a transaction of its own, ahead of the unit's (batched, as OwnIt sends it)."""
        before, units[-1] = units[-1], []
        was, batched[-1] = batched[-1], True
        try:
            return real[4](self, statement, **kwargs)
        finally:
            units.append(before)
            batched.append(was)

    store_unit.run, store_sql.Cursor._run, store_sql.Cursor.first, store_sql.Cursor.executemany, \
        store_unit.Unit.apart, store_sql.Batched._run = run, execute, first, executemany, apart, queue
    try:
        desk = desk_for(url, brief=True)
        recorded: list[Recorded] = []
        for share in shares:
            recorded.append([])
            for step in share:
                units.clear()
                batched.clear()
                _act(desk, step)
                kept = [(batch, unit) for batch, unit in zip(batched, units, strict=True)
                        if any(not sql.lstrip().startswith("SELECT") for sql, *_ in unit)]
                if not kept:
                    raise SystemExit(f"recorded no write for {step}")
                recorded[-1].append(kept)
        release(url)
        return recorded
    finally:
        store_unit.run, store_sql.Cursor._run, store_sql.Cursor.first, store_sql.Cursor.executemany, \
            store_unit.Unit.apart, store_sql.Batched._run = real


# --- the same SQL with psycopg alone ------------------------------------------------------------------


def _raw_worker(url: str, actions: Recorded, barrier: Any, queue: Any, batching: bool = False) -> None:
    import psycopg

    connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    together = psycopg.connect(connection.info.dsn, autocommit=True)  # a batched unit's one message
    cursor, client = connection.cursor(), psycopg.ClientCursor(together)
    new_ids: dict[Any, Any] = {}
    errors: list[str] = []
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for units in actions:
        for batched, unit in units:
            try:
                if batching and batched:
                    _sent_together(client, unit, new_ids)
                    continue
                _replayed(cursor, unit, new_ids)
                connection.commit()
            except Exception as exc:  # noqa: BLE001
                connection.rollback()
                errors.append(repr(exc))
    queue.put((len(actions), time.perf_counter() - started, time.process_time() - cpu, errors))
    connection.close()
    together.close()


def _replayed(cursor: Any, unit: Statements, new_ids: dict[Any, Any]) -> None:
    """One recorded transaction's statements sent again (not committed)."""
    for sql, params, returned, many in unit:
        if many:
            cursor.executemany(sql, [_renumbered(row, new_ids) for row in params])
            continue
        cursor.execute(sql, _renumbered(params, new_ids))
        if cursor.description is not None:
            found = cursor.fetchone()
            cursor.fetchall()
            if sql.startswith("INSERT INTO request") and returned is not None and found is not None:
                new_ids[returned[0]] = found[0]


def _sent_together(client: Any, unit: Statements, new_ids: dict[Any, Any]) -> None:
    """One recorded transaction written out on the client and sent as one message, its last result read."""
    client.execute("; ".join(client.mogrify(sql, _renumbered(row, new_ids)) for sql, params, _, many in unit
                             for row in (params if many else [params])), prepare=False)
    while client.nextset():
        pass
    if client.description is not None:
        client.fetchall()


def _renumbered(params: Any, new_ids: dict[Any, Any]) -> Any:
    """``params`` naming a request raised in this replay by the id it has here."""
    if isinstance(params, dict) and params.get("request_id") in new_ids:
        return {**params, "request_id": new_ids[params["request_id"]]}
    return params


def _at_once(target: Any, url: str, shares: list[Any], *extra: list[Any]) -> tuple[float, float, list[str]]:
    """Actions per second with one process per share, all started together,
    and the client processes' CPU time per action (milliseconds, every thread).
    ``extra``: more arguments, one list with an item for each process."""
    context = multiprocessing.get_context("spawn")
    queue, barrier = context.Queue(), context.Barrier(len(shares))
    workers = [context.Process(target=target, args=(url, share, barrier, queue, *(e[i] for e in extra)))
               for i, share in enumerate(shares)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join()
    done = sum(n for n, _, _, _ in results)
    return done / max(seconds for _, seconds, _, _ in results), \
        1000 * sum(cpu for _, _, cpu, _ in results) / max(done, 1), \
        [e for *_, errors in results for e in errors]


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000, actions=(400, "raises, and check-ins, per run"))
    if not args.db or not args.db.startswith("postgresql"):
        sys.exit("give --db postgresql://...: this benchmark is about PostgreSQL")
    server = Server(args.db)
    template = _filled(server, args.n)
    plan, warm = _plan(server.url(template), args.actions)
    rows, notes, all_errors = [], [], []
    for processes in PROCESSES:
        ownit_url, record_url, raw_url, batch_url = (server.url(server.create(template)) for _ in range(4))
        for kind, steps in plan.items():
            shares = [steps[i::processes] for i in range(processes)]
            warming = [warm[kind][i * WARM_UP:(i + 1) * WARM_UP] for i in range(processes)]
            rate, cpu, errors = _at_once(_ownit_worker, ownit_url, shares, warming)
            recorded = _record(record_url, shares)
            raw_rate, raw_cpu, raw_errors = _at_once(_raw_worker, raw_url, recorded)
            batch_rate, _, batch_errors = _at_once(functools.partial(_raw_worker, batching=True), batch_url,
                                                   recorded)
            all_errors += errors + raw_errors + batch_errors
            label = f"{processes} process{'es' if processes > 1 else ''}"
            rows.append((f"{kind}s through ownit.service, {label}", [rate], "/s"))
            rows.append((f"  the same SQL with psycopg, {label}", [raw_rate], "/s"))
            rows.append((f"  the same, batched as OwnIt batches, {label}", [batch_rate], "/s"))
            notes.append(f"{kind}s, {label}: ratio to raw psycopg {rate / raw_rate:.2f}, "
                         f"to raw batched as OwnIt {rate / batch_rate:.2f}; client CPU per action "
                         f"{cpu:.2f} ms (raw psycopg {raw_cpu:.2f} ms)")
    report(f"PostgreSQL throughput, {NOW:%Y-%m-%d}", desk_for(server.url(template)), args.n, rows,
           notes + [f"errors: {len(all_errors)}"] + all_errors[:5])


if __name__ == "__main__":
    main()
