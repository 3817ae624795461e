"""Cross-department tasks: the owner of a request asks another department's
team for part of the work ("isolate the tills before the roofer starts"),
with a needed-by date; the task has one named owner in that team and is due
by the team's charter commitment, while the request keeps its one owner
(the service, the sweep, the command line and the UI), on SQLite and
PostgreSQL.

The demo's clock stands at Monday 23 November 2026 10:00 (London, UTC in
November). Amira Khan's roof leak goes to Facilities North (Helen Price
leads it). The IT Service Desk (Raj Patel leads; Chloe Martin and Dan Lee)
works Monday to Saturday 07:00-19:00 and its charter commits it to
Facilities' tasks within 3 days of its business time: 36 working hours, so
a task asked now is due Thursday 26 November 10:00. HR Partners has no
charter: a task asked of it is due at the close of its needed-by day."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from conftest import AMIRA, CHLOE, HELEN, LEAK, NADIA, RAJ
from ownit import service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from test_cli import Cli
from test_incidents import DAN, heard
from test_ui import app, button, open_team_queue, rendered_text, shown, unfold  # noqa: F401  (the app fixture)

TILLS = "Isolate the tills before the roofer starts"
WEDNESDAY = date(2026, 11, 25)


def leak(desk: Any) -> tuple[str, str]:
    """Amira's roof leak: (ref, its owner's email)."""
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    return view["ref"], view["owner"]["email"]


def ask_it(desk: Any, ref: str, actor: str, **kwargs: Any) -> dict[str, Any]:
    return service.ask_task(desk, ref, actor=actor, team="it-service", what=TILLS, needed_by=WEDNESDAY, **kwargs)


def test_the_lifecycle_one_owner_in_the_team_asked_due_by_its_charter(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    view = ask_it(desk, ref, owner)
    task = view["task"]
    assert view["owner"]["email"] == owner  # the request keeps its one owner
    assert task["owner"]["email"] == CHLOE and task["team"]["name"] == "IT Service Desk"
    assert task["due"] == "2026-11-26T10:00:00+00:00"  # IT's "3d" in IT's hours, not the date asked
    assert (task["needed_by"], task["status"], task["late"]) == ("2026-11-25", "open", False)
    # IT's commitment lands the day after it is needed: the line says so, for the owners to agree a date
    assert task["after_need"] and task["line"] == (f"IT Service Desk is doing: {TILLS} — Chloe Martin, by Thu 26 Nov "
                                                   "10:00 (after Wed 25 Nov, when it is needed: agree a date with "
                                                   "Chloe Martin)")
    assert view["tasks"] == [task]
    asked = view["timeline"][-1]
    assert asked["kind"] == "task_asked" and asked["data"]["owner"] == CHLOE and asked["data"]["team"] == "it-service"
    # the task's owner is told, and may see the request (as its requester does); the requester hears who helps
    told = [n for n in heard(desk, CHLOE) if n["kind"] == "task"]
    assert len(told) == 1 and TILLS in told[0]["message"] and "Thu 26 Nov 10:00" in told[0]["message"]
    assert service.show(desk, ref, actor=CHLOE)["tasks"][0]["id"] == task["id"]
    requester = [n for n in heard(desk, AMIRA) if n["kind"] == "task_asked"]
    assert [n["message"] for n in requester] == [
        f"{ref} 'Roof leak': IT Service Desk is doing part of it: {TILLS}, by Thu 26 Nov 10:00"]
    # the IT team's list; Chloe marks it done and the request's owner hears it
    assert [(t["id"], t["request"]["ref"]) for t in service.team_tasks(desk, actor=DAN, team="it-service")] == [
        (task["id"], ref)]
    desk.clock.advance(hours=2)
    done = service.task_done(desk, task["id"], actor=CHLOE, note="Tills isolated at the board")
    assert done["task"]["status"] == "done" and done["task"]["done_at"] == "2026-11-23T12:00:00+00:00"
    assert done["timeline"][-1]["kind"] == "task_done" and done["timeline"][-1]["note"] == "Tills isolated at the board"
    said = [n["message"] for n in heard(desk, owner) if n["kind"] == "task_done"]
    assert said == [f"{ref} 'Roof leak': IT Service Desk did its part ({TILLS}); Chloe Martin says: "
                    "Tills isolated at the board"]
    assert service.team_tasks(desk, actor=RAJ, team="it-service") == []
    card = service.show(desk, ref, actor=AMIRA)
    assert card["tasks"][0]["for_requester"] == f"IT Service Desk did part of it: {TILLS}, done Mon 23 Nov 12:00"
    with pytest.raises(Conflict, match="done already"):
        service.task_done(desk, task["id"], actor=CHLOE, note="Again")


def test_a_team_without_a_commitment_is_due_at_the_close_of_the_day_needed(ownit_demo_org) -> None:
    ref, owner = leak(ownit_demo_org)
    task = service.ask_task(ownit_demo_org, ref, actor=owner, team="hr-partners", what="Tell the staff rota",
                            needed_by=WEDNESDAY)["task"]
    assert task["due"] == "2026-11-25T17:00:00+00:00"  # HR's hours end at 17:00
    assert task["owner"]["email"] in {"james.wright@example.com", "ella.brown@example.com"}


def test_who_may_ask_and_who_may_mark_done(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    with pytest.raises(PermissionDenied) as refused:
        ask_it(desk, ref, AMIRA)  # the requester asks the owner, who asks the other team
    assert str(refused.value).count("\n") == 0 and "only the owner" in str(refused.value)
    with pytest.raises(NotFound):
        ask_it(desk, ref, RAJ)  # the IT lead does not even see Facilities' request
    task = ask_it(desk, ref, HELEN)["task"]  # the request's team's lead may
    for who in (DAN, AMIRA, owner):
        with pytest.raises(PermissionDenied, match="only the task's owner \\(Chloe Martin\\) or the lead of IT"):
            service.task_done(desk, task["id"], actor=who, note="Done")
    assert service.task_done(desk, task["id"], actor=RAJ, note="Done by the lead")["task"]["status"] == "done"
    with pytest.raises(PermissionDenied, match="you are not in IT Service Desk"):
        service.team_tasks(desk, actor=AMIRA, team="it-service")
    with pytest.raises(NotFound, match="no task 999"):
        service.task_done(desk, 999, actor=RAJ, note="Done")


@pytest.mark.parametrize(("team", "what", "needed_by", "expected"), [
    ("facilities-south", TILLS, WEDNESDAY, "Facilities South is of FAC-1001's own department"),
    ("it-service", "", WEDNESDAY, "what the task is is empty"),
    ("it-service", "x" * 501, WEDNESDAY, "keep it under 500"),
    ("it-service", TILLS, date(2026, 11, 20), "needed by 2026-11-20 is in the past"),
    ("it-service", TILLS, None, "say when it is needed by"),
    ("no-such-team", TILLS, WEDNESDAY, "no team 'no-such-team'"),
])
def test_wrong_asks_are_refused_in_one_line_and_write_nothing(ownit_demo_org, team, what, needed_by,
                                                                 expected) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    assert ref == "FAC-1001"
    with pytest.raises((ValidationError, NotFound)) as refused:
        service.ask_task(desk, ref, actor=owner, team=team, what=what, needed_by=needed_by)
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert service.show(desk, ref, actor=owner)["tasks"] == []


def test_the_same_key_asks_once(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    first = ask_it(desk, ref, owner, key="ask-1")
    again = ask_it(desk, ref, owner, key="ask-1")
    assert again["repeated"] and not first["repeated"]
    assert [t["id"] for t in again["tasks"]] == [first["task"]["id"]]
    assert len([n for n in heard(desk, CHLOE) if n["kind"] == "task"]) == 1
    done = service.task_done(desk, first["task"]["id"], actor=CHLOE, note="Isolated", key="done-1")
    twice = service.task_done(desk, first["task"]["id"], actor=CHLOE, note="Isolated", key="done-1")
    assert twice["repeated"] and twice["task"]["status"] == "done"
    assert [e["kind"] for e in twice["timeline"]].count("task_done") == 1 and not done["repeated"]
    with pytest.raises(Conflict, match="was used to ask another team for a task on"):
        service.add_note(desk, ref, actor=owner, note="Reuse", key="ask-1")


def test_handing_off_the_request_keeps_its_open_task_and_its_owner(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    task = ask_it(desk, ref, owner)["task"]
    colleague = next(m["email"] for m in service.show(desk, ref, actor=owner)["team_members"]
                     if m["email"] not in (owner, HELEN))
    moved = service.hand_off(desk, ref, actor=owner, to=colleague, note="I am on leave tomorrow")
    assert moved["owner"]["email"] == colleague
    assert [(t["id"], t["owner"]["email"], t["status"]) for t in moved["tasks"]] == [(task["id"], CHLOE, "open")]
    service.task_done(desk, task["id"], actor=CHLOE, note="Isolated")
    assert [n["kind"] for n in heard(desk, colleague)].count("task_done") == 1  # the request's owner now
    assert "task_done" not in [n["kind"] for n in heard(desk, owner)]


def test_a_late_task_is_told_to_its_owner_and_the_requests_owner_once(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    task = ask_it(desk, ref, owner)["task"]
    desk.clock.advance(hours=71)  # Thursday 09:00: not late yet
    assert service.sweep(desk)["tasks_late"] == []
    desk.clock.advance(hours=2)  # Thursday 11:00
    swept = service.sweep(desk)
    assert [(line["task"], line["owner"]) for line in swept["tasks_late"]] == [(task["id"], CHLOE)]
    assert service.sweep(desk)["tasks_late"] == []  # once per due time
    mine = [n["message"] for n in heard(desk, CHLOE) if n["kind"] == "task_late"]
    assert mine == [f"{ref} 'Roof leak': your task was due Thu 26 Nov 10:00 and is late: {TILLS}"]
    theirs = [n["message"] for n in heard(desk, owner) if n["kind"] == "task_late"]
    assert theirs == [f"{ref} 'Roof leak': IT Service Desk's task (Chloe Martin) was due Thu 26 Nov 10:00 and is "
                      f"late: {TILLS}"]
    shown = service.show(desk, ref, actor=owner)["tasks"][0]
    assert shown["late"] and "by Thu 26 Nov 10:00 (late) (after Wed 25 Nov" in shown["line"]


def test_the_team_list_comes_most_pressing_first(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    later = ask_it(desk, ref, owner)["task"]  # IT's commitment: Thursday
    sooner = service.ask_task(desk, ref, actor=owner, team="hr-partners", what="Rota", needed_by=WEDNESDAY)["task"]
    assert [t["id"] for t in service.team_tasks(desk, actor=RAJ, team="it-service")] == [later["id"]]
    assert [t["id"] for t in service.team_tasks(desk, actor=NADIA, team="hr-partners")] == [sooner["id"]]
    desk.clock.advance(hours=1)
    third = ask_it(desk, ref, owner)["task"]
    listed = service.team_tasks(desk, actor=RAJ, team="it-service")
    assert [t["id"] for t in listed] == [later["id"], third["id"]]
    assert listed[0]["request"] == {"ref": ref, "title": "Roof leak", "department": "facilities",
                                    "site": listed[0]["request"]["site"], "owner": listed[0]["request"]["owner"],
                                    "status": "open"}


def test_a_resolved_request_takes_no_new_task(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Patched")
    with pytest.raises(Conflict, match="is resolved; a task is asked for a request still being worked"):
        ask_it(desk, ref, owner)


def test_the_command_line_end_to_end(ownit_demo_org, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    view = cli.raise_leak()
    ref, owner = view["ref"], view["owner"]["email"]
    said = cli.ok("task", "add", ref, "--team", "it-service", "--what", TILLS, "--by", "2026-11-25", "--key", "k1",
                  "--as", owner).stdout
    assert said.startswith(f"{ref}: task ") and f"IT Service Desk is doing: {TILLS} — Chloe Martin, by Thu 26 Nov " \
                                                  "10:00" in said
    again = cli.ok("task", "add", ref, "--team", "it-service", "--what", TILLS, "--by", "2026-11-25", "--key", "k1",
                   "--as", owner).stdout
    assert "asked earlier with this key, nothing changed" in again
    assert "Task 1: IT Service Desk is doing" in cli.ok("show", ref, "--as", AMIRA).stdout
    listed = cli.ok("task", "list", "--team", "it-service", "--as", RAJ).stdout.splitlines()
    assert len(listed) == 1 and ref in listed[0] and "Chloe Martin, due Thu 26 Nov 10:00" in listed[0]
    assert [t["id"] for t in cli.json("task", "list", "--team", "it-service", "--as", CHLOE)] == [1]
    queue = " ".join(cli.ok("queue", "--team", "it-service", "--as", RAJ).stdout.split())  # beside its requests
    assert "nothing here: the queue is empty Tasks asked of it-service" in queue and ref in queue
    # wrong steps: one line, exit 1, nothing written
    assert "of FAC-1001's own department" in cli.fails("task", "add", ref, "--team", "facilities-south", "--what",
                                                      "x", "--by", "2026-11-25", "--as", owner)
    assert "only the owner" in cli.fails("task", "add", ref, "--team", "it-service", "--what", "x", "--by",
                                         "2026-11-25", "--as", AMIRA)
    assert "--by" in cli.fails("task", "add", ref, "--team", "it-service", "--what", "x", "--by", "someday",
                               "--as", owner)
    assert "only the task's owner" in cli.fails("task", "done", "1", "--note", "Done", "--as", DAN)
    assert "you are not in IT Service Desk" in cli.fails("task", "list", "--team", "it-service", "--as", AMIRA)
    done = cli.ok("task", "done", "1", "--note", "Tills isolated", "--key", "d1", "--as", CHLOE).stdout
    assert f"IT Service Desk did: {TILLS} — Chloe Martin, done Mon 23 Nov 10:00" in done and "is told" in done
    assert "nothing changed" in cli.ok("task", "done", "1", "--note", "Tills isolated", "--key", "d1",
                                       "--as", CHLOE).stdout
    assert "task 1 is done already" in cli.fails("task", "done", "1", "--note", "Again", "--as", CHLOE)
    assert cli.ok("task", "list", "--team", "it-service", "--as", RAJ).stdout.strip() == "no open task for it-service"
    assert [t["status"] for t in cli.show(ref)["tasks"]] == ["done"]


def test_in_the_browser_the_owner_asks_the_requester_reads_it_the_task_owner_marks_it_done(
        app, ownit_demo_org) -> None:  # noqa: F811  (the fixture)
    desk = ownit_demo_org
    ref, owner = leak(desk)
    at = unfold(open_team_queue(app, owner), "task", ref)
    team = next(s for s in at.selectbox if (s.key or "").startswith(f"task-{ref}~"))
    assert team.options == ["HR Partners (hr)", "IT Service Desk (it)"]  # other departments' teams only
    next(t for t in at.text_input if (t.key or "").startswith(f"task-{ref}~")).input(TILLS)
    next(d for d in at.date_input if (d.key or "").startswith(f"task-{ref}~")).set_value(WEDNESDAY)
    button(at, "Ask the team").click().run()
    assert not at.exception and [rendered_text(e.value) for e in at.error] == ["Choose the team to ask."]
    assert service.show(desk, ref, actor=owner)["tasks"] == []
    next(s for s in at.selectbox if (s.key or "").startswith(f"task-{ref}~")).select_index(1)
    button(at, "Ask the team").click().run()
    assert not at.exception and not at.error
    task = service.show(desk, ref, actor=owner)["tasks"][0]
    assert rendered_text(at.success[0].value) == f"{ref}: task {task['id']}: {task['line']}"
    assert task["owner"]["email"] == CHLOE
    # a double click: the first ask landed but the page was cut short before it drew again
    unfold(at, "task", ref)  # done, the card's forms started afresh, folded
    token = at.session_state[f"armed-task-{ref}"]
    service.ask_task(desk, ref, actor=owner, team="hr-partners", what="Rota", needed_by=WEDNESDAY, key=token)
    next(s for s in at.selectbox if (s.key or "").startswith(f"task-{ref}~")).select_index(0)
    next(t for t in at.text_input if (t.key or "").startswith(f"task-{ref}~")).input("Rota")
    next(d for d in at.date_input if (d.key or "").startswith(f"task-{ref}~")).set_value(WEDNESDAY)
    button(at, "Ask the team").click().run()
    assert not at.exception and rendered_text(at.success[0].value) == f"{ref}: asked earlier, nothing changed"
    assert len(service.show(desk, ref, actor=owner)["tasks"]) == 2
    # the requester's card says who is doing part of it, and by when
    card = app(AMIRA).run()
    assert not card.exception
    assert f"IT Service Desk is doing part of it: {TILLS}, by Thu 26 Nov 10:00" in shown(card)
    # the task's owner marks it done from the IT team's page
    at = open_team_queue(app, CHLOE)
    assert f"{ref} Roof leak" in shown(at) and "Chloe Martin, due Thu 26 Nov 10:00" in shown(at)
    next(t for t in at.text_input if (t.key or "").startswith(f"task-done-{task['id']}~")).input("Tills isolated")
    button(at, "Mark it done").click().run()
    assert not at.exception and not at.error
    assert service.show(desk, ref, actor=owner)["tasks"][0]["status"] == "done"
    assert not [b for b in at.button if b.label == "Mark it done"]


def test_a_task_owner_going_away_hands_the_task_on_in_their_team(ownit_demo_org, ownit_database_url) -> None:
    """Every task keeps one named owner who is here: an absence that begins
    hands it to whom the team would give new work, on the request's timeline."""
    desk = ownit_demo_org
    ref, owner = leak(desk)
    task = ask_it(desk, ref, owner)["task"]
    assert task["owner"]["email"] == CHLOE
    out = Cli(ownit_database_url).ok("away", CHLOE, "--from", "2026-11-23", "--until", "2026-11-30", "--as", RAJ).stdout
    assert f"  {ref}'s task {task['id']} handed to {DAN}" in out
    view = service.show(desk, ref, actor=owner)
    [moved] = view["tasks"]
    assert (moved["owner"]["email"], moved["status"]) == (DAN, "open")
    entry = view["timeline"][-1]
    assert entry["kind"] == "task_handed_on" and entry["note"].startswith("Chloe Martin is away until 2026-11-30; "
                                                                          "Dan Lee takes over the task")
    told = [h for h in heard(desk, DAN) if h["kind"] == "task"]
    assert told[-1]["message"].startswith(f"Chloe Martin is away: their task for {ref} 'Roof leak' is yours now: ")
    assert service.task_done(desk, task["id"], actor=DAN, note="Isolated")["task"]["status"] == "done"


def test_a_commitment_within_the_day_needed_says_nothing_more(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = leak(desk)
    task = service.ask_task(desk, ref, actor=owner, team="it-service", what=TILLS, needed_by=date(2026, 11, 27))["task"]
    assert not task["after_need"] and task["line"].endswith("— Chloe Martin, by Thu 26 Nov 10:00")
