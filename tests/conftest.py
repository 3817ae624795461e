"""Shared test helpers. The fixtures themselves come from ``ownit.testing``
(the same ones plugin authors get)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ownit import hookimpl

# People of the demo organisation (ownit/demo/org.toml) the tests act as.
AMIRA = "amira.khan@example.com"  # store manager, S001 Leeds (north)
NOAH = "noah.clarke@example.com"  # assistant store manager, S001 Leeds (Amira's colleague)
TOM = "tom.hughes@example.com"  # store manager, S002 York (north)
GRACE = "grace.okafor@example.com"  # store manager, S101 Bristol (south)
HELEN = "helen.price@example.com"  # facilities lead, north
SAM = "sam.doyle@example.com"  # facilities north: building, plumbing, hvac
PRIYA = "priya.shah@example.com"  # facilities north: building, security
OWEN = "owen.ellis@example.com"  # facilities lead, south
LUCY = "lucy.ward@example.com"  # facilities south
RAJ = "raj.patel@example.com"  # IT lead (not in facilities)
CHLOE = "chloe.martin@example.com"  # IT support analyst (tills)
JAMES = "james.wright@example.com"  # HR partner, north
NADIA = "nadia.rossi@example.com"  # HR lead

LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}


def resolved_leak(desk, actor: str = AMIRA) -> tuple[str, str]:
    """A roof leak raised by ``actor``, contacted and resolved by its owner: (ref, owner email)."""
    from ownit import service

    view = service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Roof patched")
    return ref, owner


def moved_on_leak(desk, actor: str = AMIRA) -> tuple[str, str]:
    """A roof leak raised by ``actor``, contacted, checked in on and moved on to
    its second stage by its owner, each note ending in its own punctuation: (ref, owner email)."""
    from ownit import service

    view = service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way.")
    service.check_in(desk, ref, actor=owner, note="Roofer booked!")
    service.advance(desk, ref, actor=owner, note="Assessed: flashing torn.")
    return ref, owner


# A week of service by hand, for the service-health tests (tests/test_metrics.py tells it in full):
# in Facilities North, A and B raised Monday 23 November 2026, contacted, checked in or not, resolved,
# rated, B reopened and resolved again; C raised in Bristol (Facilities South) and never contacted.
def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


SINCE, UNTIL = at(23, 0), at(28, 0)


@pytest.fixture
def history(ownit_demo_org):
    from ownit import service

    desk, clock = ownit_demo_org, ownit_demo_org.clock

    def raise_leak(actor, when):
        clock.set(when)
        return service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Leak", fields=LEAK)

    def step(when, action, *args, **kwargs):
        clock.set(when)
        return action(desk, *args, **kwargs)

    a = raise_leak(AMIRA, at(23, 10))
    b = raise_leak(TOM, at(23, 10, 30))
    a_owner, b_owner = a["owner"]["email"], b["owner"]["email"]
    assert a_owner != b_owner  # the work is spread
    step(at(23, 12), service.contact, a["ref"], actor=a_owner, note="On my way")
    step(at(23, 16, 30), service.contact, b["ref"], actor=b_owner, note="Sorry, busy day")
    c = raise_leak(GRACE, at(24, 9))
    step(at(24, 11), service.check_in, a["ref"], actor=a_owner, note="Roofer tomorrow")
    step(at(25, 10), service.resolve, a["ref"], actor=a_owner, note="Resealed")
    step(at(25, 11), service.confirm, a["ref"], actor=AMIRA, nps=10, effort=2)
    step(at(26, 12), service.resolve, b["ref"], actor=b_owner, note="Patched")
    step(at(26, 13), service.confirm, b["ref"], actor=TOM, nps=5, effort=5)
    step(at(27, 10), service.reopen, b["ref"], actor=TOM, note="Dripping again")
    step(at(27, 15), service.resolve, b["ref"], actor=b_owner, note="Flashing replaced")
    clock.set(at(27, 16))
    return desk, a_owner, b_owner, c


def look(desk, work):
    """What the database holds, read with an ORM session of the test's own (the
    service never uses one: its units of work run on the driver)."""
    from sqlmodel import Session

    with Session(desk.engine, expire_on_commit=False) as session:
        return work(session)


def units_sent(monkeypatch) -> list[list[str]]:
    """The SQL each unit of work sends from now on (``ownit.store.unit.run``),
    a list per unit in the order they run: what an action costs in round
    trips, counted rather than timed."""
    from ownit.store import sql, unit

    units: list[list[str]] = []
    run, executemany = unit.run, sql.Cursor.executemany

    def counted_run(desk, work, **kwargs):
        units.append([])
        return run(desk, work, **kwargs)

    def counting(execute):
        def counted(self, statement, params):
            if units:
                units[-1].append(statement)
            execute(self, statement, params)

        return counted

    def counted_executemany(self, statement, rows):
        if units:
            units[-1].append(statement.compiled(self.dialect).sql)
        executemany(self, statement, rows)

    monkeypatch.setattr(unit, "run", counted_run)
    monkeypatch.setattr(sql.Cursor, "_run", counting(sql.Cursor._run))
    monkeypatch.setattr(sql.Batched, "_run", counting(sql.Batched._run))  # queued, sent with the unit's commit
    monkeypatch.setattr(sql.Cursor, "executemany", counted_executemany)
    return units


# A team for a department a test declares ("upkeep"), in the demo's north, with Sam as its one member.
UPKEEP_TEAM = """
[[team]]
key = "upkeep-north"
name = "Upkeep North"
department = "upkeep"
regions = ["north"]
lead = "helen.price@example.com"
calendar = { timezone = "Europe/London", days = "MO-FR", hours = "08:00-18:00" }
members = [{ email = "sam.doyle@example.com", skills = [], capacity = 10 }]
"""


class Upkeep:
    """The "upkeep" department a test declares: a subclass names its request
    ``TYPES`` and adds any hooks of its own."""

    TYPES: tuple = ()

    @hookimpl
    def ownit_register_departments(self, register):
        from ownit import Department

        register(Department(key="upkeep", name="Upkeep", prefix="UPK", request_types=self.TYPES))


def raise_page(at, department: str):
    """AppTest ``at`` (test_ui's ``app`` fixture) on the raise page, ``department`` (its name) chosen."""
    at.run()
    at.switch_page("views/raise_request.py").run()
    chosen = next(s for s in at.selectbox if s.label == "Department")
    chosen.set_value(next(d for d in chosen.options if department in str(d))).run()
    return at


def with_department(desk, plugin, org_text: str, tmp_path, monkeypatch):
    """``desk`` with the department ``plugin`` declares installed (for the
    service, and for the command line and the pages, which load plugins
    themselves) and ``org_text`` loaded, which gives it a team."""
    from ownit.plugins import build_plugins
    from ownit.testing import load_org_text

    plugins = build_plugins(extra=[("upkeep", plugin)])
    monkeypatch.setattr("ownit.plugins._loaded", plugins)
    desk.plugins = plugins
    load_org_text(desk, org_text, tmp_path)
    return desk
