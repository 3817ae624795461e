"""The lifecycle rules, exhaustively: every action from every reachable state."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit import domain
from ownit.domain import ACTIONS, State
from ownit.errors import Conflict, ValidationError

ALL_STATES = [
    State(status=s, contacted=c, stage=i, stages=4, owner="1", reopenable=s == "closed" and r)
    for s, c, i, r in itertools.product(domain.STATUSES, (False, True), range(4), (False, True))
]

# The one table of what is allowed; every cell is checked below.
EXPECTED = {
    ("open", False): {"contact", "handoff"},
    ("open", True): {"checkin", "advance", "wait", "handoff", "resolve"},
    ("waiting", True): {"checkin", "resume", "handoff"},
    ("waiting", False): {"handoff"},
    ("resolved", True): {"confirm", "reopen", "handoff"},
    ("resolved", False): {"confirm", "reopen", "handoff"},
    ("closed", True): set(),
    ("closed", False): set(),
}


@pytest.mark.parametrize("state", ALL_STATES, ids=lambda s: f"{s.status}-{s.contacted}-{s.stage}-{s.reopenable}")
def test_allowed_actions_match_the_table(state: State) -> None:
    expected = set(EXPECTED[(state.status, state.contacted)])
    if state.reopenable:  # closed within the reopen window
        expected = {"reopen"}
    if state.stage == state.last_stage:
        expected.discard("advance")
    assert set(domain.allowed(state)) == expected


@pytest.mark.parametrize("state", ALL_STATES, ids=lambda s: f"{s.status}-{s.contacted}-{s.stage}-{s.reopenable}")
@pytest.mark.parametrize("action", ACTIONS)
def test_every_illegal_move_names_the_allowed_ones(state: State, action: str) -> None:
    if action in domain.allowed(state):
        domain.check(state, action, "FAC-1")
        return
    with pytest.raises(Conflict) as caught:
        domain.check(state, action, "FAC-1")
    message = str(caught.value)
    assert message.startswith(f"cannot {domain.SAID[action]} FAC-1: ")  # in words, not the command's name
    assert ("possible now: " + (", ".join(domain.allowed(state)) or "nothing")) in message


def test_the_happy_path() -> None:
    state = State(status="open", contacted=False, stage=0, stages=3, owner="1")
    for action in ("contact", "checkin", "advance", "wait", "resume", "resolve", "confirm"):
        state = domain.apply(state, action, ref="FAC-1")
    assert state == State(status="closed", contacted=True, stage=2, stages=3, owner="1")


def test_advance_to_a_named_stage_must_move_forward() -> None:
    state = State(status="open", contacted=True, stage=1, stages=4, owner="1")
    assert domain.apply(state, "advance", to_stage=3).stage == 3
    with pytest.raises(ValidationError):
        domain.apply(state, "advance", to_stage=1)
    with pytest.raises(ValidationError):
        domain.apply(state, "advance", to_stage=0)


def test_reopen_restores_the_stage_before_resolving() -> None:
    state = State(status="open", contacted=True, stage=1, stages=4, owner="1")
    resolved = domain.apply(state, "resolve")
    assert resolved.stage == 3
    assert domain.apply(resolved, "reopen", to_stage=1) == state


def test_a_closed_request_reopens_only_within_the_window() -> None:
    closed = State(status="closed", contacted=True, stage=3, stages=4, owner="1")
    with pytest.raises(Conflict, match="closed too long ago"):
        domain.apply(closed, "reopen")
    reopened = domain.apply(replace(closed, reopenable=True), "reopen", to_stage=2)
    assert reopened == State(status="open", contacted=True, stage=2, stages=4, owner="1")


def test_handoff_needs_a_different_named_person() -> None:
    state = State(status="open", contacted=True, stage=0, stages=2, owner="1")
    with pytest.raises(ValidationError):
        domain.apply(state, "handoff", new_owner="")
    with pytest.raises(ValidationError):
        domain.apply(state, "handoff", new_owner="1")
    assert domain.apply(state, "handoff", new_owner="2").owner == "2"


@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(["1", "2", "3", ""]),
                          st.integers(0, 5)), max_size=40))
def test_no_sequence_of_commands_leaves_a_request_without_exactly_one_owner(steps) -> None:
    state = State(status="open", contacted=False, stage=0, stages=4, owner="1")
    for action, person, stage in steps:
        try:
            state = domain.apply(state, action, new_owner=person, to_stage=stage)
        except (Conflict, ValidationError):
            pass  # refused moves change nothing
        assert isinstance(state.owner, str) and state.owner in {"1", "2", "3"}
        assert state.status in domain.STATUSES
        assert 0 <= state.stage < state.stages
