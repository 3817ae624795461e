"""Where people are reached and how they want to hear: chat addresses and
``notify`` preferences in the org file, the channels a notification is
offered to, and the signed tokens that reply addresses and rating links carry."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from conftest import AMIRA, LEAK, look
from sqlmodel import select

from ownit import hookimpl, service
from ownit.desk import Desk
from ownit.errors import ConfigError, ValidationError
from ownit.models import Request
from ownit.org import load_org
from ownit.plugins import build_plugins
from ownit import preferences, tokens
from ownit.store import unit as store

ORG_FILE = Path(__file__).parents[1] / "ownit" / "demo" / "org.toml"


class Channel:
    def __init__(self) -> None:
        self.got: list = []

    @hookimpl
    def ownit_notify(self, notification):
        self.got.append(notification)
        return True


def desk_with(channels: dict, url: str, clock) -> Desk:
    """A desk whose only channels are ``channels`` (the installed email and chat plugins left out)."""
    desk = Desk(url=url, plugins=build_plugins(only={"facilities"},
                                                                        extra=list(channels.items())), clock=clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk


def load_more(desk: Desk, tmp_path: Path, text: str) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text(text, encoding="utf-8")
    load_org(desk, extra, skip_missing_departments=True)


AMIRA_PREFS = """
[[person]]
email = "amira.khan@example.com"
name = "Amira Khan"
site = "S001"
chat = ["msteams://team/token/", "json://127.0.0.1:9/hook"]
notify = { channels = ["chat"], quiet = "19:00-07:00", timezone = "Europe/Paris" }

