"""The pages people open, in a real browser: new tab to settled, beside a bare Streamlit page.

    python bench/pages.py [--n 100000] [--db URL] [--repeat 5]

With N requests in the database, starts OwnIt's UI (``ownit ui --demo``) and,
beside it on the same machine, a bare Streamlit page that draws one card,
then times in Chromium (Debian's ``/usr/bin/chromium`` through Playwright):

- **My requests, new tab**: a new tab opened on the UI until Streamlit has
  settled (no run under way, nothing stale), for the store manager a new tab
  acts as in demo mode;
- **Team queue, sidebar click**: as the busiest facilities agent (picked once,
  not timed), from a click on "Team queue" in the sidebar until settled;
- **Team queue, new tab**: that agent opening ``/team`` in a new tab, on a
  second server that signs people in as production does, by the header a
  company's proxy sets (``OWNIT_AUTH_HEADER``; demo mode starts every tab as
  its first person);
- **a bare Streamlit page, new tab**: the same measure for a page with one card.

The figure to track is each new tab's median over the bare page's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import NOW, arguments, filled, release, report

# Streamlit marks its app with the script's state: settled is a finished run with nothing stale left on the page
SETTLED = ("() => document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]') !== null"
           " && !document.querySelector('[data-stale=true]')")
STARTED = "() => !document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]')"
AGENT = "priya.shah@example.com"  # the busiest facilities agent of the demo organisation
HEADER, SECRET = "X-Forwarded-Email", "bench-proxy-secret"  # as a company's sign-in proxy would send them
BARE = '''import streamlit as st

st.title("A bare page")
with st.container(border=True):
    st.markdown("**FAC-1001** Roof leaking over the stockroom")
    st.caption("Owner: Sam Doyle, Facilities North")
'''


def _serve(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([*argv, "--server.port", str(port)] if argv[1:3] == ["-m", "streamlit"]
                               else [*argv, "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
            return process, f"http://127.0.0.1:{port}/"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(argv)} did not start")
            time.sleep(0.3)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _new_tab(browser, url: str, headers: dict[str, str] | None = None) -> float:
    """Seconds from opening a new tab on ``url`` (sending ``headers``) until the page has settled."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, extra_http_headers=headers)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=120_000)
    took = time.perf_counter() - started
    page.close()
    return took


def _settled_after(page, act) -> None:
    """``act`` (a click), then wait for the run it starts to finish (a run too quick to be seen starting
    is over by the time the wait for its start gives up)."""
    from playwright.sync_api import TimeoutError as Timeout

    act()
    try:
        page.wait_for_function(STARTED, timeout=1_000, polling=10)
    except Timeout:
        pass
    page.wait_for_function(SETTLED, timeout=120_000)


def _team_queue(browser, url: str, agent: str, repeat: int) -> list[float]:
    """Seconds from a click on "Team queue" in the sidebar until settled, as ``agent``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=120_000)
    page.get_by_role("combobox", name="Demo mode: acting as").click()
    _settled_after(page, lambda: page.get_by_role("option").filter(has_text=agent).first.click())
    times = []
    for _ in range(repeat):
        _settled_after(page, lambda: page.get_by_test_id("stSidebarNav").get_by_text("My requests", exact=True).click())
        started = time.perf_counter()
        _settled_after(page, lambda: page.get_by_test_id("stSidebarNav").get_by_text("Team queue", exact=True).click())
        times.append(time.perf_counter() - started)
    page.close()
    return times


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    release(desk.url)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
           "OWNIT_DATABASE_URL": desk.url, "OWNIT_NOW": NOW.isoformat()}
    bare_script = Path(tempfile.mkdtemp(prefix="ownit-bare-")) / "bare.py"
    bare_script.write_text(BARE, encoding="utf-8")
    ui, ui_url = _serve([sys.executable, "-c", "from ownit.cli import main; main()", "ui", "--demo"], env)
    signed, signed_url = _serve([sys.executable, "-c", "from ownit.cli import main; main()", "ui"],
                                {**env, "OWNIT_AUTH_HEADER": HEADER, "OWNIT_PROXY_SECRET": SECRET})
    agent = {HEADER: AGENT, "X-OwnIt-Proxy-Secret": SECRET}
    bare, bare_url = _serve([sys.executable, "-m", "streamlit", "run", str(bare_script), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            for warm, headers in ((ui_url, None), (bare_url, None), (signed_url + "team", agent)):
                _new_tab(browser, warm, headers)  # each server's first run builds its caches: not what a tab waits for
            mine, team, plain = [], [], []
            for _ in range(args.repeat):  # alternated, so a slow phase of the machine falls on all three
                mine.append(_new_tab(browser, ui_url))
                team.append(_new_tab(browser, signed_url + "team", agent))
                plain.append(_new_tab(browser, bare_url))
            queue = _team_queue(browser, ui_url, "Priya Shah", args.repeat)
            browser.close()
    finally:
        for process in (ui, signed, bare):
            process.terminate()
            process.wait(timeout=10)
    bare_median = sorted(plain)[len(plain) // 2]
    report("Pages in Chromium, new tab or click to settled", desk, args.n, [
        ("My requests, new tab (a store manager)", mine, "s"),
        ("Team queue, new tab (Priya Shah, signed in by header)", team, "s"),
        ("Team queue, sidebar click (Priya Shah)", queue, "s"),
        ("a bare Streamlit page with one card, new tab", plain, "s"),
    ], notes=[f"over the bare page, new tab: My requests {sorted(mine)[len(mine) // 2] / bare_median:.2f}×, "
              f"Team queue {sorted(team)[len(team) // 2] / bare_median:.2f}× (target ≤ 1.5× each); "
              "Team queue from a click: target ≤ 0.8 s"])


if __name__ == "__main__":
    main()
