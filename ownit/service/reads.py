"""What the edges show: requests as their viewer may see them, queues,
people and teams. Each read is one read-only unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from .. import domain, promises, queues
from ..actors import Actor
from ..calendar import BusinessCalendar
from ..departments import RequestType
from ..errors import PermissionDenied
from ..incidents import is_incident
from ..store import directory, incidents, outbox, requests, tasks, timeline, watchers
from ..store import unit as store
from ..store.sql import sa, table
from ..store.directory import PersonEntry, TeamEntry
from ..views import person_view, quoted_charter, render_request, summary_view, task_view
from .access import acting_for, is_staff, may_manage_watchers, may_work, visible
from .rating import rated_on
from .mystery import reveal
from .reactions import Later
from .roster import candidates, handoff_lines

_R, _P = table("request"), table("person")


# --- one request, as its viewer sees it ---------------------------------------------------------------


def state(req: Any, rtype: RequestType | None, team: TeamEntry, now: datetime) -> domain.State:
    """What the lifecycle rules need to know about ``req``."""
    reopen_until = _reopen_until(req, team)
    return domain.State(status=req.status, contacted=req.first_contact_at is not None,
                        stage=rtype.position(req.stage) if rtype else 0,
                        stages=len(rtype.stages) if rtype else 1, owner=str(req.owner_id),
                        reopenable=reopen_until is not None and now < reopen_until)


def _reopen_until(req: Any, team: TeamEntry) -> datetime | None:
    """Until when a closed request may still be reopened (``None`` unless
    closed): business days of its team, who would take it up again."""
    if req.status != domain.CLOSED or req.closed_at is None:
        return None
    return team.business_calendar.add(req.closed_at, promises.REOPEN_WITHIN)


def view_later(u: store.Unit, req: Any, team: TeamEntry, rtype: RequestType | None, person: PersonEntry | None,
               *, entries: list[timeline.Entry] | None = None,
               loads: dict[int, directory.Load] | None = None, watching: list[int] | None = None,
               new: bool = False, repeated: bool = False) -> Later:
    """The request as ``person`` sees it (``None``: OwnIt, which sees all),
    with what they may do about it: everything it needs is read now, and it
    is drawn later, after the unit's commit, without a query. ``watching``:
    its watchers, when in hand; ``new``: raised (or declared) in this unit,
    so nobody watches it and no team has been asked for a part of it yet (no
    query for either); ``repeated``: the answer to a repeated submission, which changed nothing
    (:mod:`.repeats`)."""
    org, now = u.directory, u.now
    entries = timeline.of(u, req.id) if entries is None else entries
    watching = [] if new else watchers.of(u, req.id) if watching is None else watching
    affects = watchers.affects(u, [req.id])[req.id] if watching else 1  # no watchers: no query (a raise's view)
    staff = person is None or is_staff(org, req, team, person)
    works_it = person is not None and may_work(req, team, person)
    if works_it and loads is None:
        loads = directory.loads(u.db, team)
    part_of = incident_summary(u, requests.get(u, req.incident_id)) if req.incident_id is not None else None
    incident = _incident_view(u, req, staff) if is_incident(rtype) else None
    asked = [] if new else tasks.of(u, req.id)  # the parts other departments' teams were asked to do
    mystery = reveal(u, req, team, person)  # None while open: a mystery request looks like any other

    def draw() -> dict[str, Any]:
        view = render_request(req, owner=org.people[req.owner_id], requester=org.people[req.requester_id],
                              team=team, site=org.sites[req.site_id], lead=org.people[team.lead_id],
                              events=entries, actors=org.people, rtype=rtype, now=now, internal=staff,
                              calendar=org.calendar_for(team, rtype),
                              promise=org.promise_of(req, rtype) if rtype else None,
                              charter=quoted_charter(org, req.charter_id, now))
        view["watchers"] = [person_view(org.people[p]) for p in watching]
        view["affects"] = affects  # the requester and those who said "me too"
        view["repeated"] = repeated
        view["part_of"] = part_of  # the incident it is part of, as its card says it
        view["incident"] = incident  # what makes it an incident: its scope and the requests linked to it
        view["mystery"] = mystery
        view["tasks"] = [task_view(t, team=org.teams[t.team_id], owner=org.people[t.owner_id], now=now)
                         for t in asked]
        if person is None:
            return view
        reopen_until = _reopen_until(req, team)
        view["allowed"] = domain.allowed(state(req, rtype, team, now))
        view["reopen_until"] = reopen_until.isoformat() if reopen_until else None
        rated = rated_on(entries)  # its latest resolution's rating (one each), or None
        view["rated_on"] = rated.isoformat() if rated else None
        view["viewer"] = {"email": person.email, "requester": req.requester_id == person.id,
                          "works_it": works_it, "staff": staff, "watching": person.id in watching,
                          "manages_watchers": may_manage_watchers(req, team, person, rtype)}
        if works_it:  # whom it could be handed to
            view["team_members"] = handoff_lines(org, team, loads, now)
        return view

    return Later(draw)


def answer_later(u: store.Unit, req: Any, team: TeamEntry, rtype: RequestType | None, person: PersonEntry | None,
                 *, entries: list[timeline.Entry] | None = None, loads: dict[int, directory.Load] | None = None,
                 repeated: bool = False, whole: bool = False) -> Later:
    """What an action on a request answers. On a brief desk (``Desk.brief``:
    an edge that shows one line and draws the card afresh), the request's
    line — its queue line (:func:`ownit.views.summary_view`) and whether the
    submission was a repeat — from what the action holds, with no query; else,
    or when the action asks for the ``whole`` of it, its whole view
    (:func:`view_later`, which reads ``entries``, the timeline, and ``loads``,
    the team's, when not in hand)."""
    if whole or u.desk is None or not u.desk.brief:
        return view_later(u, req, team, rtype, person, entries=entries, loads=loads, repeated=repeated)
    owner, now = u.directory.people[req.owner_id], u.now
    return Later(lambda: {**summary_view(req, owner=owner, team=team, rtype=rtype, now=now), "repeated": repeated})


def incident_summary(u: store.Unit, inc: Any) -> dict[str, Any]:
    """An incident as a linked card and the raise page's banner show it: who
    owns it, what it affects, its stage, when its next update is due."""
    org = u.directory
    details = incidents.details(u, inc.id)
    rtype = u.desk.plugins.request_types.get(inc.request_type) if u.desk is not None else None
    calendar = org.teams[inc.team_id].business_calendar
    due = (inc.next_checkin_due if inc.first_contact_at else inc.first_contact_due) \
        if inc.status == domain.OPEN else None
    owner = org.people[inc.owner_id]
    scope = details.scope.as_dict(site_names(org)) if details else {"kind": "", "targets": [], "words": "some stores"}
    line = f"part of incident {inc.ref}: {inc.title} ({scope['words']}); {owner.name} owns it"
    if inc.status not in domain.ACTIVE:
        line += f"; it is {inc.status}"
    elif due is not None:
        line += f"; next update by {calendar.local(due):%a %d %b %H:%M}"
    return {"ref": inc.ref, "title": inc.title, "department": inc.department, "status": inc.status,
            "stage": rtype.stages[rtype.position(inc.stage)].label if rtype else inc.stage,
            "owner": person_view(owner), "scope": scope, "next_update": due.isoformat() if due else None,
            "zone": calendar.timezone, "line": line}


def _incident_view(u: store.Unit, inc: Any, staff: bool) -> dict[str, Any]:
    """An incident's own: its scope, the type a joining store raises, and the
    requests linked to it (each line to the team; to the stores, how many)."""
    org = u.directory
    details = incidents.details(u, inc.id)
    linked = incidents.linked(u, inc.id)
    view = {"scope": details.scope.as_dict(site_names(org)) if details else None,
            "joins_as": details.joins_as if details else None, "requests": len(linked),
            "stores": len({r.site_id for r in linked})}
    if staff:
        view["linked"] = [{"ref": r.ref, "title": r.title, "status": r.status, "site": org.sites[r.site_id].name,
                           "requester": org.people[r.requester_id].name, "owner": org.people[r.owner_id].name}
                          for r in linked]
    return view


def asked_when(rtype: Any, f: Any) -> str | None:
    """When a follow-up question is asked, in the form's words ("if What is spilt is other"); ``None``: always."""
    if f.shown_when is None:
        return None
    on, answers = rtype.asked_after(f)
    return f"if {on.label.rstrip('?')} is {answers}"


def asked_questions(desk: Any, request_type: str, answers: dict[str, Any]) -> list[str]:
    """The questions of ``request_type``'s form asked given ``answers`` as
    typed so far (:meth:`ownit.departments.RequestType.asked_now`): what a
    form being filled in shows, its follow-ups appearing as they are asked."""
    return desk.plugins.request_type(request_type).asked_now(answers)


def site_names(org: Any) -> dict[str, str]:
    return {code: site.name for code, site in org.sites_by_code.items()}


def show(desk: Any, ref: str, *, actor: Actor) -> dict[str, Any]:
    """The whole request as ``actor`` may see it (the team sees internal notes)."""
    def work(u: store.Unit) -> dict[str, Any]:
        person = u.person(actor)
        req, team, rtype = visible(u, ref, person)
        return view_later(u, req, team, rtype, person).draw()

    return store.run(desk, work, write=False)


def my_requests(desk: Any, *, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The requests ``actor`` raised, newest first, as they may see them."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        ids = [row[0] for row in u.db.run(sa.select(_R.c.id).where(_R.c.requester_id == person.id)
                                          .order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(limit)).all()]
        found = requests.many(u, ids)
        return [view_later(u, req, org.teams[req.team_id], desk.plugins.request_types.get(req.request_type),
                           person).draw() for req in (found[i] for i in ids)]

    return store.run(desk, work, write=False)


