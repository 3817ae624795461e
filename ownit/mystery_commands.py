"""``ownit mystery``: a team's lead tests the service the stores meet with
mystery requests (:mod:`ownit.service.mystery`); the store managers who take
part raise them with ``ownit raise --mystery ID`` and answer the form."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from .cli import As, Json, Key, Note, _console, _count, _date, _desk, _print_json, friendly

mystery_app = typer.Typer(help="Mystery requests: test the service a store meets, then coach.",
                          no_args_is_help=True, rich_markup_mode=None)

Team = Annotated[str, typer.Argument(metavar="TEAM", help="The team's key, like facilities-north.")]
Id = Annotated[int, typer.Argument(metavar="ID", help="The mystery request's number.")]
YesNo = Annotated[str, typer.Option(metavar="yes|no")]


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


@mystery_app.command("programme")
@friendly
def set_programme(
    team: Team,
    per_month: Annotated[int, typer.Option("--per-month", help="How many mystery requests a month, at most.")],
    request_type: Annotated[list[str], typer.Option("--type", help="A request type to test; repeat for each.")],
    shopper: Annotated[list[str], typer.Option("--shopper", metavar="EMAIL",
                                               help="A store manager asked to raise them; repeat for each.")],
    actor: As = None, as_json: Json = False,
) -> None:
    """Set the team's mystery programme (its lead or an admin): each manager newly named is asked to take part."""
    from . import service

    found = service.set_mystery_programme(_desk(), actor=actor, team=team, per_month=per_month,
                                          request_types=request_type, shoppers=shopper)
    if as_json:
        return _print_json(found)
    waiting = [s["name"] for s in found["shoppers"] if not s["agreed"]]
    typer.echo(f"{found['team']['name']}: up to {found['per_month']} mystery requests a month of "
               f"{', '.join(found['request_types'])}"
               + (f"; asked to take part: {', '.join(waiting)}" if waiting else "; every manager named has agreed"))


@mystery_app.command("agree")
@friendly
def agree(
    team: Team,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Stop taking part: nothing more is planned for you.")]
    = False,
    actor: As = None, as_json: Json = False,
) -> None:
    """Agree to raise a team's mystery requests (a store manager its lead asked)."""
    from . import service

    found = service.take_part_in_mysteries(_desk(), actor=actor, team=team, agree=not withdraw)
    if as_json:
        return _print_json(found)
    name = next(i["name"] for i in found["invitations"] if i["team"] == team)
    typer.echo(f"you no longer raise {name}'s mystery requests" if withdraw
               else f"thank you: you raise {name}'s mystery requests; each scenario comes to your inbox")


