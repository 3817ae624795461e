"""A module imported when one of its names is first used: for a module that
only some of its callers' paths need (SQLAlchemy, the notices), so that a
command that never takes those paths never pays for the import."""

from __future__ import annotations

from importlib import import_module
from typing import Any


class Lazy:
    """``Lazy("ownit.notices").Assigned`` imports ``ownit.notices`` the first time."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"Lazy({self._name!r})"
