"""Service health figures on a small history built by hand through the service,
checked against what a person computes with a calendar and a pencil.

Facilities North works Monday to Friday 08:00-18:00 London (UTC in November), so
a business day is ten hours. The week of Monday 23 November 2026:

- A (Amira, high leak: first contact 4h, check-in daily, resolve 3d), raised Mon
  10:00, contacted Mon 12:00 (2h, on time), checked in Tue 11:00 (due Tue 12:00,
  on time), resolved Wed 10:00 (20h = 2.0 business days, promised Thu 10:00),
  confirmed NPS 10, effort 2.
- B (Tom, the same), raised Mon 10:30, contacted Mon 16:30 (6h, late: due
  14:30), no check-in (due Tue 16:30, missed), resolved Thu 12:00 (31.5h = 3.15
  days, promised Thu 10:30: late), confirmed NPS 5, effort 5, reopened Fri 10:00,
  resolved again Fri 15:00 (44.5h = 4.45 days, new promise Wed: on time).
- C (Grace, Bristol: Facilities South), raised Tue 09:00, never contacted
  (due Tue 13:00): a first contact missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import AMIRA, HELEN, SINCE, UNTIL, TOM, at
from ownit import service
from ownit.errors import PermissionDenied, ValidationError


def test_team_figures_match_the_pencil(history) -> None:
    desk, a_owner, b_owner, _ = history
    report = service.report(desk, actor=HELEN, team="facilities-north", since=SINCE, until=UNTIL)
    figures = report["headline"]
    assert figures["first_contact_kept"] == pytest.approx(1 / 2)
    assert figures["first_contact_median_h"] == pytest.approx(4.0)  # of 2h and 6h
    assert figures["first_contact_p90_h"] == pytest.approx(5.6)  # 2 + 0.9 × (6 − 2)
    assert figures["checkins_kept"] == pytest.approx(1 / 2)  # A's on time; B's never made
    assert figures["resolve_median_d"] == pytest.approx(3.15)  # of 2.0, 3.15, 4.45
    assert figures["resolve_p90_d"] == pytest.approx(4.19)  # 3.15 + 0.8 × (4.45 − 3.15)
    assert figures["promises_kept"] == pytest.approx(2 / 3)
    assert figures["reopen_rate"] == pytest.approx(1 / 3)
    assert figures["waiting_share"] == 0
    assert figures["nps"] == 0  # one promoter (10), one detractor (5) of two
    assert figures["effort"] == pytest.approx(3.5)
    assert (figures["first_contacts"], figures["checkins"], figures["resolved"], figures["reopened"],
            figures["responses"]) == (2, 2, 3, 1, 2)


def test_the_spread_across_owners(history) -> None:
    desk, a_owner, b_owner, _ = history
    report = service.report(desk, actor=HELEN, team="facilities-north", since=SINCE, until=UNTIL, by="owner")
    owners = {o["key"]: o for o in report["owners"]}
    assert set(owners) == {a_owner, b_owner} and report["rows"] == report["owners"]
    assert owners[a_owner]["first_contact_kept"] == 1 and owners[b_owner]["first_contact_kept"] == 0
    assert owners[a_owner]["nps"] == 100 and owners[b_owner]["nps"] == -100
    contact = report["spread"]["first_contact_kept"]
    assert contact["best"]["value"] == 1 and contact["worst"]["value"] == 0 and contact["below_standard"] == 1
    assert report["spread"]["effort"]["below_standard"] == 1  # 5 of 7 is harder than the standard 3


def test_a_first_contact_never_made_counts_as_missed(history) -> None:
    desk, *_ = history
    whole = service.report(desk, actor=HELEN, department="facilities", since=SINCE, until=UNTIL)["headline"]
    assert whole["first_contact_kept"] == pytest.approx(1 / 3) and whole["first_contacts"] == 3
    south = service.report(desk, actor=HELEN, team="facilities-south", since=SINCE, until=UNTIL)["headline"]
    assert south["first_contact_kept"] == 0 and south["resolved"] == 0 and south["nps"] is None


def test_periods_weeks_and_the_previous_period(history) -> None:
    desk, *_ = history
    report = service.report(desk, actor=HELEN, team="facilities-north", since=SINCE, until=UNTIL, by="week")
    assert [r["key"] for r in report["rows"]] == ["2026-11-23"]
    assert report["rows"][0]["resolved"] == 3
    assert report["previous"] == {"since": "2026-11-18T00:00:00+00:00", "until": "2026-11-23T00:00:00+00:00"}
    assert report["previous_headline"]["resolved"] == 0
    north = next(line for line in report["alignment"] if line["team"] == "facilities-north")
    assert len(north["weeks"]) == 13 and north["weeks"][-1]["week"] == "2026-11-23"  # twelve weeks back, and this
    assert north["weeks"][-1]["resolved"] == 3 and north["weeks"][-1]["nps"] == 0
    assert all(w["resolved"] == 0 for w in north["weeks"][:-1])
    tuesday = service.report(desk, actor=HELEN, team="facilities-north", since=at(24, 0), until=at(25, 0))
    assert tuesday["headline"]["checkins"] == 1 and tuesday["headline"]["resolved"] == 0


def test_who_may_see_service_health_and_bad_input(history) -> None:
    desk, *_ = history
    with pytest.raises(PermissionDenied, match="support teams and their leads"):
        service.report(desk, actor=AMIRA)
    with pytest.raises(ValidationError, match="--by 'day' is not a grouping"):
        service.report(desk, actor=HELEN, by="day")
    with pytest.raises(ValidationError, match="must be before"):
        service.report(desk, actor=HELEN, since=UNTIL, until=SINCE)
    with pytest.raises(Exception, match="no department 'plumbing'"):
        service.report(desk, actor=HELEN, department="plumbing")


def test_ownit_report_from_a_history_made_on_the_command_line(ownit_demo_org) -> None:
    """The same week played with `ownit --now ...`, then `ownit report` as a lead would."""
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from ownit.cli import app

    runner = CliRunner()

    def ownit(now: datetime, *args: str):
        result = runner.invoke(app, ["--now", now.isoformat(), *args],
                               env={"OWNIT_DATABASE_URL": ownit_demo_org.url, "COLUMNS": "160", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        return result.stdout

    leak = ["--type", "facilities.leak", "--title", "Leak", "-f", "location=stockroom", "-f", "near_electrics=no"]
    a = json.loads(ownit(at(23, 10), "raise", "--as", AMIRA, *leak, "--json"))
    b = json.loads(ownit(at(23, 10, 30), "raise", "--as", TOM, *leak, "--json"))
    a_owner, b_owner = a["owner"]["email"], b["owner"]["email"]
    ownit(at(23, 12), "contact", a["ref"], "--as", a_owner, "--note", "On my way")
    ownit(at(23, 16, 30), "contact", b["ref"], "--as", b_owner, "--note", "Sorry")
    ownit(at(24, 11), "checkin", a["ref"], "--as", a_owner, "--note", "Roofer tomorrow")
    ownit(at(25, 10), "resolve", a["ref"], "--as", a_owner, "--note", "Resealed")
    ownit(at(25, 11), "confirm", a["ref"], "--as", AMIRA, "--nps", "10", "--effort", "2")
    ownit(at(26, 12), "resolve", b["ref"], "--as", b_owner, "--note", "Patched")
    ownit(at(26, 13), "confirm", b["ref"], "--as", TOM, "--nps", "5", "--effort", "5")

    period = ["--team", "facilities-north", "--since", "2026-11-23", "--until", "2026-11-27", "--as", HELEN]
    data = json.loads(ownit(at(27, 16), "report", *period, "--json"))
    assert data["since"] == "2026-11-23T00:00:00+00:00" and data["until"] == "2026-11-28T00:00:00+00:00"
    figures = data["headline"]
    assert (figures["first_contact_kept"], figures["first_contact_median_h"], figures["checkins_kept"]) == (
        0.5, 4.0, 0.5)
    assert figures["resolve_median_d"] == pytest.approx((2.0 + 3.15) / 2)
    assert (figures["promises_kept"], figures["nps"], figures["effort"]) == (0.5, 0.0, 3.5)

    table = ownit(at(27, 16), "report", *period)
    assert "Service health: team facilities-north, 2026-11-23 to 2026-11-27" in table
    assert "first contact kept" in table and "50%" in table and "4.0h" in table
    rows = list(csv.DictReader(io.StringIO(ownit(at(27, 16), "report", *period, "--by", "owner", "--csv"))))
    assert sorted(r["key"] for r in rows) == sorted([a_owner, b_owner])
    assert {r["key"]: r["nps"] for r in rows} == {a_owner: "100.0", b_owner: "-100.0"}


def test_the_demo_history_has_one_team_fast_but_unloved(ownit_demo_org) -> None:
    from ownit.demo.history import play

    raised = play(ownit_demo_org, weeks=8)
    assert raised > 60
    report = service.report(ownit_demo_org, actor=HELEN)
    flags = {line["team"]: line["flag"] for line in report["alignment"]}
    assert flags["facilities-south"].startswith("Facilities South got faster")
    assert flags["facilities-north"] is None
    assert service.ownership_problems(ownit_demo_org) == []  # every request played still has one owner
    assert service.load_problems(ownit_demo_org) == []


def test_alignment_needs_faster_and_unhappier_together() -> None:
    from ownit.metrics import EMPTY, alignment

    def week(resolve, nps, effort, n=80):
        promoters = round(n * (0.5 + nps / 200))  # the rest detractors: NPS = promoters − detractors
        return {**EMPTY, "resolved": n, "responses": n, "effort_responses": n, "promoters": promoters,
                "detractors": n - promoters, "resolve_median_d": resolve, "nps": nps, "effort": effort}

    assert alignment("South", [week(4, 50, 2), week(2, 20, 2)]) == (
        "South got faster (median time to resolve fell from 4.0 to 2.0 business days) while its customers grew "
        "less happy (NPS fell from 50 to 20): speed is not reaching them.")  # eighty a side: beyond chance
    assert alignment("North", [week(4, 50, 2), week(2, 50, 2)]) is None  # faster and as liked
    assert alignment("East", [week(2, 50, 2), week(4, 20, 5)]) is None  # slower and unhappier: not this flag
    assert alignment("West", [week(4, 50, 2)]) is None  # one week is no trend
    assert alignment("Few", [week(4, 60, 2, n=3), week(2, 0, 2, n=3)]) is None  # three ratings a side: noise
    assert alignment("Noisy", [week(4, 50, 2, n=10), week(2, 20, 2, n=10)]) is None  # within chance at ten a side


@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=60))
def test_median_and_p90_from_one_sort_agree_with_statistics(values) -> None:
    import statistics

    from ownit.metrics import _middle_and_p90

    middle, p90 = _middle_and_p90(values)
    assert middle == pytest.approx(statistics.median(values))
    expected = values[0] if len(values) == 1 else statistics.quantiles(values, n=100, method="inclusive")[89]
    assert p90 == pytest.approx(expected)


def test_a_report_longer_than_two_years_is_one_line(ownit_demo_org) -> None:
    from typer.testing import CliRunner

    from ownit.cli import app

    result = CliRunner().invoke(app, ["--now", "2026-11-27T16:00:00+00:00", "report", "--since", "2010-01-01",
                                      "--as", HELEN], env={"OWNIT_DATABASE_URL": ownit_demo_org.url})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: a report covers at most two years; --since 2010-01-01 to --until 2026-11-27 "
                             "is 6174 days: ask for two years at a time\n")
    two_years = service.report(ownit_demo_org, actor=HELEN, since=at(27, 0) - timedelta(days=service.MAX_REPORT_DAYS),
                               until=at(27, 0))
    assert two_years["headline"]["resolved"] == 0  # the longest period there is, counted
