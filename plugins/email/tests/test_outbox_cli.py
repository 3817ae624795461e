"""What an admin does when the mail server is down, at the command line:
actions still succeed, ``ownit outbox`` shows the failures and why, and they
go out once the server is back — by the sweep, or by ``--retry`` at once."""

from __future__ import annotations

import json
from pathlib import Path

from smtp_harness import SmtpServer, mail_env, smtp_server  # noqa: F401 (fixtures)
from typer.testing import CliRunner

from ownit.cli import app
from ownit.demo import ORG_FILE

AMIRA = "amira.khan@example.com"
HELEN = "helen.price@example.com"


def test_smtp_down_the_outbox_shows_why_and_it_goes_out_once_back(ownit_database_url, mail_env: SmtpServer,
                                                                 tmp_path: Path, monkeypatch) -> None:
    import ownit.plugins

    monkeypatch.setattr(ownit.plugins, "_loaded", None)  # the CLI loads the plugins again, with mail on
    runner = CliRunner()

    def ownit(*args: str, now: str = "2026-11-23T07:00:00+00:00", code: int = 0):
        result = runner.invoke(app, ["--now", now, *args], env={
            "OWNIT_DATABASE_URL": ownit_database_url, "OWNIT_USER": None, "COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    admins = tmp_path / "admins.toml"
    admins.write_text(f'[[person]]\nemail = "{HELEN}"\nname = "Helen Price"\nsite = "HQ"\nroles = ["lead", "admin"]\n',
                      encoding="utf-8")
    ownit("org", "load", str(ORG_FILE))
    ownit("org", "load", str(admins))
    mail_env.stop()
    raised = ownit("raise", "--type", "facilities.leak", "--title", "Roof leak", "-f", "location=stockroom",
                   "-f", "near_electrics=no", "--as", AMIRA)
    assert "raised: " in raised.stdout and "connection refused" in raised.stderr  # said, and the raise stands

    lines = json.loads(ownit("outbox", "--as", HELEN, "--json").stdout)
    assert {(n["kind"], n["state"], n["attempts"]) for n in lines} == {("assigned", "retrying", 1),
                                                                      ("raised", "retrying", 1)}
    assert all("connection refused" in n["error"] for n in lines)
    table = ownit("outbox", "--as", HELEN).stdout
    assert "retrying" in table and "connection refused" in table
    assert ownit("outbox", "--failed", "--as", HELEN).stdout.strip() == "no failed notifications"
    refused = ownit("outbox", "--retry", str(lines[0]["id"]), "--as", AMIRA, code=1)
    assert refused.stderr.startswith("error: only an admin may retry a notification")

    mail_env.start()
    swept = ownit("sweep", now="2026-11-23T07:01:30+00:00")
    assert "2 notifications delivered on retry" in swept.stdout
    assert sorted(r.rcpt_tos[0] for r in mail_env.received) == sorted(n["to"] for n in lines)  # before 08:00: no digests yet
    after = json.loads(ownit("outbox", "--as", HELEN, "--json", now="2026-11-23T07:02:00+00:00").stdout)
    assert {n["state"] for n in after} == {"delivered"}
    again = ownit("outbox", "--retry", str(lines[0]["id"]), "--as", HELEN, code=1)
    assert "was delivered already; nothing to retry" in again.stderr
    assert len(mail_env.received) == 2  # nothing twice
