"""A real HTTP server (``http.server`` in a thread) on a free local port that
chat posts reach through Apprise, and a desk whose people and teams have chat
addresses pointing at it: the fixtures the tests import. Not a
``conftest.py``: tests/ imports its own ``conftest`` by name, and a second
one would take its place in ``sys.modules``."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs

import pytest

from ownit.testing import free_port, self_signed_certificate

BASE_URL = "https://ownit.example/"
AMIRA = "amira.khan@example.com"  # store manager, S001 Leeds (north): the requester
OWNER = "priya.shah@example.com"  # facilities north: who owns a leak raised at S001 (the routing's choice)
HELEN = "helen.price@example.com"  # leads facilities north


@dataclass
class Post:
    """One request the server was sent: its path and its body, parsed by content type."""

    path: str
    content_type: str
    raw: bytes

    @property
    def body(self) -> Any:
        text = self.raw.decode("utf-8")
        if self.content_type.startswith("application/json"):
            return json.loads(text)
        if self.content_type.startswith("application/x-www-form-urlencoded"):
            return {key: values[0] for key, values in parse_qs(text).items()}
        return text


class ChatServer:
    """Records every POST; answers 200, or ``fail_with`` for paths starting
    with one of ``failing``; can be stopped and started again on its port."""

    def __init__(self, port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.port, self.tls = port, tls
        self.posts: list[Post] = []
        self.failing: set[str] = set()
        self.fail_with = 500
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str, scheme: str = "json") -> str:
        """An Apprise URL for ``path`` on this server (``json://``, ``form://``, ``xml://``)."""
        return f"{scheme}://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def to(self, path: str) -> list[Post]:
        return [post for post in self.posts if post.path.split("?")[0] == "/" + path.lstrip("/")]

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.posts.append(Post(self.path, self.headers.get("Content-Type", ""), raw))
                failing = any(self.path.startswith("/" + p.lstrip("/")) for p in owner.failing)
                self.send_response(owner.fail_with if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that Apprise (requests) trusts (``REQUESTS_CA_BUNDLE``)."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[ChatServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = ChatServer(free_port(), tls=context)
    server.start()
    yield server
    server.stop()


def with_chat(org: str, chats: dict[str, str]) -> str:
    """The org file's text with ``chat = "..."`` added to the person (by
    email) or team (by key) each key of ``chats`` names."""
    lines = org.splitlines()
    for who, urls in chats.items():
        header = next(i for i, line in enumerate(lines)
                      if line.strip() in (f'email = "{who}"', f'key = "{who}"')
                      and lines[i - 1].strip() in ("[[person]]", "[[team]]"))
        lines.insert(header + 1, f"chat = {json.dumps(urls.split())}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def chat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The links' address; and Apprise loaded, as in a process that posted
    before (a first post that finds it still loading is tested on its own)."""
    import time

    import ownit_chat

    monkeypatch.setenv("OWNIT_BASE_URL", BASE_URL)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert ownit_chat.loaded(time.monotonic() + 60) is not None


def chat_desk(url: str, clock: Any, tmp_path: Path, chats: dict[str, str]) -> Any:
    """A desk with the demo organisation (chat addresses added), the
    facilities department and the chat channel only."""
    from ownit.demo import ORG_FILE
    from ownit.desk import Desk
    from ownit.org import load_org
    from ownit.plugins import build_plugins

    desk = Desk(url=url, plugins=build_plugins(only={"facilities", "chat"}), clock=clock)
    org = tmp_path / "org.toml"
    org.write_text(with_chat(ORG_FILE.read_text(encoding="utf-8"), chats), encoding="utf-8")
    load_org(desk, org, skip_missing_departments=True)
    return desk
