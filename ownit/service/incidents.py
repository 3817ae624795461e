"""Incidents: one problem affecting many stores, told as one story with one
named owner, while every affected requester hears it on their own card.

- :func:`declare` — an owner or lead declares one from a request (or a
  department's team raises one directly) with a scope; it is a request of
  the department's incident type (:mod:`ownit.incidents`), so its owner, its
  promise and its actions are every request's (``ownit incident declare``).
- :func:`link` / :func:`unlink` — requests become part of it, keeping their
  owners; while linked, the incident's promise stands in for theirs.
- :func:`join` — a store in scope joins it from the raise page: a request of
  its own, owned by the incident's owner and linked at once.
- :func:`relay` — the incident's first contact, check-ins, stage moves and
  hand-offs reach every linked requester (and the linked requests' owners)
  once, on their own cards; resolving it resolves the linked requests, each
  confirmed or reopened by its own requester.
- :func:`covering` — the open incidents covering a person's store: the raise
  page's known-issue banner.
"""

from __future__ import annotations

from typing import Any, Iterable

from .. import domain, events, notices
from ..actors import Actor
from ..departments import PRIORITIES
from ..errors import Conflict, PermissionDenied, ValidationError
from ..incidents import PREFIX, Scope, incident_type, is_incident
from ..store import incidents as stored, outbox, requests, submissions, timeline
from ..store import unit as store
from ..store.directory import PersonEntry, TeamEntry
from ..store.requests import RequestRow
from . import repeats
from .access import NOTE_MAX, TITLE_MAX, acting_for, may_work, text, visible
from .audience import tell_requester
from .intake import opened
from .reactions import Later, transaction
from .reads import incident_summary, site_names, state, view_later


def declare(desk: Any, *, actor: Actor, scope: str, title: str | None = None, from_ref: str | None = None,
            department: str | None = None, joins_as: str | None = None, owner: str | None = None,
            priority: str | None = None, detail: str = "", key: str | None = None) -> dict[str, Any]:
    """Declare an incident affecting ``scope`` (``all``, ``region:NAME``,
    ``sites:CODE,...``). From the request ``from_ref`` (by its owner, its
    team's lead or an admin): its department, its title unless another is
    given, and the request linked at once. Or directly in ``department`` (by
    its teams' people), stores joining it raising ``joins_as`` (the
    department's first open type unless given). It is owned by ``owner``
    (someone of the team) or whoever declares it. Returns the incident's view."""
    title_text = text(title, "the incident's title", limit=TITLE_MAX, required=from_ref is None)
    detail_text = text(detail, "the detail", limit=NOTE_MAX, required=False)
    key = repeats.key_of(key)
    if priority is not None and priority not in PRIORITIES:
        raise ValidationError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")

    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        earlier = repeats.repeated(u, person, key, "declare")
        if earlier is not None:
            first, team, rtype = visible(u, requests.get(u, earlier.request_id).ref, person)
            return view_later(u, first, team, rtype, person, repeated=True)
        source = None
        if from_ref is not None:
            source, team, rtype = visible(u, from_ref, person)
            if not may_work(source, team, person):
                raise PermissionDenied(f"only the owner ({org.people[source.owner_id].name}) or the lead of "
                                       f"{team.name} can declare an incident from {source.ref}")
            _linkable(u, source, rtype)
            dept, types, site = source.department, source.request_type, org.sites[source.site_id]
        else:
            if not department:
                raise ValidationError("say which department's incident it is (--department), or declare it "
                                      "from a request (--from REF)")
            known = desk.plugins.department(department)
            team = _team_in(org, person, known.key)
            open_types = [t.key for t in known.request_types if not t.restricted]
            types = joins_as or (open_types[0] if open_types else None)
            if types not in open_types:
                raise ValidationError(f"stores joining it raise a request of an open type of {known.name}: "
                                      f"{', '.join(open_types) or 'it has none'}")
            dept, site = known.key, None
        where = Scope.parse(scope, sites=org.sites_by_code, regions={s.region for s in org.sites.values()})
        if site is not None and not where.covers(site):
            raise ValidationError(f"{source.ref} is at {site.name}, outside {where.words(site_names(org))}; "
                                  "give a scope that covers it")
        site = site or _a_site(org, person, where)
        owner_entry = _owner(org, team, person, owner)
        itype = incident_type(dept)
        inc, entries = opened(u, rtype=itype, prefix=PREFIX, title=title_text or source.title, detail=detail_text,
                              fields={}, requester=person, raiser=person, where=site, team=team,
                              owner_id=owner_entry.id, reason=f"declared by {person.name}",
                              priority=priority or (source.priority if source else itype.default_priority),
                              incident=True, received=False)
        stored.add(u, inc.id, where, types)
        entry = timeline.Entry(inc.id, u.now, events.Declared(scope=where.words(site_names(org)),
                                                               from_request=source.ref if source else None),
                               actor_id=person.id, note=inc.title)
        timeline.append(u, entry)
        entries.append(entry)
        if key is not None:
            submissions.settle(u, person.id, key, inc.id)
        if source is not None:
            entries.append(_link(u, inc, source, person, note=f"declared from {source.ref}")[1])
            inc.updated_at = u.now
            requests.update(u, inc)
        return view_later(u, inc, team, itype, person, entries=entries, new=True)

    return transaction(desk, work)


