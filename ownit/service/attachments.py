"""Photos and files on a request: sent when it is raised, with a note or a
check-in, as the answer to what the team waits for, or on their own
(:func:`ownit.service.work.attach`).

Each file is checked by its content and its bytes stored (:func:`prepare`)
before the unit of work — the store is keyed by checksum, so that is safe —
and the action's unit of work checks the request's limit and records each
file and its ``attached`` timeline event with the action's own
(:func:`attach_in`): a check-in with a photo is one action, and a refused
file saves nothing. A file is shown to whoever may see its request, an
internal one to the team only (:mod:`.access`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

from .. import events, uploads
from ..actors import Actor
from ..departments import FILE_KINDS, RequestType
from ..errors import NotFound, ValidationError
from ..files import store_for
from ..store import attachments, requests, timeline
from ..store import unit as store
from ..uploads import Upload
from ..views import attachment_views
from .access import is_staff, visible


@dataclass(frozen=True)
class Stored:
    """A checked file whose bytes (and a photo's thumbnail) are in the file store."""

    name: str
    content_type: str
    size: int
    sha256: str
    thumbnail: str | None
    field: str | None = None  # the photo or file question it answers


def prepare(desk: Any, files: Sequence[Upload] | None) -> list[Stored]:
    """Before an action's unit of work: every file checked by its content and
    against the size limits (:mod:`ownit.uploads`), then stored. One refused
    file refuses them all, before any is stored."""
    if not files:
        return []
    limits = uploads.limits()
    checked = [uploads.check(upload, max_bytes=limits.file) for upload in files]
    _within(sum(len(c.data) for c in checked), limits.request, "these files")
    kept = store_for(desk.url)
    return [Stored(c.name, c.content_type, len(c.data), kept.put(c.data),
                   kept.put(c.thumbnail) if c.thumbnail else None) for c in checked]


def answering(desk: Any, rtype: RequestType, fields: dict[str, Any]) -> list[Stored]:
    """The files that answer the form's photo and file questions (``fields``
    holds each as an ``Upload``), checked and stored as :func:`prepare` does
    any file, a photo a picture; each knows its question. A name alone, or a
    file that is not what the question asks, is refused on its question."""
    stored = []
    for f in rtype.fields:
        sent = fields.get(f.key)
        if f.kind not in FILE_KINDS or sent in (None, ""):
            continue
        what = "a photo (JPEG, PNG, GIF or WebP)" if f.kind == "photo" else "a photo or a PDF"
        if not isinstance(sent, Upload):
            raise ValidationError.about(f.key, f"{f.label} ({f.key}): send {what} itself, not its name (at the "
                                               f"command line --field {f.key}=@PATH)", f"needs {what}")
        try:
            [kept] = prepare(desk, [sent])
        except ValidationError as exc:
            raise ValidationError.about(f.key, f"{f.label} ({f.key}): {exc}", str(exc)) from None
        if f.kind == "photo" and not kept.content_type.startswith("image/"):
            raise ValidationError.about(f.key, f"{f.label} ({f.key}): {kept.name} is not a photo; send {what}",
                                        f"needs {what}")
        stored.append(dataclasses.replace(kept, field=f.key))
    return stored


def _within(total: int, limit: int, what: str) -> None:
    if total > limit:
        raise ValidationError(f"{what} come to {uploads.shown(total)}; a request may hold at most "
                              f"{uploads.shown(limit)} of files ({uploads.REQUEST_MAX_ENV}); send fewer or smaller ones")


def attach_in(u: store.Unit, req: Any, person_id: int, stored: Sequence[Stored], *,
              internal: bool = False) -> list[timeline.Entry]:
    """Inside the action's unit of work: the request's limit checked, each
    file recorded and put on the timeline (the note is its name). Returns the entries."""
    if not stored:
        return []
    _within(attachments.held(u, req.id) + sum(s.size for s in stored), uploads.limits().request,
            f"{req.ref}'s files with these")
    entries = []
    for s in stored:
        found = attachments.add(u, req.id, name=s.name, content_type=s.content_type, size=s.size, sha256=s.sha256,
                                thumbnail=s.thumbnail, internal=internal, by=person_id)
        entries.append(timeline.Entry(req.id, u.now, events.Attached(
            attachment=found, name=s.name, content_type=s.content_type, size=s.size, sha256=s.sha256,
            thumbnail=s.thumbnail, field=s.field), actor_id=person_id, note=f"{s.name} ({uploads.shown(s.size)})",
            internal=internal))
    timeline.append(u, *entries)
    return entries


def files(desk: Any, ref: str, *, actor: Actor) -> list[dict[str, Any]]:
    """The photos and files on ``ref`` that ``actor`` may see, oldest first."""
    def work(u: store.Unit) -> list[dict[str, Any]]:
        person = u.person(actor)
        req, team, _ = visible(u, ref, person)
        return [{**view, "ref": req.ref} for view in attachment_views(
            timeline.of(u, req.id), u.directory.people, internal=is_staff(u.directory, req, team, person))]

    return store.run(desk, work, write=False)


def get_file(desk: Any, attachment_id: int, *, actor: Actor, thumbnail: bool = False) -> tuple[dict[str, Any], bytes]:
    """The file ``attachment_id`` (or a photo's thumbnail, a JPEG) and its
    bytes, for someone who may see it; to anyone else it does not exist."""
    def work(u: store.Unit) -> tuple[dict[str, Any], str]:
        person = u.person(actor)
        row = attachments.get(u, attachment_id)
        req = requests.get(u, row.request_id) if row is not None else None
        try:
            _, team, _ = visible(u, req.ref, person) if req is not None else (None, None, None)
        except NotFound:
            team = None
        if team is None or (row.internal and not is_staff(u.directory, req, team, person)):
            raise NotFound(f"no file {attachment_id}; list a request's files with 'ownit files REF'")
        if thumbnail and row.thumbnail is None:
            raise ValidationError(f"{row.name} is not a photo, so it has no thumbnail; get the file itself")
        view = {"id": row.id, "ref": req.ref, "name": row.name, "content_type": row.content_type, "size": row.size,
                "sha256": row.sha256, "internal": row.internal, "at": row.added_at.isoformat(),
                "by": u.directory.people[row.added_by].email}
        if thumbnail:
            view.update(name=row.name.rsplit(".", 1)[0] + "-thumbnail.jpg", content_type="image/jpeg",
                        sha256=row.thumbnail)
        return view, row.thumbnail if thumbnail else row.sha256

    view, key = store.run(desk, work, write=False)
    data = store_for(desk.url).get(key)
    return {**view, "size": len(data)}, data
