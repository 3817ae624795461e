"""Mystery requests: a team's lead tests the service the stores meet.

A mystery shopper tests the shop floor; a mystery request tests a support
team. The steps, each one unit of work:

- :func:`set_programme` — the team's lead (or an admin) sets its programme:
  how many a month, of which request types, and which store managers are
  asked to raise them. Each newly named manager is asked to take part.
- :func:`take_part` — the manager agrees (or withdraws).
- :func:`plan` — the lead plans one: a scenario ("the stockroom ceiling drips
  when it rains"), its type, the manager who raises it and by when. The
  manager is sent the scenario.
- The manager raises it through the ordinary raise page or ``ownit raise``,
  naming the mystery (``raise_request(mystery=...)``, checked by
  :func:`check_raisable` and linked by :func:`link` in the raise's own unit).
  It is routed, owned, promised, told and worked exactly like any other.
- :func:`answer` — once it is closed, the manager answers the short form; the
  score (:mod:`ownit.mystery`) is kept with the rubric's version and the
  team's charter version it was promised under. The owner at the close and
  the lead are told: the reveal, for coaching.
- :func:`add_note` — the lead's note to the owner.
- :func:`results` — per team and per owner over time, the spread across
  owners, beside the team's ordinary service health.

Secrecy: the mark lives only in ``mystery`` (:mod:`ownit.store.mysteries`),
which no owner-facing read joins while the request is open: the request's
row, timeline, notices, queue lines, ``--json`` and plugin snapshots are those
of any request. Service health leaves mystery requests out. The lead's view
names no open mystery request (not its ref, not its owner), since leads work
requests too; it counts them. The reveal (:func:`reveal`) comes only once the
request is closed and scored.
"""

from __future__ import annotations

import calendar as months
from datetime import date, datetime, timedelta
from statistics import mean
from types import SimpleNamespace
from typing import Any, Iterable

from .. import domain, mystery as rubric
from ..lazy import Lazy
from ..actors import Actor
from ..departments import RequestType
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..incidents import is_incident
from ..store import mysteries as stored, outbox, requests, timeline
from ..store import unit as store
from ..store.directory import Directory, PersonEntry, TeamEntry
from . import repeats
from .access import text
from .reactions import transaction

notices = Lazy("ownit.notices")  # the invitations and the reveal: not loaded by the reads that show a request

SCENARIO_MAX = 2000
PER_MONTH_MAX = 20
RAISE_WITHIN = 14  # days: when a plan says nothing, it is to be raised within a fortnight
RESULTS_DAYS = 91  # a quarter


def _lead_or_admin(org: Directory, team: TeamEntry, person: PersonEntry) -> None:
    if not (person.admin or team.lead_id == person.id):
        raise PermissionDenied(f"only the lead of {team.name} ({org.people[team.lead_id].name}) or an admin "
                               "runs its mystery requests")


def _shoppers(programme: SimpleNamespace | None) -> dict[int, str | None]:
    return {int(k): v for k, v in (programme.shoppers if programme else {}).items()}


def _types(desk: Any, team: TeamEntry, keys: Iterable[str]) -> list[RequestType]:
    found = []
    for key in keys:
        rtype = desk.plugins.request_types.get(key)
        if rtype is None or rtype.department != team.department:
            known = ", ".join(sorted(t.key for t in desk.plugins.request_types.values()
                                     if t.department == team.department and not is_incident(t)))
            raise ValidationError(f"{key!r} is not a request type of {team.name}'s department; choose from {known}")
        if is_incident(rtype):
            raise ValidationError(f"{rtype.label} is declared by a team, not raised by a store; choose another type")
        found.append(rtype)
    return found


def _served(org: Directory, team: TeamEntry, shopper: PersonEntry) -> str | None:
    """Why ``shopper`` cannot raise mystery requests for ``team``, or ``None``."""
    if shopper.site_id is None:
        return f"{shopper.name} has no store; name a store manager"
    if org.in_team(team, shopper.id) or team.lead_id == shopper.id:
        return f"{shopper.name} is in {team.name}; a mystery request is raised by a store it serves"
    site = org.sites[shopper.site_id]
    if team.regions and site.region not in team.regions:
        return (f"{team.name} does not serve {site.name} ({site.region}); name a manager of a store in "
                f"{', '.join(team.regions)}")
    return None


# --- the lead's plan -------------------------------------------------------------------------------------


