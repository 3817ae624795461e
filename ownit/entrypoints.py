"""The entry points installed packages declare, read from their metadata files.

``importlib.metadata`` finds them too, but importing it (with the ``email``
package it reads metadata with) and asking it costs a command about 25 ms on
the benchmark machine, a tenth of an agent's command (docs/benchmarks.md).
This reads the same files the same way: each ``*.dist-info`` or
``*.egg-info`` folder on ``sys.path``, its ``entry_points.txt`` (an INI file:
``[group]`` then ``name = module:attr``), the first distribution of a name
on the path winning. A path entry it cannot look into (a zip) hands the
question to ``importlib.metadata``; a plugin's package name and version are
read with it, when someone asks for them.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import Any

_SUFFIXES = (".dist-info", ".egg-info")


class EntryPoint:
    """``name = value`` of a ``[group]``, declared by the distribution in ``folder``."""

    def __init__(self, name: str, value: str, group: str, folder: Path | None = None, dist: Any = None) -> None:
        self.name, self.value, self.group, self.folder = name, value, group, folder
        if dist is not None:
            self.__dict__["dist"] = dist

    def load(self) -> Any:
        """The object it names (``module`` or ``module:attr.attr``), imported."""
        module, _, attribute = self.value.partition(":")
        found = import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found

    @cached_property
    def dist(self) -> Any:
        """The distribution (``importlib.metadata``'s), for its name and version."""
        from importlib import metadata

        return metadata.PathDistribution(self.folder) if self.folder is not None else None

    def __repr__(self) -> str:
        return f"EntryPoint({self.name!r}, {self.value!r}, {self.group!r})"


def declared(group: str) -> list[EntryPoint]:
    """Every entry point of ``group``, by name."""
    found: dict[str, EntryPoint] = {}
    seen: set[str] = set()
    for folder in sys.path:
        try:
            entries = sorted(os.scandir(folder or "."), key=lambda e: e.name)
        except NotADirectoryError:  # a zip on the path: only importlib.metadata reads those
            return _by_importlib(group)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(_SUFFIXES):
                continue
            distribution = _normalised(entry.name.rsplit(".", 1)[0].split("-", 1)[0])
            if distribution in seen:
                continue  # an earlier path entry holds this distribution
            seen.add(distribution)
            try:
                text = Path(entry.path, "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            if f"[{group}]" not in text:
                continue
            for name, value in _section(text, group):
                found.setdefault(name, EntryPoint(name, value, group, Path(entry.path)))
    return sorted(found.values(), key=lambda ep: ep.name)


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of ``[group]`` in an ``entry_points.txt``."""
    lines, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line:
            name, _, value = line.partition("=")
            lines.append((name.strip(), value.strip()))
    return lines


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _by_importlib(group: str) -> list[EntryPoint]:
    from importlib import metadata

    return sorted((EntryPoint(ep.name, ep.value, group, dist=ep.dist) for ep in metadata.entry_points(group=group)),
                  key=lambda ep: ep.name)
