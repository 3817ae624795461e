"""One notification laid out as one email: a plain-text part and an HTML part
from the notification's structured content (``notification.data``, a notice
of ``ownit.notices``), and the headers that thread every mail about one
request together.

Threading: every mail about request FAC-1001 has ``References`` and
``In-Reply-To`` set to the request's root id ``<ownit.FAC-1001@domain>``, and
the subject ``[FAC-1001] <title>``, the same for the whole request. No mail
is the root itself: the owner's first mail is "assigned", the requester's
"contacted", and each mailbox sees only its own, so no mail could be the
first one everywhere. Thunderbird, Apple Mail and mutt thread on the shared
reference; Gmail also needs the subject to stay the same (what changed is the
first line of the body, which Gmail shows as the snippet); Outlook groups a
conversation by subject.

``Message-ID`` is ``<ownit.n<notification id>.<ref>@domain>``: the same
notification offered again (a retry after a delivery that timed out but got
through) is the same message, which mail servers and clients can recognise.

``Reply-To`` is ``OwnIt <reply+TOKEN@domain>`` (``OWNIT_REPLY_TO``, by default
the sender's mailbox): the notification's reply token as a subaddress, so
that a reply reaches ``ownit mail ingest`` saying which request and person
it answers (:mod:`ownit_email.ingest`). It does not change the thread.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from ownit import NotificationSnapshot
from ownit.links import inbox_link, request_link
from ownit.notices import needed_from_you, when_in_full

from .settings import Settings

# Unicode's line breaks too: a header is one line, whatever a title holds.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_NOT_ID = re.compile(r"[^A-Za-z0-9.-]")
_TOKEN = re.compile(r"[a-z0-9-]{1,100}")  # ownit.tokens' alphabet: safe as an address's local part
MAX_SUBJECT = 180

SETTINGS_PAGE = "settings"  # the UI's settings page (ui/app.py), where people choose how they hear
RATE_PAGE = "rate"  # the rating page, opened without signing in (ui/views/rate.py)


def one_line(text: Any, limit: int | None = None) -> str:
    """``text`` as one line for a header: every control character and line
    break becomes a space, so user text can never start a header of its own."""
    line = " ".join(_BREAKS.sub(" ", str(text)).split())
    return line if limit is None or len(line) <= limit else line[:limit - 1].rstrip() + "…"


def root_id(ref: str, settings: Settings) -> str:
    """The id every mail about ``ref`` refers to."""
    return f"<ownit.{_NOT_ID.sub('', ref)}@{_domain(settings)}>"


def message_id(notification: NotificationSnapshot, settings: Settings) -> str:
    ref = f".{_NOT_ID.sub('', notification.ref)}" if notification.ref else ""
    return f"<ownit.n{notification.id}{ref}@{_domain(settings)}>"


def link(notification: NotificationSnapshot, settings: Settings) -> str:
    """Where the recipient opens the request (:func:`ownit.links.request_link`)."""
    return request_link(settings.base_url, notification.ref, notification.data)


def rating_link(notification: NotificationSnapshot, settings: Settings) -> str:
    """The single-use rating link of a resolved or quietly closed request's mail, or ``""``."""
    token = notification.rate_token
    return f"{settings.base_url}/{RATE_PAGE}?t={quote(token, safe='')}" if token else ""


def compose(notification: NotificationSnapshot, settings: Settings) -> EmailMessage:
    """The email for ``notification``, ready for ``smtplib``."""
    data, ref = notification.data, notification.ref
    title = data.get("title", "")
    msg = EmailMessage()
    msg["From"] = settings.sender
    if _TOKEN.fullmatch(notification.reply_token):  # a reply comes back to OwnIt (ownit mail ingest)
        msg["Reply-To"] = settings.reply_address(notification.reply_token)
    msg["To"] = one_line(notification.recipient_email)
    msg["Subject"] = one_line(f"[{ref}] {title}" if ref and title else notification.subject or notification.message,
                              MAX_SUBJECT)
    msg["Date"] = format_datetime(notification.created_at)  # the same on every retry
    msg["Message-ID"] = message_id(notification, settings)
    if ref:
        msg["In-Reply-To"] = root_id(ref, settings)
        msg["References"] = root_id(ref, settings)
    msg["List-Unsubscribe"] = f"<{settings.base_url}/{SETTINGS_PAGE}>"  # where they choose how to hear
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to OwnIt
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"  # the same, for Exchange
    msg["X-OwnIt-Kind"] = one_line(notification.kind)
    if ref:
        msg["X-OwnIt-Ref"] = one_line(ref)

    facts, needed = _facts(data), _needed(data)
    url, inbox = link(notification, settings), inbox_link(settings.base_url)
    headline = one_line(notification.message)
    # quoted-printable writes every "=" as "=3D", so no text can contain the boundary, which is fixed
    # per notification: the same notification is the same bytes on every retry
    sections = _sections(data)  # a morning digest's: what needs them today
    rate = rating_link(notification, settings)
    msg.set_content(_text(headline, facts, needed, url, inbox, sections, rate), cte="quoted-printable")
    msg.add_alternative(_html(headline, facts, needed, url, inbox, sections, rate), subtype="html",
                        cte="quoted-printable")
    msg.set_boundary(f"=_ownit.n{notification.id}")
    return msg


