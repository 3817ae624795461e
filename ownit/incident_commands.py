"""``ownit incident``: one problem affecting many stores, worked as one
incident with one named owner (:mod:`ownit.service.incidents`). Its first
update, check-ins, stages, hand-offs and resolving are the usual commands on
its ref (``ownit checkin INC-1001 --note ...``)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from .cli import As, For, Json, Key, _desk, _print_json, friendly
from .request_commands import _render

incident_app = typer.Typer(help="Incidents: one problem affecting many stores, with one owner.",
                           no_args_is_help=True, rich_markup_mode=None)

Scope = Annotated[Optional[str], typer.Option(
    "--scope", metavar="SCOPE", help="The stores it affects: all, region:NAME[,NAME] or sites:CODE[,CODE].")]


def _said(view: dict[str, Any]) -> str:
    incident = view["incident"]
    stores = f"{incident['stores']} store{'' if incident['stores'] == 1 else 's'}"
    return (f"{view['ref']} '{view['title']}' ({incident['scope']['words']}): {view['owner']['name']} owns it; "
            f"{incident['requests']} linked, {stores}")


@incident_app.command("declare")
@friendly
def declare(
    scope: Scope = None,
    from_ref: Annotated[Optional[str], typer.Option("--from", metavar="REF",
                                                    help="The request it was seen in; it is linked at once.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="What is wrong, for every store "
                                                                 "(default: the request's title).")] = None,
    department: Annotated[Optional[str], typer.Option("--department", help="Its department, without --from.")] = None,
    joins_as: Annotated[Optional[str], typer.Option(
        "--type", metavar="TYPE", help="Without --from: the request type a store joining it raises.")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", metavar="EMAIL",
                                                 help="Who owns it, of the team (default: you).")] = None,
    priority: Annotated[Optional[str], typer.Option("--priority", help="urgent, high, normal or low.")] = None,
    detail: Annotated[str, typer.Option("--detail", help="Anything else the team should know.")] = "",
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Declare an incident: one owner, its own promise, every store in scope told."""
    from . import service

    view = service.declare_incident(_desk(), actor=actor, scope=scope or "", title=title, from_ref=from_ref,
                                    department=department, joins_as=joins_as, owner=owner, priority=priority,
                                    detail=detail, key=key)
    if as_json:
        return _print_json(view)
    if view["repeated"]:
        typer.echo(f"{view['ref']} declared earlier with this key: nothing changed.")
        return
    typer.echo(f"declared {_said(view)}.")


@incident_app.command("link")
@friendly
def link(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT", help="The incident, like INC-1001.")],
    refs: Annotated[list[str], typer.Argument(metavar="REF...", help="The requests it covers.")],
    note: Annotated[Optional[str], typer.Option("--note", "-n", help="Why, in a sentence.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Make requests part of an incident: they keep their owners, and their requesters hear its updates."""
    from . import service

    view = service.link_incident(_desk(), incident, refs, actor=actor, note=note, key=key)
    if as_json:
        return _print_json(view)
    if view["repeated"]:
        typer.echo(f"{view['ref']}: linked earlier with this key, nothing changed.")
        return
    linked = ", ".join(view["linked_now"]) or "nothing new (each was part of it already)"
    typer.echo(f"linked {linked}. {_said(view)}.")


@incident_app.command("unlink")
@friendly
def unlink(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT", help="The incident, like INC-1001.")],
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request that is not part of it.")],
    note: Annotated[str, typer.Option("--note", "-n", help="Why, in a sentence: its requester reads it.")],
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """A request is not part of the incident after all: its own owner and promise carry on."""
    from . import service

    view = service.unlink_incident(_desk(), incident, ref, actor=actor, note=note, key=key)
    if as_json:
        return _print_json(view)
    if view["repeated"]:
        typer.echo(f"{view['ref']}: unlinked earlier with this key, nothing changed.")
        return
    typer.echo(f"{view['ref']} is no longer part of {incident.strip().upper()}; {view['owner']['name']} owns it "
               "and its own promise runs again.")


@incident_app.command("join")
@friendly
def join(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT", help="The incident, like INC-1001.")],
    on_behalf_of: For = None, key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Your store is affected too: a request of your own, part of the incident, owned by its owner."""
    from . import service

    view = service.join_incident(_desk(), incident, actor=actor, key=key, on_behalf_of=on_behalf_of)
    if as_json:
        return _print_json(view)
    said = "joined" if view["changed"] else f"{'they' if on_behalf_of else 'you'} had joined already"
    typer.echo(f"{view['ref']}: {said}; {view['part_of']['line']}.")


@incident_app.command("show")
@friendly
def show(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT", help="The incident, like INC-1001.")],
    actor: As = None, as_json: Json = False,
) -> None:
    """An incident: its owner, promise, scope, the requests linked to it and its timeline."""
    from . import service

    view = service.show(_desk(), incident, actor=actor)
    if view.get("incident") is None:
        from .errors import ValidationError

        raise ValidationError(f"{view['ref']} is a request, not an incident; 'ownit show {view['ref']}' shows it")
    if as_json:
        return _print_json(view)
    _render(view)


@incident_app.command("list")
@friendly
def list_(on_behalf_of: For = None, actor: As = None, as_json: Json = False) -> None:
    """The open incidents affecting your store (or a caller's)."""
    from . import service

    found = service.incidents_here(_desk(), actor=actor, on_behalf_of=on_behalf_of)
    if as_json:
        return _print_json(found)
    if not found:
        typer.echo(f"no open incident affects {'their' if on_behalf_of else 'your'} store")
    for incident in found:
        yours = f" (yours: {', '.join(incident['yours'])})" if incident["yours"] else ""
        typer.echo(f"{incident['ref']} {incident['title']} — {incident['scope']['words']}; "
                   f"{incident['owner']['name']} owns it{yours}")
