"""OwnIt: an internal support desk where every request has one named owner.

This module is the public API for plugin authors: import from ``ownit``, never
from its submodules. Importing it has no side effects and loads no plugin.
"""

from .departments import Department, Field, Promise, RequestType, Stage
from .errors import (
    Conflict,
    NotFound,
    OwnitError,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from .hookspecs import hookimpl
from .records import Draft, EventSnapshot, MemberInfo, NotificationSnapshot, RequestSnapshot, TeamInfo

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Department",
    "Draft",
    "EventSnapshot",
    "Field",
    "MemberInfo",
    "NotFound",
    "NotificationSnapshot",
    "OwnitError",
    "PermissionDenied",
    "PluginError",
    "Promise",
    "RequestSnapshot",
    "RequestType",
    "Stage",
    "TeamInfo",
    "ValidationError",
    "__version__",
    "hookimpl",
]
