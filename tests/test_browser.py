"""A real browser: Debian's Chromium driven by Playwright against `ownit ui`."""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import AMIRA, HELEN, LEAK, NOAH, RAJ, resolved_leak
from ui_server import start_ui
from ownit import service

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="install Debian's chromium to run the browser test")]


@pytest.fixture
def server(ownit_demo_org):
    yield from start_ui(ownit_demo_org.url, "--demo", env={"OWNIT_NOW": ownit_demo_org.now().isoformat()})


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Mobile/15E148 Safari/604.1")


@contextmanager
def demo_page(server: str, *, height: int = 900, dialogs: list[str] | None = None,
              phone: bool = False) -> Iterator[Any]:
    """A browser page on the demo UI, as Amira (the first in the picker), at
    desktop size or as a phone (390×844, a phone's User-Agent); any script
    dialog is dismissed and recorded in ``dialogs``. Every request the page
    makes must go to the server: nothing is fetched from outside (a closed
    network would show each as an error)."""
    from playwright.sync_api import sync_playwright

    fetched: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = (browser.new_page(viewport={"width": 390, "height": 844}, user_agent=PHONE, has_touch=True)
                    if phone else browser.new_page(viewport={"width": 1280, "height": height}))
            page.on("request", lambda request: fetched.append(request.url))
            if dialogs is not None:
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(server)
            expect_picked(page, "Amira Khan")
            yield page
            outside = [url for url in fetched if not url.startswith((server, "data:", "blob:"))]
            assert outside == [], outside
        finally:
            browser.close()


def act_as(page, name: str) -> None:
    """Pick a person in the demo picker (a searchable select; on a phone, behind its labelled button)."""
    if on_phone(page):
        page.get_by_role("button", name=re.compile("^Acting as .* — change$")).click()
    picker = page.get_by_role("combobox", name="Demo mode: acting as")
    picker.click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    expect_picked(page, name)


def expect_picked(page, name: str) -> None:
    """The picker shows ``name``: in the sidebar, or on a phone the labelled button atop the page."""
    from playwright.sync_api import expect

    if on_phone(page):
        expect(page.get_by_role("button", name=f"Acting as {name} — change")).to_be_visible(timeout=30_000)
    else:
        expect(page.get_by_role("combobox", name="Demo mode: acting as")).to_have_value(re.compile(f"^{name} "),
                                                                                           timeout=30_000)
    settle(page)


def on_phone(page) -> bool:
    return page.viewport_size["width"] < 500


