"""`ownit plugin new` writes a plugin that installs, is discovered, and passes its own test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ownit.cli import app


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_new_plugin_installs_shows_up_and_passes_its_test(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plugin", "new", "cleaning", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / "cleaning"  # as OwnIt's own: plugins/facilities
    assert (package / "pyproject.toml").exists() and (package / "tests" / "test_cleaning.py").exists()
    # Install it as a user would, into a folder of its own, so this test leaves the environment alone.
    site = tmp_path / "site"
    # every installed plugin, as a user's shell has them (not the suite's pinned OWNIT_PLUGINS)
    env = {**{k: v for k, v in os.environ.items() if k != "OWNIT_PLUGINS"}, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    installed = run(sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(site), str(package), env=env, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    env = {**env, "PYTHONPATH": str(site), "OWNIT_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    ownit = [sys.executable, "-c", "from ownit.cli import main; main()"]
    listed = run(*ownit, "departments", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert '"cleaning.general"' in listed.stdout and '"name": "cleaning"' in listed.stdout
    assert '"prefix": "CLN"' in listed.stdout  # as the guide shows
    tested = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests"),
                 env={k: v for k, v in env.items() if k != "OWNIT_TEST_DATABASE_URL"}, cwd=package)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout


@pytest.mark.parametrize("name, message", [("Cleaning", "lower-case word"), ("x", "lower-case word"),
                                           ("clean-ing", "lower-case word")])
def test_bad_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    result = CliRunner().invoke(app, ["plugin", "new", name, "--dir", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "cleaning").mkdir()
    result = CliRunner().invoke(app, ["plugin", "new", "cleaning", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "already exists" in result.output


@pytest.mark.parametrize("name, prefix", [("cleaning", "CLN"), ("security", "SCR"), ("hr", "HR"), ("audio", "AD"),
                                          ("aa", "AA")])
def test_the_prefix_is_the_first_letter_and_the_consonants_after_it(name: str, prefix: str) -> None:
    from ownit.scaffold import prefix_of

    assert prefix_of(name) == prefix


def test_a_prefix_can_be_given_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    made = CliRunner().invoke(app, ["plugin", "new", "cleaning", "--dir", str(tmp_path), "--prefix", "CLEAN"])
    assert made.exit_code == 0, made.output
    assert 'prefix="CLEAN"' in (tmp_path / "cleaning" / "ownit_cleaning" / "__init__.py").read_text()
    refused = CliRunner().invoke(app, ["plugin", "new", "spills", "--dir", str(tmp_path), "--prefix", "sp1"])
    assert refused.exit_code == 1 and "prefix 'sp1' must be 2-6 capital letters" in refused.output
    assert not (tmp_path / "spills").exists()


def test_the_suite_pins_its_plugins_and_a_plugin_folder_its_own(tmp_path: Path, pytestconfig) -> None:
    from ownit.testing import pinned_plugins

    root = Path(__file__).resolve().parents[1]
    assert pinned_plugins(root / "tests" / "test_x.py", pytestconfig) == ["chat", "email", "facilities", "hr", "it"]
    assert os.environ["OWNIT_PLUGINS"] == "chat,email,facilities,hr,it"  # for the commands and pages tests start
    CliRunner().invoke(app, ["plugin", "new", "cleaning", "--dir", str(tmp_path)])
    assert pinned_plugins(tmp_path / "cleaning" / "tests" / "test_cleaning.py", pytestconfig) == ["cleaning"]
    # a built-in department's folder names none: the run's own (OWNIT_PLUGINS)
    assert pinned_plugins(root / "plugins" / "facilities" / "tests" / "test_x.py", pytestconfig) is None


def test_the_example_is_the_guides_cleaning_department_and_declares_cleanly(tmp_path: Path) -> None:
    import importlib.util

    made = CliRunner().invoke(app, ["plugin", "new", "cleaning", "--example", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    spec = importlib.util.spec_from_file_location("example_cleaning",
                                                  tmp_path / "cleaning" / "ownit_cleaning" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # every declaration checked as OwnIt loads it
    assert (module.SPILL.reachable, module.DEEP_CLEAN.reachable) == (("urgent", "high", "normal"), ("low",))
    assert [f.kind for f in module.DEEP_CLEAN.fields] == ["multichoice", "text", "date"]
    assert (module.SPILL.calendar, module.DEEP_CLEAN.calendar) == ("24x7", None)  # spills around the clock
    assert module.ownit_priority("cleaning.spill", {"slippery": True, "cordoned": False}) == "urgent"
    tests = (tmp_path / "cleaning" / "tests" / "test_cleaning.py").read_text()
    assert "def test_a_slippery_spill_not_cordoned_off_is_urgent" in tests and ".general" not in tests
