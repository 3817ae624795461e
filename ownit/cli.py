"""``ownit``: the support team's command line.

Only typer and the standard library are imported at the top, so ``ownit --help``
starts fast; the service, the database and the plugins load inside commands.
"""

from __future__ import annotations

import functools
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperGroup


class _OneLineErrors(TyperGroup):
    """Usage mistakes (an unknown option, a missing argument, a command OwnIt
    does not have) as one line and exit 2, like every other mistake, instead
    of click's usage, hint and error; ``ownit`` or ``ownit org`` alone still
    shows its help."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from typer.exceptions import TyperException  # click's exceptions, as typer ships them

        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except typer.Abort:
            typer.echo("error: stopped", err=True)
            sys.exit(1)
        except TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # a group named alone: its help
                exc.show()
                sys.exit(exc.exit_code)
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            typer.echo(f"error: {_one_line(exc.format_message().rstrip('.'))}{hint}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="ownit",
    help="OwnIt: every request has one named owner. The support team's tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich's help renderer costs ~130 ms at start-up
)
org_app = typer.Typer(help="The organisation directory: sites, people, teams.", no_args_is_help=True,
                      rich_markup_mode=None)
app.add_typer(org_app, name="org")
plugin_app = typer.Typer(help="Writing department plugins.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(plugin_app, name="plugin")
file_app = typer.Typer(help="Photos and files on requests.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(file_app, name="file")

def _identify(email: Optional[str]) -> Any:
    """Who the command acts as (:mod:`ownit.actors`): the ``--as``/``OWNIT_USER``
    email; with ``OWNIT_CLI_IDENTITY=os``, the operating-system account running
    it, acting as that email only if it is an admin's."""
    import os

    mode = os.environ.get("OWNIT_CLI_IDENTITY", "").strip().lower()
    if mode in ("", "flag"):
        return email
    if mode != "os":
        _fail(f"OWNIT_CLI_IDENTITY={mode!r} is not a mode; use 'os' (your login) or leave it unset (--as)", 2)
    import pwd

    from .actors import Login

    return Login(login=pwd.getpwuid(os.geteuid()).pw_name, acting_as=email)  # not $USER, which anyone can set


As = Annotated[Optional[str], typer.Option("--as", envvar="OWNIT_USER", metavar="EMAIL", callback=_identify,
                                           help="Who you are (or set OWNIT_USER).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON with stable keys.")]
Note = Annotated[str, typer.Option("--note", "-n", help="What you did or agreed, in a sentence.")]
Key = Annotated[Optional[str], typer.Option("--key", metavar="KEY", help="An idempotency key: the same command "
                                            "sent again with it within a day changes nothing.")]
For = Annotated[Optional[str], typer.Option("--for", metavar="EMAIL", help="For someone who phoned (support teams "
                                            "and admins): theirs as if they had done it, recorded as done by you.")]


class _State:
    now: datetime | None = None
    desk: Any = None
    console: Any = None  # a recording Rich console, for docs/screenshots.py


def _console_err() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _console() -> Any:
    from rich.console import Console

    return state.console or Console(highlight=False)


state = _State()


def _desk() -> Any:
    if state.desk is None:
        from .clock import FixedClock
        from .desk import Desk

        state.desk = Desk.open(clock=FixedClock(state.now) if state.now else None)
        for problem in state.desk.plugins.problems:
            typer.echo(f"warning: {problem}", err=True)
    return state.desk


