"""Text on its way to a terminal, made harmless.

A request's title, a note or a name is shown to agents in their terminals. A
control character in it (a C1 ``CSI``, U+009B, starts an escape sequence on
many terminals), a bidirectional override (U+202E turns what follows around,
so a ref or an email reads as another) or a line separator (U+2028, a new line
to some terminals and none to others) would act instead of being read.
:func:`neutral` shows each as its escape (``\\u202e``); the command line's
output passes through it, and the org loader refuses such characters outright.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL and the C1 controls, the bidirectional controls, the line and
# paragraph separators
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"  # as JSON writes it: ``--json`` output stays JSON, and means the same


def neutral(text: str, *, keep: str = "") -> str:
    """``text`` with every unsafe character (but those in ``keep``) shown as its escape."""
    if not UNSAFE.search(text):
        return text
    return UNSAFE.sub(lambda found: found.group() if found.group() in keep else _escape(found), text)


def first_unsafe(text: str) -> str | None:
    """The escape of the first unsafe character in ``text`` (``\\u202e``), or ``None``."""
    found = UNSAFE.search(text)
    return _escape(found) if found else None


class NeutralStream:
    """A text stream that writes what it is given through :func:`neutral`,
    keeping the escape and carriage return that Rich's own styling and progress
    bars are made of (text typed into OwnIt never holds them: the service and
    the org loader refuse C0 controls)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutral(text, keep="\x1b\r"))
        return len(text)

    def __getattr__(self, name: str):
        if name == "buffer":  # no way around the filter: click writes to a text stream without one
            raise AttributeError(name)
        return getattr(self._stream, name)
