"""What the edges show: plain, JSON-ready dictionaries with stable keys.

The CLI's ``--json`` prints these as they are; the table and card renderings
and the UI read the same keys. Datetimes are ISO 8601 strings in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from .calendar import BusinessCalendar
from .departments import Field, Promise, RequestType
from .promises import promise_card


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_view(person: Any, team: Any = None) -> dict[str, Any]:
    view = {"email": person.email, "name": person.name, "title": person.title, "phone": person.phone}
    if team is not None:
        view["team"] = team.key
    return view


def progress_view(rtype: RequestType | None, stage: str) -> dict[str, Any]:
    if rtype is None:  # the plugin that declared it is not installed now
        return {"done": 0, "total": 0, "stages": []}
    index = rtype.position(stage)
    return {
        "done": index + 1,
        "total": len(rtype.stages),
        "stages": [
            {"key": s.key, "label": s.label, "reached": i <= index, "current": i == index,
             "requester_action": s.requester_action}
            for i, s in enumerate(rtype.stages)
        ],
    }


def answers_view(rtype: RequestType | None, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The requester's answers as people read them, in the form's order: each
    question's ``label``, the ``value`` ("yes", "stockroom ceiling") and
    whether it is a ``safety`` risk (:attr:`ownit.departments.Field.risk_when`);
    answers to questions no longer declared come last, under their keys."""
    declared = {f.key: f for f in rtype.fields} if rtype else {}
    shown = [(declared[k], fields[k]) for k in declared if fields.get(k) is not None]
    shown += [(Field(k, k), v) for k, v in fields.items() if k not in declared and v is not None]
    return [{"key": f.key, "label": f.label, "value": f.shown(v), "safety": f.is_risk(v)} for f, v in shown]


def answer_line(label: str, value: str) -> str:
    """One answer as a line: "Is water near lights, tills or sockets? yes", "Asset tag: AT-1"."""
    return f"{label} {value}" if label.rstrip().endswith("?") else f"{label}: {value}"


def summary_view(req: Any, *, owner: Any, team: Any, rtype: RequestType | None,
                 now: datetime, progress: dict[str, Any] | None = None) -> dict[str, Any]:
    """One queue line (``progress``: the request's :func:`progress_view`, when in hand)."""
    progress = progress or progress_view(rtype, req.stage)
    return {
        "ref": req.ref,
        "title": req.title,
        "status": req.status,
        "priority": req.priority,
        "stage": req.stage,
        "stage_label": next((s["label"] for s in progress["stages"] if s["current"]), req.stage),
        "progress": {"done": progress["done"], "total": progress["total"]},
        "owner": {"email": owner.email, "name": owner.name},
        "team": team.key,
        "timezone": team.calendar.get("timezone", "UTC"),
        "next_due": iso(req.next_due),
        "overdue": bool(req.status == "open" and req.next_due and req.next_due < now),
    }


def actor_name(entry: Any, actors: dict[int, Any]) -> str:
    """Who an entry is by: a person, "Helen Price acting as Sam Doyle" when an
    admin acted as them (:mod:`ownit.actors`), or OwnIt itself."""
    if entry.actor_id not in actors:
        return "OwnIt"
    name = actors[entry.actor_id].name
    return f"{actors[entry.acting_id].name} acting as {name}" if entry.acting_id in actors else name


def entry_label(kind: str, data: dict[str, Any] | None, rtype: RequestType | None) -> str:
    """A timeline entry's label in people's words (:func:`ownit.events.label`);
    a move names the stage it reached: "moved on to Contractor booked"."""
    from .events import MovedOn, label  # not for the queue, which the command line draws without it

    said = label(kind)
    to = (data or {}).get("to") if kind == MovedOn.kind else None
    if not to:
        return said
    stage = next((s.label for s in rtype.stages if s.key == to), to) if rtype else to
    return f"{said} to {stage}"


