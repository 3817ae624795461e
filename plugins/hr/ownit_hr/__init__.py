"""HR: filling vacancies, staff relations concerns and payroll queries.

Every HR request goes to the site's HR partner (the member of the HR team whose
``covers`` in the org file include the site's code or region); when that person
is away or full, OwnIt's standard choice applies. Staff relations concerns and
payroll queries are restricted: only the requester and HR see them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ownit import SYSTEM, Department, Field, Promise, RequestType, Stage, hookimpl, pure, reacts_to

MAX_WEEKLY_HOURS = 48  # the Working Time Regulations' weekly limit
CONTRACTS_OUT_BEFORE_START = timedelta(days=14)

VACANCY = RequestType(
    key="hr.vacancy",
    label="Vacancy to fill",
    why="An empty role means longer queues, tired staff and shifts you cover yourself; "
        "a clear start date lets HR plan the advert, interviews and contract backwards from it.",
    fields=(
        Field("role", "Which role are you recruiting for?", required=True, max_length=120,
              help="For example: weekend sales assistant, assistant store manager"),
        Field("hours", "Hours per week", kind="number", required=True,
              help=f"Contracted hours a week, from 1 to {MAX_WEEKLY_HOURS}"),
        Field("contract", "Contract type", kind="choice", required=True,
              choices=("permanent", "fixed term", "seasonal")),
        Field("start_date", "Wanted start date", kind="date", required=True,
              help="When you need the new starter in store. Filling a role normally takes 20 working days; "
                   "an earlier date is agreed with your HR partner when they first contact you."),
        Field("reason", "Why is the role needed?", kind="choice", required=True,
              choices=("new role", "replacement")),
        Field("replacing", "Who is leaving, and their last day?", max_length=200,
              help="Only for a replacement, for example: Sam Jones, last day 4 December"),
    ),
    stages=(
        Stage("received", "Vacancy received"),
        Stage("job_description", "Job description agreed", days=2,
              requester_action="Confirm the job description"),
        Stage("advertised", "Advertised", days=2),
        Stage("shortlisted", "Shortlisted", days=6, requester_action="Pick who to interview"),
        Stage("interviews", "Interviews held", days=4,
              requester_action="Interview the shortlisted candidates"),
        Stage("offer", "Offer made", days=2),
        Stage("start_confirmed", "Start date confirmed", days=4),
    ),
    promise={"normal": Promise(first_contact="1d", checkin="2d", resolve="20d")},
    skills=("recruitment",),
    needed_by_field="start_date",
)

RELATIONS = RequestType(
    key="hr.relations",
    label="Staff relations concern",
    why="Concerns about conduct, grievances, absence or wellbeing handled early and fairly protect "
        "your people and the store; the details stay between you and HR.",
    fields=(
        Field("about", "What is it about?", kind="choice", required=True,
              choices=("conduct", "grievance", "absence", "wellbeing")),
        Field("at_risk", "Is anyone at risk?", kind="yesno", required=True, risk_when=True,
              help="Yes if someone's safety or health is in danger now: a threat, an injury, someone in "
                   "crisis. Your HR partner then calls within 2 working hours."),
        Field("summary", "Describe the concern briefly", required=True, max_length=1000,
              help="The facts: what happened, when and who is involved. Only you and HR can see this."),
    ),
    stages=(
        Stage("received", "Received"),
        Stage("in_touch", "HR partner in touch", days=1),
        Stage("meeting", "Meeting held", days=4,
              requester_action="Meet your HR partner and bring any notes, rotas or messages"),
        Stage("outcome", "Outcome agreed", days=5),
    ),
    promise={"urgent": Promise(first_contact="2h", checkin="1d", resolve="5d"),
             "normal": Promise(first_contact="1d", checkin="2d", resolve="10d")},
    skills=("relations",),
    restricted=True,
)

PAYROLL = RequestType(
    key="hr.payroll",
    label="Payroll query",
    why="Being paid right and on time is the first thing staff judge us on; someone left unpaid "
        "is offered an advance rather than told to wait for the next payslip.",
    fields=(
        Field("employee", "Employee name", required=True, max_length=120),
        Field("payslip_month", "Which payslip?", kind="date", required=True,
              help="Any date in the payslip's month, for example 2026-11-01"),
        Field("problem", "What is wrong?", kind="choice", required=True,
              choices=("missing hours", "wrong rate", "deduction", "other")),
        Field("not_paid", "Is the whole payslip missing (no pay at all)?", kind="yesno"),
    ),
    stages=(
        Stage("received", "Received"),
        Stage("checked", "Checked with payroll", days=3,
              requester_action="Send the signed timesheet or rota for the weeks in question"),
        Stage("corrected", "Corrected on next payslip", days=7),
    ),
    promise={"high": Promise(first_contact="4h", checkin="1d", resolve="3d"),
             "normal": Promise(first_contact="1d", checkin="2d", resolve="10d")},
    skills=("payroll",),
    restricted=True,  # pay is personal: colleagues at the site do not see it
)

REQUEST_TYPES = (VACANCY, RELATIONS, PAYROLL)
_SKILLS = {rtype.key: rtype.skills for rtype in REQUEST_TYPES}


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="hr", name="HR", prefix="HR",
                        description="People: recruiting for vacancies, staff relations concerns, payroll queries.",
                        request_types=REQUEST_TYPES))


@hookimpl
@pure
def ownit_validate_request(request_type: str, fields: dict[str, Any], now: datetime) -> list[str] | None:
    problems: list[str] = []
    if request_type == "hr.vacancy":
        hours = fields.get("hours")
        if hours is not None and not 1 <= hours <= MAX_WEEKLY_HOURS:
            problems.append(f"Hours per week (hours): {hours} is not a contract we can offer; "
                            f"give between 1 and {MAX_WEEKLY_HOURS} hours a week")
        # a start date in the past is refused by OwnIt itself: it is the needed-by date
    elif request_type == "hr.payroll":
        month = fields.get("payslip_month")
        today = now.date()
        if month is not None and date.fromisoformat(month).replace(day=1) > today.replace(day=1):
            problems.append(f"Which payslip? (payslip_month): {month} is a month not paid yet; "
                            "give a date in the month of the payslip that is wrong")
    return problems or None


@hookimpl
@pure
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "hr.relations":
        return "urgent" if fields.get("at_risk") else "normal"
    if request_type == "hr.payroll":
        return "high" if fields.get("not_paid") else "normal"
    return None


@hookimpl
@pure
def ownit_choose_owner(request: Any, team: Any) -> str | None:
    """The site's HR partner: an available member covering the site code
    (preferred) or the site's region, then one with the skills, then the least
    busy. ``None`` (the standard choice) when no covering partner is available."""
    if team.department != "hr" or not request.request_type.startswith("hr."):
        return None
    site, region = request.site_code.casefold(), request.region.casefold()
    needed = set(_SKILLS.get(request.request_type, ()))
    ranked = []
    for member in team.members:
        covers = {c.casefold() for c in member.covers}
        if not member.available or not covers & {site, region}:
            continue
        ranked.append((site not in covers, not needed <= set(member.skills), member.open_requests, member.email))
    return min(ranked)[-1] if ranked else None


@hookimpl
@reacts_to("contacted", "agreed")
def ownit_on_event(request: Any, event: Any, desk: Any) -> None:
    """At first contact on a vacancy, put the hiring plan for the start date on
    the requester's timeline: the agreed date when one was agreed, else the
    wanted one."""
    if request.request_type != VACANCY.key or event.kind not in ("contacted", "agreed"):
        return
    from ownit import service

    view = service.show(desk, request.ref, actor=request.owner_email)
    calendar = next((t["calendar"] for t in service.teams(desk) if t["key"] == request.team_key), {})
    agreed = view["promise"].get("agreed_by")
    if event.kind == "agreed":
        start, heading = event.event.agreed_by, "Start date agreed"  # an ownit.events.Agreed: a date
    elif agreed is None and request.fields.get("start_date"):
        start, heading = date.fromisoformat(request.fields["start_date"]), "Wanted start date"
    else:
        return  # the 'agreed' event of the same first contact writes the plan
    service.add_note(desk, request.ref, actor=SYSTEM,
                     note=hiring_plan(start, view, calendar=calendar, heading=heading))


def _day(d: date, *, year: bool = False) -> str:
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if year else "")


def _office_day_on_or_before(d: date, calendar: dict[str, Any]) -> date:
    """``d``, or the last Monday-to-Friday before it that is not a public holiday
    or closure of the team's calendar (the org file's ``calendar`` table)."""
    closures = {str(c) for c in calendar.get("closures") or ()}
    public: Any = ()
    if calendar.get("country"):
        import holidays

        try:
            public = holidays.country_holidays(calendar["country"], subdiv=calendar.get("subdivision"),
                                               years=(d.year - 1, d.year))
        except NotImplementedError:
            public = ()
    while d.weekday() >= 5 or d in public or d.isoformat() in closures:
        d -= timedelta(days=1)
    return d


def hiring_plan(start: date, view: dict[str, Any], *, calendar: dict[str, Any] | None = None,
                heading: str = "Start date agreed") -> str:
    """What happens next for a vacancy starting on ``start``, from the request's
    stage forecast (business days on the HR team's ``calendar``)."""
    zone = ZoneInfo(view.get("timezone") or "UTC")
    expected = {
        s["key"]: datetime.fromisoformat(s["expected"]).astimezone(zone).date()
        for s in view["promise"]["stages"] if s.get("expected") and not s.get("reached")
    }
    steps = [(key, text) for key, text in (
        ("job_description", "job description to you to confirm by {}"),
        ("advertised", "advert live by {}"),
        ("shortlisted", "shortlist with you to pick who to interview by {}"),
        ("interviews", "interviews done by {}"),
        ("offer", "offer made by {}"),
    ) if key in expected]
    plan = "; ".join(text.format(_day(expected[key])) for key, text in steps)
    contracts_out = _office_day_on_or_before(start - CONTRACTS_OUT_BEFORE_START, calendar or {})
    offer_by = expected.get("offer")
    if offer_by is not None and contracts_out < offer_by:
        ending = ("contracts out as soon as the offer is accepted. That is less than two weeks before the start, "
                  "so check the new starter's notice period before you put them on the rota.")
    else:
        ending = (f"contracts out by {_day(contracts_out)}, two weeks before the start, so your new starter "
                  "can give notice and be set up for payroll.")
    return f"{heading}: {_day(start, year=True)}. The plan: " + (f"{plan}; " if plan else "") + ending
