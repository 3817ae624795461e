"""Renders the CLI pictures in docs/ from the demo desk at a fixed instant.

    OWNIT_DATABASE_URL=sqlite:////tmp/shots.db python docs/screenshots.py
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ownit import cli
from ownit.clock import parse_instant

NOW = "2026-11-23T11:30:00+00:00"
HERE = Path(__file__).parent


def main() -> None:
    cli.state.now = parse_instant(NOW)
    cli.state.desk = None
    from ownit.demo import seed

    seed(cli._desk(), reset=True)
    console = cli.state.console = Console(record=True, width=100, force_terminal=True, highlight=False)
    console.print("[bold]$ ownit show FAC-1002 --as sam.doyle@example.com[/]")
    cli.show.__wrapped__("FAC-1002", actor="sam.doyle@example.com", as_json=False)
    console.print()
    console.print("[bold]$ ownit queue --team facilities-north --as helen.price@example.com[/]")
    cli.queue.__wrapped__(mine=False, team="facilities-north", overdue=False, status=None,
                          actor="helen.price@example.com", as_json=False)
    console.save_svg(str(HERE / "cli.svg"), title="ownit")


if __name__ == "__main__":
    main()
