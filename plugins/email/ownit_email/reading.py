"""Reading a reply: the person's own words out of a mail as clients send it.

Mail clients put the whole conversation under (or above) a reply. What the
person wrote is what comes before the first sign of quoted history or a
signature, in the shapes the mainstream clients write:

- Gmail, Apple Mail, Thunderbird: ``On <date>, <name> <address> wrote:``
  (wrapped over two or three lines when long; a few languages), then lines
  starting with ``>``; Gmail's HTML keeps the quote in ``div.gmail_quote``,
  Apple's and Thunderbird's in ``<blockquote>``;
- Outlook: ``-----Original Message-----``, or a header block ``From: ...``
  followed by ``Sent: ...`` (or ``Date:``), often after a line of
  underscores; Outlook on the web's HTML in ``div#divRplyFwdMsg``;
- signatures: the ``-- `` delimiter, ``Sent from my iPhone`` and kin,
  ``Get Outlook for iOS``.

HTML-only mail is turned into text with the standard library's
``html.parser``: block elements become line breaks, quotes, styles and
scripts are left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_CHARS = 4000  # of a reply kept as a note: a person's answer, not a document

_WROTE_END = re.compile(r"(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s*:\s*$", re.I)
_WROTE_START = re.compile(r"^(On|Le|Am|El|Il|Op)\s", re.I)
_CUT = [
    re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$", re.I),
    re.compile(r"^_{8,}\s*$"),  # Outlook on the web's line above its header block
    re.compile(r"^-- ?$"),  # the signature delimiter
    re.compile(r"^(Sent from my |Sent from Mail for |Sent from Outlook|Get Outlook for |Sent from Yahoo Mail)",
               re.I),
    re.compile(r"^-*\s*(Begin forwarded message|Forwarded message)\s*:?\s*-*\s*$", re.I),
]
_HEADER_FROM = re.compile(r"^\*?(From|De|Von|Van)\s*:\*?\s+\S", re.I)
_HEADER_SENT = re.compile(r"^\*?(Sent|Date|Envoyé|Gesendet|Enviado|Verzonden)\s*:\*?\s+\S", re.I)


def own_words(text: str) -> str:
    """What the person wrote in ``text`` (a plain-text body): everything
    before the quoted history or signature, without ``>`` lines, trimmed and
    kept to :data:`MAX_CHARS`."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for i, line in enumerate(lines):
        bare = line.strip().replace("\u00a0", " ")
        if _starts_history(bare, lines, i):
            break
        if bare.startswith(">"):
            continue  # quoted inline, between the person's own answers
        kept.append(line)
    return clip("\n".join(kept))


def _starts_history(bare: str, lines: list[str], i: int) -> bool:
    if any(pattern.match(bare) for pattern in _CUT):
        return True
    if _WROTE_START.match(bare):  # "On Mon, 23 Nov 2026 at 10:00, Sam Doyle <sam@...> wrote:", maybe wrapped
        for end in range(i + 1, min(i + 3, len(lines)) + 1):
            joined = " ".join(line.strip() for line in lines[i:end])
            if len(joined) < 300 and _WROTE_END.search(joined):
                return True
        return False
    if _HEADER_FROM.match(bare):  # Outlook's header block: From: ... then Sent: or Date: within a few lines
        return any(_HEADER_SENT.match(line.strip()) for line in lines[i + 1:i + 5])
    return False


def clip(text: str) -> str:
    """``text`` without control characters (other than line breaks and tabs),
    trailing spaces and runs of blank lines, cut to :data:`MAX_CHARS`."""
    text = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ch != "\x7f"))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rstrip() + " [cut: the rest was longer than OwnIt keeps]"
    return text


# --- HTML ---------------------------------------------------------------------------------------------------

_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                     "pre", "hr", "section", "article", "header", "footer", "blockquote"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"})
_LEAVE_OUT = frozenset({"blockquote", "style", "script", "head", "title", "template"})
_QUOTE_CLASSES = frozenset({"gmail_quote", "gmail_signature", "gmail_extra", "moz-cite-prefix",
                            "moz-signature", "yahoo_quoted", "ms-outlook-mobile-signature"})
_QUOTE_IDS = frozenset({"signature", "ms-outlook-mobile-signature"})
_HISTORY_IDS = frozenset({"divrplyfwdmsg", "appendonsend"})  # Outlook: the quoted mail is everything after it


class _Text(HTMLParser):
    """HTML as the text a reader sees, without quoted history."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # the elements open, and whether each is left out
        self.history = False  # from here on, the quoted mail

    def _leaving_out(self) -> bool:
        return self.history or any(out for _, out in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if (found.get("id") or "").lower() in _HISTORY_IDS:
            self.history = True
        classes = set((found.get("class") or "").lower().split())
        out = (tag in _LEAVE_OUT or bool(classes & _QUOTE_CLASSES)
               or (found.get("id") or "").lower() in _QUOTE_IDS or found.get("type") == "cite")
        self._break(tag)
        if tag not in _VOID:
            self.open.append((tag, out))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def _break(self, tag: str) -> None:
        """A line break at a block's edge (one, however many blocks meet there); each ``<br>`` is one."""
        if tag in _BLOCKS and not self._leaving_out() and (tag == "br" or "".join(self.out[-1:])[-1:] != "\n"):
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if any(name == tag for name, _ in self.open):
            while self.open:
                name, _ = self.open.pop()
                if name == tag:
                    break
        if tag != "br":
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._leaving_out():
            return
        if any(name == "pre" for name, _ in self.open):
            self.out.append(data)
        else:
            self.out.append(re.sub(r"\s+", " ", data))


def html_text(html: str) -> str:
    """The text of an HTML body, quotes and signatures of the known clients left out."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).replace("\u00a0", " ").split("\n")]
    return "\n".join(lines)
