"""``ownit charter``: what each team agreed with the stores it serves
(:mod:`ownit.charters`, :mod:`ownit.service.charters`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .cli import As, Json, _console, _desk, _print_json, friendly, path_given

charter_app = typer.Typer(help="Team charters: the promises and standards each team agreed with the stores.",
                          no_args_is_help=True, rich_markup_mode=None)


@charter_app.command("load")
@friendly
def load(file: Annotated[Path, typer.Argument(help="A TOML file of [[charter]] tables.", parser=path_given)], actor: As = None,
         as_json: Json = False) -> None:
    """Load teams' charters (an admin, or the lead of each team): a changed one is its next version."""
    from . import service

    counts = service.load_charters(_desk(), file, actor=actor)
    if as_json:
        return _print_json(counts)
    new = counts["new_charters"]
    typer.echo(f"loaded {counts['charters']} charter{'s' * (counts['charters'] != 1)} from {file}: "
               + (f"{new} new version{'s' * (new != 1)}" if new else "nothing new (each says what it said)"))


@charter_app.command("show")
@friendly
def show(team: Annotated[str, typer.Argument(metavar="TEAM", help="The team's key, like facilities-north.")],
         as_json: Json = False) -> None:
    """A team's charter: who agreed it, what it promises (and where the plugin's default applies)."""
    from rich.table import Table

    from . import service

    found = service.charter(_desk(), team)
    if as_json:
        return _print_json(found)
    console = _console()
    current = found["current"]
    if current is None:
        typer.echo(f"{found['team']['name']} has no charter yet: the department's own promises apply "
                   "(add a [[charter]] to the org file)")
    else:
        typer.echo(f"{current['line']}; version {current['version']}, "
                   + (f"[overdue for review since {current['review']}]" if current["overdue"]
                      else f"due for review by {current['review']}"))
        if current["needs"]:
            typer.echo("needs from the stores: " + "; ".join(current["needs"]))
        typer.echo("standards: " + ", ".join(_standard(k, v) for k, v in current["standards"].items()))
        for tier, sites in current["tiers"].items():
            typer.echo(f"tier {tier}: {', '.join(sites)}")
        for task in current["tasks"]:
            typer.echo(f"tasks for {task['for']}: done within {task['within']}")
    table = Table("request type", "priority", "tier", "first contact", "check-in", "resolve", "from",
                  title=f"What {found['team']['name']} promises")
    for row in found["promises"]:
        table.add_row(row["request_type"], row["priority"], row["tier"] or "any", row["first_contact"],
                      row["checkin"] or "none", row["resolve"],
                      f"charter v{row['version']}" if row["source"] == "charter" else "plugin default")
    console.print(table)
    if len(found["versions"]) > 1:
        typer.echo("versions: " + "; ".join(f"{v['version']} agreed {v['agreed']}" for v in found["versions"]))


@charter_app.command("check")
@friendly
def check(actor: As = None, as_json: Json = False) -> None:
    """Where goals conflict: task commitments that cannot fit a promise to the stores, speed bought with
    satisfaction, charters past review."""
    from . import service

    found = service.check_charters(_desk(), actor=actor)
    if as_json:
        return _print_json(found)
    count = sum(len(found[k]) for k in ("conflicts", "targets", "speed", "reviews"))
    if not count:
        typer.echo("nothing to settle: every commitment fits the promises, and every charter is in date")
        return
    typer.echo(f"{count} thing{'s' * (count != 1)} to settle:")
    for kind, label in (("conflicts", "conflict"), ("targets", "faster targets, less happy stores"),
                        ("speed", "speed vs satisfaction"), ("reviews", "review")):
        for line in found[kind]:
            typer.echo(f"{label}: {line['line']}")  # one line each, whole, for a terminal or a pipe


def _standard(key: str, value: Any) -> str:
    from .charters import STANDARDS

    return STANDARDS[key][2].format(f"{value:.0%}" if STANDARDS[key][1] == 1.0 else f"{value:g}")
