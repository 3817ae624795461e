"""Replies by email: real RFC 822 messages, shaped as mainstream clients send
them, read by ``ownit mail ingest`` into the real desk; refusals answered
through a real SMTP server (aiosmtpd).

The fixture clock stands at Monday 2026-11-23 10:00 UTC. Amira Khan raises a
roof leak; Priya Shah (Facilities North) owns it.
"""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from email.utils import parseaddr
from pathlib import Path

import pytest
import sqlalchemy as sa
from smtp_harness import MAIL_FROM, SmtpServer, mail_desk, mail_env, smtp_server  # noqa: F401 (fixtures)

from ownit import service
from ownit.models import MailReceived
from ownit.tokens import signer
from ownit_email.ingest import MAX_BYTES, ingest
from ownit_email.reading import MAX_CHARS, html_text, own_words

AMIRA, PRIYA, SAM = "amira.khan@example.com", "priya.shah@example.com", "sam.doyle@example.com"
LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}
OWNIT = "OwnIt Desk <desk@ownit.example>"
OWNIT_CLI = str(Path(sys.executable).with_name("ownit"))


def raise_leak(desk) -> str:
    """A leak raised by Amira, once its mails are out: on a loaded machine a
    delivery can outlast the notify time limit and finish in the background,
    after a test has counted what was sent."""
    import time

    from sqlalchemy import text

    ref = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leaking",
                                fields=LEAK)["ref"]
    deadline = time.monotonic() + 60
    with desk.engine.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM notification n JOIN request r ON r.id = n.request_id "
                                "WHERE r.ref = :ref AND n.delivered_at IS NULL"), {"ref": ref}).scalar():
            assert time.monotonic() < deadline, f"the mails of {ref} were not out within a minute"
            conn.rollback()  # a fresh look each time
            time.sleep(0.05)
    return ref


def reply_to(smtp: SmtpServer, to: str) -> str:
    """The Reply-To address of the latest mail OwnIt sent ``to``."""
    sent = [r for r in smtp.received if r.rcpt_tos == [to] and r.message["Reply-To"]]
    return parseaddr(sent[-1].message["Reply-To"])[1]


def timeline(desk, ref: str) -> list[dict]:
    return service.show(desk, ref, actor=PRIYA)["timeline"]


def kept(desk) -> int:
    with desk.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(MailReceived.__table__)).scalar()


def mail(*lines: str) -> bytes:
    return "\r\n".join(lines).encode()


# --- mail as the clients send it ------------------------------------------------------------------------


def gmail(sender: str, to: str, words: str, msgid: str = "<CAF+1@mail.gmail.com>") -> bytes:
    return mail(
        f"From: Amira Khan <{sender}>", f"To: {to}", "Subject: Re: [FAC-1001] Roof leaking",
        f"Message-ID: {msgid}", "In-Reply-To: <ownit.n2.FAC-1001@ownit.example>",
        "Date: Mon, 23 Nov 2026 11:00:00 +0000", "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="000000000000abc"', "",
        "--000000000000abc", 'Content-Type: text/plain; charset="UTF-8"', "",
        words, "", "On Mon, 23 Nov 2026 at 10:00, OwnIt Desk <", f"{to}> wrote:", "",
        "> Priya Shah owns FAC-1001 'Roof leaking'", ">", "> Open it in OwnIt", "",
        "--000000000000abc", 'Content-Type: text/html; charset="UTF-8"', "",
        f'<div dir="ltr">{words}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"On Mon, 23 Nov 2026 at 10:00, OwnIt Desk &lt;{to}&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Priya Shah owns FAC-1001</blockquote></div>',
        "", "--000000000000abc--", "")


