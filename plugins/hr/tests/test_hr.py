"""The HR plugin through the real desk, with OwnIt's own fixtures.

The fixture clock stands at Monday 2026-11-23 10:00 UTC; the HR team works
Monday to Friday 09:00-17:00 in England, so the 20-business-day standard for a
vacancy ends on Monday 2026-12-21.
"""

from __future__ import annotations

from datetime import date

import pytest

import ownit_hr
from ownit import Draft, MemberInfo, NotFound, TeamInfo, ValidationError, service
from ownit.org import load_org

AMIRA = "amira.khan@example.com"  # store manager, S001 (north)
GRACE = "grace.okafor@example.com"  # store manager, S101 (south)
LEO = "leo.grant@example.com"  # assistant manager at S001, loaded by the `colleague` fixture
NADIA = "nadia.rossi@example.com"  # HR lead
JAMES = "james.wright@example.com"  # HR partner, north
ELLA = "ella.brown@example.com"  # HR partner, south

VACANCY = {"role": "Weekend sales assistant", "hours": "16", "contract": "permanent",
           "start_date": "2027-01-11", "reason": "replacement", "replacing": "Sam Jones, last day 4 December"}


@pytest.fixture
def colleague(ownit_demo_org, tmp_path):
    """A second manager at Amira's store, S001."""
    org = tmp_path / "colleague.toml"
    org.write_text(f'[[person]]\nemail = "{LEO}"\nname = "Leo Grant"\ntitle = "Assistant store manager"\n'
                   'site = "S001"\nroles = ["requester"]\n', encoding="utf-8")
    load_org(ownit_demo_org, org)
    return LEO


def raise_(desk, request_type, *, actor=AMIRA, title="Help", **fields):
    return service.raise_request(desk, actor=actor, request_type=request_type, title=title, fields=fields)


def vacancy(desk, *, actor=AMIRA, **changes):
    return raise_(desk, "hr.vacancy", actor=actor, title="Weekend sales assistant", **{**VACANCY, **changes})


# --- declarations -------------------------------------------------------------------------


def test_hr_department_is_discovered_through_its_entry_point(ownit_desk) -> None:
    listing = service.departments(ownit_desk)
    hr = next(d for d in listing["departments"] if d["key"] == "hr")
    assert hr["prefix"] == "HR"
    types = {t["key"]: t for t in hr["request_types"]}
    assert set(types) == {"hr.vacancy", "hr.relations", "hr.payroll"}
    assert types["hr.relations"]["restricted"] and types["hr.payroll"]["restricted"]
    assert not types["hr.vacancy"]["restricted"]
    assert any(p["distribution"] == "ownit-hr" for p in listing["plugins"])


def test_vacancy_promise_and_what_the_store_manager_does(ownit_demo_org) -> None:
    view = vacancy(ownit_demo_org)
    assert view["ref"].startswith("HR-")
    assert view["priority"] == "normal"
    assert view["request_type_label"] == "Vacancy to fill"
    assert view["promise"]["first_contact_within"] == "1 business day"
    assert view["promise"]["checkin_every"] == "2 business days"
    assert view["promise"]["resolve_within"] == "20 business days"
    assert view["promise"]["resolve_by"].startswith("2026-12-21")
    assert view["promise"]["needs_agreement"] is False
    assert view["needed_by"] == "2027-01-11"
    actions = {a["stage"]: a["action"] for a in view["promise"]["requester_actions"]}
    assert actions == {"job_description": "Confirm the job description",
                       "shortlisted": "Pick who to interview",
                       "interviews": "Interview the shortlisted candidates"}
    assert [s["label"] for s in view["progress"]["stages"]] == [
        "Vacancy received", "Job description agreed", "Advertised", "Shortlisted", "Interviews held",
        "Offer made", "Start date confirmed"]


# --- routing to the site's HR partner -----------------------------------------------------


@pytest.mark.parametrize("requester, partner", [(AMIRA, JAMES), (GRACE, ELLA)])
def test_every_hr_request_goes_to_the_sites_hr_partner(ownit_demo_org, requester, partner) -> None:
    assert vacancy(ownit_demo_org, actor=requester)["owner"]["email"] == partner
    concern = raise_(ownit_demo_org, "hr.relations", actor=requester, about="absence", at_risk="no",
                     summary="Repeated short absences on Saturdays")
    assert concern["owner"]["email"] == partner
    query = raise_(ownit_demo_org, "hr.payroll", actor=requester, employee="Kim Lee",
                   payslip_month="2026-10-01", problem="wrong rate")
    assert query["owner"]["email"] == partner


def test_assignment_says_the_department_chose_the_partner(ownit_demo_org) -> None:
    view = vacancy(ownit_demo_org)
    assigned = next(e for e in view["timeline"] if e["kind"] == "assigned")
    assert assigned["data"]["owner"] == JAMES
    assert assigned["data"]["reason"] == "chosen by the department's rule"


