"""The desk: a database, the loaded plugins and a clock — everything a service
call needs, built once by an edge (CLI, UI, test) and passed in. Its
transactions are units of work (:mod:`ownit.store.unit`) on the database's
driver connections (:mod:`ownit.store.connections`): opening a desk loads no
SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .plugins import Plugins
    from .store.connections import Pool


@dataclass(kw_only=True)
class Desk:
    url: str
    plugins: "Plugins"
    clock: Clock = field(default_factory=SystemClock)
    # what an action on a request answers (ownit.service.reads.answer_later): its one line, for an edge
    # that shows a line and draws the card afresh (the command line, the UI); else the whole view
    brief: bool = False
    warnings: list[str] = field(default_factory=list)  # plugin failures after commit, for the edge to show
    # how often each listener (plugin, hook) has not answered in time; one that keeps hanging is paused
    # for the desk's lifetime (ownit.service.reactions)
    hook_timeouts: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)
    # the organisation as last read (ownit.store.directory), kept while the database says it has not changed
    directory: Any = field(default=None, repr=False, compare=False)
    # what signs reply addresses and rating links (ownit.tokens.signer), once its key is read
    signer: Any = field(default=None, repr=False, compare=False)
    # whom each channel plugin said it reaches (ownit_reach), by plugin name, once asked (ownit.service.reactions)
    reach: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def engine(self) -> "sa.Engine":
        """SQLAlchemy's engine of the database, for what reads or migrates with it (tests, tools,
        Alembic); a unit of work does not use it, and opening a desk does not load it."""
        from .db import make_engine

        return make_engine(self.url)

    @property
    def connections(self) -> "Pool":
        """The database's connections in this process."""
        from .store.connections import Pool

        return Pool.of(self.url)

    @classmethod
    def open(cls, url: str | None = None, *, clock: Clock | None = None,
             plugins: "Plugins | None" = None, brief: bool = False) -> "Desk":
        from .plugins import get_plugins
        from .store.unit import default_database_url

        return cls(url=url or default_database_url(), plugins=plugins or get_plugins(), clock=clock or SystemClock(),
                   brief=brief)

    def now(self) -> datetime:
        return self.clock.now()

    def take_warnings(self) -> list[str]:
        taken, self.warnings = self.warnings, []
        return taken
