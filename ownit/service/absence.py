"""Absence: while someone is away, what they own is handed to a colleague
who can work it (or the team's lead), each request with a note saying why."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import domain, events, notices
from ..actors import Actor
from ..clock import within_bounds
from ..errors import PermissionDenied, ValidationError
from ..store import directory, org as org_store, outbox, requests, tasks, timeline
from ..store import unit as store
from ..store.sql import sa, table
from ..store.directory import PersonEntry
from .audience import tell_requester
from .reactions import transaction
from .reads import state
from . import roster

_R = table("request")


def set_away(desk: Any, *, actor: Actor, email: str, start: date, until: date) -> dict[str, Any]:
    """Record an absence (from ``start`` up to, not including, ``until``). When it
    covers now, everything the person owns is handed to someone who can work
    it, each with an automatic note."""
    within_bounds(start)
    within_bounds(until)
    if until <= start:
        raise ValidationError(f"--until {until} must be after --from {start}")

    def work(u: store.Unit) -> dict[str, Any]:
        org = u.directory
        me, person = u.person(actor), org.person(email)
        leads_them = any(t.lead_id == me.id and any(m.person_id == person.id for m in t.members)
                         for t in org.teams_of(me.id))
        if me.id != person.id and not leads_them and not me.admin:
            raise PermissionDenied(f"only {person.name} or their team lead can record their absence")
        zone = ZoneInfo(org.zone(person))
        away_from = datetime.combine(start, datetime.min.time(), zone)
        away_until = datetime.combine(until, datetime.min.time(), zone)
        org_store.set_absence(u, person.id, away_from, away_until)
        moved = hand_on(desk, u, person, away_until) if directory.away_at(away_from, away_until, u.now) else []
        return {"email": person.email, "away_from": start.isoformat(), "away_until": until.isoformat(),
                "reassigned": moved}

    return transaction(desk, work)


def hand_on(desk: Any, u: store.Unit, person: PersonEntry, away_until: datetime) -> list[dict[str, str]]:
    """Hand every request ``person`` owns that is not closed, and every open
    task (:mod:`.tasks`), to a colleague who qualifies, or the team lead when
    nobody does (a lead nobody can stand in for keeps it, visibly theirs)."""
    org, now = u.directory, u.now
    ids = [row[0] for row in u.db.run(sa.select(_R.c.id).where(
        _R.c.owner_id == person.id, _R.c.status != domain.CLOSED).order_by(_R.c.id)).all()]
    moved = []
    found = requests.many(u, ids)
    for req in (found[i] for i in ids):
        team = org.teams[req.team_id]
        rtype = desk.plugins.request_types.get(req.request_type)
        loads = directory.loads(u.db, team)  # afresh for each: the last hand-off changed a load
        choice = roster.choose(org, team, loads, now, skills=rtype.skills if rtype else (), exclude_id=person.id)
        if choice.person_id == person.id:
            continue
        if any(m.person_id == choice.person_id for m in team.members):
            org_store.mark_assigned(u, team.id, choice.person_id)
        new_owner = org.people[choice.person_id]
        moved_to = domain.apply(state(req, rtype, team, now), "handoff", new_owner=str(new_owner.id), ref=req.ref)
        req.owner_id, req.updated_at = int(moved_to.owner), now
        requests.update(u, req)
        note = f"{person.name} is away until {away_until:%Y-%m-%d}; {new_owner.name} takes this over ({choice.reason})"
        timeline.append(u, timeline.Entry(req.id, now, events.HandedOff(
            from_owner=person.email, to_owner=new_owner.email, reason="away"), note=note))
        outbox.put(u, new_owner.id, req.id, notices.YoursNow(ref=req.ref, title=req.title, previous="", note=note))
        tell_requester(u, req, notices.NewOwner(ref=req.ref, title=req.title, owner=new_owner.name, away=person.name),
                       skip=new_owner.id)
        moved.append({"ref": req.ref, "to": new_owner.email})
    return moved + _hand_on_tasks(u, person, away_until)


def _hand_on_tasks(u: store.Unit, person: PersonEntry, away_until: datetime) -> list[dict[str, str]]:
    """``person``'s open tasks, each to whom its team would give new work now."""
    org, now = u.directory, u.now
    moved = []
    for task in tasks.owned_open(u, person.id):
        team = org.teams[task.team_id]
        choice = roster.choose(org, team, directory.loads(u.db, team), now, exclude_id=person.id)
        if choice.person_id == person.id:
            continue
        new_owner = org.people[choice.person_id]
        task.owner_id = new_owner.id
        tasks.update(u, task)
        req = requests.get(u, task.request_id)
        note = (f"{person.name} is away until {away_until:%Y-%m-%d}; {new_owner.name} takes over the task "
                f"for {team.name}: {task.what}")
        timeline.append(u, timeline.Entry(req.id, now, events.TaskHandedOn(
            task=task.id, team=team.key, from_owner=person.email, to_owner=new_owner.email), note=note))
        calendar = team.business_calendar
        outbox.put(u, new_owner.id, req.id, notices.TaskForYou(
            ref=req.ref, title=req.title, what=task.what, asked_by="", needed_by=f"{task.needed_by:%a %d %b}",
            due=task.due.isoformat(), zone=calendar.timezone, away=person.name))
        moved.append({"ref": req.ref, "task": str(task.id), "to": new_owner.email})
    return moved
