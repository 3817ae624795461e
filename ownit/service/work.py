"""Working a request: first contact, check-ins, stages, waiting, hand-offs,
resolving, confirming, reopening, notes.

Every action has one shape (:func:`_act`): one unit of work that loads the
request, checks who is acting and what the lifecycle allows, applies the
change through :func:`ownit.domain.apply` (the only place a status, stage or
owner changes), stores the request (:func:`ownit.store.requests.update`,
which catches a concurrent change), appends its typed event to the timeline
and tells whoever should hear; the view is drawn after the commit while the
plugins are told. Each action below is the sentence that describes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .. import domain, events, notices, promises
from ..actors import SYSTEM, Actor, SystemActor
from ..calendar import BusinessCalendar
from ..departments import Promise, RequestType
from ..clock import within_bounds
from ..errors import Conflict, PermissionDenied, PluginError, ValidationError
from ..store import directory, outbox, ratings, requests, timeline
from ..store import unit as store
from ..store.directory import PersonEntry, TeamEntry
from ..store.requests import RequestRow
from ..views import working_with
from ..incidents import is_incident
from . import audience, repeats
from .attachments import Stored, attach_in, prepare
from .access import NOTE_MAX, is_staff, may_work, rating, text, visible
from .rating import rated_on
from .reactions import Later, transaction
from .reads import answer_later, state

if TYPE_CHECKING:
    from ..uploads import Upload


@dataclass
class Act:
    """Everything one action on one request works with."""

    u: store.Unit
    req: RequestRow
    person: PersonEntry
    team: TeamEntry
    rtype: RequestType | None
    note: str
    read: list[timeline.Entry] | None = None  # the timeline, once a change (or the view) has asked for it
    loads: dict[int, directory.Load] | None = None  # the team's loads after the change, if it read them

    @property
    def now(self) -> datetime:
        return self.u.now

    @property
    def entries(self) -> list[timeline.Entry]:
        """The request's timeline so far, this action's entries included:
        read when first asked for (most actions' changes never do, nor does a
        brief answer), then kept up to date by :meth:`record`."""
        if self.read is None:
            self.read = timeline.of(self.u, self.req.id)
        return self.read

    def recorded(self, entries: Sequence[timeline.Entry]) -> None:
        """``entries``, already on the timeline, in :attr:`entries` if it was read."""
        if self.read is not None:
            self.read.extend(entries)

    @property
    def calendar(self) -> BusinessCalendar:
        return self.u.directory.calendar_for(self.team, self.rtype)

    def apply(self, action: str, *, to_stage: int | None = None, new_owner: int | None = None) -> domain.State:
        """The lifecycle's move (:func:`ownit.domain.apply`), written to the request."""
        moved = domain.apply(state(self.req, self.rtype, self.team, self.now), action, to_stage=to_stage,
                             new_owner=None if new_owner is None else str(new_owner), ref=self.req.ref)
        self.req.status, self.req.owner_id = moved.status, int(moved.owner)
        if self.rtype is not None:
            self.req.stage = self.rtype.stages[moved.stage].key
        return moved

    def record(self, event: events.Event, *, actor: PersonEntry | None | bool = True, internal: bool = False,
               note: str | None = None) -> None:
        """Put ``event`` on the timeline, by the person acting (or ``actor``), with the action's note (or ``note``)."""
        who = self.person if actor is True else (actor or None)
        entry = timeline.Entry(self.req.id, self.now, event, actor_id=who.id if who else None,
                               note=self.note if note is None else note, internal=internal)
        timeline.append(self.u, entry)
        self.recorded([entry])

    def tell(self, person_id: int, notice: notices.Notice) -> None:
        if person_id != self.person.id:  # nobody is told what they did themselves
            outbox.put(self.u, person_id, self.req.id, notice)

    def tell_requester(self, notice: notices.Notice) -> None:
        """The requester, and whoever hears what they hear (:mod:`.audience`)."""
        audience.tell_requester(self.u, self.req, notice, skip=self.person.id)

    @property
    def promise(self) -> Promise | None:
        """What the request was promised (its charter version's, or its type's)."""
        return self.u.directory.promise_of(self.req, self.rtype) if self.rtype else None

    def checkin_every(self) -> Any:
        return self.promise.checkin_every if self.promise else None

    def schedule_checkin(self) -> None:
        every = self.checkin_every()
        self.req.next_checkin_due = self.calendar.add(self.now, every) if every else None

    def reforecast(self) -> None:
        """Expected dates for the stages still ahead, from now to the resolve target."""
        if self.rtype is None:
            return
        ahead = self.rtype.stages[self.rtype.position(self.req.stage) + 1:]
        self.req.stage_due = {**self.req.stage_due,
                              **promises.stage_forecast(self.calendar, self.now, ahead, self.req.resolve_by)}


