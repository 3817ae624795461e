"""The demo organisation and its sample requests, made through the real service
with a simulated clock, so that everything in it happened the way it would."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa

from .. import service
from ..actors import Actor
from ..calendar import BusinessCalendar
from ..clock import FixedClock
from ..desk import Desk
from ..models import Request
from ..org import load_org
from ..store import unit as store

ORG_FILE = Path(__file__).with_name("org.toml")

# (days ago, requester, type, title, fields, what happens next as (business hours later, action, actor, note))
Script = tuple[float, str, str, str, dict[str, Any], list[tuple[float, str, str, str]]]
SAMPLES: list[Script] = [
    (6, "amira.khan@example.com", "facilities.leak", "Roof leaking over the stockroom",
     {"location": "stockroom ceiling, back left", "near_electrics": "no"},
     [(2, "contact", "owner", "Called Amira; buckets in place, roofer booked for tomorrow 8am."),
      (6, "advance", "owner", "Roofer confirmed the flashing has failed."),
      (8, "advance", "owner", "Roofer booked for the next morning."),
      (16, "advance", "owner", "Flashing replaced and sealed."),
      (18, "resolve", "owner", "Roof resealed; please check after the next rain."),
      (24, "confirm", "requester", "")]),
    (3, "tom.hughes@example.com", "facilities.leak", "Water dripping onto till 2",
     {"location": "ceiling above till 2", "near_electrics": "yes", "trading_floor": "yes"},
     [(1, "contact", "owner", "Till 2 switched off and taped off; plumber on the way."),
      (3, "advance", "owner", "Burst pipe in the flat above."),
      (9, "checkin", "owner", "Plumber fixed the pipe; ceiling tile replacement ordered.")]),
    (2, "grace.okafor@example.com", "facilities.heating", "Shop floor freezing in the mornings",
     {"problem": "too cold", "temperature": "14"},
     [(3, "contact", "owner", "Boiler engineer booked; portable heaters on their way."),
      (6, "wait", "owner", "Can you send a photo of the boiler panel display?")]),
    (1, "isla.fraser@example.com", "facilities.fixture", "Fitting-room door off its hinge",
     {"item": "fitting room 3 door", "hazard": "yes"}, []),
    (0.2, "ben.carter@example.com", "facilities.fixture", "Shelf bay 12 wobbles",
     {"item": "shelf bay 12", "hazard": "no"}, []),
    (1, "tom.hughes@example.com", "it.broken_kit", "Till 3 will not boot",
     {"device": "POS till", "asset_tag": "AT-104233", "can_trade": "yes", "symptom": "stuck on the logo"},
     [(1, "contact", "owner", "Remote session booked; till 3 taped off meanwhile.")]),
    (2, "grace.okafor@example.com", "hr.vacancy", "Weekend sales assistant",
     {"role": "Sales assistant", "hours": "16", "contract": "permanent", "reason": "replacement",
      "start_date": lambda now: (now + timedelta(days=70)).date().isoformat()}, []),
]


HISTORY_WEEKS = 12
MAIL_ENV = "OWNIT_SMTP_URL"  # the email channel's (ownit-email): maildir:///folder delivers into a local folder


def mail_folder(database_url: str) -> Path:
    """The demo's mail folder when no mail server is set: a Maildir
    ``ownit-mail`` next to the SQLite database (or in OwnIt's data folder for
    another database)."""
    import os

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / "ownit-mail"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ownit" / "ownit-mail"


def mail_url(database_url: str) -> str:
    """:func:`mail_folder` as ``maildir:///path``, for ``OWNIT_SMTP_URL``."""
    from urllib.parse import quote

    return f"maildir://{quote(str(mail_folder(database_url)))}"


