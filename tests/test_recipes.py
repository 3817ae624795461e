"""The two recipes of docs/architecture.md, followed.

"Add a field to the request": a column declared on ``ownit.models.Request``
with its default, and a migration, is stored by every writer — the raise,
the actions, the sweep — with nothing else changed. "Add an action": every
lifecycle action has its one service function, its command and its form."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ownit import db, domain, service

ADD_TRIAGE = '''"""The recipe's migration: request.triage (no database default: OwnIt stores the model's)."""
import sqlalchemy as sa
from alembic import op

revision = "9101"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("triage", sa.String(32), nullable=True))


def downgrade():
    with op.batch_alter_table("request") as batch:
        batch.drop_column("triage")
'''

# What the recipe's step 1 does in ownit/models.py, then the desk at work; run in a process of its own,
# so the changed declaration touches no other test.
WORK = '''
import json, sys
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import command

from ownit import models

models.Request.__table__.append_column(sa.Column("triage", sa.String(32), nullable=True, default="to triage"))

from ownit import db, service
from ownit.clock import FixedClock
from ownit.demo import ORG_FILE
from ownit.desk import Desk
from ownit.org import load_org

url, scripts = sys.argv[1], sys.argv[2]
config = db.migrations_config(url)
config.set_main_option("script_location", scripts)
command.upgrade(config, "head")
from ownit import revisions
shipped = revisions.known()
revisions.known = lambda: shipped | {"9101"}  # the recipe's migration ships with this OwnIt, as it would
clock = FixedClock(datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
desk = Desk.open(url, clock=clock)
load_org(desk, ORG_FILE, skip_missing_departments=True)
leak = {"location": "stockroom", "near_electrics": "no"}
raised = [service.raise_request(desk, actor="amira.khan@example.com", request_type="facilities.leak",
                                title=f"Leak {i}", fields=leak) for i in range(3)]
first, second = raised[0], raised[1]
service.contact(desk, first["ref"], actor=first["owner"]["email"], note="On my way")
service.check_in(desk, first["ref"], actor=first["owner"]["email"], note="Roofer booked")
service.resolve(desk, first["ref"], actor=first["owner"]["email"], note="Done")
clock.advance(days=3)
swept = service.sweep(desk)  # escalates the other two
with desk.engine.connect() as connection:
    stored = dict(connection.execute(sa.text("SELECT ref, triage FROM request")).all())
print(json.dumps({"stored": stored, "escalated": len(swept["escalated"])}))
'''


def test_a_field_added_to_the_request_is_stored_by_every_writer(ownit_database_url: str, tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(db.__file__).parent / "migrations", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9101_request_triage.py").write_text(ADD_TRIAGE.format(head=db.head_revision()))
    done = subprocess.run([sys.executable, "-c", WORK, ownit_database_url, str(scripts)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["escalated"] >= 2  # the sweep wrote to the requests too
    assert result["stored"] and set(result["stored"].values()) == {"to triage"}, result


def test_every_action_has_one_service_function_one_command_and_one_form(monkeypatch) -> None:
    """What the "add an action" recipe asks for, for each lifecycle action."""
    from typer.main import get_command

    from ownit.cli import app

    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent / "ui"))  # as ui/app.py runs its pages
    from card_forms import OWNER_FORMS

    import inspect

    commands = get_command(app).commands
    requester_only = {"confirm", "reopen"}  # on the requester's card (ui/card_forms.py requester_actions)
    assert set(service.ACTIONS) == set(domain.ACTIONS)
    for action in domain.ACTIONS:
        assert action in commands, f"no 'ownit {action}' command"
        assert action in OWNER_FORMS or action in requester_only, f"no form for {action}"
    # and each takes an idempotency key, from the CLI too: a repeated submission changes nothing
    for name, function in {**service.ACTIONS, "raise": service.raise_request, "note": service.add_note}.items():
        assert "key" in inspect.signature(function).parameters, f"service.{function.__name__} takes no key"
        assert "--key" in {o for p in commands[name].params for o in p.opts}, f"'ownit {name}' has no --key"
    # the actions beside the lifecycle's, in groups of commands of their own, the same
    grouped = {("incident", "declare"): service.declare_incident, ("incident", "link"): service.link_incident,
               ("task", "add"): service.ask_task, ("task", "done"): service.task_done}
    for (group, name), function in grouped.items():
        assert "key" in inspect.signature(function).parameters, f"service.{function.__name__} takes no key"
        params = commands[group].commands[name].params
        assert "--key" in {o for p in params for o in p.opts}, f"'ownit {group} {name}' has no --key"


def test_notifications_and_events_are_data(ownit_demo_org: Any) -> None:
    """An event's JSON and a notification's data are written from their
    classes only (ownit.events, ownit.notices)."""
    from ownit import notices

    view = service.raise_request(ownit_demo_org, actor="amira.khan@example.com", request_type="facilities.leak",
                                 title="Leak", fields={"location": "stockroom", "near_electrics": "no"})
    owner = view["owner"]["email"]
    inbox = service.inbox(ownit_demo_org, actor=owner)
    assert [row["kind"] for row in inbox] == ["assigned"]
    notice = notices.load(inbox[0]["data"])
    assert isinstance(notice, notices.Assigned) and notice.text() == inbox[0]["message"]
    assert notice.ref == view["ref"] and notice.requester == "Amira Khan"
    assert "<" not in notice.subject() and notice.html().startswith("<p>")
