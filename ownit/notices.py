"""What people are told: one frozen dataclass per kind of notification.

A notice carries its content as data — the request, who, what changed, what
is wanted, when (ISO instants with the time zone to show them in) — and lays
itself out for each channel: a subject line, plain text (what the in-app
inbox shows) and HTML with every piece of user text escaped. The outbox
stores the kind, the data and the text (``ownit.store.outbox``); a channel
plugin receives all three (``NotificationSnapshot``) and may lay out its own
email or chat card from ``data``.

The ``kind`` is the inbox's category; two notices of one kind may be meant for
different people (a hand-off tells the new owner and the requester).

What the requester is told is told to a request's watchers and, when they
stand in, the site's deputies too (:mod:`ownit.service.audience`): their copy
names the requester in ``following`` and its text says whose request it is.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from dataclasses import field
from datetime import datetime
from typing import Any, ClassVar

from .frozen import frozen
from zoneinfo import ZoneInfo

NOTICES: dict[str, type["Notice"]] = {}  # class name -> class, to read stored data back
_FIELDS: dict[type, tuple[str, ...]] = {}


def _when(iso: str | None, zone: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") if iso else "—"


def sentence(text: str) -> str:
    """``text`` ending as a sentence: a full stop added unless it already ends
    in one (or ``!``, ``?``, ``…``), so a note followed by more words never
    reads "Fixed and tested.. Please confirm"."""
    text = text.rstrip()
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."


# What each kind is called where people read it: the inbox's heading, a mail's subject, the command line
HEADINGS = {
    "assigned": "new for you", "handoff": "handed over", "reassigned": "reassigned", "resumed": "back with you",
    "confirmed": "confirmed fixed", "reopened": "reopened", "note": "note", "due_soon": "due soon",
    "overdue": "overdue", "escalated": "escalated", "raised": "raised", "contacted": "first contact",
    "incident": "part of an incident", "incident_update": "incident update", "unlinked": "no longer in the incident",
    "checkin": "checked in", "stage": "moved on", "waiting": "waiting on you", "resolved": "resolved",
    "closed": "closed", "watching": "now watching", "me_too": "affects more people",
    "digest": "morning digest", "task": "a task for you", "task_asked": "another team is helping",
    "task_done": "task done", "task_late": "task late", "mystery_invite": "mystery requests: will you take part?",
    "mystery_scenario": "a mystery request to raise", "mystery_form": "mystery form to answer",
    "mystery": "it was a mystery request", "answers": "answers changed", "contractor": "contractor booked",
}


def heading(kind: str) -> str:
    """People's words for a notice's ``kind`` (a kind from a newer OwnIt: its own words, underscores as spaces)."""
    return HEADINGS.get(kind) or kind.replace("_", " ")


@frozen
class Notice:
    """The base of every notice: which request (``ref`` and its title)."""

    kind: ClassVar[str] = ""
    # sent at once even to someone who takes a morning digest: it asks for something soon
    urgent: ClassVar[bool] = False
    # about one request (its subject names it); a digest or an invitation is not: its subject is its own
    about_request: ClassVar[bool] = True

    ref: str
    title: str
    # the requester, in the copy told to a watcher or a deputy of theirs ("" in the requester's own)
    following: str = field(default="", kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        NOTICES[cls.__name__] = cls
        if "text" in cls.__dict__:  # every kind's text says whose request a follower's copy is about
            cls.text = _followed(cls.__dict__["text"])  # type: ignore[method-assign]

    def text(self) -> str:
        """The notice in plain text (the inbox line)."""
        raise NotImplementedError

    def subject(self) -> str:
        """A short subject line: the request and what happened."""
        return f"{self.ref} {self.title}: {heading(self.kind)}"

    def html(self) -> str:
        """The text as HTML, user text escaped (it never becomes markup)."""
        return f"<p>{html.escape(self.text())}</p>"

    def data(self) -> dict[str, Any]:
        """What is stored as the notification's data: the fields (``following``
        only when set), and the notice's name."""
        names = _FIELDS.get(type(self)) or _FIELDS.setdefault(type(self), tuple(
            f.name for f in dataclasses.fields(self) if f.name != "following"))
        stored = {"notice": type(self).__name__, **{name: getattr(self, name) for name in names}}
        if self.following:
            stored["following"] = self.following
        return stored


