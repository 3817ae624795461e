"""What the UI's pages read from the service: who would own a new request,
a team's queue with its filters, colleagues' requests at the same site, the
teams a person works in, and the reopen window after closing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from conftest import AMIRA, GRACE, HELEN, JAMES, LEAK, NADIA, NOAH, OWEN, PRIYA, RAJ, SAM, resolved_leak, look
from ownit import service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ownit.models import Event, Request, TeamMember


def raise_leak(desk, actor=AMIRA, **fields):
    return service.raise_request(desk, actor=actor, request_type="facilities.leak",
                                 title="Roof leaking over the stockroom", fields={**LEAK, **fields})


def counts(desk):
    def work(session):
        return (session.exec(select(func.count()).select_from(Request)).one(),
                session.exec(select(func.count()).select_from(Event)).one(),
                sorted((m.person_id, str(m.last_assigned_at)) for m in session.exec(select(TeamMember))))
    return look(desk, work)


def by_department(answer):
    return {line["department"]["key"]: line for line in answer["departments"]}


def test_who_names_the_person_a_new_request_would_get_and_creates_nothing(ownit_demo_org) -> None:
    desk = ownit_demo_org
    before = counts(desk)
    answer = service.who(desk, actor=AMIRA)
    assert answer["site"]["code"] == "S001"
    lines = by_department(answer)
    assert set(lines) == {"facilities", "hr", "it"}
    facilities = lines["facilities"]
    assert facilities["team"]["key"] == "facilities-north" and facilities["lead"]["email"] == HELEN
    assert facilities["owner"]["email"] in (SAM, PRIYA) and facilities["request_type"]["key"] == "facilities.leak"
    assert lines["hr"]["owner"]["email"] == JAMES and lines["hr"]["lead"]["email"] == NADIA  # covers the north
    assert lines["it"]["lead"]["email"] == RAJ
    assert counts(desk) == before  # nothing raised, nobody marked as just assigned
    assert service.who(desk, actor=AMIRA) == answer  # so asking again gives the same answer

    raised = raise_leak(desk)
    assert raised["owner"]["email"] == facilities["owner"]["email"]  # the same choice, for real


def test_who_for_another_site_and_one_request_type(ownit_demo_org) -> None:
    desk = ownit_demo_org
    south = by_department(service.who(desk, actor=AMIRA, site="s101"))
    assert south["facilities"]["team"]["key"] == "facilities-south" and south["facilities"]["lead"]["email"] == OWEN
    kit = service.who(desk, actor=GRACE, request_type="it.broken_kit")
    assert [line["request_type"]["key"] for line in kit["departments"]] == ["it.broken_kit"]
    assert kit["departments"][0]["first_contact_within"] == "1 business day"
    with pytest.raises(NotFound, match="no site 'S999'; sites: HQ, S001"):
        service.who(desk, actor=AMIRA, site="S999")
    with pytest.raises(NotFound, match="unknown request type"):
        service.who(desk, actor=AMIRA, request_type="facilities.nope")


def test_who_follows_absence_and_continuity(ownit_demo_org) -> None:
    desk = ownit_demo_org
    first = raise_leak(desk)["owner"]["email"]
    assert by_department(service.who(desk, actor=AMIRA))["facilities"]["owner"]["email"] == first  # continuity
    from datetime import timedelta
    today = desk.now().date()
    service.set_away(desk, actor=HELEN, email=first, start=today, until=today + timedelta(days=7))
    other = by_department(service.who(desk, actor=AMIRA))["facilities"]["owner"]["email"]
    assert other != first and other in (SAM, PRIYA)


def test_team_queue_filters(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    urgent = raise_leak(desk, location="till", near_electrics="yes")  # first contact within 2h
    normal = service.raise_request(desk, actor=NOAH, request_type="facilities.fixture", title="Shelf bay 12 loose",
                                   fields={"item": "shelf bay 12"})  # first contact within a business day
    team = "facilities-north"
    refs = lambda **kw: [r["ref"] for r in service.queue(desk, actor=HELEN, team=team, **kw)]  # noqa: E731
    assert refs(due_today=True) == [urgent["ref"]]
    assert refs(overdue=True) == [] and refs() == [urgent["ref"], normal["ref"]]
    clock.advance(hours=3)
    assert refs(overdue=True) == [urgent["ref"]] and refs(due_today=True) == []
    owner = urgent["owner"]["email"]
    assert set(refs(owner=owner)) == {r["ref"] for r in (urgent, normal) if r["owner"]["email"] == owner}
    service.contact(desk, urgent["ref"], actor=owner, note="Coming at two")
    service.wait_on_requester(desk, urgent["ref"], actor=owner, note="Send a photo of the ceiling")
    assert refs(statuses=["waiting"]) == [urgent["ref"]]
    with pytest.raises(ValidationError, match="exclude each other"):
        service.queue(desk, actor=HELEN, team=team, overdue=True, due_today=True)
    with pytest.raises(ValidationError, match="within a team's queue"):
        service.queue(desk, actor=HELEN, owner=SAM)
    with pytest.raises(PermissionDenied, match="not in Facilities South"):
        service.queue(desk, actor=SAM, team="facilities-south")


def test_colleagues_at_the_same_site_see_what_is_being_worked_but_never_restricted_cases(ownit_demo_org) -> None:
    desk = ownit_demo_org
    leak = raise_leak(desk, actor=NOAH)
    service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="A concern about a colleague",
                          fields={"summary": "Something happened on the late shift", "at_risk": "no", "about": "conduct"})
    assert [r["ref"] for r in service.site_requests(desk, actor=AMIRA)] == [leak["ref"]]
    assert service.site_requests(desk, actor=NOAH) == []  # their own are under My requests
    assert service.site_requests(desk, actor=GRACE) == []  # another store


def test_memberships(ownit_demo_org) -> None:
    desk = ownit_demo_org
    assert service.memberships(desk, actor=AMIRA) == []
    [sam] = service.memberships(desk, actor=SAM)
    assert sam["key"] == "facilities-north" and not sam["leads"]
    assert {m["email"] for m in sam["members"]} == {SAM, PRIYA}
    [helen] = service.memberships(desk, actor=HELEN)
    assert helen["leads"] and helen["lead"]["email"] == HELEN


def test_a_closed_request_can_be_reopened_for_five_business_days(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    ref, owner = resolved_leak(desk)
    closed = service.confirm(desk, ref, actor=AMIRA, nps=9)
    assert closed["status"] == "closed" and closed["allowed"] == ["reopen"]
    assert closed["reopen_until"].startswith("2026-11-30T10:00")  # Monday 10:00 to Monday 10:00
    clock.advance(days=4)
    reopened = service.reopen(desk, ref, actor=AMIRA, note="Dripping again after the rain")
    assert reopened["status"] == "open" and reopened["closed_at"] is None and reopened["reopen_until"] is None
    assert reopened["promise"]["next_checkin_due"] is not None
    service.resolve(desk, ref, actor=owner, note="New flashing fitted")
    service.confirm(desk, ref, actor=AMIRA)
    clock.advance(days=8)  # past five business days
    late = service.show(desk, ref, actor=AMIRA)
    assert late["allowed"] == []
    with pytest.raises(Conflict, match="closed too long ago"):
        service.reopen(desk, ref, actor=AMIRA, note="Again")
    with pytest.raises(NotFound):
        service.reopen(desk, ref, actor=GRACE, note="Not mine")  # not even visible: another store


def test_the_view_says_what_the_viewer_may_do(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    assert view["viewer"] == {"email": AMIRA, "requester": True, "works_it": False, "staff": False,
                              "watching": False, "manages_watchers": True}
    owner = service.show(desk, view["ref"], actor=view["owner"]["email"])["viewer"]
    assert owner["works_it"] and owner["staff"] and not owner["requester"]
    lead = service.show(desk, view["ref"], actor=HELEN)["viewer"]
    assert lead["works_it"] and lead["staff"]
    colleague = service.show(desk, view["ref"], actor=NOAH)["viewer"]
    assert colleague == {"email": NOAH, "requester": False, "works_it": False, "staff": False,
                         "watching": False, "manages_watchers": False}


def test_team_summary_counts_in_all_and_per_owner(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    urgent = raise_leak(desk, location="till", near_electrics="yes")  # first contact due in 2h
    calm = service.raise_request(desk, actor=NOAH, request_type="facilities.fixture", title="Shelf loose",
                                 fields={"item": "shelf bay 12"})  # due tomorrow
    summary = service.team_summary(desk, actor=HELEN, team="facilities-north")
    assert (summary["open"], summary["overdue"], summary["due_today"], summary["waiting"]) == (2, 0, 1, 0)
    clock.advance(hours=3)
    owner = urgent["owner"]["email"]
    service.contact(desk, calm["ref"], actor=calm["owner"]["email"], note="Booked")
    service.wait_on_requester(desk, calm["ref"], actor=calm["owner"]["email"], note="Which bay exactly?")
    summary = service.team_summary(desk, actor=SAM, team="facilities-north")
    assert (summary["open"], summary["overdue"], summary["due_today"], summary["waiting"]) == (1, 1, 0, 1)
    assert summary["owners"][0]["email"] == owner and summary["owners"][0]["overdue"] == 1  # the most pressing first
    assert sum(o["open"] + o["waiting"] for o in summary["owners"]) == 2
    with pytest.raises(PermissionDenied):
        service.team_summary(desk, actor=AMIRA, team="facilities-north")
