"""Start `ownit ui` as a real server for the tests that talk to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Iterator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_ui(url: str, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`ownit ui` on a free port; yields its address, stops it afterwards."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("OWNIT_UI_DEMO", "OWNIT_NOW")}
    environment.update({"OWNIT_DATABASE_URL": url, **(env or {})})
    process = subprocess.Popen([sys.executable, "-c", "from ownit.cli import main; main()", "ui", *args,
                                "--port", str(port)], env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the UI did not start"
            time.sleep(0.5)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)