def set_programme(desk: Any, *, actor: Actor, team: str, per_month: int, request_types: list[str],
                  shoppers: list[str]) -> dict[str, Any]:
    """Set the team's programme whole: ``per_month`` mystery requests at most,
    of ``request_types``, raised by the store managers ``shoppers`` (emails).
    A manager newly named is asked to take part; one named before keeps their
    answer. The lead or an admin. Returns the programme (:func:`programme`)."""
    if not isinstance(per_month, int) or not 1 <= per_month <= PER_MONTH_MAX:
        raise ValidationError(f"--per-month {per_month} is out of range; plan 1 to {PER_MONTH_MAX} a month")
    if not request_types:
        raise ValidationError("name at least one request type (--type), like facilities.leak")
    if not shoppers:
        raise ValidationError("name at least one store manager to raise them (--shopper EMAIL)")

    def work(u: store.Unit) -> None:
        org = u.directory
        person = u.person(actor)
        chosen = org.team(team)
        _lead_or_admin(org, chosen, person)
        types = [t.key for t in _types(u.desk, chosen, dict.fromkeys(request_types))]
        before = _shoppers(stored.programme(u, chosen.id))
        named: dict[str, str | None] = {}
        for email in dict.fromkeys(shoppers):
            shopper = org.person(email)
            problem = _served(org, chosen, shopper)
            if problem:
                raise ValidationError(problem)
            named[str(shopper.id)] = before.get(shopper.id)
        stored.set_programme(u, chosen.id, per_month=per_month, request_types=types, shoppers=named, set_by=person.id)
        for person_id in (int(k) for k in named):
            if person_id not in before:
                outbox.put(u, person_id, None, notices.MysteryInvite(
                    ref="", title=chosen.name, lead=org.people[chosen.lead_id].name, per_month=per_month),
                    dedupe_key=f"mystery-invite:{chosen.id}:{person_id}")

    transaction(desk, work)
    return programme(desk, actor=actor, team=team)


def take_part(desk: Any, *, actor: Actor, team: str, agree: bool = True) -> dict[str, Any]:
    """A store manager named in the team's programme agrees to raise its
    mystery requests (or, ``agree=False``, withdraws: nothing more is planned
    for them). Returns their page (:func:`mine`)."""
    def work(u: store.Unit) -> None:
        org = u.directory
        person = u.person(actor)
        chosen = org.team(team)
        found = stored.programme(u, chosen.id)
        shoppers = _shoppers(found)
        if person.id not in shoppers:
            raise PermissionDenied(f"{chosen.name}'s lead has not asked you to raise mystery requests; "
                                   "nothing to agree to")
        if agree and shoppers[person.id] is None:
            shoppers[person.id] = u.now.isoformat()
        elif not agree:
            shoppers[person.id] = None
        stored.set_programme(u, chosen.id, per_month=found.per_month, request_types=found.request_types,
                             shoppers={str(k): v for k, v in shoppers.items()}, set_by=found.set_by)

    transaction(desk, work)
    return mine(desk, actor=actor)


