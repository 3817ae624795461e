"""A real SMTP server (aiosmtpd) on a free local port, and a desk whose email
channel sends to it: the fixtures the tests import. Not a ``conftest.py``:
tests/ imports its own ``conftest`` by name, and a second one would take its
place in ``sys.modules``."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

MAIL_FROM = "OwnIt Desk <desk@ownit.example>"
BASE_URL = "https://ownit.example/"


class Received:
    """What the server was given: the envelope and the parsed message."""

    def __init__(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        self.mail_from, self.rcpt_tos, self.raw = mail_from, rcpt_tos, raw
        self.message: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]


class Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()  # recipients answered with 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK: queued"


class SmtpServer:
    """An aiosmtpd server that can be stopped and started again on its port,
    optionally asking for AUTH (``logins``: user -> password)."""

    def __init__(self, port: int, logins: dict[str, str] | None = None) -> None:
        self.port, self.logins = port, logins
        self.handler = Handler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def url(self, credentials: str = "") -> str:
        return f"smtp://{credentials}127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = self.logins is not None and self.logins.get(auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self.logins is not None:
            extra = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The channel's settings, pointing at ``smtp_server`` (read when the first mail goes).

    The hook time limit is raised to 30 s, so a delivery may take 10 s rather
    than the default 1.5 s: on a loaded machine the in-process server can be
    slower than that, and a delivery that fails waits for the sweep's retry,
    which these tests do not run (a CI run once failed that way)."""
    monkeypatch.setenv("OWNIT_HOOK_TIMEOUT", "30")
    monkeypatch.setenv("OWNIT_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("OWNIT_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("OWNIT_BASE_URL", BASE_URL)
    return smtp_server


@pytest.fixture
def mail_desk(ownit_database_url: str, ownit_clock: Any, mail_env: SmtpServer) -> Any:
    """A desk with the demo organisation, the facilities department and the email channel only."""
    from ownit.demo import ORG_FILE
    from ownit.desk import Desk
    from ownit.org import load_org
    from ownit.plugins import build_plugins

    desk = Desk(url=ownit_database_url, plugins=build_plugins(only={"facilities", "email"}), clock=ownit_clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    return desk
