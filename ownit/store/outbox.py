"""The outbox: the only code that writes ``notification``.

A notification is a :class:`~ownit.notices.Notice` for one person, stored with
its kind, its data and its plain text; the UI shows the outbox as each
person's inbox, and channel plugins are offered each notification after the
commit (and again by the sweep until one takes it).

Each notification keeps its schedule: ``next_attempt_at`` is when the sweep
offers it (a minute after it was put, in case the delivery after the commit
never happened; the end of the recipient's quiet hours; their morning digest
with ``digest`` set; or a backoff after a failure), ``None`` once delivered or
given up on. After :data:`MAX_ATTEMPTS` failures it is a dead letter
(``delivered_at`` and ``next_attempt_at`` both ``None``, ``last_error`` says
why) that an admin can retry. A sweep claims what it offers for
:data:`LEASE` (``claimed_until``), so sweeps on several hosts never offer one
notification twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import requests
from .sql import Insert, Statement, dialect_insert, sa, table
from .unit import Unit

if TYPE_CHECKING:
    from ..notices import Notice
    from ..records import Reach
    from .directory import PersonEntry, TeamEntry

TABLE = table("notification")
_R, _P = table("request"), table("person")


MAX_ATTEMPTS = 5  # deliveries of one notification before it is a dead letter (it stays in the inbox)
RETRY_AFTER = timedelta(minutes=1)  # a fresh notification is left to the delivery right after its commit
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))  # after 1..4
LEASE = timedelta(minutes=10)  # how long a sweep may hold a notification it is offering
ADDRESSES = frozenset({"email", "chat", "phone"})  # a person's addresses a channel may say it sends to (Reach)


@dataclass(frozen=True)
class Put:
    """A notification this unit of work put in the outbox; ``held`` ones wait
    for the sweep (quiet hours, the morning digest) instead of going out after the commit."""

    id: int
    person_id: int
    request_id: int | None
    notice: Notice
    created_at: datetime
    held: bool = False


@dataclass(frozen=True)
class Line:
    """A notification as the outbox lists it (``ownit outbox``, the admins' page)."""

    id: int
    to: str
    ref: str | None
    kind: str
    message: str
    created_at: datetime
    attempts: int
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str
    digest: bool

    @property
    def state(self) -> str:
        """delivered, held (quiet hours or digest, not tried yet), retrying, or failed (a dead letter)."""
        if self.delivered_at is not None:
            return "delivered"
        if self.next_attempt_at is None:
            return "failed"
        if self.attempts:
            return "retrying"
        held = self.digest or self.next_attempt_at > self.created_at + RETRY_AFTER
        return "held" if held else "pending"


_PUT = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
_PUT_ONCE = Insert(TABLE, lambda plain, dialect: dialect_insert(dialect)(plain.table)
                   .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(TABLE.c.id))
_DELIVERED = Statement(lambda: TABLE.update().where(TABLE.c.id == sa.bindparam("note")).values(
    attempts=TABLE.c.attempts + 1, delivered_at=sa.bindparam("at"), next_attempt_at=None, claimed_until=None))
_FAILED = Statement(lambda: TABLE.update().where(TABLE.c.id == sa.bindparam("note")).values(
    attempts=TABLE.c.attempts + 1, next_attempt_at=sa.bindparam("next"), last_error=sa.bindparam("error"),
    claimed_until=None))
_INBOX = Statement(lambda: sa.select(TABLE.c.id, _R.c.ref, TABLE.c.kind, TABLE.c.message, TABLE.c.data, TABLE.c.created_at)
                   .select_from(TABLE.outerjoin(_R, _R.c.id == TABLE.c.request_id))
                   .where(TABLE.c.person_id == sa.bindparam("person"))
                   .order_by(TABLE.c.created_at.desc(), TABLE.c.id.desc()).limit(sa.bindparam("limit")))


def put(u: Unit, person_id: int, request_id: int | None, notice: Notice, *, dedupe_key: str | None = None) -> bool:
    """Tell ``person_id`` ``notice``, in this unit of work, when their
    preferences allow (:meth:`ownit.preferences.Preferences.hold`). With a
    ``dedupe_key``, only once ever: ``False`` when that key was already put
    (another sweep, or this one earlier). One that none of their channels
    reaches (:func:`unreached`) is written as done: in their inbox, never
    offered to a channel."""
    person = u.directory.people[person_id]
    held_until, digest = None, False
    if person.notify.digest or person.notify.quiet:
        held_until, digest = person.notify.hold(u.now, u.directory.zone(person), urgent=notice.urgent)
    done = held_until is None and unreached(u, person, request_id, type(notice).__name__)
    values = {"person_id": person_id, "request_id": request_id, "kind": notice.kind, "message": notice.text(),
              "data": notice.data(), "created_at": u.now, "delivered_at": u.now if done else None, "attempts": 0,
              "dedupe_key": dedupe_key, "next_attempt_at": None if done else held_until or u.now + RETRY_AFTER,
              "digest": digest}
    new_id = u.db.execute(_PUT_ONCE if dedupe_key else _PUT, **values).scalar()
    if new_id is None:
        return False
    if not done:
        u.notifications.append(Put(new_id, person_id, request_id, notice, u.now, held=held_until is not None))
    return True


def reaches(said: dict[str, Reach | None], channel: str, person: PersonEntry, team: TeamEntry | None,
            notice: str) -> bool:
    """Whether the channel plugin ``channel`` may take ``notice`` (its class
    name) for ``person``: their preferences allow it (:meth:`Preferences.allows`),
    and by what it said it reaches (``said[channel]``, from ``ownit_reach``;
    ``None``: it did not say) it sends to an address they have, or posts that
    notice to the channel of ``team`` (the request's), which has one. An
    address OwnIt does not know is taken to reach everyone."""
    if not person.notify.allows(channel):
        return False
    reach = said.get(channel)
    if reach is None:
        return True
    if reach.address is not None and (getattr(person, reach.address) if reach.address in ADDRESSES else True):
        return True
    return notice in reach.team_notices and team is not None and bool(team.chat)


def unreached(u: Unit, person: PersonEntry, request_id: int | None, notice: str) -> bool:
    """Whether no channel :func:`reaches` ``person`` with ``notice`` (its
    class name), by what each said it reaches, asked before the unit began
    (``desk.reach``). ``False`` while the channels have not been asked (a unit
    without a desk): the notification is left to them."""
    said = u.desk.reach if u.desk is not None else None
    if said is None:
        return False
    team = None
    if request_id is not None and any(reach is not None and notice in reach.team_notices for reach in said.values()):
        team = u.directory.teams.get(requests.get(u, request_id).team_id)  # only when a team's channel may hear it
    return not any(reaches(said, channel, person, team, notice) for channel in said)


def mark_tried(u: Unit, outcomes: dict[int, str | None]) -> None:
    """Count a delivery attempt on each notification: ``None`` when the
    channels are done with it, else why it failed — offered again after a
    backoff, or a dead letter once :data:`MAX_ATTEMPTS` are used up."""
    failed = {note_id: error for note_id, error in outcomes.items() if error is not None}
    attempts = dict(u.db.run(sa.select(TABLE.c.id, TABLE.c.attempts).where(TABLE.c.id.in_(failed))).all()) \
        if failed else {}
    for note_id, error in outcomes.items():
        if error is None:
            u.db.execute(_DELIVERED, note=note_id, at=u.now)
        else:
            tried = attempts.get(note_id, 0) + 1
            u.db.execute(_FAILED, note=note_id, error=error[:500],
                         next=u.now + BACKOFF[tried - 1] if tried < MAX_ATTEMPTS else None)


def done_with(u: Unit, ids: list[int]) -> None:
    """Notifications no channel is to send: taken into a digest, or for someone who hears by no channel."""
    if ids:
        u.db.run(TABLE.update().where(TABLE.c.id.in_(ids)).values(delivered_at=u.now, next_attempt_at=None,
                                                                  claimed_until=None))


def claim(u: Unit, limit: int) -> list[int]:
    """Up to ``limit`` notifications due to be offered (again) now, claimed for
    :data:`LEASE` so that a sweep on another host does not offer them too.
    One statement: on PostgreSQL a row another sweep claimed meanwhile is
    looked at again after that sweep commits, and left out."""
    now = u.now
    due = sa.select(TABLE.c.id).where(TABLE.c.next_attempt_at <= now, TABLE.c.digest.is_(False),
                                      sa.or_(TABLE.c.claimed_until.is_(None), TABLE.c.claimed_until <= now)) \
        .order_by(TABLE.c.next_attempt_at, TABLE.c.id).limit(limit)
    ids = [row[0] for row in u.db.run(due).all()]
    if not ids:
        return []
    claimed = u.db.run(TABLE.update().where(
        TABLE.c.id.in_(ids), TABLE.c.next_attempt_at <= now,
        sa.or_(TABLE.c.claimed_until.is_(None), TABLE.c.claimed_until <= now))
        .values(claimed_until=now + LEASE).returning(TABLE.c.id)).all()
    return sorted(row[0] for row in claimed)


def retry_now(u: Unit, note_id: int) -> bool:
    """Offer a notification again at the next delivery, whatever its attempts: an admin's retry.
    ``False`` if it was already delivered."""
    return bool(u.db.run(TABLE.update().where(TABLE.c.id == note_id, TABLE.c.delivered_at.is_(None))
                         .values(next_attempt_at=u.now, claimed_until=u.now + LEASE).returning(TABLE.c.id)).all())


def held_for_digest(u: Unit, person_id: int, before: datetime) -> list[tuple[Any, ...]]:
    """``(id, ref, kind, message, created at)`` of what is held for someone's
    digest due by ``before`` (not what waits for the next one), oldest first."""
    return u.db.run(sa.select(TABLE.c.id, _R.c.ref, TABLE.c.kind, TABLE.c.message, TABLE.c.created_at)
                    .select_from(TABLE.outerjoin(_R, _R.c.id == TABLE.c.request_id))
                    .where(TABLE.c.person_id == person_id, TABLE.c.digest.is_(True), TABLE.c.delivered_at.is_(None),
                           TABLE.c.next_attempt_at <= before).order_by(TABLE.c.id)).all()


def digest_people(u: Unit, before: datetime) -> list[int]:
    """Who has something held for a digest due by ``before``."""
    return [row[0] for row in u.db.run(sa.select(TABLE.c.person_id).distinct().where(
        TABLE.c.digest.is_(True), TABLE.c.delivered_at.is_(None), TABLE.c.next_attempt_at <= before)).all()]


def sent_keys(u: Unit, keys: list[str]) -> set[str]:
    """Which of ``keys`` (dedupe keys) are in the outbox already."""
    return {row[0] for row in u.db.run(sa.select(TABLE.c.dedupe_key).where(TABLE.c.dedupe_key.in_(keys))).all()} \
        if keys else set()


def by_ids(u: Unit, ids: list[int]) -> list[tuple[Any, ...]]:
    """``(id, person id, request id, ref, team id, kind, message, data, created at, attempts)`` of each."""
    return u.db.run(sa.select(TABLE.c.id, TABLE.c.person_id, TABLE.c.request_id, _R.c.ref, _R.c.team_id,
                              TABLE.c.kind, TABLE.c.message, TABLE.c.data, TABLE.c.created_at, TABLE.c.attempts)
                    .select_from(TABLE.outerjoin(_R, _R.c.id == TABLE.c.request_id))
                    .where(TABLE.c.id.in_(ids)).order_by(TABLE.c.id)).all()


def lines(u: Unit, *, person_id: int | None = None, failed: bool = False, limit: int = 100) -> list[Line]:
    """The outbox, newest first: everyone's or one person's; only the dead letters with ``failed``."""
    statement = sa.select(TABLE.c.id, _P.c.email, _R.c.ref, TABLE.c.kind, TABLE.c.message, TABLE.c.created_at,
                          TABLE.c.attempts, TABLE.c.delivered_at, TABLE.c.next_attempt_at, TABLE.c.last_error,
                          TABLE.c.digest) \
        .select_from(TABLE.join(_P, _P.c.id == TABLE.c.person_id).outerjoin(_R, _R.c.id == TABLE.c.request_id))
    if person_id is not None:
        statement = statement.where(TABLE.c.person_id == person_id)
    if failed:
        statement = statement.where(TABLE.c.delivered_at.is_(None), TABLE.c.next_attempt_at.is_(None))
    return [Line(*row) for row in u.db.run(statement.order_by(TABLE.c.id.desc()).limit(limit)).all()]


def inbox(u: Unit, person_id: int, limit: int) -> list[tuple[Any, ...]]:
    """``(id, ref, kind, message, data, created at)`` of someone's notifications, newest first."""
    return u.db.execute(_INBOX, person=person_id, limit=limit).all()
