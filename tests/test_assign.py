"""Choosing the one named owner: pure rules."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from ownit.assign import Candidate, TeamCover, choose_owner, route_by_region

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 2, tzinfo=timezone.utc)


def person(pid: int, *, skills=("building",), capacity=10, open_count=0, last=None, away=False) -> Candidate:
    return Candidate(person_id=pid, email=f"p{pid}@x.com", skills=frozenset(skills), capacity=capacity,
                     open_count=open_count, last_assigned_at=last, away=away)


def test_fewest_open_requests_wins() -> None:
    choice = choose_owner([person(1, open_count=3), person(2, open_count=1)], required_skills=["building"], lead_id=9)
    assert choice.person_id == 2
    assert "fewest open" in choice.reason


def test_ties_go_to_whoever_was_assigned_least_recently() -> None:
    members = [person(1, last=T1), person(2, last=T0), person(3, last=None, open_count=1)]
    assert choose_owner(members, required_skills=[], lead_id=9).person_id == 2
    assert choose_owner([person(1, last=T0), person(2, last=None)], required_skills=[], lead_id=9).person_id == 2


def test_away_unskilled_and_full_members_are_passed_over() -> None:
    members = [person(1, away=True), person(2, skills=("hvac",)), person(3, capacity=2, open_count=2),
               person(4, open_count=5)]
    assert choose_owner(members, required_skills=["building"], lead_id=9).person_id == 4


def test_the_lead_owns_it_when_nobody_qualifies() -> None:
    choice = choose_owner([person(1, away=True)], required_skills=["building"], lead_id=9)
    assert choice.person_id == 9
    assert "team lead" in choice.reason and "building" in choice.reason


def test_continuity_keeps_the_requester_with_their_last_owner() -> None:
    members = [person(1, open_count=0), person(2, open_count=4)]
    assert choose_owner(members, required_skills=[], lead_id=9, continuity_id=2).person_id == 2
    # ... but only when that person still qualifies
    members = [person(1), person(2, away=True)]
    assert choose_owner(members, required_skills=[], lead_id=9, continuity_id=2).person_id == 1


def test_exclude_skips_the_person_going_away() -> None:
    assert choose_owner([person(1), person(2, open_count=3)], required_skills=[], lead_id=9,
                        exclude_id=1).person_id == 2


@given(st.lists(st.builds(person, st.integers(1, 50), skills=st.sets(st.sampled_from(["a", "b"])),
                          capacity=st.integers(1, 5), open_count=st.integers(0, 6), away=st.booleans()),
                max_size=8, unique_by=lambda c: c.person_id),
       st.sets(st.sampled_from(["a", "b"])))
def test_the_choice_is_always_one_qualified_member_or_the_lead(members, skills) -> None:
    choice = choose_owner(members, required_skills=sorted(skills), lead_id=99)
    chosen = [m for m in members if m.person_id == choice.person_id]
    if chosen:
        m = chosen[0]
        assert not m.away and skills <= m.skills and m.open_count < m.capacity
        qualified = [c for c in members if not c.away and skills <= c.skills and c.open_count < c.capacity]
        assert m.open_count == min(c.open_count for c in qualified)
    else:
        assert choice.person_id == 99
        assert not any(not c.away and skills <= c.skills and c.open_count < c.capacity for c in members)


def test_routing_by_region_then_national() -> None:
    teams = [TeamCover("north", ("north",)), TeamCover("south", ("south", "west")), TeamCover("all", ())]
    assert route_by_region(teams, "west") == "south"
    assert route_by_region(teams, "east") == "all"
    assert route_by_region(teams[:2], "east") is None
