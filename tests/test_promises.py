"""Promise arithmetic and the promise card: pure, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ownit.calendar import BusinessCalendar
from ownit.departments import Duration, Promise, Stage
from ownit.promises import next_due, promise_card, soon_within, stage_forecast, state_of

CAL = BusinessCalendar(timezone="UTC", days="MO-FR", hours="09:00-17:00")
MON = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
STAGES = (Stage("reported", "Reported"), Stage("assessed", "Assessed", days=1),
          Stage("booked", "Booked", days=1, requester_action="Let the contractor in"),
          Stage("repaired", "Repaired", days=2), Stage("verified", "Checked by you", requester_action="Check it"))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def test_stage_forecast_counts_business_days() -> None:
    forecast = stage_forecast(CAL, MON, STAGES, resolve_by=CAL.add(MON, "10d"))
    # a whole business day from an opening ends at that day's close
    assert forecast == {"reported": MON.isoformat(), "assessed": at(23, 17).isoformat(),
                        "booked": at(24, 17).isoformat(), "repaired": at(26, 17).isoformat(),
                        "verified": at(26, 17).isoformat()}


def test_stage_forecast_fits_inside_a_tighter_promise() -> None:
    resolve_by = CAL.add(MON, "2d")  # the stages add up to 4 days: squeezed by half
    forecast = stage_forecast(CAL, MON, STAGES, resolve_by=resolve_by)
    assert forecast["assessed"] == at(23, 13).isoformat()
    assert forecast["repaired"] == resolve_by.isoformat() == forecast["verified"]


def test_next_due_is_the_earliest_promise_owed() -> None:
    kwargs = dict(first_contact_due=at(23, 11), next_checkin_due=at(24, 10), resolve_by=at(26, 9))
    assert next_due(status="open", contacted=False, **kwargs) == at(23, 11)
    assert next_due(status="open", contacted=True, **kwargs) == at(24, 10)
    assert next_due(status="open", contacted=True, **{**kwargs, "resolve_by": at(24, 9)}) == at(24, 9)
    assert next_due(status="open", contacted=True, **{**kwargs, "next_checkin_due": None}) == at(26, 9)
    for paused_or_done in ("waiting", "resolved", "closed"):
        assert next_due(status=paused_or_done, contacted=True, **kwargs) is None


@pytest.mark.parametrize("now, kwargs, state", [
    (at(23, 9), {}, "on track"),
    (at(23, 15, 1), {}, "due soon"),  # within 2 business hours of 17:00
    (at(20, 16), {}, "on track"),  # Friday 16:00: Monday 17:00 is 9 business hours away
    (at(23, 17, 1), {}, "overdue"),
    (at(23, 18), {"paused": True}, "paused"),
    (at(23, 18), {"done_at": at(23, 16)}, "met"),
    (at(23, 18), {"done_at": at(23, 17, 30)}, "missed"),
])
def test_state_of_a_promise(now, kwargs, state) -> None:
    assert state_of(CAL, at(23, 17), now, **kwargs) == state


@pytest.mark.parametrize("window, now, state", [
    ("2h", at(23, 15), "on track"),  # raised at 15:00: two hours to go, the whole window
    ("2h", at(23, 15, 59), "on track"),
    ("2h", at(23, 16), "due soon"),  # half the window left
    ("1h", at(23, 16), "on track"),  # raised at 16:00 with an hour to go
    ("1h", at(23, 16, 29), "on track"),
    ("1h", at(23, 16, 30), "due soon"),
    ("4h", at(23, 15), "due soon"),  # a longer window: DUE_SOON (two business hours) rules
    ("4h", at(23, 14, 59), "on track"),
    ("1d", at(23, 15), "due soon"),
    ("2h", at(23, 17, 1), "overdue"),
])
def test_due_soon_is_the_last_half_of_a_short_window_and_two_hours_of_a_long_one(window, now, state) -> None:
    assert state_of(CAL, at(23, 17), now, window=Duration.parse(window)) == state


def test_due_soon_within_is_business_time() -> None:
    assert soon_within(CAL, Duration.parse("1h")) == timedelta(minutes=30)
    assert soon_within(CAL, Duration.parse("1d")) == timedelta(hours=2)
    assert soon_within(CAL, None) == timedelta(hours=2)
    # an urgent contact due Monday 09:15: Friday 16:45 is half an hour of business time before it
    assert state_of(CAL, at(23, 9, 15), at(20, 16, 45), window=Duration.parse("1h")) == "due soon"
    assert state_of(CAL, at(23, 9, 15), at(20, 16, 44), window=Duration.parse("1h")) == "on track"


def card(**overrides):
    base = dict(calendar=CAL, now=MON, promise=Promise(first_contact="1d", checkin="1d", resolve="5d"),
                stages=STAGES, stage="reported", status="open",
                owner={"name": "Priya Shah", "title": "Facilities coordinator"}, team_name="Facilities North",
                first_contact_due=at(24, 9), first_contact_at=None, next_checkin_due=None, resolve_by=at(30, 9),
                resolved_at=None, stage_due=stage_forecast(CAL, MON, STAGES, at(30, 9)), needed_by=None,
                needs_agreement=False, agreed_by=None, waiting_since=None, waiting_for=None)
    return promise_card(**{**base, **overrides})


def test_the_card_says_who_what_and_when() -> None:
    c = card()
    assert c["summary"] == (
        "Priya Shah (Facilities coordinator, Facilities North) owns this. Their goal is to contact you by "
        "Tue 24 Nov 09:00, then check in with you every business day until it is resolved. "
        "Resolve by Mon 30 Nov 09:00. Your part: Let the contractor in (at 'Booked', expected Tue 24 Nov 17:00).")
    assert c["states"] == {"first_contact": "on track", "checkin": None, "resolve": "on track"}
    assert [a["action"] for a in c["requester_actions"]] == ["Let the contractor in", "Check it"]
    assert c["waiting"] is None and c["needs_agreement"] is False


def test_the_card_while_waiting_and_needing_agreement() -> None:
    c = card(status="waiting", first_contact_at=at(23, 10), next_checkin_due=at(24, 10),
             waiting_since=at(23, 11), waiting_for="Send a photo of the ceiling")
    assert c["waiting"] == {"since": at(23, 11).isoformat(), "for": "Send a photo of the ceiling"}
    assert set(c["states"].values()) == {"met", "paused"}
    assert "It is waiting on you: Send a photo of the ceiling" in c["summary"]
    c = card(needed_by=date(2026, 11, 25), needs_agreement=True)
    assert "You need it by 2026-11-25, earlier than the standard Mon 30 Nov 09:00" in c["summary"]
    c = card(agreed_by=date(2026, 11, 26), resolve_by=at(26, 17))
    assert "Resolve by the date agreed with you, 2026-11-26." in c["summary"]


def test_the_card_once_resolved_or_closed() -> None:
    resolved = card(status="resolved", first_contact_at=at(23, 10), resolved_at=at(25, 12), stage="verified")
    assert resolved["states"]["resolve"] == "met" and resolved["states"]["checkin"] is None
    assert "please confirm the fix" in resolved["summary"]
    assert card(status="closed", resolved_at=at(25, 12))["summary"].endswith("It is closed.")


def test_a_request_type_without_cadence_promises_no_checkins() -> None:
    c = card(promise=Promise(first_contact="4h", checkin=None, resolve="2d"))
    assert c["checkin_every"] is None
    assert "check in" not in c["summary"]


def test_shift_moves_by_business_time() -> None:
    from ownit.promises import shift

    assert shift(CAL, at(20, 16), timedelta(hours=3)) == at(23, 11)
    assert shift(CAL, None, timedelta(hours=3)) is None


def test_a_brand_new_urgent_request_is_on_track() -> None:
    urgent = Promise(first_contact="1h", checkin="2h", resolve="1d")
    c = card(promise=urgent, first_contact_due=at(23, 10), resolve_by=at(24, 9))
    assert c["states"] == {"first_contact": "on track", "checkin": None, "resolve": "on track"}
    later = card(promise=urgent, now=at(23, 9, 30), first_contact_due=at(23, 10), resolve_by=at(24, 9))
    assert later["states"]["first_contact"] == "due soon"
