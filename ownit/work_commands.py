"""The actions on a request from the command line: first contact, check-in,
next stage, waiting on the requester and resuming, hand-off, notes and
answers, contractors and files, resolving, confirming and reopening,
watchers and "me too". Each prints one line (``--json``: the view); each
carries ``--key`` where a retry must not act twice."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli import As, For, Json, Key, Note, _date, _desk, _print_json, _when, app, file_app, friendly, path_given
from .request_commands import Fields, _fields


def _done(view: dict[str, Any], what: str, as_json: bool) -> None:
    """The action's one line from its answer (the request's line, on a brief
    desk: ``_desk(brief=not as_json)``), or with ``--json`` its whole view."""
    if as_json:
        return _print_json(view)
    if view["repeated"]:
        what = "done earlier with this key, nothing changed"
    typer.echo(f"{view['ref']}: {what} (status {view['status']}, stage {view['stage_label']} "
               f"{view['progress']['done']}/{view['progress']['total']}, owner {view['owner']['name']})")


@app.command()
@friendly
def contact(
    ref: str, note: Note,
    agreed_by: Annotated[Optional[str], typer.Option(
        "--agreed-by", metavar="DATE", help="The date agreed with the requester (YYYY-MM-DD); "
                                            "required when they need it sooner than the standard.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Record first contact with the requester (and the date agreed with them)."""
    from . import service

    agreed = _date(agreed_by, "--agreed-by")
    view = service.contact(_desk(brief=not as_json), ref, actor=actor, note=note, agreed_by=agreed, key=key)
    _done(view, "first contact made" + (f", agreed date {agreed}" if agreed else ""), as_json)


