"""Errors meant for people.

Every error an edge (the CLI, the UI) can show derives from :class:`OwnitError`;
its message is one line that says what is wrong and how to fix it. Plugins raise
these too (they are part of the public API in :mod:`ownit`).
"""

from __future__ import annotations

import re


class OwnitError(Exception):
    """Something a person can fix; ``str(error)`` is the one line to show them."""

    exit_code = 1


class NotFound(OwnitError):
    """A ref, person, team, site or request type that does not exist."""


class ValidationError(OwnitError):
    """Input that breaks a rule; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(OwnitError):
    """The request changed under the caller (another agent acted first), or the
    move is not allowed from the request's current state."""


class PermissionDenied(OwnitError):
    """The acting person may not do this."""


class PluginError(OwnitError):
    """A plugin misbehaved; the message names the plugin."""


class ConfigError(OwnitError):
    """The organisation file, the database URL or the environment is wrong."""


_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def typed(text: str) -> bool:
    """Whether ``text`` could be an identifier someone typed: no control
    characters (PostgreSQL cannot even compare a NUL) and valid UTF-8 (see
    :func:`utf8`), so it is safe to look up."""
    return _CONTROL.search(text) is None


def utf8(text: str) -> bool:
    """Whether ``text`` came from valid UTF-8: other bytes reach Python
    as lone surrogates (``'\\udcff'``), which can be neither stored nor printed."""
    return _SURROGATE.search(text) is None
