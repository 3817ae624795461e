"""The email channel's settings, from the environment.

``OWNIT_SMTP_URL``
    ``smtp://[user:password@]host[:port]`` (plain, port 25),
    ``smtp+starttls://...`` (STARTTLS, port 587) or ``smtps://...`` (TLS from
    the first byte, port 465); user and password URL-encoded. Unset: no mail.
    ``maildir:///path/to/folder`` instead delivers each mail into that local
    Maildir (made if missing): no server, for the demo and trying OwnIt out.
``OWNIT_MAIL_FROM``
    the sender, ``OwnIt <ownit@localhost>`` by default; its domain names the
    messages (``Message-ID``).
``OWNIT_REPLY_TO``
    the mailbox replies go to, e.g. ``reply@ownit.example.com``: each mail's
    ``Reply-To`` is ``reply+TOKEN@ownit.example.com`` (the reply token of
    :mod:`ownit.tokens` as a subaddress); by default the sender's own
    mailbox with ``+TOKEN``.
``OWNIT_BASE_URL``
    where people open OwnIt in a browser, for links; ``http://127.0.0.1:8501``
    by default.

They are read when the first notification is offered, not when OwnIt starts,
and parsed once per distinct value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from ownit import PluginError

URL_ENV, FROM_ENV, BASE_ENV = "OWNIT_SMTP_URL", "OWNIT_MAIL_FROM", "OWNIT_BASE_URL"
REPLY_ENV = "OWNIT_REPLY_TO"
DEFAULT_FROM = "OwnIt <ownit@localhost>"
DEFAULT_BASE = "http://127.0.0.1:8501"
SECURITY = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
URL_FORM = "smtp://[user:password@]host[:port], smtp+starttls://..., smtps://... or maildir:///path/to/folder"
MAILDIR = "maildir"
MAX_SECONDS = 10.0  # the longest one delivery may take, when the hook time limit allows it
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    security: str  # plain, starttls, tls, or maildir (no server: the folder)
    user: str | None
    password: str | None
    sender: str  # the From header, e.g. "OwnIt <ownit@example.com>"
    sender_address: str  # the envelope sender, e.g. "ownit@example.com"
    domain: str  # the right-hand side of every Message-ID
    base_url: str  # no trailing slash
    reply_to: tuple[str, str, str] = ("", "", "")  # Reply-To's name, mailbox and domain: name <mailbox+TOKEN@domain>
    folder: str | None = None  # maildir: the local folder mail goes to instead of a server

    @property
    def server(self) -> str:
        """The server as messages name it: never the password."""
        return f"the Maildir {self.folder}" if self.folder is not None else f"{self.host}:{self.port}"

    def reply_address(self, token: str) -> str:
        """The ``Reply-To`` that brings a reply back with ``token``: ``OwnIt <reply+TOKEN@domain>``."""
        name, mailbox, domain = self.reply_to
        return formataddr((name, f"{mailbox}+{token}@{domain}"))


def current() -> Settings | None:
    """The settings now in the environment; ``None`` when ``OWNIT_SMTP_URL``
    is unset or empty (no mail). A malformed value is a :class:`PluginError`
    naming the variable and the form expected."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    return _parse(url, os.environ.get(FROM_ENV, "").strip() or DEFAULT_FROM,
                  os.environ.get(BASE_ENV, "").strip() or DEFAULT_BASE, os.environ.get(REPLY_ENV, "").strip())


def time_limit() -> float:
    """Seconds one delivery may take in all (:func:`ownit.bounded.delivery_limit`):
    10, or less when OwnIt's hook time limit is shorter."""
    from ownit.bounded import delivery_limit

    return delivery_limit(MAX_SECONDS)


@lru_cache(maxsize=8)
def _parse(url: str, sender: str, base_url: str, reply_to: str = "") -> Settings:
    parts = urlsplit(url)
    folder = None
    if parts.scheme.lower() == MAILDIR:
        if parts.netloc or not parts.path or _CONTROL.search(url) or parts.query or parts.fragment:
            raise PluginError(f"{URL_ENV} must look like maildir:///path/to/folder for a local mail folder")
        folder, parts = unquote(parts.path), urlsplit("smtp://localhost")
    if parts.scheme.lower() not in SECURITY:
        raise PluginError(f"{URL_ENV} must look like {URL_FORM}; its scheme is {parts.scheme or 'missing'!r}")
    security, default_port = SECURITY[parts.scheme.lower()]
    try:
        port = parts.port or default_port
    except ValueError:
        raise PluginError(f"{URL_ENV} must look like {URL_FORM}; its port is not a number from 1 to 65535") from None
    if not parts.hostname or _CONTROL.search(url) or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise PluginError(f"{URL_ENV} must look like {URL_FORM}, with a host and nothing after it")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not user:
        raise PluginError(f"{URL_ENV} must look like {URL_FORM}; it has a password but no user")

    name, address = parseaddr(sender)
    if _CONTROL.search(sender) or address.count("@") != 1 or not address.split("@")[1] \
            or not address.split("@")[0]:
        raise PluginError(f"{FROM_ENV} must be an address such as 'OwnIt <ownit@example.com>'")
    if not re.fullmatch(r"https?://[^\s<>\"]+", base_url):
        raise PluginError(f"{BASE_ENV} must be the address of OwnIt's UI, such as https://ownit.example.com")
    reply_name, reply_address = parseaddr(reply_to) if reply_to else (name, address)
    mailbox, _, reply_domain = reply_address.rpartition("@")
    if _CONTROL.search(reply_to) or not mailbox or not reply_domain or "@" in mailbox:
        raise PluginError(f"{REPLY_ENV} must be an address such as 'reply@ownit.example.com'")
    return Settings(host=parts.hostname, port=port, security=MAILDIR if folder is not None else security,
                    user=user, password=password, sender=formataddr((name, address)), sender_address=address,
                    domain=address.split("@")[1].lower(), base_url=base_url.rstrip("/"),
                    reply_to=(reply_name or name or "OwnIt", mailbox, reply_domain), folder=folder)
