"""Text normalisation for screening: one clean form of every title and text.

Collected items come from web pages, spreadsheets and hand-typed forms: full-width letters and
digits, HTML markup and entities (often escaped twice by scrapers), zero-width characters and
odd whitespace. ``normalize_text`` removes all of that and keeps the Chinese as it is;
``fingerprint_text`` goes further, for exact de-duplication of reposts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser

# Elements whose text is never content.
_SKIP_CONTENT = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Elements that separate words: a tag between two words leaves a space.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# Our choice: scraped pages escape markup more than once ("&amp;lt;p&amp;gt;"); strip and
# unescape until nothing changes, at most this many times.
MAX_PASSES = 8


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; entities are unescaped by HTMLParser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """Text without tags, comments and script/style content; entities unescaped."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError:
        # _markupbase raises AssertionError on some malformed declarations ("<![foo");
        # keep the text rather than lose it.
        return text
    return "".join(parser.parts)


class _CharTable(dict[int, int | str | None]):
    """A str.translate table filled on first sight of each character, so the Unicode
    category of a character is looked up once per process, not once per occurrence."""

    def __init__(self, rule: Callable[[str], int | str | None]) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> int | str | None:
        value = self._rule(chr(code))
        self[code] = value
        return value


def _invisible_rule(ch: str) -> int | str | None:
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return None
    if cat == "Cc":
        return " " if ch.isspace() else None
    return ord(ch)


_INVISIBLE = _CharTable(_invisible_rule)


def _drop_invisible(text: str) -> str:
    """Drop zero-width and other format characters (Cf) and control characters except
    whitespace, which becomes a space."""
    if text.isprintable():  # no Cc or Cf at all: the common case
        return text
    return text.translate(_INVISIBLE)


def _normalize_once(text: str) -> str:
    text = strip_html(text)
    text = _drop_invisible(text)
    text = unicodedata.normalize("NFKC", text)  # full-width → half-width, ideographic space
    return " ".join(text.split())


def normalize_text(text: str) -> str:
    """The clean form of ``text``: HTML stripped and unescaped, NFKC (full-width letters,
    digits and punctuation become half-width), zero-width characters dropped, whitespace
    collapsed to single spaces and stripped. Chinese characters are kept as they are."""
    for _ in range(MAX_PASSES):
        clean = _normalize_once(text)
        if clean == text:
            break
        text = clean
    return text


# Unicode categories removed in a fingerprint: punctuation (P*), separators (Z*), and
# decorative symbols (So, Sk: ★, ©, emoji, ^). Our choice; maths and currency signs stay.
_FINGERPRINT_DROP = ("P", "Z", "So", "Sk")


def _fingerprint_rule(ch: str) -> int | None:
    if unicodedata.category(ch).startswith(_FINGERPRINT_DROP) or ch.isspace():
        return None
    return ord(ch)


_FINGERPRINT = _CharTable(_fingerprint_rule)


def fingerprint_text(title: str, text: str) -> str:
    """Title and text normalised, lower-cased, without punctuation or whitespace: equal for
    reposts that differ only in markup, spacing, width or punctuation."""
    return normalize_text(f"{title} {text}").lower().translate(_FINGERPRINT)