def _followed(text: Any) -> Any:
    @functools.wraps(text)
    def told(self: Notice) -> str:
        said = text(self)
        return f"{said} (you follow this request of {self.following}'s)" if self.following else said

    return told


def load(data: dict[str, Any]) -> Notice | None:
    """A stored notice back from its data (``None`` for one stored before notices had data)."""
    cls = NOTICES.get(data.get("notice", ""))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


# --- to the owner ---------------------------------------------------------------------------------


@frozen
class Assigned(Notice):
    """A new request is yours; ``raised_by`` names who raised it for the requester (a phone call to the desk)."""

    kind: ClassVar[str] = "assigned"
    urgent: ClassVar[bool] = True
    requester: str
    first_contact_due: str
    zone: str
    raised_by: str = ""

    def text(self) -> str:
        raised = f" (raised by {self.raised_by})" if self.raised_by else ""
        return (f"You own {self.ref} '{self.title}' for {self.requester}{raised}; first contact due "
                f"{_when(self.first_contact_due, self.zone)}")


@frozen
class YoursNow(Notice):
    """A colleague, the lead, or OwnIt (an absence) handed you a request."""

    urgent: ClassVar[bool] = True

    previous: str
    note: str
    reassigned: bool = False  # by the lead or an admin rather than the owner

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "reassigned" if self.reassigned else "handoff"

    def text(self) -> str:
        if self.previous:
            return f"{self.ref} '{self.title}' is yours now, from {self.previous}: {self.note}"
        return f"{self.ref} '{self.title}' is yours now: {self.note}"


@frozen
class BackWithYou(Notice):
    """The requester answered what you were waiting for."""

    kind: ClassVar[str] = "resumed"
    note: str

    def text(self) -> str:
        return f"{self.ref} is back with you: {self.note}"


@frozen
class Confirmed(Notice):
    """The requester confirmed the fix."""

    kind: ClassVar[str] = "confirmed"
    requester: str
    nps: int | None

    def text(self) -> str:
        return f"{self.ref} was confirmed fixed by {self.requester}" + (f" (NPS {self.nps})" if self.nps is not None
                                                                         else "")


@frozen
class Reopened(Notice):
    kind: ClassVar[str] = "reopened"
    by: str
    note: str

    def text(self) -> str:
        return f"{self.ref} was reopened by {self.by}: {self.note}"


@frozen
class AnswersChanged(Notice):
    """Answers to the form changed: told to the owner when the requester
    changes them, to the requester when the team does; with the priority and
    resolve date they brought, when the priority changed."""

    kind: ClassVar[str] = "answers"
    by: str
    changes: str  # in the form's words: "Is it cordoned off? no → yes"
    note: str = ""  # why, if they said
    priority: str = ""  # the new priority; "" when it stayed
    due: str | None = None  # the resolve date it brought (ISO), with the priority
    zone: str = "UTC"

    def text(self) -> str:
        said = f"{self.ref}: {self.by} changed the answers: {self.changes}" + (f" — {self.note}" if self.note else "")
        if not self.priority:
            return said
        return f"{sentence(said)} It is now {self.priority} priority: resolve by {_when(self.due, self.zone)}."


@frozen
class Contractor(Notice):
    """An outside contractor is booked for the request, or no longer on it;
    the owner still owns it."""

    kind: ClassVar[str] = "contractor"
    owner: str
    company: str
    name: str = ""
    booked_for: str | None = None  # ISO
    zone: str = "UTC"
    done: bool = False

    def text(self) -> str:
        who = f"{self.company} ({self.name})" if self.name else self.company
        if self.done:
            return f"{self.ref}: {who} is no longer working on it; {self.owner} still owns it"
        when = f" for {_when(self.booked_for, self.zone)}" if self.booked_for else ""
        return f"{self.ref}: {who} is booked{when}; {self.owner} still owns it and is your contact"