def working_with(events: Sequence[Any]) -> list[dict[str, Any]]:
    """The outside contractors on a request now, from its ``working_with``
    timeline entries (a later one from the same company replaces it; ``done``
    takes it off), in the order they were first booked: ``company``, ``name``,
    ``phone``, ``booked_for`` (ISO) and ``since``."""
    parties: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.kind != "working_with":
            continue
        key = e.data["company"].casefold()
        if e.data.get("done"):
            parties.pop(key, None)
        else:
            parties[key] = {"company": e.data["company"], "name": e.data.get("name", ""),
                            "phone": e.data.get("phone"), "booked_for": e.data.get("booked_for"),
                            "since": iso(e.at)}
    return list(parties.values())


def working_line(party: dict[str, Any], zone: str) -> str:
    """"Working with AquaFix Ltd (Dave Jones, 0113 496 0000), booked for Thu 04 Dec 10:00"."""
    from zoneinfo import ZoneInfo

    who = ", ".join(x for x in (party["name"], party["phone"]) if x)
    when = (f", booked for {datetime.fromisoformat(party['booked_for']).astimezone(ZoneInfo(zone)):%a %d %b %H:%M}"
            if party["booked_for"] else "")
    return f"Working with {party['company']}" + (f" ({who})" if who else "") + when


def attachment_views(events: Sequence[Any], actors: dict[int, Any], *, internal: bool) -> list[dict[str, Any]]:
    """The photos and files on a request, from its ``attached`` timeline
    entries, oldest first; internal ones only when ``internal`` (the team)."""
    return [{"id": e.data["attachment"], "name": e.data["name"], "content_type": e.data["content_type"],
             "size": e.data["size"], "sha256": e.data["sha256"], "thumbnail": e.data.get("thumbnail") is not None,
             "internal": e.internal, "at": iso(e.at), "by": actors[e.actor_id].email if e.actor_id in actors else None,
             "by_name": actor_name(e, actors), "field": e.data.get("field")}
            for e in events if e.kind == "attached" and (internal or not e.internal)]


def charter_quote(charter: Any, *, version: int, team_name: str, names: dict[str, str], today: Any) -> dict[str, Any]:
    """A version of a team's charter (:class:`ownit.charters.Charter`) as the
    card and "Your support people" quote it: who agreed it with whom and when,
    what the team needs from the store, when it is due for review."""
    signed = [names.get(email, email) for email in charter.signed_by]
    return {"team": charter.team, "team_name": team_name, "version": version, "agreed": charter.agreed.isoformat(),
            "with": charter.with_whom, "signed_by": signed, "review": charter.review.isoformat(),
            "overdue": charter.overdue(today), "needs": list(charter.needs),
            "standards": charter.all_standards(),
            "line": f"{team_name}'s charter, agreed with {charter.with_whom} on {charter.agreed:%-d %b %Y}"
                    + (f" ({', '.join(signed)})" if signed else "")}


def quoted_charter(org: Any, charter_id: int | None, now: datetime) -> dict[str, Any] | None:
    """The charter version ``charter_id`` as a card quotes it (``None``: made
    under none), from the directory (:class:`ownit.store.directory.Directory`)."""
    entry = org.charters.get(charter_id) if charter_id is not None else None
    if entry is None:
        return None
    team, charter = org.teams[entry.team_id], entry.charter
    names = {email: org.people_by_email[email].name for email in charter.signed_by if email in org.people_by_email}
    return charter_quote(charter, version=entry.version, team_name=team.name, names=names,
                         today=team.business_calendar.local(now).date())


def task_view(task: Any, *, team: Any, owner: Any, now: datetime) -> dict[str, Any]:
    """A task another team was asked for (:mod:`ownit.service.tasks`), with
    its ``line`` in people's words ("IT Service Desk is doing: isolate the
    tills — Chloe Martin, by Wed 25 Nov 10:00") and the requester's
    (``for_requester``: "IT Service Desk is doing part of it: isolate the
    tills, by Wed 25 Nov 10:00")."""
    calendar = BusinessCalendar.of_team(team)
    late = task.status == "open" and task.due < now
    # the team's commitment may land after the day it is needed: the request's owner agrees a date with the task's
    after_need = task.status == "open" and task.due > calendar.end_of_day(task.needed_by)
    if task.status == "open":
        by = f"by {calendar.local(task.due):%a %d %b %H:%M}" + (" (late)" if late else "")
        line = f"{team.name} is doing: {task.what} — {owner.name}, {by}" + (
            f" (after {task.needed_by:%a %d %b}, when it is needed: agree a date with {owner.name})"
            if after_need else "")
        told = f"{team.name} is doing part of it: {task.what}, {by}"
    else:
        on = f"done {calendar.local(task.done_at):%a %d %b %H:%M}" if task.done_at else "done"
        line = f"{team.name} did: {task.what} — {owner.name}, {on}"
        told = f"{team.name} did part of it: {task.what}, {on}"
    return {"id": task.id, "team": {"key": team.key, "name": team.name}, "owner": person_view(owner, team),
            "what": task.what, "due": iso(task.due), "needed_by": task.needed_by.isoformat(),
            "status": task.status, "late": late, "after_need": after_need, "done_at": iso(task.done_at),
            "timezone": calendar.timezone,
            "line": line, "for_requester": told}


