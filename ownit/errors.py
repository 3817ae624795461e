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
    """Input that breaks a rule; nothing was written. ``problems`` maps each
    field at fault (its key: ``location``, ``title``) to what is wrong with it
    as said under the field itself ("It is required."), so a form can mark
    every field at once; ``field`` is the first of them."""

    def __init__(self, message: str, *, field: str | None = None, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})
        self.field = field or next(iter(self.problems), None)

    @classmethod
    def about(cls, key: str, message: str, problem: str) -> "ValidationError":
        """The one-line ``message`` on the field ``key``, whose ``problem`` (the
        message without the field's name: "is required", "'maybe' is not yes
        or no") is said under the field as "It is required." or as given."""
        said = f"It {problem}" if problem[:1].islower() else problem
        return cls(message, field=key, problems={key: said.rstrip(".") + "."})

    @classmethod
    def together(cls, errors: "list[ValidationError]") -> "ValidationError":
        """One error for all of ``errors``: every message on the one line, every field's problem."""
        problems: dict[str, str] = {}
        for error in errors:
            problems.update({k: v for k, v in error.problems.items() if k not in problems})
        return cls("; ".join(str(e) for e in errors), problems=problems)


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
