"""What can happen to a request: one frozen dataclass per kind of timeline event.

Each class names the kind stored in ``event.kind``, the label people read
(the UI's timeline, the CLI), and the fields stored in ``event.data``. The
service builds these, the timeline stores and reads them, the views label
them, service health measures them (``measured``, below) and plugins receive
them (``EventSnapshot.event``). Nothing else writes an event's JSON.

A field's stored key is its name, unless it is declared with
``stored_as("from")`` (``from`` is a Python keyword). A field whose default is
``None`` is left out of the stored JSON while it is ``None``. Datetimes and
dates are stored as ISO 8601 text.

Service health counts the kinds marked ``measured=True``: a row of ``measure``
per event, its columns filled from the fields declared with
``measure("column")``. The database triggers that keep ``measure`` are
generated from these declarations (:mod:`ownit.store.derived`), so a renamed
field is renamed there too; the stored JSON of past events keeps its keys,
which ``tests/test_events.py`` checks every kind can still read.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from .frozen import frozen

E = TypeVar("E", bound="Event")

KINDS: dict[str, type["Event"]] = {}  # kind -> its class, in declaration order


def stored_as(key: str, **kwargs: Any) -> Any:
    """A field stored under ``key`` in the event's JSON rather than its own name."""
    return field(metadata={"key": key}, **kwargs)


def measure(column: str, **kwargs: Any) -> Any:
    """A field service health counts: copied into ``measure.<column>``."""
    return field(metadata={"measure": column}, **kwargs)


@frozen
class Event:
    """The base of every event kind. ``kind`` and ``label`` are class-level."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    measured: ClassVar[bool] = False

    def data(self) -> dict[str, Any]:
        """The JSON stored in ``event.data``."""
        stored: dict[str, Any] = {}
        for spec in _specs(type(self)):
            value = getattr(self, spec.name)
            if value is None and spec.omitted_when_none:
                continue
            stored[spec.key] = value.isoformat() if isinstance(value, (datetime, date)) else value
        return stored

    @classmethod
    def from_data(cls: type[E], data: dict[str, Any]) -> E:
        """The event from its stored JSON (missing optional keys take their defaults)."""
        values = {}
        for spec in _specs(cls):
            if spec.key in data:
                values[spec.name] = spec.load(data[spec.key])
            elif not spec.required:
                continue
            else:
                raise KeyError(f"a stored {cls.kind!r} event has no {spec.key!r}")
        return cls(**values)


def kind(name: str, label: str, *, measured: bool = False) -> Any:
    """Declare an event class: its stored kind, its label, whether it is measured."""
    def declare(cls: type[E]) -> type[E]:
        if name in KINDS:
            raise ValueError(f"event kind {name!r} is declared twice ({KINDS[name].__name__}, {cls.__name__})")
        cls.kind, cls.label, cls.measured = name, label, measured
        KINDS[name] = cls
        return cls

    return declare


@frozen
class _Spec:
    name: str
    key: str
    required: bool
    omitted_when_none: bool
    measure: str | None
    load: Any


_SPECS: dict[type, tuple[_Spec, ...]] = {}


def _specs(cls: type) -> tuple[_Spec, ...]:
    found = _SPECS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _SPECS[cls] = tuple(
            _Spec(name=f.name, key=f.metadata.get("key", f.name),
                  required=f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                  omitted_when_none=f.default is None, measure=f.metadata.get("measure"),
                  load=_loader(hints[f.name]))
            for f in dataclasses.fields(cls))
    return found


def _loader(hint: Any) -> Any:
    """How a stored JSON value becomes the field's value (ISO text to a datetime or date)."""
    types = set(typing.get_args(hint)) or {hint}
    if datetime in types:
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if date in types:
        return lambda value: None if value is None else date.fromisoformat(value)
    return lambda value: value


def measures(cls: type[Event]) -> dict[str, str]:
    """``{measure column: stored JSON key}`` for a measured kind."""
    return {spec.measure: spec.key for spec in _specs(cls) if spec.measure}


def load(kind_name: str, data: dict[str, Any]) -> Event:
    """The stored event of ``kind_name`` as its class; an :class:`Unknown`,
    kept as stored, for a kind this OwnIt does not declare (written by a newer
    version, say) or JSON its class cannot read (a hand-made row): a timeline
    always shows."""
    cls = KINDS.get(kind_name)
    if cls is not None:
        try:
            return cls.from_data(data)
        except (KeyError, TypeError, ValueError):
            pass
    return Unknown(stored_kind=kind_name, stored=dict(data))


def label(kind_name: str) -> str:
    cls = KINDS.get(kind_name)
    return cls.label if cls else kind_name.replace("_", " ")


def hours(span: timedelta) -> float:
    """A span as the hours an event records, to the second."""
    return round(span.total_seconds() / 3600, 3)


# --- the kinds, in the order a request usually meets them ------------------------------------------