def render_request(req: Any, *, owner: Any, requester: Any, team: Any, site: Any, lead: Any,
                   events: Sequence[Any], actors: dict[int, Any], rtype: RequestType | None, now: datetime,
                   internal: bool, promise: Promise | None, charter: dict[str, Any] | None,
                   calendar: BusinessCalendar) -> dict[str, Any]:
    """The whole request from what is already loaded: the request and its
    timeline ``events`` in order, the people, team and site they name
    (``actors`` by id), as rows or as the directory's entries; the
    ``promise`` it was made and the ``charter`` it was made under
    (:func:`charter_quote`), and the ``calendar`` its promises count on."""
    progress = progress_view(rtype, req.stage)
    raiser = actors.get(req.raised_by_id) if req.raised_by_id is not None else None  # raised for the requester
    view = summary_view(req, owner=owner, team=team, rtype=rtype, now=now, progress=progress)
    view.update({
        "id": req.id,
        "detail": req.detail,
        "department": req.department,
        "request_type": req.request_type,
        "request_type_label": rtype.label if rtype else req.request_type,
        "why": rtype.why if rtype else "",
        "private": rtype is None or rtype.restricted,  # its requester's and the team's alone (an HR case)
        "fields": req.fields,
        "answers": answers_view(rtype, req.fields or {}),
        "needed_by": req.needed_by.isoformat() if req.needed_by else None,
        "for_site": bool(req.for_site),
        "owner": person_view(owner, team),
        "lead": person_view(lead, team),
        "requester": person_view(requester),
        "raised_by": person_view(raiser) if raiser is not None else None,
        "site": {"code": site.code, "name": site.name, "region": site.region},
        "team": {"key": team.key, "name": team.name},
        "charter": charter,
        "promise": promise_card(
            calendar=calendar, now=now,
            promise=promise, stages=rtype.stages if rtype else (),
            stage=req.stage, status=req.status, owner=person_view(owner), team_name=team.name,
            first_contact_due=req.first_contact_due, first_contact_at=req.first_contact_at,
            next_checkin_due=req.next_checkin_due, resolve_by=req.resolve_by, resolved_at=req.resolved_at,
            stage_due=req.stage_due, needed_by=req.needed_by, needs_agreement=req.needs_agreement,
            agreed_by=req.agreed_by, waiting_since=req.waiting_since,
            waiting_for=next((e.note for e in reversed(events) if e.kind == "waiting"), None),
        ),
        "progress": progress,
        "raised_at": iso(req.raised_at),
        "resolved_at": iso(req.resolved_at),
        "closed_at": iso(req.closed_at),
        "version": req.version,
        "timeline": [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "label": entry_label(e.kind, e.data, rtype) + (
                    f" for {requester.name}" if raiser is not None and e.kind == "raised" else ""),
                "actor": actors[e.actor_id].email if e.actor_id in actors else None,
                "actor_name": actor_name(e, actors),
                "acting": actors[e.acting_id].email if e.acting_id in actors else None,
                "note": e.note,
                "internal": e.internal,
                "data": e.data,
            }
            for e in events
            if internal or not e.internal
        ],
        "attachments": attachment_views(events, actors, internal=internal),
        "working_with": [{**party, "line": working_line(party, calendar.timezone)} for party in working_with(events)],
    })
    return view