@frozen
class RequesterNote(Notice):
    """The requester added a note."""

    kind: ClassVar[str] = "note"
    note: str

    def text(self) -> str:
        return f"{self.ref}: note from the requester: {self.note}"


@frozen
class DueSoon(Notice):
    """A promise of yours falls due within the nudge window."""

    kind: ClassVar[str] = "due_soon"
    urgent: ClassVar[bool] = True
    promise: str  # first_contact, checkin, resolve
    what: str  # "first contact" ...
    due: str
    zone: str

    def text(self) -> str:
        return f"{self.ref}: {self.what} due by {_when(self.due, self.zone)}"


@frozen
class Overdue(Notice):
    kind: ClassVar[str] = "overdue"
    urgent: ClassVar[bool] = True
    promise: str
    what: str
    due: str
    zone: str

    def text(self) -> str:
        return f"{self.ref}: {self.what} was due {_when(self.due, self.zone)} and is overdue"


# --- to the lead ----------------------------------------------------------------------------------


@frozen
class Escalated(Notice):
    """An owner's promise is overdue past the grace period."""

    kind: ClassVar[str] = "escalated"
    urgent: ClassVar[bool] = True
    owner: str
    promise: str
    what: str
    due: str
    zone: str

    def text(self) -> str:
        return (f"{self.ref} '{self.title}': {self.owner}'s {self.what} was due {_when(self.due, self.zone)} "
                "and is overdue")


# --- to the requester ----------------------------------------------------------------------------


@frozen
class Received(Notice):
    """The request is raised: who owns it, and the first promise to the
    requester; ``raised_by`` names who raised it for them (a phone call to the desk)."""

    kind: ClassVar[str] = "raised"
    owner: str
    team: str
    first_contact_due: str
    zone: str
    raised_by: str = ""
    your_part: str = ""  # what the requester is to do now, at the first stage ("keep people away from it")

    def text(self) -> str:
        raised = (f"{self.raised_by} raised {self.ref} for {self.following or 'you'}: '{self.title}';"
                  if self.raised_by else f"{self.ref} '{self.title}' is raised:")
        by = _when(self.first_contact_due, self.zone)
        said = f"{raised} {self.owner} ({self.team}) owns it and will contact you by {by}"
        return f"{sentence(said)} Your part now: {sentence(self.your_part)}" if self.your_part else said


@frozen
class Contacted(Notice):
    kind: ClassVar[str] = "contacted"
    owner: str
    note: str
    agreed_by: str | None = None

    def text(self) -> str:
        said = f"{self.ref}: {self.owner} contacted you: {self.note}"
        return f"{sentence(said)} Agreed date: {self.agreed_by}." if self.agreed_by else said


@frozen
class CheckIn(Notice):
    kind: ClassVar[str] = "checkin"
    owner: str
    note: str

    def text(self) -> str:
        return f"{self.ref}: check-in from {self.owner}: {self.note}"


@frozen
class NowAt(Notice):
    """The request moved on a stage, and what the requester is to do there."""

    kind: ClassVar[str] = "stage"
    stage: str
    label: str
    your_part: str

    def text(self) -> str:
        moved = f"{self.ref} moved on to '{self.label}'."
        return f"{moved} Your part: {sentence(self.your_part)}" if self.your_part else moved


@frozen
class NeedsYou(Notice):
    """The owner is waiting on the requester."""

    kind: ClassVar[str] = "waiting"
    urgent: ClassVar[bool] = True
    owner: str
    note: str

    def text(self) -> str:
        return f"{self.ref}: {self.owner} needs something from you: {self.note}"


