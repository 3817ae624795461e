"""Where the bytes of photos and files are kept: a store keyed by checksum.

The database holds what each attachment is (``attachment``); its bytes are
here under their SHA-256, so the same photo sent twice is kept once, and
writing them before the unit of work that names them is safe — a file no row
names is harmless, and a row is only committed once its file is stored.

A store is anything with ``put`` and ``get`` (:class:`FileStore`);
:class:`LocalFiles` keeps them in a folder, ``OWNIT_FILES_DIR``, by default
beside the SQLite database file (``ownit.db`` → ``ownit-files/``), or under the
user's data folder for PostgreSQL (every server running OwnIt must then see
the same folder). An S3-compatible store is a plugin's job: it only needs
these two methods.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

from .errors import ConfigError

FILES_ENV = "OWNIT_FILES_DIR"


class FileStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep ``data``; returns its key (the hex SHA-256). Storing the same bytes again changes nothing."""

    def get(self, key: str) -> bytes:
        """The bytes kept under ``key``, or a one-line :class:`ownit.errors.OwnitError`."""


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalFiles:
    """A folder of files named by their checksum (``ab/abcdef…``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(ch not in "0123456789abcdef" for ch in key):
            raise ValueError(f"not a file key: {key!r}")
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = checksum(data)
        target = self.path(key)
        if target.exists():
            return key
        partial = target.with_name(f".{key}.partial-{os.getpid()}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, target)  # whole or not at all: another writer of the same key writes the same bytes
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ConfigError(f"cannot store the file in {self.root}: {exc.strerror or exc}; "
                              f"check {FILES_ENV} and the disk") from None
        return key

    def get(self, key: str) -> bytes:
        try:
            data = self.path(key).read_bytes()
        except OSError as exc:
            raise ConfigError(f"the file {key[:12]}… is missing from {self.root} ({exc.strerror or exc}); "
                              f"check {FILES_ENV}, or restore it from a backup") from None
        if checksum(data) != key:
            raise ConfigError(f"the file {key[:12]}… in {self.root} is damaged (its checksum differs); "
                              "restore it from a backup")
        return data


def folder_for(url: str) -> Path:
    """``OWNIT_FILES_DIR``; else beside the SQLite database file
    (``/data/ownit.db`` → ``/data/ownit-files``); else (PostgreSQL)
    ``ownit/files`` under the user's data folder."""
    given = os.environ.get(FILES_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    if url.startswith("sqlite:///") and ":memory:" not in url:
        database = Path(url.removeprefix("sqlite:///").split("?")[0]).expanduser()
        return database.with_name(f"{database.stem}-files")
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ownit" / "files"


def store_for(url: str) -> LocalFiles:
    """The file store of the database at ``url``."""
    return LocalFiles(folder_for(url))
