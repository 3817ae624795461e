"""The only API the edges use: each function is one user action (one unit of
work that changes the request and appends its timeline events; plugin
reactions and notification delivery run after the commit and can never undo
it) or one read.

The package is split by job — :mod:`.intake` (raising), :mod:`.work` (acting
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
its public functions are all here.
"""

from __future__ import annotations

from .absence import set_away
from .admin import load_org, ready_to_restore, restore as restore_backup
from .access import NOTE_MAX, TITLE_MAX
from .attachments import files, get_file
from .charters import check as check_charters, everywhere as promises_applying, load as load_charters
from .charters import show as charter
from .health import MAX_REPORT_DAYS, RECORD_DAYS, REPORT_DAYS, TREND_WEEKS, report, team_record
from .incidents import covering as incidents_here, declare as declare_incident, join as join_incident
from .incidents import link as link_incident, linkable as linkable_requests, of_team as team_incidents
from .incidents import unlink as unlink_incident
from .intake import CONTINUITY, raise_request, who
from .mail import Refused, reply_by_mail
from .rating import rate_by_link, rating_link
from .reads import (asked_questions, calendar_of, departments, following, inbox, load_problems, memberships, my_requests,
                    ownership_problems, people, queue, queue_page, show, similar_open, site_requests, sites, team_summary,
                    teams)
from .outgoing import outbox_lines as outbox, retry as retry_notification, sent_to_you
from .settings import channels, my_preferences, set_preferences
from .mystery import add_note as note_mystery, answer as answer_mystery, mine as my_mysteries
from .mystery import plan as plan_mystery, programme as mystery_programme, results as mystery_results
from .mystery import set_programme as set_mystery_programme, take_part as take_part_in_mysteries
from .tasks import ask as ask_task, done as task_done, of_team as team_tasks
from .sweeping import NEVER, PROMISES, SWEEP_BATCH, sweep
from .watching import me_too, watch
from ..store.outbox import MAX_ATTEMPTS, RETRY_AFTER
from .work import (add_note, advance, attach, check_in, confirm, contact, hand_off, reopen, resolve, resume,
                   wait_on_requester, work_with)
from .answers import change_answers
from ..uploads import Upload

# The service function of each lifecycle action (ownit.domain.ACTIONS), by the action's name.
ACTIONS = {"contact": contact, "checkin": check_in, "advance": advance, "wait": wait_on_requester, "resume": resume,
           "handoff": hand_off, "resolve": resolve, "confirm": confirm, "reopen": reopen}


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
