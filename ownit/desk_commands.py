"""Running the desk from the command line: the service-health report, a
backup and a guarded restore, the sweep, and the outbox (what could not be
delivered, and a retry)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli import (As, Json, _console, _console_err, _count, _date, _desk, _fail, _one_line, _print_json, app,
                  friendly, path_given)


@app.command()
@friendly
def report(
    team: Annotated[Optional[str], typer.Option("--team", help="One team (key).")] = None,
    department: Annotated[Optional[str], typer.Option("--department", help="One department (key).")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="One owner (email).")] = None,
    site: Annotated[Optional[str], typer.Option("--site", help="One site (code).")] = None,
    request_type: Annotated[Optional[str], typer.Option("--type", help="One request type.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="First day (YYYY-MM-DD); default 28 days ago.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day, included (YYYY-MM-DD); default now.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Rows per week, owner or team.")] = None,
    actor: As = None,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV: one line per row.")] = False,
) -> None:
    """Service health: promises kept, speed beside satisfaction, the spread across owners."""
    from datetime import datetime, time, timedelta, timezone

    from . import service
    from .metrics import COUNTS, FIGURES
    from .metrics import shown as _figure

    if as_json and as_csv:
        _fail("use --json or --csv, not both", 2)
    first, last = _date(since, "--since"), _date(until, "--until")
    start = datetime.combine(first, time.min, timezone.utc) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, timezone.utc) if last else None
    data = service.report(_desk(), actor=actor, team=team, department=department, owner=owner, site=site,
                          request_type=request_type, since=start, until=end, by=by)
    if as_json:
        return _print_json(data)
    rows = data.get("rows") or [{"key": "all", "name": "all", **data["headline"]}]
    if as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["key", "name", *(k for k, *_ in FIGURES), *COUNTS])
        for row in rows:
            writer.writerow([row["key"], row["name"], *(row[k] for k, *_ in FIGURES), *(row[c] for c in COUNTS)])
        return
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    period = f"{data['since'][:10]} to {(datetime.fromisoformat(data['until']) - timedelta(seconds=1)):%Y-%m-%d}"
    what = escape(", ".join(f"{k} {v}" for k, v in data["scope"].items() if v) or "everything")
    console = _console()
    if "rows" not in data:
        table = Table(box=box.SIMPLE_HEAD, title=f"Service health: {what}, {period}")
        for heading in ("figure", "now", "before", "best owner", "worst owner", "below std"):
            table.add_column(heading, no_wrap=heading != "best owner" and heading != "worst owner")
        for key, heading, _, _ in FIGURES:
            spread = data["spread"][key]
            table.add_row(heading, _figure(key, data["headline"][key]), _figure(key, data["previous_headline"][key]),
                          *(f"{escape(spread[end]['name'])} {_figure(key, spread[end]['value'])}" if spread[end] else "—"
                            for end in ("best", "worst")),
                          str(spread["below_standard"]) if key in data["standards"] else "")
    else:  # one line per group: the figures people compare, short enough for a terminal
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title=f"Service health by {by}: {what}, {period}",
                      caption="contact: first contacts kept, median hours; resolve: median business days; "
                              "kept: promises kept; NPS (ratings)")
        for heading in (by, "contact", "check-ins", "resolve", "kept", "reopen", "NPS", "effort"):
            table.add_column(heading, no_wrap=heading != by)
        for row in rows:
            table.add_row(escape(row["name"]),
                          f"{_figure('first_contact_kept', row['first_contact_kept'])} "
                          f"{_figure('first_contact_median_h', row['first_contact_median_h'])}",
                          *(_figure(k, row[k]) for k in ("checkins_kept", "resolve_median_d", "promises_kept",
                                                         "reopen_rate")),
                          f"{_figure('nps', row['nps'])} ({row['responses']})", _figure("effort", row["effort"]))
    console.print(table)
    headline = data["headline"]
    console.print(f"{_count(headline['resolved'], 'resolution')}, {_count(headline['responses'], 'rating')}.")
    if data.get("charter"):  # a team: measured against what it agreed with the stores
        charter = data["charter"]
        console.print(f"Measured against {escape(charter['line'])} (version {charter['version']})"
                      + (f"; [bold yellow]overdue for review since {charter['review']}[/]" if charter["overdue"]
                         else ""))
    for line in data["alignment"]:
        if line["flag"]:
            console.print(f"[bold red]Flag:[/] {escape(line['flag'])}")
    for group in data.get("incidents", []):  # each counted once above, as the request it is
        console.print(f"[bold magenta]{escape(group['department'])} incidents:[/] {group['count']}, "
                      f"{_count(group['stores'], 'store')} affected, {group['store_hours']} store-hours")
        for line in group["incidents"]:
            console.print(f"  {line['ref']} {escape(line['title'])} — {escape(line['owner'])}, {line['status']}; "
                          f"{_count(line['stores'], 'store')} for {line['hours']} h")


def _progress_bar(description: str) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = _console_err()  # drawn only on a terminal: elsewhere it would leave a blank line before an error
    return Progress(TextColumn(description), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal)


@app.command()
@friendly
def backup(path: Annotated[Path, typer.Argument(help="A new file for the copy.", parser=path_given)],
           as_json: Json = False) -> None:
    """Copy the live SQLite database to PATH (consistent while people work), and check the copy."""
    from . import backup as backups
    from .db import default_database_url

    url = default_database_url()
    backups.ready_to_back_up(url, path)  # a mistake is one line, before any progress is drawn
    with _progress_bar("backing up") as bar:
        task = bar.add_task("copy", total=None)
        result = backups.backup(url, path, progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        return _print_json(result)
    typer.echo(f"backed up {_count(result['requests'], 'request')} and {_count(result['events'], 'event')} to "
               f"{path} ({result['bytes'] / 1e6:.1f} MB in {result['seconds']:.1f} s); the copy checks out")
    _files_copied(result, backups.files_beside(path).root)


@app.command()
@friendly
def restore(path: Annotated[Path, typer.Argument(help="A file made by ownit backup.", parser=path_given)],
            check: Annotated[bool, typer.Option("--check", help="Only check the copy; change nothing.")] = False,
            replace: Annotated[bool, typer.Option("--replace", help="Overwrite a database that holds requests, "
                                                                   "or a file that is not an OwnIt database.")] = False,
            actor: As = None, as_json: Json = False) -> None:
    """Check a backup and put it in place of the SQLite database (an admin's job; the database it
    replaces is kept next to it), then upgrade it."""
    from . import backup as backups
    from . import service
    from .db import default_database_url

    url = default_database_url()
    if check:
        result = backups.check(path)
    else:
        ready = service.ready_to_restore(url, path, actor=actor, replace=replace)  # one line, before any progress
        with _progress_bar("restoring") as bar:
            task = bar.add_task("copy", total=None)
            result = service.restore_backup(url, path, actor=actor, ready=ready, progress=lambda done, total:
                                            bar.update(task, completed=done, total=total))
    if as_json:
        return _print_json(result)
    what = f"{_count(result['requests'], 'request')}, {_count(result['events'], 'event')}"
    if check:
        typer.echo(f"{path} checks out: {what}, schema {result['revision']}"
                   + ("" if result["current"] else " (older; restoring upgrades it)"))
    else:
        typer.echo(f"restored {what} from {path} to {result['restored_to']}"
                   + (f"; what was there is kept at {result['kept']}" if result["kept"] else ""))
        from .files import folder_for

        _files_copied(result, folder_for(url))


def _files_copied(result: dict[str, Any], folder: Path) -> None:
    """The photos and files a backup or restore copied, and a warning for any it could not find."""
    if result["files"]:
        typer.echo(f"{_count(result['files'], 'file')} copied to {folder}")
    if result["files_missing"]:
        typer.echo(f"warning: {_count(result['files_missing'], 'file')} named by attachments were not found; "
                   f"their requests show them but they cannot be opened", err=True)


@app.command()
@friendly
def sweep(as_json: Json = False) -> None:
    """Escalate missed promises, nudge owners, hand on absentees' work (run from cron)."""
    from rich.progress import Progress

    from . import service

    with Progress(transient=True, console=_console_err()) as bar:
        task = bar.add_task("sweeping", total=None)
        report = service.sweep(_desk(), progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        return _print_json(report)
    for line in report["escalated"]:
        typer.echo(f"{line['ref']}: {line['what']} overdue, escalated to {line['lead']}")
    for line in report["overdue"]:
        typer.echo(f"{line['ref']}: {line['what']} overdue, told {line['owner']}")
    for line in report["due_soon"]:
        typer.echo(f"{line['ref']}: {line['what']} due soon, told {line['owner']}")
    for line in report["reassigned"]:
        what = f"task {line['task']} " if line.get("task") else ""
        typer.echo(f"{line['ref']}: {what}handed to {line['to']} (owner away)")
    for line in report["closed"]:
        typer.echo(f"{line['ref']}: closed (resolved, no reply)")
    for line in report["tasks_late"]:
        typer.echo(f"{line['ref']}: task {line['task']} for {line['team']} late, told {line['owner']}")
    _undeliverable(report)
    typer.echo(f"swept {report['looked_at']} requests: {len(report['due_soon'])} due soon, "
               f"{len(report['overdue'])} overdue, {len(report['escalated'])} escalated, "
               f"{len(report['reassigned'])} reassigned, {len(report['closed'])} closed"
               + (f"; {_count(len(report['tasks_late']), 'late task')} told" if report["tasks_late"] else "")
               + (f"; {_count(len(report['digests']), 'morning digest')} sent" if report["digests"] else "")
               + (f"; {_count(report['mystery_forms'], 'mystery form')} asked for" if report["mystery_forms"] else "")
               + (f"; {len(report['redelivered'])} notifications delivered on retry" if report["redelivered"] else "")
               + (f"; {report['tallies_recounted']} days of service health recounted"
                  if report["tallies_recounted"] else ""))


def _undeliverable(report: dict[str, Any]) -> None:
    for line in report["undeliverable"]:
        typer.echo(f"notification {line['id']} to {line['to']}: failed {line['attempt']} times, last: "
                   f"{_one_line(line['error'])}; it stays in their inbox (ownit outbox --retry {line['id']})")


@app.command()
@friendly
def outbox(
    actor: As = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only the dead letters: every attempt failed.")] = False,
    retry: Annotated[Optional[int], typer.Option("--retry", metavar="ID", help="Send notification ID again now "
                                                 "(admins).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many, newest first.")] = 50,
    as_json: Json = False,
) -> None:
    """What OwnIt sent or is to send by mail and chat: everyone's for an admin, else your own."""
    from . import service

    desk = _desk()
    if retry is not None:
        report = service.retry_notification(desk, retry, actor=actor)
        if as_json:
            return _print_json(report)
        for line in report["redelivered"]:
            typer.echo(f"notification {line['id']} to {line['to']}: delivered (attempt {line['attempt']})")
        if not any(report.values()) or report["declined"]:
            typer.echo(f"notification {retry}: no channel reaches its recipient (their settings, or no address for "
                       "them); it is in their inbox")
        for line in report["retrying"] + report["undeliverable"]:
            _fail(f"notification {line['id']} to {line['to']} failed again (attempt {line['attempt']}): "
                  f"{line['error']}")
        return None
    rows = service.outbox(desk, actor=actor, failed=failed, limit=limit)
    if as_json:
        return _print_json(rows)
    from rich.table import Table

    table = Table("id", "when", "to", "ref", "kind", "state", "tries", "next / why", box=None)
    for row in rows:
        why = row["error"] if row["state"] in ("failed", "retrying") else row["next_attempt_at"] or ""
        table.add_row(str(row["id"]), row["created_at"][:16], row["to"], row["ref"] or "", row["kind"],
                      row["state"], str(row["attempts"]), _one_line(why) if why else "")
    if rows:
        _console().print(table)
    else:
        typer.echo("no failed notifications" if failed else "nothing in the outbox")