[[team]]
key = "facilities-north"
name = "Facilities North"
department = "facilities"
lead = "helen.price@example.com"
regions = ["north"]
calendar = { timezone = "Europe/London", days = "MO-FR", hours = "08:00-18:00", country = "GB", subdivision = "ENG" }
members = [
  { email = "sam.doyle@example.com", skills = ["building", "plumbing", "hvac"], capacity = 15 },
  { email = "priya.shah@example.com", skills = ["building", "security"], capacity = 15 },
]
chat = "slack://T000/B000/XXXX"
"""


def test_org_file_chat_and_preferences_reach_the_channels(ownit_database_url, ownit_clock, tmp_path) -> None:
    mail, chat = Channel(), Channel()
    desk = desk_with({"mail": mail, "chat": chat}, ownit_database_url, ownit_clock)
    load_more(desk, tmp_path, AMIRA_PREFS)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    # Amira hears by chat only; the owner (no preferences) by every channel
    assert [n.kind for n in chat.got] == ["assigned", "raised"] and [n.kind for n in mail.got] == ["assigned"]
    raised = chat.got[1]
    assert raised.recipient_email == AMIRA and raised.recipient_name == "Amira Khan"
    assert raised.recipient_chat == "msteams://team/token/ json://127.0.0.1:9/hook"
    assert raised.team == view["team"]["key"] and raised.team_chat == "slack://T000/B000/XXXX"
    assert "will contact you by" in raised.message and view["owner"]["name"] in raised.message
    # what she chose stays when the file no longer says it; her zone is her own
    person = desk.directory.person(AMIRA)
    assert person.notify.quiet == (time(19), time(7)) and desk.directory.zone(person) == "Europe/Paris"
    load_more(desk, tmp_path, AMIRA_PREFS.replace('notify = { channels = ["chat"], quiet = "19:00-07:00", '
                                                  'timezone = "Europe/Paris" }', ""))
    store.run(desk, lambda u: u.directory)  # read again
    assert desk.directory.person(AMIRA).notify.channels == ("chat",)


@pytest.mark.parametrize(("field", "value", "said"), [
    ("notify", '{ digest = "yes" }', "digest must be true"),
    ("notify", '{ quiet = "7pm-7am" }', "must be two different times of day"),
    ("notify", '{ timezone = "Mars/Olympus" }', "is not a time zone"),
    ("notify", '{ channels = "email" }', "must be a list of channel names"),
    ("notify", '{ loud = true }', "notify has no 'loud'"),
    ("chat", '"https//nope"', "must be an Apprise URL"),
])
def test_a_bad_contact_or_preference_is_one_line_naming_the_field(ownit_database_url, ownit_clock, tmp_path, field,
                                                                  value, said) -> None:
    desk = desk_with({}, ownit_database_url, ownit_clock)
    text = f'[[person]]\nemail = "amira.khan@example.com"\nname = "Amira Khan"\nsite = "S001"\n{field} = {value}\n'
    with pytest.raises(ConfigError, match=rf"line 5: person #1 field '{field}': .*{said}"):
        load_more(desk, tmp_path, text)


def test_a_person_who_wants_the_inbox_only_is_offered_to_no_channel(ownit_database_url, ownit_clock,
                                                                    tmp_path) -> None:
    mail = Channel()
    desk = desk_with({"mail": mail}, ownit_database_url, ownit_clock)
    load_more(desk, tmp_path, '[[person]]\nemail = "amira.khan@example.com"\nname = "Amira Khan"\nsite = "S001"\n'
                              'notify = { channels = [] }\n')
    service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    assert [n.kind for n in mail.got] == ["assigned"]  # to the owner; Amira's is in her inbox only
    ownit_clock.advance(minutes=5)
    assert service.sweep(desk)["redelivered"] == []
    assert [n["kind"] for n in service.inbox(desk, actor=AMIRA)] == ["raised"]


def test_quiet_hours_wrap_past_midnight() -> None:
    evening = preferences.parse({"quiet": "19:00-07:00"})
    assert evening.quiet_at(time(23)) and evening.quiet_at(time(6, 59)) and not evening.quiet_at(time(7))
    lunch = preferences.parse({"quiet": "12:00-13:00"})
    assert lunch.quiet_at(time(12, 30)) and not lunch.quiet_at(time(13)) and not lunch.quiet_at(time(11))
    assert preferences.parse(lunch.to_dict()) == lunch and preferences.parse({}) == preferences.Preferences()


# --- signed tokens ---------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 2, 9, tzinfo=timezone.utc)


def test_a_token_reads_back_only_as_made_for_its_purpose_and_lifetime() -> None:
    signer = tokens.Signer(b"k" * 32)
    token = signer.make("reply", (1001, 7), NOW)
    assert token == token.lower() and len(token) < 58 and set(token) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert signer.read("reply", token, NOW + timedelta(days=59)) == (1001, 7)
    assert signer.read("reply", token.upper(), NOW) == (1001, 7)  # a mail server folded the address's case
    for bad, reason in [(signer.make("rate", (1001, 7), NOW), "forged"),  # another purpose's token
                        (token.replace("-", "-1", 1), "forged"),  # another request
                        (tokens.Signer(b"o" * 32).make("reply", (1001, 7), NOW), "forged"),  # another key
                        ("hello", "malformed")]:
        with pytest.raises(tokens.BadToken) as caught:
            signer.read("reply", bad, NOW)
        assert caught.value.reason == reason
    with pytest.raises(tokens.BadToken, match="expired on 31 Jan 2027") as caught:
        signer.read("reply", token, NOW + timedelta(days=61))
    assert caught.value.reason == "expired"


def test_the_key_is_made_once_and_kept_in_the_database(ownit_database_url, ownit_clock, monkeypatch) -> None:
    monkeypatch.delenv(tokens.KEY_ENV, raising=False)
    one = desk_with({}, ownit_database_url, ownit_clock)
    token = tokens.signer(one).make("rate", (5,), NOW)
    other = Desk(url=ownit_database_url, plugins=one.plugins,
                 clock=ownit_clock)  # another process on the same database
    assert tokens.signer(other).read("rate", token, NOW) == (5,)
    monkeypatch.setenv(tokens.KEY_ENV, "a configured key of enough length!")
    third = Desk(url=ownit_database_url, plugins=one.plugins,
                 clock=ownit_clock)
    with pytest.raises(tokens.BadToken):  # a configured key replaces the kept one
        tokens.signer(third).read("rate", token, NOW)
    monkeypatch.setenv(tokens.KEY_ENV, "short")
    with pytest.raises(ValidationError, match="OWNIT_SECRET_KEY is too short"):
        tokens.signer(Desk(url=ownit_database_url, plugins=one.plugins, clock=ownit_clock))


def test_channels_get_a_reply_token_and_a_rating_token_only_when_resolved(ownit_database_url, ownit_clock) -> None:
    chat = Channel()
    desk = desk_with({"chat": chat}, ownit_database_url, ownit_clock)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    owner = view["owner"]["email"]
    service.contact(desk, view["ref"], actor=owner, note="On my way")
    service.resolve(desk, view["ref"], actor=owner, note="Patched")
    signer = tokens.signer(desk)
    people = {p.email: p.id for p in desk.directory.people.values()}
    request_id = look(desk, lambda s: s.exec(select(Request.id).where(Request.ref == view["ref"])).one())
    for note in chat.got:
        assert signer.read("reply", note.reply_token, ownit_clock.now()) == (request_id, people[note.recipient_email])
    resolved = [n for n in chat.got if n.kind == "resolved"]
    assert [n.recipient_email for n in resolved] == [AMIRA]
    assert signer.read("rate", resolved[0].rate_token, ownit_clock.now()) == (resolved[0].id,)
    assert all(n.rate_token == "" for n in chat.got if n.kind != "resolved")