def _one_line(text: str) -> str:
    """Control characters a person typed (a newline, an escape) shown escaped, so
    that a message quoting them is still one line and cannot drive the terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def path_given(text: str | Path) -> Path:
    """A file or folder named on the command line, or an option's default. (Typer's own path
    type asks the file system at once, which fails with a traceback on a name no file can have.)"""
    if "\x00" in str(text):
        raise typer.BadParameter("holds a NUL character, which no file name can; retype it")
    return Path(text)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(code)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and exit 1 for anything a person can fix; never a traceback."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import OwnitError

        try:
            result = func(*args, **kwargs)
        except OwnitError as exc:
            _fail(str(exc), exc.exit_code)
        except Exception as exc:
            message = _database_problem(exc)
            if message is None:
                raise
            _fail(message)
        if state.desk is not None:
            for warning in state.desk.take_warnings():
                typer.echo(f"warning: {_one_line(warning)}", err=True)
        return result

    return wrapper


def _database_problem(exc: Exception) -> str | None:
    if "sqlalchemy" not in sys.modules and type(exc).__module__.split(".")[0] not in ("sqlite3", "psycopg"):
        return None  # not a database's error: nothing to explain, and no reason to load SQLAlchemy
    from .db import default_database_url, explain

    explained = explain(exc, state.desk.url if state.desk else default_database_url())
    return str(explained) if explained else None


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from .clock import parse_date
    from .errors import ValidationError

    try:
        return parse_date(text)
    except ValidationError as exc:
        _fail(f"{option} {exc}")
    return None


@app.callback()
def _global(
    ctx: typer.Context,
    now: Annotated[Optional[str], typer.Option("--now", hidden=True, help="Pretend it is this instant (ISO).")] = None,
) -> None:
    """OwnIt: every request has one named owner."""
    from .terminal import NeutralStream

    state.desk = None
    state.now = None
    # what is printed is shown, never obeyed: control characters, bidi overrides and line separators escaped
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = NeutralStream(sys.stdout), NeutralStream(sys.stderr)

    def restore() -> None:
        sys.stdout, sys.stderr = streams

    ctx.call_on_close(restore)
    if now:
        from .clock import parse_instant
        from .errors import OwnitError

        try:
            state.now = parse_instant(now)
        except OwnitError as exc:
            _fail(f"--now: {exc}", 2)


# --- set-up -----------------------------------------------------------------------------


@app.command()
@friendly
def init() -> None:
    """Create or upgrade the database (runs the migrations) and say where it is."""
    from .db import describe
    from .service import init as do_init

    url = do_init()
    typer.echo(f"database ready at {describe(url)}")


@app.command()
@friendly
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Use a database that holds more than the demo "
                                                        "(an admin's job; --reset keeps a copy first).")] = False,
    actor: As = None,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Only seed the database (for scripts).")] = False,
    history_weeks: Annotated[int, typer.Option("--history-weeks", min=0, max=104,
                                               help="Weeks of past requests to play first.")] = 12,
) -> None:
    """Load the demo organisation, weeks of history and sample requests (then start the UI)."""

    from .demo import seed

    desk = _desk()
    headline = ("emptying the database at {} and seeding the demo organisation again" if reset else
                "seeding the demo organisation into {}").format(_where(desk.url)) + " (a few seconds)…"
    with _console_err().status("seeding the demo desk") as status:
        result = seed(desk, reset=reset, force=force, actor=actor, progress=lambda text: status.update(text),
                      started=lambda: typer.echo(headline), history_weeks=history_weeks)
    if result["kept"]:
        typer.echo(f"kept a copy of what was there at {result['kept']}")
    typer.echo(f"demo desk: {_count(result['sites'], 'site')}, "
               f"{_count(result['people'], 'person', 'people')}, {_count(result['teams'], 'team')}"
               + (f" ({result['skipped_teams']} teams skipped: their department is not installed)"
                  if result["skipped_teams"] else ""))
    if result["existing"]:
        typer.echo(f"kept the {_count(result['existing'], 'request')} already there; to start afresh: "
                   "make demo-reset (or ownit demo --reset)")
    if result["history"]:
        typer.echo(f"history: {_count(result['history'], 'request')} over {_count(history_weeks, 'week')}, "
                   "played through the service (see ownit report)")
    if result["requests"]:
        typer.echo(f"sample requests: {', '.join(result['requests'])}")
    mail = _demo_mail(result["database"])
    _demo_cli_hint(result["database"], mail, sample=result["requests"][0] if result["requests"] else None)
    if not no_ui:
        _start_ui(demo=True, port=8501, env=mail)


def _where(url: str) -> str:
    """The database in a message: a SQLite file's absolute path, else its URL without the password."""
    from .db import describe

    if url.startswith("sqlite:///") and ":memory:" not in url:
        return str(Path(url.removeprefix("sqlite:///").split("?")[0]).resolve())
    return describe(url)


