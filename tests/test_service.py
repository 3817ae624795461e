"""The service API on a real database (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conftest import AMIRA, GRACE, HELEN, LEAK, LUCY, OWEN, PRIYA, RAJ, SAM, TOM, look
from ownit import service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ownit.models import Event, Person, Request


def raise_leak(desk, actor=AMIRA, **kwargs):
    return service.raise_request(desk, actor=actor, request_type="facilities.leak",
                                 title=kwargs.pop("title", "Roof leaking over the stockroom"),
                                 fields=kwargs.pop("fields", LEAK), **kwargs)


def kinds(view):
    return [e["kind"] for e in view["timeline"]]


def test_raising_gives_one_named_owner_and_a_promise(ownit_demo_org) -> None:
    view = raise_leak(ownit_demo_org)
    assert view["ref"] == "FAC-1001"
    assert view["owner"]["email"] in (SAM, PRIYA)
    assert view["team"]["key"] == "facilities-north"
    assert view["status"] == "open" and view["stage"] == "reported"
    assert view["progress"]["done"] == 1 and view["progress"]["total"] == 5
    assert view["priority"] == "high"  # the leak's default; not near electrics
    assert kinds(view) == ["raised", "assigned"]
    # Monday 10:00 London + 4 business hours on an 08:00-18:00 team
    assert view["promise"]["first_contact_due"] == "2026-11-23T14:00:00+00:00"
    assert view["promise"]["resolve_by"] == "2026-11-26T10:00:00+00:00"
    inbox = service.inbox(ownit_demo_org, actor=view["owner"]["email"])
    assert inbox[0]["ref"] == "FAC-1001" and inbox[0]["kind"] == "assigned"


def test_priority_and_region_routing(ownit_demo_org) -> None:
    urgent = raise_leak(ownit_demo_org, fields={"location": "till 2", "near_electrics": "yes"})
    assert urgent["priority"] == "urgent"
    south = raise_leak(ownit_demo_org, actor=GRACE)
    assert south["team"]["key"] == "facilities-south" and south["owner"]["email"] == LUCY


def test_work_is_spread_then_kept_with_the_same_person_for_the_same_requester(ownit_demo_org) -> None:
    first = raise_leak(ownit_demo_org, actor=AMIRA)["owner"]["email"]
    second = raise_leak(ownit_demo_org, actor=TOM)["owner"]["email"]
    assert {first, second} == {SAM, PRIYA}  # fewest open requests
    again = raise_leak(ownit_demo_org, actor=AMIRA)["owner"]["email"]
    assert again == first  # continuity: the right person to call


def test_skills_decide_who_can_own(ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.heating",
                                 title="Too cold", fields={"problem": "too cold"})
    assert view["owner"]["email"] == SAM  # only Sam has hvac in the north


def test_the_lead_owns_it_when_nobody_can(ownit_demo_org) -> None:
    desk = ownit_demo_org
    service.set_away(desk, actor=HELEN, email=SAM, start=date(2026, 11, 20), until=date(2026, 11, 30))
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.heating",
                                 title="Too cold", fields={"problem": "too cold"})
    assert view["owner"]["email"] == HELEN
    assigned = view["timeline"][1]
    assert "team lead" in assigned["data"]["reason"]


def test_a_full_walk_through_the_lifecycle(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    clock.advance(hours=1)
    view = service.contact(desk, ref, actor=owner, note="Called; buckets out.")
    assert view["promise"]["first_contact_at"] == clock.now().isoformat()
    assert view["promise"]["next_checkin_due"] == "2026-11-24T11:00:00+00:00"  # 1 business day on
    clock.advance(hours=2)
    view = service.check_in(desk, ref, actor=owner, note="Roofer booked.")
    assert view["promise"]["next_checkin_due"] == "2026-11-24T13:00:00+00:00"
    view = service.advance(desk, ref, actor=owner, note="Assessed.")
    assert view["stage"] == "assessed" and view["progress"]["done"] == 2
    view = service.advance(desk, ref, actor=owner, note="Booked.", to="booked")
    view = service.wait_on_requester(desk, ref, actor=owner, note="Please let the roofer in at 8.")
    assert view["status"] == "waiting"
    view = service.resume(desk, ref, actor=AMIRA, note="Roofer is in.")
    view = service.advance(desk, ref, actor=owner, note="Repaired.")
    view = service.resolve(desk, ref, actor=owner, note="Resealed.")
    assert view["status"] == "resolved" and view["stage"] == "verified"
    view = service.confirm(desk, ref, actor=AMIRA, nps=9, effort=2, comment="Great.")
    assert view["status"] == "closed" and view["progress"]["done"] == view["progress"]["total"]
    assert kinds(view) == ["raised", "assigned", "contacted", "checkin", "stage", "stage", "waiting",
                           "resumed", "stage", "resolved", "confirmed"]
    assert service.queue(desk, actor=owner) == []
    assert [r["ref"] for r in service.queue(desk, actor=owner, statuses=["closed"])] == [ref]
    messages = [n["kind"] for n in service.inbox(desk, actor=AMIRA)]
    assert {"contacted", "checkin", "stage", "waiting", "resolved"} <= set(messages)


def test_reopen_goes_back_to_the_stage_it_was_at(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = (v := raise_leak(desk))["ref"], v["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="hi")
    service.advance(desk, ref, actor=owner, note="x", to="booked")
    service.resolve(desk, ref, actor=owner, note="done")
    view = service.reopen(desk, ref, actor=AMIRA, note="Still dripping.")
    assert view["status"] == "open" and view["stage"] == "booked"
    assert view["promise"]["next_checkin_due"] is not None


@pytest.mark.parametrize("step, message", [
    (lambda d, r, o: service.resolve(d, r, actor=o, note="x"), "first contact has not been made"),
    (lambda d, r, o: service.confirm(d, r, actor=AMIRA), "it has not been resolved yet"),
    (lambda d, r, o: service.advance(d, r, actor=o, note="x"), "possible now: contact, handoff"),
])
def test_wrong_steps_are_refused_and_change_nothing(ownit_demo_org, step, message) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    with pytest.raises(Conflict, match=message):
        step(desk, view["ref"], view["owner"]["email"])
    after = service.show(desk, view["ref"], actor=HELEN)
    assert after["version"] == view["version"] and kinds(after) == ["raised", "assigned"]


def test_handoff_and_reassignment(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    other = PRIYA if owner == SAM else SAM
    with pytest.raises(ValidationError, match="is not in Facilities North"):
        service.hand_off(desk, ref, actor=owner, to=LUCY, note="x")
    with pytest.raises(ValidationError, match="note is empty"):
        service.hand_off(desk, ref, actor=owner, to=other, note="  ")
    with pytest.raises(PermissionDenied, match="only the owner"):
        service.hand_off(desk, ref, actor=other, to=other, note="mine now")
    view = service.hand_off(desk, ref, actor=owner, to=other, note="Covering Leeds this week")
    assert view["owner"]["email"] == other
    assert view["timeline"][-1]["kind"] == "handoff"
    assert view["timeline"][-1]["data"] == {"from": owner, "to": other}
    view = service.hand_off(desk, ref, actor=HELEN, to=owner, note="Back to you")
    assert view["timeline"][-1]["kind"] == "reassigned" and view["owner"]["email"] == owner
    with pytest.raises(ValidationError, match="already owned"):
        service.hand_off(desk, ref, actor=HELEN, to=owner, note="again")


def test_away_hands_everything_on_with_a_note(ownit_demo_org) -> None:
    desk = ownit_demo_org
    refs = [raise_leak(desk, actor=AMIRA)["ref"] for _ in range(3)]
    owners = {service.show(desk, r, actor=HELEN)["owner"]["email"] for r in refs}
    assert len(owners) == 1  # continuity keeps Amira with the same person
    owner = owners.pop()
    other = SAM if owner == PRIYA else PRIYA
    result = service.set_away(desk, actor=owner, email=owner, start=date(2026, 11, 23), until=date(2026, 11, 27))
    assert [m["ref"] for m in result["reassigned"]] == refs
    name = "Sam Doyle" if owner == SAM else "Priya Shah"
    for ref in refs:
        view = service.show(desk, ref, actor=HELEN)
        assert view["owner"]["email"] == other
        assert view["timeline"][-1]["kind"] == "handoff"
        assert f"{name} is away until 2026-11-27" in view["timeline"][-1]["note"]
    assert service.raise_request(desk, actor=TOM, request_type="facilities.leak", title="x",
                                 fields=LEAK)["owner"]["email"] == other  # away people get nothing new
    # a future absence changes nothing now
    result = service.set_away(desk, actor=HELEN, email=other, start=date(2026, 12, 1), until=date(2026, 12, 5))
    assert result["reassigned"] == []
    with pytest.raises(PermissionDenied):
        service.set_away(desk, actor=AMIRA, email=other, start=date(2026, 12, 1), until=date(2026, 12, 5))
    with pytest.raises(ValidationError):
        service.set_away(desk, actor=other, email=other, start=date(2026, 12, 5), until=date(2026, 12, 1))


def test_who_may_see_and_act(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk, actor=AMIRA)
    ref = view["ref"]
    assert service.show(desk, ref, actor=AMIRA)["ref"] == ref
    for outsider in (TOM, GRACE, OWEN, RAJ):  # another store, another region, another team
        with pytest.raises(NotFound):
            service.show(desk, ref, actor=outsider)
    with pytest.raises(NotFound, match="not registered"):
        service.show(desk, ref, actor="nobody@example.com")
    with pytest.raises(PermissionDenied, match="only the owner"):
        service.contact(desk, ref, actor=AMIRA, note="I'll contact myself")
    with pytest.raises(PermissionDenied):
        service.queue(desk, actor=AMIRA, team="facilities-north")
    assert service.contact(desk, ref, actor=HELEN, note="Lead calling")["status"] == "open"


def test_requesters_do_not_see_internal_entries(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref = view["ref"]
    service.hand_off(desk, ref, actor=HELEN, to=SAM if view["owner"]["email"] == PRIYA else PRIYA,
                     note="balance load")
    with desk.engine.begin() as conn:  # an internal entry, as a plugin failure would add
        conn.execute(Event.__table__.insert().values(
            request_id=1, at=desk.now(), kind="plugin_error", note="secret", internal=True, data={}))
    assert "plugin_error" in kinds(service.show(desk, ref, actor=HELEN))
    assert "plugin_error" not in kinds(service.show(desk, ref, actor=AMIRA))
    assert "reassigned" in kinds(service.show(desk, ref, actor=AMIRA))  # ownership changes are public


@pytest.mark.parametrize("kwargs, message", [
    ({"title": ""}, "the title is empty"),
    ({"title": "x" * 201}, "keep it under 200"),
    ({"title": "bell\x07"}, "control characters"),
    ({"fields": {"location": "x"}}, r"near_electrics\) is required"),
    ({"fields": {**LEAK, "colour": "red"}}, "has no field 'colour'"),
    ({"fields": {**LEAK, "near_electrics": "maybe"}}, "is not yes or no"),
    ({"needed_by": date(2026, 11, 1)}, "in the past"),
    ({"site": "S999"}, "no site"),
    ({"site": "S101"}, "your own site only"),
])
def test_bad_input_is_refused_and_nothing_is_written(ownit_demo_org, kwargs, message) -> None:
    desk = ownit_demo_org
    with pytest.raises((ValidationError, NotFound, PermissionDenied), match=message):
        raise_leak(desk, **kwargs)
    assert look(desk, lambda s: s.exec(select(Request)).all()) == []
    assert look(desk, lambda s: s.exec(select(Event)).all()) == []


def test_unknown_type_and_ref(ownit_demo_org) -> None:
    with pytest.raises(NotFound, match="unknown request type 'facilities.roof'"):
        service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.roof", title="x")
    with pytest.raises(NotFound, match="no request 'FAC-9999'"):
        service.show(ownit_demo_org, "FAC-9999", actor=AMIRA)


def test_queue_order_and_overdue(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    normal = raise_leak(desk, actor=AMIRA)
    urgent = raise_leak(desk, actor=AMIRA, fields={"location": "till", "near_electrics": "yes"})
    owner = normal["owner"]["email"]
    assert urgent["owner"]["email"] == owner
    assert [r["ref"] for r in service.queue(desk, actor=owner)] == [urgent["ref"], normal["ref"]]
    assert service.queue(desk, actor=owner, overdue=True) == []
    clock.advance(hours=5)  # past the 2h urgent and 4h high first-contact promises
    overdue = service.queue(desk, actor=owner, overdue=True)
    assert {r["ref"] for r in overdue} == {urgent["ref"], normal["ref"]} and all(r["overdue"] for r in overdue)
    service.contact(desk, urgent["ref"], actor=owner, note="on it")
    assert [r["ref"] for r in service.queue(desk, actor=owner, overdue=True)] == [normal["ref"]]
    team = service.queue(desk, actor=HELEN, team="facilities-north")
    assert {r["ref"] for r in team} == {urgent["ref"], normal["ref"]}
    with pytest.raises(ValidationError, match="unknown status"):
        service.queue(desk, actor=owner, statuses=["pending"])


def test_stale_version_is_a_clear_conflict(ownit_demo_org) -> None:
    """The repository stores a request only over the version it was read at."""
    from ownit.store import requests
    from ownit.store import unit as store

    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, other = view["ref"], SAM if view["owner"]["email"] == PRIYA else PRIYA
    stale = store.run(desk, lambda u: requests.by_ref(u, ref), write=False)  # an agent who read it a moment ago
    service.hand_off(desk, ref, actor=HELEN, to=other, note="rebalancing")
    stale.owner_id = look(desk, lambda s: s.exec(select(Person.id).where(Person.email == HELEN)).one())
    with pytest.raises(Conflict, match="changed by someone else"):
        store.run(desk, lambda u: requests.update(u, stale))
    assert service.show(desk, ref, actor=HELEN)["owner"]["email"] == other


def test_people_and_teams(ownit_demo_org) -> None:
    people = {p["email"]: p for p in service.people(ownit_demo_org)}
    assert people[AMIRA]["site"] == "S001"
    assert "lead" in people[HELEN]["roles"] and "agent" in people[SAM]["roles"]
    teams = {t["key"]: t for t in service.teams(ownit_demo_org)}
    assert teams["facilities-north"]["lead"]["email"] == HELEN
    assert {m["email"] for m in teams["facilities-north"]["members"]} == {SAM, PRIYA}


def test_every_request_has_an_existing_owner(ownit_demo_org) -> None:
    desk = ownit_demo_org
    for actor in (AMIRA, TOM, GRACE):
        raise_leak(desk, actor=actor)
    assert service.ownership_problems(desk) == []
    assert service.load_problems(desk) == []
    rows = look(desk, lambda s: s.exec(select(Request.owner_id)).all())
    assert all(isinstance(owner, int) for owner in rows)


def test_every_action_bumps_the_version_exactly_once(ownit_demo_org) -> None:
    """One action, one new version: the optimistic check counts on it (a query
    inside an action must not flush a half-made change and bump it twice)."""
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    steps = [lambda: service.contact(desk, ref, actor=owner, note="hi"),
             lambda: service.wait_on_requester(desk, ref, actor=owner, note="photo?"),
             lambda: service.resume(desk, ref, actor=AMIRA, note="sent"),
             lambda: service.check_in(desk, ref, actor=owner, note="on track"),
             lambda: service.advance(desk, ref, actor=owner, note="assessed"),
             lambda: service.resolve(desk, ref, actor=owner, note="done"),
             lambda: service.reopen(desk, ref, actor=AMIRA, note="not quite"),
             lambda: service.resolve(desk, ref, actor=owner, note="done now"),
             lambda: service.confirm(desk, ref, actor=AMIRA, nps=9),
             lambda: service.reopen(desk, ref, actor=AMIRA, note="came back")]
    version = view["version"]
    for step in steps:
        desk.clock.advance(minutes=30)
        after = step()["version"]
        assert after == version + 1, kinds(service.show(desk, ref, actor=AMIRA))[-1]
        version = after