DOERS = {"worker": "the owner ({owner}) or the lead of {team}", "requester": "the person who raised it",
         "party": "the person who raised it, the owner ({owner}) or the lead of {team}"}


def _act(desk: Any, ref: str, *, actor: Actor, action: str, note: str | None, key: str | None,
         change: Callable[[Act], None], note_required: bool = True, who: str = "worker",
         files: Sequence[Upload] | None = None) -> dict[str, Any]:
    """The shared shape of every action on an existing request: identify,
    answer a repeated submission (``key``, :mod:`.repeats`) without a change,
    authorise, check the lifecycle, change, store, record (with ``files``,
    checked and stored first: :mod:`.attachments`); then, after the commit,
    tell the plugins and draw the view."""
    stored = prepare(desk, files)
    return transaction(desk, acting(ref, actor=actor, action=action, note=note, change=change, key=key,
                                    note_required=note_required, who=who, stored=stored))


def acting(ref: str, *, actor: Actor, action: str, note: str | None, change: Callable[[Act], None],
           key: str | None = None, note_required: bool = True, who: str = "worker",
           stored: Sequence[Stored] = (), whole: bool = False) -> Callable[[store.Unit], Later]:
    """The work of :func:`_act` for a unit of work that may do more (a reply by
    mail, ``ownit.service.mail``). ``whole``: answer with the whole view even
    on a brief desk, for a change whose line says more than the request's line
    holds (new answers may move the priority and the promise)."""
    note_text = text(note, "the note", limit=NOTE_MAX, required=note_required)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        person = u.person(actor)
        req, team, rtype = visible(u, ref, person)
        if repeats.repeated(u, person, key, action, req.id):
            return answer_later(u, req, team, rtype, person, repeated=True, whole=whole)
        allowed = {"worker": may_work(req, team, person),
                   "requester": person.id == req.requester_id or person.admin,
                   "party": person.id == req.requester_id or may_work(req, team, person)}[who]
        if not allowed:
            owner = u.directory.people[req.owner_id]
            raise PermissionDenied(f"only {DOERS[who].format(owner=owner.name, team=team.name)} can {action} "
                                   f"{req.ref}")
        domain.check(state(req, rtype, team, u.now), action, req.ref)
        act = Act(u, req, person, team, rtype, note_text)
        change(act)
        if is_incident(rtype):  # every store it affects hears it on its own card
            from . import incidents  # with the raise's rules it joins stores by: loaded for an incident only

            incidents.relay(act, action)
        act.recorded(attach_in(u, req, person.id, stored))
        requests.acted_on(u, req)
        return answer_later(u, req, team, rtype, person, entries=act.read, loads=act.loads, whole=whole)

    return work