# --- the content -----------------------------------------------------------------------------------------


def _facts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Who owns it, who asked, and the promise: (label, value), user text unescaped."""
    facts: list[tuple[str, str]] = []
    if data.get("ref"):
        facts.append(("Request", one_line(f"{data['ref']} {data.get('title', '')}")))
    for key, label in (("owner", "Owner"), ("requester", "Requested by"), ("previous", "Handed over by"),
                       ("by", "Reopened by"), ("label", "Stage")):
        if data.get(key):
            facts.append((label, one_line(data[key])))
    if data.get("lead"):
        facts.append(("Lead told", f"{data['lead']} ({data['team']})" if data.get("team") else str(data["lead"])))
    if data.get("first_contact_due"):
        facts.append(("First contact due", when_in_full(data["first_contact_due"], data.get("zone"))))
    if data.get("due"):
        facts.append((f"{str(data.get('what', 'promise')).capitalize()} due", when_in_full(data["due"], data.get("zone"))))
    if data.get("agreed_by"):
        facts.append(("Agreed date", str(data["agreed_by"])))
    return facts


def _needed(data: dict[str, Any]) -> str:
    """What the recipient is asked to do (:func:`ownit.notices.needed_from_you`), or ``""``."""
    return one_line(needed_from_you(data))


def _sections(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A digest's sections as (title, lines), user text unescaped."""
    return [(one_line(s.get("title", "")), [one_line(line) for line in s.get("lines", [])])
            for s in data.get("sections") or [] if isinstance(s, dict)]


def _text(headline: str, facts: list[tuple[str, str]], needed: str, url: str, inbox: str,
          sections: list[tuple[str, list[str]]], rate: str) -> str:
    width = max((len(label) for label, _ in facts), default=0) + 2
    lines = [headline, ""]
    lines += [f"{label + ':':<{width}}{value}" for label, value in facts]
    for title, items in sections:
        lines += [title, *(f"  - {item}" for item in items), ""]
    if needed:
        lines += ["", f"Needed from you: {needed}"]
    if rate:
        lines += ["", f"How did we do? Rate it (no sign-in; the link works once): {rate}"]
    lines += ["", f"Open it in OwnIt: {url}", "",
              "--", "OwnIt tells you by email about the requests you raised, own or lead.",
              f"Every notification is also in your OwnIt inbox: {inbox}"]
    return "\n".join(lines) + "\n"


def _html(headline: str, facts: list[tuple[str, str]], needed: str, url: str, inbox: str,
          sections: list[tuple[str, list[str]]], rate: str) -> str:
    e = html.escape  # every piece of user text, and the links, quoted for attributes too
    rows = "".join(f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#555;font-weight:normal">'
                   f"{e(label)}</th><td>{e(value)}</td></tr>" for label, value in facts)
    parts = [f'<p style="font-size:16px">{e(headline)}</p>']
    if rows:
        parts.append(f'<table style="border-collapse:collapse">{rows}</table>')
    for title, items in sections:
        parts.append(f"<h3>{e(title)}</h3><ul>{''.join(f'<li>{e(item)}</li>' for item in items)}</ul>")
    if needed:
        parts.append(f"<p><strong>Needed from you:</strong> {e(needed)}</p>")
    if rate:
        parts.append(f'<p><strong>How did we do?</strong> <a href="{e(rate)}">Rate it</a> '
                     "(no sign-in; the link works once)</p>")
    parts.append(f'<p><a href="{e(url)}">Open it in OwnIt</a></p>')
    parts.append(f'<p style="color:#777;font-size:12px">OwnIt tells you by email about the requests you raised, '
                 f'own or lead. Every notification is also in <a href="{e(inbox)}">your OwnIt inbox</a>.</p>')
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
            f'<body style="font-family:sans-serif">\n{body}\n</body></html>\n')


def _domain(settings: Settings) -> str:
    return _NOT_ID.sub("", settings.domain) or "localhost"
