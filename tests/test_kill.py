"""A process killed with SIGKILL in the middle of raising requests leaves the
database consistent: no half-written request, every request owned, the file
intact (SQLite) — and the desk works on."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import AMIRA, HELEN, LEAK, look
from ownit import service

pytestmark = pytest.mark.slow

# Raises requests in a loop; a plugin sleeps inside each raise's transaction
# (while choosing the owner), so that a kill usually lands mid-transaction.
WRITER = """
import sys, time
from ownit import hookimpl, service
from ownit.desk import Desk
from ownit.plugins import build_plugins

class Slow:
    @hookimpl
    def ownit_choose_owner(self, request, team):
        time.sleep(0.02)

url = sys.argv[1]
desk = Desk(url=url, plugins=build_plugins(extra=[("slow", Slow())]))
first = True
while True:
    service.raise_request(desk, actor="amira.khan@example.com", request_type="facilities.leak", title="leak",
                          fields={"location": "x", "near_electrics": "no"})
    service.add_note(desk, "FAC-1001", actor="amira.khan@example.com", note="still here")
    if first:  # one whole raise before the kill can come, however slow the machine
        print("ready", flush=True)
        first = False
"""


def test_kill_9_mid_transaction_leaves_nothing_half_written(ownit_demo_org) -> None:
    desk = ownit_demo_org
    first = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="First", fields=LEAK)
    assert first["ref"] == "FAC-1001"
    rng = random.Random(9)
    kills = 4
    for _ in range(kills):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, desk.url], stdout=subprocess.PIPE,
                                  env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.3, 0.8))
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=10) == -signal.SIGKILL

    def audit(session):
        from sqlalchemy import text

        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        partial = session.execute(text(
            "select r.ref from request r where "
            "(select count(*) from event e where e.request_id = r.id and e.kind in ('raised', 'assigned')) <> 2"
        )).scalars().all()
        refs = session.execute(text("select count(*), count(distinct ref) from request")).one()
        return partial, refs

    partial, (count, distinct) = look(desk, audit)
    assert partial == [] and count == distinct and count > 1
    assert service.ownership_problems(desk) == []
    assert service.load_problems(desk) == []
    notes = [e for e in service.show(desk, "FAC-1001", actor=HELEN)["timeline"] if e["kind"] == "note"]
    assert all(e["note"] == "still here" for e in notes)
    after = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="After", fields=LEAK)
    assert after["owner"]["email"] and service.show(desk, after["ref"], actor=AMIRA)["title"] == "After"
