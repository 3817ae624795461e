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


def _desk(*, brief: bool = False) -> Any:
    """This command's desk; ``brief`` for an action that prints the request's
    one line, not its whole view (``Desk.brief``)."""
    if state.desk is None:
        from .clock import FixedClock
        from .desk import Desk

        state.desk = Desk.open(clock=FixedClock(state.now) if state.now else None, brief=brief)
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


def _when(iso: str | None, zone: str) -> str:
    if not iso:
        return "—"
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


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
    if result["mail_emptied"]:
        typer.echo(f"emptied the demo's mail folder: {_count(result['mail_emptied'], 'mail')} of the requests "
                   "before the reset")
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

    from .demo import MAIL_ENV, mail_folder, mail_url

    if os.environ.get(MAIL_ENV, "").strip():
        return {}
    typer.echo(f"email: into the local folder {mail_folder(database)}")
    return {MAIL_ENV: mail_url(database)}


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


from . import request_commands  # noqa: E402,F401  (raise, queue, show: registered here, in this order)
from . import work_commands  # noqa: E402,F401  (the actions on a request)


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


from . import desk_commands  # noqa: E402,F401  (report, backup, restore, sweep, outbox)


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
