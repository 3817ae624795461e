"""The SMTP conversation of the email channel, with one deadline for all of it:
loaded when a mail is sent (``smtplib`` and ``ssl``), not as OwnIt starts."""

from __future__ import annotations

import smtplib
import ssl
import time
from typing import Any

from . import settings as config


def connect(settings: config.Settings, deadline: float) -> "Bounded":
    context = ssl.create_default_context()
    if settings.security == "tls":
        smtp: Bounded = BoundedSSL(deadline, settings.host, settings.port, context=context)
    else:
        smtp = Bounded(deadline, settings.host, settings.port)
    if settings.security == "starttls":
        smtp.starttls(context=context)
    return smtp


class Bounded(smtplib.SMTP):
    """``smtplib.SMTP`` with one deadline for the whole conversation rather
    than a timeout per read, so a server that answers slowly still fails the
    delivery before OwnIt's hook time limit gives up on the plugin."""

    def __init__(self, deadline: float, host: str, port: int, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(host, port, timeout=self._left(), **kwargs)

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left

    def _connect_within(self) -> None:
        self.timeout = self._left()  # smtplib connects (and wraps TLS) with self.timeout
        if self.sock is not None:
            self.sock.settimeout(self.timeout)

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> tuple[int, bytes]:
        self._connect_within()
        return super().connect(host, port, source_address)

    def send(self, s: Any) -> None:
        self._connect_within()
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        self._connect_within()
        return super().getreply()


class BoundedSSL(Bounded, smtplib.SMTP_SSL):
    def __init__(self, deadline: float, host: str, port: int, *, context: ssl.SSLContext) -> None:
        self.context = context  # SMTP_SSL.__init__ sets it too; Bounded's connect may run first
        Bounded.__init__(self, deadline, host, port, context=context)


def close(smtp: smtplib.SMTP) -> None:
    """Say goodbye if the server is still there: the message was taken or not
    by now, so nothing here changes the outcome."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def reason(exc: BaseException, limit: float, late: bool) -> str:
    if late or isinstance(exc, TimeoutError):  # smtplib says "Connection unexpectedly closed: timed out"
        return f"no answer within {limit:g} s"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(said)}" for code, said in exc.recipients.values()) or "recipient refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    return str(exc) or type(exc).__name__


def _text(said: Any) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
