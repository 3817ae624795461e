"""An outside contractor working on a request: the roofer is booked for
Thursday 10:00, the card says "Working with" them, the requester is told —
and the owner stays the one named person who owns it."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import AMIRA, LEAK
from ownit import service
from ownit.errors import Conflict, PermissionDenied, ValidationError
from test_cli import Cli
from test_ui import app, unfold  # noqa: F401  (the fixture)


@pytest.fixture
def leak(ownit_demo_org):
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Roof leak",
                                 fields=LEAK)
    service.contact(ownit_demo_org, view["ref"], actor=view["owner"]["email"], note="On my way")
    return view["ref"], view["owner"]


def test_a_booked_contractor_is_on_the_card_and_the_owner_still_owns_it(ownit_demo_org, leak) -> None:
    desk, (ref, owner) = ownit_demo_org, leak
    view = service.work_with(desk, ref, actor=owner["email"], company="AquaFix Ltd", name="Dave Jones",
                             phone="0113 496 0000", booked_for=datetime(2026, 11, 26, 10, 0), note="Roofer booked")
    assert [p["line"] for p in view["working_with"]] == [
        "Working with AquaFix Ltd (Dave Jones, 0113 496 0000), booked for Thu 26 Nov 10:00"]
    assert view["working_with"][0]["booked_for"] == "2026-11-26T10:00:00+00:00"  # London's time, kept in UTC
    assert view["owner"]["email"] == owner["email"] and service.ownership_problems(desk) == []
    assert service.inbox(desk, actor=AMIRA)[0]["message"] == (
        f"{ref}: AquaFix Ltd (Dave Jones) is booked for Thu 26 Nov 10:00; {owner['name']} still owns it and is your "
        "contact")
    # booked again (any case): the booking changes; done: off the card
    moved = service.work_with(desk, ref, actor=owner["email"], company="aquafix ltd",
                              booked_for=datetime(2026, 11, 27, 8, 0))
    assert [p["line"] for p in moved["working_with"]] == ["Working with aquafix ltd, booked for Fri 27 Nov 08:00"]
    gone = service.work_with(desk, ref, actor=owner["email"], company="AquaFix Ltd", done=True)
    assert gone["working_with"] == []
    assert [e["kind"] for e in gone["timeline"]].count("working_with") == 3


def test_only_the_team_books_while_it_is_being_worked(ownit_demo_org, leak) -> None:
    desk, (ref, owner) = ownit_demo_org, leak
    with pytest.raises(PermissionDenied, match=f"only the owner \\({owner['name']}\\) or the lead"):
        service.work_with(desk, ref, actor=AMIRA, company="AquaFix Ltd")
    with pytest.raises(ValidationError, match="Roofs R Us is not working on"):
        service.work_with(desk, ref, actor=owner["email"], company="Roofs R Us", done=True)
    with pytest.raises(ValidationError, match="the contractor's company is empty"):
        service.work_with(desk, ref, actor=owner["email"], company="  ")
    service.resolve(desk, ref, actor=owner["email"], note="Patched")
    with pytest.raises(Conflict, match=f"cannot book a contractor for {ref}: it is resolved"):
        service.work_with(desk, ref, actor=owner["email"], company="AquaFix Ltd")


def test_the_command_line_books_a_contractor(ownit_demo_org, ownit_database_url, leak) -> None:
    (ref, owner), cli = leak, Cli(ownit_database_url)
    done = cli.ok("contractor", ref, "--company", "AquaFix Ltd", "--name", "Dave Jones", "--booked",
                  "2026-11-26T10:00", "--as", owner["email"])
    assert done.stdout.startswith(f"{ref}: working with AquaFix Ltd (status open")
    assert "Working with AquaFix Ltd (Dave Jones), booked for Thu 26 Nov 10:00" in cli.ok("show", ref, "--as",
                                                                                           AMIRA).stdout
    bad = cli("contractor", ref, "--company", "X", "--booked", "Thursday", "--as", owner["email"])
    assert bad.exit_code == 1 and bad.stderr == ("error: --booked 'Thursday' is not a time; write it like "
                                                 "2026-12-04T10:00\n")


def test_the_owner_books_one_from_the_card(app, ownit_demo_org, leak) -> None:  # noqa: F811
    ref, owner = leak
    at = app(owner["email"]).run()
    at.switch_page("views/team.py").run()
    assert not at.exception
    unfold(at, "contractor", ref)
    form = f"contractor-{ref}~{at.session_state[f'armed-contractor-{ref}']}"
    next(t for t in at.text_input if t.key == f"{form}:company").input("AquaFix Ltd")
    next(t for t in at.text_input if t.key == f"{form}:name").input("Dave Jones")
    next(b for b in at.button if b.label == "Save the contractor").click().run()
    assert not at.exception and not at.error
    assert any("Working with AquaFix Ltd \\(Dave Jones\\)" in m.value for m in at.markdown)
    assert service.show(ownit_demo_org, ref, actor=AMIRA)["working_with"][0]["name"] == "Dave Jones"
