"""A real browser: Debian's Chromium driven by Playwright against `ownit ui`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import AMIRA, LEAK
from ownit import service

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="install Debian's chromium to run the browser test")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(ownit_demo_org):
    port = free_port()
    env = {**os.environ, "OWNIT_DATABASE_URL": ownit_demo_org.url}
    process = subprocess.Popen([sys.executable, "-c", "from ownit.cli import main; main()", "ui", "--demo",
                                "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the UI did not start"
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


def test_a_store_manager_sees_who_owns_their_request(server, ownit_demo_org, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "CI must install Debian's chromium"
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak",
                                 title="Roof leaking over the stockroom", fields=LEAK)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server)
            expect(page.get_by_text("Demo mode: acting as")).to_be_visible(timeout=30_000)
            expect(page.get_by_text(f"{view['ref']} · Roof leaking over the stockroom")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("is fighting your corner")).to_be_visible()
            page.screenshot(path=str(tmp_path / "my-requests.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "my-requests.png").stat().st_size > 10_000
