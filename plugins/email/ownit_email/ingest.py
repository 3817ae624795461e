"""Replies by email, read: one RFC 822 message in, one outcome out.

Every mail the channel sends has ``Reply-To: OwnIt <reply+TOKEN@domain>``
(:mod:`ownit_email.message`). A reply arrives here (``ownit mail ingest``:
a mail server's pipe, or a Maildir), and :func:`ingest` finds the token in
the address it was sent to, the sender in ``From``, the Message-ID and the
person's own words (:mod:`ownit_email.reading`), and hands them to OwnIt
(:func:`ownit.service.reply_by_mail`), which decides what the reply may do
under the same rules as the UI and the CLI.

Anything OwnIt does not act on adds nothing, is logged with the reason and
the sender is told why in a short mail (to the ``From`` address only, with a
null envelope sender and ``Auto-Submitted: auto-replied``, RFC 3834), except
mail that is itself automatic (``Auto-Submitted``, bounces, out-of-office
replies, lists): that is never acted on and never answered, so two robots
cannot talk to each other for ever.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from email import errors, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, make_msgid, parseaddr
from typing import Any

from . import settings as config
from .message import one_line
from .reading import html_text, own_words

MAX_BYTES = 1_000_000  # a reply with a few lines of text and a quoted thread is far below; attachments are not read
_TOKEN = re.compile(r"[a-z0-9]+(-[a-z0-9]+){2,}")
_ADDRESSED = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")  # where the token may be, in order
_BROKEN = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect,
           errors.CloseBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect,
           errors.MissingHeaderBodySeparatorDefect, errors.InvalidBase64CharactersDefect,
           errors.InvalidBase64PaddingDefect)
_ROBOTS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)$", re.I)

log = logging.getLogger("ownit_email.ingest")


@dataclass(frozen=True)
class Outcome:
    """What became of one mail. ``status``: ``accepted`` (on the timeline),
    ``duplicate`` (already was), ``refused`` (nothing added; the sender told
    unless ``told`` says otherwise), ``ignored`` (automatic mail: nothing
    added, nobody told), ``not-mail`` (input that is no message at all) or
    ``failed`` (not handled now: try again later, nothing added)."""

    status: str
    reason: str  # why, as a word (expired, wrong-sender, ...), or the action taken (noted, resumed, ...)
    line: str  # what the command prints
    told: bool = False

    @property
    def temporary(self) -> bool:
        return self.status == "failed"


class Mail:
    """The parts of a message that matter to a reply."""

    def __init__(self, raw: bytes, *, complete: bool = True) -> None:
        self.size = len(raw)
        self.message: EmailMessage = BytesParser(policy=policy.default).parsebytes(  # type: ignore[assignment]
            raw, headersonly=not complete)
        self.digest = hashlib.sha256(raw).hexdigest()

    def header(self, name: str) -> str:
        try:
            return one_line(self.message.get(name, "") or "")
        except (ValueError, TypeError, IndexError):  # a header the parser cannot make sense of
            return ""

    def broken(self) -> bool:
        """Whether the message's structure is damaged (a multipart without its
        boundaries, a body that is not what its encoding says)."""
        return any(isinstance(defect, _BROKEN) for part in self.message.walk() for defect in part.defects)

    def looks_like_mail(self) -> bool:
        return bool(self.message.keys()) and bool(self.header("From") or self.header("Message-ID"))

    @property
    def sender(self) -> str:
        """The one address in ``From``, or ``""`` when there is none or more than one."""
        found = [address for _, address in getaddresses([self.header("From")]) if "@" in address]
        return found[0].strip() if len(found) == 1 else ""

    @property
    def message_id(self) -> str:
        """The Message-ID, or one made from the bytes for a mail without: the same mail, the same id."""
        return self.header("Message-ID") or f"<sha256.{self.digest}@ownit.invalid>"

    def automatic(self, envelope_sender: str | None) -> str:
        """Why this mail is from a machine (``""`` if it is from a person)."""
        submitted = self.header("Auto-Submitted").lower()
        if submitted and submitted != "no":
            return f"Auto-Submitted: {submitted}"
        return_path = self.header("Return-Path") if envelope_sender is None else f"<{envelope_sender}>"
        if return_path.replace(" ", "") == "<>":
            return "a bounce (empty Return-Path)"
        local = self.sender.rpartition("@")[0]
        if _ROBOTS.match(local) or _ROBOTS.match(parseaddr(return_path)[1].rpartition("@")[0]):
            return f"from {self.sender or return_path}"
        if self.message.get_content_type() == "multipart/report":
            return "a delivery or read report"
        if self.header("Precedence").lower() in ("bulk", "junk", "list") or self.header("List-Id"):
            return "list or bulk mail"
        if any(self.header(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response")):
            return "an automatic reply"
        return ""

    def token(self, recipient: str | None, settings: config.Settings | None) -> str:
        """The reply token in the address this mail was sent to: ``recipient``
        (the envelope's, from the mail server), else the delivery and address
        headers; a subaddress of OwnIt's reply mailbox is preferred."""
        addresses = [recipient] if recipient else []
        for name in _ADDRESSED:
            addresses += [address for _, address in getaddresses(
                [one_line(value) for value in self.message.get_all(name, [])])]
        found: list[tuple[bool, str]] = []
        for address in addresses:
            local = address.strip().rpartition("@")[0]
            mailbox, plus, tail = local.rpartition("+")
            if plus and _TOKEN.fullmatch(tail.lower()):
                ours = settings is not None and mailbox.lower() == settings.reply_to[1].lower()
                found.append((not ours, tail.lower()))
        return min(found)[1] if found else ""

    def words(self) -> str:
        """What the person wrote: the plain-text body (or the HTML one as text), without quotes and signature."""
        body = self.message.get_body(preferencelist=("plain", "html"))
        if body is None:
            return ""
        try:
            content = body.get_content()
        except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
            payload = body.get_payload(decode=True) or b""
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
        if not isinstance(content, str):
            return ""
        return own_words(html_text(content) if body.get_content_type() == "text/html" else content)


# --- one mail -------------------------------------------------------------------------------------------------


def ingest(desk: Any, raw: bytes, *, recipient: str | None = None, envelope_sender: str | None = None,
           complete: bool = True) -> Outcome:
    """Act on the reply ``raw`` (``complete=False``: only its first
    :data:`MAX_BYTES` were read, so it is too big) and tell its sender when
    nothing was added. Never raises for what the mail holds; a failure of
    OwnIt or its database is an outcome ``failed`` (nothing added)."""
    from ownit import OwnitError

    mail = Mail(raw, complete=complete)
    if not raw.strip() or not mail.looks_like_mail():
        return _say(Outcome("not-mail", "not-mail", "not a mail: no headers (From, Message-ID) in the input"))
    settings = _settings()
    label = f"{mail.message_id} from {mail.sender or mail.header('From') or 'nobody'}"
    why = mail.automatic(envelope_sender)
    if why:
        return _say(Outcome("ignored", "automatic", f"ignored {label}: {why}; automatic mail is never answered"))
    if not complete or mail.size > MAX_BYTES:
        return _refuse(desk, mail, settings, "oversized",
                       f"your email is larger than {MAX_BYTES // 1_000_000} MB; OwnIt reads replies of a few "
                       "lines: reply again without attachments or the quoted thread")
    if not mail.sender:
        return _say(Outcome("refused", "malformed", f"refused {label}: no single sender address in From, so "
                                                    "nobody to tell"))
    if mail.broken():
        return _refuse(desk, mail, settings, "malformed", "your email could not be read (it is not a "
                       "well-formed message); reply again from your mail program")
    token = mail.token(recipient, settings)
    if not token:
        return _refuse(desk, mail, settings, "no-token",
                       "it was not sent to an OwnIt reply address; reply to an OwnIt email about the request "
                       "(its Reply-To names the request), or use OwnIt itself")
    words = mail.words()
    if not words:
        return _refuse(desk, mail, settings, "empty",
                       "there is nothing in it but the quoted email and signature; write your answer above "
                       "the quoted text")
    from ownit import service

    try:
        done = service.reply_by_mail(desk, token=token, sender=mail.sender, text=words, message_id=mail.message_id)
    except service.Refused as exc:
        return _refuse(desk, mail, settings, exc.reason, str(exc))
    except OwnitError as exc:  # OwnIt's set-up, not the mail: the database is gone, a plugin is broken
        return _say(Outcome("failed", "failed", f"not handled {label} now: {exc}; nothing was added"))
    except Exception as exc:  # noqa: BLE001 - the database's own errors, for the mail server to retry
        log.debug("ingest failed", exc_info=True)
        return _say(Outcome("failed", "failed", f"not handled {label} now: {_database(exc, desk)}; nothing was "
                                                "added"))
    if done["outcome"] == "duplicate":
        return _say(Outcome("duplicate", "duplicate", f"already handled {label} ({done['ref']}): nothing added"))
    what = {"noted": "a note", "internal-note": "an internal note", "resumed": "resumed it with a note",
            "reopened": "reopened it with a note"}[done["outcome"]]
    return _say(Outcome("accepted", done["outcome"], f"accepted {label}: {done['ref']}, {what} by {done['by']}"))


def _settings() -> config.Settings | None:
    from ownit import OwnitError

    try:
        return config.current()
    except OwnitError as exc:
        log.warning("no explanations can be sent: %s", exc)
        return None


def _refuse(desk: Any, mail: Mail, settings: config.Settings | None, reason: str, why: str) -> Outcome:
    """Nothing is added: log ``why`` and tell the sender."""
    label = f"refused {mail.message_id} from {mail.sender or 'nobody'} ({reason}): {why}"
    if settings is None:
        return _say(Outcome("refused", reason, f"{label}; not told: {config.URL_ENV} is not set"))
    from ownit import OwnitError

    from . import send

    try:
        send(explanation(mail, why, settings), mail.sender, settings, envelope_sender="",
             what=f"the explanation for {mail.message_id}")
    except OwnitError as exc:  # the mail server did not take it: a retry later may tell them
        return _say(Outcome("failed", reason, f"{label}; not told: {exc}"))
    return _say(Outcome("refused", reason, f"{label}; told {mail.sender}", told=True))


def explanation(mail: Mail, why: str, settings: config.Settings) -> EmailMessage:
    """The short mail telling the sender of ``mail`` why nothing was added."""
    reply = EmailMessage()
    reply["From"] = settings.sender
    reply["To"] = Address(addr_spec=mail.sender) if _plain(mail.sender) else one_line(mail.sender)
    subject = mail.header("Subject")
    reply["Subject"] = one_line(f"Not added to OwnIt: {subject}" if subject else "Not added to OwnIt", 180)
    reply["Message-ID"] = make_msgid("ownit.refused", domain=settings.domain)
    if mail.header("Message-ID"):
        reply["In-Reply-To"] = mail.header("Message-ID")
        reply["References"] = one_line(f"{mail.header('References')} {mail.header('Message-ID')}", 900)
    reply["Auto-Submitted"] = "auto-replied"  # RFC 3834: no answer to this, from people's robots or ours
    reply["X-Auto-Response-Suppress"] = "All"
    reply.set_content(f"OwnIt did not add your email to any request: {one_line(why)}.\n\n"
                      "Nothing was changed. You can always answer in OwnIt itself: "
                      f"{settings.base_url}/\n", cte="quoted-printable")
    return reply


def _plain(address: str) -> bool:
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError, TypeError):
        return False
    return True


def _database(exc: Exception, desk: Any) -> str:
    from ownit.db import explain

    explained = explain(exc, getattr(desk, "url", ""))
    return one_line(str(explained) if explained else f"{type(exc).__name__}: {exc}", 300)


def _say(outcome: Outcome) -> Outcome:
    level = {"accepted": logging.INFO, "duplicate": logging.INFO}.get(outcome.status, logging.WARNING)
    log.log(level, "%s", outcome.line)
    return outcome