@app.command()
@friendly
def checkin(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Record a check-in with the requester."""
    from . import service

    _done(service.check_in(_desk(brief=not as_json), ref, actor=actor, note=note, key=key), "checked in", as_json)


@app.command()
@friendly
def advance(
    ref: str, note: Note,
    to: Annotated[Optional[str], typer.Option("--to", help="Stage key to move to (default: the next).")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Move the request to its next stage (or --to a later one)."""
    from . import service

    _done(service.advance(_desk(brief=not as_json), ref, actor=actor, note=note, to=to, key=key), "moved on", as_json)


@app.command()
@friendly
def wait(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Put the request on hold, waiting on the requester for what the note says."""
    from . import service

    _done(service.wait_on_requester(_desk(brief=not as_json), ref, actor=actor, note=note, key=key),
          "waiting on the requester", as_json)


@app.command()
@friendly
def resume(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Take the request off hold."""
    from . import service

    _done(service.resume(_desk(brief=not as_json), ref, actor=actor, note=note, key=key), "resumed", as_json)


@app.command()
@friendly
def handoff(
    ref: str,
    to: Annotated[str, typer.Option("--to", metavar="EMAIL", help="The team member who takes it over.")],
    note: Note, key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Hand the request to another member of its team, with a note."""
    from . import service

    view = service.hand_off(_desk(brief=not as_json), ref, actor=actor, to=to, note=note, key=key)
    _done(view, f"handed to {view['owner']['name']}", as_json)


@app.command()
@friendly
def note(
    ref: str, note: Note,
    internal: Annotated[bool, typer.Option("--internal", help="Only the team sees it.")] = False,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Add a note to the timeline (the requester sees it unless --internal)."""
    from . import service

    _done(service.add_note(_desk(brief=not as_json), ref, actor=actor, note=note, internal=internal, key=key),
          "note added", as_json)


@app.command()
@friendly
def answer(
    ref: str, field: Fields = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", help="Why, for the timeline.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Change answers to the request's form ("--field cordoned=yes"; "key=" clears one): its
    department's rule may change the priority, and with it the promise."""
    from . import service

    view = service.change_answers(_desk(), ref, actor=actor, answers=_fields(field), note=note, key=key)
    if as_json or view["repeated"] or view["timeline"][-1]["kind"] != "priority_changed":
        return _done(view, "answers changed", as_json)
    _done(view, f"answers changed; now {view['priority']} priority, resolve by "
                f"{_when(view['promise']['resolve_by'], view['timezone'])}", as_json)


@app.command()
@friendly
def contractor(
    ref: str,
    company: Annotated[str, typer.Option("--company", help="The contractor's company.")],
    name: Annotated[Optional[str], typer.Option("--name", help="Who is coming, if known.")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="Their phone number.")] = None,
    booked: Annotated[Optional[str], typer.Option("--booked", metavar="WHEN", help="When they are booked to "
                                                  "come: 2026-12-04T10:00 (the team's time) or with an offset.")] = None,
    done: Annotated[bool, typer.Option("--done", help="They are no longer working on it.")] = False,
    note: Annotated[Optional[str], typer.Option("--note", "-n", help="A note for the timeline.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Book an outside contractor for a request (or --done: no longer on it); you still own it."""
    from datetime import datetime

    from . import service
    from .errors import ValidationError

    when = None
    if booked:
        try:
            when = datetime.fromisoformat(booked.strip())
        except ValueError:
            raise ValidationError(f"--booked {booked!r} is not a time; write it like 2026-12-04T10:00") from None
    view = service.work_with(_desk(brief=not as_json), ref, actor=actor, company=company, name=name, phone=phone,
                             booked_for=when, done=done, note=note, key=key)
    _done(view, f"{company} no longer on it" if done else f"working with {company}", as_json)


@app.command()
@friendly
def attach(
    ref: str,
    paths: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Photos (JPEG, PNG, GIF, WebP) or PDFs.")],
    internal: Annotated[bool, typer.Option("--internal", help="Only the team sees them.")] = False,
    note: Annotated[Optional[str], typer.Option("--note", "-n", help="A note to go with them.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Add photos or files to a request (the requester sees them unless --internal)."""
    from . import service
    from .errors import ValidationError

    sent = []
    for path in paths:
        try:
            sent.append(service.Upload(path.name, path.read_bytes()))
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    view = service.attach(_desk(brief=not as_json), ref, actor=actor, files=sent, internal=internal, note=note, key=key)
    _done(view, f"{len(sent)} file{'s' if len(sent) != 1 else ''} attached", as_json)


@app.command("files")
@friendly
def list_files(ref: str, actor: As = None, as_json: Json = False) -> None:
    """The photos and files on a request that you may see; get one with 'ownit file get ID'."""
    from . import service
    from .uploads import shown

    found = service.files(_desk(), ref, actor=actor)
    if as_json:
        return _print_json(found)
    if not found:
        typer.echo(f"{ref.strip().upper()}: no files")
    for f in found:
        typer.echo(f"{f['id']:>5}  {f['name']}  {f['content_type']}  {shown(f['size'])}  {f['by_name']}  "
                   f"{f['at'][:16].replace('T', ' ')}" + ("  internal" if f["internal"] else ""))


@file_app.command("get")
@friendly
def get_file(
    attachment: Annotated[int, typer.Argument(metavar="ID", help="The file's id, from 'ownit files REF'.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="PATH", help="Where to save it; by "
                                                "default its name, in this folder.", parser=path_given)] = None,
    thumbnail: Annotated[bool, typer.Option("--thumbnail", help="A photo's thumbnail instead.")] = False,
    actor: As = None, as_json: Json = False,
) -> None:
    """Save a photo or file of a request you may see."""
    from . import service
    from .errors import ValidationError
    from .uploads import shown

    view, data = service.get_file(_desk(), attachment, actor=actor, thumbnail=thumbnail)
    target = out or Path(view["name"])
    if target.exists():
        raise ValidationError(f"{target} exists already; pass --out PATH to save it elsewhere")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise ValidationError(f"cannot save to {target}: {exc.strerror or exc}; pick another --out") from None
    if as_json:
        return _print_json({**view, "path": str(target)})
    typer.echo(f"{view['ref']}: saved {view['name']} ({shown(view['size'])}) to {target}")


@app.command()
@friendly
def resolve(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Mark the request resolved; the requester confirms it."""
    from . import service

    _done(service.resolve(_desk(brief=not as_json), ref, actor=actor, note=note, key=key), "resolved", as_json)


@app.command()
@friendly
def confirm(
    ref: str,
    nps: Annotated[Optional[int], typer.Option("--nps", help="How likely to recommend us, 0-10.")] = None,
    effort: Annotated[Optional[int], typer.Option("--effort", help="How hard was it for you, 1 (easy) to 7.")] = None,
    comment: Annotated[Optional[str], typer.Option("--comment", help="Anything to tell the team.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Confirm the fix (as the requester), closing the request."""
    from . import service

    _done(service.confirm(_desk(brief=not as_json), ref, actor=actor, nps=nps, effort=effort, comment=comment,
                          key=key), "closed", as_json)


@app.command()
@friendly
def reopen(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Reopen a request that is not fixed: while resolved, or up to 5 business days after it closed."""
    from . import service

    _done(service.reopen(_desk(brief=not as_json), ref, actor=actor, note=note, key=key), "reopened", as_json)


@app.command()
@friendly
def watch(
    ref: str,
    add: Annotated[Optional[str], typer.Option("--add", metavar="EMAIL", help="A colleague to follow it.")] = None,
    remove: Annotated[Optional[str], typer.Option("--remove", metavar="EMAIL", help="A watcher to take off "
                                                                                    "(yourself, say).")] = None,
    actor: As = None, as_json: Json = False,
) -> None:
    """Who follows a request (its watchers hear what the requester hears); --add or --remove one."""
    from . import service

    if add is None and remove is None:
        view = service.show(_desk(), ref, actor=actor)
    else:
        view = service.watch(_desk(), ref, actor=actor, add=add, remove=remove)
    if as_json:
        return _print_json(view)
    if add is not None or remove is not None:
        said = {(True, True): "watches it now", (True, False): "already watches it",
                (False, True): "no longer watches it", (False, False): "was not watching it"}
        typer.echo(f"{view['ref']}: {view['watcher']['name']} {said[(add is not None, view['changed'])]}")
    watching = ", ".join(f"{w['name']} ({w['email']})" for w in view["watchers"]) or "nobody"
    typer.echo(f"{view['ref']} watchers: {watching}")


@app.command()
@friendly
def metoo(ref: str, on_behalf_of: For = None, actor: As = None, as_json: Json = False) -> None:
    """Say a colleague's open request at your site affects you too: you hear what they hear about it."""
    from . import service

    view = service.me_too(_desk(), ref, actor=actor, on_behalf_of=on_behalf_of)
    if as_json:
        return _print_json(view)
    who = "they" if on_behalf_of else "you"
    said = f"{who} are on it too" if view["changed"] else f"{who} were on it already"
    typer.echo(f"{view['ref']}: {said}; it affects {view['affects']} people")