def link(desk: Any, incident_ref: str, refs: Iterable[str], *, actor: Actor, note: str | None = None,
         key: str | None = None) -> dict[str, Any]:
    """Make the requests ``refs`` part of the incident (its owner, its team's
    lead or an admin): each keeps its owner; its requester and owner are told
    who owns the incident and when it next updates; the incident's promise
    stands in for the request's own. A request already part of it is left as
    it is. Returns the incident's view, with ``linked_now`` (the refs linked)."""
    wanted = [r.strip().upper() for r in refs if r and r.strip()]
    if not wanted:
        raise ValidationError("no request given; name the requests to link, like IT-1001 IT-1002")
    note_text = text(note, "the note", limit=NOTE_MAX, required=False)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        person = u.person(actor)
        inc, team, itype = _incident(u, incident_ref, person)
        if repeats.repeated(u, person, key, "link", inc.id):
            return view_later(u, inc, team, itype, person, repeated=True)
        _may_run(u, inc, team, person, "link requests to")
        now_linked = []
        scope = stored.details(u, inc.id).scope
        for ref in dict.fromkeys(wanted):
            req, _, rtype = visible(u, ref, person)
            if req.incident_id == inc.id:
                continue
            _linkable(u, req, rtype)
            if not scope.covers(u.directory.sites[req.site_id]):
                raise ValidationError(f"{req.ref} is at {u.directory.sites[req.site_id].name}, outside "
                                      f"{inc.ref}'s scope ({scope.words(site_names(u.directory))})")
            _link(u, inc, req, person, note=note_text)
            now_linked.append(req.ref)
        inc.updated_at = u.now
        requests.update(u, inc)  # a resolve of the incident at the same moment is caught
        later = view_later(u, inc, team, itype, person)
        return Later(lambda: {**later.draw(), "linked_now": now_linked})

    return transaction(desk, work)


def unlink(desk: Any, incident_ref: str, ref: str, *, actor: Actor, note: str | None,
           key: str | None = None) -> dict[str, Any]:
    """The request ``ref`` is no longer part of the incident (the incident's
    owner or lead, or the request's: an admin too), saying why in ``note``:
    a timeline event on both; its own promise runs again from now. Returns
    the request's view."""
    note_text = text(note, "the note", limit=NOTE_MAX, required=True)
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        person = u.person(actor)
        inc, team, _ = _incident(u, incident_ref, person)
        req, req_team, rtype = visible(u, ref, person)
        if repeats.repeated(u, person, key, "unlink", req.id):
            return view_later(u, req, req_team, rtype, person, repeated=True)
        if req.incident_id != inc.id:
            raise ValidationError(f"{req.ref} is not part of {inc.ref}; 'ownit show {req.ref}' says what it is "
                                  "part of")
        if not (may_work(inc, team, person) or may_work(req, req_team, person)):
            raise PermissionDenied(f"only the owners or leads of {inc.ref} and {req.ref} can unlink it")
        req.incident_id = None
        if req.status == domain.OPEN and rtype is not None:  # its own rhythm again, from now
            every = u.directory.promise_of(req, rtype).checkin_every
            req.next_checkin_due = u.directory.calendar_for(req_team, rtype).add(u.now, every) if every else None
        requests.acted_on(u, req)
        said = events.Unlinked(incident=inc.ref, request=req.ref)
        timeline.append(u, timeline.Entry(req.id, u.now, said, actor_id=person.id, note=note_text),
                        timeline.Entry(inc.id, u.now, said, actor_id=person.id, note=note_text))
        notice = notices.NoLongerPart(ref=req.ref, title=req.title, incident=inc.ref, by=person.name,
                                      note=note_text)
        told = {person.id}
        tell_requester(u, req, notice, skip=person.id, told=told)
        if req.owner_id not in told:
            outbox.put(u, req.owner_id, req.id, notice)
        inc.updated_at = u.now
        requests.update(u, inc)
        return view_later(u, req, req_team, rtype, person)

    return transaction(desk, work)


