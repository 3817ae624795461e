"""Where a channel's message sends its reader: OwnIt's UI at ``OWNIT_BASE_URL``.

The owner and the team's lead open the **Team queue** (``/team?ref=REF``),
the requester **My requests** (``/?ref=REF``); a notification about no
request opens the Inbox. Shared by every channel (email, chat) so that a link
means the same page wherever it is read.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

from .errors import PluginError

BASE_ENV = "OWNIT_BASE_URL"
DEFAULT_BASE = "http://127.0.0.1:8501"
TEAM_PAGE, REQUESTER_PAGE, INBOX_PAGE = "team", "", "inbox"  # the UI's pages (ui/app.py)
# Notices meant for the owner or the team's lead: their link opens the team's queue.
TO_THE_TEAM = frozenset({"Assigned", "YoursNow", "BackWithYou", "Confirmed", "Reopened", "RequesterNote",
                         "DueSoon", "Overdue", "Escalated"})
_BASE = re.compile(r"https?://[^\s<>\"'()\\]+")


def ui_address(value: str | None = None) -> str:
    """OwnIt's UI address, without a trailing slash: ``value``, else
    ``OWNIT_BASE_URL``, else ``http://127.0.0.1:8501``. Anything but an
    ``http(s)://`` address is a :class:`PluginError` naming the variable."""
    url = (os.environ.get(BASE_ENV, "") if value is None else value).strip() or DEFAULT_BASE
    if not _BASE.fullmatch(url):
        raise PluginError(f"{BASE_ENV} must be the address of OwnIt's UI, such as https://ownit.example.com")
    return url.rstrip("/")


def inbox_link(base: str) -> str:
    return f"{base}/{INBOX_PAGE}"


def request_link(base: str, ref: str | None, data: dict[str, Any]) -> str:
    """Where the recipient of a notice (its stored ``data``) opens its request:
    the team's queue for the owner and the lead, their requests for the
    requester (``?ref=`` names it); the inbox when there is no request."""
    if not ref:
        return inbox_link(base)
    page = TEAM_PAGE if data.get("notice") in TO_THE_TEAM else REQUESTER_PAGE
    return f"{base}/{page}?ref={quote(ref, safe='')}"