def contact(desk: Any, ref: str, *, actor: Actor, note: str | None,
            agreed_by: date | None = None, key: str | None = None) -> dict[str, Any]:
    """The owner's first contact with the requester; check-ins start from here.

    When the requester needs it sooner than the standard target, first contact
    must settle a date with them (``agreed_by``), which becomes the promise.
    """
    if agreed_by is not None:
        within_bounds(agreed_by)

    def change(act: Act) -> None:
        req = act.req
        if req.needs_agreement and agreed_by is None:
            raise ValidationError(
                f"{req.ref} needs agreement: the requester needs it by {req.needed_by}, earlier than the standard "
                f"{act.calendar.local(req.resolve_by):%Y-%m-%d}; agree a date with them and pass --agreed-by DATE")
        if agreed_by is not None and agreed_by < act.calendar.local(act.now).date():
            raise ValidationError(f"--agreed-by {agreed_by} is in the past; agree a date from today on")
        act.apply("contact")
        req.first_contact_at = req.last_checkin_at = act.now
        act.schedule_checkin()
        act.record(events.Contacted.made(req, act.calendar, act.now))
        if agreed_by is not None:
            previous = req.resolve_by
            req.resolve_by = act.calendar.end_of_day(agreed_by)
            req.agreed_by, req.needs_agreement = agreed_by, False
            act.reforecast()
            act.record(events.Agreed(needed_by=req.needed_by, agreed_by=agreed_by, previous_resolve_by=previous,
                                     resolve_by=req.resolve_by))
        act.tell_requester(notices.Contacted(ref=req.ref, title=req.title, owner=act.person.name, note=act.note,
                                             agreed_by=agreed_by.isoformat() if agreed_by else None))

    return _act(desk, ref, actor=actor, action="contact", note=note, key=key, change=change)


def check_in(desk: Any, ref: str, *, actor: Actor, note: str | None, key: str | None = None,
             files: Sequence[Upload] | None = None) -> dict[str, Any]:
    """A check-in with the requester, with any photos or files; moves the next check-in on by the cadence."""
    def change(act: Act) -> None:
        due = act.req.next_checkin_due
        act.apply("checkin")
        act.req.last_checkin_at = act.now
        act.schedule_checkin()
        act.record(events.CheckedIn(on_time=due is None or act.now <= due))
        act.tell_requester(notices.CheckIn(ref=act.req.ref, title=act.req.title, owner=act.person.name,
                                           note=act.note))

    return _act(desk, ref, actor=actor, action="checkin", note=note, key=key, change=change, files=files)


def advance(desk: Any, ref: str, *, actor: Actor, note: str | None, to: str | None = None,
            key: str | None = None) -> dict[str, Any]:
    """Move the request to its next stage, or forward to stage ``to``."""
    def change(act: Act) -> None:
        if act.rtype is None:
            raise PluginError(f"the plugin for {act.req.request_type!r} is not installed, so its stages are unknown")
        previous = act.req.stage
        act.apply("advance", to_stage=act.rtype.stage_index(to.strip()) if to else None)
        stage = act.rtype.stages[act.rtype.position(act.req.stage)]
        act.record(events.MovedOn(from_stage=previous, to_stage=stage.key))
        act.tell_requester(notices.NowAt(ref=act.req.ref, title=act.req.title, stage=stage.key, label=stage.label,
                                         your_part=stage.requester_action or ""))

    return _act(desk, ref, actor=actor, action="advance", note=note, key=key, change=change)


def wait_on_requester(desk: Any, ref: str, *, actor: Actor, note: str | None,
                      key: str | None = None) -> dict[str, Any]:
    """Put the request on hold until the requester does what the note asks."""
    def change(act: Act) -> None:
        act.apply("wait")
        act.req.waiting_since = act.now  # the promise clock stands still from here
        act.record(events.Waiting())
        act.tell_requester(notices.NeedsYou(ref=act.req.ref, title=act.req.title, owner=act.person.name,
                                            note=act.note))

    return _act(desk, ref, actor=actor, action="wait", note=note, key=key, change=change)


def resume(desk: Any, ref: str, *, actor: Actor, note: str | None, key: str | None = None,
           files: Sequence[Upload] | None = None) -> dict[str, Any]:
    """Take the request off hold — the requester's answer, which may be
    photos or files alone. The promise clock stood still while it waited on
    the requester, so every due time moves on by the business time paused."""
    return _act(desk, ref, actor=actor, action="resume", note=note, key=key, change=resumed, who="party",
                note_required=not files, files=files)


