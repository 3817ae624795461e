"""The plugin framework: discovery by entry point, clear failures by name."""

from __future__ import annotations

from importlib import metadata

import pytest

import ownit
from ownit import Department, RequestType, Stage, hookimpl, hookspecs
from ownit.errors import PluginError
from ownit.plugins import build_plugins


def test_facilities_arrives_through_the_entry_point_only() -> None:
    plugins = build_plugins()
    assert "facilities" in plugins.departments
    assert "facilities.leak" in plugins.request_types
    info = {p.name: p for p in plugins.info}
    assert info["facilities"].distribution == "ownit-facilities"
    assert info["facilities"].version == "0.1.0"
    assert plugins.problems == []


def test_the_core_imports_no_department() -> None:
    import pathlib

    core = pathlib.Path(ownit.__file__).parent
    for path in core.rglob("*.py"):
        assert "ownit_facilities" not in path.read_text(), path


def test_operators_can_load_only_some_or_disable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNIT_DISABLE_PLUGINS", "facilities")
    assert build_plugins().departments == {}
    monkeypatch.delenv("OWNIT_DISABLE_PLUGINS")
    monkeypatch.setenv("OWNIT_PLUGINS", "nothing-by-this-name")
    assert build_plugins().departments == {}


class Copycat:
    @hookimpl
    def ownit_register_departments(self, register):
        register(Department(key="facilities", name="Facilities again", request_types=(
            RequestType(key="facilities.other", label="Other", why="-",
                        stages=(Stage("a", "A"), Stage("b", "B"))),)))


def test_a_department_declared_twice_names_both_plugins() -> None:
    with pytest.raises(PluginError) as caught:
        build_plugins(extra=[("copycat", Copycat())])
    assert "'facilities'" in str(caught.value) and "'copycat'" in str(caught.value)


class Broken:
    @hookimpl
    def ownit_register_departments(self, register):
        raise RuntimeError("forgot to configure")


def test_a_plugin_failing_to_declare_is_named_and_the_rest_keep_working() -> None:
    plugins = build_plugins(extra=[("broken", Broken())])
    assert "facilities" in plugins.departments
    assert plugins.problems == ["plugin 'broken' could not declare its departments: forgot to configure"]


def test_a_plugin_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = metadata.entry_points

    def with_broken(**kwargs):
        found = list(real(**kwargs))
        return found + [metadata.EntryPoint(name="broken", value="no_such_module_for_ownit", group="ownit")]

    monkeypatch.setattr(metadata, "entry_points", with_broken)
    plugins = build_plugins()
    assert "facilities" in plugins.departments
    assert len(plugins.problems) == 1 and plugins.problems[0].startswith("plugin 'broken' failed to import")


class Misspelt:
    @hookimpl
    def ownit_regster_departments(self, register):  # typo on purpose
        pass


def test_a_misspelt_hook_fails_fast() -> None:
    with pytest.raises(Exception, match="unknown hook 'ownit_regster_departments'"):
        build_plugins(extra=[("misspelt", Misspelt())])


def test_every_hook_is_documented_in_the_same_shape() -> None:
    hooks = [name for name in dir(hookspecs) if name.startswith("ownit_")]
    assert len(hooks) >= 7
    for name in hooks:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert "Called" in doc and ":return:" in doc, name


def test_the_public_api_is_importable_from_ownit() -> None:
    for name in ownit.__all__:
        assert hasattr(ownit, name), name
