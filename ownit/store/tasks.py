"""The only code that writes ``task``: part of a request another department's
team was asked to do (:mod:`ownit.service.tasks`). A task is a
:class:`TaskRow`, one attribute per column; :func:`update` stores what
changed and checks the version it was read at, as a request's update does,
so two people marking one task done at once can never both win.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Any

from ..errors import Conflict
from .sql import Insert, Statement, VersionedUpdate, sa, shape, table
from .unit import Unit

TABLE = table("task")
COLUMNS: tuple[str, ...] = shape("task").columns
_VALUES = operator.attrgetter(*COLUMNS)
OPEN, DONE = "open", "done"


class TaskRow:
    """One task. Assign to its attributes, then :func:`update`."""

    __slots__ = (*COLUMNS, "_seen")

    def __repr__(self) -> str:
        return f"TaskRow(id={self.id!r}, request_id={self.request_id!r}, status={self.status!r})"

    def late(self, now: datetime) -> bool:
        """Still open past its due time."""
        return self.status == OPEN and self.due < now

    def untold(self, now: datetime) -> bool:
        """Late, and nobody was told of it for its due time yet."""
        return self.late(now) and self.nudged_for != self.due


def _from(values: tuple[Any, ...]) -> TaskRow:
    row = TaskRow()
    for name, value in zip(COLUMNS, values, strict=True):
        setattr(row, name, value)
    row._seen = dict(zip(COLUMNS, values))
    return row


_ADD = Insert(TABLE, lambda plain, dialect: plain.returning(TABLE.c.id))
def _all() -> object:
    return sa.select(*TABLE.columns)


_BY_ID = Statement(lambda: _all().where(TABLE.c.id == sa.bindparam("id")))
_OF = Statement(lambda: _all().where(TABLE.c.request_id == sa.bindparam("request")).order_by(TABLE.c.id))
_OPEN_OF = Statement(lambda: _all().where(TABLE.c.team_id == sa.bindparam("team"), TABLE.c.status == OPEN)
                     .order_by(TABLE.c.due, TABLE.c.id))
_LATE = Statement(lambda: sa.select(TABLE.c.id).where(TABLE.c.status == OPEN, TABLE.c.due < sa.bindparam("now"),
                                              sa.or_(TABLE.c.nudged_for.is_(None), TABLE.c.nudged_for != TABLE.c.due))
                  .order_by(TABLE.c.due, TABLE.c.id))
_OWNED = Statement(lambda: _all().where(TABLE.c.owner_id == sa.bindparam("owner"), TABLE.c.status == OPEN)
                   .order_by(TABLE.c.id))
_UPDATE = VersionedUpdate(TABLE)  # the columns that changed, the version checked


def add(u: Unit, **values: Any) -> TaskRow:
    """Store a new task (open, version 1) and return it with its id."""
    values = {**values, "status": OPEN, "version": 1}
    task_id = u.db.execute(_ADD, **values).scalar()
    return get(u, task_id)


def get(u: Unit, task_id: int) -> TaskRow | None:
    found = u.db.execute(_BY_ID, id=task_id).first()
    return None if found is None else _from(found)


def of(u: Unit, request_id: int) -> list[TaskRow]:
    """The request's tasks, the first asked first."""
    return [_from(row) for row in u.db.execute(_OF, request=request_id).all()]


def open_of(u: Unit, team_id: int) -> list[TaskRow]:
    """A team's open tasks, the earliest due first."""
    return [_from(row) for row in u.db.execute(_OPEN_OF, team=team_id).all()]


def owned_open(u: Unit, person_id: int) -> list[TaskRow]:
    """The open tasks ``person_id`` owns, the first asked first."""
    return [_from(row) for row in u.db.execute(_OWNED, owner=person_id).all()]


def late(u: Unit, now: datetime) -> list[int]:
    """The open tasks past their due time whose lateness nobody was told of
    yet (for this due time), the longest late first (ids)."""
    return [row[0] for row in u.db.execute(_LATE, now=now).all()]


def asked_of(u: Unit, request_id: int, person_id: int, team_ids: list[int]) -> bool:
    """Whether the person owns a task of the request, or is in a team asked for one."""
    asked = TABLE.c.owner_id == person_id
    if team_ids:
        asked = sa.or_(asked, TABLE.c.team_id.in_(team_ids))
    return u.db.run(sa.select(TABLE.c.id).where(TABLE.c.request_id == request_id, asked).limit(1)).first() is not None


def update(u: Unit, row: TaskRow) -> None:
    """Store what changed and move the version on; :class:`Conflict` if
    someone else changed the task since it was read."""
    seen_version = row._seen["version"]
    row.version = seen_version + 1
    columns = tuple(name for name, value in zip(COLUMNS, _VALUES(row)) if value != row._seen[name])
    if u.db.update(_UPDATE, columns, row_id=row.id, seen=seen_version,
                   **{name: getattr(row, name) for name in columns}).rowcount != 1:
        row.version = seen_version
        raise Conflict("this task was changed by someone else at the same moment; reload it and try again")
    row._seen = dict(zip(COLUMNS, _VALUES(row)))
