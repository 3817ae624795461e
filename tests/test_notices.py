"""What people read: every kind of notice in people's words, punctuated once,
whatever the note it carries ends with; and the timeline's labels."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from conftest import AMIRA, moved_on_leak
from ownit import notices, service

ENDINGS = ("Fixed and tested", "Fixed and tested.", "Is the tap off?", "Done!", "Done …")
INTERNAL = re.compile(r"\b(checkin|stage|advance|due_soon|resolve_by|first_contact)\b|_")
DOUBLED = re.compile(r"[.!?…]\s*\.|\.\s*[!?]")


def example(cls: type[notices.Notice], note: str) -> notices.Notice:
    """A notice of ``cls`` whose every text field is ``note`` (instants, zones and dates as such)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name == "following" or f.default is not dataclasses.MISSING and hints[f.name] is bool:
            continue
        if f.name in ("due", "first_contact_due", "next_update", "booked_for"):
            values[f.name] = "2026-11-23T14:00:00+00:00"
        elif f.name == "zone":
            values[f.name] = "Europe/London"
        elif f.name == "agreed_by":
            values[f.name] = "2026-11-30"
        elif f.name in ("ref", "title"):
            values[f.name] = "FAC-1001" if f.name == "ref" else "Roof leak"
        elif f.name == "sections":
            values[f.name] = [{"title": "Due today", "lines": [note]}]
        elif hints[f.name] in (int, int | None):
            values[f.name] = 9
        elif hints[f.name] is float:
            values[f.name] = 82.5
        else:
            values[f.name] = note
    return cls(**values)


KINDS = [cls for cls in notices.NOTICES.values() if cls is not notices.Notice]


@pytest.mark.parametrize("cls", KINDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("note", ENDINGS)
def test_every_notice_is_punctuated_once_whatever_the_note_ends_with(cls, note) -> None:
    notice = example(cls, note)
    for said in (notice.text(), notice.subject(), notices.needed_from_you(notice.data())):
        assert not DOUBLED.search(said), f"{cls.__name__}: {said!r}"


@pytest.mark.parametrize("cls", KINDS, ids=lambda cls: cls.__name__)
def test_every_notice_kind_has_peoples_words(cls) -> None:
    notice = example(cls, "Fixed and tested.")
    assert notice.kind in notices.HEADINGS, f"{cls.__name__}: no heading for {notice.kind!r}"
    words = notices.heading(notice.kind)
    assert not INTERNAL.search(words), words
    if cls.about_request:  # a digest's subject is the day it tells, an invitation's its team
        assert notice.subject() == f"FAC-1001 Roof leak: {words}"
    assert not INTERNAL.search(notice.text().replace("FAC-1001", "")), notice.text()


def test_a_resolved_note_ending_in_a_full_stop_is_not_doubled() -> None:
    said = notices.Resolved(ref="FAC-1001", title="Leak", owner="Sam Doyle", note="Fixed and tested.").text()
    assert said == "FAC-1001: Sam Doyle has resolved it: Fixed and tested. Please confirm the fix, or reopen it if " \
                   "it is not right."
    said = notices.Resolved(ref="FAC-1001", title="Leak", owner="Sam Doyle", note="Fixed and tested").text()
    assert said.startswith("FAC-1001: Sam Doyle has resolved it: Fixed and tested. Please confirm")
    moved = notices.NowAt(ref="FAC-1001", title="Leak", stage="booked", label="Contractor booked",
                          your_part="Let the contractor in.")
    assert moved.text() == "FAC-1001 moved on to 'Contractor booked'. Your part: Let the contractor in."
    assert moved.subject() == "FAC-1001 Leak: moved on"
    assert notices.heading("checkin") == "checked in" and notices.heading("some_new_kind") == "some new kind"


def test_the_inbox_and_the_timeline_speak_peoples_words(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = moved_on_leak(desk)
    service.resolve(desk, ref, actor=owner, note="Fixed and tested.")
    told = service.inbox(desk, actor=AMIRA)
    assert [r["heading"] for r in told] == ["resolved", "moved on", "checked in", "first contact", "raised"]
    for row in told:
        assert not DOUBLED.search(row["message"]), row["message"]
    assert told[0]["message"].endswith("Fixed and tested. Please confirm the fix, or reopen it if it is not right.")
    labels = [e["label"] for e in service.show(desk, ref, actor=AMIRA)["timeline"]]
    assert labels == ["raised", "assigned", "first contact", "check-in", "moved on to Assessed by facilities",
                      "resolved"]
