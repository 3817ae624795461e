"""Builds the plugin manager, once, and the registry of departments.

Departments — built-in or third-party — arrive only through the ``ownit``
entry-point group; the core imports none of them. Operators steer loading with
environment variables:

``OWNIT_PLUGINS``
    comma-separated entry-point names: load only these.
``OWNIT_DISABLE_PLUGINS``
    comma-separated entry-point names: never load these.
``OWNIT_TRACE_HOOKS``
    set to ``1`` to print every hook call and result to stderr.
"""

from __future__ import annotations

import functools
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .departments import Department, RequestType
from .errors import NotFound, PluginError
from .incidents import incident_type, is_incident

ENTRY_POINT_GROUP = "ownit"


class PluginInfo:
    """A loaded plugin: its name, and the package it came from with its version
    (read from the package's metadata when first asked, not as the desk opens)."""

    def __init__(self, name: str, distribution: str | None = None, version: str | None = None, *,
                 entry_point: Any = None) -> None:
        self.name = name
        self._said = (distribution, version)
        self._entry_point = entry_point

    @functools.cached_property
    def _package(self) -> tuple[str | None, str | None]:
        dist = self._entry_point.dist if self._entry_point is not None else None
        if dist is None:
            return self._said
        return dist.metadata["Name"], dist.version

    @property
    def distribution(self) -> str | None:
        return self._package[0]

    @property
    def version(self) -> str | None:
        return self._package[1]

    def __repr__(self) -> str:
        return f"PluginInfo({self.name!r})"


@dataclass
class Plugins:
    """The loaded plugin manager plus everything the plugins declared."""

    pm: pluggy.PluginManager
    info: list[PluginInfo] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    request_types: dict[str, RequestType] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # broken plugins, by name
    _owner_of: dict[str, str] = field(default_factory=dict)
    _for_department: dict[tuple[str, str], Any] = field(default_factory=dict)
    tracing: bool = False  # OWNIT_TRACE_HOOKS: each implementation's answer to stderr too

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def request_type(self, key: str) -> RequestType:
        try:
            return self.request_types[key]
        except KeyError:
            raisable = (k for k, t in self.request_types.items() if not is_incident(t))
            known = ", ".join(sorted(raisable)) or "none installed"
            raise NotFound(f"unknown request type {key!r}; known types: {known}") from None

    def department(self, key: str) -> Department:
        try:
            return self.departments[key]
        except KeyError:
            known = ", ".join(sorted(self.departments)) or "none installed"
            raise NotFound(f"unknown department {key!r}; known departments: {known}") from None

    def _register(self, plugin_name: str, department: Department) -> None:
        if not isinstance(department, Department):
            raise PluginError(f"plugin {plugin_name!r} registered {department!r}, not an ownit.Department")
        keys = [f"department {department.key!r}"] + [
            f"request type {t.key!r}" for t in department.request_types
        ]
        for key in keys:
            if key in self._owner_of:
                raise PluginError(
                    f"{key} is declared by both plugin {self._owner_of[key]!r} "
                    f"and plugin {plugin_name!r}; disable one with OWNIT_DISABLE_PLUGINS"
                )
        for key in keys:
            self._owner_of[key] = plugin_name
        self.departments[department.key] = department
        for rtype in department.request_types:
            self.request_types[rtype.key] = rtype
        incident = incident_type(department.key)  # every department's incidents (ownit.incidents)
        self.request_types[incident.key] = incident

    def for_department(self, hook: str, department: str) -> Any:
        """``hook`` as the rules of ``department`` answer it: its own plugin and
        the plugins that register no department (rules for every department);
        another department's plugin is not asked. Call it like ``self.hook.NAME``."""
        caller = self._for_department.get((hook, department))
        if caller is None:
            own = self._owner_of.get(f"department {department!r}")
            others = {name for key, name in self._owner_of.items() if key.startswith("department ") and name != own}
            caller = self._for_department[(hook, department)] = self.pm.subset_hook_caller(
                hook, remove_plugins=[self.pm.get_plugin(name) for name in others])
        return caller

    def plugin_name(self, plugin: object) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def answer(self, impl: Any, hook: str, arguments: dict[str, Any]) -> Any:
        """One implementation's answer to ``hook``: called with only the
        arguments it names (as pluggy allows), and checked against the hook's
        spec; an answer of the wrong type is :class:`WrongAnswer`, naming the
        plugin, the hook and what it must return. What the plugin raises is
        raised as it is; the caller decides what its failure means."""
        result = impl.function(**{k: v for k, v in arguments.items() if k in impl.argnames})
        if self.tracing:
            sys.stderr.write(f"{hook} [{impl.plugin_name}] --> {result!r}\n")
        expected = _expected(hook)
        if expected is not None and not _conforms(result, expected[0]):
            raise WrongAnswer(impl.plugin_name, hook, result, expected[1])
        return result

    def implementations(self, caller: Any) -> list[Any]:
        """The implementations of a hook in the order pluggy calls them (the
        last registered and ``tryfirst`` first); wrappers are not OwnIt's."""
        return [impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]


