"""Text normalisation for screening: one clean form of every title and text.

Collected items come from web pages, spreadsheets and hand-typed forms: full-width letters and
digits, HTML markup and entities (often escaped twice by scrapers), zero-width characters and
odd whitespace. ``normalize_text`` removes all of that and keeps the Chinese as it is;
``fingerprint_text`` goes further, for exact de-duplication of reposts.

``clean_text`` is the screening form used by extraction, near-duplicate detection and the
classifier: ``normalize_text`` plus traditional → simplified Chinese, URLs removed and the
boilerplate of reposts and news pages removed (转发微博, //@用户:, 原标题, 来源, 责任编辑,
关注我们 footers, 免责声明). ``normalize_text`` itself is unchanged (content hashes of stored
items depend on it). Numbers are not rewritten: "三名儿童" stays as written and
``pqrisk.core.text.numbers`` reads it as 3, so evidence shows the words of the source.
Evidence spans of an extraction refer to the ``clean_text`` of the item, which the
extraction returns alongside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser

from pqrisk.core.text.simplify import simplify

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

    def __init__(self, block_separator: str = " ") -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._separator = block_separator

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append(self._separator)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append(self._separator)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append(self._separator)

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def strip_html(text: str, *, block_separator: str = " ") -> str:
    """Text without tags, comments and script/style content; entities unescaped. Block
    elements (p, br, li, div …) leave ``block_separator``: a space, or a newline where the
    line structure matters (boilerplate lines in ``clean_text``)."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextExtractor(block_separator)
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


# The full-width characters of Chinese text, most frequent first: replacing them with
# str.replace first leaves most texts NFKC-normal already, and the quick check then skips the
# full normalisation (NFKC costs ~30 µs for 300 characters; the replacements ~3 µs). The result
# is the same: NFKC(x) == NFKC(y) when y only replaces characters by their NFKC forms.
_COMMON_WIDE = tuple(
    (ch, unicodedata.normalize("NFKC", ch)) for ch in "，：（）！？；　＂＇．／％＋－＜＞［］"
)


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for wide, narrow in _COMMON_WIDE:
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def _normalize_once(text: str) -> str:
    text = strip_html(text)
    text = _drop_invisible(text)
    text = _nfkc(text)  # full-width → half-width, ideographic space
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


# --- the screening form: clean_text ------------------------------------------------------
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _line_invisible_rule(ch: str) -> int | str | None:
    if ch in _LINE_BREAKS:
        return "\n"
    return _invisible_rule(ch)


_LINE_INVISIBLE = _CharTable(_line_invisible_rule)


def _structure_once(text: str) -> str:
    """One pass of ``normalize_text`` that keeps line breaks (as "\\n") and other spacing."""
    text = strip_html(text, block_separator="\n")
    if not text.isprintable():
        text = text.translate(_LINE_INVISIBLE)
    return _nfkc(text)


# URLs and short links; they end at whitespace, CJK text or CJK/closing punctuation.
_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\"'<>()\[\]{}“”‘’]+",
    re.IGNORECASE,
)