def resumed(act: Act) -> None:
    """:func:`resume`'s change."""
    calendar, req = act.calendar, act.req
    since = req.waiting_since or act.now
    paused = calendar.between(since, act.now)
    act.apply("resume")
    req.resolve_by = promises.shift(calendar, req.resolve_by, paused)
    # a check-in made while waiting restarted that clock: only the time since counts
    checkin_since = max(since, req.last_checkin_at or since)
    req.next_checkin_due = promises.shift(calendar, req.next_checkin_due, calendar.between(checkin_since, act.now))
    req.stage_due = {key: promises.shift(calendar, datetime.fromisoformat(due), paused).isoformat()
                     for key, due in req.stage_due.items()}
    req.waiting_since = None
    act.record(events.Resumed(paused_hours=events.hours(paused)))
    act.tell(req.owner_id, notices.BackWithYou(ref=req.ref, title=req.title, note=act.note))


def hand_off(desk: Any, ref: str, *, actor: Actor, to: str, note: str | None, key: str | None = None) -> dict[str, Any]:
    """Give the request to another person of its team, with a note saying why.
    By the owner it is a handoff; by the lead or an admin, a reassignment."""
    def change(act: Act) -> None:
        org = act.u.directory
        new_owner = org.person(to)
        if not org.in_team(act.team, new_owner.id):
            raise ValidationError(f"{new_owner.email} is not in {act.team.name}; hand off to a member of the team")
        loads = directory.loads(act.u.db, act.team)
        load = loads[new_owner.id]
        if load.is_away(act.now):
            raise ValidationError(f"{new_owner.name} is away until {load.away_until:%Y-%m-%d}; pick someone else")
        previous = org.people[act.req.owner_id]
        act.apply("handoff", new_owner=new_owner.id)
        act.loads = directory.moved(loads, previous.id, new_owner.id) if act.req.status in domain.ACTIVE else loads
        by_owner = act.person.id == previous.id
        kind = events.HandedOff if by_owner else events.Reassigned
        act.record(kind(from_owner=previous.email, to_owner=new_owner.email))
        act.tell(new_owner.id, notices.YoursNow(ref=act.req.ref, title=act.req.title, previous=previous.name,
                                                note=act.note, reassigned=not by_owner))
        act.tell_requester(notices.NewOwner(ref=act.req.ref, title=act.req.title, owner=new_owner.name,
                                            reassigned=not by_owner))

    return _act(desk, ref, actor=actor, action="handoff", note=note, key=key, change=change)


def resolve(desk: Any, ref: str, *, actor: Actor, note: str | None, key: str | None = None) -> dict[str, Any]:
    """Mark the work done; the requester confirms (or reopens)."""
    def change(act: Act) -> None:
        req, calendar = act.req, act.calendar
        previous_stage = req.stage
        checkin_missed = req.next_checkin_due is not None and act.now > req.next_checkin_due
        elapsed = calendar.between(req.raised_at, act.now)
        waited = sum(e.event.paused_hours for e in act.entries if isinstance(e.event, events.Resumed))
        act.apply("resolve")
        req.resolved_at = act.now
        req.next_checkin_due = None
        # what the service-health figures (ownit.metrics) count, measured once in the team's business time
        act.record(events.Resolved(from_stage=previous_stage, on_time=act.now <= req.resolve_by,
                                   business_hours=events.hours(elapsed),
                                   business_days=round(calendar.in_business_days(elapsed), 3),
                                   waiting_hours=round(waited, 3), checkin_missed=checkin_missed))
        act.tell_requester(notices.Resolved(ref=req.ref, title=req.title, owner=act.person.name, note=act.note))

    return _act(desk, ref, actor=actor, action="resolve", note=note, key=key, change=change)


