"""Fixtures: a real SMTP server on a free local port, and a desk whose email
channel sends to it."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from smtp_server import BASE_URL, MAIL_FROM, SmtpServer, free_port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The channel's settings, pointing at ``smtp_server`` (read when the first mail goes)."""
    monkeypatch.setenv("OWNIT_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("OWNIT_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("OWNIT_BASE_URL", BASE_URL)
    return smtp_server


@pytest.fixture
def mail_desk(ownit_database_url: str, ownit_clock: Any, mail_env: SmtpServer) -> Any:
    """A desk with the demo organisation, the facilities department and the email channel only."""
    from ownit.db import make_engine
    from ownit.demo import ORG_FILE
    from ownit.desk import Desk
    from ownit.org import load_org
    from ownit.plugins import build_plugins

    desk = Desk(url=ownit_database_url, engine=make_engine(ownit_database_url),
                plugins=build_plugins(only={"facilities", "email"}), clock=ownit_clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk
