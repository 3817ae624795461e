"""The plugin framework: discovery by entry point, clear failures by name."""

from __future__ import annotations


from pathlib import Path

import pytest

import ownit
from ownit import SYSTEM, Department, RequestType, Stage, hookimpl, hookspecs
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
    assert "facilities" not in build_plugins().departments
    monkeypatch.delenv("OWNIT_DISABLE_PLUGINS")
    monkeypatch.setenv("OWNIT_PLUGINS", "facilities")
    assert set(build_plugins().departments) == {"facilities"}
    monkeypatch.setenv("OWNIT_PLUGINS", "nothing-by-this-name")
    assert build_plugins().departments == {}


class Copycat:
    @hookimpl
    def ownit_register_departments(self, register):
        register(Department(key="facilities", name="Facilities again", request_types=(
            RequestType(key="facilities.other", label="Other", why="-",
                        stages=(Stage("a", "A"), Stage("b", "B"))),)))


class OlderOwnIt:
    """Written against an older OwnIt, whose plugins added commands through a hook."""

    @hookimpl
    def ownit_register_commands(self, cli):
        pass


def test_a_hook_from_an_older_ownit_says_where_commands_went() -> None:
    with pytest.raises(PluginError, match="plugin 'older' implements unknown hook 'ownit_register_commands'; "
                                          "plugin commands are declared in the 'ownit.commands' entry-point group"):
        build_plugins(extra=[("older", OlderOwnIt())])


def test_a_department_declared_twice_names_both_plugins_and_the_first_stays() -> None:
    plugins = build_plugins(extra=[("copycat", Copycat())])
    assert len(plugins.problems) == 1
    assert "'facilities'" in plugins.problems[0] and "'copycat'" in plugins.problems[0]
    assert plugins.departments["facilities"].name == "Facilities"
    assert "facilities.other" not in plugins.request_types and "it.broken_kit" in plugins.request_types


class Broken:
    @hookimpl
    def ownit_register_departments(self, register):
        raise RuntimeError("forgot to configure")


def test_a_plugin_failing_to_declare_is_named_and_the_rest_keep_working() -> None:
    plugins = build_plugins(extra=[("broken", Broken())])
    assert "facilities" in plugins.departments
    assert plugins.problems == ["plugin 'broken' could not declare its departments: forgot to configure"]


def test_a_plugin_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A package installed with its entry point but not its module (as pip leaves a broken install)."""
    info = tmp_path / "ownit_broken-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[ownit]\nbroken = no_such_module_for_ownit\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("OWNIT_PLUGINS")  # every installed plugin, as a desk loads them (the suite pins its own)
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
    assert set(ownit.__all__) - {"__version__"} == set(ownit._WHERE)  # every public name is loaded lazily


def test_the_command_line_starts_without_the_plugin_api() -> None:
    """``ownit --help`` stays fast: importing the CLI loads neither the
    departments, the hooks, nor the database layer."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, ownit.cli; ownit.cli._plugin_commands(); "
                             "print(' '.join(sys.modules))"], capture_output=True, text=True, check=True).stdout.split()
    for heavy in ("ownit.departments", "ownit.hookspecs", "ownit.service", "sqlalchemy", "sqlmodel", "streamlit",
                  "pluggy", "holidays", "ownit_facilities", "ownit_hr", "ownit_it"):
        assert heavy not in loaded, heavy