def join(desk: Any, incident_ref: str, *, actor: Actor, key: str | None = None,
         on_behalf_of: str | None = None) -> dict[str, Any]:
    """The actor's store is affected too (the raise page's banner): a request
    of their own, for their store, owned by the incident's owner and linked
    to it at once, so they hear its updates and confirm its fix. Joining
    again answers with the request they have. ``on_behalf_of``: a caller a
    support team's member joins it for, as when raising for them
    (:func:`.access.acting_for`). Returns that request's view, with ``changed``."""
    key = repeats.key_of(key)

    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        caller = acting_for(org, person, on_behalf_of, "join an incident")
        inc, team, _ = _incident(u, incident_ref, caller)
        earlier = repeats.repeated(u, person, key, "join", inc.id)
        if earlier is not None:
            return _theirs(u, inc, caller, changed=False)
        if inc.status not in domain.ACTIVE:
            raise Conflict(f"{inc.ref} is {inc.status}; if the problem is still there, raise a request")
        details = stored.details(u, inc.id)
        site = org.sites.get(caller.site_id) if caller.site_id is not None else None
        if site is None or not details.scope.covers(site):
            own = "your" if caller is person else "their"
            raise PermissionDenied(f"{inc.ref} does not affect {own} store; raise a request of {own} own")
        if any(r.requester_id == caller.id and r.status in domain.ACTIVE for r in stored.linked(u, inc.id)):
            return _theirs(u, inc, caller, changed=False)
        rtype = desk.plugins.request_type(details.joins_as)
        req, entries = opened(u, rtype=rtype, prefix=desk.plugins.department(rtype.department).prefix,
                              title=inc.title, detail=f"Affected by incident {inc.ref}", fields={}, requester=caller,
                              raiser=person, where=site, team=team, owner_id=inc.owner_id,
                              reason=f"it is part of incident {inc.ref}, which they own", priority=inc.priority,
                              received=False)
        said = "" if caller is person else f" for {caller.name}"
        entries += _link(u, inc, req, person, note=f"{person.name} joined {inc.ref}{said} from the raise page")[0]
        inc.updated_at = u.now
        requests.update(u, inc)
        later = view_later(u, req, team, rtype, caller, entries=entries, new=True)
        return Later(lambda: {**later.draw(), "changed": True})

    return transaction(desk, work)


def covering(desk: Any, *, actor: Actor, on_behalf_of: str | None = None) -> list[dict[str, Any]]:
    """The open incidents affecting the actor's store (or, ``on_behalf_of``,
    a caller's, :func:`.access.acting_for`), the latest first: the raise
    page's banner ("tills are down in the north region — Raj Patel owns it;
    add yourself"), each with ``yours``, the requests by which they are part
    of it already."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = acting_for(org, u.person(actor), on_behalf_of, "look up incidents")
        site = org.sites.get(person.site_id) if person.site_id is not None else None
        if site is None:
            return []
        found = []
        for incident_id, details in stored.open_ones(u):
            if not details.scope.covers(site):
                continue
            inc = requests.get(u, incident_id)
            mine = [r.ref for r in stored.linked(u, incident_id) if r.requester_id == person.id]
            found.append({**incident_summary(u, inc), "yours": mine})
        return found

    return store.run(desk, work, write=False)


def of_team(desk: Any, *, actor: Actor, team: str | None = None) -> list[dict[str, Any]]:
    """The open incidents a team works (``team``, or every team the actor is
    in), the latest declared first: what its queue shows before the rest."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        teams = [org.team(team)] if team else list(org.teams_of(person.id))
        if team and not (org.in_team(teams[0], person.id) or person.admin):
            raise PermissionDenied(f"you are not in {teams[0].name}; ask its lead to add you")
        ids = {t.id for t in teams}
        found = []
        for incident_id, details in stored.open_ones(u):
            inc = requests.get(u, incident_id)
            if inc.team_id in ids:
                linked = stored.linked(u, incident_id)
                found.append({**incident_summary(u, inc), "requests": len(linked),
                              "stores": len({r.site_id for r in linked})})
        return found

    return store.run(desk, work, write=False)