def outlook_html_only(sender: str, to: str, words: str) -> bytes:
    return mail(
        f"From: Amira Khan <{sender}>", f"To: OwnIt <{to}>", "Subject: RE: [FAC-1001] Roof leaking",
        "Message-ID: <AM0PR01MB1234@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>",
        "Thread-Topic: [FAC-1001] Roof leaking", "Date: Mon, 23 Nov 2026 11:00:00 +0000", "MIME-Version: 1.0",
        'Content-Type: text/html; charset="us-ascii"', "Content-Transfer-Encoding: quoted-printable", "",
        '<html><head><style type=3D"text/css">p {margin:0}</style></head><body>',
        f'<div class=3D"elementToProof"><p>{words}</p><p>&nbsp;</p></div>',
        '<hr style=3D"display:inline-block;width:98%" tabindex=3D"-1">',
        '<div id=3D"divRplyFwdMsg" dir=3D"ltr"><b>From:</b> OwnIt Desk<br><b>Sent:</b> 23 November 2026 10:00<br>',
        "<b>Subject:</b> [FAC-1001] Roof leaking</div><div>Priya Shah owns FAC-1001</div></body></html>", "")


def outlook_plain(sender: str, to: str, words: str) -> bytes:
    return mail(
        f"From: {sender}", f"To: {to}", "Subject: RE: [FAC-1001] Roof leaking",
        "Message-ID: <001a01d9@example.com>", "Content-Type: text/plain; charset=utf-8", "",
        words, "", "________________________________", "From: OwnIt Desk <desk@ownit.example>",
        "Sent: Monday, November 23, 2026 10:00 AM", "To: Amira Khan", "Subject: [FAC-1001] Roof leaking", "",
        "Priya Shah owns FAC-1001", "")


def outlook_original(sender: str, to: str, words: str) -> bytes:
    return mail(
        f"From: {sender}", f"To: {to}", "Subject: RE: [FAC-1001] Roof leaking",
        "Message-ID: <002b@example.com>", "Content-Type: text/plain; charset=utf-8", "",
        words, "", "-----Original Message-----", "From: OwnIt Desk", "Sent: Monday 10:00", "",
        "Priya Shah owns FAC-1001", "")


def apple_mail(sender: str, to: str, words: str) -> bytes:
    return mail(
        f"From: Amira Khan <{sender}>", f"To: OwnIt Desk <{to}>", "Subject: Re: [FAC-1001] Roof leaking",
        "Message-ID: <5E1B2C3D-AAAA-BBBB@example.com>", "Mime-Version: 1.0 (1.0)",
        "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
        words, "", "Sent from my iPhone", "",
        "> On 23 Nov 2026, at 10:00, OwnIt Desk <desk@ownit.example> wrote:", ">",
        "> =EF=BB=BFPriya Shah owns FAC-1001", "")


def with_signature(sender: str, to: str, words: str) -> bytes:
    return mail(
        f"From: {sender}", f"To: {to}", "Subject: Re: [FAC-1001] Roof leaking", "Message-ID: <sig@example.com>",
        "Content-Type: text/plain; charset=utf-8", "", words, "", "-- ", "Amira Khan", "Store manager, Leeds",
        "0113 555 0100", "")


# --- sending: Reply-To ----------------------------------------------------------------------------------


def test_every_mail_carries_a_reply_to_holding_its_token(mail_desk, mail_env: SmtpServer, monkeypatch) -> None:
    ref = raise_leak(mail_desk)
    for received in mail_env.received:
        m = received.message
        name, address = parseaddr(m["Reply-To"])
        mailbox_part, domain = address.split("@")
        assert name == "OwnIt Desk" and domain == "ownit.example" and mailbox_part.startswith("desk+")
        token = mailbox_part.removeprefix("desk+")
        assert len(address) < 64 and token == token.lower()
        assert signer(mail_desk).read("reply", token, mail_desk.now())  # (the request, the recipient)
        assert m["Message-ID"].startswith("<ownit.n") and m["References"] == f"<ownit.{ref}@ownit.example>"
    monkeypatch.setenv("OWNIT_REPLY_TO", "OwnIt Replies <reply@ownit.example.com>")
    service.add_note(mail_desk, ref, actor=AMIRA, note="It is dripping faster now.")
    name, address = parseaddr(mail_env.received[-1].message["Reply-To"])
    assert name == "OwnIt Replies" and address.startswith("reply+") and address.endswith("@ownit.example.com")
    assert mail_env.received[-1].message["From"] == OWNIT  # the sender is unchanged


