"""The sweep (``ownit sweep``, from cron every few minutes): keep the promises
visible. Nudge owners before a due time, tell them when it passes, escalate to
the lead after a grace period, hand on the work of people whose absence has
begun, close resolved requests nobody confirmed, tell the owners of tasks
past their due time (and the owners of the requests waiting on them), ask the
store managers of closed mystery requests for their form, send
the morning digests,
and offer the channels every notification whose time has come
(:mod:`ownit.service.outgoing`).

Idempotent: every notification it sends carries a key, so running it twice
in a row changes nothing the second time. It works in batches of
:data:`SWEEP_BATCH` requests per unit of work; a batch that meets an agent
acting at the same moment is done again request by request, so only that
request waits for the next sweep.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .. import domain, events, notices, promises
from ..departments import Duration
from ..errors import Conflict
from ..store import outbox, requests, submissions, tasks, timeline
from ..store import unit as store
from ..store.sql import sa, table
from ..store.directory import TeamEntry
from ..store.requests import RequestRow
from .absence import hand_on
from . import mystery, outgoing
from .audience import tell_requester
from .reactions import transaction
from .reads import state

SWEEP_BATCH = 500  # requests per transaction
NEVER = datetime(9999, 1, 1, tzinfo=timezone.utc)  # a request the sweep has finished with until it changes
PROMISES = (("first_contact", "first contact"), ("checkin", "check-in"), ("resolve", "resolution"))

_R, _P = table("request"), table("person")
Report = dict[str, Any]


def sweep(desk: Any, *, progress: Callable[[int, int], None] | None = None) -> Report:
    """Keep the promises visible (see the module): returns what it did, by kind."""
    now = desk.now()
    report: Report = {"at": now.isoformat(), "due_soon": [], "overdue": [], "escalated": [], "reassigned": [],
                      "closed": [], "skipped": [], "digests": [], "redelivered": [], "declined": [], "retrying": [],
                      "undeliverable": [], "tasks_late": []}
    away, due, quiet, late = store.run(desk, lambda u: _candidates(desk, u), write=False)

    def hand_on_work(person_id: int) -> None:
        def work(u: store.Unit) -> list[dict[str, str]]:
            person = u.directory.people[person_id]
            until = u.db.run(sa.select(_P.c.away_until).where(_P.c.id == person_id)).scalar()
            return hand_on(desk, u, person, until)

        report["reassigned"].extend(transaction(desk, work))

    def batches(ids: list[int]) -> list[list[int]]:
        return [ids[i:i + SWEEP_BATCH] for i in range(0, len(ids), SWEEP_BATCH)]

    steps = ([(lambda batch: hand_on_work(batch[0]), [p]) for p in away]
             + [(lambda batch: _in_batches(desk, batch, _sweep_one, report), batch) for batch in batches(due)]
             + [(lambda batch: _in_batches(desk, batch, _auto_close, report), batch) for batch in batches(quiet)]
             + [(lambda batch: _late_tasks(desk, batch, report), batch) for batch in batches(late)])
    total, done = sum(len(batch) for _, batch in steps), 0
    for step, batch in steps:
        step(batch)
        done += len(batch)
        if progress:
            progress(done, total)
    report["looked_at"] = len(away) + len(due) + len(quiet)
    report["mystery_forms"] = mystery.ask_for_forms(desk)  # closed mystery requests: their forms asked for
    outgoing.send_digests(desk, report)  # after the work above: a digest tells the day as it now stands
    outgoing.deliver_due(desk, report)
    from .. import tallies

    report["tallies_recounted"] = tallies.refresh_stale(desk)  # days of service health whose counts changed
    report["keys_forgotten"] = store.run(desk, submissions.forget)  # a day on, a key may be used again
    return report


def _candidates(desk: Any, u: store.Unit) -> tuple[list[int], list[int], list[int], list[int]]:
    """Whose absence has begun while they own work; the open requests with
    news (a promise near, due or due for escalation); the resolved requests
    quiet long enough to close; the tasks late with nobody told yet."""
    now = u.now
    away = [row[0] for row in u.db.run(sa.select(_R.c.owner_id).distinct().select_from(
        _R.join(_P, _P.c.id == _R.c.owner_id)).where(
        _P.c.away_from <= now, _P.c.away_until > now, _R.c.status != domain.CLOSED).order_by(_R.c.owner_id)).all()]
    due: list[int] = []
    quiet: list[int] = []
    for team in sorted(u.directory.teams.values(), key=lambda t: t.id):  # each team keeps its own hours
        # the last instant still within DUE_SOON of business time from now (no promise is due soon earlier), on
        # the latest of the clocks its requests count on (its own, and those of its department's types)
        horizon = max(calendar.next_business_moment(calendar.add(now, promises.DUE_SOON) + timedelta(microseconds=1))
                      for calendar in _clocks(u, team))
        due += [row[0] for row in u.db.run(sa.select(_R.c.id).where(
            _R.c.team_id == team.id, _R.c.status == domain.OPEN, _R.c.next_due <= horizon,
            sa.or_(_R.c.sweep_after.is_(None), _R.c.sweep_after <= now))  # only what has news
            .order_by(_R.c.next_due)).all()]
        # business time never outruns the clock: nothing resolved more recently can be due to close
        quiet += [row[0] for row in u.db.run(sa.select(_R.c.id).where(
            _R.c.team_id == team.id, _R.c.status == domain.RESOLVED,
            _R.c.resolved_at <= now - team.business_calendar.to_span(promises.AUTO_CLOSE_AFTER))).all()]
    return away, due, quiet, tasks.late(u, now)


Step = Callable[[store.Unit, RequestRow, Report], None]


def _in_batches(desk: Any, ids: list[int], step: Step, report: Report) -> None:
    """``step`` for each of ``ids`` in one unit of work. A batch that meets
    an agent acting at the same moment is done again one request at a time,
    so only that request is skipped, and the next sweep looks again."""
    def run(batch: list[int]) -> None:
        found: Report = {key: [] for key, value in report.items() if isinstance(value, list)}

        def work(u: store.Unit) -> None:
            for lines in found.values():  # a retried unit starts again
                lines.clear()
            rows = requests.many(u, batch)  # one read for the batch; the directory holds the rest
            for request_id in batch:
                if request_id in rows:
                    step(u, rows[request_id], found)

        transaction(desk, work)
        for key, lines in found.items():
            report[key].extend(lines)

    try:
        run(ids)
    except Conflict:
        for request_id in ids:
            try:
                run([request_id])
            except Conflict:
                report["skipped"].append(request_id)


def _owed(req: RequestRow) -> list[tuple[str, str, datetime]]:
    """The promises still owed on an open request: (key, words, due)."""
    owed = []
    if req.first_contact_at is None:
        owed.append(("first_contact", "first contact", req.first_contact_due))
    elif req.next_checkin_due is not None:
        owed.append(("checkin", "check-in", req.next_checkin_due))
    owed.append(("resolve", "resolution", req.resolve_by))
    return owed


def _clocks(u: store.Unit, team: TeamEntry) -> set[Any]:
    """The calendars ``team``'s requests count their promises on: its own, and
    any its department's request types declare (``RequestType.calendar``)."""
    types = [t for t in u.desk.plugins.request_types.values() if t.department == team.department and t.calendar]
    return {team.business_calendar, *(u.directory.calendar_for(team, t) for t in types)}