def test_plugin_commands_come_from_their_entry_point_group(tmp_path) -> None:
    """A package declaring ``ownit.commands`` adds its commands (a broken one is
    left out with a warning); found in package metadata, as pip installs it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "hello_cmds.py").write_text(
        'import typer\n\napp = typer.Typer(help="Say hello to a store.")\n\n\n@app.command()\n'
        'def hi(name: str) -> None:\n    typer.echo(f"hello {name}")\n')
    (tmp_path / "broken_cmds.py").write_text("raise ImportError('half installed')\n")
    info = tmp_path / "hello_cmds-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-cmds\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[ownit.commands]\nhello = hello_cmds:app\nbroken = broken_cmds:app\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    ownit_cli = str(Path(sys.executable).with_name("ownit"))
    listed = subprocess.run([ownit_cli, "--help"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "hello" in listed.stdout and "Say hello to a store." in listed.stdout
    assert "plugin commands 'broken' (broken_cmds:app) failed to load: ImportError('half installed')" in listed.stderr
    ran = subprocess.run([ownit_cli, "hello", "hi", "Leeds"], env=env, capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout.strip() == "hello Leeds"
    built_in = subprocess.run([ownit_cli, "--now", "2026-11-23T10:00:00+00:00", "plugin", "--help"], env=env,
                              capture_output=True, text=True)  # a built-in command does not look for them
    assert built_in.returncode == 0 and built_in.stderr == ""


def test_the_hook_reference_in_the_docs_is_the_hookspecs() -> None:
    from pathlib import Path

    from ownit.plugins import hook_reference

    doc = (Path(__file__).parent.parent / "docs" / "writing-a-plugin.md").read_text()
    section = doc[doc.index("<!-- hooks:start -->\n") + len("<!-- hooks:start -->\n"):doc.index("<!-- hooks:end -->")]
    assert section == hook_reference(), "regenerate the reference: python -c 'from ownit.plugins import hook_reference'"
    for name in [n for n in dir(hookspecs) if n.startswith("ownit_")]:
        assert f"`{name}(" in doc, name


def _section(name: str) -> str:
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "writing-a-plugin.md").read_text()
    return doc[doc.index(f"<!-- {name}:start -->\n") + len(f"<!-- {name}:start -->\n"):doc.index(f"<!-- {name}:end -->")]


def test_the_guide_lists_every_attribute_of_every_snapshot_hooks_are_given() -> None:
    from dataclasses import fields

    from ownit import records

    assert _section("snapshots") == records.reference(), \
        "regenerate it: python -c 'from ownit.records import reference; print(reference())'"
    for kind in records.SNAPSHOTS:
        for found in fields(kind):
            assert found.metadata.get("doc"), f"{kind.__name__}.{found.name} says what it is"


def test_the_guide_says_what_each_field_kind_arrives_as() -> None:
    from ownit.departments import FIELD_KINDS, KIND_VALUES, Field, kinds_reference
    from ownit.uploads import Upload

    assert _section("kinds") == kinds_reference()
    assert set(KIND_VALUES) == set(FIELD_KINDS)
    examples = {"text": " hello ", "choice": "A", "multichoice": "a, b", "number": "12.5", "date": "2026-12-01",
                "yesno": "yes", "photo": Upload("spill.jpg", b"..."), "file": Upload("plan.pdf", b"%PDF-1.4")}
    arrives = {"str": str, "list[str]": list, "int or float": (int, float), "bool": bool}
    for kind in FIELD_KINDS:
        value = Field("f", "F", kind=kind, choices=("a", "b") if "choice" in kind else ()).parse(examples[kind])
        assert isinstance(value, arrives[KIND_VALUES[kind][0]]), kind


def test_a_declaration_that_names_a_missing_date_field_fails() -> None:
    from ownit.departments import DeclarationError, Field

    with pytest.raises(DeclarationError, match="needed_by_field 'start' must name one of its date fields"):
        RequestType(key="hr.x", label="X", why="-", stages=(Stage("a", "A"), Stage("b", "B")),
                    fields=(Field("start", "Start"),), needed_by_field="start")


class OnEventWithDesk:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def ownit_on_event(self, request, event, desk):
        from ownit import service

        if event.kind == "raised":
            self.calls += 1
            service.add_note(desk, request.ref, actor=SYSTEM, note="Plugin says: we are on it")


def test_on_event_can_act_through_the_service(ownit_database_url, ownit_clock) -> None:
    from conftest import AMIRA, HELEN, LEAK
    from ownit import service
    from ownit.demo import ORG_FILE
    from ownit.desk import Desk
    from ownit.org import load_org

    plugin = OnEventWithDesk()
    desk = Desk(url=ownit_database_url, plugins=build_plugins(extra=[("helper", plugin)]), clock=ownit_clock)
    load_org(desk, ORG_FILE, skip_missing_departments=True)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    shown = service.show(desk, view["ref"], actor=AMIRA)
    assert [(e["kind"], e["note"]) for e in shown["timeline"]][-1] == ("note", "Plugin says: we are on it")
    assert plugin.calls == 1 and desk.take_warnings() == []
    assert service.inbox(desk, actor=AMIRA)[0]["message"].endswith("Plugin says: we are on it")
    assert service.show(desk, view["ref"], actor=HELEN)["timeline"][-1]["actor_name"] == "OwnIt"
