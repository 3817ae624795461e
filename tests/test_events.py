"""The timeline's event kinds (``ownit/events.py``): one class per kind, and
every shape of stored event still reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ownit import events

STORED = {kind: samples for kind, samples in json.loads(
    (Path(__file__).parent / "data" / "stored_events.json").read_text()).items() if not kind.startswith("_")}


def test_every_kind_has_stored_samples_and_every_sample_a_kind() -> None:
    assert set(STORED) == set(events.KINDS)


@pytest.mark.parametrize(("kind", "data"), [(k, d) for k, samples in STORED.items() for d in samples],
                         ids=lambda value: value if isinstance(value, str) else None)
def test_a_stored_event_loads_into_its_class_and_stores_back_the_same(kind: str, data: dict) -> None:
    """If this fails after a field was renamed, the databases in use still
    hold the old key: keep it (``stored_as``) or migrate the stored JSON."""
    event = events.load(kind, data)
    assert type(event) is events.KINDS[kind]
    assert event.data() == data


def test_a_kind_nobody_declared_is_kept_as_it_was() -> None:
    event = events.load("courier_booked", {"courier": "DPD"})
    assert isinstance(event, events.Unknown)
    assert (event.kind, event.label, event.data()) == ("courier_booked", "courier booked", {"courier": "DPD"})


def test_a_missing_stored_key_names_it_and_the_timeline_still_shows_the_event() -> None:
    with pytest.raises(KeyError, match="on_time"):
        events.CheckedIn.from_data({})
    kept = events.load("checkin", {"made_by_hand": True})
    assert isinstance(kept, events.Unknown)
    assert (kept.kind, kept.label, kept.data()) == ("checkin", "check-in", {"made_by_hand": True})


def test_fields_are_typed_and_keywords_are_stored_under_their_key() -> None:
    reopened = events.load("reopened", {"resolve_by": "2026-12-04T17:00:00+00:00"})
    assert reopened.resolve_by.tzinfo is not None
    moved = events.MovedOn(from_stage="reported", to_stage="assessed")
    assert moved.data() == {"from": "reported", "to": "assessed"}
    assert events.label("stage") == "moved on" and events.label("made_up") == "made up"


def test_a_kind_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        events.kind("checkin", "again")(type("Again", (events.Event,), {}))


def test_the_event_reference_in_the_plugin_guide_is_the_event_classes() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "writing-a-plugin.md").read_text()
    section = doc[doc.index("<!-- events:start -->\n") + len("<!-- events:start -->\n"):doc.index("<!-- events:end -->")]
    assert section == events.reference(), "regenerate it: python -c 'from ownit.events import reference; print(reference())'"
