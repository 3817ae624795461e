"""The email channel through the real desk, delivering to a real SMTP server.

The fixture clock stands at Monday 2026-11-23 10:00 UTC; the facilities north
team works 08:00-18:00 in London, so a leak's first contact is due at 14:00.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from smtp_harness import Handler, SmtpServer, free_port, mail_desk, mail_env, smtp_server  # noqa: F401 (fixtures)

import ownit_email
from ownit import NotificationSnapshot, PluginError, ValidationError, service
from ownit.models import Notification
from ownit_email import MailNotSent, deliver
from ownit_email import settings as config
from ownit_email.message import compose

AMIRA = "amira.khan@example.com"  # store manager, S001 Leeds (north)
LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}
TITLE = "Roof leaking over the stockroom"
ROOT = "<ownit.FAC-1001@ownit.example>"


def raise_leak(desk, title: str = TITLE):
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=title, fields=LEAK)


def outbox(desk) -> list[dict]:
    with desk.engine.connect() as conn:
        table = Notification.__table__
        return [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.id))]


def snapshot(**changes) -> NotificationSnapshot:
    data = {"notice": "CheckIn", "ref": "FAC-1001", "title": TITLE, "owner": "Sam Doyle", "note": "Roofer booked."}
    values = dict(id=7, recipient_email=AMIRA, ref="FAC-1001", kind="checkin",
                  message="FAC-1001: check-in from Sam Doyle: Roofer booked.",
                  created_at=datetime(2026, 11, 23, 12, tzinfo=timezone.utc), data=data)
    values.update(changes)
    return NotificationSnapshot(**values)


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


# --- through the service -------------------------------------------------------------------------------


def test_raise_contact_and_check_in_are_one_thread_per_request(mail_desk, mail_env: SmtpServer) -> None:
    desk, clock = mail_desk, mail_desk.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]
    assert ref == "FAC-1001"
    clock.advance(hours=1)
    service.contact(desk, ref, actor=owner["email"], note="Called; buckets out.")
    clock.advance(hours=2)
    service.check_in(desk, ref, actor=owner["email"], note="Roofer booked for Wednesday.")

    got = mail_env.received
    notes = outbox(desk)
    assert [n["kind"] for n in notes] == ["assigned", "raised", "contacted", "checkin"]
    assert all(n["delivered_at"] is not None and n["attempts"] == 1 for n in notes)
    assert [r.rcpt_tos for r in got] == [[owner["email"]], [AMIRA], [AMIRA], [AMIRA]]
    assert {r.mail_from for r in got} == {"desk@ownit.example"}
    for received, note in zip(got, notes, strict=True):
        m = received.message
        assert m["From"] == "OwnIt Desk <desk@ownit.example>"
        assert m["To"] == note_recipient(desk, note)
        assert m["Subject"] == f"[{ref}] {TITLE}"  # the same for the whole request: Gmail and Outlook thread on it
        assert m["Message-ID"] == f"<ownit.n{note['id']}.{ref}@ownit.example>"
        assert m["In-Reply-To"] == ROOT and m["References"] == ROOT
        assert m["List-Unsubscribe"] == "<https://ownit.example/settings>"
        assert m["Auto-Submitted"] == "auto-generated"
        assert m.get_content_type() == "multipart/alternative"
        text, html = parts(m)
        assert note["message"] in text  # what changed, first
    assert len({r.message["Message-ID"] for r in got}) == 4

    assigned_text, assigned_html = parts(got[0].message)
    assert "First contact due: Mon 23 Nov 2026 14:00 (Europe/London)" in assigned_text
    assert "Requested by:" in assigned_text and "Amira Khan" in assigned_text
    assert "Needed from you: Contact Amira Khan by Mon 23 Nov 2026 14:00 (Europe/London)." in assigned_text
    assert "Open it in OwnIt: https://ownit.example/team?ref=FAC-1001" in assigned_text  # the owner's queue
    assert 'href="https://ownit.example/team?ref=FAC-1001"' in assigned_html
    raised_text, _ = parts(got[1].message)  # the requester hears at once who owns it and the first promise
    assert re.search(rf"^Owner: +{owner['name']}\r?$", raised_text, re.M)
    assert "First contact due: Mon 23 Nov 2026 14:00 (Europe/London)" in raised_text
    checkin_text, checkin_html = parts(got[3].message)
    assert re.search(rf"^Owner: +{owner['name']}\r?$", checkin_text, re.M)
    assert "Roofer booked for Wednesday." in checkin_text and "Roofer booked for Wednesday." in checkin_html
    assert "Open it in OwnIt: https://ownit.example/?ref=FAC-1001" in checkin_text  # the requester's requests


def note_recipient(desk, note) -> str:
    people = {p["id"]: p["email"] for p in _people(desk)}
    return people[note["person_id"]]


def _people(desk) -> list[dict]:
    from ownit.models import Person

    with desk.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(Person.__table__))]


def header_names(raw: bytes) -> list[bytes]:
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return [line.split(b":", 1)[0].lower() for line in head.split(b"\n") if line and line[:1] not in b" \t"]


def test_user_text_never_becomes_a_header_or_markup(mail_desk, mail_env: SmtpServer) -> None:
    desk = mail_desk
    with pytest.raises(ValidationError, match="control characters"):  # the desk refuses CR and LF itself
        raise_leak(desk, title="Leak\r\nBcc: x@evil.example")
    # Unicode's own line breaks get through the desk: the channel keeps them out of its headers
    view = raise_leak(desk, title="Leak\u2028Bcc: x@evil.example\x85To: y@evil.example <b>now</b> & <script>x</script>")
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="Hi <img src=x onerror=alert(1)>")

    assert len(mail_env.received) == 3
    for received in mail_env.received:
        assert len(received.rcpt_tos) == 1 and "evil" not in received.rcpt_tos[0]
        assert header_names(received.raw).count(b"to") == 1 and b"bcc" not in header_names(received.raw)
        m = received.message
        assert m["Subject"] == "[FAC-1001] Leak Bcc: x@evil.example To: y@evil.example <b>now</b> & <script>x</script>"
        text, html = parts(m)
        assert "<b>" not in html and "&lt;b&gt;now&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;" in html
        assert "<script>" not in html
    contacted_text, contacted_html = parts(mail_env.received[2].message)
    assert "&lt;img src=x onerror=alert(1)&gt;" in contacted_html and "<img" not in contacted_html
    assert "Hi <img src=x onerror=alert(1)>" in contacted_text  # plain text is shown as text


def test_a_header_is_one_line_whatever_the_title_holds() -> None:
    settings = config._parse("smtp://127.0.0.1", "OwnIt <ownit@example.com>", "http://127.0.0.1:8501")
    evil = "Leak\r\nBcc: x@evil.example\u2028To: y@evil.example\x00 <script>alert(1)</script>"
    m = compose(snapshot(data={"notice": "CheckIn", "ref": "FAC-1001", "title": evil, "owner": "Sam",
                               "note": "<script>x</script>"}), settings)
    raw = m.as_bytes()
    assert m["Subject"] == "[FAC-1001] Leak Bcc: x@evil.example To: y@evil.example <script>alert(1)</script>"
    assert b"bcc" not in header_names(raw) and header_names(raw).count(b"to") == 1 and m["To"] == AMIRA
    html = m.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_same_notification_is_the_same_message() -> None:
    """A retry after a delivery that timed out but got through sends the same
    message: same Message-ID, same Date, same bytes, so clients can drop the copy."""
    settings = config._parse("smtp://127.0.0.1", "OwnIt <ownit@Example.COM>", "http://127.0.0.1:8501/")
    first, again = compose(snapshot(), settings), compose(snapshot(), settings)
    assert first["Message-ID"] == "<ownit.n7.FAC-1001@example.com>"
    assert first.as_bytes() == again.as_bytes()
    assert compose(snapshot(id=8), settings)["Message-ID"] != first["Message-ID"]


def test_smtp_down_the_action_stands_and_the_sweep_delivers_it_once(mail_desk, mail_env: SmtpServer) -> None:
    desk, clock = mail_desk, mail_desk.clock
    mail_env.stop()
    view = raise_leak(desk)  # the raise does not wait for, nor undo on, the mail
    assert view["ref"] == "FAC-1001"
    warnings = desk.take_warnings()  # the owner's "assigned" and the requester's "raised"
    assert len(warnings) == 2
    assert all(w.startswith("plugin 'email' failed on notify: MailNotSent(") for w in warnings)
    assert all("connection refused" in w and "FAC-1001" in w for w in warnings)
    note, _ = outbox(desk)
    assert note["kind"] == "assigned" and note["delivered_at"] is None and note["attempts"] == 1
    shown = service.show(desk, view["ref"], actor=view["owner"]["email"])
    assert any(e["kind"] == "plugin_error" and "MailNotSent" in e["note"] for e in shown["timeline"])

    mail_env.start()
    clock.advance(minutes=2)
    report = service.sweep(desk)
    assert [line["id"] for line in report["redelivered"]] == [n["id"] for n in outbox(desk) if n["kind"] != "digest"]
    clock.advance(minutes=2)
    assert service.sweep(desk)["redelivered"] == []
    ids = [r.message["Message-ID"] for r in mail_env.received]
    assert ids.count(f"<ownit.n{note['id']}.FAC-1001@ownit.example>") == 1
    [note] = [n for n in outbox(desk) if n["id"] == note["id"]]
    assert note["delivered_at"] is not None and note["attempts"] == 2


# --- delivery failures -----------------------------------------------------------------------------------


def test_a_refused_recipient_is_a_failure_to_retry(mail_env: SmtpServer) -> None:
    mail_env.handler.refuse.add(AMIRA)
    with pytest.raises(MailNotSent, match=r"to amira\.khan@example\.com was not sent through 127\.0\.0\.1:\d+: 550"):
        ownit_email.ownit_notify(notification=snapshot())
    assert mail_env.received == []


def test_a_server_that_never_answers_fails_within_the_limit(monkeypatch) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = config._parse(f"smtp://127.0.0.1:{silent.getsockname()[1]}", config.DEFAULT_FROM,
                                 config.DEFAULT_BASE)
        started = time.monotonic()
        with pytest.raises(MailNotSent, match=r"no answer within 0\.3 s"):
            deliver(compose(snapshot(), settings), snapshot(), settings, limit=0.3)
        assert time.monotonic() - started < 2


def test_a_delivery_gives_up_before_the_hook_time_limit(monkeypatch) -> None:
    monkeypatch.delenv("OWNIT_HOOK_TIMEOUT", raising=False)
    assert config.time_limit() == 1.5  # under OwnIt's 2 s: a failure to retry, not a hang that pauses the channel
    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "30")
    assert config.time_limit() == 10


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_url_encoded_credentials(monkeypatch) -> None:
    server = SmtpServer(free_port(), logins={"desk@ownit.example": "p@ss:word/1"})
    server.start()
    try:
        monkeypatch.setenv("OWNIT_SMTP_URL", server.url("desk%40ownit.example:p%40ss%3Aword%2F1@"))
        assert ownit_email.ownit_notify(notification=snapshot()) is True
        assert [r.rcpt_tos for r in server.received] == [[AMIRA]]
        monkeypatch.setenv("OWNIT_SMTP_URL", server.url("desk%40ownit.example:wrong@"))
        with pytest.raises(MailNotSent, match="535") as failed:
            ownit_email.ownit_notify(notification=snapshot())
        assert "wrong" not in str(failed.value)
    finally:
        server.stop()


# --- configuration ---------------------------------------------------------------------------------------


def test_without_a_server_it_sends_nothing_and_says_so_once(monkeypatch, caplog) -> None:
    monkeypatch.delenv("OWNIT_SMTP_URL", raising=False)
    monkeypatch.setattr(ownit_email, "_said_unset", False)
    with caplog.at_level(logging.INFO, logger="ownit_email"):
        assert ownit_email.ownit_notify(notification=snapshot()) is None
        assert ownit_email.ownit_notify(notification=snapshot(id=8)) is None
    assert [r.getMessage() for r in caplog.records] == [
        "OwnIt's email channel sends nothing: OWNIT_SMTP_URL is not set (notifications stay in the OwnIt inbox). "
        "Set it, or leave the plugin out with OWNIT_DISABLE_PLUGINS=email"]


def test_it_reaches_everyone_by_their_email_once_a_server_is_set_and_no_one_before(monkeypatch) -> None:
    from ownit import Reach

    monkeypatch.delenv("OWNIT_SMTP_URL", raising=False)
    assert ownit_email.ownit_reach() == Reach(address=None)
    monkeypatch.setenv("OWNIT_SMTP_URL", "smtp://127.0.0.1:2525")
    assert ownit_email.ownit_reach() == Reach(address="email")
    monkeypatch.setenv("OWNIT_SMTP_URL", "mail.example:25")  # malformed: said by ownit_notify, which is offered all
    with pytest.raises(PluginError, match="^OWNIT_SMTP_URL must look like"):
        ownit_email.ownit_reach()


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://mail.example:99999",
                                 "smtp://mail.example/inbox", "smtp://:secret@mail.example", "mail.example:25",
                                 "smtp://user:secret@mail.example:port"])
def test_a_malformed_server_url_is_one_line_naming_the_variable(monkeypatch, url) -> None:
    monkeypatch.setenv("OWNIT_SMTP_URL", url)
    with pytest.raises(PluginError) as failed:
        ownit_email.ownit_notify(notification=snapshot())
    message = str(failed.value)
    assert message.startswith("OWNIT_SMTP_URL must look like smtp://[user:password@]host[:port]")
    assert "\n" not in message and "secret" not in message


def test_the_three_kinds_of_server_url() -> None:
    plain = config._parse("smtp://mail.example", config.DEFAULT_FROM, config.DEFAULT_BASE)
    assert (plain.host, plain.port, plain.security, plain.user) == ("mail.example", 25, "plain", None)
    starttls = config._parse("smtp+starttls://a%20b:c%2Fd@mail.example", config.DEFAULT_FROM, config.DEFAULT_BASE)
    assert (starttls.port, starttls.security, starttls.user, starttls.password) == (587, "starttls", "a b", "c/d")
    tls = config._parse("smtps://mail.example:2465", "desk@ownit.example", "https://ownit.example/")
    assert (tls.port, tls.security, tls.sender, tls.domain, tls.base_url) == (
        2465, "tls", "desk@ownit.example", "ownit.example", "https://ownit.example")
    assert plain.sender == "OwnIt <ownit@localhost>" and plain.base_url == "http://127.0.0.1:8501"


@pytest.mark.parametrize(("variable", "value"), [("OWNIT_MAIL_FROM", "nobody"), ("OWNIT_MAIL_FROM", "a@b\r\nBcc: c@d"),
                                                 ("OWNIT_BASE_URL", "javascript:alert(1)")])
def test_a_malformed_sender_or_base_url_names_its_variable(monkeypatch, variable, value) -> None:
    monkeypatch.setenv("OWNIT_SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(PluginError, match=f"^{variable} must be"):
        ownit_email.ownit_notify(notification=snapshot())


def test_the_cli_starts_without_importing_the_plugin() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom ownit import cli\nsys.argv = ['ownit', '--help']\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "print('loaded' if 'ownit_email' in sys.modules or 'smtplib' in sys.modules else 'not loaded')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("not loaded")


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that the channel trusts (``SSL_CERT_FILE``)."""
    from ownit.testing import self_signed_certificate

    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_starttls_and_tls_from_the_start(monkeypatch, certificate, scheme) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    handler, port = Handler(), free_port()
    tls = {"tls_context": context, "require_starttls": True} if scheme == "smtp+starttls" else {"ssl_context": context}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    try:
        monkeypatch.setenv("OWNIT_SMTP_URL", f"{scheme}://127.0.0.1:{port}")
        assert ownit_email.ownit_notify(notification=snapshot()) is True
        assert [r.rcpt_tos for r in handler.received] == [[AMIRA]]
        monkeypatch.delenv("SSL_CERT_FILE")  # a certificate nobody vouches for is refused
        monkeypatch.setenv("SSL_CERT_DIR", str(certificate[0].parent / "nothing"))
        with pytest.raises(MailNotSent, match="CERTIFICATE_VERIFY_FAILED"):
            ownit_email.ownit_notify(notification=snapshot())
    finally:
        controller.stop()