@kind("raised", "raised")
@frozen
class Raised(Event):
    """The requester raised it, or someone on a support team raised it for
    them (the entry's actor). The note is its title."""

    priority: str
    request_type: str


@kind("assigned", "assigned")
@frozen
class Assigned(Event):
    """OwnIt gave it its first owner, and says why that person."""

    owner: str  # email
    team: str  # team key
    reason: str


@kind("contacted", "first contact", measured=True)
@frozen
class Contacted(Event):
    """The owner's first contact with the requester."""

    on_time: bool = measure("on_time")
    business_hours: float = measure("hours")  # from raising, in the team's business time

    @classmethod
    def made(cls, req: Any, calendar: Any, now: datetime) -> "Contacted":
        """The first contact with ``req`` made at ``now``, in the ``calendar`` its promises count on."""
        return cls(on_time=now <= req.first_contact_due, business_hours=hours(calendar.between(req.raised_at, now)))


@kind("agreed", "date agreed")
@frozen
class Agreed(Event):
    """At first contact, a date agreed with a requester who needs it sooner than the standard."""

    needed_by: date | None
    agreed_by: date
    previous_resolve_by: datetime
    resolve_by: datetime


@kind("checkin", "check-in", measured=True)
@frozen
class CheckedIn(Event):
    """A check-in with the requester."""

    on_time: bool = measure("on_time")


@kind("stage", "moved on")
@frozen
class MovedOn(Event):
    """The request moved to a later stage (stage keys)."""

    from_stage: str = stored_as("from")
    to_stage: str = stored_as("to")


@kind("answers_changed", "answers changed")
@frozen
class AnswersChanged(Event):
    """The requester or the team changed answers to the form after the raise:
    each changed question's key and its answers before and after (``None``:
    not answered). The entry's note says it in the form's words."""

    changes: dict[str, list[Any]]


@kind("priority_changed", "priority changed")
@frozen
class PriorityChanged(Event):
    """Changed answers gave the request another priority by its department's
    rule (``ownit_priority``); its promise was worked out again for it."""

    from_priority: str = stored_as("from")
    to_priority: str = stored_as("to")
    resolve_by: datetime


@kind("working_with", "working with a contractor")
@frozen
class WorkingWith(Event):
    """An outside contractor is doing the work (or part of it), booked by the
    team; the request's owner still owns it. A later one from the same
    ``company`` replaces it; ``done`` says the contractor is no longer on it."""

    company: str
    name: str = ""  # the person coming, when known
    phone: str | None = None
    booked_for: datetime | None = None  # when they are booked to come
    done: bool | None = None


@kind("waiting", "waiting on the requester")
@frozen
class Waiting(Event):
    """The owner needs something from the requester (the note says what); the promise clock stops."""


@kind("resumed", "resumed")
@frozen
class Resumed(Event):
    """Back to work after waiting; the promises moved on by the time paused."""

    paused_hours: float


@kind("handoff", "handed over")
@frozen
class HandedOff(Event):
    """The owner gave it to a colleague, or OwnIt did because the owner is away (emails)."""

    from_owner: str = stored_as("from")
    to_owner: str = stored_as("to")
    reason: str | None = None  # "away" when OwnIt moved it


@kind("reassigned", "reassigned")
@frozen
class Reassigned(Event):
    """The team's lead (or an admin) gave it to someone else (emails)."""

    from_owner: str = stored_as("from")
    to_owner: str = stored_as("to")


@kind("resolved", "resolved", measured=True)
@frozen
class Resolved(Event):
    """The work is done; the requester confirms or reopens. Measured once, in the team's business time."""

    from_stage: str  # where it was, so a reopening can return there
    on_time: bool = measure("on_time")  # by the promised (or agreed) date
    business_hours: float = measure("hours")
    business_days: float = measure("days")
    waiting_hours: float = measure("waiting_hours")
    checkin_missed: bool = measure("checkin_missed")


@kind("confirmed", "confirmed")
@frozen
class Confirmed(Event):
    """The requester confirmed the fix (closing it), with their rating if they gave one."""

    nps: int | None
    effort: int | None


@kind("reopened", "reopened", measured=True)
@frozen
class Reopened(Event):
    """The fix did not hold; back to work with a new resolve target."""

    resolve_by: datetime


@kind("closed", "closed")
@frozen
class Closed(Event):
    """OwnIt closed a resolved request nobody confirmed."""


@kind("rated", "rated")
@frozen
class Rated(Event):
    """The requester rated the service through the rating link of a mail, without
    signing in (the comment is the note); one rating per resolution."""

    nps: int | None
    effort: int | None


@kind("escalated", "escalated")
@frozen
class Escalated(Event):
    """A promise went unkept past the grace period; the lead was told."""

    promise: str  # first_contact, checkin or resolve
    due: datetime
    lead: str  # email


@kind("note", "note")
@frozen
class Noted(Event):
    """A note on the timeline (the note itself); internal ones only the team sees."""


