"""Every role against every action, on a request of each visibility, through
the service API on SQLite and PostgreSQL: the table below is the access
policy, written out. ``yes`` is allowed; ``no`` is refused (PermissionDenied)
and ``hidden`` is "no request" (NotFound: someone who may not see a request
is not told it exists) — and a refusal of either kind changes nothing.

A roof leak at Amira's store is seen by her store and by the team working it;
an HR relations case raised by Noah is restricted: only he and HR see it. An
admin sees and may do everything, confirming included. Each request has a
watcher the requester added (Grace, of another store), who sees it and does
nothing; the area manager is a deputy of the store, who sees what the store
sees and does nothing either."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from conftest import AMIRA, CHLOE, GRACE, HELEN, JAMES, LEAK, NADIA, NOAH, OWEN, PRIYA, SAM, TOM
from ownit import service
from ownit.errors import NotFound, PermissionDenied
from ownit.testing import load_org_text

ADMIN = "ada.admin@example.com"
ELLA = "ella.brown@example.com"  # HR partner, the other one in HR Partners
AREA = "ava.area@example.com"  # area manager at head office, a deputy of Amira's and Noah's store
ACTIONS = ("show", "note", "internal", "contact", "checkin", "advance", "wait", "resume", "handoff", "resolve",
           "confirm", "reopen", "team queue")

LEAK_TABLE = """
role            show   note   intern contact checkin advance wait   resume handoff resolve confirm reopen queue
requester       yes    yes    no     no      no      no      no     yes    no      no      yes     yes    no
site colleague  yes    no     no     no      no      no      no     no     no      no      no      no     no
other store     hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
owner           yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     no      yes    yes
teammate        yes    yes    yes    no      no      no      no     no     no      no      no      no     yes
lead            yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     no      yes    yes
other lead      hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
other dept      hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
hr partner      hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
admin           yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     yes     yes    yes
watcher         yes    no     no     no      no      no      no     no     no      no      no      no     no
deputy          yes    no     no     no      no      no      no     no     no      no      no      no     no
"""

HR_TABLE = """
role            show   note   intern contact checkin advance wait   resume handoff resolve confirm reopen queue
requester       yes    yes    no     no      no      no      no     yes    no      no      yes     yes    no
site colleague  hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
other store     hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
owner           yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     no      yes    yes
teammate        yes    yes    yes    no      no      no      no     no     no      no      no      no     yes
lead            yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     no      yes    yes
other lead      hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
other dept      hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
admin           yes    yes    yes    yes     yes     yes     yes    yes    yes     yes     yes     yes    yes
watcher         yes    no     no     no      no      no      no     no     no      no      no      no     no
deputy          hidden hidden hidden hidden  hidden  hidden  hidden hidden hidden  hidden  hidden  hidden no
"""

OUTCOME = {"yes": True, "no": PermissionDenied, "hidden": NotFound}


def table(text: str) -> dict[str, dict[str, Any]]:
    rows = [line for line in text.strip().splitlines()[1:]]
    parsed = {}
    for line in rows:
        role, cells = line[:16].strip(), line[16:].split()
        assert len(cells) == len(ACTIONS), line
        parsed[role] = {action: OUTCOME[cell] for action, cell in zip(ACTIONS, cells, strict=True)}
    return parsed


CASES = {
    # visibility: (request type, fields, requester, the roles as people; "owner" and "teammate" follow routing)
    "site": ("facilities.leak", LEAK, AMIRA, table(LEAK_TABLE),
             {"requester": AMIRA, "site colleague": NOAH, "other store": TOM, "lead": HELEN, "other lead": OWEN,
              "other dept": CHLOE, "hr partner": JAMES, "admin": ADMIN, "watcher": GRACE, "deputy": AREA}),
    "restricted": ("hr.relations", {"about": "conduct", "at_risk": "no", "summary": "On the late shift"}, NOAH,
                   table(HR_TABLE),
                   {"requester": NOAH, "site colleague": AMIRA, "other store": TOM, "lead": NADIA, "other lead": OWEN,
                    "other dept": CHLOE, "admin": ADMIN, "watcher": GRACE, "deputy": AREA}),
}


def prepared(desk: Any, action: str, rtype: str, fields: dict[str, Any], requester: str) -> tuple[str, str, str]:
    """A fresh request in the state ``action`` needs: (ref, owner, team)."""
    view = service.raise_request(desk, actor=requester, request_type=rtype, title="Access check", fields=fields)
    ref, owner = view["ref"], view["owner"]["email"]
    service.watch(desk, ref, actor=requester, add=GRACE)
    if action != "contact":
        service.contact(desk, ref, actor=owner, note="hello")
    if action == "resume":
        service.wait_on_requester(desk, ref, actor=owner, note="a photo, please")
    if action in ("confirm", "reopen"):
        service.resolve(desk, ref, actor=owner, note="done")
    return ref, owner, view["team"]["key"]


def call(desk: Any, action: str, ref: str, team: str, who: str, colleague: str) -> Callable[[], Any]:
    special = {
        "show": lambda: service.show(desk, ref, actor=who),
        "note": lambda: service.add_note(desk, ref, actor=who, note="a word"),
        "internal": lambda: service.add_note(desk, ref, actor=who, note="between us", internal=True),
        "handoff": lambda: service.hand_off(desk, ref, actor=who, to=colleague, note="over to you"),
        "confirm": lambda: service.confirm(desk, ref, actor=who, nps=9),
        "team queue": lambda: service.queue(desk, actor=who, team=team),
    }
    return special.get(action) or (lambda: service.ACTIONS[action](desk, ref, actor=who, note="noted"))


@pytest.mark.parametrize("visibility", CASES)
def test_every_role_against_every_action(ownit_demo_org, tmp_path, visibility: str) -> None:
    desk = ownit_demo_org
    load_org_text(desk, f'[[site]]\ncode = "S001"\nname = "High Street, Leeds"\nregion = "north"\n'
                        f'timezone = "Europe/London"\ncountry = "GB"\nsubdivision = "ENG"\ndeputies = ["{AREA}"]\n'
                        f'[[person]]\nemail = "{ADMIN}"\nname = "Ada Admin"\nsite = "HQ"\nroles = ["admin"]\n'
                        f'[[person]]\nemail = "{AREA}"\nname = "Ava Area"\nsite = "HQ"\n', tmp_path)
    rtype, fields, requester, expected, people = CASES[visibility]
    seen: dict[str, dict[str, Any]] = {}
    for role, allowed in expected.items():
        for action in ACTIONS:
            ref, owner, team = prepared(desk, action, rtype, fields, requester)
            mates = [SAM, PRIYA] if team == "facilities-north" else [JAMES, ELLA]
            colleague = next(m for m in mates if m != owner)  # the other one in the team
            who = {"owner": owner, "teammate": colleague}.get(role) or people[role]
            before = service.show(desk, ref, actor=ADMIN)
            try:
                call(desk, action, ref, team, who, colleague)()
                seen.setdefault(role, {})[action] = True
            except (PermissionDenied, NotFound) as refused:
                seen.setdefault(role, {})[action] = type(refused)
                after = service.show(desk, ref, actor=ADMIN)
                assert (after["version"], after["timeline"]) == (before["version"], before["timeline"]), (role, action)
    assert seen == expected