def test_without_a_server_the_channel_is_not_even_asked(monkeypatch) -> None:
    """The entry point gives OwnIt the channel only when OWNIT_SMTP_URL is set:
    an action on a desk where nobody configured mail hands nothing to it."""
    from ownit.plugins import build_plugins

    monkeypatch.delenv("OWNIT_SMTP_URL", raising=False)
    assert build_plugins(only={"email"}).pm.hook.ownit_notify.get_hookimpls() == []
    monkeypatch.setenv("OWNIT_SMTP_URL", "smtp://127.0.0.1:2525")
    assert [impl.plugin_name for impl in build_plugins(only={"email"}).pm.hook.ownit_notify.get_hookimpls()] == [
        "email"]


def test_a_morning_digest_is_one_mail_with_its_sections(mail_desk, mail_env: SmtpServer) -> None:
    desk, clock = mail_desk, mail_desk.clock
    view = raise_leak(desk, title="Leak <b>over</b> the till")
    clock.set(datetime(2026, 11, 24, 8, 5, tzinfo=timezone.utc))  # Tuesday 08:05 in London
    service.sweep(desk)
    [lead] = [r.message for r in mail_env.received if r.message["X-OwnIt-Kind"] == "digest"
              and r.rcpt_tos == ["helen.price@example.com"]]
    assert lead["Subject"] == "Your morning digest, Tue 24 Nov" and lead["In-Reply-To"] is None
    text, html = parts(lead)
    assert re.search(rf"^Overdue\r?\n  - {view['ref']} Leak <b>over</b> the till \({view['owner']['name']}\): "
                     r"first contact was due Mon 23 Nov 14:00", text, re.M)
    assert "<h3>Overdue</h3>" in html and "Leak &lt;b&gt;over&lt;/b&gt; the till" in html