def confirm(desk: Any, ref: str, *, actor: Actor, nps: int | None = None, effort: int | None = None,
            comment: str | None = None, key: str | None = None) -> dict[str, Any]:
    """The requester confirms the fix, closing the request, and may rate the
    service, unless this resolution was rated already (through the mail's
    rating link): one rating per resolution."""
    nps, effort, comment_text = rating(nps, effort, comment)

    def change(act: Act) -> None:
        act.apply("confirm")
        act.req.closed_at = act.now
        if nps is not None or effort is not None or comment_text:
            already = rated_on(act.entries)
            if already is not None:
                raise Conflict(f"{act.req.ref} was already rated on {act.calendar.local(already):%d %b %Y}; "
                               "confirm it without a rating")
            ratings.add(act.u, act.req.id, act.person.id, nps=nps, effort=effort, comment=comment_text)
        act.record(events.Confirmed(nps=nps, effort=effort))
        act.tell(act.req.owner_id, notices.Confirmed(ref=act.req.ref, title=act.req.title,
                                                     requester=act.person.name, nps=nps))

    return _act(desk, ref, actor=actor, action="confirm", note=comment_text, key=key, change=change,
                note_required=False, who="requester")


def reopen(desk: Any, ref: str, *, actor: Actor, note: str | None, key: str | None = None) -> dict[str, Any]:
    """Back to work: the fix did not hold. Possible while resolved and for
    ``promises.REOPEN_WITHIN`` business time after closing. The stage returns
    to where it was, check-ins restart, and the resolve target is set afresh."""
    return _act(desk, ref, actor=actor, action="reopen", note=note, key=key, change=reopened, who="party")


def reopened(act: Act) -> None:
    """:func:`reopen`'s change."""
    req = act.req
    resolved = next((e.event for e in reversed(act.entries) if isinstance(e.event, events.RESOLUTIONS)), None)
    back_to = act.rtype.position(resolved.from_stage) if resolved and act.rtype else None
    act.apply("reopen", to_stage=back_to)
    if req.incident_id is not None:  # its incident's fix did not hold here: its own promise again
        incident = requests.get(act.u, req.incident_id)
        req.incident_id = None
        unlinked = events.Unlinked(incident=incident.ref, request=req.ref)
        act.record(unlinked)
        timeline.append(act.u, timeline.Entry(incident.id, act.now, unlinked, actor_id=act.person.id,
                                              note=f"{req.ref} reopened: {act.note}"))
    req.resolved_at = req.closed_at = None
    req.last_checkin_at = act.now
    act.schedule_checkin()
    if act.promise is not None:
        req.resolve_by = act.calendar.add(act.now, act.promise.resolve_within)
        act.reforecast()
    act.record(events.Reopened(resolve_by=req.resolve_by))
    act.tell(req.owner_id, notices.Reopened(ref=req.ref, title=req.title, by=act.person.name, note=act.note))


def work_with(desk: Any, ref: str, *, actor: Actor, company: str, name: str | None = None, phone: str | None = None,
              booked_for: datetime | None = None, done: bool = False, note: str | None = None,
              key: str | None = None) -> dict[str, Any]:
    """An outside contractor working on the request — the roofer, the
    locksmith — booked by its owner or lead (``booked_for``: when they come;
    a naive time is the team's), or with ``done`` no longer on it. The card
    says who and when under "Working with", the requester is told, and the
    owner stays the one named person who owns it. Booking the same
    ``company`` again changes its booking."""
    company = text(company, "the contractor's company", limit=200, required=True)
    name = text(name, "the contractor's name", limit=200, required=False)
    phone = text(phone, "the contractor's phone", limit=64, required=False) or None
    if booked_for is not None:
        within_bounds(booked_for.date())

    def change(act: Act) -> None:
        req = act.req
        on_it = {party["company"].casefold() for party in working_with(act.entries)}
        if done and company.casefold() not in on_it:
            raise ValidationError(f"{company} is not working on {req.ref}"
                                  + (f"; working with: {', '.join(sorted(on_it))}" if on_it else ""))
        when = booked_for
        if when is not None and when.tzinfo is None:  # the time as the team reads its clock
            when = when.replace(tzinfo=act.calendar.zone)
        when = when.astimezone(timezone.utc) if when is not None else None
        act.record(events.WorkingWith(company=company, name=name, phone=phone, booked_for=when,
                                      done=True if done else None))
        act.tell_requester(notices.Contractor(ref=req.ref, title=req.title, owner=act.u.directory.people[
            req.owner_id].name, company=company, name=name, booked_for=when.isoformat() if when else None,
            zone=act.calendar.timezone, done=done))

    return _act(desk, ref, actor=actor, action="contractor", note=note, key=key, change=change,
                note_required=False)


