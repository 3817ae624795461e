"""Frozen values: the events, notices, plugin records, departments, charters
and directory entries OwnIt passes around.

A ``@frozen`` class is a frozen dataclass whose equality, hash and repr are
written once, here, by its fields, instead of being generated for each
class: Python compiles every method a dataclass generates as the class is
declared, and the command line declares about a hundred such classes in
every process; for the eighty event, notice and record classes that was a
third of their time (62 → 41 ms on the benchmark machine,
docs/benchmarks.md). They behave as ``@dataclass(frozen=True)``'s do: equal
when of the same class with equal fields, hashable by those fields, shown
with them.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def _values(value: Any) -> tuple[Any, ...]:
    return tuple(getattr(value, f.name) for f in dataclasses.fields(value))


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash((self.__class__, _values(self)))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


_SHARED = {"__eq__": _eq, "__hash__": _hash, "__repr__": _repr}


def frozen(cls: Any = None, /, **options: Any) -> Any:
    """``@dataclass(frozen=True)``, its equality, hash and repr the shared ones
    (unless the class writes its own); ``options`` as ``dataclass`` takes them."""
    def make(klass: Any) -> Any:
        for name, method in _SHARED.items():
            if name not in klass.__dict__:
                setattr(klass, name, method)
        return dataclasses.dataclass(klass, frozen=True, eq=False, repr=False, **options)

    return make if cls is None else make(cls)


__all__ = ["frozen"]
