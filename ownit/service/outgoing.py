"""What goes out beyond the inbox, on the sweep's schedule and an admin's word.

- :func:`deliver_due`: the notifications whose time has come (held for quiet
  hours, a fresh one the delivery after its commit missed, a retry after a
  backoff), each claimed first so that sweeps on several hosts never offer
  one twice (:func:`ownit.store.outbox.claim`).
- :func:`send_digests`: each lead's and owner's **morning digest** at 08:00
  in their own time, on their team's working days — for a lead, their team's
  overdue requests, what falls due today, who the team waits on, what is
  resolved but not yet confirmed, and who is away; for an owner, their own
  day — and for whoever takes a digest, what was held for it. Once a day per
  person (a dedupe key), so running the sweep again sends nothing twice.
- :func:`outbox` and :func:`retry`: the outbox as admins see it, dead letters
  included, and an admin's retry of one notification, now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from .. import domain, notices
from ..actors import Actor
from ..errors import NotFound, PermissionDenied, ValidationError
from ..notices import Digest
from ..preferences import DIGEST_AT
from ..store import outbox
from ..store import unit as store
from ..store.sql import sa, table
from ..store.directory import Directory, PersonEntry, TeamEntry, away_at
from ..store.outbox import MAX_ATTEMPTS
from .admin import require_admin
from .reactions import Call, delivery, listening, notification_snapshot, offered_to, ready, record, tell, transaction

BATCH = 200  # notifications claimed and offered per unit of work
_R = table("request")
Report = dict[str, Any]


# --- notifications due ----------------------------------------------------------------------------------


def deliver_due(desk: Any, report: Report, *, progress: Callable[[int], None] | None = None) -> None:
    """Offer every notification due now to the channels that may reach its
    recipient, :data:`BATCH` at a time, each batch claimed before it is offered."""
    if not listening(desk, "ownit_notify"):
        return
    while True:
        offered = _offer(desk, lambda u: outbox.claim(u, BATCH), report, "notify (retry)")
        if progress:
            progress(offered)
        if offered < BATCH:
            return


def _offer(desk: Any, claim: Callable[[store.Unit], list[int]], report: Report, what: str) -> int:
    """Claim notifications (in a unit that also reads what the channels will
    be given), offer them, and record each outcome: how many were claimed."""
    channels = listening(desk, "ownit_notify")  # a channel that keeps hanging is left out
    ready(desk)

    def read(u: store.Unit) -> list[tuple[int, int | None, int, Any, list[Any]]]:
        ids = claim(u)
        return [(note_id, request_id, attempts, notification_snapshot(
            u, note_id, person_id, request_id, ref, team_id, notices.load(data or {}), kind=kind, message=message,
            data=data or {}, created_at=created_at),
            offered_to(u, person_id, channels, team_id=team_id, notice=(data or {}).get("notice", "")))
            for note_id, person_id, request_id, ref, team_id, kind, message, data, created_at, attempts
            in (outbox.by_ids(u, ids) if ids else [])]

    claimed = store.run(desk, read)
    failures: list[tuple[int | None, str]] = []
    outcomes: dict[int, str | None] = {}
    nobody: list[int] = []  # for someone no channel may reach (their preferences, ownit_reach): done with, in their inbox
    for note_id, request_id, attempts, snapshot, reaching in claimed:
        if not reaching:
            nobody.append(note_id)
            continue
        calls = [Call(impl, "ownit_notify", what, request_id, {"notification": snapshot}) for impl in reaching]
        answers = tell(desk, calls, failures)
        outcome = delivery(calls, answers)
        outcomes.update(outcome)
        line = {"id": note_id, "to": snapshot.recipient_email, "ref": snapshot.ref, "attempt": attempts + 1}
        if note_id not in outcome:  # its channels were paused while it was offered: the lease runs out
            continue
        if outcome[note_id] is None:  # taken, or every channel declined it (none is for them)
            took = any(ok and answer is True for ok, answer in answers)
            report["redelivered" if took else "declined"].append(line)
        else:
            report["undeliverable" if attempts + 1 >= MAX_ATTEMPTS else "retrying"].append(
                {**line, "error": outcome[note_id]})
    if nobody:
        store.run(desk, lambda u: outbox.done_with(u, nobody))
    record(desk, failures, outcomes)
    return len(claimed)


# --- the outbox, for admins --------------------------------------------------------------------------------


def outbox_lines(desk: Any, *, actor: Actor, failed: bool = False, everyone: bool = True,
                 limit: int = 100) -> list[dict[str, Any]]:
    """The outbox, newest first: an admin sees everyone's (``everyone``),
    anyone else their own; ``failed``: only the dead letters. Times are ISO;
    ``timezone`` is the viewer's, to show them in."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        person = u.person(actor)
        mine: int | None = person.id
        if everyone:
            try:  # an admin (or anyone while the directory names no admin, with a warning)
                require_admin(u, actor, "see everyone's failed notifications" if failed else "see everyone's")
                mine = None
            except PermissionDenied:
                if failed:
                    raise
        zone = u.directory.zone(person)
        return [{"id": line.id, "to": line.to, "ref": line.ref, "kind": line.kind, "message": line.message,
                 "created_at": line.created_at.isoformat(), "state": line.state, "attempts": line.attempts,
                 "delivered_at": line.delivered_at.isoformat() if line.delivered_at else None,
                 "next_attempt_at": line.next_attempt_at.isoformat() if line.next_attempt_at else None,
                 "error": line.last_error, "timezone": zone}
                for line in outbox.lines(u, person_id=mine, failed=failed, limit=limit)]

    return store.run(desk, work, write=False)