# --- accepted ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", [gmail, outlook_html_only, outlook_plain, outlook_original, apple_mail,
                                    with_signature])
def test_a_reply_from_a_mail_client_becomes_the_requesters_note(mail_desk, mail_env: SmtpServer, client) -> None:
    ref = raise_leak(mail_desk)
    words = "Thanks Priya. The bucket is full again, can someone come today?"
    outcome = ingest(mail_desk, client(AMIRA, reply_to(mail_env, AMIRA), words))
    assert (outcome.status, outcome.reason) == ("accepted", "noted"), outcome.line
    last = timeline(mail_desk, ref)[-1]
    assert (last["kind"], last["actor"], last["note"], last["internal"]) == ("note", AMIRA, words, False)
    told = mail_env.received[-1]  # the owner hears of it, by mail as by any note
    assert told.rcpt_tos == [PRIYA] and words in told.message.get_body(("plain",)).get_content()


def test_a_reply_to_waiting_on_you_resumes_the_request(mail_desk, mail_env: SmtpServer) -> None:
    ref = raise_leak(mail_desk)
    service.contact(mail_desk, ref, actor=PRIYA, note="Called you.")
    service.wait_on_requester(mail_desk, ref, actor=PRIYA, note="Please send a photo of the ceiling.")
    assert service.show(mail_desk, ref, actor=AMIRA)["status"] == "waiting"
    mail_desk.clock.advance(hours=1)
    outcome = ingest(mail_desk, gmail(AMIRA, reply_to(mail_env, AMIRA), "Photo attached: the tile is soaked."))
    assert outcome.reason == "resumed", outcome.line
    view = service.show(mail_desk, ref, actor=AMIRA)
    assert view["status"] == "open"
    assert (view["timeline"][-1]["kind"], view["timeline"][-1]["note"]) == ("resumed",
                                                                           "Photo attached: the tile is soaked.")


def test_the_owners_reply_is_their_note_to_the_requester(mail_desk, mail_env: SmtpServer) -> None:
    ref = raise_leak(mail_desk)
    service.add_note(mail_desk, ref, actor=AMIRA, note="Is anyone coming?")
    outcome = ingest(mail_desk, with_signature(PRIYA.upper(), reply_to(mail_env, PRIYA), "Yes, at 2pm today."))
    assert outcome.reason == "noted", outcome.line  # the From address is matched whatever its case
    last = timeline(mail_desk, ref)[-1]
    assert (last["actor"], last["note"], last["internal"]) == (PRIYA, "Yes, at 2pm today.", False)
    assert mail_env.received[-1].rcpt_tos == [AMIRA]


def test_the_same_mail_delivered_twice_adds_one_note(mail_desk, mail_env: SmtpServer) -> None:
    ref = raise_leak(mail_desk)
    raw = gmail(AMIRA, reply_to(mail_env, AMIRA), "Still dripping.")
    sent = len(mail_env.received)
    assert ingest(mail_desk, raw).status == "accepted"
    again = ingest(mail_desk, raw)
    assert again.status == "duplicate" and "nothing added" in again.line
    assert [e["note"] for e in timeline(mail_desk, ref)].count("Still dripping.") == 1
    assert kept(mail_desk) == 1
    assert len(mail_env.received) == sent + 1  # the owner told once; the sender not answered


def test_a_closed_request_is_reopened_within_its_period_and_refused_after(mail_desk, mail_env: SmtpServer) -> None:
    desk = mail_desk
    ref = raise_leak(desk)
    service.contact(desk, ref, actor=PRIYA, note="Called.")
    service.resolve(desk, ref, actor=PRIYA, note="Resealed.")
    service.confirm(desk, ref, actor=AMIRA)
    address = reply_to(mail_env, AMIRA)
    desk.clock.advance(days=1)
    assert ingest(desk, gmail(AMIRA, address, "It leaks again.", "<again@x>")).reason == "reopened"
    assert service.show(desk, ref, actor=AMIRA)["status"] == "open"
    service.resolve(desk, ref, actor=PRIYA, note="Resealed properly.")
    service.confirm(desk, ref, actor=AMIRA)
    desk.clock.advance(days=14)
    before = timeline(desk, ref)
    outcome = ingest(desk, gmail(AMIRA, address, "And again.", "<late@x>"))
    assert (outcome.status, outcome.reason, outcome.told) == ("refused", "closed", True)
    assert timeline(desk, ref) == before
    assert "can no longer be reopened; raise a new request" in _explanation(mail_env, AMIRA)


