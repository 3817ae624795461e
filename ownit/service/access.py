"""Who may see and do what, and what typed text OwnIt accepts.

A request may be seen by its requester, whoever raised it for them, its
watchers, its team (members and lead), an admin, and colleagues and deputies of its site unless its type is
restricted (an HR relations case). A request someone may not see is reported
as not found, so its existence does not leak. It may be worked by its owner,
the team's lead or an admin. Watchers and deputies see it as the requester
does (no internal notes) and act for nobody: confirming and reopening stay
the requester's. An incident (``ownit.incidents``) is seen by its team, the
people of the stores in its scope, and the requesters and owners of the
requests linked to it; a store outside its scope sees nothing of it. A team
asked for a task on a request (``ownit.service.tasks``) sees that request as
its requester does.
"""

from __future__ import annotations

from typing import Any

from ..departments import RequestType
from ..errors import NotFound, PermissionDenied, ValidationError, typed, utf8
from ..incidents import is_incident
from ..store import incidents, requests, tasks, watchers
from ..store.directory import Directory, PersonEntry, TeamEntry
from ..store.unit import Unit

TITLE_MAX = 200
NOTE_MAX = 10_000
COMMENT_MAX = 2000  # a rating's comment (feedback.comment)


def text(value: str | None, what: str, *, limit: int, required: bool, key: str = "") -> str:
    """Typed text, trimmed: refused when empty (if required), too long, or
    holding control characters other than newlines and tabs (the refusal is
    on the field ``key``, when it is one of a form's)."""
    found = (value or "").strip()
    problem = ("is not valid UTF-8 text; retype it" if not utf8(found)
               else "is empty; write a few words" if required and not found
               else f"is {len(found)} characters long; keep it under {limit}" if len(found) > limit
               else "contains control characters; remove them" if any(ord(ch) < 32 and ch not in "\n\t" for ch in found)
               else None)
    if problem is None:
        return found
    if key:
        raise ValidationError.about(key, f"{what} {problem}", problem)
    raise ValidationError(f"{what} {problem}")


def rating(nps: int | None, effort: int | None, comment: str | None) -> tuple[int | None, int | None, str]:
    """A rating as given (in the app, or through a rating link): NPS 0–10 and
    effort 1–7, each optional, and a comment checked like any typed text."""
    if nps is not None and not 0 <= nps <= 10:
        raise ValidationError(f"--nps {nps} is out of range; give 0 (not at all likely) to 10 (extremely likely)")
    if effort is not None and not 1 <= effort <= 7:
        raise ValidationError(f"--effort {effort} is out of range; give 1 (very easy) to 7 (very hard)")
    return nps, effort, text(comment, "the comment", limit=COMMENT_MAX, required=False)


def no_request(ref: str) -> NotFound:
    return NotFound(f"no request {ref!r}; check the ref (like FAC-1001) with 'ownit queue'")


def may_work(req: Any, team: TeamEntry, person: PersonEntry) -> bool:
    """The owner, the team's lead, an admin."""
    return req.owner_id == person.id or team.lead_id == person.id or person.admin


def is_staff(org: Directory, req: Any, team: TeamEntry, person: PersonEntry) -> bool:
    """The team working the request (members, lead) or an admin."""
    return may_work(req, team, person) or org.in_team(team, person.id)


def may_see(org: Directory, req: Any, team: TeamEntry, person: PersonEntry, rtype: RequestType | None) -> bool:
    """Everyone who may see ``req`` but its watchers (who are in the
    database: :func:`visible`): the people of its site, and of its region
    for a site-wide fault (``RequestType.site_wide``: the network)."""
    restricted = rtype is None or rtype.restricted  # a type whose plugin is gone may have been restricted
    of_site = req.site_id == person.site_id or person.id in org.sites[req.site_id].deputies
    return (req.requester_id == person.id or req.raised_by_id == person.id or is_staff(org, req, team, person)
            or (not restricted and (of_site or (rtype.site_wide and in_region(org, req, person)))))


def in_region(org: Directory, req: Any, person: PersonEntry) -> bool:
    """``person`` works at a store of ``req``'s site's region."""
    site = org.sites.get(person.site_id) if person.site_id is not None else None
    return site is not None and site.region == org.sites[req.site_id].region


def acting_for(org: Directory, person: PersonEntry, email: str | None, doing: str,
               rtype: RequestType | None = None) -> PersonEntry:
    """Whom ``person``'s action is for: themself, or the caller ``email``
    names when someone on a support team (or an admin) acts for them (the
    phone call at the desk: raising, joining an incident, "me too"); a
    restricted type (an HR relations case) only by its own department's
    team, who would see it anyway. ``doing`` names the action in a refusal."""
    if email is None:
        return person
    caller = org.person(email)
    if caller.id == person.id:
        return person
    if not (person.admin or org.teams_of(person.id)):
        raise PermissionDenied(f"only the support teams and admins can {doing} for someone else; "
                               f"{caller.name} can do it themself")
    if rtype is not None and rtype.restricted and not any(
            t.department == rtype.department for t in org.teams_of(person.id)):
        raise PermissionDenied(f"{rtype.label} is private to the requester and the {rtype.department} team; "
                               f"only that team can {doing} for {caller.name}")
    return caller


def may_manage_watchers(req: Any, team: TeamEntry, person: PersonEntry, rtype: RequestType | None) -> bool:
    """The requester, the owner or the lead (an admin); a restricted request's
    requester alone (or an admin): whom to tell of their case is theirs to say."""
    if rtype is None or rtype.restricted:
        return req.requester_id == person.id or person.admin
    return req.requester_id == person.id or may_work(req, team, person)


def visible(u: Unit, ref: str, person: PersonEntry | None) -> tuple[Any, TeamEntry, RequestType | None]:
    """The request ``ref``, its team and type, as ``person`` may see it
    (``None``: OwnIt itself, a plugin reacting to an event)."""
    req = requests.by_ref(u, ref.strip().upper()) if typed(ref) else None
    if req is None:
        raise no_request(ref)
    org = u.directory
    team = org.teams[req.team_id]
    rtype = u.desk.plugins.request_types.get(req.request_type)
    if person is None or may_see(org, req, team, person, rtype):
        return req, team, rtype
    if is_incident(rtype):
        if _in_scope(u, req, person) or incidents.involves(u, req.id, person.id):
            return req, team, rtype
    elif watchers.watches(u, req.id, person.id):
        return req, team, rtype
    if tasks.asked_of(u, req.id, person.id, [t.id for t in org.teams_of(person.id)]):
        return req, team, rtype  # a team asked for part of it sees it, as the requester does
    raise no_request(ref)


def _in_scope(u: Unit, incident: Any, person: PersonEntry) -> bool:
    site = u.directory.sites.get(person.site_id) if person.site_id is not None else None
    details = incidents.details(u, incident.id) if site is not None else None
    return details is not None and details.scope.covers(site)
