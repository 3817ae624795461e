"""A repeated submission changes nothing: every action takes an idempotency
key (the UI's form token, the CLI's ``--key``), and the same key sent again
within a day answers with the request as it stands, changing nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

import _workers
from conftest import AMIRA, HELEN, LEAK, look
from ownit import service
from ownit.errors import Conflict, ValidationError
from ownit.models import Notification, Request, Submission
from ownit.testing import START
from test_cli import Cli
from test_concurrency import run_workers


def kinds(desk: Any, ref: str) -> Counter:
    return Counter(entry["kind"] for entry in service.show(desk, ref, actor=HELEN)["timeline"])


def raised(desk: Any, **extra: Any) -> dict[str, Any]:
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK,
                                 **extra)


def test_a_check_in_sent_twice_is_one_check_in(ownit_demo_org: Any) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raised(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    clock.advance(timedelta(hours=2))
    first = service.check_in(desk, ref, actor=owner, note="Roofer booked", key="form-1")
    told = look(desk, lambda s: len(s.exec(select(Notification)).all()))
    clock.advance(timedelta(seconds=1))
    again = service.check_in(desk, ref, actor=owner, note="Roofer booked", key="form-1")

    assert (first["repeated"], again["repeated"]) == (False, True)
    assert kinds(desk, ref)["checkin"] == 1
    assert again["promise"]["next_checkin_due"] == first["promise"]["next_checkin_due"]
    assert look(desk, lambda s: len(s.exec(select(Notification)).all())) == told  # nobody is told twice


def test_a_move_sent_twice_moves_one_stage(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = raised(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    moved = service.advance(desk, ref, actor=owner, note="Contractor booked", key="advance-7")
    again = service.advance(desk, ref, actor=owner, note="Contractor booked", key="advance-7")
    assert again["stage"] == moved["stage"] and again["progress"]["done"] == moved["progress"]["done"]
    assert kinds(desk, ref)["stage"] == 1


def test_a_resolve_sent_twice_answers_with_the_resolved_request(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = raised(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Fixed", key="r")
    again = service.resolve(desk, ref, actor=owner, note="Fixed", key="r")  # no "cannot resolve a resolved"
    assert again["status"] == "resolved" and again["repeated"]
    assert kinds(desk, ref)["resolved"] == 1


def test_a_raise_sent_twice_raises_one_request(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    first = raised(desk, key="raise-form-abc")
    again = raised(desk, key="raise-form-abc")
    assert again["ref"] == first["ref"] and again["repeated"] and not first["repeated"]
    assert look(desk, lambda s: len(s.exec(select(Request)).all())) == 1
    assert raised(desk, key="raise-form-def")["ref"] != first["ref"]  # a new form, a new request


def test_a_note_sent_twice_is_one_note(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    ref = raised(desk)["ref"]
    service.add_note(desk, ref, actor=AMIRA, note="The bucket is full", key="n1")
    service.add_note(desk, ref, actor=AMIRA, note="The bucket is full", key="n1")
    service.add_note(desk, ref, actor=AMIRA, note="The bucket is full")  # no key: a note each time
    assert kinds(desk, ref)["note"] == 2


def test_a_failed_submission_leaves_its_key_free(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = raised(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    with pytest.raises(ValidationError, match="empty"):
        service.contact(desk, ref, actor=owner, note="", key="k")
    assert service.contact(desk, ref, actor=owner, note="Called", key="k")["repeated"] is False
    assert kinds(desk, ref)["contacted"] == 1


def test_a_key_stands_for_one_submission(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = raised(desk)
    other = raised(desk)["ref"]
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way", key="k")
    with pytest.raises(Conflict, match=f"the key 'k' was used to record first contact on {ref} within the last "
                                       "day; send a new key with each new submission"):
        service.check_in(desk, ref, actor=owner, note="Later", key="k")
    with pytest.raises(Conflict, match=f"record first contact on {ref}"):
        service.contact(desk, other, actor=owner, note="On my way", key="k")
    for bad in ("", "  ", "x" * 101, "tab\there"):
        with pytest.raises(ValidationError, match="is not usable; send 1 to 100 printable characters"):
            service.check_in(desk, ref, actor=owner, note="Later", key=bad)


def test_keys_are_each_persons_own(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    ref = raised(desk)["ref"]
    service.add_note(desk, ref, actor=AMIRA, note="Still dripping", key="same")
    service.add_note(desk, ref, actor=HELEN, note="Seen it", key="same")
    assert kinds(desk, ref)["note"] == 2


def test_a_day_later_a_key_is_new_and_the_sweep_forgets_old_ones(ownit_demo_org: Any) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    ref = raised(desk)["ref"]
    service.add_note(desk, ref, actor=AMIRA, note="Still dripping", key="daily")
    clock.advance(timedelta(days=1, seconds=1))
    assert service.add_note(desk, ref, actor=AMIRA, note="Still dripping", key="daily")["repeated"] is False
    service.add_note(desk, ref, actor=AMIRA, note="Another", key="other")
    clock.advance(timedelta(days=1, seconds=1))
    assert service.sweep(desk)["keys_forgotten"] == 2
    assert look(desk, lambda s: s.exec(select(Submission)).all()) == []


@pytest.mark.slow
@pytest.mark.parametrize("action", ["raise", "checkin"])
def test_the_same_submission_from_four_processes_at_once_acts_once(ownit_demo_org: Any, action: str) -> None:
    desk = ownit_demo_org
    ref = None
    if action == "checkin":
        view = raised(desk)
        ref = view["ref"]
        service.contact(desk, ref, actor=HELEN, note="On my way")
    results = run_workers(_workers.submit_at_once, lambda i, barrier, q: (
        desk.url, action, ref, "double-tap", i, START.isoformat(), barrier, q))
    errors = [e for r in results for e in r["errors"]]
    assert not errors, errors[0]
    assert len({r["ref"] for r in results}) == 1
    assert sorted(r["repeated"] for r in results) == [False, True, True, True]
    if action == "raise":
        assert look(desk, lambda s: len(s.exec(select(Request)).all())) == 1
    else:
        assert kinds(desk, ref)["checkin"] == 1


def test_the_cli_takes_a_key(ownit_demo_org: Any, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    args = ("raise", "--type", "facilities.leak", "--title", "Leak", "--field", "location=stockroom",
            "--field", "near_electrics=no", "--as", AMIRA, "--key", "k1")
    first = cli.ok(*args).stdout
    again = cli.ok(*args).stdout
    ref = first.split()[0]
    assert again.startswith(f"{ref} raised earlier with this key: nothing changed.")
    owner = cli.json("show", ref, "--as", HELEN)["owner"]["email"]
    cli.ok("contact", ref, "--note", "On my way", "--as", owner, "--key", "c1")
    assert "nothing changed" in cli.ok("contact", ref, "--note", "On my way", "--as", owner, "--key", "c1").stdout
    assert cli.fails("checkin", ref, "--note", "x", "--as", owner, "--key", "c1") == (
        f"the key 'c1' was used to record first contact on {ref} within the last day; "
        "send a new key with each new submission")
