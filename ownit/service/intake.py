"""Raising a request: the plugins' rules asked first (validation, priority,
skills, routing, owner choice), then route, pick one named owner and set the
promise in one unit of work. The rules and the choice are :mod:`.owners`',
which ``who`` (who would own one, creating nothing) asks too.

The hot path of the desk (a large retailer raises thousands an hour): the
organisation comes from the directory in memory, each person's load from
their row, and the statements run on the driver (:mod:`ownit.store`); the
view returned is drawn from what is in hand, after the commit, while the
plugins are told.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from .. import domain, events, notices, promises
from ..actors import Actor
from ..departments import RequestType
from ..incidents import is_incident
from ..clock import within_bounds
from ..errors import ValidationError
from ..store import directory, org as org_store, requests, timeline
from ..store import outbox, submissions
from ..store import unit as store
from ..store.directory import PersonEntry, SiteEntry, TeamEntry
from ..uploads import Upload
from . import repeats
from .access import NOTE_MAX, TITLE_MAX, acting_for, text, visible
from .attachments import answering, attach_in, prepare
from .mystery import check_raisable, link
from .audience import tell_requester
from .owners import consult_plugins, owner_for, route, site_of
from .reactions import transaction
from .reads import view_later


def raise_request(desk: Any, *, actor: Actor, request_type: str, title: str, detail: str = "",
                  fields: dict[str, Any] | None = None, needed_by: date | None = None,
                  site: str | None = None, for_site: bool = False, key: str | None = None,
                  files: Sequence[Upload] | None = None, on_behalf_of: str | None = None,
                  mystery: int | None = None) -> dict[str, Any]:
    """Raise a request: the plugins' rules asked, then route, pick one named
    owner and set the promise in one transaction. Returns the request view.
    ``for_site`` marks it as the site's: the site's deputies hear what the
    requester hears (:mod:`.audience`). The same ``key`` sent again (a double
    click on "Raise it") raises nothing more and answers with the request the
    first raised (:mod:`.repeats`); the key is the actor's. ``files``: photos
    or files sent with it, checked and stored first (:mod:`.attachments`).
    ``on_behalf_of``: the email of the person it is for (a phone call to the
    desk; the support teams and admins only, :func:`.access.acting_for`): it is
    theirs as if they had raised it — their site, their owner, their promise
    and notices — and the actor is recorded as who raised it. ``mystery``: the
    planned mystery request (:mod:`.mystery`) the raiser is raising, which is
    marked so in its own table and nowhere on the request."""
    rtype = desk.plugins.request_type(request_type)
    if is_incident(rtype):
        raise ValidationError("an incident is declared, not raised: 'ownit incident declare' (or join one shown "
                              "on the raise page)")
    if for_site and rtype.restricted:
        raise ValidationError(f"{rtype.label} is private to you and the team; it cannot be marked for the site")
    department = desk.plugins.department(rtype.department)
    key = repeats.key_of(key)
    answered = answering(desk, rtype, fields or {})  # photos answering questions, kept first: the form holds names
    fields = {**(fields or {}), **{s.field: s.name for s in answered}}
    title, detail, parsed = _form(rtype, title, detail, fields, needed_by)
    if needed_by is None and rtype.needed_by_field and parsed.get(rtype.needed_by_field):
        needed_by = date.fromisoformat(parsed[rtype.needed_by_field])  # e.g. a vacancy's wanted start date
    said = consult_plugins(desk, rtype, parsed, desk.now(), actor=actor, site=site, title=title,
                           on_behalf_of=on_behalf_of)
    stored = [*answered, *prepare(desk, files)]

    def work(u: store.Unit) -> Any:
        org, now = u.directory, u.now
        raiser = u.person(actor)
        earlier = repeats.repeated(u, raiser, key, "raise")
        if earlier is not None:
            first, team, known = visible(u, requests.get(u, earlier.request_id).ref, raiser)
            return view_later(u, first, team, known, raiser, repeated=True)
        requester = acting_for(org, raiser, on_behalf_of, "raise a request", rtype)
        planned = check_raisable(u, mystery, raiser, requester, rtype) if mystery is not None else None
        where = site_of(org, requester, site, raising=True)
        team = route(u, department.key, where.region, routed=said.team)
        loads = directory.loads(u.db, team)
        choice = owner_for(u, team, loads, skills=said.skills, requester=requester, chosen=said.owner)
        calendar = team.business_calendar
        if needed_by is not None and needed_by < calendar.local(now).date():
            field = next((f for f in rtype.fields if f.key == rtype.needed_by_field
                          and parsed.get(f.key) == needed_by.isoformat()), None)
            what = f"{field.label} ({field.key}): " if field else "needed-by date "
            past = f"{needed_by.isoformat()} is in the past; give a future date"
            raise ValidationError.about(field.key if field else "needed_by", what + past, past)
        req, entries = opened(u, rtype=rtype, prefix=department.prefix, title=title, detail=detail, fields=parsed,
                              requester=requester, raiser=raiser, where=where, team=team, owner_id=choice.person_id,
                              reason=choice.reason, priority=said.priority, needed_by=needed_by, for_site=for_site,
                              stored=stored)
        if planned is not None:
            link(u, planned, req)
        if key is not None:
            submissions.settle(u, raiser.id, key, req.id)
        if any(m.person_id == choice.person_id for m in team.members):  # the lead is not always a member
            org_store.mark_assigned(u, team.id, choice.person_id)
        return view_later(u, req, team, rtype, raiser, entries=entries, new=True,
                          loads=directory.moved(loads, None, choice.person_id))  # the owner's with this one in it

    return transaction(desk, work)


def opened(u: store.Unit, *, rtype: RequestType, prefix: str, title: str, detail: str, fields: dict[str, Any],
           requester: PersonEntry, raiser: PersonEntry, where: SiteEntry, team: TeamEntry, owner_id: int,
           reason: str, priority: str, needed_by: date | None = None, for_site: bool = False,
           stored: Sequence[Any] = (), incident: bool = False,
           received: bool = True) -> tuple[Any, list[timeline.Entry]]:
    """A new request of ``rtype`` stored with its one named owner and its
    promise, on its timeline (raised, assigned, any files), and told to its
    owner and (``received``) its requester: the one way a request comes to
    be (raised here; declared as an ``incident``, or raised by joining one,
    which tells the requester otherwise: :mod:`.incidents`). Returns the
    request and its timeline."""
    org, now = u.directory, u.now
    calendar = org.calendar_for(team, rtype, raising=True)  # the type's own clock (a spill's is 24x7), else the team's
    charter = org.charter_now.get(team.id)  # the version the promise is made under, kept with the request
    promise = org.promise(rtype, priority, where.id, charter)
    first_contact_due = calendar.add(now, promise.first_contact_within)
    resolve_by = calendar.add(now, promise.resolve_within)
    req = requests.new(
        ref=requests.next_ref(u, prefix), department=rtype.department, request_type=rtype.key,
        title=title, detail=detail, fields=fields, requester_id=requester.id, site_id=where.id,
        raised_by_id=raiser.id if raiser.id != requester.id else None,
        team_id=team.id, owner_id=owner_id, stage=rtype.stages[0].key, status=domain.OPEN,
        priority=priority, needed_by=needed_by, raised_at=now, first_contact_due=first_contact_due,
        resolve_by=resolve_by, updated_at=now, for_site=for_site, charter_id=charter.id if charter else None,
        stage_due=promises.stage_forecast(calendar, now, rtype.stages, resolve_by),
        # the requester's date is never ignored: earlier than the standard, it must be agreed
        needs_agreement=needed_by is not None and calendar.end_of_day(needed_by) < resolve_by)
    req.next_due = promises.next_due_of(req)
    requests.insert(u, req)
    owner = org.people[owner_id]
    entries = [timeline.Entry(req.id, now, events.Raised(priority=priority, request_type=rtype.key),
                              actor_id=raiser.id, note=title),
               timeline.Entry(req.id, now, events.Assigned(owner=owner.email, team=team.key, reason=reason),
                              note=f"{owner.name} ({team.name}) owns this {'incident' if incident else 'request'}")]
    timeline.append(u, *entries)
    entries += attach_in(u, req, raiser.id, stored)
    if owner.id != raiser.id or not incident:  # whoever declares an incident knows they own it
        outbox.put(u, owner.id, req.id, notices.Assigned(
            ref=req.ref, title=title, requester=requester.name, first_contact_due=first_contact_due.isoformat(),
            zone=calendar.timezone, raised_by=raiser.name if req.raised_by_id else ""))
    if received:
        tell_requester(u, req, notices.Received(  # not to an owner who raised it: they were just told
            ref=req.ref, title=title, owner=owner.name, team=team.name,
            first_contact_due=first_contact_due.isoformat(), zone=calendar.timezone,
            raised_by=raiser.name if req.raised_by_id else "", your_part=rtype.stages[0].requester_action),
            skip=owner.id, new=True)
    return req, entries


def _form(rtype: RequestType, title: str, detail: str, fields: dict[str, Any],
          needed_by: date | None) -> tuple[str, str, dict[str, Any]]:
    """The raise form checked whole: its title, detail and parsed fields, or
    one :class:`ValidationError` with every problem in it, each on its field."""
    checks = {"title": lambda: text(title, "the title", limit=TITLE_MAX, required=True, key="title"),
              "detail": lambda: text(detail, "the detail", limit=NOTE_MAX, required=False, key="detail"),
              "fields": lambda: rtype.parse_fields(fields),
              "needed_by": lambda: needed_by is None or within_bounds(needed_by)}
    done, problems = {}, []
    for name, check in checks.items():
        try:
            done[name] = check()
        except ValidationError as problem:
            problems.append(problem if problem.problems else ValidationError.about(name, str(problem), str(problem)))
    if problems:
        raise ValidationError.together(problems)
    return done["title"], done["detail"], done["fields"]