def add_note(desk: Any, ref: str, *, actor: Actor | SystemActor, note: str | None,
             internal: bool = False, key: str | None = None, files: Sequence[Upload] | None = None) -> dict[str, Any]:
    """Add a note to the timeline, with any photos or files: the requester
    (always visible), someone of the team (``internal`` keeps it from the
    requester), or — with ``actor`` :data:`ownit.SYSTEM` — OwnIt itself, for
    plugins reacting to an event."""
    return transaction(desk, noting(ref, actor=actor, note=note, internal=internal, key=key,
                                    stored=prepare(desk, files)))


def attach(desk: Any, ref: str, *, actor: Actor, files: Sequence[Upload], internal: bool = False,
           note: str | None = None, key: str | None = None) -> dict[str, Any]:
    """Add photos or files to the request, with a note if given: by those who
    may add notes, and like a note, ``internal`` ones for the team only."""
    if not files:
        raise ValidationError("no file given; attach a photo or a PDF")
    return transaction(desk, noting(ref, actor=actor, note=note, internal=internal, key=key,
                                    stored=prepare(desk, files), action="attach"))


def noting(ref: str, *, actor: Actor | SystemActor, note: str | None, internal: bool = False,
           key: str | None = None, stored: Sequence[Stored] = (),
           action: str = "note") -> Callable[[store.Unit], Later]:
    """The work of :func:`add_note` (or :func:`attach`), for a unit of work
    that may do more. A note may be left out when files are ``stored``: they
    are what is said."""
    note_text = text(note, "the note", limit=NOTE_MAX, required=not stored)
    key = repeats.key_of(key)
    if stored and actor is SYSTEM:
        raise ValidationError("OwnIt itself cannot attach files; attach them as a person")
    sent = ", ".join(s.name for s in stored)
    told = (f"{note_text} (attached {sent})" if note_text else f"attached {sent}") if stored else note_text

    def work(u: store.Unit) -> Later:
        person = None if actor is SYSTEM else u.person(actor)  # no actor: "who are you?"
        req, team, rtype = visible(u, ref, person)
        if repeats.repeated(u, person, key, action, req.id):
            return answer_later(u, req, team, rtype, person, repeated=True)
        staff = person is None or is_staff(u.directory, req, team, person)
        if person is not None and not staff and person.id != req.requester_id:
            raise PermissionDenied(f"only the requester or {team.name} can add notes to {req.ref}")
        if internal and not staff:
            raise PermissionDenied("only the team can add internal notes")
        if req.status == domain.CLOSED:
            raise Conflict(f"{req.ref} is closed; reopen it or raise a new request")
        if note_text:
            timeline.append(u, timeline.Entry(req.id, u.now, events.Noted(), actor_id=person.id if person else None,
                                              note=note_text, internal=internal))
        if person is not None:
            attach_in(u, req, person.id, stored, internal=internal)
        if person is not None and person.id == req.requester_id:
            outbox.put(u, req.owner_id, req.id, notices.RequesterNote(ref=req.ref, title=req.title, note=told))
        elif not internal:
            audience.tell_requester(u, req, notices.TeamNote(ref=req.ref, title=req.title, note=told),
                                    skip=person.id if person else None)
        req.updated_at = u.now
        requests.update(u, req)
        return answer_later(u, req, team, rtype, person)  # the whole view reads the timeline, this note's with it

    return work