def _sweep_one(u: store.Unit, req: RequestRow, report: Report) -> None:
    """What the sweep owes one open request's people."""
    if req.status != domain.OPEN:
        return  # acted on since we looked
    org, now = u.directory, u.now
    team = org.teams[req.team_id]
    owner, lead = org.people[req.owner_id], org.people[team.lead_id]
    rtype = u.desk.plugins.request_types.get(req.request_type)
    calendar = org.calendar_for(team, rtype)
    promise = org.promise_of(req, rtype) if rtype else None
    escalated = False
    look_again: list[datetime] = []  # when this request next has something new to say
    for key, words, due in _owed(req):
        stamp = f"{key}:{req.ref}:{due.isoformat()}"
        line = {"ref": req.ref, "promise": key, "what": words, "due": due.isoformat(), "owner": owner.email}
        said = {"ref": req.ref, "title": req.title, "promise": key, "what": words, "due": due.isoformat(),
                "zone": calendar.timezone}
        if now <= due:
            window = promises.window(promise, key)
            if promises.is_due_soon(calendar, due, now, window):
                if outbox.put(u, owner.id, req.id, notices.DueSoon(**said), dedupe_key=f"soon:{stamp}"):
                    report["due_soon"].append(line)
                look_again.append(due + timedelta(microseconds=1))  # next: when it is overdue
            else:  # not in the nudge window yet: look again when it comes into it
                look_again.append(calendar.before(due, promises.soon_within(calendar, window)))
            continue
        if outbox.put(u, owner.id, req.id, notices.Overdue(**said), dedupe_key=f"overdue:{stamp}"):
            report["overdue"].append(line)
        if promises.escalation_due(calendar, due, now) and outbox.put(
                u, lead.id, req.id, notices.Escalated(**said, owner=owner.name), dedupe_key=f"escalated:{stamp}"):
            when = calendar.local(due).strftime("%a %d %b %H:%M")
            timeline.append(u, timeline.Entry(req.id, now, events.Escalated(promise=key, due=due, lead=lead.email),
                                              note=f"{words} was due {when}; {lead.name} ({team.name} lead) "
                                                   "has been told"))
            tell_requester(u, req, notices.Late(
                ref=req.ref, title=req.title, what=words, due=due.isoformat(), zone=calendar.timezone, lead=lead.name,
                team=team.name), dedupe_key=f"escalated-requester:{stamp}")
            report["escalated"].append({**line, "lead": lead.email})
            escalated = True
        if not promises.escalation_due(calendar, due, now):
            look_again.append(calendar.add(due, promises.ESCALATE_AFTER))  # next: time to tell the lead
    # Said all it owes until then. That is no change to the request (an agent acting meanwhile, who
    # resets it, wins), unless it was escalated: then it is one, and a clash takes the escalation back
    # with the rest of the batch (done again request by request).
    req.sweep_after = min(look_again) if look_again else NEVER
    if escalated:
        req.updated_at = now
        requests.update(u, req)
    else:
        requests.note_swept(u, req)