def _demo_mail(database: str) -> dict[str, str]:
    """Without a mail server set, the demo's email goes to a local folder (a
    Maildir): the variable for the UI started next (this process's own
    environment is left as it was)."""
    import os
    from urllib.parse import unquote

    from .demo import MAIL_ENV, mail_url

    if os.environ.get(MAIL_ENV, "").strip():
        return {}
    folder = mail_url(database)
    typer.echo(f"email: into the local folder {unquote(folder.removeprefix('maildir://'))}")
    return {MAIL_ENV: folder}


def _demo_cli_hint(database: str, mail: dict[str, str], *, sample: str | None) -> None:
    """The lines that let the person who ran the demo use the CLI on it: what to
    export (a SQLite demo's database, which ``make demo`` chooses, and the mail
    folder), and commands to try, spelt the way this shell finds ``ownit``."""
    import shlex

    exports = ({"OWNIT_DATABASE_URL": "sqlite:///" + _where(database)} if database.startswith("sqlite:///") else {})
    exports.update(mail)
    if exports:
        typer.echo("for the CLI, in this shell: export "
                   + " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items()))
    ownit = _ownit_command()
    typer.echo(f"try: {ownit} queue --as sam.doyle@example.com"
               + (f"    {ownit} show {sample} --as amira.khan@example.com" if sample else ""))


def _ownit_command() -> str:
    """How to run this ``ownit`` from the current folder: ``ownit`` when that is
    the one on the PATH, else its path (relative when it is under the current
    folder, as ``.venv/bin/ownit`` is for ``make demo`` in a checkout)."""
    import shutil

    here = Path(sys.executable).parent / "ownit"
    on_path = shutil.which("ownit")
    if not here.exists() or (on_path and Path(on_path).resolve() == here.resolve()):
        return "ownit"
    try:
        return str(here.relative_to(Path.cwd()))
    except ValueError:
        return str(here)


@app.command()
@friendly
def ui(
    demo_mode: Annotated[bool, typer.Option("--demo", help="A person picker instead of the sign-in header.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8501,
) -> None:
    """Start the requesters' web UI (Streamlit) on 127.0.0.1."""
    _start_ui(demo=demo_mode, port=port)


def _start_ui(*, demo: bool, port: int, env: dict[str, str] | None = None) -> None:
    import os

    from .errors import ConfigError

    from .signin import configured

    app_file = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    if not app_file.exists():
        raise ConfigError(f"the UI is not next to this OwnIt ({app_file} is missing); run it from a checkout")
    env = {**os.environ, **(env or {}), "OWNIT_UI_DEMO": "1" if demo else os.environ.get("OWNIT_UI_DEMO", "0")}
    sign_in = configured(env)  # both modes, or neither: one line, and no server
    if state.now:  # a simulation: the UI shows and acts at that instant
        env["OWNIT_NOW"] = state.now.isoformat()
    typer.echo(f"starting the UI at http://127.0.0.1:{port}, {sign_in.describe()}"
               + (f", clock stopped at {state.now.isoformat()}" if state.now else "") + " — press Ctrl+C to stop")
    os.execvpe(sys.executable, [sys.executable, "-m", "streamlit", "run", str(app_file),
                                "--server.address", "127.0.0.1", "--server.port", str(port),
                                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                "--client.toolbarMode", "minimal"], env)


@org_app.command("load")
@friendly
def org_load(file: Annotated[Path, typer.Argument(help="The org TOML file.", parser=path_given)], actor: As = None) -> None:
    """Load (or update) sites, people and teams from a TOML file (an admin's job)."""
    from . import service

    counts = service.load_org(_desk(), file, actor=actor)
    charters = (f", {_count(counts['charters'], 'charter')} ({counts['new_charters']} new)"
                if counts["charters"] else "")
    calendars = f", {_count(counts['calendars'], 'calendar')}" if counts["calendars"] else ""
    typer.echo(f"loaded {_count(counts['sites'], 'site')}, {_count(counts['people'], 'person', 'people')}"
               f"{calendars}, {_count(counts['teams'], 'team')}{charters} from {file}")


@app.command()
@friendly
def departments(as_json: Json = False) -> None:
    """The installed department plugins and their request types."""
    from rich.table import Table

    from . import service

    from .errors import ConfigError

    desk = _desk()
    data = service.departments(desk)  # what the plugins declare: no database needed
    try:  # what each team promises, its charter's or the department's: the teams are in the database
        data["promises"] = service.promises_applying(desk)
    except ConfigError:  # not set up yet ('ownit init'): the departments alone
        data["promises"] = []
    if as_json:
        return _print_json(data)
    table = Table("request type", "label", "priority", "needs skills", "stages", title="Departments")
    for dept in data["departments"]:
        table.add_section()
        table.add_row(f"[bold]{dept['name']}[/]", f"[dim]{dept['description']}[/]", "", "", "")
        for rtype in dept["request_types"]:
            table.add_row(rtype["key"], rtype["label"], rtype["default_priority"], ", ".join(rtype["skills"]),
                          str(len(rtype["stages"])))
    _console().print(table)
    promised = Table("team", "request type", "first contact / check-in / resolve, by priority", "from",
                     title="What each team promises: its charter's, else the department's")
    lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in data["promises"]:
        lines.setdefault((row["team"], row["request_type"]), []).append(row)
    for (team, rtype), rows in lines.items():
        said = "; ".join(f"{r['priority']}{' (' + r['tier'] + ')' if r['tier'] else ''} {r['first_contact']} / "
                         f"{r['checkin'] or 'none'} / {r['resolve']}" for r in rows)
        sources = sorted({f"charter v{r['version']}" if r["source"] == "charter" else "plugin" for r in rows})
        promised.add_row(team, rtype, said, ", ".join(sources))
    if lines:
        _console().print(promised)
    plugins = ", ".join(f"{p['name']} {p['version'] or ''}".strip() for p in data["plugins"]) or "none"
    typer.echo(f"plugins: {plugins}")
    for problem in data["problems"]:
        typer.echo(f"problem: {problem}", err=True)


@app.command()
@friendly
def people(as_json: Json = False) -> None:
    """Everyone in the directory."""
    from rich.table import Table

    from . import service

    rows = service.people(_desk())
    if as_json:
        return _print_json(rows)
    table = Table()
    table.add_column("email", no_wrap=True)  # identifiers people type back in are never cut
    for heading in ("name", "title", "site", "roles", "away until"):
        table.add_column(heading)
    for p in rows:
        table.add_row(p["email"], p["name"], p["title"], p["site"] or "", ", ".join(p["roles"]),
                      (p["away_until"] or "")[:10])
    _console().print(table)


@app.command()
@friendly
def teams(as_json: Json = False) -> None:
    """Teams, their leads, members and load."""
    from rich.table import Table

    from . import service

    rows = service.teams(_desk())
    if as_json:
        return _print_json(rows)
    table = Table()
    table.add_column("team", no_wrap=True)  # identifiers people type back in are never cut
    for heading in ("department", "regions", "lead", "members (open/capacity)", "hours"):
        table.add_column(heading)
    for t in rows:
        members = ", ".join(f"{m['name']} {m['open']}/{m['capacity']}" + (" (away)" if m["away"] else "")
                            for m in t["members"])
        cal = t["calendar"]
        table.add_row(t["key"], t["department"], ", ".join(t["regions"]) or "all", t["lead"]["name"], members,
                      f"{cal.get('days')} {cal.get('hours')}")
    _console().print(table)


@app.command()
@friendly
def who(
    site: Annotated[Optional[str], typer.Option("--site", help="Site code (yours by default).")] = None,
    request_type: Annotated[Optional[str], typer.Option("--type", "-t", help="One request type, e.g. it.broken_kit.")] = None,
    actor: As = None,
    as_json: Json = False,
) -> None:
    """Who would own a new request from a site right now, and their lead. Creates nothing."""
    from rich.markup import escape

    from . import service

    answer = service.who(_desk(), actor=actor, site=site, request_type=request_type)
    if as_json:
        return _print_json(answer)
    console = _console()
    console.print(f"[bold]Your support people for {escape(answer['site']['code'])} "
                  f"{escape(answer['site']['name'])}[/]")
    for line in answer["departments"]:
        owner, lead = line["owner"], line["lead"]
        console.print(f"\n[bold]{escape(line['department']['name'])}[/] [dim]({escape(line['request_type']['label'])})[/]")
        if owner is None:
            console.print(f"  {escape(line['reason'])}")
            continue
        reach = " · ".join(filter(None, (owner["email"], owner["phone"])))
        console.print(f"  {escape(owner['name'])}, {escape(owner['title'])}, {escape(line['team']['name'])}\n"
                      f"  {escape(reach)}\n"
                      f"  lead: {escape(lead['name'])}, {escape(lead['email'])}", soft_wrap=True)


# --- intake ------------------------------------------------------------------------------


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


def _when(iso: str | None, zone: str) -> str:
    if not iso:
        return "—"
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


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


# --- working a request --------------------------------------------------------------------------


def _done(view: dict[str, Any], what: str, as_json: bool) -> None:
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

    view = service.contact(_desk(), ref, actor=actor, note=note, agreed_by=_date(agreed_by, "--agreed-by"),
                         key=key)
    _done(view, "first contact made" + (f", agreed date {view['promise']['agreed_by']}" if agreed_by else ""),
          as_json)


@app.command()
@friendly
def checkin(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Record a check-in with the requester."""
    from . import service

    _done(service.check_in(_desk(), ref, actor=actor, note=note, key=key), "checked in", as_json)


@app.command()
@friendly
def advance(
    ref: str, note: Note,
    to: Annotated[Optional[str], typer.Option("--to", help="Stage key to move to (default: the next).")] = None,
    key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Move the request to its next stage (or --to a later one)."""
    from . import service

    _done(service.advance(_desk(), ref, actor=actor, note=note, to=to, key=key), "moved on", as_json)


@app.command()
@friendly
def wait(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Put the request on hold, waiting on the requester for what the note says."""
    from . import service

    _done(service.wait_on_requester(_desk(), ref, actor=actor, note=note, key=key), "waiting on the requester", as_json)


@app.command()
@friendly
def resume(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Take the request off hold."""
    from . import service

    _done(service.resume(_desk(), ref, actor=actor, note=note, key=key), "resumed", as_json)


@app.command()
@friendly
def handoff(
    ref: str,
    to: Annotated[str, typer.Option("--to", metavar="EMAIL", help="The team member who takes it over.")],
    note: Note, key: Key = None, actor: As = None, as_json: Json = False,
) -> None:
    """Hand the request to another member of its team, with a note."""
    from . import service

    view = service.hand_off(_desk(), ref, actor=actor, to=to, note=note, key=key)
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

    _done(service.add_note(_desk(), ref, actor=actor, note=note, internal=internal, key=key), "note added", as_json)


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
    view = service.work_with(_desk(), ref, actor=actor, company=company, name=name, phone=phone, booked_for=when,
                             done=done, note=note, key=key)
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
    view = service.attach(_desk(), ref, actor=actor, files=sent, internal=internal, note=note, key=key)
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

    _done(service.resolve(_desk(), ref, actor=actor, note=note, key=key), "resolved", as_json)


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

    _done(service.confirm(_desk(), ref, actor=actor, nps=nps, effort=effort, comment=comment, key=key), "closed",
          as_json)


@app.command()
@friendly
def reopen(ref: str, note: Note, key: Key = None, actor: As = None, as_json: Json = False) -> None:
    """Reopen a request that is not fixed: while resolved, or up to 5 business days after it closed."""
    from . import service

    _done(service.reopen(_desk(), ref, actor=actor, note=note, key=key), "reopened", as_json)


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


@app.command()
@friendly
def settings(
    digest: Annotated[Optional[bool], typer.Option("--digest/--no-digest", help="A morning digest, or each "
                                                                                "at once.")] = None,
    quiet: Annotated[Optional[str], typer.Option("--quiet", metavar="FROM-UNTIL", help="Quiet hours in your "
                                                 "own time, like 19:00-07:00; '' for none.")] = None,
    channels: Annotated[Optional[str], typer.Option("--channels", metavar="NAMES", help="Channels that may reach "
                                                    "you, like email,chat; 'all' for every one; '' for the "
                                                    "inbox only.")] = None,
    zone: Annotated[Optional[str], typer.Option("--timezone", metavar="ZONE", help="Your time zone, like "
                                                "Europe/London; '' for your site's.")] = None,
    actor: As = None, as_json: Json = False,
) -> None:
    """How you hear from OwnIt beyond your inbox; change what you pass, keep the rest."""
    from . import service

    desk = _desk()
    now = service.my_preferences(desk, actor=actor)
    if (digest, quiet, channels, zone) != (None, None, None, None):
        wanted = {"channels": now["channels"], "digest": now["digest"], "quiet": now["quiet"],
                  "timezone": now["timezone"]}
        if channels is not None:
            wanted["channels"] = None if channels.strip() == "all" else [
                c.strip() for c in channels.split(",") if c.strip()]
        wanted.update({k: v for k, v in (("digest", digest), ("quiet", quiet), ("timezone", zone)) if v is not None})
        now = service.set_preferences(desk, actor=actor, notify={k: v for k, v in wanted.items() if v is not None})
    if as_json:
        return _print_json(now)
    reach = "every channel" if now["channels"] is None else ", ".join(now["channels"]) or "the inbox only"
    typer.echo(f"{now['email']}: {reach}; {'a morning digest' if now['digest'] else 'each at once'}; "
               f"quiet hours {now['quiet'] or 'none'}; time zone {now['zone']}"
               + ("" if now["timezone"] else " (your site's)")
               + f"; installed channels: {', '.join(now['available']) or 'none'}")


@app.command()
@friendly
def away(
    email: str,
    start: Annotated[str, typer.Option("--from", metavar="DATE", help="First day away (YYYY-MM-DD).")],
    until: Annotated[str, typer.Option("--until", metavar="DATE", help="Day back (YYYY-MM-DD).")],
    actor: As = None, as_json: Json = False,
) -> None:
    """Record an absence; what the person owns is handed on while they are away."""
    from . import service

    result = service.set_away(_desk(), actor=actor, email=email, start=_date(start, "--from"),
                              until=_date(until, "--until"))
    if as_json:
        return _print_json(result)
    typer.echo(f"{result['email']} away from {result['away_from']} until {result['away_until']}")
    for moved in result["reassigned"]:
        what = f"{moved['ref']}'s task {moved['task']}" if moved.get("task") else moved["ref"]
        typer.echo(f"  {what} handed to {moved['to']}")


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


@app.command()
@friendly
def inbox(actor: As = None, as_json: Json = False) -> None:
    """Your notifications, newest first."""
    from . import service

    rows = service.inbox(_desk(), actor=actor)
    if as_json:
        return _print_json(rows)
    for row in rows:
        typer.echo(f"{row['created_at'][:16]}  {row['heading']:<15} {row['message']}")
    if not rows:
        typer.echo("no notifications")


@plugin_app.command("new")
@friendly
def plugin_new(
    name: Annotated[str, typer.Argument(help="The department's key, a lower-case word, e.g. cleaning.")],
    where: Annotated[Path, typer.Option("--dir", help="Where to create its folder (OwnIt's own: plugins).", parser=path_given)] = Path("."),
    prefix: Annotated[Optional[str], typer.Option(help="Its refs' prefix, 2-6 capitals [default: the name's "
                                                       "first letter and consonants, CLN for cleaning].")] = None,
    example: Annotated[bool, typer.Option("--example", help="The plugin guide's Cleaning department (spills and "
                                                            "deep cleans) instead of one general type.")] = False,
) -> None:
    """Scaffold a working department plugin package (pip install -e it)."""
    from .scaffold import new_plugin

    folder = new_plugin(name, where, prefix=prefix, example=example)
    typer.echo(f"created {folder}\nnext: pip install -e {folder} && ownit departments && pytest {folder}")


from .incident_commands import incident_app  # noqa: E402  (it uses the helpers above)

app.add_typer(incident_app, name="incident")
from .charter_commands import charter_app  # noqa: E402  (it uses the helpers above)

app.add_typer(charter_app, name="charter")
from .task_commands import task_app  # noqa: E402  (it uses the helpers above)

app.add_typer(task_app, name="task")
from .mystery_commands import mystery_app  # noqa: E402  (it uses the helpers above)

app.add_typer(mystery_app, name="mystery")

COMMANDS_GROUP = "ownit.commands"  # entry points: NAME = "module:attribute", a typer.Typer or a function of the app


def _plugin_commands() -> None:
    """Add the commands plugins declare in the ``ownit.commands`` entry-point
    group: a ``typer.Typer`` becomes the command group NAME; a function is
    called with the root app, to add commands of its own. Read from package
    metadata (:mod:`ownit.entrypoints`), so the CLI starts without importing
    the department plugins; a command that fails to load is left out with a warning."""
    from .entrypoints import declared

    for ep in declared(COMMANDS_GROUP):
        try:
            commands = ep.load()
            if isinstance(commands, typer.Typer):
                app.add_typer(commands, name=ep.name)
            else:
                commands(app)
        except Exception as exc:  # a broken plugin must not take the CLI down
            typer.echo(f"warning: plugin commands {ep.name!r} ({ep.value}) failed to load: {exc!r}", err=True)


def _command_named(argv: list[str]) -> str | None:
    """The command ``argv`` asks for: its first word that is not a global option (``--now`` takes a value)."""
    words = iter(argv)
    for word in words:
        if word == "--now":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _name_of(command: Any) -> str | None:
    """A registered command's name, as Typer makes it from its function when not given."""
    return command.name or (command.callback.__name__.replace("_", "-") if command.callback else None)


def _built_in(name: str | None) -> bool:
    return name in {_name_of(c) for c in app.registered_commands} | {g.name for g in app.registered_groups}


def _not_utf8(argv: list[str]) -> str | None:
    """The first argument (or ``OWNIT_`` variable) holding bytes that are not
    UTF-8: Python hands them over as lone surrogates, which cannot be stored
    or printed."""
    import os

    from .errors import utf8

    if not all(utf8(word) for word in argv):
        return "argument"
    return next((name for name, value in os.environ.items() if name.startswith("OWNIT_") and not utf8(value)), None)


def main() -> None:
    # Bytes that are not text are refused before anything is done: they could be neither stored nor shown.
    which = _not_utf8(sys.argv[1:])
    if which:
        typer.echo(f"error: {which} is not valid UTF-8 text; retype it", err=True)
        raise SystemExit(2)
    # A built-in command runs without looking for plugin commands (package metadata: ~15 ms), and Typer
    # builds that command alone rather than all sixty (reading every option of each: ~40 ms); help, or a
    # command OwnIt does not have, looks for plugin commands and builds them all.
    name = _command_named(sys.argv[1:])
    if not _built_in(name):
        _plugin_commands()
        app()
        return
    every = app.registered_commands, app.registered_groups
    app.registered_commands = [c for c in every[0] if _name_of(c) == name]
    app.registered_groups = [g for g in every[1] if g.name == name]
    try:
        app()
    finally:
        app.registered_commands, app.registered_groups = every
