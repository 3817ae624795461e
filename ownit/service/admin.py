"""The actions that change everyone's desk at once: loading the org file,
restoring a backup, and resetting or seeding the demo. Each needs an admin,
says what it will do, and keeps a copy of what it replaces where it can.

Who counts as an admin is the directory's say (``roles = [..., "admin"]`` in
the org file), with two ways in for a desk being set up: an empty directory
may be loaded by anyone (the first load makes it), and a directory that
names no admin lets anyone in with a warning, until it names one.
"""

from __future__ import annotations

import shutil
import sqlite3
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .. import backup as backups
from ..actors import Actor
from ..errors import PermissionDenied, ValidationError
from ..store import unit as store
from ..store import connections

NO_ADMIN = ("the directory names no admin, so anyone may load the org file, restore and reset; "
            "give someone roles = [..., \"admin\"] in the org file")


def require_admin(u: store.Unit, actor: Actor, doing: str) -> None:
    """Refuse ``doing`` unless ``actor`` is an admin (see the module's note)."""
    org = u.directory
    if not org.people:
        return
    admins = sorted(p.email for p in org.people.values() if p.admin)
    if not admins:
        if u.desk is not None and NO_ADMIN not in u.desk.warnings:
            u.desk.warnings.append(NO_ADMIN)
        return
    person = u.person(actor)
    if not person.admin:
        raise PermissionDenied(f"only an admin may {doing}; you are {person.email}, not an admin "
                               f"(admins: {_some(admins)})")


def _some(names: list[str]) -> str:
    """The first three of ``names``, and an ellipsis for the rest."""
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def load_org(desk: Any, path: str | Path, *, actor: Actor) -> dict[str, int]:
    """Load (or update) the directory from an org file, as an admin, in one unit of work."""
    from ..org import calendars_wanted, catalogue, load_file

    departments, wanted = catalogue(desk.plugins), calendars_wanted(desk.plugins)

    def work(u: store.Unit) -> dict[str, int]:
        require_admin(u, actor, "load the org file")
        return load_file(u, path, departments=departments, calendars_wanted=wanted)

    return store.run(desk, work)


def set_aside(path: Path, why: str, *, now: datetime | None = None) -> Path | None:
    """Keep a copy of the file at ``path`` next to it before ``why`` replaces
    it (a consistent copy of a SQLite database, the bytes of anything else);
    ``None`` when there is nothing there to keep."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{path.name}.before-{why}-{stamp}")
    if backups.is_sqlite(path):
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(kept)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        shutil.copy2(path, kept)
    return kept


def ready_to_restore(url: str, path: Path, *, actor: Actor, replace: bool = False) -> tuple[dict[str, Any], Path]:
    """Everything :func:`restore` checks before it changes anything: the copy,
    the target (a file holding requests, or not an OwnIt database at all,
    needs ``replace``), and an admin of the OwnIt database it replaces."""
    from ..desk import Desk

    checked, target = backups.ready_to_restore(url, path, replace=replace)
    if backups.holds_ownit(target):
        from ..db import upgrade

        upgrade(url)  # read its directory as this OwnIt knows it
        store.run(Desk.open(url), lambda u: require_admin(u, actor, "restore a backup over this database"),
                  write=False)
    return checked, target


def restore(url: str, path: Path, *, actor: Actor, replace: bool = False,
            ready: tuple[dict[str, Any], Path] | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Put the backup at ``path`` in place of the SQLite database at ``url``,
    once :func:`ready_to_restore` (or ``ready``, what it returned) allows; what
    it replaces is kept next to it first (``kept`` in the result)."""
    checked, target = ready or ready_to_restore(url, path, actor=actor, replace=replace)
    connections.dispose(url)  # this process's connections to the file being replaced: new ones after
    kept = set_aside(target, "restore")
    if kept is not None and not backups.holds_ownit(target):
        target.unlink()  # not a database to restore into: the copy kept is what it held
    return {**backups.restore(url, path, checked=(checked, target), progress=progress),
            "kept": str(kept) if kept else None}


def demo_state(desk: Any, org_file: Path) -> list[str]:
    """What the desk holds beyond the demo organisation in ``org_file``: a few
    of its sites, people and teams that the demo does not have (none: it is the demo's)."""
    demo = tomllib.loads(org_file.read_text(encoding="utf-8"))
    ours = {"site": {s["code"].upper() for s in demo.get("site", [])},
            "person": {p["email"].lower() for p in demo.get("person", [])},
            "team": {t["key"] for t in demo.get("team", [])}}

    def look(u: store.Unit) -> list[str]:
        org = u.directory
        held = [("site", s.code) for s in org.sites.values()] + [("person", p.email) for p in org.people.values()]
        held += [("team", t.key) for t in org.teams.values()]
        return [f"{kind} {key}" for kind, key in held if key not in ours[kind]]

    return store.run(desk, look, write=False)


def ready_for_demo(desk: Any, org_file: Path, *, actor: Actor, reset: bool, force: bool) -> Path | None:
    """Refuse to put the demo into a database (at the current schema) that
    holds anything else, unless ``force`` and an admin (the demo's own data
    needs no one); before
    resetting such a database, keep a copy of it when it is SQLite (the
    path, or ``None``)."""
    from ..db import describe

    foreign = demo_state(desk, org_file)
    if foreign and not force:
        raise ValidationError(f"the database at {describe(desk.url)} holds more than the demo "
                              f"({_some(foreign)}); give the demo a "
                              "database of its own (OWNIT_DATABASE_URL), or pass --force as an admin to "
                              + ("reset it" if reset else "load the demo into it"))
    if foreign:  # the demo's own data is the demo's to reset
        store.run(desk, lambda u: require_admin(u, actor, "reset the database" if reset else "load the demo"),
                  write=False)
    if reset and foreign and desk.url.startswith("sqlite:///"):
        return set_aside(backups.sqlite_path(desk.url), "reset", now=desk.now())
    return None