def test_when_the_partner_is_away_the_standard_choice_applies(ownit_demo_org) -> None:
    service.set_away(ownit_demo_org, actor=NADIA, email=JAMES, start=date(2026, 11, 20), until=date(2026, 11, 30))
    view = vacancy(ownit_demo_org)
    assert view["owner"]["email"] == ELLA
    assigned = next(e for e in view["timeline"] if e["kind"] == "assigned")
    assert assigned["data"]["reason"] != "chosen by the department's rule"


def _member(email, covers, *, available=True, open_requests=0, skills=("recruitment", "relations", "payroll")):
    return MemberInfo(email=email, name=email, skills=tuple(skills), covers=tuple(covers), available=available,
                      open_requests=open_requests)


def _draft(request_type="hr.vacancy", site="S001", region="north"):
    return Draft(request_type=request_type, fields={}, title="t", priority="normal", site_code=site, region=region,
                 requester_email=AMIRA)


def _team(*members, department="hr"):
    return TeamInfo(key="hr-partners", department=department, name="HR", regions=(), lead_email=NADIA,
                    members=members)


def test_choose_owner_prefers_the_partner_named_for_the_site_then_the_region() -> None:
    region = _member("region@example.com", ["NORTH"])
    site = _member("site@example.com", ["s001"], open_requests=9)
    assert ownit_hr.ownit_choose_owner(request=_draft(), team=_team(region, site)) == "site@example.com"
    assert ownit_hr.ownit_choose_owner(request=_draft(site="S002"), team=_team(region, site)) == "region@example.com"


def test_choose_owner_has_no_opinion_when_nobody_covering_can_take_it() -> None:
    away = _member("away@example.com", ["north"], available=False)
    south = _member("south@example.com", ["south"])
    assert ownit_hr.ownit_choose_owner(request=_draft(), team=_team(away, south)) is None
    assert ownit_hr.ownit_choose_owner(request=_draft("it.access"), team=_team(south, department="it")) is None


def test_choose_owner_prefers_a_covering_partner_with_the_skill() -> None:
    recruiter = _member("recruiter@example.com", ["north"], skills=["recruitment"], open_requests=5)
    payroll = _member("payroll@example.com", ["north"], skills=["payroll"])
    assert ownit_hr.ownit_choose_owner(request=_draft("hr.payroll"), team=_team(recruiter, payroll)) == \
        "payroll@example.com"
    assert ownit_hr.ownit_choose_owner(request=_draft("hr.vacancy"), team=_team(recruiter, payroll)) == \
        "recruiter@example.com"


# --- the wanted start date and the agreed plan ---------------------------------------------


def test_an_early_start_date_is_agreed_at_first_contact_and_becomes_the_promise(ownit_demo_org) -> None:
    view = vacancy(ownit_demo_org, start_date="2026-12-14")
    ref = view["ref"]
    assert view["promise"]["needs_agreement"] is True
    assert view["promise"]["needed_by"] == "2026-12-14"
    with pytest.raises(ValidationError, match="needs agreement"):
        service.contact(ownit_demo_org, ref, actor=JAMES, note="Called Amira")

    service.contact(ownit_demo_org, ref, actor=JAMES, agreed_by=date(2027, 1, 11),
                    note="Called Amira: 14 December is too soon with Christmas; agreed 11 January.")
    seen = service.show(ownit_demo_org, ref, actor=AMIRA)
    assert seen["promise"]["needs_agreement"] is False
    assert seen["promise"]["agreed_by"] == "2027-01-11"
    assert seen["promise"]["resolve_by"].startswith("2027-01-11")
    assert [e["kind"] for e in seen["timeline"]][-3:] == ["contacted", "agreed", "note"]
    plan = seen["timeline"][-1]
    assert plan["actor"] is None and plan["internal"] is False
    assert plan["note"].startswith("Start date agreed: Mon 11 Jan 2027. The plan: ")
    assert "advert live by Fri 27 Nov" in plan["note"]
    # 28 December is the Boxing Day bank holiday in England in 2026: contracts go out the working day before
    assert "contracts out by Thu 24 Dec, two weeks before the start" in plan["note"]
    assert not any(e["kind"] == "plugin_error" for e in service.show(ownit_demo_org, ref, actor=JAMES)["timeline"])
    # the requester is told in their inbox too
    assert any(n["message"].startswith(f"{ref}: Start date agreed") for n in service.inbox(ownit_demo_org, actor=AMIRA))


def test_a_standard_start_date_gets_the_plan_at_first_contact(ownit_demo_org) -> None:
    ref = vacancy(ownit_demo_org, start_date="2027-02-01")["ref"]
    service.contact(ownit_demo_org, ref, actor=JAMES, note="Called Amira about the role")
    notes = [e["note"] for e in service.show(ownit_demo_org, ref, actor=AMIRA)["timeline"] if e["kind"] == "note"]
    assert len(notes) == 1
    assert notes[0].startswith("Wanted start date: Mon 1 Feb 2027. The plan: ")
    assert "contracts out by Mon 18 Jan" in notes[0]


