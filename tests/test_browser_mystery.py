"""A mystery request's short form in a real browser (Debian's Chromium through
Playwright) against `ownit ui --demo`: the store manager answers it for a
closed mystery request and reads the score."""

from __future__ import annotations

import pytest

from conftest import HELEN, TOM
from ownit import service
from test_browser import act_as, demo_page, expect_text, go, pytestmark, settle, shots, snap  # noqa: F401
from test_mystery import planned, raise_it, work_and_close
from ui_server import start_ui


@pytest.fixture
def closed_mystery(ownit_demo_org) -> tuple[str, int]:
    """Helen's programme, Tom's agreement and one mystery request, raised by
    Tom, worked and closed: its ref and its number."""
    desk = ownit_demo_org
    mystery_id = planned(desk)
    view = raise_it(desk, mystery_id)
    work_and_close(desk, view["ref"], view["owner"]["email"])
    return view["ref"], mystery_id


@pytest.fixture
def server(closed_mystery, ownit_demo_org):
    """The UI at the desk's clock once the request is closed."""
    yield from start_ui(ownit_demo_org.url, "--demo", env={"OWNIT_NOW": ownit_demo_org.now().isoformat()})


def test_a_store_manager_answers_the_mystery_form_and_sees_the_score(server, closed_mystery, ownit_demo_org,
                                                                      tmp_path) -> None:
    from playwright.sync_api import expect

    desk = ownit_demo_org
    ref, mystery_id = closed_mystery
    questions = service.my_mysteries(desk, actor=TOM)["questions"]
    with demo_page(server) as page:
        act_as(page, "Tom Hughes")
        go(page, "Mystery requests")
        main = page.get_by_test_id("stMain")
        expect_text(main, f"mystery request {mystery_id} for Facilities North · closed: the form below")
        for question in questions:
            answer = "no" if question["key"] == "told_part" else "yes"
            main.get_by_role("radiogroup", name=question["question"]).get_by_text(answer, exact=True).click()
        main.get_by_role("textbox", name="Anything else the lead should know?").fill("Quick and kind")
        main.get_by_role("button", name="Send my answers").click()
        scored = expect_text(main, f"{ref}: thank you. It scored")
        settle(page)
        score = service.show(desk, ref, actor=TOM)["mystery"]["score"]
        expect(scored).to_have_text(f"{ref}: thank you. It scored {score:g} out of 100")
        expect_text(main, f"scored {score:g} out of 100")  # the line of the request, the form gone
        expect(main.get_by_role("button", name="Send my answers")).to_have_count(0)
        snap(page, shots(tmp_path) / "ui-mystery-form.png")
    answered = service.mystery_programme(desk, actor=HELEN, team="facilities-north")["mysteries"][0]
    assert (answered["stage"], answered["ref"], answered["score"]) == ("scored", ref, score)
