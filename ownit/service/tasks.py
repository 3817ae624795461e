"""Tasks: part of a request another department's team is asked to do
("isolate the tills before the roofer starts"), while the request keeps its
one owner.

- :func:`ask` — the request's owner (its team's lead, an admin) asks a team
  of another department, saying what and by when it is needed. The task gets
  one named owner in that team, chosen as a request's owner is
  (:func:`.roster.choose`), and a due time: the team's charter commitment to
  the request's department in the team's business time (``[[charter.task]]``),
  else the end of the needed-by day in its calendar. The task's owner is told,
  and the requester hears who is doing part of it and by when.
- :func:`done` — the task's owner (their team's lead, an admin) marks it done
  with a note; the request's owner is told.
- :func:`of_team` — a team's open tasks, the most pressing first.

A task late past its due time is told to its owner and to the request's
owner by the sweep, once per due time (:mod:`.sweeping`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import domain, events, notices
from ..actors import Actor
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..store import directory, outbox, requests, tasks as stored, timeline
from ..store import unit as store
from ..store.directory import Directory, PersonEntry, TeamEntry
from ..store.tasks import TaskRow
from ..views import task_view
from . import repeats, roster
from .access import NOTE_MAX, may_work, text, visible
from .audience import tell_requester
from .reactions import Later, transaction
from .reads import view_later

WHAT_MAX = 500  # task.what


def ask(desk: Any, ref: str, *, actor: Actor, team: str, what: str, needed_by: date | None,
        key: str | None = None) -> dict[str, Any]:
    """Ask ``team`` (another department's, by key) for a task on the request
    ``ref``: ``what``, needed by ``needed_by``. Only the request's owner, its
    team's lead or an admin. Returns the request's view, its ``tasks`` with
    the new one last, and ``task`` (the new one's view)."""
    what_text = text(what, "what the task is", limit=WHAT_MAX, required=True)
    if not isinstance(needed_by, date):
        raise ValidationError("say when it is needed by (a date, like 2026-11-25)")
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        req, req_team, rtype = visible(u, ref, person)
        if repeats.repeated(u, person, key, "task", req.id):
            return view_later(u, req, req_team, rtype, person, repeated=True)
        if not may_work(req, req_team, person):
            raise PermissionDenied(f"only the owner ({org.people[req.owner_id].name}) or the lead of "
                                   f"{req_team.name} can ask another team for a task on {req.ref}")
        if req.status not in domain.ACTIVE:
            raise Conflict(f"{req.ref} is {req.status}; a task is asked for a request still being worked")
        asked = org.team(team)
        if asked.department == req.department:
            raise ValidationError(f"{asked.name} is of {req.ref}'s own department; ask a team of another department "
                                  f"(or hand {req.ref} over within yours)")
        calendar = asked.business_calendar
        if needed_by < calendar.local(u.now).date():
            raise ValidationError(f"needed by {needed_by.isoformat()} is in the past; give a future date")
        owner = org.people[roster.choose(org, asked, directory.loads(u.db, asked), u.now).person_id]
        charter = org.charter_now.get(asked.id)
        commitment = next((c for c in charter.charter.commitments if c.department == req.department), None) \
            if charter else None
        due = calendar.add(u.now, commitment.duration) if commitment else calendar.end_of_day(needed_by)
        task = stored.add(u, request_id=req.id, team_id=asked.id, owner_id=owner.id, what=what_text,
                          needed_by=needed_by, due=due, asked_by=person.id, asked_at=u.now)
        req.updated_at = u.now
        requests.update(u, req)  # a resolve of the request at the same moment is caught
        timeline.append(u, timeline.Entry(req.id, u.now, events.TaskAsked(
            task=task.id, team=asked.key, owner=owner.email, what=what_text, needed_by=needed_by, due=due),
            actor_id=person.id, note=f"{asked.name} asked: {what_text}"))
        said = dict(ref=req.ref, title=req.title, due=due.isoformat(), zone=calendar.timezone)
        if owner.id != person.id:
            outbox.put(u, owner.id, req.id, notices.TaskForYou(
                **said, what=what_text, asked_by=f"{person.name} ({req_team.name})",
                needed_by=f"{needed_by:%a %d %b}"))
        tell_requester(u, req, notices.TaskAsked(**said, team=asked.name, what=what_text), skip=person.id)
        later = view_later(u, req, req_team, rtype, person)
        shown = task_view(task, team=asked, owner=owner, now=u.now)
        return Later(lambda: {**later.draw(), "task": shown})

    return transaction(desk, work)


def done(desk: Any, task_id: int, *, actor: Actor, note: str | None, key: str | None = None) -> dict[str, Any]:
    """Mark the task ``task_id`` done, saying how in ``note``: its owner, their
    team's lead or an admin. The request's owner is told. Returns the
    request's view, with ``task`` (the task's view)."""
    note_text = text(note, "the note", limit=NOTE_MAX, required=True)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        task = _task(u, task_id)
        team = org.teams[task.team_id]
        req = requests.get(u, task.request_id)
        req_team = org.teams[req.team_id]
        rtype = u.desk.plugins.request_types.get(req.request_type)
        if not repeats.repeated(u, person, key, "task_done", req.id):
            if not may_mark_done(org, task, person):
                raise PermissionDenied(f"only the task's owner ({org.people[task.owner_id].name}) or the lead of "
                                       f"{team.name} can mark task {task.id} done")
            if task.status != stored.OPEN:
                raise Conflict(f"task {task.id} is done already")
            task.status, task.done_at = stored.DONE, u.now
            stored.update(u, task)
            timeline.append(u, timeline.Entry(req.id, u.now, events.TaskDone(task=task.id, team=team.key,
                                                                             what=task.what),
                                              actor_id=person.id, note=note_text))
            if req.owner_id != person.id:
                outbox.put(u, req.owner_id, req.id, notices.TaskDone(ref=req.ref, title=req.title, team=team.name,
                                                                     what=task.what, by=person.name, note=note_text))
            repeated = False
        else:
            task, repeated = stored.get(u, task.id), True
        later = view_later(u, req, req_team, rtype, person, repeated=repeated)
        shown = task_view(task, team=team, owner=org.people[task.owner_id], now=u.now)
        return Later(lambda: {**later.draw(), "task": shown})

    return transaction(desk, work)


def of_team(desk: Any, *, actor: Actor, team: str) -> list[dict[str, Any]]:
    """The team's open tasks, the most pressing (the earliest due) first, each
    with the request it is part of: for its members and lead (an admin)."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        asked = org.team(team)
        if not (org.in_team(asked, person.id) or person.admin):
            raise PermissionDenied(f"you are not in {asked.name}; its members and lead see its tasks")
        found = stored.open_of(u, asked.id)
        rows = requests.many(u, {t.request_id for t in found})
        return [_team_line(org, t, asked, rows[t.request_id], u) for t in found]

    return store.run(desk, work, write=False)


def _team_line(org: Directory, task: TaskRow, team: TeamEntry, req: Any, u: store.Unit) -> dict[str, Any]:
    return {**task_view(task, team=team, owner=org.people[task.owner_id], now=u.now),
            "request": {"ref": req.ref, "title": req.title, "department": req.department,
                        "site": org.sites[req.site_id].name, "owner": org.people[req.owner_id].name,
                        "status": req.status}}


def _task(u: store.Unit, task_id: int) -> TaskRow:
    found = stored.get(u, task_id) if isinstance(task_id, int) and 0 < task_id < 2**31 else None
    if found is None:
        raise NotFound(f"no task {task_id!r}; 'ownit task list --team KEY' lists a team's open tasks")
    return found


def may_mark_done(org: Directory, task: TaskRow, person: PersonEntry) -> bool:
    """The task's owner, their team's lead, an admin."""
    return task.owner_id == person.id or org.teams[task.team_id].lead_id == person.id or person.admin
