"""``ownit task``: part of a request another department's team is asked to
do, with one named owner in that team and a dated commitment
(:mod:`ownit.service.tasks`); the request keeps its own owner."""

from __future__ import annotations

from typing import Annotated, Any, Callable

import typer

from .cli import As, Json, Key, Note, _date, _desk, _print_json, _when, friendly

task_app = typer.Typer(help="Tasks: part of a request another department's team is asked to do.",
                       no_args_is_help=True, rich_markup_mode=None)

TeamKey = Annotated[str, typer.Option("--team", metavar="KEY", help="The team, like it-service ('ownit teams').")]


def _task_line(task: dict[str, Any]) -> str:
    return f"task {task['id']}: {task['line']}"


def _answer(view: dict[str, Any], as_json: bool, *, earlier: str, now: Callable[[], str]) -> None:
    """The action's answer: its JSON, what was done ``now``, or that it was
    done ``earlier`` with the same key and nothing changed."""
    if as_json:
        return _print_json(view)
    typer.echo(f"{view['ref']}: {earlier} with this key, nothing changed." if view["repeated"] else now())


@task_app.command("add")
@friendly
def add(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request, like FAC-1001.")],
    team: TeamKey,
    what: Annotated[str, typer.Option("--what", help="What the team is asked to do, in a sentence.")],
    needed_by: Annotated[str, typer.Option("--by", metavar="DATE", help="When it is needed by (YYYY-MM-DD).")],
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Ask another department's team for a task on your request: one of them owns it, due by their charter."""
    from . import service

    view = service.ask_task(_desk(), ref, actor=actor, team=team, what=what, needed_by=_date(needed_by, "--by"),
                            key=key)
    _answer(view, as_json, earlier="asked earlier",
            now=lambda: f"{view['ref']}: {_task_line(view['task'])}. {view['owner']['name']} still owns {view['ref']}.")


@task_app.command("done")
@friendly
def done(
    task_id: Annotated[int, typer.Argument(metavar="ID", help="The task's number ('ownit task list').")],
    note: Note, key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Mark a task of yours done: the request's owner is told."""
    from . import service

    view = service.task_done(_desk(), task_id, actor=actor, note=note, key=key)
    _answer(view, as_json, earlier=f"task {task_id} marked done earlier",
            now=lambda: f"{view['ref']}: {_task_line(view['task'])}; {view['owner']['name']} is told.")


@task_app.command("list")
@friendly
def list_(team: TeamKey, actor: As = None, as_json: Json = False) -> None:
    """A team's open tasks, the most pressing first."""
    from . import service

    found = service.team_tasks(_desk(), actor=actor, team=team)
    if as_json:
        return _print_json(found)
    if not found:
        typer.echo(f"no open task for {team}")
    for task in found:
        request = task["request"]
        typer.echo(f"{task['id']:>4}  {request['ref']} {request['title']} ({request['site']}; "
                   f"{request['owner']} owns it) — {task['what']} — {task['owner']['name']}, due "
                   f"{_when(task['due'], task['timezone'])}" + (" LATE" if task["late"] else ""))

