"""Delivery you can trust: the outbox's schedule (retries with backoff, dead
letters an admin can retry), quiet hours and the morning digest in each
person's own time (across zones and the DST change), and sweeps on several
hosts at once that never send one notification twice."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import AMIRA, HELEN, LEAK, SAM

from ownit import hookimpl, service
from ownit.desk import Desk
from ownit.errors import NotFound, PermissionDenied, ValidationError
from ownit.org import load_org
from ownit.plugins import build_plugins

ORG_FILE = Path(__file__).parents[1] / "ownit" / "demo" / "org.toml"


class Channel:
    """A chat channel that is down while ``down`` is set, and notes what it delivered."""

    def __init__(self) -> None:
        self.down = False
        self.got: list[tuple[int, str, str]] = []
        self.lock = threading.Lock()

    @hookimpl
    def ownit_notify(self, notification):
        if self.down:
            raise ConnectionError("chat server down")
        with self.lock:
            self.got.append((notification.id, notification.kind, notification.recipient_email))
        return True

    def kinds(self, to: str) -> list[str]:
        return [kind for _, kind, who in self.got if who == to]


def desk_with(channel: Channel, url: str, clock, tmp_path: Path, extra: str = "") -> Desk:
    desk = Desk(url=url, plugins=build_plugins(extra=[("pager", channel)]), clock=clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    if extra:
        more = tmp_path / "more.toml"
        more.write_text(extra, encoding="utf-8")
        load_org(desk, more, skip_missing_departments=True)
    return desk


def person(email: str, name: str, site: str, roles: str, notify: str = "") -> str:
    return (f'[[person]]\nemail = "{email}"\nname = "{name}"\nsite = "{site}"\nroles = {roles}\n'
            + (f"notify = {notify}\n" if notify else "") + "\n")


HELEN_ADMIN = person(HELEN, "Helen Price", "HQ", '["lead", "admin"]')


def raise_leak(desk: Desk) -> dict:
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)


def at(clock, text: str) -> None:
    clock.set(datetime.fromisoformat(text).astimezone(timezone.utc))


# --- retries, dead letters, an admin's retry ----------------------------------------------------------------


def test_failures_back_off_then_wait_as_dead_letters_for_an_admin(ownit_database_url, ownit_clock, tmp_path) -> None:
    chat = Channel()
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path, HELEN_ADMIN)
    chat.down = True
    raise_leak(desk)  # attempt 1 of the owner's "assigned" and the requester's "raised" fail at once
    desk.take_warnings()
    [raised] = [n for n in service.outbox(desk, actor=HELEN) if n["kind"] == "raised"]
    assert (raised["state"], raised["attempts"]) == ("retrying", 1) and "chat server down" in raised["error"]

    def attempts() -> int:
        return next(n["attempts"] for n in service.outbox(desk, actor=HELEN) if n["id"] == raised["id"])

    for wait, expected in [(0.5, 1), (0.6, 2), (4.5, 2), (0.6, 3), (14.5, 3), (0.6, 4), (59.5, 4), (0.6, 5)]:
        ownit_clock.advance(minutes=wait)  # the backoff: 1, 5, 15 and 60 minutes after attempts 1 to 4
        service.sweep(desk)
        assert attempts() == expected, wait
    ownit_clock.advance(hours=6)
    service.sweep(desk)
    assert attempts() == 5  # a dead letter: no more attempts on its own
    failed = service.outbox(desk, actor=HELEN, failed=True)
    assert raised["id"] in [n["id"] for n in failed] and all(n["state"] == "failed" for n in failed)
    assert AMIRA in [n["to"] for n in failed]
    with pytest.raises(PermissionDenied, match="only an admin may see everyone's failed notifications"):
        service.outbox(desk, actor=AMIRA, failed=True)
    assert {n["to"] for n in service.outbox(desk, actor=AMIRA)} == {AMIRA}  # her own, not everyone's
    with pytest.raises(PermissionDenied, match="only an admin may retry a notification"):
        service.retry_notification(desk, raised["id"], actor=AMIRA)

    chat.down = False  # the server is back: the admin sends it now
    report = service.retry_notification(desk, raised["id"], actor=HELEN)
    assert [(line["id"], line["attempt"]) for line in report["redelivered"]] == [(raised["id"], 6)]
    assert chat.kinds(AMIRA) == ["raised"]
    with pytest.raises(ValidationError, match=f"notification {raised['id']} was delivered already"):
        service.retry_notification(desk, raised["id"], actor=HELEN)
    with pytest.raises(NotFound, match="no notification 99999"):
        service.retry_notification(desk, 99999, actor=HELEN)


# --- quiet hours and the digest -------------------------------------------------------------------------------


def test_quiet_hours_hold_notifications_until_they_end_in_the_persons_own_zone(ownit_database_url, ownit_clock,
                                                                                tmp_path) -> None:
    chat = Channel()
    quiet = person(AMIRA, "Amira Khan", "S001", '["requester"]',
                   '{ quiet = "18:00-09:30", timezone = "Europe/Paris" }')
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path, quiet)
    at(ownit_clock, "2026-11-23T08:00:00+00:00")  # 09:00 in Paris: quiet for her, working hours in Leeds
    view = raise_leak(desk)
    assert chat.kinds(AMIRA) == [] and chat.kinds(view["owner"]["email"]) == ["assigned"]
    [held] = service.outbox(desk, actor=AMIRA, everyone=False)
    assert held["state"] == "held" and held["next_attempt_at"] == "2026-11-23T08:30:00+00:00"
    at(ownit_clock, "2026-11-23T08:29:00+00:00")
    service.sweep(desk)
    assert chat.kinds(AMIRA) == []
    at(ownit_clock, "2026-11-23T08:30:00+00:00")  # 09:30 in Paris
    service.sweep(desk)
    service.sweep(desk)
    assert chat.kinds(AMIRA) == ["raised"]  # once


def test_a_digest_holds_all_but_what_is_urgent_for_one_morning_mail(ownit_database_url, ownit_clock,
                                                                     tmp_path) -> None:
    chat = Channel()
    digest = person(AMIRA, "Amira Khan", "S001", '["requester"]', "{ digest = true }")
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path, digest)
    view = raise_leak(desk)  # Monday 10:00 in Leeds
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="Buckets out, roofer called")
    service.wait_on_requester(desk, ref, actor=owner, note="Which door can the roofer use?")
    assert chat.kinds(AMIRA) == ["waiting"]  # urgent: it asks something of her; the rest waits for her digest
    assert [n["state"] for n in service.outbox(desk, actor=AMIRA, everyone=False)] == ["delivered", "held", "held"]
    at(ownit_clock, "2026-11-24T07:59:00+00:00")
    assert service.sweep(desk)["digests"] == [] or AMIRA not in [d["to"] for d in service.sweep(desk)["digests"]]
    at(ownit_clock, "2026-11-24T08:00:00+00:00")  # 08:00 in Leeds
    sent = [d for d in service.sweep(desk)["digests"] if d["to"] == AMIRA]
    assert sent == [{"to": AMIRA, "sections": ["Since your last digest"]}]
    assert chat.kinds(AMIRA) == ["waiting", "digest"]
    assert all(d["to"] != AMIRA for d in service.sweep(desk)["digests"])  # once a day
    [mail, *rest] = service.inbox(desk, actor=AMIRA)
    lines = mail["data"]["sections"][0]["lines"]
    assert mail["kind"] == "digest" and len(lines) == 2 and "is raised" in lines[0] and "contacted you" in lines[1]
    assert all(n["state"] == "delivered" for n in service.outbox(desk, actor=AMIRA, everyone=False))


def test_the_leads_morning_digest_comes_at_eight_in_their_zone_across_the_dst_change(ownit_database_url,
                                                                                        ownit_clock, tmp_path) -> None:
    chat = Channel()
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path)
    at(ownit_clock, "2026-10-21T14:00:00+00:00")  # Wednesday 15:00 BST
    view = raise_leak(desk)
    ref = view["ref"]

    def digest_for(who: str) -> list[dict]:
        return [d for d in service.sweep(desk)["digests"] if d["to"] == who]

    at(ownit_clock, "2026-10-23T06:59:00+00:00")  # Friday 07:59 BST
    assert digest_for(HELEN) == []
    at(ownit_clock, "2026-10-23T07:00:00+00:00")  # 08:00 BST
    [sent] = digest_for(HELEN)
    assert "Overdue" in sent["sections"]
    [digest] = [n for n in service.inbox(desk, actor=HELEN) if n["kind"] == "digest"]
    overdue = next(s for s in digest["data"]["sections"] if s["title"] == "Overdue")
    due = datetime.fromisoformat(view["promise"]["first_contact_due"]).astimezone(ZoneInfo("Europe/London"))
    assert overdue["lines"] == [f"{ref} Roof leak ({view['owner']['name']}): first contact was due {due:%a %d %b %H:%M}"]
    assert digest["message"].startswith("Your morning digest, Fri 23 Oct: 1 overdue")
    assert digest_for(HELEN) == []  # the sweep again: nothing twice
    at(ownit_clock, "2026-10-24T09:00:00+00:00")  # Saturday: not a working day for Facilities North
    assert digest_for(HELEN) == []
    at(ownit_clock, "2026-10-26T07:30:00+00:00")  # Monday 07:30 GMT: the clocks went back on Sunday
    assert digest_for(HELEN) == []
    at(ownit_clock, "2026-10-26T08:00:00+00:00")  # 08:00 GMT
    assert [d["to"] for d in service.sweep(desk)["digests"] if d["to"] == HELEN] == [HELEN]
    # the owner hears of their own day too
    assert [n for n in service.inbox(desk, actor=view["owner"]["email"]) if n["kind"] == "digest"]


def test_an_owner_in_new_york_gets_their_digest_at_eight_new_york_time(ownit_database_url, ownit_clock,
                                                                       tmp_path) -> None:
    chat = Channel()
    sam_abroad = person(SAM, "Sam Doyle", "HQ", '["agent"]', '{ timezone = "America/New_York" }')
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path, sam_abroad)
    at(ownit_clock, "2026-11-23T10:00:00+00:00")
    view = raise_leak(desk)
    owner = view["owner"]["email"]
    if owner != SAM:
        service.hand_off(desk, view["ref"], actor=owner, to=SAM, note="Sam knows this roof")
    at(ownit_clock, "2026-11-24T12:59:00+00:00")  # 07:59 in New York; Helen in London has had hers
    assert SAM not in [d["to"] for d in service.sweep(desk)["digests"]]
    at(ownit_clock, "2026-11-24T13:00:00+00:00")
    assert SAM in [d["to"] for d in service.sweep(desk)["digests"]]


# --- several hosts ---------------------------------------------------------------------------------------------


def test_sweeps_on_several_hosts_at_once_send_each_notification_once(ownit_database_url, ownit_clock,
                                                                     tmp_path) -> None:
    chat = Channel()
    desk = desk_with(chat, ownit_database_url, ownit_clock, tmp_path)
    chat.down = True
    for _ in range(12):
        raise_leak(desk)
    desk.take_warnings()
    chat.down = False
    ownit_clock.advance(minutes=2)
    hosts = [Desk(url=ownit_database_url, plugins=desk.plugins,
                  clock=ownit_clock) for _ in range(3)]
    start = threading.Barrier(len(hosts))
    errors: list[BaseException] = []

    def sweep(host: Desk) -> None:
        try:
            start.wait()
            service.sweep(host)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [note_id for note_id, kind, _ in chat.got if kind in ("assigned", "raised")]
    assert len(ids) == 24 and len(set(ids)) == 24  # every one, once
