"""Each person's own settings: how they want to hear from OwnIt beyond their
inbox (:mod:`ownit.preferences`: channels, immediate or a morning digest,
quiet hours, their time zone). The UI's Settings page and ``ownit settings``
read and change them here; the org file's ``notify`` sets them again on
each load only where it gives one."""

from __future__ import annotations

from typing import Any

from .. import preferences
from ..actors import Actor
from ..errors import ValidationError
from ..store import org as org_store
from ..store import unit as store
from ..store.directory import Directory, PersonEntry


def channels(desk: Any) -> list[str]:
    """The channel plugins installed and on (those implementing ``ownit_notify``), by name."""
    return sorted({impl.plugin_name for impl in desk.plugins.pm.hook.ownit_notify.get_hookimpls()})


def _view(desk: Any, org: Directory, person: PersonEntry) -> dict[str, Any]:
    notify = person.notify
    return {"email": person.email, "channels": list(notify.channels) if notify.channels is not None else None,
            "digest": notify.digest, "quiet": preferences.quiet_text(notify.quiet), "timezone": notify.timezone,
            "zone": org.zone(person), "available": channels(desk)}


def my_preferences(desk: Any, *, actor: Actor) -> dict[str, Any]:
    """``actor``'s notification preferences as they stand (``channels`` ``None``:
    every channel; ``zone``: the time zone in effect), and the channels installed."""
    def work(u: store.Unit) -> dict[str, Any]:
        return _view(desk, u.directory, u.person(actor))

    return store.run(desk, work, write=False)


def set_preferences(desk: Any, *, actor: Actor, notify: dict[str, Any]) -> dict[str, Any]:
    """Change ``actor``'s own preferences to ``notify`` (the org file's
    ``notify`` table: ``channels``, ``digest``, ``quiet``, ``timezone``; what it
    leaves out is unset). A mistake is one line and changes nothing."""
    wanted = preferences.parse(notify)

    def work(u: store.Unit) -> dict[str, Any]:
        person = u.person(actor)
        known = set(channels(desk)) | set(person.notify.channels or ())  # one they chose may be off for now
        unknown = [c for c in wanted.channels or () if c not in known]
        if unknown:
            raise ValidationError(f"there is no channel {unknown[0]!r}; installed: {', '.join(sorted(known)) or 'none'}"
                                  " (the inbox always has everything)")
        row = org_store.rows(u, "person", id=person.id)[0]
        org_store.save(u, "person", {"notify": wanted.to_dict()}, row)
        return {"email": person.email, **wanted.to_dict()}

    saved = store.run(desk, work)
    return {**my_preferences(desk, actor=actor), "saved": saved}
