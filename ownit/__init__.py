"""OwnIt: an internal support desk where every request has one named owner.

This module is the public API for plugin authors: import from ``ownit``, never
from its submodules. Importing it has no side effects and loads no plugin; the
names are loaded when first used, so ``ownit --help`` does not pay for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_WHERE = {
    "Department": "departments", "Field": "departments", "Promise": "departments", "RequestType": "departments",
    "Stage": "departments",
    "SYSTEM": "actors",
    "Conflict": "errors", "NotFound": "errors", "OwnitError": "errors", "PermissionDenied": "errors",
    "PluginError": "errors", "ValidationError": "errors",
    "hookimpl": "hookspecs", "pure": "hookspecs", "reacts_to": "hookspecs",
    "delivery_limit": "bounded", "needed_from_you": "notices", "when_in_full": "notices",
    "inbox_link": "links", "request_link": "links", "ui_address": "links",
    "Draft": "records", "EventSnapshot": "records", "MemberInfo": "records", "NotificationSnapshot": "records",
    "Preview": "records", "Reach": "records", "RequestSnapshot": "records", "TeamInfo": "records",
}

__all__ = [
    "Conflict", "Department", "Draft", "EventSnapshot", "Field", "MemberInfo", "NotFound", "NotificationSnapshot",
    "OwnitError", "PermissionDenied", "PluginError", "Preview", "Promise", "Reach", "RequestSnapshot", "RequestType", "SYSTEM", "Stage",
    "TeamInfo", "ValidationError", "__version__", "delivery_limit", "hookimpl", "inbox_link", "needed_from_you",
    "pure", "reacts_to", "request_link", "ui_address", "when_in_full",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value  # once loaded, an ordinary attribute
        return value
    raise AttributeError(f"module 'ownit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
    from .actors import SYSTEM
    from .bounded import delivery_limit
    from .departments import Department, Field, Promise, RequestType, Stage
    from .errors import Conflict, NotFound, OwnitError, PermissionDenied, PluginError, ValidationError
    from .hookspecs import hookimpl, pure, reacts_to
    from .links import inbox_link, request_link, ui_address
    from .notices import needed_from_you, when_in_full
    from .records import (Draft, EventSnapshot, MemberInfo, NotificationSnapshot, Preview, Reach, RequestSnapshot,
                          TeamInfo)