def settle(page) -> None:
    """Wait until Streamlit has finished its run: no running indicator and no
    stale elements left over from the previous render."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidgetRunningIcon], [data-testid=stStatusWidgetRunningManIcon]')"
        " && !document.querySelector('[data-stale=true]')", timeout=30_000)


def expect_text(where, text: str, timeout: int = 30_000):
    from playwright.sync_api import expect

    found = where.get_by_text(text, exact=False).first
    expect(found).to_be_visible(timeout=timeout)
    settle(getattr(where, "page", where))  # a locator knows its page; a page is one
    return found


def go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect_text(page.get_by_test_id("stMain"), title)


def snap(page, path: Path) -> None:
    """A screenshot of the page from its top (Streamlit scrolls inside the app)."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``OWNIT_SCREENSHOTS`` (``docs/`` when refreshing the
    README's pictures), else the test's own folder."""
    return Path(os.environ.get("OWNIT_SCREENSHOTS") or tmp_path)


def test_raise_work_and_follow_a_request_in_a_real_browser(server, ownit_demo_org, tmp_path) -> None:
    """The acceptance walk: a store manager raises a roof leak and reads the
    owner and first-contact time; the owner works it from the team queue; the
    store manager sees the check-in on the timeline and the stepper moved."""
    from playwright.sync_api import expect

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "CI must install Debian's chromium"
    out = shots(tmp_path)
    title = "Roof leaking over the stockroom"
    with demo_page(server) as page:
        expect_text(page, "Demo mode: acting as")

        go(page, "Raise a request")
        main = page.get_by_test_id("stMain")
        main.get_by_role("textbox", name="In one line").fill(title)
        main.get_by_role("textbox", name="Where is the water coming in?").fill("stockroom ceiling")
        main.get_by_role("radiogroup", name="Is water near lights, tills").get_by_text("no", exact=True).click()
        main.get_by_role("button", name="Raise it").click()
        expect_text(main, "owns it")
        raised = service.my_requests(ownit_demo_org, actor=AMIRA)[0]
        owner, ref = raised["owner"]["name"], raised["ref"]
        expect_text(main, f"{ref} · {title}")
        promise = main.get_by_test_id("stAlert").filter(has_text="owns this").first
        expect(promise).to_contain_text(f"{owner} (")
        expect(promise).to_contain_text("Their goal is to contact you by Mon 23 Nov 14:00")  # 4 business hours
        snap(page, out / "ui-raise.png")

        act_as(page, owner)
        go(page, "Team queue")
        card = main  # the only request in the team's queue
        card.get_by_role("textbox", name="What you told the requester").fill("Coming to look at two")
        card.get_by_role("button", name="Record first contact").click()
        expect_text(main, f"{ref}: first contact recorded")
        card.get_by_role("tab", name="Check in").click()
        card.get_by_role("textbox", name="Check-in note (the requester sees it)").fill("Roofer booked for Wednesday")
        card.get_by_role("button", name="Check in").click()
        expect_text(main, f"{ref}: checked in")
        card.get_by_role("tab", name="Next stage").click()
        card.get_by_role("textbox", name="Note (the requester sees it)").fill("Assessed: the flashing is torn")
        card.get_by_role("button", name="Move it on").click()
        expect_text(main, f"{ref}: now at Assessed by facilities")
        snap(page, out / "ui-team-queue.png")

        act_as(page, "Amira Khan")
        go(page, "My requests")
        card = main.get_by_role("tabpanel", name="Raised by me")
        latest = card.locator("p").filter(has_text="Latest:").filter(has_text="Assessed: the flashing is torn")
        expect(latest).to_be_visible()  # in plain sight, before the timeline is opened
        card.get_by_text("Timeline (").click()
        expect_text(card, "Roofer booked for Wednesday")
        expect_text(card, "check_circle Reported")  # the icon font's ligature: every browser draws the same mark
        expect_text(card, "radio_button_checked Assessed by facilities")
        expect_text(card, "raised Amira Khan")  # the whole timeline, oldest last
        snap(page, out / "ui-my-requests.png")

        go(page, "Your support people")
        expect_text(main, "Their lead: Helen Price")
        snap(page, out / "ui-support-people.png")
        go(page, "Inbox")
        expect_text(main, "Roofer booked for Wednesday")
        snap(page, out / "ui-inbox.png")
    for name in ("ui-raise", "ui-team-queue", "ui-my-requests", "ui-support-people", "ui-inbox"):
        assert (out / f"{name}.png").stat().st_size > 10_000


def test_a_store_joins_a_known_issue_from_the_raise_page_banner(server, ownit_demo_org, tmp_path) -> None:
    """The IT lead declares the north's tills down; a north store manager sees
    the known issue atop the raise page, who owns it, and with one tap has a
    request of their own linked to it, which the banner then names."""
    desk = ownit_demo_org
    inc = service.declare_incident(desk, actor=RAJ, department="it", scope="region:north",
                                   title="Tills down in the north region")["ref"]
    out = shots(tmp_path)
    with demo_page(server) as page:
        act_as(page, "Noah Clarke")
        go(page, "Raise a request")
        main = page.get_by_test_id("stMain")
        expect_text(main, "Known issue: Tills down in the north region")
        expect_text(main, "Raj Patel owns it")
        main.get_by_role("button", name="This affects my store too — add me").click()
        expect_text(main, f"your store is part of {inc}; Raj Patel owns it")
        mine = service.my_requests(desk, actor=NOAH)
        assert len(mine) == 1, mine
        ref = mine[0]["ref"]
        expect_text(main, f"{ref}: your store is part of {inc}")
        expect_text(main, f"You are part of it: your request {ref} hears every update.")
        snap(page, out / "ui-incident-banner.png")
    assert service.show(desk, ref, actor=NOAH)["part_of"]["ref"] == inc
    assert (out / "ui-incident-banner.png").stat().st_size > 10_000


def test_user_text_shows_literally_and_never_runs(server, ownit_demo_org, tmp_path) -> None:
    from playwright.sync_api import expect

    hostile = "Leak <script>alert(1)</script> **bold** :red[x] $x^2$ [link](http://example.com) <b>b</b>"
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title=hostile,
                                 fields={"location": "<img src=x onerror=alert(2)>", "near_electrics": "no"})
    service.add_note(ownit_demo_org, view["ref"], actor=AMIRA, note="_under_ `code` ~~gone~~ :smile:")
    dialogs: list[str] = []
    with demo_page(server, dialogs=dialogs) as page:
        main = page.get_by_test_id("stMain")
        heading = main.get_by_role("heading", level=4).filter(has_text=view["ref"])
        expect(heading).to_have_text(f"{view['ref']} · {hostile}", timeout=30_000)
        markup = heading.locator("b, strong, em, script, img, .katex")
        assert markup.count() == 0, markup.evaluate_all("nodes => nodes.map(n => n.outerHTML)")
        # a bare address may be made clickable, as it reads; never a link hidden behind other words
        links = heading.locator("a").evaluate_all("nodes => nodes.map(n => [n.textContent, n.href])")
        assert all(text == "" or href.rstrip("/") == text.rstrip("/") for text, href in links), links
        main.get_by_text("Timeline (").click()
        expect_text(main, "— _under_ `code` ~~gone~~ :smile:")
        page.wait_for_timeout(500)
    assert dialogs == []  # no script from user text ever ran


@pytest.mark.parametrize("through_proxy", [True, False], ids=["through-the-proxy", "around-the-proxy"])
def test_the_sign_in_header_is_trusted_only_from_the_proxy(ownit_demo_org, through_proxy: bool) -> None:
    """Behind the company's sign-in proxy the user is the header's email; a
    request that does not carry the proxy's secret is refused, whatever
    header it sends."""
    from playwright.sync_api import expect, sync_playwright

    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak",
                                 title="Roof leaking over the stockroom", fields=LEAK)
    env = {"OWNIT_NOW": ownit_demo_org.now().isoformat(), "OWNIT_AUTH_HEADER": "X-Forwarded-Email",
           "OWNIT_PROXY_SECRET": "only-the-proxy-knows"}
    sent = {"X-Forwarded-Email": AMIRA.upper(),
            **({"X-OwnIt-Proxy-Secret": "only-the-proxy-knows"} if through_proxy else {})}
    for address in start_ui(ownit_demo_org.url, env=env):
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900}, extra_http_headers=sent)
                page.goto(address)
                main = page.get_by_test_id("stMain")
                if through_proxy:
                    expect_text(main, f"{view['ref']} · Roof leaking over the stockroom")
                    expect(page.get_by_text("Demo mode")).to_have_count(0)
                    expect_text(page.get_by_test_id("stSidebar"), "signed in by your company's proxy")
                else:
                    expect_text(main, "not opened through the company's sign-in")
                    expect(main.get_by_text(view["ref"])).to_have_count(0)
            finally:
                browser.close()


def test_service_health_in_a_real_browser(server, ownit_demo_org, tmp_path) -> None:
    """A lead opens Service health on weeks of history: figures, the flag on
    the team that got fast but unloved, the trend charts drawn."""
    from playwright.sync_api import expect

    from ownit.demo.history import play

    play(ownit_demo_org, weeks=10)
    out = shots(tmp_path)
    with demo_page(server, height=1400) as page:
        act_as(page, "Helen Price")
        go(page, "Service health")
        main = page.get_by_test_id("stMain")
        expect_text(main, "Facilities South got faster")
        expect_text(main, "Speed beside satisfaction, week by week")
        expect(main.get_by_test_id("stVegaLiteChart")).to_have_count(3, timeout=30_000)
        expect_text(main, "Download per-owner figures (CSV)")
        snap(page, out / "ui-service-health.png")
    assert (out / "ui-service-health.png").stat().st_size > 10_000


def test_the_team_queue_fits_a_1280_px_window(server, ownit_demo_org, tmp_path) -> None:
    """The longest titles and names in the table at 1280 px: every column in
    view (no sideways scroll), a click on a row opens that request first."""
    from playwright.sync_api import expect

    desk = ownit_demo_org
    longest = "Water pouring through the ceiling tiles above the chilled aisle next to the tills " * 2
    views = [service.raise_request(desk, actor=AMIRA, request_type="facilities.leak",
                                   title=longest[:service.TITLE_MAX - 3] + str(n), fields=LEAK) for n in range(3)]
    with demo_page(server) as page:
        act_as(page, "Helen Price")
        go(page, "Team queue")
        main = page.get_by_test_id("stMain")
        table = main.get_by_test_id("stDataFrame")
        expect(table.locator(".dvn-scroller")).to_be_visible(timeout=30_000)  # drawn on a canvas: no text to find
        settle(page)
        widths = table.locator(".dvn-scroller").evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], f"the table scrolls sideways at 1280 px: {widths}"
        snap(page, shots(tmp_path) / "ui-team-queue-table.png")
        box = table.bounding_box()  # the second row's box, below the header: a click on it opens the request
        page.mouse.click(box["x"] + 17, box["y"] + 35 * 2 + 17)
        expect_text(main, "Opened from your link")
        assert page.url.endswith(f"ref={views[1]['ref']}")


SETTLE_BUDGET = 20  # seconds from a tap to a settled page, on a shared test machine


def tap_targets(page, where: str) -> list[dict[str, Any]]:
    """Every visible control in ``where`` (a CSS selector) a thumb taps: its
    height and, for text inputs, its font size."""
    return page.eval_on_selector_all(
        f"{where} :is(button, [role=tab], summary, input:not([type=radio]):not([type=checkbox]), textarea,"
        " [data-testid=stRadio] label, [data-testid=stCheckbox] label, [data-baseweb=select])",
        """nodes => nodes.filter(n => n.getBoundingClientRect().width > 0 && n.offsetParent !== null)
                    .map(n => ({what: n.outerHTML.slice(0, 80), height: n.getBoundingClientRect().height,
                                font: n.matches('input, textarea') ? getComputedStyle(n).fontSize : null}))""")


def settled_within(page, budget: float = SETTLE_BUDGET) -> float:
    import time

    start = time.monotonic()
    settle(page)
    took = time.monotonic() - start
    assert took < budget, f"the page took {took:.1f}s to settle"
    return took


def test_a_phone_gets_compact_cards_big_targets_and_nothing_from_outside(server, ownit_demo_org, tmp_path) -> None:
    """At 390×844 with a phone's browser: My requests has compact cards (the
    owner a tap away, the latest word, one progress line) and the closed
    ones folded; every control on the requester's pages is at least 44 px
    tall with 16 px text in inputs; a lead's own request draws whole."""
    from playwright.sync_api import expect

    desk = ownit_demo_org
    closed, _ = resolved_leak(desk)
    service.confirm(desk, closed, actor=AMIRA, nps=9)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Water by till 2",
                                 fields={"location": "ceiling above till 2", "near_electrics": "yes"})
    owner = view["owner"]
    service.contact(desk, view["ref"], actor=owner["email"], note="On my way")
    service.check_in(desk, view["ref"], actor=owner["email"], note="Electrician booked for two")
    own = service.raise_request(desk, actor=HELEN, request_type="facilities.leak", title="Drip in the office",
                                fields=LEAK, site="S001")
    out = shots(tmp_path)
    with demo_page(server, phone=True) as page:
        main = page.get_by_test_id("stMain")
        settled_within(page)
        expect(main.get_by_text(f"{view['ref']} · Water by till 2")).to_be_visible(timeout=30_000)
        card = main.get_by_test_id("stVerticalBlock").filter(has_text=f"{view['ref']} · Water by till 2").filter(
            has_not_text="Closed (1)").last  # the innermost block holding the card: the card's own border
        expect(card.get_by_text("Step 1 of 5: Reported")).to_be_visible()
        expect(card.locator(f"a[href='tel:{owner['phone'].replace(' ', '')}']")).to_be_visible()
        expect(card.locator(f"a[href='mailto:{owner['email']}']")).to_be_visible()
        expect(card.locator("p").filter(has_text="Latest:").filter(has_text="Electrician booked for two")).to_be_visible()
        expect(card.get_by_text("Is water near lights, tills or sockets? yes")).to_be_visible()
        expect(main.get_by_text("Closed (1)")).to_be_visible()
        expect(main.get_by_text(closed)).to_have_count(0)  # folded
        snap(page, out / "ui-phone-my-requests.png")
        box = card.bounding_box()
        assert box["height"] < 844, f"a card is {box['height']:.0f}px tall: more than one screen"
        small = [t for t in tap_targets(page, "[data-testid=stMain]") if t["height"] < 44]
        assert small == [], small
        fonts = {t["font"] for t in tap_targets(page, "[data-testid=stMain]") if t["font"]}
        assert fonts <= {"16px"}, fonts

        main.get_by_text("Closed (1)").click()
        settled_within(page)
        expect(main.get_by_text(f"{closed} ·")).to_be_visible()

        page.goto(server + "raise_request")
        expect_picked(page, "Amira Khan")
        expect_text(main, "In one line")
        settled_within(page)
        targets = tap_targets(page, "[data-testid=stMain]")
        assert any("radio" in t["what"] or "label" in t["what"] for t in targets)
        small = [t for t in targets if t["height"] < 44]
        assert small == [], small
        assert {t["font"] for t in targets if t["font"]} == {"16px"}
        snap(page, out / "ui-phone-raise.png")

        page.goto(server)
        expect_picked(page, "Amira Khan")
        act_as(page, "Helen Price")  # a lead with a request of her own, which her team owns
        expect_text(main, f"{own['ref']} · Drip in the office")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(main.get_by_role("tab", name="Note")).to_have_count(1)  # her note form, once, with her owner's tabs
        settled_within(page)


