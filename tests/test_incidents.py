"""Incidents: one problem affecting many stores, with one named owner, told
to every affected requester on their own card (the service, the command line
and the UI), on SQLite and PostgreSQL.

The demo organisation's north region has Amira Khan and Noah Clarke (S001
Leeds), Tom Hughes (S002 York) and Isla Fraser (S003 Edinburgh); Grace
Okafor is at S101 Bristol, in the south. Raj Patel leads the IT Service Desk,
Chloe Martin and Dan Lee work in it."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import AMIRA, CHLOE, GRACE, HELEN, NOAH, RAJ, TOM, look
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
    # resolving the incident resolves every linked request; each requester confirms their own
    service.resolve(desk, inc, actor=RAJ, note="Gateway back; tills taking cards")
    for who, ref in zip((AMIRA, TOM, ISLA, NOAH), everyone):
        card = service.show(desk, ref, actor=who)
        assert card["status"] == "resolved" and "confirm" in card["allowed"]
        assert any(n["kind"] == "resolved" and n["ref"] == ref for n in heard(desk, who))
    assert service.confirm(desk, refs[0], actor=AMIRA, nps=9)["status"] == "closed"
    assert service.show(desk, refs[1], actor=TOM)["status"] == "resolved"


def test_a_store_outside_the_scope_sees_nothing_of_it(ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, _ = north_outage(desk)
    assert service.incidents_here(desk, actor=GRACE) == []
    with pytest.raises(NotFound):
        service.show(desk, inc, actor=GRACE)
    with pytest.raises(PermissionDenied, match="does not affect your store"):
        service.join_incident(desk, inc, actor="ben.carter@example.com") if False else \
            service.join_incident(desk, inc, actor=NOAH) and service.join_incident(desk, inc, actor=GRACE)
