"""The demo's history (:mod:`ownit.demo.history`) as ``make demo`` seeds it:
a quarter of mystery requests for two teams (:mod:`ownit.demo.mysteries`),
Facilities North alike and high, IT Service Desk depending on who you get —
on SQLite and PostgreSQL.

The demo's clock stands at Monday 23 November 2026 10:00 (London, UTC in
November); the history is its twelve weeks before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import CHLOE, HELEN, RAJ
from ownit import mystery as rubric, service
from ownit.demo import seed

DAN = "dan.lee@example.com"  # IT support analyst (network)
STAGES = {"to raise", "being worked", "awaiting the form", "scored"}


def timeline_of(desk: Any, ref: str, lead: str) -> dict[str, dict[str, Any]]:
    """The first entry of each kind on a request's card, as its lead sees it."""
    found: dict[str, dict[str, Any]] = {}
    for entry in service.show(desk, ref, actor=lead)["timeline"]:
        found.setdefault(entry["kind"], entry)
    return found


def test_the_demo_history_has_a_quarter_of_mystery_requests_alike_in_one_team_and_wide_in_another(
        ownit_desk) -> None:
    desk = ownit_desk
    seeded = seed(desk)
    assert seeded["history"] > 100  # twelve weeks of requests, the mystery ones among them
    north = service.mystery_results(desk, actor=HELEN, team="facilities-north")
    it = service.mystery_results(desk, actor=RAJ, team="it-service")

    # Facilities North: several scored, by both its owners, alike and high
    assert north["count"] >= 4 and len(north["owners"]) == 2
    assert north["spread"]["wide"] is False and north["spread"]["gap"] <= rubric.WIDE / 2
    assert all(o["mean"] >= 80 for o in north["owners"])
    # IT Service Desk: several scored, by both its analysts, far apart: Chloe high, Dan low
    assert it["count"] >= 4 and [o["email"] for o in it["owners"]] == [CHLOE, DAN]
    assert it["spread"]["wide"] is True and it["spread"]["gap"] > rubric.WIDE
    assert all(o["count"] >= 2 for o in it["owners"])

    # the spread is behaviour, on the timeline: Chloe called when promised and fixed in time, Dan did neither;
    # and the manager's form says what they met
    for scored in it["scored"]:
        seen = timeline_of(desk, scored["ref"], RAJ)
        kept = scored["owner"] == "Chloe Martin"
        assert seen["contacted"]["data"]["on_time"] is kept and seen["resolved"]["data"]["on_time"] is kept
        asked = {p["key"]: p["value"] for p in scored["parts"]}
        assert (asked["fought_corner"] == 1.0) is kept and (asked["nps"] >= 0.8) is kept
    assert {s["owner"] for s in it["scored"]} == {"Chloe Martin", "Dan Lee"}

    # every stage appears, the last ones still under way; each lead noted one, which its owner heard
    lines = [m for team, lead in (("facilities-north", HELEN), ("it-service", RAJ))
             for m in service.mystery_programme(desk, actor=lead, team=team)["mysteries"]]
    assert {m["stage"] for m in lines} == STAGES
    assert len(lines) >= 10 and sum(m["stage"] == "scored" for m in lines) == north["count"] + it["count"]
    noted = [m for m in lines if m["note"]]
    assert len(noted) == 2 and {m["shopper"] for m in noted} <= {"Tom Hughes", "Isla Fraser", "Grace Okafor",
                                                                   "Amira Khan"}
    dans = [m for m in noted if m["owner"] == "Dan Lee"]
    assert dans and "first contact when promised" in dans[0]["note"]
    assert any(dans[0]["ref"] in n["message"] and "The lead's note" in n["message"]
               for n in service.inbox(desk, actor=DAN) if n["kind"] == "mystery")

    # ordinary service health leaves them out: Dan, who owns nothing else, is not among IT's owners there
    health = service.report(desk, actor=RAJ, team="it-service", since=desk.now() - timedelta(days=91))
    assert [o["name"] for o in health["owners"]] == ["Chloe Martin"] and health["headline"]["resolved"] > 10