def test_a_photo_from_a_phone_reaches_the_owner_and_a_double_click_checks_in_once(
        server, ownit_demo_org, tmp_path) -> None:
    """The issue's acceptance walk: on a phone a store manager raises a leak
    with a photo from a file; at a desk its owner sees the answers and the
    photo, then double-clicks "Check in" and the timeline has one check-in."""
    from PIL import Image
    from playwright.sync_api import expect

    desk = ownit_demo_org
    photo = tmp_path / "leak.jpg"
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(photo, "JPEG")
    title = "Water dripping onto till 3"
    with demo_page(server, phone=True) as page:
        page.goto(server + "raise_request")
        expect_picked(page, "Amira Khan")
        main = page.get_by_test_id("stMain")
        main.get_by_role("textbox", name="In one line").fill(title)
        main.get_by_role("textbox", name="Where is the water coming in?").fill("ceiling tile above till 3")
        main.get_by_role("radiogroup", name="Is water near lights, tills").get_by_text("yes", exact=True).click()
        main.locator("input[type=file]").first.set_input_files(str(photo))
        expect_text(main, "leak.jpg")  # uploaded: the picker lists it
        main.get_by_role("button", name="Raise it").click()
        expect_text(main, "owns it")
        settled_within(page)
    raised = service.my_requests(desk, actor=AMIRA)[0]
    ref, owner = raised["ref"], raised["owner"]
    assert raised["title"] == title and [a["name"] for a in raised["attachments"]] == ["leak.jpg"]
    service.contact(desk, ref, actor=owner["email"], note="On my way")

    with demo_page(server) as page:
        act_as(page, owner["name"])
        go(page, "Team queue")  # the only request of the team
        main = page.get_by_test_id("stMain")
        card = main.get_by_test_id("stVerticalBlock").filter(has_text=f"{ref} · {title}").filter(
            has_text="Check-in note").last
        expect(card.get_by_text("Is water near lights, tills or sockets? yes")).to_be_visible()
        expect(card.get_by_text("Where is the water coming in? ceiling tile above till 3")).to_be_visible()
        expect(card.get_by_test_id("stImage").first).to_be_visible()  # the photo's thumbnail
        card.get_by_role("tab", name="Check in").click()
        card.get_by_role("textbox", name="Check-in note (the requester sees it)").fill("Tiles out, drying the till")
        card.get_by_role("button", name="Check in").dblclick()
        expect_text(main, f"{ref}: checked in")
        card.get_by_role("button", name="Check in").click()  # and once more, as a thumb does when in doubt
        page.wait_for_timeout(1000)  # any second submission has had its time to land
        settle(page)
    kinds = [e["kind"] for e in service.show(desk, ref, actor=owner["email"])["timeline"]]
    assert kinds.count("checkin") == 1, kinds
