"""Incidents: one problem affecting many stores, with one named owner, told
to every affected requester on their own card (the service, the command line
and the UI), on SQLite and PostgreSQL.

The demo organisation's north region has Amira Khan and Noah Clarke (S001
Leeds), Tom Hughes (S002 York) and Isla Fraser (S003 Edinburgh); Grace
Okafor is at S101 Bristol, in the south. Raj Patel leads the IT Service Desk,
Chloe Martin and Dan Lee work in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import AMIRA, GRACE, HELEN, NOAH, RAJ, TOM, look
from ownit import service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ownit.models import Notification, Person, Request

ISLA = "isla.fraser@example.com"
DAN = "dan.lee@example.com"
TILLS = {"device": "POS till", "asset_tag": "AT-100001", "can_trade": "no"}


def raise_tills(desk: Any, actor: str, tag: str = "AT-100001") -> dict[str, Any]:
    return service.raise_request(desk, actor=actor, request_type="it.broken_kit", title="Tills not working",
                                 fields={**TILLS, "asset_tag": tag})


def heard(desk: Any, email: str) -> list[dict[str, Any]]:
    """What ``email`` was told, oldest first: kind, the request's ref and the text."""
    def read(session: Any) -> list[dict[str, Any]]:
        person = session.exec(Person.__table__.select().where(Person.email == email)).one()
        rows = session.exec(Notification.__table__.select().where(Notification.person_id == person.id)
                            .order_by(Notification.id)).all()
        refs = {r.id: r.ref for r in session.exec(Request.__table__.select()).all()}
        return [{"kind": r.kind, "ref": refs.get(r.request_id), "message": r.message, "data": r.data} for r in rows]

    return look(desk, read)


def north_outage(desk: Any) -> tuple[str, list[str]]:
    """Three north managers raise broken tills; the IT lead declares an
    incident for the north region from the first and links the other two."""
    refs = [raise_tills(desk, who, f"AT-10000{i}")["ref"] for i, who in enumerate((AMIRA, TOM, ISLA))]
    declared = service.declare_incident(desk, actor=RAJ, from_ref=refs[0], scope="region:north",
                                        title="Tills down in the north region")
    inc = declared["ref"]
    linked = service.link_incident(desk, inc, refs[1:], actor=RAJ, note="same fault: the payment gateway")
    assert linked["linked_now"] == refs[1:]
    return inc, refs