@frozen
class NewOwner(Notice):
    """Someone else owns the requester's request now."""

    owner: str
    away: str = ""  # the previous owner, when they are away
    reassigned: bool = False

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "reassigned" if self.reassigned else "handoff"

    def text(self) -> str:
        if self.away:
            return f"{self.ref}: {self.owner} now owns your request while {self.away} is away"
        return f"{self.ref}: {self.owner} now owns your request and will keep you informed"


@frozen
class Resolved(Notice):
    kind: ClassVar[str] = "resolved"
    owner: str
    note: str

    def text(self) -> str:
        return (f"{sentence(f'{self.ref}: {self.owner} has resolved it: {self.note}')} "
                "Please confirm the fix, or reopen it if it is not right.")


@frozen
class TeamNote(Notice):
    """A note from the team (or OwnIt) the requester may read."""

    kind: ClassVar[str] = "note"
    note: str

    def text(self) -> str:
        return f"{self.ref}: {self.note}"


@frozen
class Late(Notice):
    """A promise to the requester is late and the lead has been told."""

    kind: ClassVar[str] = "escalated"
    what: str
    due: str
    zone: str
    lead: str
    team: str

    def text(self) -> str:
        return (f"{self.ref}: the {self.what} promised by {_when(self.due, self.zone)} is late; we have told "
                f"{self.lead}, who leads {self.team}")


@frozen
class ClosedQuietly(Notice):
    """Resolved, nobody confirmed, and the quiet spell is over."""

    kind: ClassVar[str] = "closed"

    def text(self) -> str:
        return f"{self.ref} was closed: it was resolved and we heard nothing back. Reopen it if it is not fixed."


# --- to a watcher ----------------------------------------------------------------------------------


@frozen
class NowWatching(Notice):
    """Someone added you as a watcher of a request: you hear what its requester hears."""

    kind: ClassVar[str] = "watching"
    by: str
    requester: str

    def text(self) -> str:
        return (f"{self.by} added you as a watcher of {self.ref} '{self.title}': you will hear what "
                f"{self.requester} hears about it")


@frozen
class MeToo(Notice):
    """To the owner: a colleague at the site said the problem affects them too."""

    kind: ClassVar[str] = "me_too"
    person: str
    affects: int

    def text(self) -> str:
        return f"{self.person} is affected too by {self.ref} '{self.title}': it affects {self.affects} people now"


# --- incidents: to the requesters and owners of the requests linked to one ----------------------------


@frozen
class PartOfIncident(Notice):
    """The request is now part of an incident: who owns the incident, and
    when its next update is due."""

    kind: ClassVar[str] = "incident"
    incident: str
    about: str  # the incident's title
    owner: str
    next_update: str | None
    zone: str

    def text(self) -> str:
        return (f"{self.ref} '{self.title}' is now part of incident {self.incident} '{self.about}': {self.owner} "
                f"owns it and will update you by {_when(self.next_update, self.zone)}")


@frozen
class IncidentNews(Notice):
    """The incident a request is part of moved: what its owner said, its stage
    now and its next update (``resolved``: it is fixed, and the request with it)."""

    kind: ClassVar[str] = "incident_update"
    incident: str
    about: str
    owner: str
    note: str
    stage: str
    next_update: str | None
    zone: str

    def text(self) -> str:
        said = sentence(f"{self.ref}: update on incident {self.incident} '{self.about}' from {self.owner}: "
                        f"{self.note}")
        if self.next_update is None:
            return f"{said} Now: {self.stage}."
        return f"{said} Now: {self.stage}; next update by {_when(self.next_update, self.zone)}."


@frozen
class NoLongerPart(Notice):
    """The request is no longer part of the incident: its own owner and promise carry on."""

    kind: ClassVar[str] = "unlinked"
    incident: str
    by: str
    note: str

    def text(self) -> str:
        return (f"{self.ref} '{self.title}' is no longer part of incident {self.incident} ({self.by}: "
                f"{self.note}); its own owner carries on with it")