def _late_tasks(desk: Any, ids: list[int], report: Report) -> None:
    """Tell the owner of each task of ``ids`` still late, and the owner of the
    request it is part of, once per due time (``task.nudged_for``), in one
    unit of work."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org, lines = u.directory, []
        found = [t for t in (tasks.get(u, i) for i in ids) if t is not None and t.untold(u.now)]
        rows = requests.many(u, {t.request_id for t in found})
        for task in found:
            req, team, owner = rows[task.request_id], org.teams[task.team_id], org.people[task.owner_id]
            said = dict(ref=req.ref, title=req.title, team=team.name, owner=owner.name, what=task.what,
                        due=task.due.isoformat(), zone=team.business_calendar.timezone)
            stamp = f"task-late:{task.id}:{task.due.isoformat()}"
            outbox.put(u, owner.id, req.id, notices.TaskLate(**said, yours=True), dedupe_key=stamp)
            if req.owner_id != owner.id:
                outbox.put(u, req.owner_id, req.id, notices.TaskLate(**said), dedupe_key=f"{stamp}:request")
            task.nudged_for = task.due
            tasks.update(u, task)
            lines.append({"ref": req.ref, "task": task.id, "team": team.key, "owner": owner.email,
                          "due": task.due.isoformat()})
        return lines

    try:
        report["tasks_late"].extend(transaction(desk, work))
    except Conflict:  # marked done meanwhile, say: the next sweep looks again
        report["skipped"].extend(f"task {i}" for i in ids)


def _auto_close(u: store.Unit, req: RequestRow, report: Report) -> None:
    """Close a resolved request nobody confirmed."""
    if req.status != domain.RESOLVED or req.resolved_at is None:
        return
    team = u.directory.teams[req.team_id]
    if team.business_calendar.add(req.resolved_at, promises.AUTO_CLOSE_AFTER) > u.now:
        return
    rtype = u.desk.plugins.request_types.get(req.request_type)
    req.status = domain.apply(state(req, rtype, team, u.now), "close", ref=req.ref).status
    req.closed_at = req.updated_at = u.now
    requests.update(u, req)
    timeline.append(u, timeline.Entry(req.id, u.now, events.Closed(), note=f"closed after "
                                      f"{Duration.parse(promises.AUTO_CLOSE_AFTER)} resolved without a reply"))
    tell_requester(u, req, notices.ClosedQuietly(ref=req.ref, title=req.title))
    report["closed"].append({"ref": req.ref})
