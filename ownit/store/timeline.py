"""The timeline: the only code that writes ``event``. Entries are only appended.

An :class:`Entry` is one line of a request's timeline: when, who (a person's
id, or ``None`` for OwnIt itself), the note, whether only the team sees it,
and what happened — an event of :mod:`ownit.events`. Its JSON is the event's
own (:meth:`ownit.events.Event.data`); the measures service health counts are
derived from it by the database (:mod:`ownit.store.derived`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import events
from .sql import Insert, Statement, sa, table
from .unit import Unit

TABLE = table("event")


@dataclass(eq=False, slots=True)
class Entry:
    """``kind`` and ``data`` (the event's JSON) are the event's, worked out
    once: the store, the view and the plugins all read them."""

    request_id: int
    at: datetime
    event: events.Event
    actor_id: int | None = None
    note: str = ""
    internal: bool = False
    data: dict[str, Any] = None  # type: ignore[assignment]
    acting_id: int | None = None  # the admin who acted as the actor (ownit.actors), if one did
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        self.kind = self.event.kind
        if self.data is None:
            self.data = self.event.data()


_APPEND = Insert(TABLE)
_OF = Statement(lambda: sa.select(TABLE.c.request_id, TABLE.c.at, TABLE.c.kind, TABLE.c.actor_id, TABLE.c.note,
                          TABLE.c.data, TABLE.c.internal, TABLE.c.acting_id)
                .where(TABLE.c.request_id == sa.bindparam("request")).order_by(TABLE.c.id))


def append(u: Unit, *entries: Entry) -> None:
    """Add ``entries`` to their requests' timelines, in this unit of work."""
    if u.acting is not None:  # an admin acting as the actor: theirs, and the admin's
        actor_id, admin_id = u.acting
        for e in entries:
            if e.actor_id == actor_id:
                e.acting_id = admin_id
    rows = [{"request_id": e.request_id, "at": e.at, "kind": e.kind, "actor_id": e.actor_id,
             "acting_id": e.acting_id, "note": e.note, "data": e.data, "internal": e.internal} for e in entries]
    if len(rows) == 1:
        u.db.execute(_APPEND, **rows[0])
    else:
        u.db.executemany(_APPEND, rows)
    u.entries.extend(entries)


def of(u: Unit, request_id: int) -> list[Entry]:
    """A request's whole timeline, oldest first."""
    return [Entry(request_id=request_id, at=at, event=events.load(kind, data or {}), actor_id=actor_id,
                  note=note or "", internal=bool(internal), data=data or {}, acting_id=acting_id)
            for _, at, kind, actor_id, note, data, internal, acting_id in u.db.execute(_OF, request=request_id).all()]
