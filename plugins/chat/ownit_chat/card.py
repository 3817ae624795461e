"""What a chat hears: one short card per notification, for the person it is
for and, for a few notices, for the team's channel; each card laid out in the
format its target reads (plain text, Markdown or HTML), user text kept text.

A person's card: the title ``[FAC-1001] <title>``, what changed (the notice's
own sentence, as the inbox shows it), what is needed from them when
something is, and a link to the request in OwnIt's UI (the team's queue for
the owner and the lead, "My requests" for the requester).

A team's channel hears what the team as a whole must see, once per event:

- a new request for the team (the owner's ``Assigned``),
- a promise missed (the owner's ``Overdue``),
- an escalation to the lead (the lead's ``Escalated``),
- a request reopened because the fix did not hold (the owner's ``Reopened``).

Each of these is told to exactly one person (the owner or the lead), so
riding on that person's notification posts the event once. The rest — a
check-in, a stage, a hand-off, a nudge before a promise falls due — is the
owner's and requester's business and stays in their own chats, mail and inbox;
the requester's copy of an escalation (``Late``) is theirs, not the team's.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Callable

from ownit import NotificationSnapshot, needed_from_you, request_link, when_in_full

# Apprise's body formats (apprise.NotifyFormat values), named here so that
# laying out a card does not import Apprise.
TEXT, MARKDOWN, HTML = "text", "markdown", "html"

# Every control character and Unicode line break becomes a space: a card's
# lines are ours, and user text cannot start a line of its own (a heading, a list).
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# CommonMark lets any ASCII punctuation be escaped with a backslash; escaping
# all of it keeps user text from becoming emphasis, a link, a heading, raw
# HTML, a Slack or Google Chat anchor or a Teams <at> mention. Apprise's Slack
# and Google Chat conversions read these escapes and write each service's own.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
MAX_TITLE = 180


def one_line(text: Any, limit: int | None = None) -> str:
    line = " ".join(_BREAKS.sub(" ", str(text)).split())
    return line if limit is None or len(line) <= limit else line[:limit - 1].rstrip() + "…"


def markdown_text(text: str) -> str:
    """``text`` as CommonMark that shows exactly ``text``."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class Card:
    """One chat message, every piece plain text until :meth:`render`."""

    title: str
    said: str  # what changed
    needed: str  # what is needed from the reader, or ""
    link: str  # the request in OwnIt's UI (an http(s) address with no spaces, quotes or brackets)
    ref: str | None

    def render(self, body_format: str) -> tuple[str, str]:
        """``(title, body)`` in ``body_format`` (``text``, ``markdown`` or ``html``)."""
        if body_format == MARKDOWN:
            lines = [markdown_text(self.said)]
            if self.needed:
                lines.append(f"**Needed from you:** {markdown_text(self.needed)}")
            what = f"Open {markdown_text(self.ref)} in OwnIt" if self.ref else "Open your OwnIt inbox"
            lines.append(f"[{what}]({self.link})")
            return markdown_text(self.title), "\n\n".join(lines)
        if body_format == HTML:
            e = html.escape
            lines = [f"<p>{e(self.said)}</p>"]
            if self.needed:
                lines.append(f"<p><b>Needed from you:</b> {e(self.needed)}</p>")
            lines.append(f'<p><a href="{e(self.link)}">Open it in OwnIt</a></p>')
            return e(self.title), "\n".join(lines)
        lines = [self.said]
        if self.needed:
            lines.append(f"Needed from you: {self.needed}")
        lines.append(f"Open it in OwnIt: {self.link}")
        return self.title, "\n\n".join(lines)


def title_of(notification: NotificationSnapshot) -> str:
    title, ref = notification.data.get("title", ""), notification.ref
    return one_line(f"[{ref}] {title}" if ref and title else notification.subject or notification.message, MAX_TITLE)


def for_person(notification: NotificationSnapshot, base_url: str) -> Card:
    """The card for the notification's recipient."""
    data = notification.data
    return Card(title=title_of(notification), said=one_line(notification.message),
                needed=one_line(needed_from_you(data)), link=request_link(base_url, notification.ref, data),
                ref=notification.ref)


def _when(data: dict[str, Any], key: str) -> str:
    return when_in_full(data.get(key), data.get("zone"))


# notice -> what the team's channel is told, from the notice's data and the name of the person it was for
TEAM_HEARS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "Assigned": lambda d, owner: f"New request {d['ref']} '{d.get('title', '')}' from "
                                 f"{d.get('requester') or 'a requester'}: {owner} owns it; first contact due "
                                 f"{_when(d, 'first_contact_due')}",
    "Overdue": lambda d, owner: f"Promise missed on {d['ref']}: {owner}'s {d.get('what') or 'promise'} was due "
                                f"{_when(d, 'due')}",
    "Escalated": lambda d, lead: f"Escalated to {lead}: {d['ref']} '{d.get('title', '')}', "
                                 f"{d.get('owner') or 'the owner'}'s {d.get('what') or 'promise'} was due "
                                 f"{_when(d, 'due')} and is overdue",
    "Reopened": lambda d, owner: f"Reopened by {d.get('by') or 'the requester'}: {d['ref']} "
                                 f"'{d.get('title', '')}' (owner {owner}): {d.get('note', '')}",
}


def for_team(notification: NotificationSnapshot, base_url: str) -> Card | None:
    """The card for the team's channel, or ``None`` when the channel does not hear this notice."""
    data = notification.data
    said = TEAM_HEARS.get(data.get("notice", ""))
    if said is None or not notification.ref:
        return None
    return Card(title=title_of(notification), said=one_line(said(data, notification.recipient_name or
                                                                notification.recipient_email)),
                needed="", link=request_link(base_url, notification.ref, data), ref=notification.ref)


def hears(notification: NotificationSnapshot) -> bool:
    """Whether the team's channel hears ``notification`` (cheap: no card is laid out)."""
    return bool(notification.ref) and notification.data.get("notice", "") in TEAM_HEARS
