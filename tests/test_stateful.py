"""Random sequences of real service calls never leave a request without
exactly one named owner, and the timeline records every accepted action."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlmodel import select

from conftest import AMIRA, HELEN, LEAK, PRIYA, SAM, TOM, look
from ownit import service
from ownit.clock import FixedClock
from ownit.db import upgrade
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.errors import OwnitError
from ownit.models import Event, Person, Request
from ownit.org import load_org
from ownit.plugins import build_plugins

PLUGINS = build_plugins()
AGENTS = [SAM, PRIYA, HELEN]
ACTIONS = ["contact", "check_in", "advance", "wait_on_requester", "resume", "resolve", "reopen"]


class DeskMachine(RuleBasedStateMachine):
    @initialize()
    def open_desk(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self.dir.name) / 'desk.db'}"
        upgrade(url)
        self.desk = Desk(url=url, plugins=PLUGINS,
                         clock=FixedClock(datetime(2026, 11, 23, 10, tzinfo=timezone.utc)))
        load_org(self.desk, ORG_FILE, skip_missing_departments=True)
        self.refs: list[str] = []
        self.accepted = 0

    def teardown(self) -> None:
        if hasattr(self, "desk"):
            self.desk.engine.dispose()
            self.dir.cleanup()

    @rule(requester=st.sampled_from([AMIRA, TOM]), electrics=st.booleans())
    def raise_one(self, requester, electrics) -> None:
        view = service.raise_request(self.desk, actor=requester, request_type="facilities.leak", title="Leak",
                                     fields={**LEAK, "near_electrics": "yes" if electrics else "no"})
        self.refs.append(view["ref"])
        self.accepted += 2  # raised + assigned

    @rule(data=st.data(), action=st.sampled_from(ACTIONS), actor=st.sampled_from(AGENTS + [AMIRA]))
    def act(self, data, action, actor) -> None:
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        try:
            getattr(service, action)(self.desk, ref, actor=actor, note="note")
            self.accepted += 1
        except OwnitError:
            pass

    @rule(data=st.data(), actor=st.sampled_from(AGENTS), to=st.sampled_from(AGENTS + [TOM, "x@example.com"]))
    def hand_off(self, data, actor, to) -> None:
        if not self.refs:
            return
        try:
            service.hand_off(self.desk, data.draw(st.sampled_from(self.refs)), actor=actor, to=to, note="cover")
            self.accepted += 1
        except OwnitError:
            pass

    @rule(who=st.sampled_from([SAM, PRIYA]), days=st.integers(-2, 3))
    def away(self, who, days) -> None:
        start = date(2026, 11, 23) + timedelta(days=days)
        result = service.set_away(self.desk, actor=HELEN, email=who, start=start, until=start + timedelta(days=3))
        self.accepted += len(result["reassigned"])

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours) -> None:
        self.desk.clock.advance(hours=hours)

    @invariant()
    def one_named_owner_and_a_complete_timeline(self) -> None:
        if not hasattr(self, "desk"):
            return

        def check(session):
            people = {p.id for p in session.exec(select(Person))}
            for req in session.exec(select(Request)):
                assert req.owner_id in people
            assert len(session.exec(select(Event)).all()) == self.accepted

        look(self.desk, check)
        assert service.ownership_problems(self.desk) == []
        assert service.load_problems(self.desk) == []


DeskMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_desk_state_machine = DeskMachine.TestCase