class WrongAnswer(PluginError):
    """A plugin returned something its hook's spec does not allow."""

    def __init__(self, plugin: str, hook: str, result: Any, expected: str) -> None:
        self.returned = f"plugin {plugin!r} returned {_short(result)} from {hook}"
        self.expected = f"it must return {expected}"
        super().__init__(f"{self.returned}; {self.expected}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_EXPECTED: dict[str, tuple[Any, str] | None] = {}


def _expected(hook: str) -> tuple[Any, str] | None:
    """The type a hook's answers must have (its spec's return annotation) and
    the words saying so (``@returns``); ``None`` for a broadcast whose results
    are ignored. Worked out once per hook."""
    if hook not in _EXPECTED:
        spec = getattr(hookspecs, hook)
        words = getattr(spec, "ownit_returns", None)
        # the annotations are strings (postponed); a result's type names builtins or OwnIt's records
        from . import records

        _EXPECTED[hook] = (eval(spec.__annotations__["return"], dict(vars(records))), words) if words else None
    return _EXPECTED[hook]


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the type ``hint``: ``None``, a class, a union of
    them, or ``list[...]`` (a list or tuple whose every item conforms)."""
    if hint is None or hint is type(None):
        return value is None
    if isinstance(hint, types.UnionType):
        return any(_conforms(value, option) for option in hint.__args__)
    if isinstance(hint, types.GenericAlias) and hint.__origin__ is list:
        return isinstance(value, (list, tuple)) and all(_conforms(item, hint.__args__[0]) for item in value)
    return isinstance(value, hint)


def _names(variable: str) -> set[str]:
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


def build_plugins(
    *,
    entry_points: bool = True,
    only: Iterable[str] | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> Plugins:
    """A fresh plugin manager with the entry-point plugins (``only`` these names
    when given, else as the environment allows) and ``extra``
    ``(name, module_or_object)`` pairs, and their departments.

    A plugin that fails to import, whose departments are malformed, or that
    declares a department another plugin already declared, is left out and
    named in ``Plugins.problems``; the rest of the desk keeps working.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm=pm)
    only = set(only) if only is not None else _names("OWNIT_PLUGINS")
    disabled = _names("OWNIT_DISABLE_PLUGINS")
    if entry_points:
        from .entrypoints import declared

        for ep in declared(ENTRY_POINT_GROUP):
            if (only and ep.name not in only) or ep.name in disabled or pm.has_plugin(ep.name):
                continue
            try:
                module = ep.load()
            except (Exception, SystemExit) as exc:  # a broken plugin must not take the desk down, nor end it
                plugins.problems.append(f"plugin {ep.name!r} failed to import: {_said(exc)}")
                continue
            pm.register(module, name=ep.name)
            plugins.info.append(PluginInfo(ep.name, entry_point=ep))
    for name, obj in extra:
        pm.register(obj, name=name)
        plugins.info.append(PluginInfo(name))
    _check_hooks(pm)
    if os.environ.get("OWNIT_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
        plugins.tracing = True
    _collect_departments(plugins)
    return plugins


def _check_hooks(pm: pluggy.PluginManager) -> None:
    """Every implementation names a hook OwnIt has: a misspelt one (or one from
    an older OwnIt) stops the start with one line naming the plugin, rather
    than being silently never called."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        hook = next((name for name, caller in vars(pm.hook).items()
                     if name.startswith("ownit_") and not caller.has_spec() and caller.get_hookimpls()), None)
        plugin = pm.get_name(exc.plugin) or repr(exc.plugin)
        hint = ("; plugin commands are declared in the 'ownit.commands' entry-point group now "
                "(docs/writing-a-plugin.md)") if hook == "ownit_register_commands" else ""
        raise PluginError(f"plugin {plugin!r} implements unknown hook {hook!r}{hint}; fix it, or leave it out "
                          f"with OWNIT_DISABLE_PLUGINS={plugin}") from None


def _collect_departments(plugins: Plugins) -> None:
    for impl in plugins.pm.hook.ownit_register_departments.get_hookimpls():
        name = impl.plugin_name
        try:
            impl.function(register=lambda department, _name=name: plugins._register(_name, department))
        except PluginError as exc:  # declared twice: the first stays, the desk keeps working
            plugins.problems.append(str(exc))
        except (Exception, SystemExit) as exc:  # sys.exit() in a plugin ends the plugin, not OwnIt
            plugins.problems.append(f"plugin {name!r} could not declare its departments: {_said(exc)}")


def _said(exc: BaseException) -> str:
    """An exception as a problem's line: its message; ``SystemExit(0)`` for an exit."""
    return repr(exc) if isinstance(exc, SystemExit) else str(exc)


_loaded: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _loaded
    if _loaded is None:
        _loaded = build_plugins()
    return _loaded


def hook_reference() -> str:
    """Markdown for every hook, from the hookspecs' signatures and docstrings
    (docs/writing-a-plugin.md embeds it; a test keeps the two equal)."""
    import inspect

    parts = []
    for name, func in vars(hookspecs).items():  # in the order of the module: by phase
        if not name.startswith("ownit_") or not inspect.isfunction(func):
            continue
        options = getattr(func, "ownit_spec", {}) or {}
        wins = " — first result wins" if options.get("firstresult") else ""
        signature = str(inspect.signature(func)).replace("'", "")
        returns = getattr(func, "ownit_returns", None)
        checked = (f"\n\nEach implementation must return {returns}; anything else is refused as the "
                   "plugin's fault, naming it.") if returns else ""
        parts.append(f"### `{name}{signature}`{wins}\n\n{inspect.cleandoc(func.__doc__ or '')}{checked}\n")
    return "\n".join(parts)
