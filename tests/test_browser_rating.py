"""The rating link in a real browser (Debian's Chromium through Playwright),
against `ownit ui` in production's sign-in mode with nobody signed in, on a
phone-sized screen."""

from __future__ import annotations

import pytest

from conftest import resolved_leak
from test_browser import CHROMIUM, expect_text, launch, pytestmark, settle, shots, snap  # noqa: F401
from test_rating import rating_token, ratings
from ui_server import start_ui


@pytest.fixture
def signed_out_server(ownit_demo_org):
    yield from start_ui(ownit_demo_org.url, env={"OWNIT_AUTH_HEADER": "X-Forwarded-Email",
                                                 "OWNIT_NOW": ownit_demo_org.now().isoformat()})


def test_a_rating_link_works_once_in_a_real_browser_without_signing_in(signed_out_server, ownit_demo_org,
                                                                        tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    link = f"{signed_out_server}rate?t={rating_token(desk, ref)}"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            page.goto(signed_out_server)  # the app itself: nobody signed in, nothing shown
            expect_text(page, "You are not registered in OwnIt yet")
            page.goto(link)
            main = page.get_by_test_id("stMain")
            expect_text(main, "How did we do?")
            expect_text(main, f"{ref} · Roof leak")
            expect(page.get_by_test_id("stSidebar")).to_have_count(0)  # no way to anywhere else
            main.get_by_role("textbox", name="Anything to tell the team?").fill("Fixed before opening time")
            snap(page, shots(tmp_path) / "ui-rate.png")
            send = main.get_by_role("button", name="Send my rating")
            send.dblclick()  # a double click records once
            expect_text(main, f"Thank you: your rating of {ref} is with")
            settle(page)
            assert len(ratings(desk)) == 1 and ratings(desk)[0].comment == "Fixed before opening time"

            page.goto(link)  # the link again: used
            expect_text(page.get_by_test_id("stMain"), "this link was already used on 23 Nov 2026; thank you")
            expect(page.get_by_role("button", name="Send my rating")).to_have_count(0)
            page.goto(f"{signed_out_server}rate?t=forged-link-x")
            expect_text(page.get_by_test_id("stMain"), "this link or address was not made by OwnIt, or was changed")
            assert len(ratings(desk)) == 1
        finally:
            browser.close()