# --- tasks: part of a request another department's team was asked to do ----------------------------------


@frozen
class TaskForYou(Notice):
    """To the task's owner: another department's request needs part of its
    work from your team, which you own, due by the team's commitment."""

    kind: ClassVar[str] = "task"
    urgent: ClassVar[bool] = True
    what: str
    asked_by: str
    needed_by: str  # the asker's date, in words
    due: str
    zone: str
    away: str = ""  # handed on from its owner, away (ownit.service.absence)

    def text(self) -> str:
        if self.away:
            return (f"{self.away} is away: their task for {self.ref} '{self.title}' is yours now: {self.what} "
                    f"(needed by {self.needed_by}); due by {_when(self.due, self.zone)}")
        return (f"{self.asked_by} asks you, for {self.ref} '{self.title}': {self.what} (needed by "
                f"{self.needed_by}); due by {_when(self.due, self.zone)}")


@frozen
class TaskAsked(Notice):
    """To the requester: another team is doing part of their request, by when."""

    kind: ClassVar[str] = "task_asked"
    team: str
    what: str
    due: str
    zone: str

    def text(self) -> str:
        return f"{self.ref} '{self.title}': {self.team} is doing part of it: {self.what}, by {_when(self.due, self.zone)}"


@frozen
class TaskDone(Notice):
    """To the request's owner: the task another team was asked for is done."""

    kind: ClassVar[str] = "task_done"
    team: str
    what: str
    by: str
    note: str

    def text(self) -> str:
        return f"{self.ref} '{self.title}': {self.team} did its part ({self.what}); {self.by} says: {self.note}"


@frozen
class TaskLate(Notice):
    """A task is past its due time: to its owner (``yours``), and to the
    request's owner, who is waiting on it."""

    kind: ClassVar[str] = "task_late"
    urgent: ClassVar[bool] = True
    team: str
    owner: str
    what: str
    due: str
    zone: str
    yours: bool = False

    def text(self) -> str:
        whose = "your task" if self.yours else f"{self.team}'s task ({self.owner})"
        return (f"{self.ref} '{self.title}': {whose} was due {_when(self.due, self.zone)} and is late: "
                f"{self.what}")


# --- mystery requests (ownit.service.mystery): to the store manager taking part, and at the reveal --------------


@frozen
class MysteryInvite(Notice):
    """To a store manager nominated for a team's mystery programme: would they
    take part? Not about one request: ``ref`` is empty, ``title`` names the team."""

    kind: ClassVar[str] = "mystery_invite"
    about_request: ClassVar[bool] = False
    lead: str
    per_month: int

    def subject(self) -> str:
        return f"{self.title}: would you raise mystery requests?"

    def text(self) -> str:
        return (f"{self.lead} asks you to raise mystery requests for {self.title} (up to {self.per_month} a month): "
                f"realistic requests, worked like any other, to test the service you get. Agree on the "
                f"Mystery requests page or with 'ownit mystery agree'")


@frozen
class MysteryScenario(Notice):
    """To the store manager taking part: a scenario to raise, by when. ``ref``
    is empty until it is raised; ``title`` names the team."""

    kind: ClassVar[str] = "mystery_scenario"
    about_request: ClassVar[bool] = False
    mystery: int
    request_type: str
    scenario: str
    raise_by: str  # in words

    def subject(self) -> str:
        return f"{self.title}: a mystery request to raise by {self.raise_by}"

    def text(self) -> str:
        return (f"Please raise mystery request {self.mystery} for {self.title} by {self.raise_by}, as a "
                f"'{self.request_type}', in your own words: {sentence(self.scenario)} Choose it on the raise page "
                f"('This is mystery request {self.mystery}') and tell nobody in the team")


