"""Hostile input, generated: every string, number and date either gets a
clear error or is stored and shown back exactly — nothing crashes, nothing is
half-written — through the service API and through the command line."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import AMIRA, HELEN, LEAK, look
from ownit import service
from ownit.cli import app
from ownit.errors import OwnitError, ValidationError

NASTY = [
    "'; DROP TABLE request; --", "Robert'); DELETE FROM event; --", "<script>alert(1)</script>", "**bold** _it_",
    "[link](javascript:alert(1))", "\u202egnp.exe", "שלום עולם", "مرحبا", "🙂🔥👩🏽‍🔧", "\u0000", "\x1b[31mred",
    "a" * 201, "b" * 10_001, "  padded  ", "", " ", "line\nbreak", "tab\there", "%s %d {0} {title}", "\\\\server\\share",
    "NULL", "None", "1e309", "-0", "𝕳𝖊𝖑𝖑𝖔", "\ufeffBOM", "\u200b",
]
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=300),
                    st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def count(desk) -> tuple[int, int]:
    from sqlmodel import func, select

    from ownit.models import Event, Request

    return look(desk, lambda s: (s.exec(select(func.count()).select_from(Request)).one(),
                                s.exec(select(func.count()).select_from(Event)).one()))


@FUZZ
@given(title=hostile, location=hostile, detail=hostile)
def test_raising_with_hostile_text(ownit_demo_org, title, location, detail) -> None:
    desk = ownit_demo_org
    before = count(desk)
    try:
        view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=title, detail=detail,
                                     fields={**LEAK, "location": location})
    except ValidationError as error:
        assert str(error) and "\n" not in str(error) and count(desk) == before  # one line, nothing written
        return
    shown = service.show(desk, view["ref"], actor=AMIRA)
    assert shown["title"] == title.strip() and shown["detail"] == detail.strip()
    assert shown["fields"]["location"] == location.strip()
    assert count(desk)[0] == before[0] + 1


@FUZZ
@given(note=hostile, internal=st.booleans())
def test_notes_with_hostile_text(ownit_demo_org, note, internal) -> None:
    desk = ownit_demo_org
    ref = service.my_requests(desk, actor=AMIRA)[0]["ref"] if service.my_requests(desk, actor=AMIRA) else \
        service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)["ref"]
    try:
        view = service.add_note(desk, ref, actor=HELEN, note=note, internal=internal)
    except ValidationError as error:
        assert "\n" not in str(error)
        return
    assert view["timeline"][-1]["note"] == note.strip() and view["timeline"][-1]["internal"] is internal
    requester_sees = service.show(desk, ref, actor=AMIRA)["timeline"]
    assert not any(e["internal"] for e in requester_sees)  # an internal note never reaches the requester
    assert len(requester_sees) == len(view["timeline"]) - sum(e["internal"] for e in view["timeline"])
    if not internal:
        assert requester_sees[-1]["note"] == note.strip()


@FUZZ
@given(nps=st.integers(min_value=-10**12, max_value=10**12), effort=st.integers(min_value=-10**6, max_value=10**6))
def test_ratings_out_of_range_are_refused(ownit_demo_org, nps, effort) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    owner = view["owner"]["email"]
    service.contact(desk, view["ref"], actor=owner, note="hi")
    service.resolve(desk, view["ref"], actor=owner, note="done")
    try:
        closed = service.confirm(desk, view["ref"], actor=AMIRA, nps=nps, effort=effort)
    except ValidationError as error:
        assert not (0 <= nps <= 10 and 1 <= effort <= 7) and "out of range" in str(error)
        assert service.show(desk, view["ref"], actor=AMIRA)["status"] == "resolved"
        return
    assert 0 <= nps <= 10 and 1 <= effort <= 7 and closed["status"] == "closed"


runner = CliRunner()
argument = st.one_of(st.sampled_from(NASTY + ["FAC-1001", "--json", "--now", "2026-13-45", "-1", "999999999999999999",
                                              "--as", AMIRA, "--note", "x", "--nps", "nan", "--to", "--help",
                                              "--since", "0001-01-01", "9999-12-31", "--replace", "--force"]),
                     st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))
# every command but the two that start a web server, and the commands of the groups
COMMANDS = sorted({c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
                  - {"ui", "demo"}) + ["org load", "plugin new"]


def whole(desk) -> None:
    """Nothing half-written: every request has one existing owner and its 'raised' event."""
    from sqlmodel import func, select

    from ownit.models import Event, Request

    requests, raised = look(desk, lambda s: (s.exec(select(func.count()).select_from(Request)).one(),
                                             s.exec(select(func.count()).where(Event.kind == "raised")).one()))
    assert requests == raised and service.ownership_problems(desk) == []


def one_line_or_done(code: int, stderr: str, what: object) -> None:
    """The command line's rule: done (exit 0), or one 'error:' line and exit 1 or 2; never a traceback."""
    assert code in (0, 1, 2), (what, code, stderr)
    assert "Traceback" not in stderr, (what, stderr)
    if code:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (what, stderr)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), args=st.lists(argument, max_size=6))
