"""The only API the edges use: each function is one user action (one unit of
work that changes the request and appends its timeline events; plugin
reactions and notification delivery run after the commit and can never undo
it) or one read.

The package is split by job — :mod:`.intake` (raising), :mod:`.owners` (who would own a
new request: the raise's choice, and ``who``), :mod:`.work` (acting
on a request), :mod:`.rating` (rating through a mail's link, without signing
in), :mod:`.watching` (who follows a request, who is affected too), :mod:`.incidents` (one problem
affecting many stores, with one owner), :mod:`.charters` (what each team agreed with the stores), :mod:`.tasks` (part of a request another
department's team is asked to do), :mod:`.attachments` (photos
and files on a request), :mod:`.audience` (who hears what the requester hears), :mod:`.settings` (a person's
notification preferences), :mod:`.absence`, :mod:`.reads`, :mod:`.health` (service-health
report), :mod:`.sweeping` (the cron sweep), :mod:`.outgoing` (what goes out to the channels: due
notifications, morning digests, the outbox for admins), :mod:`.access` (who may see and
do what) and :mod:`.reactions` (plugins before and after an action) — and
:mod:`.admin` (the org file, restoring a backup, the demo: admins only), and
its public functions are all here, each module imported when one of its
names is first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {  # public name -> (the module that defines it, its name there)
    "MAX_ATTEMPTS": ("..store.outbox", "MAX_ATTEMPTS"),
    "RETRY_AFTER": ("..store.outbox", "RETRY_AFTER"),
    "Upload": ("..uploads", "Upload"),
    "set_away": (".absence", "set_away"),
    "NOTE_MAX": (".access", "NOTE_MAX"),
    "TITLE_MAX": (".access", "TITLE_MAX"),
    "load_org": (".admin", "load_org"),
    "ready_to_restore": (".admin", "ready_to_restore"),
    "restore_backup": (".admin", "restore"),
    "change_answers": (".answers", "change_answers"),
    "files": (".attachments", "files"),
    "get_file": (".attachments", "get_file"),
    "charter": (".charters", "show"),
    "check_charters": (".charters", "check"),
    "load_charters": (".charters", "load"),
    "promises_applying": (".charters", "everywhere"),
    "MAX_REPORT_DAYS": (".health", "MAX_REPORT_DAYS"),
    "RECORD_DAYS": (".health", "RECORD_DAYS"),
    "REPORT_DAYS": (".health", "REPORT_DAYS"),
    "TREND_WEEKS": (".health", "TREND_WEEKS"),
    "report": (".health", "report"),
    "team_record": (".health", "team_record"),
    "declare_incident": (".incidents", "declare"),
    "incidents_here": (".incidents", "covering"),
    "join_incident": (".incidents", "join"),
    "link_incident": (".incidents", "link"),
    "linkable_requests": (".incidents", "linkable"),
    "team_incidents": (".incidents", "of_team"),
    "unlink_incident": (".incidents", "unlink"),
    "raise_request": (".intake", "raise_request"),
    "Refused": (".mail", "Refused"),
    "reply_by_mail": (".mail", "reply_by_mail"),
    "answer_mystery": (".mystery", "answer"),
    "my_mysteries": (".mystery", "mine"),
    "mystery_programme": (".mystery", "programme"),
    "mystery_results": (".mystery", "results"),
    "note_mystery": (".mystery", "add_note"),
    "plan_mystery": (".mystery", "plan"),
    "set_mystery_programme": (".mystery", "set_programme"),
    "take_part_in_mysteries": (".mystery", "take_part"),
    "outbox": (".outgoing", "outbox_lines"),
    "retry_notification": (".outgoing", "retry"),
    "sent_to_you": (".outgoing", "sent_to_you"),
    "CONTINUITY": (".owners", "CONTINUITY"),
    "who": (".owners", "who"),
    "rate_by_link": (".rating", "rate_by_link"),
    "rating_link": (".rating", "rating_link"),
    "asked_questions": (".reads", "asked_questions"),
    "calendar_of": (".reads", "calendar_of"),
    "departments": (".reads", "departments"),
    "following": (".reads", "following"),
    "inbox": (".reads", "inbox"),
    "load_problems": (".reads", "load_problems"),
    "memberships": (".reads", "memberships"),
    "my_requests": (".reads", "my_requests"),
    "ownership_problems": (".reads", "ownership_problems"),
    "people": (".reads", "people"),
    "queue": (".reads", "queue"),
    "queue_page": (".reads", "queue_page"),
    "show": (".reads", "show"),
    "similar_open": (".reads", "similar_open"),
    "site_requests": (".reads", "site_requests"),
    "sites": (".reads", "sites"),
    "team_summary": (".reads", "team_summary"),
    "teams": (".reads", "teams"),
    "channels": (".settings", "channels"),
    "my_preferences": (".settings", "my_preferences"),
    "set_preferences": (".settings", "set_preferences"),
    "NEVER": (".sweeping", "NEVER"),
    "PROMISES": (".sweeping", "PROMISES"),
    "SWEEP_BATCH": (".sweeping", "SWEEP_BATCH"),
    "sweep": (".sweeping", "sweep"),
    "ask_task": (".tasks", "ask"),
    "task_done": (".tasks", "done"),
    "team_tasks": (".tasks", "of_team"),
    "me_too": (".watching", "me_too"),
    "watch": (".watching", "watch"),
    "add_note": (".work", "add_note"),
    "advance": (".work", "advance"),
    "attach": (".work", "attach"),
    "check_in": (".work", "check_in"),
    "confirm": (".work", "confirm"),
    "contact": (".work", "contact"),
    "hand_off": (".work", "hand_off"),
    "reopen": (".work", "reopen"),
    "resolve": (".work", "resolve"),
    "resume": (".work", "resume"),
    "wait_on_requester": (".work", "wait_on_requester"),
    "work_with": (".work", "work_with"),
}

# The service function of each lifecycle action (ownit.domain.ACTIONS), by the action's name.
_ACTIONS = {"contact": "contact", "checkin": "check_in", "advance": "advance", "wait": "wait_on_requester",
            "resume": "resume", "handoff": "hand_off", "resolve": "resolve", "confirm": "confirm", "reopen": "reopen"}


def __getattr__(name: str) -> Any:
    """A public name, its module imported on first use (a command imports only what it runs)."""
    if name == "ACTIONS":
        value: Any = {action: __getattr__(function) for action, function in _ACTIONS.items()}
    elif name in _WHERE:
        module, attribute = _WHERE[name]
        value = getattr(import_module(module, __name__), attribute)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def init(url: str | None = None) -> str:
    """Create or upgrade the database to the current schema; returns its URL."""
    from ..db import upgrade
    from ..store.unit import default_database_url

    url = url or default_database_url()
    upgrade(url)
    return url


__all__ = [
    "raise_request", "who", "contact", "check_in", "advance", "wait_on_requester", "resume", "hand_off", "resolve",
    "confirm", "reopen", "add_note", "change_answers", "work_with", "rate_by_link", "rating_link", "set_away", "watch", "me_too", "similar_open", "following", "channels", "my_preferences",
    "set_preferences", "show", "queue", "queue_page", "my_requests", "team_summary", "site_requests",
    "memberships", "people", "teams", "departments", "inbox", "ownership_problems", "load_problems", "report",
    "sweep", "init", "calendar_of", "asked_questions", "MAX_REPORT_DAYS", "REPORT_DAYS", "TREND_WEEKS", "SWEEP_BATCH", "NEVER", "MAX_ATTEMPTS",
    "RETRY_AFTER", "PROMISES", "CONTINUITY", "TITLE_MAX", "NOTE_MAX", "ACTIONS", "load_org", "ready_to_restore",
    "restore_backup", "outbox", "retry_notification", "sent_to_you", "reply_by_mail", "Refused",
    "attach", "files", "get_file", "Upload", "declare_incident", "link_incident", "unlink_incident",
    "join_incident", "incidents_here", "team_incidents", "linkable_requests", "sites", "load_charters", "charter",
    "promises_applying", "check_charters", "team_record", "RECORD_DAYS", "ask_task", "task_done", "team_tasks",
    "note_mystery", "answer_mystery", "my_mysteries", "plan_mystery", "mystery_programme", "mystery_results",
    "set_mystery_programme", "take_part_in_mysteries",
]
