"""The team queue a page at a time, and found by reference or by words of the
title, through the service on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import pytest

from conftest import AMIRA, HELEN, LEAK, TOM
from ownit import ValidationError, service

TEAM = "facilities-north"


def leak(desk, title: str, actor: str = AMIRA) -> dict:
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title=title, fields=LEAK)


@pytest.fixture
def busy(ownit_demo_org):
    """23 open requests in Facilities North (one urgent), 2 waiting on the requester, 1 resolved."""
    desk = ownit_demo_org
    views = [leak(desk, f"Leak in aisle {n}", actor=AMIRA if n % 2 else TOM) for n in range(1, 26)]
    views.append(service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Water on the till",
                                       fields={**LEAK, "near_electrics": "yes"}))
    for view in views[:2]:
        service.contact(desk, view["ref"], actor=view["owner"]["email"], note="Looking into it")
        service.wait_on_requester(desk, view["ref"], actor=view["owner"]["email"], note="Which aisle exactly?")
    service.contact(desk, views[2]["ref"], actor=views[2]["owner"]["email"], note="On my way")
    service.resolve(desk, views[2]["ref"], actor=views[2]["owner"]["email"], note="Fixed")
    return desk, views


def pages(desk, size: int, **filters) -> list[dict]:
    first = service.queue_page(desk, actor=HELEN, team=TEAM, size=size, **filters)
    found = [first]
    for number in range(2, first["pages"] + 1):
        found.append(service.queue_page(desk, actor=HELEN, team=TEAM, page=number, size=size, **filters))
    return found


def test_every_request_is_on_one_page_in_the_queues_order(busy) -> None:
    desk, views = busy
    whole = [r["ref"] for r in service.queue(desk, actor=HELEN, team=TEAM, limit=1000)]
    assert sorted(whole) == sorted(v["ref"] for v in views if v is not views[2])  # the resolved one is done
    assert whole[0] == views[-1]["ref"]  # the urgent one, due first
    for size in (1, 7, 10, 23, 24, 25, 50):  # page edges inside the open ones, at their end, past everything
        found = pages(desk, size)
        assert [p["page"] for p in found] == list(range(1, -(-25 // size) + 1))
        assert {(p["total"], p["pages"], p["size"]) for p in found} == {(25, -(-25 // size), size)}
        assert [r["ref"] for p in found for r in p["requests"]] == whole, size
    last = service.queue_page(desk, actor=HELEN, team=TEAM, page=99, size=10)
    assert (last["page"], [r["ref"] for r in last["requests"]]) == (3, whole[20:])
    assert service.queue_page(desk, actor=HELEN, team=TEAM, page=0, size=10)["page"] == 1
    with pytest.raises(ValidationError, match="at least one request"):
        service.queue_page(desk, actor=HELEN, team=TEAM, size=0)


def test_words_of_the_title_find_requests_in_any_case_and_page_them(busy) -> None:
    desk, views = busy
    found = service.queue_page(desk, actor=HELEN, team=TEAM, search="  AISLE 1", size=5)
    titles = sorted(r["title"] for r in found["requests"])
    expected = sorted(v["title"] for v in views if v["title"].startswith("Leak in aisle 1"))
    assert (found["total"], found["pages"], found["found"]) == (len(expected), 3, None)  # aisle 1, 10-19
    assert sorted(r["title"] for p in pages(desk, 5, search="aisle 1") for r in p["requests"]) == expected
    assert titles == sorted(titles) and len(titles) == 5
    assert [r["title"] for r in service.queue(desk, actor=HELEN, team=TEAM, search="till")] == ["Water on the till"]
    # what is typed is matched as typed: % and _ are no wildcards
    assert service.queue_page(desk, actor=HELEN, team=TEAM, search="aisle_1")["total"] == 0
    assert service.queue_page(desk, actor=HELEN, team=TEAM, search="%")["total"] == 0
    # the filters still hold: waiting ones only
    waiting = service.queue_page(desk, actor=HELEN, team=TEAM, search="aisle", statuses=["waiting"])
    assert sorted(r["ref"] for r in waiting["requests"]) == sorted(v["ref"] for v in views[:2])


def test_a_reference_is_found_exactly_whatever_its_status_and_only_in_the_team(busy) -> None:
    desk, views = busy
    resolved = views[2]["ref"]
    found = service.queue_page(desk, actor=HELEN, team=TEAM, search=resolved.lower(), statuses=["open"])
    assert found["found"] == resolved  # to open at once, though "open" leaves it out of the list
    part = resolved.split("-")[1][:-1]  # a part of a reference lists those it is part of
    assert resolved in [r["ref"] for r in service.queue(desk, actor=HELEN, team=TEAM, search=part, limit=100,
                                                        statuses=["resolved"])]
    kit = service.raise_request(desk, actor=AMIRA, request_type="it.broken_kit", title="Till 2 dead",
                                fields={"device": "POS till", "asset_tag": "AT-123456", "can_trade": "yes"})
    assert kit["team"]["key"] != TEAM
    assert service.queue_page(desk, actor=HELEN, team=TEAM, search=kit["ref"])["found"] is None
    owner = views[5]["owner"]["email"]  # an agent's own queue: their own requests only
    mine = service.queue_page(desk, actor=owner, search=views[5]["ref"])
    assert mine["found"] == views[5]["ref"] and [r["ref"] for r in mine["requests"]] == [views[5]["ref"]]


def test_the_teams_incidents_come_first_on_every_page(busy) -> None:
    desk, views = busy
    inc = service.declare_incident(desk, actor=HELEN, from_ref=views[5]["ref"], scope="region:north",
                                   title="Burst main under the high street")["ref"]
    whole = [r["ref"] for r in service.queue(desk, actor=HELEN, team=TEAM, limit=1000)]
    assert (whole[0], len(whole)) == (inc, 26)  # before the urgent one due first
    assert whole[1] == views[-1]["ref"]
    for size in (1, 2, 7, 26, 50):
        found = pages(desk, size)
        assert {p["total"] for p in found} == {26}
        assert [r["ref"] for p in found for r in p["requests"]] == whole, size
