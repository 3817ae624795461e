"""The chat channel through the real desk and real Apprise, posting to a real
local HTTP server: Apprise's generic ``json://`` target (plain text, and
``?format=markdown`` / ``?format=html`` for the other layouts), ``form://``,
and Microsoft Teams' own Adaptive Card (``workflows://``) over HTTPS to a
server with a certificate the test trusts. Slack's and Google Chat's URLs name
their service's host, so they cannot be pointed at a local server.

The fixture clock stands at Monday 2026-11-23 10:00 UTC; the facilities north
team works 08:00-18:00 in London, so a leak's first contact is due at 14:00.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from chat_harness import (AMIRA, HELEN, OWNER, ChatServer, certificate, chat_desk, chat_env,  # noqa: F401 (fixtures)
                          chat_server, https_server)

import ownit
import ownit_chat
from ownit import NotificationSnapshot, service
from ownit.testing import outbox
from ownit_chat import ChatNotSent, card, send

LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}
TITLE = "Roof leaking over the stockroom"
TEAM = "facilities-north"


def raise_leak(desk, title: str = TITLE):
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=title, fields=LEAK)


def snapshot(**changes) -> NotificationSnapshot:
    data = {"notice": "Assigned", "ref": "FAC-1001", "title": TITLE, "requester": "Amira Khan",
            "first_contact_due": "2026-11-23T14:00:00+00:00", "zone": "Europe/London"}
    values = dict(id=7, recipient_email=OWNER, recipient_name="Priya Shah", ref="FAC-1001", kind="assigned",
                  message="You own FAC-1001 'Roof leaking over the stockroom' for Amira Khan; first contact due "
                          "Mon 23 Nov 14:00",
                  created_at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc), data=data, team=TEAM)
    values.update(changes)
    return NotificationSnapshot(**values)


@pytest.fixture
def desk_for(ownit_database_url, ownit_clock, tmp_path, chat_env):
    """``desk_for({who: urls})``: a desk whose people and teams have those chat addresses."""
    return lambda chats: chat_desk(ownit_database_url, ownit_clock, tmp_path, chats)


# --- through the service -------------------------------------------------------------------------------


def test_the_requester_the_owner_and_the_team_channel_each_hear_their_part(desk_for, chat_server: ChatServer) -> None:
    s = chat_server
    desk = desk_for({AMIRA: s.url("amira/T0KEN"), OWNER: s.url("priya/T0KEN", "form"), TEAM: s.url("team/T0KEN")})
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]
    assert (ref, owner["email"]) == ("FAC-1001", OWNER)
    desk.clock.advance(hours=1)
    service.contact(desk, ref, actor=OWNER, note="Called; buckets out.")
    desk.clock.advance(hours=2)
    service.check_in(desk, ref, actor=OWNER, note="Roofer booked for Wednesday.")

    assert desk.take_warnings() == []
    assert all(n["delivered_at"] is not None and n["attempts"] == 1 for n in outbox(desk))

    [team] = [post.body for post in s.to("team/T0KEN")]  # one post for the one event the team hears
    assert team["title"] == f"[{ref}] {TITLE}"
    assert team["message"] == (
        f"New request {ref} '{TITLE}' from Amira Khan: Priya Shah owns it; first contact due "
        "Mon 23 Nov 2026 14:00 (Europe/London)\n\nOpen it in OwnIt: https://ownit.example/team?ref=FAC-1001")

    [assigned] = [post.body for post in s.to("priya/T0KEN")]  # form:// sends fields, not JSON
    assert s.to("priya/T0KEN")[0].content_type.startswith("application/x-www-form-urlencoded")
    assert assigned["title"] == f"[{ref}] {TITLE}"
    assert assigned["message"].split("\n\n") == [
        f"You own {ref} '{TITLE}' for Amira Khan; first contact due Mon 23 Nov 14:00",
        "Needed from you: Contact Amira Khan by Mon 23 Nov 2026 14:00 (Europe/London).",
        "Open it in OwnIt: https://ownit.example/team?ref=FAC-1001"]

    received, contacted, checkin = [post.body for post in s.to("amira/T0KEN")]
    assert all(post["title"] == f"[{ref}] {TITLE}" for post in (received, contacted, checkin))
    assert received["message"].startswith(f"{ref} '{TITLE}' is raised: Priya Shah (Facilities North) owns it")
    assert contacted["message"].startswith(f"{ref}: Priya Shah contacted you: Called; buckets out.")
    assert checkin["message"].split("\n\n") == [f"{ref}: check-in from Priya Shah: Roofer booked for Wednesday.",
                                                "Open it in OwnIt: https://ownit.example/?ref=FAC-1001"]


def test_the_team_channel_hears_a_missed_promise_and_its_escalation_once(desk_for, chat_server: ChatServer) -> None:
    s = chat_server
    desk = desk_for({TEAM: s.url("team")})  # nobody has a chat of their own
    ref = raise_leak(desk)["ref"]
    desk.clock.advance(hours=4, minutes=30)  # 14:30: first contact (due 14:00) is missed
    assert [line["ref"] for line in service.sweep(desk)["overdue"]] == [ref]
    desk.clock.advance(hours=2)  # 16:30: past the grace period, the lead is told
    assert [line["lead"] for line in service.sweep(desk)["escalated"]] == [HELEN]
    desk.clock.advance(minutes=30)
    service.sweep(desk)  # nothing new to say: nothing new posted

    said = [post.body["message"].split("\n\n")[0] for post in s.to("team")]
    assert said == [
        f"New request {ref} '{TITLE}' from Amira Khan: Priya Shah owns it; first contact due "
        "Mon 23 Nov 2026 14:00 (Europe/London)",
        f"Promise missed on {ref}: Priya Shah's first contact was due Mon 23 Nov 2026 14:00 (Europe/London)",
        f"Escalated to Helen Price: {ref} '{TITLE}', Priya Shah's first contact was due Mon 23 Nov 2026 14:00 "
        "(Europe/London) and is overdue"]
    assert len(s.posts) == 3  # the requester's notices reach no chat: not for this channel
    notes = outbox(desk)
    assert all(n["delivered_at"] is not None for n in notes)
    assert {n["kind"] for n in notes} >= {"assigned", "raised", "overdue", "escalated"}


def test_the_team_channel_hears_a_reopened_request_not_the_work_in_between(desk_for, chat_server) -> None:
    s = chat_server
    desk = desk_for({TEAM: s.url("team")})
    ref = raise_leak(desk)["ref"]
    service.contact(desk, ref, actor=OWNER, note="On my way.")
    service.resolve(desk, ref, actor=OWNER, note="Roof patched.")
    service.reopen(desk, ref, actor=AMIRA, note="Dripping again.")
    said = [post.body["message"].split("\n\n")[0] for post in s.to("team")]
    assert said[1:] == [f"Reopened by Amira Khan: {ref} '{TITLE}' (owner Priya Shah): Dripping again."]
    assert len(said) == 2


def test_chat_down_the_action_stands_and_the_sweep_posts_it_once(desk_for, chat_server: ChatServer) -> None:
    s = chat_server
    desk = desk_for({AMIRA: s.url("amira/S3CRET-PATH"), TEAM: s.url("team/S3CRET-PATH")})
    s.stop()
    view = raise_leak(desk)  # the raise neither waits for nor undoes on the chat
    assert view["ref"] == "FAC-1001"
    warnings = desk.take_warnings()  # the owner's "assigned" (the team's post) and the requester's "raised"
    assert len(warnings) == 2
    assert all(w.startswith("plugin 'chat' failed on notify: ChatNotSent(") for w in warnings)
    assert f"the {TEAM} channel (json://127.0.0.1:{s.port}/…): could not be reached" in warnings[0]
    assert f"Amira Khan's chat (json://127.0.0.1:{s.port}/…): could not be reached" in warnings[1]
    shown = service.show(desk, view["ref"], actor=OWNER)
    errors = [e["note"] for e in shown["timeline"] if e["kind"] == "plugin_error"]
    assert len(errors) == 2 and all("ChatNotSent" in note for note in errors)
    assert not any("S3CRET" in text for text in [*warnings, *errors])  # the webhook's secret path is never shown
    assert all(n["delivered_at"] is None and n["attempts"] == 1 for n in outbox(desk))

    s.start()
    desk.clock.advance(minutes=2)
    raised = [n["id"] for n in outbox(desk)]  # the sweep also sends the morning digests: not these
    assert [line["id"] for line in service.sweep(desk)["redelivered"]] == raised
    desk.clock.advance(minutes=2)
    assert service.sweep(desk)["redelivered"] == []
    assert (len(s.to("team/S3CRET-PATH")), len(s.to("amira/S3CRET-PATH"))) == (1, 1)
    assert all(n["delivered_at"] is not None and n["attempts"] == 2 for n in outbox(desk) if n["id"] in raised)


EVIL = "**Leak** <b>now</b> & [click](http://evil.example) <at>Priya Shah</at> `x` # not a heading _i_ \\"


def test_user_text_stays_text_in_every_format(desk_for, chat_server: ChatServer, https_server: ChatServer) -> None:
    s = chat_server
    teams = f"workflows://127.0.0.1:{https_server.port}/wf1/sig1/"  # Microsoft Teams' own card, Markdown
    desk = desk_for({AMIRA: f"{s.url('text')} {s.url('md')}?format=markdown {s.url('html')}?format=html {teams}"})
    view = raise_leak(desk, title=EVIL)
    service.contact(desk, view["ref"], actor=OWNER, note="Hi <img src=x onerror=alert(1)> *you*")
    assert desk.take_warnings() == []

    text = [post.body for post in s.to("text")]
    assert [post["title"] for post in text] == [f"[FAC-1001] {EVIL}"] * 2  # plain text is shown as it is
    assert "Hi <img src=x onerror=alert(1)> *you*" in text[1]["message"]

    for post in s.to("md"):
        assert post.body["title"] == "\\[FAC\\-1001\\] " + re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", EVIL)
        assert shown_by_markdown(post.body["title"]) == f"[FAC-1001] {EVIL}"
    contacted = s.to("md")[1].body["message"]
    assert "Hi \\<img src\\=x onerror\\=alert\\(1\\)\\> \\*you\\*" in contacted
    assert contacted.endswith("[Open FAC\\-1001 in OwnIt](https://ownit.example/?ref=FAC-1001)")

    for post in s.to("html"):
        assert "<b>" not in post.body["title"] and "&lt;b&gt;now&lt;/b&gt; &amp;" in post.body["title"]
    html = s.to("html")[1].body["message"]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://ownit.example/?ref=FAC-1001">Open it in OwnIt</a>' in html

    cards = [post.body["attachments"][0]["content"] for post in https_server.posts]
    assert len(cards) == 2 and all(c["type"] == "AdaptiveCard" for c in cards)
    assert all("entities" not in c["msteams"] for c in cards)  # no <at> mention was made of user text
    blocks = {block["id"]: block["text"] for block in cards[1]["body"] if block["type"] == "TextBlock"}
    assert shown_by_markdown(blocks["title"]) == f"[FAC-1001] {EVIL}"
    assert "\\<at\\>Priya Shah\\<\\/at\\>" in blocks["title"]
    assert "Hi \\<img src\\=x onerror\\=alert\\(1\\)\\>" in blocks["body"]


def shown_by_markdown(escaped: str) -> str:
    """What a CommonMark renderer shows for ``escaped``, which must hold no
    unescaped punctuation: each ``\\x`` is the character ``x``."""
    assert re.search(r"(?<!\\)(?:\\\\)*[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)) is None
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)


def test_apprise_s_html_rendering_of_a_card_keeps_user_text_as_text() -> None:
    """Apprise renders a Markdown card as HTML for a target that reads HTML
    (the conversion its Slack and Google Chat layouts also start from)."""
    from apprise.conversion.format import markdown_to_html

    _, body = card.for_person(snapshot(message=EVIL), "https://ownit.example").render(card.MARKDOWN)
    rendered = markdown_to_html(body)
    assert "<b>" not in rendered and "<a href=\"http://evil.example\"" not in rendered and "<at>" not in rendered
    assert "&lt;b&gt;now&lt;/b&gt;" in rendered and "<strong>Needed from you:</strong>" in rendered
    assert '<a href="https://ownit.example/team?ref=FAC-1001">Open FAC-1001 in OwnIt</a>' in rendered


# --- one delivery ----------------------------------------------------------------------------------------


def test_a_target_that_refuses_fails_the_delivery_naming_it_without_its_secret(chat_server: ChatServer,
                                                                              chat_env) -> None:
    s = chat_server
    s.failing.add("team")
    note = snapshot(recipient_chat=s.url("priya/T0KEN"), team_chat=s.url("team/hook/T0KEN"))
    with pytest.raises(ChatNotSent) as failed:
        ownit_chat.ownit_notify(notification=note)
    assert str(failed.value) == (
        f"chat for notification 7 (FAC-1001) was not delivered to the {TEAM} channel "
        f"(json://127.0.0.1:{s.port}/…): refused it (HTTP 500) (delivered to 1 other)")
    assert len(s.to("priya/T0KEN")) == 1


def test_a_person_without_chat_is_not_for_this_channel_unless_the_team_hears_it(chat_server, chat_env) -> None:
    s = chat_server
    checkin = {"notice": "CheckIn", "ref": "FAC-1001", "title": TITLE, "owner": "Priya Shah", "note": "Booked."}
    assert ownit_chat.ownit_notify(notification=snapshot(team_chat=s.url("team"), data=checkin)) is None
    assert ownit_chat.ownit_notify(notification=snapshot()) is None
    assert ownit_chat.ownit_notify(notification=snapshot(team_chat=s.url("team"))) is True
    # a person whose chat is the team's channel gets the team's post, once
    assert ownit_chat.ownit_notify(notification=snapshot(team_chat=s.url("team"), recipient_chat=s.url("team"))) \
        is True
    assert len(s.to("team")) == 2 and s.posts[1].body["message"].startswith("New request FAC-1001")


def test_what_no_chat_reaches_is_never_offered_to_the_channel_and_is_done_in_the_inbox(
        desk_for, chat_server: ChatServer, monkeypatch) -> None:
    s = chat_server
    desk = desk_for({AMIRA: s.url("amira/T0KEN")})  # the owner and the team have no chat
    offered: list[str] = []
    notify = ownit_chat.ownit_notify
    monkeypatch.setattr(desk.plugins.pm.hook.ownit_notify.get_hookimpls()[0], "function",
                        lambda notification: offered.append(notification.kind) or notify(notification))
    view = raise_leak(desk)
    assert desk.take_warnings() == [] and offered == ["raised"]  # the owner's "assigned" reaches no chat
    done = {n["kind"]: (n["attempts"], n["delivered_at"] is not None, n["next_attempt_at"]) for n in outbox(desk)}
    assert done == {"raised": (1, True, None), "assigned": (0, True, None)}
    assert [n["kind"] for n in service.inbox(desk, actor=OWNER)] == ["assigned"]  # in the owner's inbox all the same
    desk.clock.advance(hours=1)
    service.contact(desk, view["ref"], actor=OWNER, note="Called; buckets out.")
    desk.clock.advance(hours=2)
    service.sweep(desk)  # nothing left for the sweep to offer
    assert offered == ["raised", "contacted"] and len(s.to("amira/T0KEN")) == 2


def test_the_team_channel_is_offered_what_it_hears_for_an_owner_without_chat(desk_for, chat_server) -> None:
    s = chat_server
    desk = desk_for({TEAM: s.url("team/T0KEN")})  # nobody has a chat of their own
    view = raise_leak(desk)
    service.contact(desk, view["ref"], actor=OWNER, note="Called; buckets out.")
    assert desk.take_warnings() == []
    [posted] = s.to("team/T0KEN")  # the new request, not the first contact
    assert posted.body["message"].startswith(f"New request {view['ref']} '{TITLE}' from Amira Khan")
    assert {n["kind"]: n["attempts"] for n in outbox(desk)} == {"raised": 0, "assigned": 1, "contacted": 0}
    assert all(n["delivered_at"] is not None for n in outbox(desk))


def test_an_address_apprise_does_not_know_is_a_failure_named_by_its_scheme(chat_env) -> None:
    with pytest.raises(ChatNotSent, match=r"Priya Shah's chat \(nosuch://…\): not a chat address Apprise knows$"):
        ownit_chat.ownit_notify(notification=snapshot(recipient_chat="nosuch://secret-token@host/path"))


def test_a_target_that_never_answers_fails_within_the_limit(chat_env) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"json://127.0.0.1:{silent.getsockname()[1]}/hook"
        started = time.monotonic()
        late = r"Priya Shah's chat \(json://127\.0\.0\.1:\d+/…\): no answer within 0\.3 s"
        with pytest.raises(ChatNotSent, match=late):
            send(snapshot(), [("Priya Shah's chat", url, card.for_person(snapshot(), "https://ownit.example"))],
                 limit=0.3)
        assert time.monotonic() - started < 1.5


def test_a_first_post_that_finds_apprise_still_loading_fails_in_time_to_be_retried(monkeypatch, chat_env) -> None:
    """On a busy machine loading Apprise may outlast the hook's time limit:
    the delivery fails on its own (the sweep retries it) rather than hang."""
    monkeypatch.setattr(ownit_chat, "_ready", ownit_chat.threading.Event())  # a load that never ends
    started = time.monotonic()
    with pytest.raises(ChatNotSent, match=r"^chat for notification 7 \(FAC-1001\) was not sent: Apprise is still "
                                          r"loading after 0\.2 s \(the first post of a process loads it\)$"):
        send(snapshot(), [("Priya Shah's chat", "json://127.0.0.1:9/hook", None)], limit=0.2)
    assert time.monotonic() - started < 1


def test_a_delivery_gives_up_before_the_hook_time_limit(monkeypatch) -> None:
    monkeypatch.delenv("OWNIT_HOOK_TIMEOUT", raising=False)
    assert ownit.delivery_limit() == 1.5  # under OwnIt's 2 s: a failure to retry, not a hang that pauses the channel
    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "30")
    assert ownit.delivery_limit() == 10


def test_without_any_chat_address_apprise_is_never_imported(tmp_path) -> None:
    """The channel is loaded like any plugin, but an action that reaches no
    chat costs a call that returns None: Apprise is imported on the first post."""
    code = f"""