def plan(desk: Any, *, actor: Actor, team: str, scenario: str, request_type: str | None = None,
         shopper: str | None = None, raise_by: date | None = None, key: str | None = None) -> dict[str, Any]:
    """Plan one mystery request for the team: the ``scenario`` its store
    manager raises in their own words, of ``request_type`` (the programme's
    first, if not given), by ``shopper`` (the agreed manager with the fewest
    still to raise, if not given), by ``raise_by`` (a fortnight on, if not
    given). No more than the programme's ``per_month`` to be raised in one
    month. The manager is sent the scenario. Returns the programme, with
    ``planned``: the new one's id (and ``repeated`` for a repeated key)."""
    said = text(scenario, "the scenario", limit=SCENARIO_MAX, required=True)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> tuple[int | None, bool]:
        org = u.directory
        person = u.person(actor)
        chosen = org.team(team)
        _lead_or_admin(org, chosen, person)
        if repeats.repeated(u, person, key, "mystery_plan") is not None:
            return None, True
        found = stored.programme(u, chosen.id)
        if found is None:
            raise Conflict(f"{chosen.name} has no mystery programme yet; set one first "
                           f"('ownit mystery programme {chosen.key} ...')")
        rtype = _types(u.desk, chosen, [request_type or found.request_types[0]])[0]
        if rtype.key not in found.request_types:
            raise ValidationError(f"{rtype.key} is not in {chosen.name}'s programme; it tests "
                                  f"{', '.join(found.request_types)}")
        agreed = {pid for pid, at in _shoppers(found).items() if at is not None}
        if shopper is not None:
            who = org.person(shopper)
            if who.id not in agreed:
                raise ValidationError(f"{who.name} has not agreed to raise {chosen.name}'s mystery requests; "
                                      "choose one who has ('ownit mystery programme' shows who)")
        elif not agreed:
            raise Conflict(f"no store manager has agreed to raise {chosen.name}'s mystery requests yet")
        else:
            waiting = {pid: 0 for pid in agreed}
            for m in stored.of_team(u, chosen.id):
                if m.request_id is None and m.shopper_id in waiting:
                    waiting[m.shopper_id] += 1
            who = org.people[min(agreed, key=lambda pid: (waiting[pid], org.people[pid].name))]
        problem = _served(org, chosen, who)
        if problem:
            raise ValidationError(problem)
        today = chosen.business_calendar.local(u.now).date()
        when = raise_by or today + timedelta(days=RAISE_WITHIN)
        if when < today:
            raise ValidationError(f"--by {when.isoformat()} is in the past; give a future date")
        first, last = when.replace(day=1), when.replace(day=months.monthrange(when.year, when.month)[1])
        if stored.planned_in(u, chosen.id, first, last) >= found.per_month:
            raise Conflict(f"{chosen.name}'s programme allows {found.per_month} a month and {when:%B %Y} has "
                           f"{found.per_month} planned; plan for another month (--by) or raise --per-month")
        mystery_id = stored.plan(u, team_id=chosen.id, request_type=rtype.key, scenario=said, shopper_id=who.id,
                                 planned_by=person.id, raise_by=when)
        outbox.put(u, who.id, None, notices.MysteryScenario(
            ref="", title=chosen.name, mystery=mystery_id, request_type=rtype.label, scenario=said,
            raise_by=f"{when:%a %d %b}"))
        return mystery_id, False

    planned, repeated = transaction(desk, work)
    return {**programme(desk, actor=actor, team=team), "planned": planned, "repeated": repeated}


def programme(desk: Any, *, actor: Actor, team: str) -> dict[str, Any]:
    """The team's programme as its lead sees it: ``per_month``, the
    ``request_types``, the ``shoppers`` (each with ``agreed``), and
    ``mysteries``: planned ones with their scenario and manager, then how far
    each has come. An open one shows no ref and no owner: it is being
    worked, and a lead works requests too."""
    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        chosen = org.team(team)
        _lead_or_admin(org, chosen, person)
        found = stored.programme(u, chosen.id)
        rows = stored.of_team(u, chosen.id)
        reqs = requests.many(u, {m.request_id for m in rows if m.request_id is not None})
        today = chosen.business_calendar.local(u.now).date()
        return {
            "team": {"key": chosen.key, "name": chosen.name},
            "per_month": found.per_month if found else None,
            "request_types": found.request_types if found else [],
            "shoppers": [{"email": org.people[pid].email, "name": org.people[pid].name,
                          "site": org.sites[org.people[pid].site_id].name if org.people[pid].site_id else "",
                          "agreed": at} for pid, at in _shoppers(found).items()],
            "mysteries": [_lead_line(org, m, reqs.get(m.request_id), today) for m in rows],
        }

    return store.run(desk, work, write=False)


def _stage(m: SimpleNamespace, req: Any, today: date) -> str:
    if req is None:
        return "late to raise" if m.raise_by < today else "to raise"
    if m.scored_at is not None:
        return "scored"
    return "awaiting the form" if req.status == domain.CLOSED else "being worked"


def _lead_line(org: Directory, m: SimpleNamespace, req: Any, today: date) -> dict[str, Any]:
    stage = _stage(m, req, today)
    line = {"id": m.id, "stage": stage, "request_type": m.request_type, "scenario": m.scenario,
            "shopper": org.people[m.shopper_id].name, "raise_by": m.raise_by.isoformat(),
            "ref": None, "owner": None, "score": None, "note": m.note}
    if stage in ("awaiting the form", "scored"):  # closed: it may be named now
        line.update(ref=req.ref, title=req.title, owner=org.people[req.owner_id].name, score=m.score)
    return line


