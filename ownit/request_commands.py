"""``ownit raise``, ``ownit queue`` and ``ownit show``: a request raised
for someone, the queue an agent works from, and one request whole. Their
commands are registered on :data:`ownit.cli.app` where ``ownit.cli`` imports
this module, so ``ownit --help`` lists them in their place."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli import (As, For, Json, Key, _console, _count, _date, _desk, _fail, _print_json, _when, app, friendly,
                  state)


Fields = Annotated[Optional[list[str]], typer.Option("--field", "-f", metavar="KEY=VALUE",
                                                      help="A form field; repeat for each.")]


def _fields(given: list[str] | None) -> dict[str, Any]:
    """``--field key=value`` options as answers (one line, exit 2, for one
    without ``=``); ``key=@PATH`` sends the file at PATH (a photo question)."""
    from .errors import ValidationError
    from .uploads import Upload

    fields: dict[str, Any] = {}
    for item in given or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _fail(f"--field {item!r} must look like key=value", 2)
        if value.startswith("@"):
            if "\x00" in value:
                _fail(f"--field {name.strip()}: the path holds a NUL character, which no file name can; retype it", 2)
            path = Path(value[1:])
            try:
                value = Upload(path.name, path.read_bytes())
            except OSError as exc:
                raise ValidationError(f"--field {name.strip()}: cannot read {path}: {exc.strerror or exc}; "
                                      "check the path") from None
        fields[name.strip()] = value
    return fields


@app.command("raise")
@friendly
def raise_(
    request_type: Annotated[str, typer.Option("--type", "-t", help="Request type, e.g. facilities.leak.")],
    title: Annotated[str, typer.Option("--title", help="One line a colleague would understand.")],
    detail: Annotated[str, typer.Option("--detail", help="Anything else the owner should know.")] = "",
    field: Fields = None,
    needed_by: Annotated[Optional[str], typer.Option("--needed-by", metavar="DATE",
                                                     help="When you need it (YYYY-MM-DD).")] = None,
    site: Annotated[Optional[str], typer.Option("--site", help="Site code, if not your own.")] = None,
    for_site: Annotated[bool, typer.Option("--for-site", help="For the site, not only you: its deputies hear "
                                                              "what you hear.")] = False,
    on_behalf_of: For = None,
    mystery: Annotated[Optional[int], typer.Option("--mystery", metavar="ID", help="The mystery request you were "
                                                   "asked to raise ('ownit mystery mine').")] = None,
    key: Key = None,
    actor: As = None,
    as_json: Json = False,
) -> None:
    """Raise a request; it gets one named owner straight away."""
    from . import service

    view = service.raise_request(_desk(), actor=actor, request_type=request_type, title=title, detail=detail,
                                 fields=_fields(field), needed_by=_date(needed_by, "--needed-by"), site=site,
                                 for_site=for_site, key=key, on_behalf_of=on_behalf_of, mystery=mystery)
    if as_json:
        return _print_json(view)
    owner = view["owner"]
    if view["repeated"]:
        typer.echo(f"{view['ref']} raised earlier with this key: nothing changed. {owner['name']} owns it.")
        return
    whom = f" for {view['requester']['name']}" if view["raised_by"] else ""
    typer.echo(f"{view['ref']} raised{whom}: {owner['name']} ({view['team']['name']}) owns it and will contact "
               f"{'them' if whom else 'you'} by {_when(view['promise']['first_contact_due'], view['timezone'])}.")
    now = next((a["action"] for a in view["promise"]["requester_actions"] if a["now"]), None)
    if now:  # what the first stage asks of the requester, at once
        typer.echo(f"{'Their' if whom else 'Your'} part now: {now}")


# --- the queue and one request -------------------------------------------------------------------


@app.command()
@friendly
def queue(
    mine: Annotated[bool, typer.Option("--mine", help="Requests you own (the default).")] = False,
    team: Annotated[Optional[str], typer.Option("--team", help="A team's requests (members and leads).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only requests past a due time.")] = False,
    due_today: Annotated[bool, typer.Option("--due-today", help="Only requests due later today.")] = False,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Within --team: one person's requests.")] = None,
    status: Annotated[Optional[list[str]], typer.Option("--status", help="open, waiting, resolved, closed; repeatable.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Only requests whose title or reference holds these words.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many lines, most pressing first.")] = 20,
    actor: As = None,
    as_json: Json = False,
) -> None:
    """Your queue (or a team's), most pressing first."""
    from rich.table import Table

    from .clock import SystemClock
    from .plugins import get_plugins
    from .queues import queue as read_queue
    from .queues import tasks as read_tasks
    from .store.unit import default_database_url, reading

    if mine and team:
        _fail("use --mine or --team, not both", 2)
    # A unit of work on the database driver, without loading SQLAlchemy (a quarter of a second): a queue
    # is what an agent opens all day (docs/benchmarks.md). The same function is ownit.service.queue.
    plugins = get_plugins()
    for problem in plugins.problems:
        typer.echo(f"warning: {problem}", err=True)
    with reading(default_database_url(), now=state.now or SystemClock().now()) as u:
        rows = read_queue(u, plugins=plugins, actor=actor, team=team, overdue=overdue, due_today=due_today,
                          owner=owner, statuses=status, search=search, limit=limit)
        asked = read_tasks(u, actor=actor, team=team) if team and not as_json else []
    if as_json:
        return _print_json(rows)
    if not rows:
        typer.echo("nothing here: the queue is empty")
    else:
        table = Table("ref", "title", "priority", "status", "owner", "stage", "next due",
                      title=f"{'Team ' + team if team else 'Your'} queue")
        for r in rows:
            due = _when(r["next_due"], r["timezone"])
            table.add_row(r["ref"], r["title"], r["priority"], r["status"], r["owner"]["name"],
                          f"{r['stage_label']} ({r['progress']['done']}/{r['progress']['total']})",
                          f"[bold red]{due} overdue[/]" if r["overdue"] else due)
        if len(rows) == limit:
            table.caption = f"the {limit} most pressing; --limit {limit * 4} shows more"
        _console().print(table)
    if asked:  # beside its requests: the parts of other departments' requests it was asked to do
        tasks = Table("task", "for", "what", "owner", "due", title=f"Tasks asked of {team}")
        for t in asked:
            due = _when(t["due"], t["timezone"])
            tasks.add_row(str(t["id"]), f"{t['ref']} {t['title']}", t["what"], t["owner"],
                          f"[bold red]{due} late[/]" if t["late"] else due)
        _console().print(tasks)


@app.command()
@friendly
def show(ref: str, actor: As = None, as_json: Json = False) -> None:
    """One request: owner, promise, progress and timeline."""
    from . import service

    view = service.show(_desk(), ref, actor=actor)
    if as_json:
        return _print_json(view)
    _render(view)


_STATE_STYLE = {"met": "green", "missed": "yellow", "on track": "green", "due soon": "yellow",
                "overdue": "bold red", "paused": "cyan"}


def _state(state: str | None) -> str:
    return f" [{_STATE_STYLE[state]}]{state}[/]" if state else ""


def _render(view: dict[str, Any]) -> None:
    """The promise card, the stepper and the timeline of one request."""
    from rich.markup import escape

    zone = view["timezone"]
    console = _console()
    owner, promise = view["owner"], view["promise"]
    states = promise["states"]
    console.print(f"[bold]{view['ref']}[/] {view['title']}  [dim]{view['request_type_label']}, "
                  f"{view['priority']}, {view['status']}[/]")
    if view["why"]:
        console.print(f"[italic]Why it matters:[/] {view['why']}")
    console.print(f"Owner: [bold]{owner['name']}[/], {owner['title']}, {view['team']['name']} "
                  f"— {owner['email']}" + (f", {owner['phone']}" if owner["phone"] else ""))
    raised = f"{view['raised_by']['name']} for " if view["raised_by"] else ""
    console.print(f"Raised by {raised}{view['requester']['name']} at {view['site']['name']} "
                  f"on {_when(view['raised_at'], zone)}" + (", for the site" if view["for_site"] else ""))
    if view["watchers"]:
        console.print("Watchers: " + ", ".join(f"{w['name']} ({w['email']})" for w in view["watchers"]))
    if view.get("part_of"):  # the incident it is part of, whose promise stands in for its own
        console.print(f"[bold magenta]Part of an incident:[/] {view['part_of']['line'].removeprefix('part of ')}")
    incident = view.get("incident")
    if incident:
        console.print(f"[bold magenta]Incident[/] affecting {incident['scope']['words']}: "
                      f"{_count(incident['requests'], 'request')} linked at {_count(incident['stores'], 'store')}")
        for line in incident.get("linked", []):
            console.print(f"  {line['ref']} {line['title']} — {line['site']}, {line['requester']}; "
                          f"owner {line['owner']}, {line['status']}")
    mystery = view.get("mystery")
    if mystery:  # closed and scored: the reveal, for coaching
        parts = ", ".join(f"{p['label']} {p['value'] * 100:.0f}%" for p in mystery["parts"] if p["value"] is not None)
        console.print(f"[bold blue]This was a mystery request[/], raised to test the service: it scored "
                      f"{mystery['score']:g} out of 100 (rubric {mystery['rubric']}) — {escape(parts)}")
        if mystery["note"]:
            console.print(f"[blue]{escape(mystery['noted_by'])}'s note:[/] {escape(mystery['note'])}")
    for task in view.get("tasks", []):  # the parts other departments' teams were asked to do
        line = f"[bold red]{escape(task['line'])}[/]" if task["late"] else escape(task["line"])
        console.print(f"[cyan]Task {task['id']}:[/] {line}")
    for party in view.get("working_with", []):  # outside contractors on it; the owner still owns it
        console.print(f"[cyan]{escape(party['line'])}[/]")
    console.print(f"[italic]{promise['summary']}[/]")
    if promise["needs_agreement"]:
        console.print(f"[bold yellow]Needs agreement:[/] needed by {promise['needed_by']}, "
                      f"standard target {_when(promise['resolve_by'], zone)}")
    if promise["waiting"]:
        console.print(f"[bold cyan]Waiting on the requester[/] since {_when(promise['waiting']['since'], zone)}: "
                      f"{promise['waiting']['for']} (the promise clock is paused)")
    contact = (f"made {_when(promise['first_contact_at'], zone)}" if promise["first_contact_at"]
               else f"due by {_when(promise['first_contact_due'], zone)} (within {promise['first_contact_within']})")
    console.print(f"First contact: {contact}{_state(states['first_contact'])}")
    if promise["checkin_every"]:
        console.print(f"Check-ins: every {promise['checkin_every']}; next by "
                      f"{_when(promise['next_checkin_due'], zone)}{_state(states['checkin'])}")
    agreed = f" (agreed with the requester: {promise['agreed_by']})" if promise["agreed_by"] else ""
    console.print(f"Resolve by: {_when(promise['resolve_by'], zone)}{agreed}{_state(states['resolve'])}")
    console.print(f"[dim]These times count {promise['clock']}.[/]")
    charter = view.get("charter")
    if charter:  # what the promise was made under, and what the team needs from the store
        console.print(f"[dim]Promised under {escape(charter['line'])} (version {charter['version']})[/]")
        if charter["needs"]:
            console.print(f"[yellow]{escape(charter['team_name'])} needs from the store:[/] "
                          + escape("; ".join(charter["needs"])))
    console.print(f"Progress {view['progress']['done']}/{view['progress']['total']}:")
    for stage in promise["stages"]:
        mark = "●" if stage["current"] else ("✓" if stage["reached"] else "○")
        label = f"[bold]{stage['label']}[/]" if stage["current"] else stage["label"]
        expected = "" if stage["reached"] else (
            f"  [yellow]expected {_when(stage['expected'], zone)}, running late[/]" if stage["late"]
            else f"  [dim]expected {_when(stage['expected'], zone)}[/]")
        action = f"  [yellow]your part: {stage['requester_action']}[/]" if stage["requester_action"] else ""
        console.print(f"  {mark} {label}{expected}{action}")
    if view["answers"]:  # the department's questions as the requester answered them, safety risks in red
        from rich.markup import escape

        from .views import answer_line

        console.print("Answers:")
        for answer in view["answers"]:
            value = f"[bold red]{escape(answer['value'])} (safety)[/]" if answer["safety"] else escape(answer["value"])
            console.print(f"  {answer_line(escape(answer['label']), value)}")
    console.print("Timeline:")
    for entry in view["timeline"]:
        tag = " [dim](internal)[/]" if entry["internal"] else ""
        note = f" — {entry['note']}" if entry["note"] else ""
        console.print(f"  {_when(entry['at'], zone)}  {entry['kind']:<10} {entry['actor_name']}{note}{tag}")