def test_an_agreed_date_too_close_for_two_weeks_notice_says_so(ownit_demo_org) -> None:
    ref = vacancy(ownit_demo_org, start_date="2026-12-07")["ref"]
    service.contact(ownit_demo_org, ref, actor=JAMES, agreed_by=date(2026, 12, 11), note="Agreed 11 December")
    note = service.show(ownit_demo_org, ref, actor=AMIRA)["timeline"][-1]["note"]
    assert note.startswith("Start date agreed: Fri 11 Dec 2026.")
    assert "contracts out as soon as the offer is accepted" in note


# --- restricted requests --------------------------------------------------------------------


def test_a_relations_concern_is_seen_only_by_the_requester_and_hr(ownit_demo_org, colleague) -> None:
    view = raise_(ownit_demo_org, "hr.relations", title="Concern about a colleague", about="conduct",
                  at_risk="no", summary="Shouting at a new starter on the Saturday shift")
    ref = view["ref"]
    with pytest.raises(NotFound):
        service.show(ownit_demo_org, ref, actor=colleague)
    for who in (AMIRA, JAMES, ELLA, NADIA):
        assert service.show(ownit_demo_org, ref, actor=who)["fields"]["summary"].startswith("Shouting")
    # an ordinary vacancy at the same store is visible to the colleague
    open_ref = vacancy(ownit_demo_org)["ref"]
    assert service.show(ownit_demo_org, open_ref, actor=colleague)["ref"] == open_ref


def test_a_payroll_query_is_private_too(ownit_demo_org, colleague) -> None:
    ref = raise_(ownit_demo_org, "hr.payroll", employee="Kim Lee", payslip_month="2026-10-15",
                 problem="missing hours")["ref"]
    with pytest.raises(NotFound):
        service.show(ownit_demo_org, ref, actor=colleague)
    assert service.show(ownit_demo_org, ref, actor=AMIRA)["fields"]["employee"] == "Kim Lee"


# --- priority --------------------------------------------------------------------------------


@pytest.mark.parametrize("at_risk, priority, first_contact", [("yes", "urgent", "2 business hours"),
                                                              ("no", "normal", "1 business day")])
def test_anyone_at_risk_makes_a_concern_urgent(ownit_demo_org, at_risk, priority, first_contact) -> None:
    view = raise_(ownit_demo_org, "hr.relations", about="wellbeing", at_risk=at_risk, summary="Team member in distress")
    assert view["priority"] == priority
    assert view["promise"]["first_contact_within"] == first_contact


@pytest.mark.parametrize("not_paid, priority, resolve", [("yes", "high", "3 business days"),
                                                         ("no", "normal", "10 business days"),
                                                         (None, "normal", "10 business days")])
def test_a_missing_payslip_is_high_priority(ownit_demo_org, not_paid, priority, resolve) -> None:
    fields = {"employee": "Kim Lee", "payslip_month": "2026-10-01", "problem": "other"}
    if not_paid is not None:
        fields["not_paid"] = not_paid
    view = raise_(ownit_demo_org, "hr.payroll", **fields)
    assert view["priority"] == priority
    assert view["promise"]["resolve_within"] == resolve


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, message", [
    ({"hours": "60"}, r"Hours per week \(hours\): 60 is not a contract we can offer; give between 1 and 48"),
    ({"hours": "0"}, r"Hours per week \(hours\): 0 is not a contract"),
    ({"hours": "lots"}, r"Hours per week \(hours\): 'lots' is not a number"),
    ({"hours": ""}, r"Hours per week \(hours\) is required"),
    ({"start_date": "2026-11-20"}, r"Wanted start date \(start_date\): 2026-11-20 is in the past"),
    ({"start_date": "next week"}, r"Wanted start date \(start_date\): 'next week' is not a date"),
    ({"role": ""}, r"Which role are you recruiting for\? \(role\) is required"),
    ({"role": None}, r"\(role\) is required"),
    ({"contract": "zero hours"}, r"Contract type \(contract\): 'zero hours' is not one of: permanent, fixed term"),
])
def test_a_bad_vacancy_is_refused_naming_the_field(ownit_demo_org, changes, message) -> None:
    with pytest.raises(ValidationError, match=message):
        vacancy(ownit_demo_org, **changes)
    assert service.queue(ownit_demo_org, actor=JAMES) == []


def test_a_payslip_not_yet_paid_is_refused(ownit_demo_org) -> None:
    with pytest.raises(ValidationError, match=r"Which payslip\? \(payslip_month\): 2027-01-01 is a month not paid"):
        raise_(ownit_demo_org, "hr.payroll", employee="Kim Lee", payslip_month="2027-01-01", problem="other")
    # this month's payslip is fine
    assert raise_(ownit_demo_org, "hr.payroll", employee="Kim Lee", payslip_month="2026-11-01",
                  problem="deduction")["ref"].startswith("HR-")


def test_a_concern_needs_a_description(ownit_demo_org) -> None:
    with pytest.raises(ValidationError, match=r"Describe the concern briefly \(summary\) is required"):
        raise_(ownit_demo_org, "hr.relations", about="grievance", at_risk="no")
