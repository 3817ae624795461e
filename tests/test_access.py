"""Who may see and do what, through the service API: the whole matrix of
people around one store's roof leak, and an HR case nobody else may see.
A refusal changes nothing; a request someone may not see is "not found"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import AMIRA, CHLOE, GRACE, HELEN, JAMES, LEAK, NADIA, NOAH, OWEN, PRIYA, RAJ, SAM, TOM
from ownit import service
from ownit.errors import NotFound, PermissionDenied

OWNER, TEAMMATE = "owner", "teammate"  # the leak's owner and the other Facilities North coordinator
PEOPLE = [AMIRA, NOAH, TOM, GRACE, OWNER, TEAMMATE, HELEN, OWEN, RAJ, CHLOE]
# what each may do with Amira's leak: allowed (True), refused (PermissionDenied) or not even shown (NotFound)
MATRIX = {
    #            show      note     internal  work      confirm   team queue
    AMIRA:     (True,     True,    PermissionDenied, PermissionDenied, True, PermissionDenied),
    NOAH:      (True,     PermissionDenied, PermissionDenied, PermissionDenied, PermissionDenied, PermissionDenied),
    TOM:       (NotFound, NotFound, NotFound, NotFound, NotFound, PermissionDenied),
    GRACE:     (NotFound, NotFound, NotFound, NotFound, NotFound, PermissionDenied),
    OWNER:     (True,     True,    True,     True,     PermissionDenied, True),
    TEAMMATE:  (True,     True,    True,     PermissionDenied, PermissionDenied, True),
    HELEN:     (True,     True,    True,     True,     PermissionDenied, True),
    OWEN:      (NotFound, NotFound, NotFound, NotFound, NotFound, PermissionDenied),
    RAJ:       (NotFound, NotFound, NotFound, NotFound, NotFound, PermissionDenied),
    CHLOE:     (NotFound, NotFound, NotFound, NotFound, NotFound, PermissionDenied),
}
ACTIONS = ("show", "note", "internal", "work", "confirm", "team queue")


def act(desk, action: str, ref: str, who: str):
    if action == "show":
        return service.show(desk, ref, actor=who)
    if action == "note":
        return service.add_note(desk, ref, actor=who, note="a word")
    if action == "internal":
        return service.add_note(desk, ref, actor=who, note="between us", internal=True)
    if action == "work":
        return service.check_in(desk, ref, actor=who, note="on it")
    if action == "confirm":
        return service.confirm(desk, ref, actor=who, nps=9)
    return service.queue(desk, actor=who, team="facilities-north")


@pytest.mark.parametrize("person", PEOPLE, ids=lambda p: p.split("@")[0])
def test_the_access_matrix(ownit_demo_org, person: str) -> None:
    desk = ownit_demo_org
    for action, expected in zip(ACTIONS, MATRIX[person], strict=True):
        view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
        ref, owner = view["ref"], view["owner"]["email"]
        service.contact(desk, ref, actor=owner, note="hello")
        if action == "confirm":
            service.resolve(desk, ref, actor=owner, note="done")
        who = {OWNER: owner, TEAMMATE: PRIYA if owner == SAM else SAM}.get(person, person)
        before = service.show(desk, ref, actor=HELEN)
        if expected is True:
            act(desk, action, ref, who)
        else:
            with pytest.raises(expected):
                act(desk, action, ref, who)
            after = service.show(desk, ref, actor=HELEN)
            assert after["version"] == before["version"] and after["timeline"] == before["timeline"], action


def test_a_restricted_case_is_seen_by_the_requester_and_hr_only(ownit_demo_org) -> None:
    desk = ownit_demo_org
    case = service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="A concern about a colleague",
                                 fields={"about": "conduct", "at_risk": "no", "summary": "On the late shift"})
    assert case["owner"]["email"] == JAMES  # the north's HR partner
    for insider in (NOAH, JAMES, NADIA):
        assert service.show(desk, case["ref"], actor=insider)["ref"] == case["ref"]
    for outsider in (AMIRA, HELEN, SAM, RAJ):  # the same store, other teams: nobody else
        with pytest.raises(NotFound):
            service.show(desk, case["ref"], actor=outsider)
    assert case["ref"] not in [r["ref"] for r in service.site_requests(desk, actor=AMIRA)]


def test_internal_notes_never_reach_the_requester_anywhere(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    service.add_note(desk, view["ref"], actor=HELEN, note="contractor is expensive", internal=True)
    assert "contractor is expensive" not in str(service.show(desk, view["ref"], actor=AMIRA))
    assert "contractor is expensive" not in str(service.my_requests(desk, actor=AMIRA))
    assert "contractor is expensive" not in str(service.inbox(desk, actor=AMIRA))
    assert "contractor is expensive" in str(service.show(desk, view["ref"], actor=SAM))


def test_only_the_person_or_their_lead_records_an_absence(ownit_demo_org) -> None:
    desk = ownit_demo_org
    today = desk.now().date()
    for stranger in (PRIYA, OWEN, AMIRA):
        with pytest.raises(PermissionDenied):
            service.set_away(desk, actor=stranger, email=SAM, start=today, until=today + timedelta(days=2))
    assert service.set_away(desk, actor=HELEN, email=SAM, start=today, until=today + timedelta(days=2))
    assert service.set_away(desk, actor=GRACE, email=GRACE, start=today, until=today + timedelta(days=1))


def test_the_service_never_takes_a_missing_actor_for_the_system(ownit_demo_org) -> None:
    """``actor=None`` (what an edge passes when nobody said who they are) is
    refused by every action; only :data:`ownit.SYSTEM`, which no edge can
    produce from what it is given, acts as OwnIt."""
    from ownit import SYSTEM
    from ownit.errors import NotFound, PermissionDenied

    desk = ownit_demo_org
    ref = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak",
                                fields={"location": "x", "near_electrics": "no"})["ref"]
    for actor in (None, "", "  "):
        with pytest.raises(PermissionDenied, match="who are you"):
            service.add_note(desk, ref, actor=actor, note="as whom?")
        with pytest.raises(PermissionDenied, match="who are you"):
            service.show(desk, ref, actor=actor)
    with pytest.raises(NotFound, match="not registered"):
        service.add_note(desk, ref, actor="ownit.SYSTEM", note="a string is a string")
    view = service.add_note(desk, ref, actor=SYSTEM, note="From OwnIt")
    assert view["timeline"][-1]["actor_name"] == "OwnIt" and view["timeline"][-1]["actor"] is None