# --- refused: nothing added, the sender told why -------------------------------------------------------


def _explanation(smtp: SmtpServer, to: str) -> str:
    last = smtp.received[-1]
    assert last.rcpt_tos == [to] and last.mail_from == "<>"  # to the From address only, with a null envelope sender
    m = last.message
    assert m["Auto-Submitted"] == "auto-replied" and m["Subject"].startswith("Not added to OwnIt")
    return m.get_content()


def _forged(address: str) -> str:
    local, domain = address.split("@")
    return f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"


REFUSALS = {
    "forged": (lambda address: gmail(AMIRA, _forged(address), "Hello"), AMIRA, "was not made by OwnIt"),
    "wrong-sender": (lambda address: gmail(SAM, address, "I'll take it"), SAM, "given to someone else"),
    "unknown-sender": (lambda address: gmail("stranger@elsewhere.example", address, "Hi"),
                       "stranger@elsewhere.example", "is not the address of anyone in OwnIt"),
    "no-token": (lambda address: gmail(AMIRA, "desk@ownit.example", "Hi"), AMIRA,
                 "not sent to an OwnIt reply address"),
    "empty": (lambda address: gmail(AMIRA, address, "") , AMIRA, "nothing in it but the quoted email"),
    "oversized": (lambda address: mail(f"From: {AMIRA}", f"To: {address}", "Subject: photos",
                                       "Message-ID: <big@x>", "Content-Type: text/plain", "",
                                       "x" * (MAX_BYTES + 10)), AMIRA, "larger than 1 MB"),
    "malformed": (lambda address: mail(f"From: {AMIRA}", f"To: {address}", "Subject: Re", "Message-ID: <bad@x>",
                                       "MIME-Version: 1.0", "Content-Type: multipart/alternative", "",
                                       "no boundary anywhere", ""), AMIRA, "could not be read"),
}


@pytest.mark.parametrize("reason", sorted(REFUSALS))
def test_a_refused_reply_adds_nothing_and_the_sender_is_told_why(mail_desk, mail_env: SmtpServer, reason) -> None:
    build, sender, says = REFUSALS[reason]
    ref = raise_leak(mail_desk)
    before, sent = timeline(mail_desk, ref), len(mail_env.received)
    outcome = ingest(mail_desk, build(reply_to(mail_env, AMIRA)))
    assert (outcome.status, outcome.reason, outcome.told) == ("refused", reason, True), outcome.line
    assert timeline(mail_desk, ref) == before and kept(mail_desk) == 0
    assert len(mail_env.received) == sent + 1
    assert says in _explanation(mail_env, sender) and says in outcome.line


def test_an_expired_token_is_refused(mail_desk, mail_env: SmtpServer) -> None:
    ref = raise_leak(mail_desk)
    address = reply_to(mail_env, AMIRA)
    mail_desk.clock.advance(days=61)
    before = timeline(mail_desk, ref)
    outcome = ingest(mail_desk, apple_mail(AMIRA, address, "Any news?"))
    assert (outcome.status, outcome.reason) == ("refused", "expired")
    assert timeline(mail_desk, ref) == before
    assert "this link or address expired on 22 Jan 2027" in _explanation(mail_env, AMIRA)


def _token_for(desk, ref: str, email: str) -> str:
    return signer(desk).make("reply", (service.show(desk, ref, actor=AMIRA)["id"], _id(desk, email)), desk.now())