def empty_mail(database_url: str) -> int:
    """Empty the demo's own mail folder (:func:`mail_folder`), as a reset
    starts the demo afresh: its mails told of requests the reset removed,
    under refs the new demo gives again. A folder ``OWNIT_SMTP_URL`` names
    other than the demo's is left alone. Returns how many mails were in it."""
    import mailbox
    import os
    from urllib.parse import unquote

    folder = mail_folder(database_url)
    configured = os.environ.get(MAIL_ENV, "").strip()
    if configured and Path(unquote(configured.removeprefix("maildir://"))) != folder:
        return 0
    if not (folder / "cur").is_dir():
        return 0
    box = mailbox.Maildir(folder, create=False)
    count = len(box)
    box.clear()
    return count


def seed(desk: Desk, *, reset: bool = False, force: bool = False, actor: Actor = None,
         progress: Callable[[str], None] = lambda _: None, started: Callable[[], None] = lambda: None,
         history_weeks: int = HISTORY_WEEKS) -> dict[str, Any]:
    """Load the demo organisation and, into an empty desk, ``history_weeks`` of
    history (see :mod:`ownit.demo.history`) and then its sample requests. A
    database that holds anything but the demo is refused unless ``force``d by
    an admin ``actor``, and kept aside before a reset (``kept``); a reset of
    the demo's own data empties its mail folder too (``mail_emptied``). A desk that
    already holds requests keeps them (``existing`` says how many): running the
    demo again picks up where it was left. ``started`` is called once the
    database is found fit for the demo, before the work that takes time."""
    from ..db import upgrade
    from ..service.admin import ready_for_demo

    upgrade(desk.url)
    kept = ready_for_demo(desk, ORG_FILE, actor=actor, reset=reset, force=force)
    started()
    if reset:
        progress("resetting the database")
        from alembic import command

        from ..db import migrations_config

        command.downgrade(migrations_config(desk.url), "base")
        upgrade(desk.url)
    emptied = empty_mail(desk.url) if reset and kept is None else 0  # a database kept aside keeps its mail
    progress("loading the demo organisation")
    counts = load_org(desk, ORG_FILE, skip_missing_departments=True)
    existing = store.run(desk, lambda u: u.db.run(sa.select(sa.func.count()).select_from(Request.__table__)).scalar(),
                         write=False)
    made: list[str] = []
    history = 0
    if existing == 0:
        if history_weeks > 0:
            from .history import play

            history = play(desk, weeks=history_weeks,
                           progress=lambda done, total: progress(f"playing {history_weeks} weeks of history: "
                                                                 f"request {done} of {total}"))
        for script in SAMPLES:
            if script[2] in desk.plugins.request_types:
                progress(f"raising '{script[3]}'")
                made.append(_play(desk, script))
    return {**counts, "requests": made, "history": history, "existing": existing, "database": desk.url,
            "kept": str(kept) if kept else None, "mail_emptied": emptied}


# The sample stories unfold in office hours, as they would.
OFFICE_HOURS = BusinessCalendar(timezone="Europe/London", days="MO-FR", hours="09:00-17:00")


def _play(desk: Desk, script: Script) -> str:
    days_ago, requester, rtype, title, fields, steps = script
    start = min(OFFICE_HOURS.next_business_moment(desk.now() - timedelta(days=days_ago)), desk.now())
    clock = FixedClock(start)
    sim = replace(desk, clock=clock, warnings=[])
    fields = {key: value(start) if callable(value) else value for key, value in fields.items()}
    view = service.raise_request(sim, actor=requester, request_type=rtype, title=title, fields=fields)
    ref, owner = view["ref"], view["owner"]["email"]
    for hours, action, who, note in steps:
        at = OFFICE_HOURS.add(start, timedelta(hours=hours))
        if at > desk.now():
            break
        clock.set(at)
        actor = owner if who == "owner" else requester
        if action == "confirm":
            service.confirm(sim, ref, actor=actor, nps=9, effort=2, comment="Quick and kept me posted.")
        else:
            service.ACTIONS[action](sim, ref, actor=actor, note=note)
    desk.warnings.extend(sim.take_warnings())
    return ref