def retry(desk: Any, note_id: int, *, actor: Actor) -> Report:
    """An admin offers one notification again now, whatever its attempts
    (a dead letter once the server is back): what happened, as the sweep reports it."""
    if not listening(desk, "ownit_notify"):
        raise ValidationError("no channel plugin is installed and listening, so there is nothing to send it "
                              "with; see docs/notifications.md")

    def claim(u: store.Unit) -> list[int]:
        require_admin(u, actor, "retry a notification")
        if not outbox.retry_now(u, note_id):
            if not outbox.by_ids(u, [note_id]):
                raise NotFound(f"no notification {note_id}; 'ownit outbox' lists them")
            raise ValidationError(f"notification {note_id} was delivered already; nothing to retry")
        return [note_id]

    report: Report = {"redelivered": [], "declined": [], "retrying": [], "undeliverable": []}
    _offer(desk, claim, report, "notify (retry by an admin)")
    return report


def sent_to_you(desk: Any, *, actor: Actor, limit: int = 20) -> list[dict[str, Any]]:
    """Someone's latest notifications as each channel sends them to them
    (``ownit_preview``), newest first: ``{"id", "created_at", "timezone",
    "previews": [{"channel", "subject", "html"}]}``, leaving out those no
    channel would send. A channel that fails to lay one out is left out of it
    (a warning says so)."""
    previewing = listening(desk, "ownit_preview")
    ready(desk)

    def read(u: store.Unit) -> tuple[str, list[Any]]:
        person = u.person(actor)
        ids = [line.id for line in outbox.lines(u, person_id=person.id, limit=limit)]
        return u.directory.zone(person), [notification_snapshot(
            u, note_id, person_id, request_id, ref, team_id, notices.load(data or {}), kind=kind, message=message,
            data=data or {}, created_at=created_at)
            for note_id, person_id, request_id, ref, team_id, kind, message, data, created_at, _
            in (outbox.by_ids(u, ids) if ids else [])]

    zone, snapshots = store.run(desk, read, write=False)
    if not previewing:
        return []
    snapshots.sort(key=lambda n: n.id, reverse=True)
    calls = [Call(impl, "ownit_preview", "preview", None, {"notification": snapshot})
             for snapshot in snapshots for impl in previewing]
    failures: list[tuple[int | None, str]] = []
    answers = iter(tell(desk, calls, failures))
    desk.warnings.extend(message for _, message in failures)
    shown = []
    for snapshot in snapshots:
        previews = [answer for _, (ok, answer) in zip(previewing, answers) if ok and answer is not None]
        if previews:
            shown.append({"id": snapshot.id, "ref": snapshot.ref, "created_at": snapshot.created_at.isoformat(),
                          "timezone": zone, "previews": [{"channel": p.channel, "subject": p.subject, "html": p.html}
                                                         for p in previews]})
    return shown


# --- morning digests ----------------------------------------------------------------------------------------