# --- raising it: in the raise's own unit of work ------------------------------------------------------


def check_raisable(u: store.Unit, mystery_id: int, raiser: PersonEntry, requester: PersonEntry,
                   rtype: RequestType) -> SimpleNamespace:
    """The planned mystery ``mystery_id`` the raise names, if ``raiser`` may
    raise it now as a ``rtype``; one line why not."""
    m = stored.get(u, mystery_id) if isinstance(mystery_id, int) else None
    if m is None or m.shopper_id != raiser.id:
        raise NotFound(f"no mystery request {mystery_id} for you to raise; your page lists yours")
    if requester.id != raiser.id:
        raise ValidationError("a mystery request is raised by its store manager as their own, not for someone else")
    if m.request_id is not None:
        raise Conflict(f"mystery request {m.id} was raised already")
    if rtype.key != m.request_type:
        raise ValidationError(f"mystery request {m.id} is a {m.request_type}; raise it as that type")
    return m


def link(u: store.Unit, m: SimpleNamespace, req: Any) -> None:
    """The raised request is the mystery ``m``: only if the team it was
    routed to is the one testing itself."""
    if req.team_id != m.team_id:
        team = u.directory.teams[m.team_id]
        raise ValidationError(f"this request would go to {u.directory.teams[req.team_id].name}, not {team.name}, "
                              f"whose mystery request {m.id} it is; raise it from your own store")
    if not stored.link(u, m.id, req.id):
        raise Conflict(f"mystery request {m.id} was raised already")


# --- the form, the score and the reveal --------------------------------------------------------------


def answer(desk: Any, mystery_id: int, *, actor: Actor, answers: dict[str, Any],
           key: str | None = None) -> dict[str, Any]:
    """The store manager's form for their closed mystery request (see
    :func:`ownit.mystery.checked_answers`): it is scored there and then on
    its timeline and the answers, and the owner at its close and the team's
    lead are told. Returns the scored line (:func:`scored_view`)."""
    try:
        checked = rubric.checked_answers(answers)
    except rubric.BadAnswers as exc:
        raise ValidationError(str(exc)) from None
    key = repeats.key_of(key)

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        m = stored.get(u, mystery_id)
        if m is None or m.shopper_id != person.id:
            raise NotFound(f"no mystery request {mystery_id} of yours to answer for")
        req = requests.get(u, m.request_id) if m.request_id is not None else None
        repeated = repeats.repeated(u, person, key, "mystery_answer", req.id if req else None) is not None
        if not repeated:
            if req is None:
                raise Conflict(f"mystery request {m.id} is not raised yet; raise it first")
            if req.status != domain.CLOSED:
                raise Conflict(f"{req.ref} is {req.status}; the form is answered once it is closed "
                               "(confirm it fixed when it is)")
            entries = timeline.of(u, req.id)
            measured = rubric.measured(entries, req.stage_due or {}, {p.id: p.email for p in org.people.values()})
            score = rubric.score(measured, checked)
            if not stored.score(u, m.id, answers=checked, parts=score.parts, score=score.total, rubric=score.rubric,
                                charter_id=req.charter_id, owner_id=req.owner_id):
                raise Conflict(f"mystery request {m.id} was answered already")
            team = org.teams[m.team_id]
            for told, yours in ((req.owner_id, True), (team.lead_id, False)):
                if told != person.id and (yours or told != req.owner_id):
                    outbox.put(u, told, req.id, notices.MysteryRevealed(ref=req.ref, title=req.title,
                                                                        score=score.total, yours=yours))
        m = stored.get(u, m.id)
        return {**scored_view(org, m, req), "repeated": repeated}

    return transaction(desk, work)


def add_note(desk: Any, mystery_id: int, *, actor: Actor, note: str, key: str | None = None) -> dict[str, Any]:
    """The lead's coaching note on a scored mystery request; its owner is told."""
    said = text(note, "the note", limit=2000, required=True)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        m = stored.get(u, mystery_id)
        if m is None:
            raise NotFound(f"no mystery request {mystery_id}")
        _lead_or_admin(org, org.teams[m.team_id], person)
        if m.scored_at is None:
            raise Conflict(f"mystery request {m.id} is not scored yet; the note comes with its reveal")
        req = requests.get(u, m.request_id)
        repeated = repeats.repeated(u, person, key, "mystery_note", req.id) is not None
        if not repeated:
            stored.note(u, m.id, said, person.id)
            if m.owner_id != person.id:
                outbox.put(u, m.owner_id, req.id, notices.MysteryRevealed(ref=req.ref, title=req.title,
                                                                          score=m.score, note=said))
        return {**scored_view(org, stored.get(u, m.id), req), "repeated": repeated}

    return transaction(desk, work)