_CJK = "\u4e00-\u9fff"
# Lines that are boilerplate as a whole: labels of news pages and reposts. Our list.
_LINE_LABELS = (
    "原标题|来源|文章来源|信息来源|稿件来源|消息来源|新闻来源|责任编辑|责编|编辑|审核|校对"
    "|监制|作者|转载自|本文来源|原文链接|原文地址"
)
_BOILERPLATE_LINE = re.compile(
    rf"^[ \t]*[(\[【]?(?:{_LINE_LABELS})[ \t]*:[^\n]{{0,80}}$"
    r"|^[ \t]*(?:转发微博|转发|转载|Repost|展开全文|收起全文|阅读原文|网页链接|查看原文"
    r"|[(\[【]完[)\]】])[ \t]*$",
    re.MULTILINE,
)
# Inline boilerplate, removed where it stands.
_BOILERPLATE_INLINE = re.compile(
    # Weibo repost chains: the "//@name:" marker goes, the comment after it stays.
    r"//@[^:\s/]{1,30}:|回复@[^:\s]{1,30}:"
    r"|转发微博|\bRepost\b|[OL]?网页链接|展开全文|收起全文|查看图片|查看原图|点击阅读原文|阅读原文"
    # Repost labels: 【转发】, [转载], "转发:" at the start of a clause.
    r"|[【\[](?:转发|转载|转帖|转)[】\]]"
    rf"|(?:^|(?<=[\s,.;!?。、]))(?:转发|转载|转帖|转)[ ]?:"
    # Labels with a short value: (责任编辑:张三), 来源:新民晚报, 原标题: (label only, inline).
    rf"|[(\[【]?[ ]?(?:责任编辑|责编|编辑|审核|校对|监制)[ ]?:[ ]?[{_CJK}·]{{1,5}}"
    rf"(?:[ ][{_CJK}·]{{1,5}}){{0,2}}[ ]?[)\]】]?"
    rf"|(?<![{_CJK}])[(\[【]?[ ]?(?:文章来源|信息来源|稿件来源|消息来源|新闻来源|来源)[ ]?:[ ]?"
    r"[^\s,。;!?)\]】]{1,20}[ ]?[)\]】]?"
    r"|原标题[ ]?:",
    re.IGNORECASE,
)
# Where an inline rule can begin: the first character of each (brackets and the space of the
# optional prefixes included), with the same case rule. The rules open with optional brackets,
# look-behinds or \b, so ``re`` would try all of them at every position (~27 µs for 300
# characters with a trigger); trying them at these characters only is ~5x faster and gives the
# same result (tests/screening_core/test_normalize_ext.py derives the characters from the rules).
_INLINE_STARTS = re.compile(r"[/回转R网OL展收查点阅【\[(责编审校监文信稿消新来原 ]", re.IGNORECASE)
# Footers: disclaimers, copyright lines, calls to follow or share. A footer runs from the
# sentence of its first trigger to the end of the text when that tail is short (≤ FOOTER_MAX
# characters); in the middle of a long text only the sentence goes.
# Every alternative opens with a literal character (点击…, 长按… spelled out rather than
# grouped): only then does ``re`` jump to the positions of those characters instead of trying
# the whole pattern at each one (~4x faster; the same matches).
_FOOTER = re.compile(
    r"免责声明|版权声明|版权归原作者|如有侵权|侵删|本文(?:转载|转自|来源于|来自网络)|转载请注明"
    r"|未经(?:授权|许可)[^。\n]{0,8}(?:转载|使用)|"
    + "|".join(rf"{verb}[^。\n]{{0,8}}(?:关注|二维码)" for verb in ("点击", "长按", "扫描", "扫码"))
    + r"|关注(?:我们|公众号)|欢迎(?:关注|转发|分享)|更多(?:资讯|精彩)[^。\n]{0,4}关注"
)
FOOTER_MAX = 240
# Literal words at least one of which every rule above needs: a text without any of them has
# no boilerplate, and this literal alternation scans much faster than the rules themselves.
_TRIGGERS = re.compile(
    r"//@|回复@|转发|转载|转帖|转\]|转】|转:|Repost|repost|REPOST|网页链接|展开全文|收起全文"
    r"|查看图片|查看原图|阅读原文|查看原文|编辑|责编|审核|校对|监制|来源|原标题|作者|转载自"
    r"|原文链接|原文地址|完\)|完】|完\]|免责|版权|侵权|侵删|本文|未经|点击|长按|扫描|扫码|关注|欢迎"
)
_SENTENCE_END = "。!?\n"


def _sub_where(pattern: re.Pattern[str], starts: re.Pattern[str], repl: str, text: str) -> str:
    """``pattern.sub(repl, text)`` for a ``pattern`` that never matches the empty string and
    whose every match begins where ``starts`` matches: ``pattern`` is tried at those positions
    only, left to right, skipping those inside a match, as ``re.sub`` would. ``repl`` is
    literal. (``pattern.match(text, i)`` sees the text before ``i``, so look-behinds and
    \\b work as in a search; ``^`` matches only at the real start, as in a search.)"""
    out: list[str] = []
    pos = 0
    for candidate in starts.finditer(text):
        at = candidate.start()
        if at < pos:
            continue  # inside the previous match
        match = pattern.match(text, at)
        if match is not None:
            out += (text[pos:at], repl)
            pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _cut_footers(text: str) -> str:
    while (match := _FOOTER.search(text)) is not None:
        start = max(text.rfind(ch, 0, match.start()) for ch in _SENTENCE_END) + 1
        if len(text) - start <= FOOTER_MAX:
            text = text[:start]
            continue
        ends = [i for ch in _SENTENCE_END if (i := text.find(ch, match.end())) >= 0]
        text = text[:start] + (text[min(ends) + 1 :] if ends else "")
    return text


def remove_boilerplate(text: str) -> str:
    """``text`` without repost markers, page labels and footers (see ``clean_text``)."""
    if _TRIGGERS.search(text) is None:
        return text
    if "\n" in text:
        text = _BOILERPLATE_LINE.sub("", text)
    text = _sub_where(_BOILERPLATE_INLINE, _INLINE_STARTS, " ", text)
    return _cut_footers(text)


def remove_urls(text: str) -> str:
    """``text`` with every URL (http, https, ftp, www.) replaced by a space."""
    if "://" not in text and "www." not in text.lower():
        return text
    return _URL.sub(" ", text)


def clean_text(
    text: str, *, simplified: bool = True, urls: bool = True, boilerplate: bool = True
) -> str:
    """The screening form of ``text``: everything ``normalize_text`` does, then traditional →
    simplified Chinese (only when the text has traditional-only characters), URLs removed,
    repost and news-page boilerplate removed, whitespace collapsed. Idempotent.

    Boilerplate is removed line by line first (a line "原标题:…" or "来源:…" goes whole), then
    inline (//@用户:, 转发微博, (责任编辑:张三)), then footers (免责声明, 点击关注 …).
    """
    for _ in range(MAX_PASSES):
        for _ in range(MAX_PASSES):
            structured = _structure_once(text)
            if structured == text:
                break
            text = structured
        if simplified:
            text = simplify(text)
        stripped = remove_urls(text) if urls else text
        if boilerplate:
            stripped = remove_boilerplate(stripped)
        done = stripped == text
        text = " ".join(stripped.split())
        if done:
            break
    return text
