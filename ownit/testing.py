"""Pytest fixtures for OwnIt and its plugins (registered through ``pytest11``).

``ownit_database_url``
    a fresh, migrated database: a SQLite file, and — when
    ``OWNIT_TEST_DATABASE_URL`` points at PostgreSQL — a private schema there
    too (tests using it run once per backend).
``ownit_clock``
    a :class:`~ownit.clock.FixedClock` at Monday 2026-11-23 10:00 UTC.
``ownit_plugins``
    the installed plugins, loaded through the ``ownit`` entry points — only
    those a test is pinned to (:func:`pinned_plugins`): a plugin's own tests
    set ``ownit_plugins = ["cleaning"]`` in its ``pyproject.toml`` to run with
    nothing else, and OwnIt's suite names its own departments and channels,
    so that any number of other plugins can be installed beside them. While
    the ini option is set, ``OWNIT_PLUGINS`` says the same for the session,
    so that the commands and pages a test starts load the same plugins.
``ownit_desk``
    a :class:`~ownit.desk.Desk` over the three above.
``ownit_demo_org``
    ``ownit_desk`` with the demo organisation loaded (no sample requests).

Helpers for a channel's tests: :func:`outbox` (the notifications and their
delivery), :func:`free_port` and :func:`self_signed_certificate` (for a
local server the channel delivers to).
"""

from __future__ import annotations

import functools
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

START = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday, in London business hours
TEST_DATABASE_ENV = "OWNIT_TEST_DATABASE_URL"


def _postgres_schema_url(base: str, schema: str) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


def fresh_database(kind: str, tmp_path: Path, *, migrate: bool = True) -> Iterator[str]:
    """Yield the URL of a new database of ``kind`` (migrated to head unless
    ``migrate`` is false); drop it afterwards."""
    from .db import make_engine, upgrade
    from .store import connections

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'ownit-test.db'}"
        if migrate:
            upgrade(url)
        yield url
        make_engine(url).dispose()
        connections.dispose(url)
        return
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        pytest.skip(f"set {TEST_DATABASE_ENV} to test on PostgreSQL")
    import sqlalchemy as sa

    schema = f"ownit_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_schema_url(base, schema)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        make_engine(url).dispose()
        connections.dispose(url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def ownit_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database URL; the test runs once per backend."""
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def ownit_clock() -> Any:
    from .clock import FixedClock

    return FixedClock(START)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("ownit_plugins", "OwnIt plugins (entry-point names) the ownit_plugins fixture loads; "
                                   "empty for every installed one", type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    pinned = config.getini("ownit_plugins")
    if pinned:  # the commands and pages the tests start (CliRunner, AppTest, a browser's server) load these too
        environment = pytest.MonkeyPatch()
        environment.setenv("OWNIT_PLUGINS", ",".join(pinned))
        config.add_cleanup(environment.undo)


def pinned_plugins(test_file: Path, config: pytest.Config) -> list[str] | None:
    """The plugins a test runs with: the ``ownit_plugins`` that the nearest
    ``pyproject.toml`` above ``test_file`` names (a plugin's own folder, also
    when its tests run inside another project's run, as OwnIt's own ``make
    test`` runs every folder of ``plugins/``), else the run's ini option;
    ``None`` for every installed plugin (``OWNIT_PLUGINS`` steering them)."""
    for folder in test_file.parents:
        found = _pins_in(folder)
        if found is not None:
            return found or None
    return config.getini("ownit_plugins") or None


@functools.lru_cache(maxsize=None)
def _pins_in(folder: Path) -> list[str] | None:
    """``ownit_plugins`` of ``folder``'s ``pyproject.toml``: ``None`` when it has
    no such file, ``[]`` when its file names none (the search stops at a project)."""
    project = folder / "pyproject.toml"
    if not project.is_file():
        return None
    import tomllib

    with project.open("rb") as handle:
        options = tomllib.load(handle).get("tool", {}).get("pytest", {}).get("ini_options", {})
    return list(options.get("ownit_plugins", []))


@pytest.fixture
def ownit_plugins(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Any:
    from .plugins import build_plugins

    return build_plugins(only=pinned_plugins(Path(request.path), pytestconfig))


def load_org_text(desk: Any, text: str, tmp_path: Path) -> dict[str, int]:
    """Load an organisation given as TOML text (a plugin's test org)."""
    from .org import load_org

    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    return load_org(desk, path)


def outbox(desk: Any) -> list[dict[str, Any]]:
    """Every notification in ``desk``'s outbox, oldest first, as dicts of its
    columns (``kind``, ``person_id``, ``delivered_at``, ``attempts`` ...): what
    a channel's tests check after an action or a sweep."""
    import sqlalchemy as sa

    from .models import Notification

    table = Notification.__table__
    with desk.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.id))]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now, for a test's server."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate and its key for 127.0.0.1, valid for a day, made with
    ``openssl`` in ``directory`` (the test is skipped without it): for a TLS
    server that a channel is then told to trust."""
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def ownit_desk(ownit_database_url: str, ownit_clock: Any, ownit_plugins: Any) -> Any:
    from .desk import Desk

    return Desk(url=ownit_database_url, plugins=ownit_plugins,
                clock=ownit_clock)


@pytest.fixture
def ownit_demo_org(ownit_desk: Any) -> Any:
    from .demo import ORG_FILE
    from .org import load_org

    load_org(ownit_desk, ORG_FILE, skip_missing_departments=True)
    return ownit_desk