def scored_view(org: Directory, m: SimpleNamespace, req: Any) -> dict[str, Any]:
    """A scored mystery request: its score, each part with its label, the
    rubric and charter versions, and the lead's note."""
    charter = org.charters.get(m.charter_id) if m.charter_id else None
    return {"id": m.id, "ref": req.ref if req else None, "title": req.title if req else None,
            "team": org.teams[m.team_id].name, "scenario": m.scenario,
            "owner": org.people[m.owner_id].name if m.owner_id else None, "score": m.score,
            "scored_at": m.scored_at.isoformat() if m.scored_at else None, "rubric": m.rubric,
            "charter_version": charter.version if charter else None,
            "parts": [{"key": k, "label": rubric.LABELS[k], "value": v} for k, v in (m.parts or {}).items()],
            "note": m.note, "noted_by": org.people[m.noted_by].name if m.noted_by else None}


def reveal(u: store.Unit, req: Any, team: TeamEntry, person: PersonEntry | None) -> dict[str, Any] | None:
    """What the request's card says of it being a mystery request: only once
    it is closed and scored, and only to its owner, its team's lead, an admin
    and the manager who raised it. ``None`` otherwise, as for any request."""
    if req.status != domain.CLOSED or person is None:
        return None
    if not (person.id in (req.owner_id, team.lead_id, req.requester_id) or person.admin):
        return None
    m = stored.of_request(u, req.id)
    if m is None or m.scored_at is None:
        return None
    return scored_view(u.directory, m, req)


def mine(desk: Any, *, actor: Actor) -> dict[str, Any]:
    """A person's mystery page: as a store manager, the ``invitations`` to take
    part, the scenarios ``to_raise``, those ``raised`` (to answer once closed,
    or scored); as an owner, the mystery requests ``revealed`` to them."""
    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        invitations = []
        for found in stored.programmes(u):  # one read, not one a team: the raise page asks on every visit
            team, shoppers = org.teams[found.team_id], _shoppers(found)
            if person.id in shoppers:
                invitations.append({"team": team.key, "name": team.name, "per_month": found.per_month,
                                    "lead": org.people[team.lead_id].name, "agreed": shoppers[person.id]})
        own = stored.of_shopper(u, person.id)
        reqs = requests.many(u, {m.request_id for m in own if m.request_id is not None})
        to_raise, raised = [], []
        for m in own:
            req = reqs.get(m.request_id)
            line = {"id": m.id, "team": org.teams[m.team_id].name, "request_type": m.request_type,
                    "scenario": m.scenario, "raise_by": m.raise_by.isoformat()}
            if req is None:
                to_raise.append(line)
            else:
                raised.append({**line, "ref": req.ref, "title": req.title, "status": req.status,
                               "to_answer": req.status == domain.CLOSED and m.scored_at is None,
                               "score": m.score})
        revealed = stored.revealed_to(u, person.id)
        shown = requests.many(u, {m.request_id for m in revealed})
        return {"invitations": invitations, "to_raise": to_raise, "raised": raised,
                "revealed": [scored_view(org, m, shown[m.request_id]) for m in revealed],
                "questions": [{"key": k, "question": q} for k, q in rubric.QUESTIONS]}

    return store.run(desk, work, write=False)


def ask_for_forms(desk: Any) -> int:
    """The sweep's part: each closed mystery request not yet scored asks its
    store manager for the form, once. Returns how many were asked: a count,
    not the refs, since whoever runs the sweep may work requests too."""
    def work(u: store.Unit) -> int:
        asked = 0
        waiting = stored.closed_unscored(u)
        reqs = requests.many(u, {m.request_id for m in waiting})
        for m in waiting:
            req = reqs[m.request_id]
            asked += outbox.put(u, m.shopper_id, req.id, notices.MysteryForm(ref=req.ref, title=req.title,
                                                                             mystery=m.id),
                                dedupe_key=f"mystery-form:{m.id}")
        return asked

    return store.run(desk, work)


# --- results ---------------------------------------------------------------------------------------------