import sys
from ownit.clock import FixedClock
from ownit.db import upgrade
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.org import load_org
from ownit.plugins import build_plugins
from ownit import service
from ownit.testing import START
url = "sqlite:///{tmp_path / 'ownit.db'}"
upgrade(url)
desk = Desk(url=url, plugins=build_plugins(only={{"facilities", "chat"}}),
            clock=FixedClock(START))
load_org(desk, ORG_FILE, skip_missing_departments=True)
service.raise_request(desk, actor="{AMIRA}", request_type="facilities.leak", title="Leak", fields={LEAK!r})
assert [impl.plugin_name for impl in desk.plugins.pm.hook.ownit_notify.get_hookimpls()] == ["chat"]
print("apprise" in sys.modules, desk.warnings)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False []"


@pytest.mark.parametrize("base", ["javascript:alert(1)", "https://ownit.example/a(b)", "ownit.example"])
def test_a_malformed_base_url_is_one_line_naming_the_variable(monkeypatch, base) -> None:
    monkeypatch.setenv("OWNIT_BASE_URL", base)
    with pytest.raises(ownit.PluginError, match=r"^OWNIT_BASE_URL must be the address of OwnIt's UI, such as "
                                                r"https://ownit\.example\.com$"):
        ownit_chat.ownit_notify(notification=snapshot(recipient_chat="json://127.0.0.1:9/hook"))