def linkable(desk: Any, incident_ref: str, *, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The requests its owner could link to the incident: its department's,
    still being worked, at a store in its scope, part of no incident, not
    private; the latest raised first (``ref``, ``title``, ``site``, ``requester``)."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        inc, team, _ = _incident(u, incident_ref, person)
        if not may_work(inc, team, person):
            return []
        scope = stored.details(u, inc.id).scope
        types = desk.plugins.request_types
        return [{"ref": r.ref, "title": r.title, "site": org.sites[r.site_id].name,
                 "requester": org.people[r.requester_id].name}
                for r in stored.unlinked(u, inc.department, limit * 4)
                if scope.covers(org.sites[r.site_id]) and r.request_type in types
                and not types[r.request_type].restricted][:limit]

    return store.run(desk, work, write=False)


def relay(act: Any, action: str) -> None:
    """Tell the incident's move (``act``, :class:`ownit.service.work.Act`) to
    the requests linked to it, inside its unit of work: an update on each
    linked timeline, and a notice to each of their requesters (and whoever
    hears what they hear) and owners, once per person; resolving it resolves
    each linked request still being worked, which its requester confirms."""
    if action not in ("contact", "checkin", "advance", "handoff", "resolve"):
        return
    u, inc, person = act.u, act.req, act.person
    org = u.directory
    owner = org.people[inc.owner_id]
    stage = act.rtype.stages[act.rtype.position(inc.stage)].label if action != "resolve" else "resolved"
    note = act.note or {"handoff": f"{owner.name} owns the incident now"}.get(action, "")
    next_update = None if action == "resolve" else (inc.next_checkin_due or inc.first_contact_due)
    told: set[int] = {person.id}
    for req in stored.linked(u, inc.id):
        if req.status not in domain.ACTIVE:
            continue
        news = notices.IncidentNews(ref=req.ref, title=req.title, incident=inc.ref, about=inc.title,
                                    owner=owner.name, note=note, stage=stage,
                                    next_update=next_update.isoformat() if next_update else None,
                                    zone=act.team.business_calendar.timezone)
        if action == "resolve":
            _resolve_with(u, inc, req, person, act.note)
            tell_requester(u, req, notices.Resolved(ref=req.ref, title=req.title, owner=owner.name,
                                                    note=f"incident {inc.ref} is resolved: {note}"),
                           skip=person.id, told=told)
        else:
            timeline.append(u, timeline.Entry(req.id, u.now, events.IncidentUpdate(
                incident=inc.ref, action=action, stage=stage), actor_id=person.id, note=note))
            tell_requester(u, req, news, skip=person.id, told=told)
        if req.owner_id not in told:
            outbox.put(u, req.owner_id, req.id, news)
            told.add(req.owner_id)


# --- the parts ---------------------------------------------------------------------------------------


def _incident(u: store.Unit, ref: str, person: PersonEntry) -> tuple[RequestRow, TeamEntry, Any]:
    inc, team, itype = visible(u, ref, person)
    if not is_incident(itype):
        raise ValidationError(f"{inc.ref} is a request, not an incident; declare one from it with "
                              f"'ownit incident declare --from {inc.ref} --scope ...'")
    return inc, team, itype


def _may_run(u: store.Unit, inc: RequestRow, team: TeamEntry, person: PersonEntry, what: str) -> None:
    if not may_work(inc, team, person):
        raise PermissionDenied(f"only the owner ({u.directory.people[inc.owner_id].name}) or the lead of "
                               f"{team.name} can {what} {inc.ref}")
    if inc.status not in domain.ACTIVE:
        raise Conflict(f"{inc.ref} is {inc.status}; declare a new incident if the problem is back")


def _linkable(u: store.Unit, req: RequestRow, rtype: Any) -> None:
    """Refuse what can never be part of an incident, in one line."""
    if is_incident(rtype):
        raise ValidationError(f"{req.ref} is an incident itself; link its requests instead")
    if rtype is None or rtype.restricted:
        raise PermissionDenied(f"{req.ref} is a private case of its requester's; it is never part of an incident")
    if req.status not in domain.ACTIVE:
        raise Conflict(f"{req.ref} is {req.status}; only a request still being worked can be part of an incident")
    if req.incident_id is not None:
        other = requests.get(u, req.incident_id)
        raise Conflict(f"{req.ref} is part of {other.ref} already; unlink it there first")


def _link(u: store.Unit, inc: RequestRow, req: RequestRow, person: PersonEntry, *,
          note: str) -> tuple[list[timeline.Entry], timeline.Entry]:
    """``req`` part of ``inc`` from now: on both timelines; its requester (and
    who hears what they hear) and its owner told; a first contact not made
    yet is made by this, since they hear who owns the fix and when. Returns
    the entries added to the request's timeline and the incident's."""
    team = u.directory.teams[req.team_id]
    entries = []
    if req.first_contact_at is None:
        req.first_contact_at = u.now
        calendar = u.directory.calendar_for(team, u.desk.plugins.request_types.get(req.request_type))
        entries.append(timeline.Entry(req.id, u.now, events.Contacted.made(req, calendar, u.now),
                                      actor_id=person.id, note=f"part of incident {inc.ref}, owned by "
                                                                 f"{u.directory.people[inc.owner_id].name}"))
    req.incident_id = inc.id
    req.next_checkin_due = None  # the incident's rhythm stands in for its own
    requests.acted_on(u, req)
    said = events.Linked(incident=inc.ref, request=req.ref)
    entries.append(timeline.Entry(req.id, u.now, said, actor_id=person.id, note=note))
    on_incident = timeline.Entry(inc.id, u.now, said, actor_id=person.id, note=note)
    timeline.append(u, *entries, on_incident)
    next_update = inc.next_checkin_due or inc.first_contact_due
    notice = notices.PartOfIncident(ref=req.ref, title=req.title, incident=inc.ref, about=inc.title,
                                    owner=u.directory.people[inc.owner_id].name, next_update=next_update.isoformat(),
                                    zone=u.directory.teams[inc.team_id].business_calendar.timezone)
    told = {person.id, inc.owner_id}  # whoever links it, and the incident's owner, know already
    tell_requester(u, req, notice, skip=person.id, told=told)
    if req.owner_id not in told:
        outbox.put(u, req.owner_id, req.id, notice)
    return entries, on_incident


def _resolve_with(u: store.Unit, inc: RequestRow, req: RequestRow, person: PersonEntry, note: str) -> None:
    """The linked ``req`` resolved with its incident: its requester confirms or reopens it."""
    team = u.directory.teams[req.team_id]
    rtype = u.desk.plugins.request_types.get(req.request_type)
    now_state = state(req, rtype, team, u.now)
    if now_state.status == domain.WAITING:  # the fix does not wait for what was asked of them
        now_state = domain.apply(now_state, "resume", ref=req.ref)
    moved = domain.apply(now_state, "resolve", ref=req.ref)
    previous = req.stage
    req.status, req.resolved_at, req.next_checkin_due, req.waiting_since = moved.status, u.now, None, None
    requests.acted_on(u, req)
    timeline.append(u, timeline.Entry(req.id, u.now, events.IncidentResolved(incident=inc.ref, from_stage=previous),
                                      actor_id=person.id, note=note))


def _team_in(org: Any, person: PersonEntry, department: str) -> TeamEntry:
    """The team of ``department`` someone declaring its incident works in (an admin: its first)."""
    teams = [t for t in org.teams_of(person.id) if t.department == department]
    if not teams and person.admin:
        teams = org.teams_by_department.get(department, [])
    if not teams:
        raise PermissionDenied(f"only the support teams of {department} can declare its incidents")
    return teams[0]


def _owner(org: Any, team: TeamEntry, person: PersonEntry, email: str | None) -> PersonEntry:
    if email:
        chosen = org.person(email)
        if not org.in_team(team, chosen.id):
            raise ValidationError(f"{chosen.name} is not in {team.name}; the incident's owner works in it")
        return chosen
    return person if org.in_team(team, person.id) else org.people[team.lead_id]


def _a_site(org: Any, person: PersonEntry, scope: Scope) -> Any:
    """The site an incident raised directly is recorded at: the declarer's if
    in scope, else the first in scope by code."""
    own = org.sites.get(person.site_id) if person.site_id is not None else None
    if own is not None and scope.covers(own):
        return own
    found = next((s for code, s in sorted(org.sites_by_code.items()) if scope.covers(s)), None)
    if found is None:
        raise ValidationError(f"{scope.words()} has no stores; give a scope that covers some")
    return found


def _theirs(u: store.Unit, inc: RequestRow, person: PersonEntry, *, changed: bool) -> Later:
    mine = [r for r in stored.linked(u, inc.id) if r.requester_id == person.id]
    if not mine:
        raise Conflict(f"your earlier joining of {inc.ref} did not stay; join it again")
    req = mine[-1]
    later = view_later(u, req, u.directory.teams[req.team_id], u.desk.plugins.request_types.get(req.request_type),
                       person)
    return Later(lambda: {**later.draw(), "changed": changed})
