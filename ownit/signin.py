"""How the web UI knows who is using it: exactly one of two modes.

- **Header mode** (production): the company's sign-in proxy puts the signed-in
  person's email in a header (``OWNIT_AUTH_HEADER``, e.g. ``X-Forwarded-Email``)
  and the UI, bound to 127.0.0.1, is reachable only through that proxy. With
  ``OWNIT_PROXY_SECRET`` set, the proxy also sends that secret in
  :data:`SECRET_HEADER`, and a request without it did not come through the
  proxy: it is refused.
- **Demo mode** (``OWNIT_UI_DEMO=1``, ``ownit demo``, ``ownit ui --demo``):
  a person picker lets anyone act as anyone. Never outside a demo.

Both at once, or neither, is refused with one line: a sign-in never drops to
the picker without saying so. A header sent more than once (a proxy that
appends instead of overwriting) or holding more than one address is refused.
The rules are here, once; ``ownit ui`` and the pages only call them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Callable, Mapping

from .errors import ConfigError, PermissionDenied

SECRET_HEADER = "X-OwnIt-Proxy-Secret"
DEMO, HEADER = "demo", "header"


@dataclass(frozen=True)
class SignIn:
    mode: str  # DEMO or HEADER
    header: str | None = None  # the header carrying the email (header mode)
    secret: str | None = None  # what the proxy must send in SECRET_HEADER (header mode, optional)

    def describe(self) -> str:
        """The mode in words, for the start-up line and every page."""
        if self.mode == DEMO:
            return "demo mode: a person picker lets anyone act as anyone"
        return (f"signed in by your company's proxy (header {self.header}"
                + (f", checked with {SECRET_HEADER}" if self.secret else "") + ")")


def configured(environ: Mapping[str, str]) -> SignIn:
    """The sign-in the environment asks for, or one line saying what is wrong."""
    demo = environ.get("OWNIT_UI_DEMO", "").strip() == "1"
    header = environ.get("OWNIT_AUTH_HEADER", "").strip()
    if demo and header:
        raise ConfigError("OWNIT_UI_DEMO=1 and OWNIT_AUTH_HEADER are both set; unset OWNIT_UI_DEMO for the "
                          "company's sign-in (the demo's person picker lets anyone act as anyone)")
    if demo:
        return SignIn(DEMO)
    if not header:
        raise ConfigError("the UI has no sign-in: set OWNIT_AUTH_HEADER to the header your sign-in proxy sets "
                          "(docs/operating.md), or run a demo with 'ownit ui --demo'")
    if any(ch in header for ch in " :\r\n"):
        raise ConfigError(f"OWNIT_AUTH_HEADER {header!r} is not a header name; use one like X-Forwarded-Email")
    return SignIn(HEADER, header=header, secret=environ.get("OWNIT_PROXY_SECRET") or None)


def identity(sign_in: SignIn, values: Callable[[str], list[str]]) -> str | None:
    """Who signed in, from one request's headers (``values(name)``: every
    value sent under ``name``); ``None`` when the proxy sent nobody. A
    request that did not come through the proxy, or whose header is
    ambiguous, is refused with one line."""
    if sign_in.mode != HEADER:
        raise ValueError("identity comes from headers in header mode only")
    if sign_in.secret is not None:
        sent = values(SECRET_HEADER)
        if len(sent) != 1 or not hmac.compare_digest(sent[0].encode(), sign_in.secret.encode()):
            raise PermissionDenied("this page was not opened through the company's sign-in; "
                                   "use OwnIt's usual address")
    found = [value.strip() for value in values(sign_in.header or "")]
    if not found or found == [""]:
        return None
    if len(found) > 1:
        raise PermissionDenied(f"the sign-in header {sign_in.header} came {len(found)} times; the proxy must "
                               "overwrite it, not add to it (docs/operating.md)")
    email = found[0]
    if any(ch in email for ch in ",; ") or email.count("@") != 1:
        raise PermissionDenied(f"the sign-in header {sign_in.header} does not hold one email address; "
                               "check the proxy's set-up (docs/operating.md)")
    return email.lower()
