"""``ownit mail``: replies by email, from a mail server or a Maildir.

Declared in the ``ownit.commands`` entry-point group, so it is imported to
list OwnIt's commands: only typer and the standard library at the top, and a
package of its own beside ``ownit_email`` (the channel, which loads smtplib
and ssl), imported only when a command runs.

Exit codes, as a mail server's pipe delivery reads them (sysexits):

- ``0``: every message was handled: added, already added, refused (the
  sender was told why) or ignored (automatic mail). The server is done.
- ``75`` (EX_TEMPFAIL): not handled now — the database is unreachable, the
  explanation could not be sent; nothing was added. Postfix and Exim keep
  the message and deliver it again later; in a Maildir it stays in ``new/``.
- ``1``: the input is not a mail at all (or the Maildir is not one): the
  server returns it to its sender, the only one who can make sense of it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(help="Replies by email: read them into OwnIt (docs/notifications.md).", no_args_is_help=True,
                  rich_markup_mode=None)

EX_TEMPFAIL = 75
CHUNK = 1 << 16


@app.command()
def ingest(
    maildir: Annotated[Optional[Path], typer.Option("--maildir", metavar="PATH",
                                                    help="Read every message in PATH/new (moved to cur/ once "
                                                         "handled) instead of one on standard input.")] = None,
    recipient: Annotated[Optional[str], typer.Option("--recipient", metavar="ADDRESS",
                                                     help="The envelope recipient, as the mail server knows it "
                                                          "(Postfix ${recipient}, Exim $local_part@$domain).")] = None,
    sender: Annotated[Optional[str], typer.Option("--sender", metavar="ADDRESS",
                                                  help="The envelope sender (Postfix ${sender}, Exim "
                                                       "$sender_address); empty for a bounce.")] = None,
) -> None:
    """Read replies to OwnIt's emails: each becomes a note on its request (or resumes or reopens it), or is
    refused and its sender told why. Reads one RFC 822 message on standard input, as a mail server pipes it."""
    import logging

    from ownit.cli import _desk, _one_line

    if not logging.getLogger().handlers:  # each outcome is printed: not again by logging's last resort
        logging.getLogger("ownit_email").addHandler(logging.NullHandler())
    try:
        desk = _desk()
    except Exception as exc:  # noqa: BLE001 - no desk now: the mail server keeps the mail and tries again
        _finish(EX_TEMPFAIL, f"error: OwnIt cannot be opened now ({_one_line(_problem(exc))}); nothing was read")
    if maildir is not None:
        _from_maildir(desk, maildir)
    else:
        _from_stdin(desk, recipient, sender)


def _from_stdin(desk: Any, recipient: str | None, sender: str | None) -> None:
    from ownit_email.ingest import MAX_BYTES, ingest

    stream = sys.stdin.buffer
    raw = stream.read(MAX_BYTES + 1)
    complete = len(raw) <= MAX_BYTES
    while not complete and stream.read(CHUNK):  # the rest is not read, but taken, so the server sees it delivered
        pass
    outcome = ingest(desk, raw, recipient=recipient, envelope_sender=sender, complete=complete)
    _warnings(desk)
    if outcome.status == "not-mail":
        _finish(1, f"error: {outcome.line}")
    _finish(EX_TEMPFAIL if outcome.temporary else 0, outcome.line)


def _from_maildir(desk: Any, folder: Path) -> None:
    """Every message in ``folder/new``, oldest first; each handled one goes to
    ``cur/`` (with the Maildir ``S`` flag: seen), so a second run reads none
    twice; one that failed for now stays in ``new/`` for the next run."""
    from ownit_email.ingest import MAX_BYTES, ingest

    if not all((folder / part).is_dir() for part in ("new", "cur", "tmp")):
        _finish(1, f"error: {_show(folder)} is not a Maildir (it needs new/, cur/ and tmp/)")
    counts: dict[str, int] = {}
    waiting = sorted((path for path in (folder / "new").iterdir() if path.is_file() and not path.name.startswith(".")),
                     key=lambda path: (path.stat().st_mtime, path.name))
    for path in waiting:
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except FileNotFoundError:  # another reader took it first
            continue
        outcome = ingest(desk, raw, complete=len(raw) <= MAX_BYTES)
        typer.echo(outcome.line)
        _warnings(desk)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if not outcome.temporary:
            _seen(folder, path)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no new mail"
    _finish(EX_TEMPFAIL if counts.get("failed") else 0, f"{_show(folder)}: {summary}")


def _seen(folder: Path, path: Path) -> None:
    """Move a handled message from ``new/`` to ``cur/``, flagged seen, as a mail reader does."""
    import mailbox

    key = path.name.split(mailbox.Maildir.colon)[0]
    try:
        path.rename(folder / "cur" / f"{key}{mailbox.Maildir.colon}2,S")
    except FileNotFoundError:
        pass


def _warnings(desk: Any) -> None:
    """What went wrong after a reply was added (a channel that failed to tell the owner): one line each."""
    from ownit.cli import _one_line

    for warning in desk.take_warnings():
        typer.echo(f"warning: {_one_line(warning)}", err=True)


def _show(folder: Path) -> str:
    from ownit.cli import _one_line

    return _one_line(str(folder))


def _problem(exc: Exception) -> str:
    from ownit.cli import _database_problem

    return _database_problem(exc) or str(exc) or type(exc).__name__


def _finish(code: int, line: str) -> None:
    """The command's last line (stdout when it went well, else stderr) and its exit code."""
    typer.echo(line, err=code != 0)
    raise typer.Exit(code)