@kind("attached", "file attached")
@frozen
class Attached(Event):
    """A photo or file added to the request (the note is its name); an internal one only the team sees.
    ``sha256`` is its key in the file store, ``thumbnail`` a photo's thumbnail's."""

    attachment: int  # attachment.id
    name: str
    content_type: str
    size: int  # bytes
    sha256: str
    thumbnail: str | None = None
    field: str | None = None  # the photo or file question of the form it answers (a key), if one


@kind("watcher_added", "watcher added")
@frozen
class WatcherAdded(Event):
    """A colleague now follows the request: they hear what the requester hears (email)."""

    watcher: str


@kind("me_too", "me too")
@frozen
class MeToo(Event):
    """A colleague at the site said the problem affects them too: they now hear
    what the requester hears (email), and the request affects ``affects`` people."""

    person: str
    affects: int


@kind("declared", "incident declared")
@frozen
class Declared(Event):
    """The request is an incident affecting ``scope`` (in words), declared from
    the request ``from_request`` (its ref) or raised directly."""

    scope: str
    from_request: str | None = None


@kind("linked", "linked to an incident")
@frozen
class Linked(Event):
    """The request ``request`` became part of the incident ``incident`` (refs);
    on both timelines. The incident's promise stands in for the request's own."""

    incident: str
    request: str


@kind("unlinked", "unlinked from an incident")
@frozen
class Unlinked(Event):
    """The request ``request`` is no longer part of the incident ``incident``
    (refs; the note says why); on both timelines. Its own promise runs again."""

    incident: str
    request: str


@kind("incident_update", "incident update")
@frozen
class IncidentUpdate(Event):
    """The incident ``incident`` the request is part of moved: its owner's
    ``action`` (contact, checkin, advance, handoff), the note what they said,
    ``stage`` its stage's label now."""

    incident: str
    action: str
    stage: str


@kind("incident_resolved", "resolved with its incident")
@frozen
class IncidentResolved(Event):
    """The incident ``incident`` was resolved, and the request with it; its
    requester confirms or reopens. Not measured: the incident is, once."""

    incident: str
    from_stage: str = stored_as("from")


@kind("watcher_removed", "watcher removed")
@frozen
class WatcherRemoved(Event):
    """A colleague no longer follows the request (email)."""

    watcher: str


@kind("task_asked", "task asked of another team")
@frozen
class TaskAsked(Event):
    """The request's owner asked another department's team (``team``, its
    key) for part of the work: ``what``, needed by ``needed_by``; ``owner``
    (email) owns the task, due by ``due`` (the team's commitment). The
    request keeps its own owner."""

    task: int
    team: str
    owner: str
    what: str
    needed_by: date
    due: datetime


@kind("task_done", "task done")
@frozen
class TaskDone(Event):
    """The task ``task`` asked of ``team`` (its key), ``what``, is done (the note says how)."""

    task: int
    team: str
    what: str


@kind("task_handed_on", "task handed on")
@frozen
class TaskHandedOn(Event):
    """The task ``task`` asked of ``team`` (its key) went from ``from_owner``
    to ``to_owner`` (emails): its owner is away (``reason``)."""

    task: int
    team: str
    from_owner: str
    to_owner: str
    reason: str = "away"


@kind("plugin_error", "plugin error")
@frozen
class PluginFailed(Event):
    """A plugin failed after a change was saved; the change stands (internal)."""


@frozen
class Unknown(Event):
    """An event of a kind this OwnIt does not declare, kept as stored."""

    stored_kind: str
    stored: dict[str, Any]

    def data(self) -> dict[str, Any]:
        return dict(self.stored)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.stored_kind

    @property
    def label(self) -> str:  # type: ignore[override]
        return label(self.stored_kind)


MEASURED = tuple(cls for cls in KINDS.values() if cls.measured)
RESOLUTIONS = (Resolved, IncidentResolved)  # what a reopening returns from, and a rating rates


def reference() -> str:
    """The event kinds as a Markdown table, for docs/writing-a-plugin.md (a test keeps the two equal)."""
    def shown(hint: Any) -> str:
        text = getattr(hint, "__name__", None) or str(hint).replace("datetime.", "").replace("NoneType", "None")
        return text.replace(" | ", " or ")

    lines = ["| kind | class | fields (stored key if another) | what happened |", "|---|---|---|---|"]
    for name, cls in KINDS.items():
        hints = typing.get_type_hints(cls)
        fields = ", ".join(f"`{spec.name}`{f' (`{spec.key}`)' if spec.key != spec.name else ''}: {shown(hints[spec.name])}"
                           + (" *measured*" if spec.measure else "") for spec in _specs(cls)) or "—"
        about = " ".join((cls.__doc__ or "").split())
        lines.append(f"| `{name}` | `{cls.__name__}` | {fields} | {about} |")
    return "\n".join(lines) + "\n"

__all__ = ["Event", "KINDS", "MEASURED", "RESOLUTIONS", "load", "label", "measures", "stored_as", "measure", "Unknown",
           *(cls.__name__ for cls in KINDS.values())]