def test_a_teammates_reply_is_an_internal_note_and_an_outsiders_is_refused(mail_desk, mail_env: SmtpServer) -> None:
    """Email never bypasses what the note action allows: the token names the
    request and the person, and OwnIt still checks what that person may do."""
    ref = raise_leak(mail_desk)  # owned by Priya; Sam is in her team
    outcome = ingest(mail_desk, gmail(SAM, f"desk+{_token_for(mail_desk, ref, SAM)}@ownit.example", "I can cover.",
                                      "<sam@x>"))
    assert outcome.reason == "internal-note", outcome.line
    assert (timeline(mail_desk, ref)[-1]["note"], timeline(mail_desk, ref)[-1]["internal"]) == ("I can cover.", True)
    before = timeline(mail_desk, ref)
    raj = "raj.patel@example.com"  # IT's lead: nothing to do with a roof
    outcome = ingest(mail_desk, gmail(raj, f"desk+{_token_for(mail_desk, ref, raj)}@ownit.example", "Noted.",
                                      "<raj@x>"))
    assert (outcome.status, outcome.reason, outcome.told) == ("refused", "not-allowed", True), outcome.line
    assert timeline(mail_desk, ref) == before
    _explanation(mail_env, raj)


def _id(desk, email: str) -> int:
    from ownit.models import Person

    with desk.engine.connect() as conn:
        return conn.execute(sa.select(Person.__table__.c.id).where(Person.__table__.c.email == email)).scalar()


@pytest.mark.parametrize("header", ["Auto-Submitted: auto-replied", "Return-Path: <>",
                                    "Precedence: bulk", "X-Autoreply: yes"])
def test_automatic_mail_is_never_acted_on_nor_answered(mail_desk, mail_env: SmtpServer, header) -> None:
    ref = raise_leak(mail_desk)
    raw = header.encode() + b"\r\n" + gmail(AMIRA, reply_to(mail_env, AMIRA), "I am out of the office.")
    before, sent = timeline(mail_desk, ref), len(mail_env.received)
    outcome = ingest(mail_desk, raw)
    assert outcome.status == "ignored" and not outcome.told
    assert timeline(mail_desk, ref) == before and len(mail_env.received) == sent


def test_a_bounce_from_mailer_daemon_is_not_answered(mail_desk, mail_env: SmtpServer) -> None:
    raise_leak(mail_desk)
    sent = len(mail_env.received)
    raw = mail("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>", "To: desk@ownit.example",
               "Subject: Undelivered Mail", "Message-ID: <bounce@mx>", "Content-Type: text/plain", "", "gone")
    assert ingest(mail_desk, raw, envelope_sender="").status == "ignored"
    assert len(mail_env.received) == sent


# --- the command: a mail server's pipe, a Maildir -------------------------------------------------------