@mystery_app.command("plan")
@friendly
def plan(
    team: Team,
    scenario: Annotated[str, typer.Option("--scenario", help="What the store manager raises, in a sentence or two.")],
    request_type: Annotated[Optional[str], typer.Option("--type", help="Its request type; default the "
                                                                       "programme's first.")] = None,
    shopper: Annotated[Optional[str], typer.Option("--shopper", metavar="EMAIL", help="Who raises it; default "
                                                   "the agreed manager with fewest to raise.")] = None,
    raise_by: Annotated[Optional[str], typer.Option("--by", metavar="DATE", help="Raised by (YYYY-MM-DD); "
                                                                                 "default a fortnight on.")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Plan a mystery request for the team: its store manager is sent the scenario."""
    from . import service

    found = service.plan_mystery(_desk(), actor=actor, team=team, scenario=scenario, request_type=request_type,
                                 shopper=shopper, raise_by=_date(raise_by, "--by"), key=key)
    if as_json:
        return _print_json(found)
    if found["repeated"]:
        typer.echo("planned earlier with this key, nothing changed.")
        return
    line = next(m for m in found["mysteries"] if m["id"] == found["planned"])
    typer.echo(f"mystery request {line['id']} planned: {line['shopper']} raises a {line['request_type']} by "
               f"{line['raise_by']}; they are sent the scenario.")


@mystery_app.command("show")
@friendly
def show(team: Team, actor: As = None, as_json: Json = False) -> None:
    """The team's programme and how far each mystery request has come (no open one is named)."""
    from rich.markup import escape
    from rich.table import Table

    from . import service

    found = service.mystery_programme(_desk(), actor=actor, team=team)
    if as_json:
        return _print_json(found)
    if found["per_month"] is None:
        typer.echo(f"{found['team']['name']} has no mystery programme yet ('ownit mystery programme --help')")
        return
    typer.echo(f"{found['team']['name']}: up to {found['per_month']} a month of {', '.join(found['request_types'])}")
    typer.echo("raised by: " + ", ".join(f"{s['name']} ({s['site']}{'' if s['agreed'] else ', not agreed yet'})"
                                         for s in found["shoppers"]))
    table = Table("id", "stage", "raise by", "raised by", "scenario", "request", "score", title="Mystery requests")
    for m in found["mysteries"]:
        table.add_row(str(m["id"]), m["stage"], m["raise_by"], escape(m["shopper"]), escape(m["scenario"]),
                      escape(f"{m['ref']} ({m['owner']})") if m["ref"] else "—", _score(m["score"]))
    _console().print(table)


@mystery_app.command("mine")
@friendly
def mine(actor: As = None, as_json: Json = False) -> None:
    """Your mystery requests: to agree to, to raise, to answer; and those revealed to you as their owner."""
    from . import service

    found = service.my_mysteries(_desk(), actor=actor)
    if as_json:
        return _print_json(found)
    said = False
    for invite in found["invitations"]:
        if not invite["agreed"]:
            said = True
            typer.echo(f"asked by {invite['lead']} to raise {invite['name']}'s mystery requests: "
                       f"'ownit mystery agree {invite['team']}'")
    for m in found["to_raise"]:
        said = True
        typer.echo(f"to raise by {m['raise_by']}: mystery request {m['id']} for {m['team']}, a {m['request_type']}: "
                   f"{m['scenario']} ('ownit raise --mystery {m['id']} ...')")
    for m in found["raised"]:
        said = True
        what = ("answer the form: 'ownit mystery answer " + str(m["id"]) + " ...'" if m["to_answer"]
                else f"scored {_score(m['score'])}" if m["score"] is not None else m["status"])
        typer.echo(f"mystery request {m['id']}: {m['ref']} {m['title']} — {what}")
    for m in found["revealed"]:
        said = True
        typer.echo(f"{m['ref']} {m['title']} was a mystery request: scored {_score(m['score'])}"
                   + (f"; {m['noted_by']}: {m['note']}" if m["note"] else ""))
    if not said:
        typer.echo("no mystery request for you")


@mystery_app.command("answer")
@friendly
def answer(
    mystery_id: Id,
    told_owner: Annotated[str, typer.Option("--told-owner", metavar="yes|no", help="Were you told who owns it?")],
    told_goal: Annotated[str, typer.Option("--told-goal", metavar="yes|no", help="...their goal?")],
    told_how: Annotated[str, typer.Option("--told-how", metavar="yes|no", help="...how they would work with you?")],
    told_part: Annotated[str, typer.Option("--told-part", metavar="yes|no", help="...what your part was?")],
    heard_why: Annotated[str, typer.Option("--heard-why", metavar="yes|no", help="Did you hear why it matters?")],
    fought_corner: Annotated[str, typer.Option("--fought-corner", metavar="yes|no",
                                               help="Did someone fight your corner?")],
    nps: Annotated[int, typer.Option("--nps", help="How likely to recommend the team, 0-10.")],
    effort: Annotated[int, typer.Option("--effort", help="How much effort it took you, 1 very easy - 7 very hard.")],
    comment: Annotated[str, typer.Option("--comment", help="Anything else.")] = "",
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Answer the form for your closed mystery request: it is scored, and its owner learns it was one."""
    from . import service

    found = service.answer_mystery(_desk(), mystery_id, actor=actor, key=key, answers=dict(
        told_owner=told_owner, told_goal=told_goal, told_how=told_how, told_part=told_part, heard_why=heard_why,
        fought_corner=fought_corner, nps=nps, effort=effort, comment=comment))
    if as_json:
        return _print_json(found)
    if found["repeated"]:
        typer.echo(f"{found['ref']}: answered earlier with this key, nothing changed.")
        return
    typer.echo(f"{found['ref']}: thank you. It scored {_score(found['score'])} out of 100; {found['owner']} and "
               "the team's lead now see it was a mystery request.")


@mystery_app.command("note")
@friendly
def note(mystery_id: Id, text: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """The lead's coaching note on a scored mystery request: its owner is told."""
    from . import service

    found = service.note_mystery(_desk(), mystery_id, actor=actor, note=text, key=key)
    if as_json:
        return _print_json(found)
    typer.echo(f"{found['ref']}: noted earlier with this key, nothing changed." if found["repeated"]
               else f"{found['ref']}: your note is with {found['owner']}.")


@mystery_app.command("results")
@friendly
def results(
    team: Team,
    since: Annotated[Optional[str], typer.Option("--since", help="First day (YYYY-MM-DD); default 91 days ago.")]
    = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day, included (YYYY-MM-DD).")] = None,
    actor: As = None, as_json: Json = False,
) -> None:
    """The team's mystery scores: by month, by owner with the spread, beside its service health."""
    from datetime import datetime, time, timedelta, timezone

    from rich.markup import escape
    from rich.table import Table

    from . import service

    first, last = _date(since, "--since"), _date(until, "--until")
    found = service.mystery_results(
        _desk(), actor=actor, team=team, since=datetime.combine(first, time.min, timezone.utc) if first else None,
        until=datetime.combine(last + timedelta(days=1), time.min, timezone.utc) if last else None)
    if as_json:
        return _print_json(found)
    console = _console()
    name = found["team"]["name"]
    if not found["count"]:
        typer.echo(f"{name}: no mystery request scored from {found['since'][:10]} to {found['until'][:10]}")
        return
    spread = found["spread"]
    typer.echo(f"{name}: {_count(found['count'], 'mystery request')} scored, mean {_score(found['mean'])}; owners from "
               f"{_score(spread['lowest'])} to {_score(spread['highest'])}"
               + (" — a wide spread: the service depends on who you get" if spread["wide"] else ""))
    months = Table("month", "mean", "scored", title="By month")
    for row in found["months"]:
        months.add_row(row["month"], _score(row["mean"]), str(row["count"]))
    console.print(months)
    owners = Table("owner", "mean", "scored", "lowest", "highest", title="By owner")
    for row in found["owners"]:
        owners.add_row(escape(row["name"]), _score(row["mean"]), str(row["count"]), _score(row["lowest"]),
                       _score(row["highest"]))
    console.print(owners)
    beside = Table("figure", "service health", "mystery requests", title="What the team measures, beside what a "
                                                                           "customer met")
    for row in found["beside"]:
        beside.add_row(row["figure"], _figure(row["figure"], row["health"]), _figure(row["figure"], row["mystery"]))
    console.print(beside)


def _figure(figure: str, value: float | None) -> str:
    """A share as a percentage; NPS and effort as they are."""
    if value is None:
        return "—"
    return f"{value:.0f}" if figure == "NPS" else f"{value:.1f}" if figure.startswith("effort") else _share(value)
