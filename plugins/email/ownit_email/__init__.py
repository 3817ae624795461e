"""OwnIt's email channel: every notification, as it is committed, by SMTP.

A channel like any other (``ownit_notify``): OwnIt offers each notification
after the commit and ``ownit sweep`` offers it again until some channel
delivers it (docs/notifications.md). This plugin returns ``True`` only when
the SMTP server accepted the message; a server that is down, refuses the
recipient or does not answer in time raises :class:`MailNotSent`, which OwnIt
records as a failed attempt (the action stands) for the sweep to retry.
Without ``OWNIT_SMTP_URL`` the channel is off: OwnIt loads ``channel``
(the entry point), which is this module only when ``OWNIT_SMTP_URL`` is set
and otherwise a plugin with no hooks, so an action pays nothing for a channel
nobody configured. Registered directly and asked anyway, it sends nothing
and returns ``None`` (not for this channel): the notification is in the
recipient's OwnIt inbox as always.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ownit import NotificationSnapshot, OwnitError, Preview, Reach, hookimpl

from . import settings as config

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["MailNotSent", "deliver", "ownit_notify", "ownit_preview", "ownit_reach", "send"]


class Off:
    """The email channel, not configured: a plugin with no hooks."""

    def __repr__(self) -> str:
        return "ownit_email.Off (OWNIT_SMTP_URL is not set)"


def __getattr__(name: str) -> Any:
    """``channel``, what the ``ownit`` entry point loads: this module when
    ``OWNIT_SMTP_URL`` is set (read as the desk opens), else :class:`Off`."""
    if name == "channel":
        import os
        import sys

        return sys.modules[__name__] if os.environ.get(config.URL_ENV, "").strip() else Off()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

log = logging.getLogger("ownit_email")
_said_unset = False  # "no OWNIT_SMTP_URL" is said once per process, not per notification


class MailNotSent(OwnitError):
    """The SMTP server did not take the message; the sweep offers it again."""


@hookimpl
def ownit_reach() -> Reach:
    """Everyone, by their email, when ``OWNIT_SMTP_URL`` is set; else no one."""
    return Reach(address="email" if config.current() is not None else None)


@hookimpl
def ownit_notify(notification: NotificationSnapshot) -> bool | None:
    """Send ``notification`` to its recipient; ``True`` once the server accepted it."""
    settings = config.current()
    if settings is None:
        _say_unset()
        return None
    from .message import compose  # the email package: loaded when a mail is written, not as OwnIt starts

    deliver(compose(notification, settings), notification, settings)
    return True


@hookimpl
def ownit_preview(notification: NotificationSnapshot) -> Preview | None:
    """The mail as :func:`ownit_notify` sends it: its subject and HTML part."""
    settings = config.current()
    if settings is None:
        return None
    from .message import compose

    message = compose(notification, settings)
    return Preview(channel="Email", subject=str(message["Subject"]),
                   html=message.get_body(("html",)).get_content())


def deliver(message: Any, notification: NotificationSnapshot, settings: config.Settings,
            *, limit: float | None = None) -> None:
    """Hand ``message`` to the SMTP server for ``notification.recipient_email``
    only (never to addresses named in its headers): :func:`send`."""
    send(message, notification.recipient_email, settings, limit=limit,
         what=f"mail for notification {notification.id} ({notification.ref or 'no request'})")


def send(message: EmailMessage, recipient: str, settings: config.Settings, *, what: str,
         limit: float | None = None, envelope_sender: str | None = None) -> None:
    """Hand ``message`` to the SMTP server for ``recipient`` only, within
    ``limit`` seconds in all (:func:`ownit_email.settings.time_limit`), or
    with ``maildir://`` put it in the folder; :class:`MailNotSent` (saying
    ``what`` it was) when it was not taken. ``envelope_sender`` is where the
    server returns it if it cannot be delivered (OwnIt's address; ``""``
    for none, as automatic replies are sent)."""
    sender = settings.sender_address if envelope_sender is None else envelope_sender
    if settings.folder is not None:
        _into_folder(message, recipient, sender, settings, what)
        return
    import smtplib

    from .smtp import Bounded, close, connect, reason

    limit = config.time_limit() if limit is None else limit
    smtp: Bounded | None = None
    deadline = time.monotonic() + limit
    try:
        smtp = connect(settings, deadline)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    except (OSError, smtplib.SMTPException) as exc:  # TimeoutError and ssl.SSLError are OSErrors
        raise MailNotSent(f"{what} to {recipient} was not sent through {settings.server}: "
                          f"{reason(exc, limit, time.monotonic() >= deadline)}") from None
    finally:
        if smtp is not None:
            close(smtp)


def _into_folder(message: EmailMessage, recipient: str, sender: str, settings: config.Settings, what: str) -> None:
    """Deliver into the Maildir ``settings.folder`` as a mail server would:
    the envelope recipient in ``Delivered-To``, the sender in ``Return-Path``."""
    import mailbox

    from .message import one_line

    envelope = (f"Return-Path: <{one_line(sender)}>\nDelivered-To: {one_line(recipient)}\n").encode()
    try:
        mailbox.Maildir(settings.folder, create=True).add(envelope + message.as_bytes())
    except OSError as exc:
        raise MailNotSent(f"{what} to {recipient} was not written to {settings.server}: "
                          f"{exc.strerror or exc}") from None


def _say_unset() -> None:
    """Once per process, at INFO: an email channel nobody configured is simply
    off (every command would otherwise print it); docs/notifications.md says
    how to check that it is on."""
    global _said_unset
    if not _said_unset:
        _said_unset = True
        log.info("OwnIt's email channel sends nothing: %s is not set (notifications stay in the OwnIt inbox). "
                    "Set it, or leave the plugin out with OWNIT_DISABLE_PLUGINS=email", config.URL_ENV)