def send_digests(desk: Any, report: Report) -> None:
    """Put today's morning digest in the outbox of everyone due one (see the
    module); the channels are offered them after the commit."""
    def work(u: store.Unit) -> None:
        org, now = u.directory, u.now
        owners = {row[0] for row in u.db.run(sa.select(_R.c.owner_id).distinct().where(
            _R.c.status.in_(domain.ACTIVE))).all()}
        leads = {team.lead_id for team in org.teams.values()}
        held = set(outbox.digest_people(u, now))
        due: dict[str, tuple[PersonEntry, datetime]] = {}
        for person_id in sorted(leads | owners | held):
            person = org.people[person_id]
            local = now.astimezone(ZoneInfo(org.zone(person)))
            if local.time() < DIGEST_AT:
                continue
            working = any(t.business_calendar.is_working_day(local.date()) for t in org.teams_of(person_id))
            if working or person_id in held:
                due[f"digest:{person_id}:{local.date().isoformat()}"] = (person, local)
        for key in sorted(set(due) - outbox.sent_keys(u, list(due))):
            person, local = due[key]
            waiting = outbox.held_for_digest(u, person.id, now)
            sections = _day(u, org, person, local) if person.id in leads | owners else []
            if waiting:
                sections.append({"title": "Since your last digest",
                                 "lines": [f"{_local(at, local):%a %H:%M} {message}"
                                           for _, _, _, message, at in waiting]})
            if not sections:
                continue
            digest = Digest(ref="", title=f"Your morning digest, {local:%a %d %b}", sections=sections)
            if outbox.put(u, person.id, None, digest, dedupe_key=key):
                outbox.done_with(u, [row[0] for row in waiting])
                report["digests"].append({"to": person.email, "sections": [s["title"] for s in sections]})

    transaction(desk, work)


def _local(moment: datetime, like: datetime) -> datetime:
    return moment.astimezone(like.tzinfo)


def _day(u: store.Unit, org: Directory, person: PersonEntry, local: datetime) -> list[dict[str, Any]]:
    """The sections of someone's day: their teams' (if they lead) and their own requests elsewhere."""
    led = [team for team in org.teams.values() if team.lead_id == person.id]
    sections = []
    for team in sorted(led, key=lambda t: t.key):
        label = f" in {team.name}" if len(led) > 1 else ""
        rows = _requests(u, _R.c.team_id == team.id)
        sections += _promises(rows, org, local, label, owners=True)
        away = [f"{p.name} until {_local(until, local):%a %d %b}"
                for p, until in _away(u, org, team, u.now)]
        if away:
            sections.append({"title": f"Away{label}", "lines": away})
    own = _requests(u, _R.c.owner_id == person.id, *(_R.c.team_id != team.id for team in led))
    sections += _promises(own, org, local, " of yours" if led else "", owners=False)
    return sections


def _requests(u: store.Unit, *where: Any) -> list[Any]:
    return u.db.run(sa.select(_R.c.ref, _R.c.title, _R.c.status, _R.c.owner_id, _R.c.team_id, _R.c.next_due,
                              _R.c.first_contact_at, _R.c.resolve_by)
                    .where(_R.c.status.in_((*domain.ACTIVE, domain.RESOLVED)), *where)
                    .order_by(_R.c.next_due, _R.c.id)).all()


def _promises(rows: list[Any], org: Directory, local: datetime, label: str, *, owners: bool) -> list[dict[str, Any]]:
    """Overdue, due today, waiting on the requester, resolved but not confirmed: a section each, if any."""
    now = local
    found: dict[str, list[str]] = {"Overdue": [], "Due today": [], "Waiting on the requester": [],
                                   "Resolved, not yet confirmed": []}
    for ref, title, status, owner_id, team_id, next_due, first_contact_at, resolve_by in rows:
        who = f" ({org.people[owner_id].name})" if owners else ""
        if status == domain.OPEN and next_due is not None:
            what = "first contact" if first_contact_at is None else "resolution" if next_due == resolve_by \
                else "check-in"
            closes = org.teams[team_id].business_calendar.closes_today(now)
            if next_due < now:
                found["Overdue"].append(f"{ref} {title}{who}: {what} was due {_local(next_due, local):%a %d %b %H:%M}")
            elif next_due <= closes:
                found["Due today"].append(f"{ref} {title}{who}: {what} by {_local(next_due, local):%H:%M}")
        elif status == domain.WAITING:
            found["Waiting on the requester"].append(f"{ref} {title}{who}")
        elif status == domain.RESOLVED:
            found["Resolved, not yet confirmed"].append(f"{ref} {title}{who}")
    return [{"title": title + label, "lines": lines} for title, lines in found.items() if lines]


def _away(u: store.Unit, org: Directory, team: TeamEntry, now: datetime) -> list[tuple[PersonEntry, datetime]]:
    from ..store import directory

    return [(org.people[person_id], load.away_until) for person_id, load in sorted(directory.loads(u.db, team).items())
            if away_at(load.away_from, load.away_until, now)]
