"""A department's refs (``FAC-1001``, ``FAC-1002`` ...) under concurrent raises.

On PostgreSQL the number is taken in a short transaction of its own
(``ownit.store.requests.next_ref``, ``Unit.apart``), so a raise holds the
department's counter row only for that moment, not until it commits: raises
of one department no longer wait for each other there. On SQLite the writers
take turns anyway and the number is counted inside the raise. Threads are
enough here: each raise runs on a connection of its own from the pool, and
what is tested is whom the database makes wait.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import psycopg
import pytest
from sqlmodel import func, select

from conftest import AMIRA, GRACE, LEAK, TOM, look
from ownit import service
from ownit.desk import Desk
from ownit.errors import ConfigError, Conflict
from ownit.models import Person, Request
from ownit.store import connections, requests

GUARD = 60  # seconds a thread may take before the test gives up on it (a hang, never a measure)


def _raise(desk: Any, actor: str = AMIRA, title: str = "leak") -> str:
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title=title,
                                 fields=dict(LEAK))["ref"]


def _twin(desk: Any) -> Desk:
    """Another desk on the same database, as another thread of a server would have."""
    return Desk(url=desk.url, plugins=desk.plugins, clock=desk.clock)


def _in_thread(name: str, action: Callable[[], str], done: dict[str, Any]) -> threading.Thread:
    """``action`` on a thread of its own; its ref, or what it raised, in ``done[name]``."""
    def body() -> None:
        try:
            done[name] = action()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            done[name] = exc

    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread


def _stored(desk: Any) -> dict[str, str]:
    """Each stored request's ref and its owner's email."""
    def work(session: Any) -> dict[str, str]:
        emails = {p.id: p.email for p in session.exec(select(Person))}
        return {r.ref: emails.get(r.owner_id) for r in session.exec(select(Request))}

    return look(desk, work)


def _postgresql(desk: Any) -> None:
    if desk.connections.dialect != "postgresql":
        pytest.skip("SQLite's writers take turns: a second raise waits for the first's commit there, by design "
                    "(test_concurrent_raises_get_distinct_refs checks its refs)")


def test_a_raise_does_not_wait_on_the_counter_of_a_raise_still_running(ownit_demo_org: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    desk = ownit_demo_org
    _postgresql(desk)
    numbered, go = threading.Event(), threading.Event()
    insert = requests.insert

    def held_insert(u: Any, row: Any) -> None:
        if threading.current_thread().name == "A":  # A has its ref; it waits inside its unit of work
            numbered.set()
            go.wait(GUARD)
        insert(u, row)

    monkeypatch.setattr(requests, "insert", held_insert)
    done: dict[str, Any] = {}
    first = _in_thread("A", lambda: _raise(_twin(desk), AMIRA, "A's leak"), done)
    try:
        assert numbered.wait(GUARD), f"A never reached its insert: {done.get('A')!r}"
        second = _in_thread("B", lambda: _raise(_twin(desk), TOM, "B's leak"), done)
        second.join(GUARD)
        assert not second.is_alive(), "B waited for A, still inside its unit of work"
        assert "A" not in done, "A finished before it was let go"
    finally:
        go.set()
    first.join(GUARD)
    assert not first.is_alive()
    assert (done["A"], done["B"]) == ("FAC-1001", "FAC-1002")
    stored = _stored(desk)
    assert set(stored) == {"FAC-1001", "FAC-1002"}
    assert all(stored.values()), f"a request without a named owner: {stored}"
    assert service.ownership_problems(desk) == []


def test_concurrent_raises_get_distinct_refs(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    threads, each = 4, 5
    done: dict[str, Any] = {}
    actors = (AMIRA, TOM, GRACE, AMIRA)

    def raises(index: int) -> Callable[[], Any]:
        twin = _twin(desk)
        return lambda: [_raise(twin, actors[index], f"leak {index}.{step}") for step in range(each)]

    started = [_in_thread(f"raiser {i}", raises(i), done) for i in range(threads)]
    for thread in started:
        thread.join(GUARD)
    failed = [value for value in done.values() if isinstance(value, BaseException)]
    assert not failed, failed[0]
    refs = [ref for value in done.values() for ref in value]
    assert len(refs) == threads * each and len(set(refs)) == len(refs), "two raises were given the same ref"
    stored = _stored(desk)
    assert set(stored) == set(refs) and all(stored.values())
    if desk.connections.dialect == "sqlite":  # no raise failed, so none left a gap
        assert set(refs) == {f"FAC-{1001 + i}" for i in range(len(refs))}


# --- the counter's own transaction failing ----------------------------------------------------------------


def _counted(desk: Any) -> int:
    return look(desk, lambda session: session.exec(select(func.count()).select_from(Request)).one())


def test_a_lock_timeout_taking_the_ref_is_busy_and_writes_nothing(ownit_demo_org: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    desk = ownit_demo_org
    _postgresql(desk)
    assert _raise(desk) == "FAC-1001"
    opened = connections.Pool._postgresql

    def impatient(pool: connections.Pool) -> Any:
        connection = opened(pool)
        connection.execute("SET lock_timeout = '50ms'")
        connection.commit()
        return connection

    monkeypatch.setattr(connections.Pool, "_postgresql", impatient)
    connections.dispose(desk.url)
    with psycopg.connect(connections.Pool.of(desk.url).conninfo) as holder:
        holder.execute("SELECT value FROM ref_counter WHERE prefix = 'FAC' FOR UPDATE")
        with pytest.raises(Conflict, match="is busy .*try again in a moment"):
            _raise(desk, TOM)
        assert _counted(desk) == 1
    assert _raise(desk, TOM) == "FAC-1002"  # what the failed tries counted was rolled back with them


def test_a_connection_refused_for_the_ref_is_one_line_and_writes_nothing(ownit_demo_org: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    desk = ownit_demo_org
    _postgresql(desk)
    opened, calls = connections.Pool._postgresql, []

    def second_refused(pool: connections.Pool) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the unit's own connection opened, the counter's refused
            raise psycopg.OperationalError("connection failed: server closed the connection unexpectedly")
        return opened(pool)

    monkeypatch.setattr(connections.Pool, "_postgresql", second_refused)
    connections.dispose(desk.url)
    with pytest.raises(ConfigError, match="^cannot reach the database at .*: connection failed"):
        _raise(desk)
    assert _counted(desk) == 0
    assert _raise(desk) == "FAC-1001"