def results(desk: Any, *, actor: Actor, team: str, since: datetime | None = None,
            until: datetime | None = None) -> dict[str, Any]:
    """The team's mystery results over ``[since, until)`` (default: the last
    quarter), by when they were scored: the mean score and each part's,
    ``months`` (mean and count each), ``owner_months`` (each owner's, month
    by month: over time), ``owners`` (each owner's mean, count,
    lowest and highest) with the ``spread`` across owners (``wide`` when the
    gap passes :data:`ownit.mystery.WIDE`), the ``scored`` requests, and
    ``beside``: what the team's service health says of the same period next
    to what the mystery requests met. The lead or an admin."""
    from .health import report

    now = desk.now()
    until = until or now
    since = since or until - timedelta(days=RESULTS_DAYS)
    if since >= until:
        raise ValidationError(f"--since {since:%Y-%m-%d} must be before --until {until:%Y-%m-%d}")

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        person = u.person(actor)
        chosen = org.team(team)
        _lead_or_admin(org, chosen, person)
        rows = stored.scored_between(u, chosen.id, since, until)
        reqs = requests.many(u, {m.request_id for m in rows})
        zone = chosen.business_calendar
        by_month: dict[str, list[float]] = {}
        by_owner: dict[int, list[float]] = {}
        by_owner_month: dict[tuple[str, int], list[float]] = {}
        for m in rows:
            month = f"{zone.local(m.scored_at):%Y-%m}"
            by_month.setdefault(month, []).append(m.score)
            by_owner.setdefault(m.owner_id, []).append(m.score)
            by_owner_month.setdefault((month, m.owner_id), []).append(m.score)
        owners = sorted(({"email": org.people[pid].email, "name": org.people[pid].name,
                          "mean": rubric.tenth(mean(s)), "count": len(s), "lowest": min(s), "highest": max(s)}
                         for pid, s in by_owner.items()), key=lambda o: (-o["mean"], o["name"]))
        spread = rubric.spread(o["mean"] for o in owners)
        spread["wide"] = spread["gap"] is not None and len(owners) > 1 and spread["gap"] > rubric.WIDE
        parts = {}
        for key, label in rubric.MEASURED + rubric.ASKED:
            values = [m.parts[key] for m in rows if m.parts and m.parts.get(key) is not None]
            parts[key] = {"label": label, "mean": round(mean(values), 3) if values else None, "count": len(values)}
        answers = [m.answers for m in rows if m.answers]
        return {"team": {"key": chosen.key, "name": chosen.name}, "since": since.isoformat(),
                "until": until.isoformat(), "count": len(rows),
                "mean": rubric.tenth(mean(m.score for m in rows)) if rows else None,
                "months": [{"month": k, "mean": rubric.tenth(mean(v)), "count": len(v)}
                           for k, v in sorted(by_month.items())],
                "owner_months": [{"month": month, "owner": org.people[pid].name, "mean": rubric.tenth(mean(v)),
                                  "count": len(v)}
                                 for (month, pid), v in sorted(by_owner_month.items(),
                                                               key=lambda kv: (kv[0][0], org.people[kv[0][1]].name))],
                "owners": owners, "spread": spread, "parts": parts,
                "mystery_nps": _nps([a["nps"] for a in answers]),
                "mystery_effort": round(mean(a["effort"] for a in answers), 2) if answers else None,
                "scored": [scored_view(org, m, reqs[m.request_id]) for m in rows]}

    found = store.run(desk, work, write=False)
    health = report(desk, actor=actor, team=team, since=since, until=until)["headline"]
    parts = found["parts"]
    found["beside"] = [
        {"figure": label, "health": _rounded(health.get(hkey)), "mystery": parts[mkey]["mean"] if mkey else found[fkey]}
        for label, hkey, mkey, fkey in (
            ("first contact kept", "first_contact_kept", "first_contact", None),
            ("check-ins kept", "checkins_kept", "checkins", None),
            ("promises kept", "promises_kept", "resolved", None),
            ("NPS", "nps", None, "mystery_nps"),
            ("effort (1-7)", "effort", None, "mystery_effort"))]
    return found


def _rounded(value: float | None) -> float | None:
    """A health figure as the mystery requests' are given: shares to a tenth of a percent, NPS and effort to
    two decimals."""
    return None if value is None else round(value, 3 if abs(value) <= 1 else 2)


def _nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    return round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores), 1)