def test_sent_to_you_shows_each_mail_as_it_was_laid_out(mail_desk, mail_env: SmtpServer) -> None:
    desk = mail_desk
    view = raise_leak(desk, title="Leak <b>by</b> the till")
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    sent = service.sent_to_you(desk, actor=AMIRA)
    assert [m["ref"] for m in sent] == [view["ref"]] * 2  # newest first: contacted, then raised
    [contacted] = sent[0]["previews"]
    assert contacted["channel"] == "Email" and contacted["subject"] == "[FAC-1001] Leak <b>by</b> the till"
    mailed = next(r.message for r in mail_env.received if r.message["X-OwnIt-Kind"] == "contacted")
    assert contacted["html"] == parts(mailed)[1].replace("\r\n", "\n")  # what was sent (lines ended as SMTP ends them)
    assert "Leak &lt;b&gt;by&lt;/b&gt; the till" in contacted["html"] and "<b>by" not in contacted["html"]
    assert service.sent_to_you(desk, actor=view["owner"]["email"])[0]["previews"][0]["subject"].startswith("[FAC-1001]")


def test_the_inbox_page_shows_what_was_sent_to_you(mail_desk, mail_env: SmtpServer, monkeypatch) -> None:
    import sys
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import ownit.plugins

    desk = mail_desk
    raise_leak(desk)
    monkeypatch.setattr(ownit.plugins, "_loaded", None)  # the app loads the plugins with mail on
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("OWNIT_DATABASE_URL", desk.url)
    monkeypatch.setenv("OWNIT_UI_DEMO", "1")
    monkeypatch.setenv("OWNIT_NOW", desk.now().isoformat())
    at = AppTest.from_file(str(Path(ownit.plugins.__file__).parents[1] / "ui" / "app.py"), default_timeout=30)
    at.session_state["user"] = AMIRA
    at.run()
    at.switch_page("views/inbox.py").run()
    assert not at.exception
    [expander] = [e for e in at.expander if "Email" in e.label]
    assert expander.label.endswith("Email · \\[FAC\\-1001\\] " + TITLE)
    assert "Open it in OwnIt" in expander.get("html")[0].proto.body