def following(desk: Any, *, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The requests ``actor`` follows for someone else, as they may see them:
    those they watch (the latest added first), then those marked for a site
    they are a deputy of and still being worked."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        ids = watchers.watched_by(u, person.id, limit)
        sites = [s.id for s in org.sites.values() if person.id in s.deputies]
        if sites:
            ids += [row[0] for row in u.db.run(sa.select(_R.c.id).where(
                _R.c.site_id.in_(sites), _R.c.for_site.is_(True), _R.c.status.in_(domain.ACTIVE),
                _R.c.requester_id != person.id).order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(limit)).all()
                    if row[0] not in ids]
        found = requests.many(u, ids)
        views = []
        for req in (found[i] for i in ids[:limit]):
            team, rtype = org.teams[req.team_id], desk.plugins.request_types.get(req.request_type)
            views.append(view_later(u, req, team, rtype, person).draw())
        return views

    return store.run(desk, work, write=False)


# --- queues and summaries ------------------------------------------------------------------------------


def queue(desk: Any, *, actor: Actor, team: str | None = None, overdue: bool = False,
          due_today: bool = False, owner: str | None = None, statuses: Iterable[str] | None = None,
          search: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The requests an agent works, most pressing first: :func:`ownit.queues.queue`
    (which the command line runs without loading SQLAlchemy) on this desk."""
    return store.run(desk, lambda u: queues.queue(u, plugins=desk.plugins, actor=actor, team=team, overdue=overdue,
                                                  due_today=due_today, owner=owner, statuses=statuses,
                                                  search=search, limit=limit), write=False)


def queue_page(desk: Any, *, actor: Actor, team: str | None = None, overdue: bool = False,
               due_today: bool = False, owner: str | None = None, statuses: Iterable[str] | None = None,
               search: str | None = None, page: int = 1, size: int = 20) -> dict[str, Any]:
    """One page of the queue, with the count of pages and the request a
    reference in ``search`` names: :func:`ownit.queues.page` on this desk."""
    return store.run(desk, lambda u: queues.page(u, plugins=desk.plugins, actor=actor, team=team, overdue=overdue,
                                                 due_today=due_today, owner=owner, statuses=statuses,
                                                 search=search, number=page, size=size), write=False)


def team_summary(desk: Any, *, actor: Actor, team: str) -> dict[str, Any]:
    """A team at a glance, counted in the database: open, overdue, due later
    today, waiting on the requester, resolved awaiting confirmation — in all and
    per owner."""
    def work(u: store.Unit) -> dict[str, Any]:
        org, now = u.directory, u.now
        person = u.person(actor)
        the_team = org.team(team)
        if not (org.in_team(the_team, person.id) or person.admin):
            raise PermissionDenied(f"you are not in {the_team.name}; ask its lead to add you")
        ends = [sa.and_(_R.c.team_id == t.id, _R.c.next_due <= t.business_calendar.closes_today(now))
                for t in org.teams.values()]
        figures = {"open": _R.c.status == domain.OPEN,
                   "overdue": sa.and_(_R.c.status == domain.OPEN, _R.c.next_due < now),
                   "due_today": sa.and_(_R.c.status == domain.OPEN, _R.c.next_due >= now, sa.or_(*ends)),
                   "waiting": _R.c.status == domain.WAITING, "resolved": _R.c.status == domain.RESOLVED}
        columns = [sa.func.count().filter(condition).label(name) for name, condition in figures.items()]
        rows = u.db.run(sa.select(_R.c.owner_id, *columns).where(
            _R.c.team_id == the_team.id, _R.c.status != domain.CLOSED).group_by(_R.c.owner_id)).all()
        owners = sorted(({"email": org.people[r[0]].email, "name": org.people[r[0]].name,
                          **{name: r[i + 1] for i, name in enumerate(figures)}} for r in rows),
                        key=lambda o: (-o["overdue"], -o["open"], o["name"]))
        return {"team": {"key": the_team.key, "name": the_team.name},
                **{name: sum(o[name] for o in owners) for name in figures}, "owners": owners}

    return store.run(desk, work, write=False)


def site_requests(desk: Any, *, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """What colleagues at ``actor``'s site have raised and is still being
    worked (so nobody reports the same leak twice), newest first, each with
    how many people it ``affects`` (:func:`ownit.service.me_too`). Restricted
    request types (an HR relations case) are never among them."""
    types = desk.plugins.request_types
    shown = [key for key, t in types.items() if not t.restricted]  # a type whose plugin is gone may have been

    def work(u: store.Unit) -> list[dict[str, Any]]:
        person = u.person(actor)
        if person.site_id is None or not shown:
            return []
        ids = [row[0] for row in u.db.run(sa.select(_R.c.id).where(
            _R.c.site_id == person.site_id, _R.c.requester_id != person.id, _R.c.status.in_(domain.ACTIVE),
            _R.c.request_type.in_(shown)).order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(limit)).all()]
        return _site_lines(u, ids, types)

    return store.run(desk, work, write=False)


def similar_open(desk: Any, *, actor: Actor, request_type: str, site: str | None = None,
                 on_behalf_of: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The duplicate hint while raising: what colleagues at ``site`` (the
    actor's own, by default) raised of ``request_type`` and is still being
    worked, newest first, so the actor can say "me too" rather than raise it
    again. A support team's member may look at another site, or raise for a
    caller (``on_behalf_of``, :func:`.access.acting_for`): the caller's site
    then, less the caller's own requests. For a site-wide type (the network
    down: ``RequestType.site_wide``), the rest of the region's stores after
    the site's own, each line saying where (``site``). Never a restricted
    type (an HR relations case). An index seek per status and site
    (``ix_request_site_type``): a few milliseconds at a million requests
    (``bench/similar.py``)."""
    rtype = desk.plugins.request_types.get(request_type)

    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        actor_person = u.person(actor)
        person = acting_for(org, actor_person, on_behalf_of, "look up requests")
        site_id = org.site(site).id if site else person.site_id
        if site_id != actor_person.site_id and not (actor_person.admin or org.teams_of(actor_person.id)):
            raise PermissionDenied("only the support teams can look at another site's requests; leave out the site")
        if site_id is None or rtype is None or rtype.restricted:
            return []

        def newest(sites: list[int], n: int) -> list[int]:
            # one seek per site and status, n rows each: with ``IN (...)`` SQLite would sort every match
            found = sorted((tuple(row) for each in sites for status in domain.ACTIVE for row in u.db.run(
                sa.select(_R.c.raised_at, _R.c.id).where(
                    _R.c.site_id == each, _R.c.request_type == request_type, _R.c.status == status,
                    _R.c.requester_id != person.id).order_by(_R.c.raised_at.desc(), _R.c.id.desc()).limit(n)).all()),
                reverse=True)
            return [request_id for _, request_id in found[:n]]

        ids = newest([site_id], limit)
        region = org.sites[site_id].region
        if rtype.site_wide and len(ids) < limit:
            ids += newest([s.id for s in org.sites.values() if s.region == region and s.id != site_id],
                          limit - len(ids))
        return _site_lines(u, ids, desk.plugins.request_types)

    return store.run(desk, work, write=False)


def _site_lines(u: store.Unit, ids: list[int], types: dict[str, RequestType]) -> list[dict[str, Any]]:
    """The requests ``ids`` in that order, each as its summary, its site and
    how many people it affects."""
    org = u.directory
    found, affects = requests.many(u, ids), watchers.affects(u, ids)
    return [{**summary_view(req, owner=org.people[req.owner_id], team=org.teams[req.team_id],
                            rtype=types.get(req.request_type), now=u.now), "affects": affects[req.id],
             "site": {"code": org.sites[req.site_id].code, "name": org.sites[req.site_id].name}}
            for req in (found[i] for i in ids)]


def inbox(desk: Any, *, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """A person's notifications, newest first; ``heading`` is the kind in people's words."""
    from .. import notices  # the inbox's headings: not loaded by the reads that do not need them

    def work(u: store.Unit) -> list[dict[str, Any]]:
        person = u.person(actor)
        zone = u.directory.zone(person)
        return [{"id": note_id, "ref": ref, "kind": kind, "heading": notices.heading(kind), "message": message,
                 "data": data or {}, "created_at": created_at.isoformat(), "timezone": zone}
                for note_id, ref, kind, message, data, created_at in outbox.inbox(u, person.id, limit)]

    return store.run(desk, work, write=False)


# --- people and teams ----------------------------------------------------------------------------------


def _load_lines(u: store.Unit, team: TeamEntry) -> tuple[list[Any], dict[int, directory.Load]]:
    loads = directory.loads(u.db, team)
    return candidates(u.directory, team, loads, u.now), loads


def memberships(desk: Any, *, actor: Actor) -> list[dict[str, Any]]:
    """The teams ``actor`` works in or leads (every team for an admin), with
    the members a request can be handed to."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        person = u.person(actor)
        result = []
        for team in sorted(org.teams.values(), key=lambda t: t.key):
            if not (person.admin or org.in_team(team, person.id)):
                continue
            members, _ = _load_lines(u, team)
            result.append({"key": team.key, "name": team.name, "department": team.department,
                           "leads": team.lead_id == person.id, "lead": person_view(org.people[team.lead_id]),
                           "members": [{**person_view(org.people[c.person_id]), "away": c.away, "open": c.open_count}
                                       for c in members]})
        return result

    return store.run(desk, work, write=False)


def people(desk: Any) -> list[dict[str, Any]]:
    """Everyone in the directory, with their site, roles and absence."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        absent = {row[0]: row[1:] for row in u.db.run(sa.select(_P.c.id, _P.c.away_from, _P.c.away_until)).all()}
        return [{**person_view(p), "site": org.sites[p.site_id].code if p.site_id else None, "roles": list(p.roles),
                 "away_from": _iso(absent[p.id][0]), "away_until": _iso(absent[p.id][1])}
                for p in sorted(org.people.values(), key=lambda p: p.email)]

    return store.run(desk, work, write=False)


def sites(desk: Any) -> list[dict[str, Any]]:
    """Every store and office, by code: its name and region (an incident's scope is chosen from these)."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        return [{"code": s.code, "name": s.name, "region": s.region}
                for _, s in sorted(u.directory.sites_by_code.items())]

    return store.run(desk, work, write=False)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def teams(desk: Any) -> list[dict[str, Any]]:
    """Every team with its lead, members (skills, capacity, open requests) and calendar."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        org = u.directory
        result = []
        for team in sorted(org.teams.values(), key=lambda t: t.key):
            members, _ = _load_lines(u, team)
            result.append({
                "key": team.key, "name": team.name, "department": team.department, "regions": list(team.regions),
                "lead": person_view(org.people[team.lead_id]),
                "calendar": {k: v for k, v in team.calendar.items() if k != "holidays"},  # as the org file says
                "members": [{"email": c.email, "name": org.people[c.person_id].name, "skills": sorted(c.skills),
                             "capacity": c.capacity, "open": c.open_count, "away": c.away} for c in members],
            })
        return result

    return store.run(desk, work, write=False)


def departments(desk: Any) -> dict[str, Any]:
    """The installed plugins and the departments and request types they declare."""
    plugins = desk.plugins
    return {
        "plugins": [{"name": i.name, "distribution": i.distribution, "version": i.version} for i in plugins.info],
        "problems": list(plugins.problems),
        "departments": [
            {"key": d.key, "name": d.name, "prefix": d.prefix, "description": d.description,
             "request_types": [
                 {"key": t.key, "label": t.label, "why": t.why, "skills": list(t.skills),
                  "default_priority": t.default_priority, "restricted": t.restricted, "site_wide": t.site_wide,
                  "priorities": list(t.reachable),
                  "calendar": t.calendar,  # None: its team's working hours
                  "fields": [{"key": f.key, "label": f.label, "kind": f.kind, "required": f.required,
                              "help": f.help, "choices": list(f.choices), "asked_when": asked_when(t, f),
                              "follows": f.shown_when[0] if f.shown_when else None}
                             for f in t.fields],
                  "stages": [{"key": s.key, "label": s.label, "days": s.days,
                              "requester_action": s.requester_action} for s in t.stages],
                  "promise": {p: {"first_contact": v.first_contact, "checkin": v.checkin, "resolve": v.resolve}
                              for p, v in t.promise.items()}}
                 for t in d.request_types]}
            for d in sorted(plugins.departments.values(), key=lambda d: d.key)
        ],
    }


# --- checks on the invariants ---------------------------------------------------------------------


def ownership_problems(desk: Any) -> list[str]:
    """Requests breaking the ownership invariant (none, if OwnIt is right):
    an owner who does not exist. The database forbids a missing owner outright."""
    return store.run(desk, lambda u: [row[0] for row in u.db.run(
        sa.select(_R.c.ref).select_from(_R.outerjoin(_P, _P.c.id == _R.c.owner_id))
        .where(_P.c.id.is_(None))).all()], write=False)


def load_problems(desk: Any) -> list[str]:
    """People whose open-request count, kept on their row by the database
    (it is what owner choice reads), differs from their open requests counted
    (none, if the triggers are right): ``email: kept N, counted M``."""
    counted = (sa.select(_R.c.owner_id, sa.func.count().label("n")).where(_R.c.status.in_(domain.ACTIVE))
               .group_by(_R.c.owner_id).subquery())
    statement = (sa.select(_P.c.email, _P.c.open_requests, sa.func.coalesce(counted.c.n, 0))
                 .select_from(_P.outerjoin(counted, counted.c.owner_id == _P.c.id))
                 .where(_P.c.open_requests != sa.func.coalesce(counted.c.n, 0)).order_by(_P.c.email))
    return store.run(desk, lambda u: [f"{email}: kept {kept}, counted {n}"
                                      for email, kept, n in u.db.run(statement).all()], write=False)


def calendar_of(team: Any) -> BusinessCalendar:
    return BusinessCalendar.of_team(team)

