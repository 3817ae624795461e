"""Who hears what the requester hears: the one place every requester notice
goes through (:func:`tell_requester`).

- the requester;
- the request's watchers (:mod:`ownit.store.watchers`), always;
- the deputies of the request's site (the org file's ``deputies``) when the
  request is marked for the site, or when the requester is away at the
  moment of the notice — never for a restricted request type (an HR
  relations case), which is the requester's and the team's alone.

Each hears it as a notification of their own in the outbox, so their channels
and preferences apply; a follower's copy names the requester
(``Notice.following``). Nobody is told what they did themselves, and nobody
twice.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..store import directory, outbox, watchers
from ..store.sql import Statement, sa, table
from ..store.unit import Unit

if TYPE_CHECKING:
    from ..notices import Notice

_P = table("person")
_ABSENCE = Statement(lambda: sa.select(_P.c.away_from, _P.c.away_until).where(_P.c.id == sa.bindparam("person")))


def restricted(u: Unit, req: Any) -> bool:
    """A type only its requester and team may know of (or one whose plugin is gone, which may have been)."""
    rtype = u.desk.plugins.request_types.get(req.request_type) if u.desk is not None else None
    return rtype is None or rtype.restricted


def deputies_hear(u: Unit, req: Any) -> tuple[int, ...]:
    """The site's deputies, when they stand in for the requester now: the
    request is marked for the site, or the requester is away."""
    deputies = u.directory.sites[req.site_id].deputies
    if not deputies or restricted(u, req):
        return ()
    if req.for_site:
        return deputies
    away = u.db.execute(_ABSENCE, person=req.requester_id).first()
    return deputies if away and directory.away_at(away[0], away[1], u.now) else ()


def followers(u: Unit, req: Any, *, new: bool = False) -> list[int]:
    """Everyone but the requester who hears what they hear about ``req``, in
    order: its watchers (none yet on a ``new`` request), then the deputies
    standing in."""
    found = [] if new else watchers.of(u, req.id)
    found += [d for d in deputies_hear(u, req) if d not in found]
    return [person_id for person_id in found if person_id != req.requester_id]


def tell_requester(u: Unit, req: Any, notice: Notice, *, skip: int | None = None,
                   dedupe_key: str | None = None, new: bool = False, told: set[int] | None = None) -> bool:
    """Tell the requester ``notice``, and everyone who hears what they hear
    (:func:`followers`), but not ``skip`` (who did it). With a
    ``dedupe_key``, each only once ever; with ``told`` (the people told so far
    of one change to many requests, an incident's update), each once across
    them, and those told are added. Returns whether the requester's was new."""
    told = set() if told is None else told
    said = False
    if req.requester_id != skip and req.requester_id not in told:
        said = outbox.put(u, req.requester_id, req.id, notice, dedupe_key=dedupe_key)
        told.add(req.requester_id)
    others = [p for p in followers(u, req, new=new) if p != skip and p not in told]
    if others:
        copy = dataclasses.replace(notice, following=u.directory.people[req.requester_id].name)
        for person_id in others:
            outbox.put(u, person_id, req.id, copy, dedupe_key=f"{dedupe_key}:{person_id}" if dedupe_key else None)
            told.add(person_id)
    return said