@frozen
class MysteryForm(Notice):
    """To the store manager who raised a mystery request, once it is closed: the short form."""

    kind: ClassVar[str] = "mystery_form"
    mystery: int

    def text(self) -> str:
        return (f"{self.ref} '{self.title}' is closed: please answer the mystery form for it (mystery request "
                f"{self.mystery}) on the Mystery requests page or with 'ownit mystery answer {self.mystery}'")


@frozen
class MysteryRevealed(Notice):
    """The reveal, to the owner at its close and the team's lead: the request
    was a mystery request, its score, and the lead's note when there is one."""

    kind: ClassVar[str] = "mystery"
    score: float
    note: str = ""
    yours: bool = True

    def text(self) -> str:
        whose = "your request" if self.yours else "this request"
        said = f" The lead's note: {sentence(self.note)}" if self.note else ""
        return (f"{self.ref} '{self.title}' was a mystery request, raised to test the service; {whose} scored "
                f"{self.score:g} out of 100.{said} It is for coaching: see it on the Mystery requests page")


# --- a digest --------------------------------------------------------------------------------------------


@frozen
class Digest(Notice):
    """Someone's morning digest: what needs them today, in sections of one
    line each (``[{"title": ..., "lines": [...]}]``), and what was held for
    it. Not about one request: ``ref`` is empty, ``title`` names the day."""

    kind: ClassVar[str] = "digest"
    about_request: ClassVar[bool] = False
    urgent: ClassVar[bool] = True  # it is the digest: never held for the next one

    sections: list = dataclasses.field(default_factory=list)

    def subject(self) -> str:
        return self.title

    def text(self) -> str:
        counts = ", ".join(f"{len(s['lines'])} {s['title'].lower()}" for s in self.sections)
        return f"{self.title}: {counts}" if counts else self.title

    def html(self) -> str:
        parts = [f"<p>{html.escape(self.title)}</p>"]
        for section in self.sections:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in section["lines"])
            parts.append(f"<h3>{html.escape(section['title'])}</h3><ul>{items}</ul>")
        return "\n".join(parts)


# --- what a channel says besides the text ---------------------------------------------------------------


def when_in_full(iso: Any, zone: Any) -> str:
    """An instant as the recipient's team reads it, for a channel's message:
    ``Mon 23 Nov 2026 14:00 (Europe/London)`` (the value as given when it is not one)."""
    try:
        return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M") + f" ({zone})"
    except (TypeError, ValueError, KeyError, LookupError):
        return str(iso)


_NEEDED: dict[str, Any] = {
    "Assigned": lambda d: f"Contact {d.get('requester') or 'the requester'} by "
                          f"{when_in_full(d.get('first_contact_due'), d.get('zone'))}.",
    "DueSoon": lambda d: f"The {d.get('what') or 'promise'} by {when_in_full(d.get('due'), d.get('zone'))}.",
    "Overdue": lambda d: f"The {d.get('what') or 'promise'}: it is overdue.",
    "Escalated": lambda d: f"See that {d.get('owner') or 'the owner'}'s {d.get('what') or 'promise'} happens: "
                           "it is overdue.",
    "NeedsYou": lambda d: str(d.get("note") or ""),
    "NowAt": lambda d: sentence(str(d.get("your_part") or "")),
    "Received": lambda d: sentence(str(d.get("your_part") or "")),
    "Resolved": lambda d: "Confirm the fix, or reopen the request if it is not right.",
    "TaskForYou": lambda d: f"Do it by {when_in_full(d.get('due'), d.get('zone'))}, then mark it done.",
    "TaskLate": lambda d: "Finish the task and mark it done." if d.get("yours") else "",
    "ClosedQuietly": lambda d: "Nothing, unless it is not fixed: then reopen it.",
}


def needed_from_you(data: dict[str, Any]) -> str:
    """What the recipient of a notice (its stored ``data``) is asked to do, as
    one sentence of plain text (user text unescaped), or ``""`` when nothing is."""
    said = _NEEDED.get(data.get("notice", ""))
    return " ".join(said(data).split()) if said else ""
