"""Signed tokens: what OwnIt hands out to be given back without signing in.

A token names a purpose (``reply``: the Reply-To address of a mail; ``rate``:
a rating link), a few whole numbers (a request's id, a person's id, a
notification's id) and when it was issued, signed with HMAC-SHA256 under
OwnIt's key. Reading one back checks the signature (constant time), the
purpose and its lifetime, and says which of these failed.

Tokens use only lower-case letters, digits and ``-`` so they survive as an
email address's local part, which mail servers may fold to lower case, and
stay under its 64 characters (``reply-...@``). The key is ``OWNIT_SECRET_KEY``
if set (every host of one desk must share it), else one OwnIt makes once and
keeps in the database (``secret``), so a fresh install and the demo sign
without setting anything. Changing the key voids every token handed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import ValidationError

KEY_ENV = "OWNIT_SECRET_KEY"
KEY_NAME = "tokens"
LIFETIMES = {"reply": timedelta(days=60), "rate": timedelta(days=30)}
_SIGNATURE_BYTES = 15  # 120 bits, 24 base32 characters
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


class BadToken(ValidationError):
    """A token that is not OwnIt's, was changed, is for something else, or has expired."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # forged, expired, malformed, wrong purpose


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


class Signer:
    """Makes and reads tokens under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValidationError(f"{KEY_ENV} is too short to sign with; use at least 32 random characters")
        self._key = key

    def _sign(self, purpose: str, body: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.b32encode(digest).decode().lower()

    def make(self, purpose: str, numbers: tuple[int, ...], issued: datetime) -> str:
        """A token for ``purpose`` naming ``numbers`` (each 0 or more), issued at ``issued``."""
        if purpose not in LIFETIMES:
            raise ValueError(f"no token purpose {purpose!r}")
        minutes = int((issued - _EPOCH).total_seconds() // 60)
        body = "-".join(_b36(n) for n in (*numbers, minutes))
        return f"{body}-{self._sign(purpose, body)}"

    def read(self, purpose: str, token: str, now: datetime) -> tuple[int, ...]:
        """The numbers ``token`` names, if it is a genuine ``purpose`` token
        still within its lifetime at ``now``; else :class:`BadToken`."""
        words = token.strip().lower().split("-")
        if len(words) < 3 or len(token) > 200:
            raise BadToken("this is not an OwnIt link or address", "malformed")
        body, signature = "-".join(words[:-1]), words[-1]
        if not hmac.compare_digest(signature.encode(), self._sign(purpose, body).encode()):
            raise BadToken("this link or address was not made by OwnIt, or was changed", "forged")
        *numbers, minutes = (int(word, 36) for word in words[:-1])
        issued = _EPOCH + timedelta(minutes=minutes)
        if now - issued > LIFETIMES[purpose]:
            raise BadToken(f"this link or address expired on {(issued + LIFETIMES[purpose]):%d %b %Y}", "expired")
        return tuple(numbers)


def signer(desk: Any) -> Signer:
    """The desk's signer: ``OWNIT_SECRET_KEY``, else the key kept in the
    database, made and committed in a unit of work of its own the first time
    (so never call it inside one). Kept on the desk after the first call."""
    found = getattr(desk, "signer", None)
    if found is not None:
        return found
    configured = os.environ.get(KEY_ENV, "").strip()
    if configured:
        key = configured
    else:
        from .store import keys
        from .store import unit as store

        key = store.run(desk, lambda u: keys.get_or_make(u, KEY_NAME, lambda: secrets.token_hex(32)))
    made = Signer(key.encode())
    desk.signer = made
    return made