def _cli(desk, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {**os.environ, "OWNIT_DATABASE_URL": desk.url, "OWNIT_PLUGINS": "facilities,email"}
    return subprocess.run([OWNIT_CLI, "--now", desk.now().isoformat(), "mail", "ingest", *args], input=stdin,
                          env=env, capture_output=True, timeout=60)


def test_ownit_mail_ingest_reads_a_reply_on_standard_input(mail_desk, mail_env: SmtpServer) -> None:
    ref = raise_leak(mail_desk)
    address = reply_to(mail_env, AMIRA)
    done = _cli(mail_desk, "--recipient", address, stdin=outlook_html_only(AMIRA, "desk@ownit.example", "On my way."))
    assert done.returncode == 0, done.stderr
    assert f"{ref}, a note by {AMIRA}" in done.stdout.decode()
    assert timeline(mail_desk, ref)[-1]["note"] == "On my way."

    refused = _cli(mail_desk, stdin=gmail(AMIRA, _forged(address), "Hi", "<forged@x>"))
    assert refused.returncode == 0 and "(forged)" in refused.stdout.decode()  # handled: the sender was told
    assert "was not made by OwnIt" in _explanation(mail_env, AMIRA)

    junk = _cli(mail_desk, stdin=b"this is not an email at all\n")
    assert junk.returncode == 1 and junk.stderr.decode().startswith("error: not a mail")
    assert b"Traceback" not in junk.stderr + refused.stderr + done.stderr


def test_ownit_mail_ingest_reads_a_maildir_once(mail_desk, mail_env: SmtpServer, tmp_path) -> None:
    ref = raise_leak(mail_desk)
    address = reply_to(mail_env, AMIRA)
    box = mailbox.Maildir(tmp_path / "replies", create=True)
    box.add(apple_mail(AMIRA, address, "Bucket emptied."))
    box.add(gmail(AMIRA, _forged(address), "Forged", "<forged@x>"))
    first = _cli(mail_desk, "--maildir", str(tmp_path / "replies"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.decode().strip().endswith("1 accepted, 1 refused")
    assert not list((tmp_path / "replies" / "new").iterdir()) and len(list((tmp_path / "replies" / "cur").iterdir())) == 2
    second = _cli(mail_desk, "--maildir", str(tmp_path / "replies"))
    assert second.stdout.decode().strip().endswith("no new mail")
    box.add(apple_mail(AMIRA, address, "Bucket emptied."))  # delivered again
    third = _cli(mail_desk, "--maildir", str(tmp_path / "replies"))
    assert third.stdout.decode().strip().endswith("1 duplicate")
    assert [e["note"] for e in timeline(mail_desk, ref)].count("Bucket emptied.") == 1
    missing = _cli(mail_desk, "--maildir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "is not a Maildir" in missing.stderr.decode()


# --- the demo's mail folder -----------------------------------------------------------------------------


def test_maildir_url_delivers_into_a_local_folder(mail_desk, monkeypatch, tmp_path) -> None:
    folder = tmp_path / "demo mail"
    monkeypatch.setenv("OWNIT_SMTP_URL", f"maildir://{folder}")
    ref = raise_leak(mail_desk)
    got = [m for m in mailbox.Maildir(folder, create=False)]
    assert sorted(m["Delivered-To"] for m in got) == sorted([AMIRA, PRIYA])
    assert all(m["Subject"] == f"[{ref}] Roof leaking" and "+" in m["Reply-To"] for m in got)


def test_the_demo_puts_its_mail_next_to_its_database() -> None:
    from ownit.demo import mail_url

    assert mail_url("sqlite:////srv/ownit/ownit.db") == "maildir:///srv/ownit/ownit-mail"


@pytest.mark.parametrize("url, says", [("maildir://host/x", "maildir:///path/to/folder"),
                                       ("maildir:", "maildir:///path/to/folder")])
def test_a_malformed_maildir_url_is_refused_in_one_line(url, says) -> None:
    from ownit import PluginError
    from ownit_email import settings as config

    with pytest.raises(PluginError, match=says):
        config._parse(url, "OwnIt <o@x.example>", "http://x")


# --- reading a reply ------------------------------------------------------------------------------------


def test_own_words_keeps_inline_answers_and_cuts_long_replies() -> None:
    assert own_words("> Can you come at 2?\nYes, 2 is fine.\n> And the key?\nAt the till.") == \
        "Yes, 2 is fine.\nAt the till."
    assert own_words("Fine.\r\n\r\n\r\n\r\nLe lun. 23 nov. 2026 à 10:00, OwnIt <o@x> a écrit :\r\n> hi") == "Fine."
    assert own_words("On Monday the roofer came.\nIt is dry.") == "On Monday the roofer came.\nIt is dry."
    long = own_words("word " * 2000)
    assert len(long) < MAX_CHARS + 60 and long.endswith("[cut: the rest was longer than OwnIt keeps]")


def test_html_becomes_text_without_quotes_scripts_or_markup() -> None:
    html = ("<html><head><title>x</title><style>p{}</style></head><body><p>Line one &amp; two</p>"
            "<div>Line<br>three</div><script>alert(1)</script><blockquote type='cite'>old</blockquote></body></html>")
    assert own_words(html_text(html)) == "Line one & two\nLine\nthree"
    gmail_lines = '<div dir="ltr"><div>First.</div><div><br></div><div>Second.</div></div>'
    assert own_words(html_text(gmail_lines)) == "First.\n\nSecond."
