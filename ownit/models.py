"""The tables. Datetimes are stored in UTC and always come back timezone-aware.

The schema is created and changed only by the Alembic migrations in
``ownit/migrations``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .store.sql import KINDS


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, straight to the text SQLAlchemy's ``DateTime`` stores
        (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) in one step: a raise binds a dozen.
        The same function binds it without SQLAlchemy (:data:`ownit.store.sql.KINDS`)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return KINDS["when"]["sqlite"][0]

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """On SQLite, the stored text straight to an aware UTC datetime (the
        standard library's parser, not a regular expression)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return KINDS["when"]["sqlite"][1]


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Site(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=64)
    timezone: str = Field(max_length=64, default="UTC")
    country: Optional[str] = Field(default=None, max_length=8)
    subdivision: Optional[str] = Field(default=None, max_length=16)
    # who hears what the site's requesters hear when a requester is away or a request is marked for the
    # site (the deputy manager, the area manager): person ids, from the org file's ``deputies``
    deputies: list[int] = Field(default_factory=list, sa_type=sa.JSON)


class Person(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=64)
    site_id: Optional[int] = Field(default=None, foreign_key="site.id")
    roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    login: Optional[str] = Field(default=None, max_length=64, unique=True)  # the OS account (OWNIT_CLI_IDENTITY=os)
    chat: str = Field(default="", max_length=2000)  # where they hear by chat: Apprise URLs, space-separated
    notify: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # ownit.preferences.Preferences
    away_from: Optional[datetime] = _when()
    away_until: Optional[datetime] = _when()
    # kept by database triggers on ``request`` (ownit/store/derived.py); never written by OwnIt's code, and
    # read with a query of its own, since a row already loaded does not see a trigger's change
    open_requests: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Team(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    department: str = Field(max_length=64, index=True)
    regions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    lead_id: int = Field(foreign_key="person.id")
    calendar: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    chat: str = Field(default="", max_length=2000)  # the team's channel: Apprise URLs, space-separated


class NamedCalendar(SQLModel, table=True):
    """A ``[[calendar]]`` of the org file: working hours a request type may
    follow instead of its team's (``RequestType.calendar``), stored as a team's
    ``calendar`` is (``BusinessCalendar.to_dict``)."""

    __tablename__ = "calendar"

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    __table_args__ = (sa.UniqueConstraint("team_id", "person_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    skills: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    covers: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # site codes or regions they look after
    capacity: int = Field(default=20)
    last_assigned_at: Optional[datetime] = _when()


class Charter(SQLModel, table=True):
    """One version of a team's charter (``ownit.charters``): what it agreed
    with the stores. Loading a changed charter adds a version; none is ever
    changed, and each request keeps the one its promise was made under."""

    __table_args__ = (sa.UniqueConstraint("team_id", "version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    version: int
    agreed_on: date
    review_by: date
    body: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # ownit.charters.Charter.as_dict
    loaded_at: datetime = _when(nullable=False)


_version = sa.Column("version", sa.Integer, nullable=False)


class Request(SQLModel, table=True):
    """A request. ``owner_id`` is NOT NULL: there is always one named owner."""

    __table_args__ = (
        sa.Index("ix_request_owner_queue", "owner_id", "status", "next_due"),
        sa.Index("ix_request_team_queue", "team_id", "status", "next_due"),
        sa.Index("ix_request_due", "status", "next_due"),
        sa.Index("ix_request_requester", "requester_id", "raised_at"),
        sa.Index("ix_request_site", "site_id", "raised_at"),
        # the open requests of one type at one site: the duplicate hint while raising (service.similar_open)
        sa.Index("ix_request_site_type", "site_id", "request_type", "status", "raised_at"),
        # first contacts never made, by when they were due (service health counts the missed ones)
        sa.Index("ix_request_uncontacted", "first_contact_due", sqlite_where=sa.text("first_contact_at IS NULL"),
                 postgresql_where=sa.text("first_contact_at IS NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    department: str = Field(max_length=64)
    request_type: str = Field(max_length=128)
    title: str = Field(max_length=200)
    detail: str = Field(default="", max_length=10_000)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    requester_id: int = Field(foreign_key="person.id")
    raised_by_id: Optional[int] = Field(default=None, foreign_key="person.id")  # someone else raised it for them
    site_id: int = Field(foreign_key="site.id")
    team_id: int = Field(foreign_key="team.id")
    owner_id: int = Field(foreign_key="person.id", nullable=False)
    # the incident it is part of (ownit.incidents): the incident's promise stands in for its own meanwhile
    incident_id: Optional[int] = Field(default=None, foreign_key="request.id", index=True)
    charter_id: Optional[int] = Field(default=None, foreign_key="charter.id")  # the version its promise was made under
    stage: str = Field(max_length=64)
    status: str = Field(max_length=16, default="open")
    priority: str = Field(max_length=16, default="normal")
    needed_by: Optional[date] = None
    needs_agreement: bool = Field(default=False)  # needed_by is earlier than the standard resolve target
    # marked for the site: its deputies hear what the requester hears (the database's default: rows made by hand)
    for_site: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    agreed_by: Optional[date] = None  # the date settled with the requester at first contact
    raised_at: datetime = _when(nullable=False)
    first_contact_due: datetime = _when(nullable=False)
    first_contact_at: Optional[datetime] = _when()
    next_checkin_due: Optional[datetime] = _when()
    last_checkin_at: Optional[datetime] = _when()
    next_due: Optional[datetime] = _when()
    resolve_by: datetime = _when(nullable=False)
    stage_due: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # stage key -> expected ISO instant
    waiting_since: Optional[datetime] = _when()
    sweep_after: Optional[datetime] = _when()  # the sweep has said all it owes until then; None: look now
    resolved_at: Optional[datetime] = _when()
    closed_at: Optional[datetime] = _when()
    updated_at: datetime = _when(nullable=False)
    version: Optional[int] = Field(default=None, sa_column=_version)  # checked by ownit.store.requests.update


class Incident(SQLModel, table=True):
    """What makes a request an incident (``ownit.incidents``): the stores it
    affects, and the type of request a store that joins it raises."""

    request_id: int = Field(primary_key=True, foreign_key="request.id")
    scope: str = Field(max_length=16)  # all, region or sites
    targets: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # region names or site codes
    joins_as: str = Field(max_length=128)  # the request type of a store that joins it from the raise page


class Task(SQLModel, table=True):
    """Part of a request another department's team was asked to do ("isolate
    the tills before the roofer starts"): one named owner in that team, due
    by the team's charter commitment to the request's department. The request
    keeps its own owner. ``owner_id`` is NOT NULL: a task always has one."""

    __table_args__ = (sa.Index("ix_task_team_open", "team_id", "status", "due"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    team_id: int = Field(foreign_key="team.id")  # the team asked
    owner_id: int = Field(foreign_key="person.id", nullable=False)
    what: str = Field(max_length=500)
    needed_by: date  # the asker's date
    due: datetime = _when(nullable=False)  # the team's dated commitment
    status: str = Field(max_length=16, default="open")  # open, done
    asked_by: int = Field(foreign_key="person.id")
    asked_at: datetime = _when(nullable=False)
    done_at: Optional[datetime] = _when()
    nudged_for: Optional[datetime] = _when()  # the due time its lateness was told for (once each)
    version: int = Field(default=1)  # checked by ownit.store.tasks.update


class MysteryProgramme(SQLModel, table=True):
    """A team's mystery programme (``ownit.service.mystery``): how many mystery
    requests a month, of which request types, raised by which store managers
    (each agrees to take part). Set by the team's lead or an admin; one per team."""

    __tablename__ = "mystery_programme"

    team_id: int = Field(primary_key=True, foreign_key="team.id")
    per_month: int
    request_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    shoppers: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # person id -> ISO instant agreed, or None
    set_by: int = Field(foreign_key="person.id")
    set_at: datetime = _when(nullable=False)


class Mystery(SQLModel, table=True):
    """One mystery request: a scenario a nominated store manager raises
    through the ordinary page, worked like any other, then scored. The mark
    lives only here, never on the request: no owner-facing read joins it
    while the request is open, and service health leaves its request out."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    request_type: str = Field(max_length=128)
    scenario: str = Field(max_length=2000)
    shopper_id: int = Field(foreign_key="person.id", index=True)
    planned_by: int = Field(foreign_key="person.id")
    planned_at: datetime = _when(nullable=False)
    raise_by: date
    request_id: Optional[int] = Field(default=None, foreign_key="request.id", unique=True)
    raised_at: Optional[datetime] = _when()
    answers: Optional[dict[str, Any]] = Field(default=None, sa_type=sa.JSON)  # the mystery form, as given
    parts: Optional[dict[str, Any]] = Field(default=None, sa_type=sa.JSON)  # each part's 0-1 score (ownit.mystery)
    score: Optional[float] = Field(default=None)  # 0-100
    rubric: Optional[int] = Field(default=None)  # ownit.mystery.RUBRIC's version
    charter_id: Optional[int] = Field(default=None, foreign_key="charter.id")  # the team's, when raised
    owner_id: Optional[int] = Field(default=None, foreign_key="person.id")  # who owned it at the close
    scored_at: Optional[datetime] = _when()
    note: str = Field(default="", max_length=2000)  # the lead's coaching note
    noted_by: Optional[int] = Field(default=None, foreign_key="person.id")


class Watcher(SQLModel, table=True):
    """A colleague the requester (or the team) added to follow one request: they
    hear what the requester hears and see it as the requester does."""

    __table_args__ = (sa.UniqueConstraint("request_id", "person_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    added_by: int = Field(foreign_key="person.id")
    added_at: datetime = _when(nullable=False)
    # they joined saying it affects them too ("me too"), not only to follow it
    affected: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class Event(SQLModel, table=True):
    """One entry of a request's timeline. Rows are only ever appended."""

    __table_args__ = (sa.Index("ix_event_request", "request_id", "id"),)  # events are read by request

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    at: datetime = _when(nullable=False)
    kind: str = Field(max_length=32)
    actor_id: Optional[int] = Field(default=None, foreign_key="person.id")
    acting_id: Optional[int] = Field(default=None, foreign_key="person.id")  # an admin acting as the actor
    note: str = Field(default="", max_length=10_000)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    internal: bool = Field(default=False)


MEASURED = ("team_id", "owner_id", "on_time", "checkin_missed", "hours", "days", "waiting_hours")


class Measure(SQLModel, table=True):
    """What service health counts from one contact, check-in, resolution or
    reopening: the event's measures out of its JSON, beside the request's scope
    (its owner and team as they are now). Written and kept by database
    triggers (migration 0007), never by OwnIt's code: the report scans these
    narrow rows instead of joining each event to its request."""

    # the two a report and its day tallies read most hold every column they count (migration 0008), so
    # a day or a department's part-day is one range of the index, without a lookup per measure
    __table_args__ = (sa.Index("ix_measure_department", "department", "kind", "at", *MEASURED),
                      sa.Index("ix_measure_team", "team_id", "kind", "at"),
                      sa.Index("ix_measure_owner", "owner_id", "kind", "at"),
                      sa.Index("ix_measure_kind_at", "kind", "at", "department", *MEASURED),
                      sa.Index("ix_measure_request", "request_id"))

    event_id: int = Field(primary_key=True, foreign_key="event.id")
    request_id: int = Field(foreign_key="request.id")
    kind: str = Field(max_length=32)
    at: datetime = _when(nullable=False)
    department: str = Field(max_length=64)
    team_id: int = Field(foreign_key="team.id")
    owner_id: int = Field(foreign_key="person.id")
    site_id: int = Field(foreign_key="site.id")
    request_type: str = Field(max_length=128)
    on_time: Optional[bool] = None
    checkin_missed: Optional[bool] = None
    hours: Optional[float] = None  # business hours from raising (contacted, resolved)
    days: Optional[float] = None  # business days from raising (resolved)
    waiting_hours: Optional[float] = None  # business hours waiting on the requester (resolved)


class TallyDay(SQLModel, table=True):
    """A day whose service-health tallies are current (or, with no
    ``filled_at`` yet, being counted): its ``tally`` rows may be read instead
    of counting that day's measures again. Database triggers
    (migration 0008) delete the day whenever anything it counted changes: a
    measure, a rating, or a request's scope or first contact."""

    __tablename__ = "tally_day"

    day: date = Field(primary_key=True)
    filled_at: Optional[datetime] = _when()  # none yet: being counted (ownit.tallies)


class Tally(SQLModel, table=True):
    """What service health counted on one UTC day for one department, team and
    owner (``ownit.tallies``): the raw counts, sums and measured values of
    :func:`ownit.metrics.raw_blank`, so a quarter is read as ninety days of
    tallies instead of every measure in it."""

    day: date = Field(primary_key=True)
    department: str = Field(primary_key=True, max_length=64)
    team_id: int = Field(primary_key=True)
    owner_id: int = Field(primary_key=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class Feedback(SQLModel, table=True):
    """A requester's rating of the service: given when confirming a fix, or
    through the rating link of a mail (``notification_id``, the link's notice:
    a link records once, ``ownit.service.rating``)."""

    __table_args__ = (sa.Index("ix_feedback_at", "at"),  # service health counts ratings by when they were given
                      sa.Index("ix_feedback_notification", "notification_id", unique=True))

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    at: datetime = _when(nullable=False)
    nps: Optional[int] = None
    effort: Optional[int] = None
    comment: str = Field(default="", max_length=2000)
    notification_id: Optional[int] = Field(default=None, foreign_key="notification.id")


class Notification(SQLModel, table=True):
    """The outbox: what someone is told. The UI shows it as an inbox."""

    __table_args__ = (sa.Index("ix_notification_person", "person_id", "created_at"),
                      sa.Index("ix_notification_next", "next_attempt_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    request_id: Optional[int] = Field(default=None, foreign_key="request.id")
    kind: str = Field(max_length=32)
    message: str = Field(max_length=2000)  # the notice as plain text (ownit.notices), what the inbox shows
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # the notice's content, for channels
    created_at: datetime = _when(nullable=False)
    # when the channels (mail, chat) were done with it: one took it, or none was for it; never while one failed
    delivered_at: Optional[datetime] = _when()
    attempts: int = Field(default=0)  # deliveries tried; the sweep retries until one succeeds or MAX_ATTEMPTS
    dedupe_key: Optional[str] = Field(default=None, max_length=200, unique=True)
    # when the sweep offers it (again): held for quiet hours or the digest, or after a failure with backoff;
    # None once delivered or given up on (a dead letter: attempts used up, delivered_at None)
    next_attempt_at: Optional[datetime] = _when()
    last_error: str = Field(default="", max_length=500)  # why the last attempt failed
    claimed_until: Optional[datetime] = _when()  # a sweep is offering it: no other sweep may until then
    digest: bool = Field(default=False)  # held for the recipient's morning digest rather than sent alone


class Secret(SQLModel, table=True):
    """Keys OwnIt makes for itself, once (the key that signs reply addresses
    and rating links when ``OWNIT_SECRET_KEY`` is not set: ``ownit.tokens``)."""

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class OrgState(SQLModel, table=True):
    """One row: the organisation's generation, a fresh random value after every
    change to sites, people, teams or memberships (database triggers, migration
    0006). Whoever keeps the organisation in memory compares it to know when
    to read it again."""

    __tablename__ = "org_state"

    id: Optional[int] = Field(default=None, primary_key=True)
    generation: str = Field(max_length=64)


class RefCounter(SQLModel, table=True):
    __tablename__ = "ref_counter"

    prefix: str = Field(primary_key=True, max_length=8)
    value: int = Field(default=1000)


class MailReceived(SQLModel, table=True):
    """Replies by email OwnIt has acted on, by their ``Message-ID``, so that a
    mail delivered twice (a server's retry, a Maildir read again) changes the
    request once (``ownit.service.mail``)."""

    __tablename__ = "mail_received"

    message_id: str = Field(primary_key=True, max_length=255)  # as the mail has it, or a digest of it
    request_id: int = Field(foreign_key="request.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    received_at: datetime = _when(nullable=False)


class Submission(SQLModel, table=True):
    """What each person submitted lately, by the idempotency key their form
    or command sent with it, so that a repeated submission (a double click, a
    retried command) changes nothing and is answered with the request it
    acted on (``ownit.store.submissions``)."""

    __tablename__ = "submission"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=100)
    action: str = Field(max_length=20)
    request_id: Optional[int] = Field(default=None, foreign_key="request.id")
    submitted_at: datetime = _when(nullable=False, index=True)


class Attachment(SQLModel, table=True):
    """A photo or file on a request (``ownit.service.attachments``): what it is,
    who added it and when; its bytes are in the file store under its
    ``sha256`` (``ownit.files``), and its ``attached`` event on the timeline."""

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    name: str = Field(max_length=255)  # the name it was sent with, its extension the type's
    content_type: str = Field(max_length=64)  # as read from its content, not its name
    size: int  # bytes stored (a photo re-encoded without its metadata)
    sha256: str = Field(max_length=64)  # the stored bytes' checksum: their key in the file store
    thumbnail: Optional[str] = Field(default=None, max_length=64)  # a photo's thumbnail's key
    internal: bool = Field(default=False)  # the team only, like an internal note
    added_by: int = Field(foreign_key="person.id")
    added_at: datetime = _when(nullable=False)