def test_the_acceptance_story_four_managers_one_incident_one_owner(ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, refs = north_outage(desk)
    assert inc.startswith("INC-")
    view = service.show(desk, inc, actor=RAJ)
    assert view["owner"]["email"] == RAJ and view["request_type"] == "it.incident"
    assert view["incident"]["scope"]["words"] == "the north region"
    assert view["incident"]["requests"] == 3 and view["incident"]["stores"] == 3
    assert [line["ref"] for line in view["incident"]["linked"]] == refs
    # a fourth manager opens the raise page: the banner, and one tap to join
    banner = service.incidents_here(desk, actor=NOAH)
    assert [(b["ref"], b["owner"]["name"], b["yours"]) for b in banner] == [(inc, "Raj Patel", [])]
    joined = service.join_incident(desk, inc, actor=NOAH)
    assert joined["changed"] and joined["owner"]["email"] == RAJ and joined["part_of"]["ref"] == inc
    again = service.join_incident(desk, inc, actor=NOAH)
    assert not again["changed"] and again["ref"] == joined["ref"]
    everyone = refs + [joined["ref"]]
    assert service.incidents_here(desk, actor=NOAH)[0]["yours"] == [joined["ref"]]
    # one update from the incident's owner: all four see it on their cards, each told once
    service.contact(desk, inc, actor=RAJ, note="The payment gateway is down; the supplier is on it")
    for who, ref in zip((AMIRA, TOM, ISLA, NOAH), everyone):
        card = service.show(desk, ref, actor=who)
        assert card["part_of"]["ref"] == inc and "Raj Patel owns it" in card["part_of"]["line"]
        assert card["timeline"][-1]["kind"] == "incident_update"
        assert card["timeline"][-1]["note"] == "The payment gateway is down; the supplier is on it"
        updates = [n for n in heard(desk, who) if n["kind"] == "incident_update"]
        assert [n["ref"] for n in updates] == [ref]
        assert "The payment gateway is down" in updates[0]["message"]
    # resolving the incident, three hours on, resolves every linked request; each requester confirms their own
    desk.clock.advance(hours=3)
    service.resolve(desk, inc, actor=RAJ, note="Gateway back; tills taking cards")
    for who, ref in zip((AMIRA, TOM, ISLA, NOAH), everyone):
        card = service.show(desk, ref, actor=who)
        assert card["status"] == "resolved" and "confirm" in card["allowed"]
        assert any(n["kind"] == "resolved" and n["ref"] == ref for n in heard(desk, who))
    assert service.confirm(desk, refs[0], actor=AMIRA, nps=9)["status"] == "closed"
    assert service.show(desk, refs[1], actor=TOM)["status"] == "resolved"
    # service health counts the incident once: one resolution, its owner's; the stores and hours it affected
    later = desk.now() + timedelta(hours=1)  # the clock stands still: everything happened at its instant
    health = service.report(desk, actor=RAJ, department="it", until=later)
    assert health["headline"]["resolved"] == 1
    assert [o["name"] for o in health["owners"] if o["resolved"]] == ["Raj Patel"]
    [it] = health["incidents"]
    assert (it["department"], it["count"], it["stores"]) == ("it", 1, 3)
    assert it["incidents"][0]["ref"] == inc and it["incidents"][0]["requests"] == 4
    assert (it["incidents"][0]["hours"], it["incidents"][0]["store_hours"]) == (3.0, 9.0)
    assert service.report(desk, actor=RAJ, department="facilities", until=later)["incidents"] == []


def test_a_store_outside_the_scope_sees_nothing_of_it_and_is_never_linked(ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, _ = north_outage(desk)
    assert service.incidents_here(desk, actor=GRACE) == []
    for step in (lambda: service.show(desk, inc, actor=GRACE), lambda: service.join_incident(desk, inc, actor=GRACE)):
        with pytest.raises(NotFound, match=f"no request '{inc}'"):
            step()
    south = raise_tills(desk, GRACE, "AT-200001")["ref"]
    with pytest.raises(ValidationError, match=f"^{south} is at Queen Street, Bristol, outside {inc}'s scope "
                                              r"\(the north region\)$"):
        service.link_incident(desk, inc, [south], actor=RAJ)
    assert service.show(desk, south, actor=GRACE)["part_of"] is None
    assert service.show(desk, inc, actor=RAJ)["incident"]["requests"] == 3


def test_a_restricted_request_is_never_part_of_an_incident(ownit_demo_org) -> None:
    desk = ownit_demo_org
    case = service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="A concern",
                                 fields={"about": "conduct", "at_risk": "no", "summary": "On the late shift"})
    nadia = "nadia.rossi@example.com"
    with pytest.raises(PermissionDenied, match="private case of its requester's; it is never part of an incident"):
        service.declare_incident(desk, actor=nadia, from_ref=case["ref"], scope="all")
    declared = service.declare_incident(desk, actor=nadia, department="hr", scope="region:north",
                                        title="Payroll late for the north")
    assert declared["incident"]["joins_as"] != "hr.relations"
    with pytest.raises(PermissionDenied, match="never part of an incident"):
        service.link_incident(desk, declared["ref"], [case["ref"]], actor=nadia)
    with pytest.raises(ValidationError, match="open type of HR"):
        service.declare_incident(desk, actor=nadia, department="hr", scope="all", title="x", joins_as="hr.relations")
    assert service.show(desk, case["ref"], actor=NOAH)["part_of"] is None


def test_who_may_declare_and_link_and_what_is_refused_in_one_line(ownit_demo_org) -> None:
    desk = ownit_demo_org
    first = raise_tills(desk, AMIRA)
    with pytest.raises(PermissionDenied, match="^only the owner .* or the lead of IT Service Desk can declare"):
        service.declare_incident(desk, actor=AMIRA, from_ref=first["ref"], scope="all")
    with pytest.raises(PermissionDenied, match="^only the support teams of it can declare its incidents$"):
        service.declare_incident(desk, actor=HELEN, department="it", scope="all", title="Tills down")
    with pytest.raises(ValidationError, match="^no region 'west'; regions: north, south$"):
        service.declare_incident(desk, actor=RAJ, from_ref=first["ref"], scope="region:west")
    with pytest.raises(ValidationError, match="^scope 'everywhere' is not one OwnIt knows; give the scope as"):
        service.declare_incident(desk, actor=RAJ, from_ref=first["ref"], scope="everywhere")
    with pytest.raises(ValidationError, match="outside Queen Street, Bristol; give a scope that covers it$"):
        service.declare_incident(desk, actor=RAJ, from_ref=first["ref"], scope="sites:S101")
    with pytest.raises(ValidationError, match="^an incident is declared, not raised"):
        service.raise_request(desk, actor=AMIRA, request_type="it.incident", title="x")
    owner = first["owner"]["email"]  # the request's owner may declare, and owns the incident
    inc = service.declare_incident(desk, actor=owner, from_ref=first["ref"], scope="sites:S001,S002")
    assert inc["owner"]["email"] == owner and inc["title"] == "Tills not working"
    assert inc["incident"]["scope"]["words"] == "High Street, Leeds and Market Square, York"
    assert inc["promise"]["first_contact_due"] and inc["priority"] == first["priority"]
    with pytest.raises(Conflict, match=f"^{first['ref']} is part of {inc['ref']} already; unlink it there first$"):
        service.declare_incident(desk, actor=RAJ, from_ref=first["ref"], scope="all")
    with pytest.raises(ValidationError, match="is a request, not an incident"):
        service.link_incident(desk, first["ref"], [first["ref"]], actor=RAJ)
    with pytest.raises(ValidationError, match="is an incident itself"):
        service.link_incident(desk, inc["ref"], [inc["ref"]], actor=RAJ)
    tom = raise_tills(desk, TOM, "AT-100009")["ref"]
    with pytest.raises(PermissionDenied, match="can link requests to"):
        service.link_incident(desk, inc["ref"], [tom], actor=TOM)
    again = service.link_incident(desk, inc["ref"], [first["ref"]], actor=RAJ)
    assert again["linked_now"] == [] and again["incident"]["requests"] == 1


def test_each_person_hears_an_update_once_and_linked_owners_are_told(ownit_demo_org) -> None:
    desk = ownit_demo_org
    refs = [raise_tills(desk, AMIRA, "AT-100001")["ref"], raise_tills(desk, AMIRA, "AT-100002")["ref"],
            raise_tills(desk, TOM, "AT-100003")["ref"]]
    service.watch(desk, refs[2], actor=TOM, add=NOAH)  # Noah follows Tom's, and is Amira's deputy
    owners = {service.show(desk, r, actor=RAJ)["owner"]["email"] for r in refs}
    inc = service.declare_incident(desk, actor=RAJ, department="it", scope="region:north",
                                   title="Tills down in the north")["ref"]
    service.link_incident(desk, inc, refs, actor=RAJ)
    for who in (AMIRA, TOM, NOAH, *owners):
        assert len([n for n in heard(desk, who) if n["kind"] == "incident"]) >= 1
    service.contact(desk, inc, actor=RAJ, note="Supplier engaged")
    service.check_in(desk, inc, actor=RAJ, note="Fix being tested")
    service.advance(desk, inc, actor=RAJ, note="Investigating the gateway")
    for who in (AMIRA, TOM, NOAH, *owners):
        updates = [n for n in heard(desk, who) if n["kind"] == "incident_update"]
        assert len(updates) == 3, (who, updates)
    amira = [n for n in heard(desk, AMIRA) if n["kind"] == "incident_update"]
    assert "Now: Investigating; next update by" in amira[-1]["message"]
    assert [n["ref"] for n in heard(desk, RAJ) if n["kind"] == "incident_update"] == []  # he said it


def test_unlinking_is_a_timeline_event_with_a_note_and_the_own_promise_runs_again(ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, refs = north_outage(desk)
    linked = service.show(desk, refs[1], actor=TOM)
    assert linked["promise"]["next_checkin_due"] is None  # the incident's rhythm stands in
    with pytest.raises(ValidationError, match="the note"):
        service.unlink_incident(desk, inc, refs[1], actor=RAJ, note=" ")
    with pytest.raises(PermissionDenied, match=f"only the owners or leads of {inc} and {refs[1]} can unlink it"):
        service.unlink_incident(desk, inc, refs[1], actor=TOM, note="not mine")
    view = service.unlink_incident(desk, inc, refs[1], actor=RAJ, note="York's till has a broken screen, another fault")
    assert view["part_of"] is None and view["promise"]["next_checkin_due"] is not None
    assert (view["timeline"][-1]["kind"], view["timeline"][-1]["note"]) == (
        "unlinked", "York's till has a broken screen, another fault")
    incident = service.show(desk, inc, actor=RAJ)
    assert incident["timeline"][-1]["kind"] == "unlinked" and incident["incident"]["requests"] == 2
    told = [n for n in heard(desk, TOM) if n["kind"] == "unlinked"]
    assert len(told) == 1 and "another fault" in told[0]["message"]
    with pytest.raises(ValidationError, match=f"is not part of {inc}"):
        service.unlink_incident(desk, inc, refs[1], actor=RAJ, note="again")
    service.contact(desk, inc, actor=RAJ, note="On it")
    service.resolve(desk, inc, actor=RAJ, note="fixed")
    assert service.show(desk, refs[1], actor=TOM)["status"] == "open"  # not part of it: not resolved with it


def test_reopening_after_the_incident_unlinks_it_and_health_counts_the_incident_once(ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, refs = north_outage(desk)
    service.contact(desk, inc, actor=RAJ, note="On it")
    service.resolve(desk, inc, actor=RAJ, note="Gateway back")
    view = service.reopen(desk, refs[2], actor=ISLA, note="Edinburgh's tills still refuse cards")
    assert view["status"] == "open" and view["part_of"] is None
    assert [e["kind"] for e in view["timeline"][-2:]] == ["unlinked", "reopened"]
    assert view["promise"]["next_checkin_due"] is not None
    resolved = [e for e in service.show(desk, refs[0], actor=AMIRA)["timeline"] if e["kind"] == "incident_resolved"]
    assert len(resolved) == 1 and resolved[0]["data"] == {"incident": inc, "from": "triaged"}


def test_a_repeated_declare_join_or_link_changes_nothing(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_tills(desk, AMIRA)["ref"]
    first = service.declare_incident(desk, actor=RAJ, from_ref=ref, scope="region:north", key="d1")
    again = service.declare_incident(desk, actor=RAJ, from_ref=ref, scope="region:north", key="d1")
    assert again["repeated"] and again["ref"] == first["ref"]
    tom = raise_tills(desk, TOM, "AT-100002")["ref"]
    service.link_incident(desk, first["ref"], [tom], actor=RAJ, key="l1")
    assert service.link_incident(desk, first["ref"], [tom], actor=RAJ, key="l1")["repeated"]
    joined = service.join_incident(desk, first["ref"], actor=NOAH, key="j1")
    assert service.join_incident(desk, first["ref"], actor=NOAH, key="j1")["ref"] == joined["ref"]
    assert service.show(desk, first["ref"], actor=RAJ)["incident"]["requests"] == 3


def test_the_command_line_declares_links_shows_joins_and_unlinks(ownit_demo_org, ownit_database_url) -> None:
    from test_cli import Cli

    cli = Cli(ownit_database_url)
    tills = ("--type", "it.broken_kit", "--title", "Tills not working", "--field", "device=POS till",
             "--field", "can_trade=no")
    refs = [cli.json("raise", *tills, "--field", f"asset_tag=AT-10000{i}", "--as", who)["ref"]
            for i, who in enumerate((AMIRA, TOM))]
    out = cli.ok("incident", "declare", "--from", refs[0], "--scope", "region:north", "--title",
                 "Tills down in the north region", "--as", RAJ).stdout
    inc = out.split()[1]
    assert out == (f"declared {inc} 'Tills down in the north region' (the north region): Raj Patel owns it; "
                   "1 linked, 1 store.\n")
    assert cli.ok("incident", "link", inc, refs[1], "--note", "same gateway", "--as", RAJ).stdout == (
        f"linked {refs[1]}. {inc} 'Tills down in the north region' (the north region): Raj Patel owns it; "
        "2 linked, 2 stores.\n")
    shown = cli.ok("incident", "show", inc, "--as", RAJ).stdout
    assert "Incident affecting the north region: 2 requests linked at 2 stores" in shown
    assert f"{refs[1]} Tills not working — Market Square, York, Tom Hughes" in shown
    assert "Part of an incident: incident " + inc in cli.ok("show", refs[1], "--as", TOM).stdout.replace("\n", " ")
    assert cli.json("queue", "--team", "it-service", "--as", RAJ)[0]["ref"] == inc  # the team's incidents first
    listed = cli.ok("incident", "list", "--as", NOAH).stdout
    assert listed == f"{inc} Tills down in the north region — the north region; Raj Patel owns it\n"
    joined = cli.ok("incident", "join", inc, "--as", NOAH).stdout
    assert joined.startswith("IT-") and f"joined; part of incident {inc}: Tills down" in joined
    assert "you had joined already" in cli.ok("incident", "join", inc, "--as", NOAH).stdout
    assert cli.ok("incident", "unlink", inc, refs[1], "--note", "another fault", "--as", RAJ).stdout == (
        f"{refs[1]} is no longer part of {inc}; {cli.show(refs[1], TOM)['owner']['name']} owns it and its own "
        "promise runs again.\n")
    assert cli.fails("incident", "declare", "--from", refs[1], "--scope", "everywhere", "--as", RAJ).startswith(
        "scope 'everywhere' is not one OwnIt knows; give the scope as all, region:NAME")
    assert cli.fails("incident", "show", refs[1], "--as", RAJ) == (
        f"{refs[1]} is a request, not an incident; 'ownit show {refs[1]}' shows it")
    assert cli.fails("incident", "show", inc, "--as", GRACE) == (
        f"no request '{inc}'; check the ref (like FAC-1001) with 'ownit queue'")
    assert cli.ok("incident", "list", "--as", GRACE).stdout == "no open incident affects your store\n"
