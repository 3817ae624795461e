"""The requester's window through Streamlit's AppTest (server-side runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import AMIRA, LEAK
from ownit import service

APP = str(Path(__file__).parent.parent / "ui" / "app.py")


@pytest.fixture
def app(ownit_demo_org, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OWNIT_DATABASE_URL", ownit_demo_org.url)
    monkeypatch.setenv("OWNIT_UI_DEMO", "1")

    def make(user: str = AMIRA) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["user"] = user
        return at

    return make


def test_my_requests_shows_the_owner_the_promise_and_the_steps(app, ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak",
                                 title="Roof leaking over the stockroom", fields=LEAK)
    at = app().run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert view["ref"] in text and "Roof leaking over the stockroom" in text
    assert view["owner"]["name"] in text and "is fighting your corner" in text
    assert any(view["owner"]["name"] in i.value and "owns this" in i.value for i in at.info)
    assert "● **Reported**" in text and "○ Assessed by facilities" in text


def test_without_a_known_identity_there_is_only_a_clear_page(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNIT_UI_DEMO", "0")  # production: identity from the auth proxy's header, none here
    monkeypatch.setenv("OWNIT_AUTH_HEADER", "X-Forwarded-Email")
    at = app().run()
    assert not at.exception
    assert "not registered in OwnIt" in at.error[0].value
    assert len(at.markdown) == 0


def test_raising_through_the_form_shows_the_owner_at_once(app, ownit_demo_org) -> None:
    at = app()
    at.run()
    at.switch_page("views/raise_request.py").run()
    assert not at.exception
    pick = {s.label: s for s in at.selectbox}
    assert pick["Department"].value["name"] == "Facilities"
    assert pick["What do you need?"].value["label"] == "Water leak or roof"  # the first type
    assert any("Water damages stock" in c.value for c in at.caption)  # why it matters
    at.text_input[0].input("Water through the stockroom ceiling")
    fields = {t.label: t for t in at.text_input}
    fields["Where is the water coming in?"].input("stockroom")
    [r for r in at.radio if r.label.startswith("Is water near")][0].set_value("no")
    at.button[0].click().run()
    assert not at.exception
    assert at.success and "owns it" in at.success[0].value
    mine = service.my_requests(ownit_demo_org, actor=AMIRA)
    assert len(mine) == 1 and mine[0]["title"] == "Water through the stockroom ceiling"


def test_a_mistake_in_the_form_is_shown_inline_and_nothing_is_raised(app, ownit_demo_org) -> None:
    at = app()
    at.run()
    at.switch_page("views/raise_request.py").run()
    at.button[0].click().run()  # nothing filled in
    assert not at.exception
    assert "the title is empty" in at.error[0].value
    assert service.my_requests(ownit_demo_org, actor=AMIRA) == []


@pytest.mark.slow
def test_ownit_ui_serves_the_app(ownit_demo_org, tmp_path) -> None:
    """`ownit ui --demo` starts a real Streamlit server on 127.0.0.1."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OWNIT_DATABASE_URL": ownit_demo_org.url}
    server = subprocess.Popen([sys.executable, "-c", "from ownit.cli import main; main()", "ui", "--demo",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    assert answer.read() == b"ok"
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the UI did not start within 60 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200 and b'id="root"' in page.read()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_requester_answers_confirms_and_rates_from_the_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="hello")
    service.wait_on_requester(desk, ref, actor=owner, note="Send a photo of the ceiling")
    at = app().run()
    assert any("Waiting on you: Send a photo of the ceiling" in w.value for w in at.warning)
    [t for t in at.text_area if t.label == "Your answer"][0].input("Photo sent by email")
    [b for b in at.button if b.label == "Send and hand it back"][0].click().run()
    assert not at.exception
    assert at.success[0].value == f"{ref}: sent to {view['owner']['name']}"
    assert service.show(desk, ref, actor=AMIRA)["status"] == "open"
    service.resolve(desk, ref, actor=owner, note="fixed")
    at.run()
    [s for s in at.slider if s.label.startswith("How likely")][0].set_value(9)
    [b for b in at.button if b.label == "Confirm it is fixed"][0].click().run()
    assert not at.exception
    shown = service.show(desk, ref, actor=AMIRA)
    assert shown["status"] == "closed"
    assert shown["timeline"][-1]["kind"] == "confirmed" and shown["timeline"][-1]["data"]["nps"] == 9


def test_an_empty_note_is_refused_inline(app, ownit_demo_org) -> None:
    service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    at = app().run()
    [b for b in at.button if b.label == "Add note"][0].click().run()
    assert not at.exception
    assert "the note is empty" in at.error[0].value
