"""Watchers: a colleague the requester (or the team) adds to follow one
request. They hear what the requester hears (:mod:`.audience`) and see the
request as the requester does (:mod:`.access`), never internal notes; they
act for nobody: confirming, reopening and answering stay the requester's.
A colleague at the site who has the same problem joins it (:func:`me_too`):
a watcher marked *affected*, so the request shows how many people it affects.
"""

from __future__ import annotations

from typing import Any

from .. import domain, events, notices
from ..actors import Actor
from ..errors import Conflict, PermissionDenied, ValidationError
from ..store import outbox, requests, timeline, watchers
from ..store import unit as store
from .access import acting_for, in_region, may_manage_watchers, visible
from .reactions import Later, transaction
from ..views import person_view
from .reads import view_later


def watch(desk: Any, ref: str, *, actor: Actor, add: str | None = None, remove: str | None = None) -> dict[str, Any]:
    """Add ``add`` as a watcher of ``ref``, or take ``remove`` off, by the
    requester, the owner or the lead (a restricted request's requester alone);
    a watcher may take themself off. Adding a watcher twice, or removing
    someone who does not watch, changes nothing. Returns the request as the
    actor sees it, with ``watcher`` (who was added or removed) and ``changed``."""
    if (add is None) == (remove is None):
        raise ValidationError("say whom to add (--add EMAIL) or remove (--remove EMAIL), one at a time")

    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        req, team, rtype = visible(u, ref, person)
        other = org.person(add or remove)
        himself = remove is not None and other.id == person.id
        if not (himself or may_manage_watchers(req, team, person, rtype)):
            who = ("the person who raised it" if rtype is None or rtype.restricted else
                   f"the person who raised it, the owner ({org.people[req.owner_id].name}) or the lead of {team.name}")
            raise PermissionDenied(f"only {who} can {'add' if add else 'remove'} watchers of {req.ref}"
                                   + ("; a watcher can remove only themself" if remove else ""))
        if add is not None:
            if other.id == req.requester_id:
                raise ValidationError(f"{other.name} raised {req.ref} and hears everything about it already")
            if req.status == domain.CLOSED:
                raise Conflict(f"{req.ref} is closed; there is nothing more to follow")
            changed = watchers.add(u, req.id, other.id, by=person.id)
            event: events.Event = events.WatcherAdded(watcher=other.email)
            note = f"{person.name} added {other.name} as a watcher"
        else:
            changed = watchers.remove(u, req.id, other.id)
            event = events.WatcherRemoved(watcher=other.email)
            note = (f"{person.name} stopped watching" if himself
                    else f"{person.name} removed {other.name} as a watcher")
        entries = timeline.of(u, req.id)
        if changed:
            entry = timeline.Entry(req.id, u.now, event, actor_id=person.id, note=note)
            timeline.append(u, entry)
            entries.append(entry)
            if add is not None and other.id != person.id:
                outbox.put(u, other.id, req.id, notices.NowWatching(
                    ref=req.ref, title=req.title, by=person.name, requester=org.people[req.requester_id].name))
            req.updated_at = u.now
            requests.update(u, req)  # a change to the request: one made at the same moment is caught
        later = view_later(u, req, team, rtype, person, entries=entries)
        return Later(lambda: {**later.draw(), "changed": changed, "watcher": person_view(other)})

    return transaction(desk, work)


def me_too(desk: Any, ref: str, *, actor: Actor, on_behalf_of: str | None = None) -> dict[str, Any]:
    """``actor``, at the request's site (or its region, for a site-wide
    fault: ``RequestType.site_wide``), says the problem affects them too:
    they watch it from now (the requester's view and notifications), marked
    affected, and its owner is told. ``on_behalf_of``: a caller at that site
    a support team's member says it for (:func:`.access.acting_for`), who is
    told they are on it. Joining twice changes nothing, by its nature (the
    row is the claim), so it takes no idempotency key: a double click joins
    once. Returns the request as the one affected sees it, with ``changed``
    and ``affects`` (the requester and everyone who joined)."""
    def work(u: store.Unit) -> Later:
        org = u.directory
        person = u.person(actor)
        affected = acting_for(org, person, on_behalf_of, "join a request")
        req, team, rtype = visible(u, ref, affected)
        you, them, own = ("you", "you", "your") if affected is person else (affected.name, "them", "their")
        if rtype is None or rtype.restricted:
            raise PermissionDenied(f"{req.ref} is a private case of its requester's; raise a request of {own} own")
        if req.requester_id == affected.id:
            raise ValidationError(f"{you} raised {req.ref}; it counts {them} already")
        if affected.site_id != req.site_id and not (rtype.site_wide and in_region(org, req, affected)):
            where = f"in the {org.sites[req.site_id].region} region" if rtype.site_wide \
                else f"at {org.sites[req.site_id].name}"
            raise PermissionDenied(f"only colleagues {where} can join {req.ref}; "
                                   f"raise a request of {own} own for {own} site")
        if req.status not in domain.ACTIVE:
            raise Conflict(f"{req.ref} is {req.status}; raise a new request if the problem is back")
        changed = watchers.join(u, req.id, affected.id)
        entries = timeline.of(u, req.id)
        if changed:
            affects = watchers.affects(u, [req.id])[req.id]
            said = "" if affected is person else f" ({person.name} said so for them)"
            entry = timeline.Entry(req.id, u.now, events.MeToo(person=affected.email, affects=affects),
                                   actor_id=person.id, note=f"{affected.name} is affected too{said}")
            timeline.append(u, entry)
            entries.append(entry)
            if req.owner_id != person.id:
                outbox.put(u, req.owner_id, req.id, notices.MeToo(ref=req.ref, title=req.title,
                                                                    person=affected.name, affects=affects))
            if affected is not person:
                outbox.put(u, affected.id, req.id, notices.NowWatching(
                    ref=req.ref, title=req.title, by=person.name, requester=org.people[req.requester_id].name))
            req.updated_at = u.now
            requests.update(u, req)  # a change to the request: one made at the same moment is caught
        later = view_later(u, req, team, rtype, affected, entries=entries)
        return Later(lambda: {**later.draw(), "changed": changed})

    return transaction(desk, work)