def test_the_command_line_never_shows_a_traceback(ownit_demo_org, tmp_path, monkeypatch, command, args) -> None:
    monkeypatch.chdir(tmp_path)  # a backup or a scaffold lands here
    result = runner.invoke(app, ["--now", "2026-11-23T10:00:00+00:00", *command.split(), *args],
                           env={"OWNIT_DATABASE_URL": ownit_demo_org.url, "OWNIT_USER": HELEN, "COLUMNS": "100"})
    assert result.exception is None or isinstance(result.exception, SystemExit), (command, args, result.exception)
    one_line_or_done(result.exit_code, result.stderr, (command, args))
    if result.exit_code == 0 and "--json" in args and "--help" not in args:
        json.loads(result.stdout)
    whole(ownit_demo_org)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["raise", "show", "note", "queue", "org load", "report", "away"]),
       args=st.lists(st.one_of(argument.map(str.encode), st.binary(min_size=1, max_size=12)), min_size=1, max_size=5))
def test_raw_bytes_through_the_real_entry_point(ownit_demo_org, monkeypatch, command, args) -> None:
    """Arguments as the operating system hands them over — bytes, which need
    not be UTF-8 — through ``main()``, as the installed ``ownit`` runs it."""
    import os
    import sys

    from ownit.cli import main

    argv = ["ownit", "--now", "2026-11-23T10:00:00+00:00", *command.split(), *(os.fsdecode(a) for a in args)]
    with runner.isolation(env={"OWNIT_DATABASE_URL": ownit_demo_org.url, "OWNIT_USER": HELEN}) as (out, err, _):
        monkeypatch.setattr(sys, "argv", argv)
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        stderr = err.getvalue().decode("utf-8", "replace")
    one_line_or_done(code, stderr, argv)
    whole(ownit_demo_org)


@pytest.mark.parametrize("text", ["2026-02-30", "tomorrow", "-1", "99999-01-01", "2026-11-23T25:00", ""])
def test_bad_dates_are_one_line(ownit_demo_org, text) -> None:
    result = runner.invoke(app, ["raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak",
                                 "-f", "location=x", "-f", "near_electrics=no", "--needed-by", text],
                           env={"OWNIT_DATABASE_URL": ownit_demo_org.url})
    assert result.exit_code == 1 and result.stderr.startswith("error: --needed-by") and \
        len(result.stderr.strip().splitlines()) == 1
    assert service.my_requests(ownit_demo_org, actor=AMIRA) == []


def test_errors_are_ownit_errors_not_crashes(ownit_demo_org) -> None:
    for ref in NASTY:
        with pytest.raises(OwnitError):
            service.show(ownit_demo_org, ref, actor=AMIRA)
