"""Traditional → simplified Chinese (繁→简), fast enough for the screening hot path.

opencc-python-reimplemented's ``OpenCC("t2s")`` is correct but slow: on our benchmark items
it costs about four times the whole extraction (benchmarks/bench_extract.py). Two things make
it cheap here (the same tables about 20 times faster, and most texts skip them):

1. **Gate.** Most collected text is already simplified. ``has_traditional`` looks for a
   *traditional-only* character: a key of OpenCC's ``TSCharacters`` table that is neither a
   simplified character itself (a key of ``STCharacters``) nor a conversion target. About
   4,100 such characters. Most texts are answered by encoding them to GB2312 (simplified
   only, bar nine characters checked apart); the rest by a character class of the BMP ones.
   Characters that are valid in both scripts (乾, 於, 夥, 徵 …) do not open the gate, so
   simplified text is never touched (乾坤 stays, 於 the surname stays).
2. **Same tables, faster machine.** ``to_simplified`` applies OpenCC's own dictionaries
   (``TSPhrases`` then ``TSCharacters``, first candidate when a character has several, as
   OpenCC does) with one regular expression over the phrases and ``str.translate`` for the
   characters. OpenCC matches the longest phrase anywhere first; we match leftmost-longest.
   The two differ only when two of its 277 phrases overlap; the tests compare both on
   generated traditional text.

The tables are read from the installed ``opencc`` package on first use (≈ 0.1 s); nothing
is downloaded.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_OPENCC_PACKAGE = "opencc"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Traditional-only characters (as defined below) that GB2312 nevertheless encodes.
_GB2312_TRADITIONAL = re.compile("[菸後甯榘醣麴摺捱吒]")


def _read_table(name: str) -> dict[str, str]:
    """An OpenCC dictionary: key → first candidate (OpenCC also takes the first)."""
    path = resources.files(_OPENCC_PACKAGE).joinpath("dictionary", name)
    table: dict[str, str] = {}
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            key, _, values = line.rstrip("\n").partition("\t")
            if key and values:
                table[key] = values.split(" ")[0]
    return table


class _Tables:
    def __init__(self) -> None:
        characters = _read_table("TSCharacters.txt")
        phrases = _read_table("TSPhrases.txt")
        simplified = set(_read_table("STCharacters.txt"))
        with (
            resources.files(_OPENCC_PACKAGE)
            .joinpath("dictionary", "TSCharacters.txt")
            .open("r", encoding="utf-8") as handle
        ):
            for line in handle:
                simplified.update(line.rstrip("\n").partition("\t")[2].split(" "))
        self.traditional_only = frozenset(c for c in characters if c not in simplified)
        # A character class of BMP characters compiles to a bitmap and scans in ~25 ns per
        # character; adding the few hundred astral (CJK extension B+) characters makes re fall
        # back to a linear list (~100x slower), so those are checked apart, and only when the
        # text has an astral character at all.
        self.gate = re.compile(
            "[" + "".join(sorted(c for c in self.traditional_only if ord(c) <= 0xFFFF)) + "]"
        )
        self.astral = frozenset(c for c in self.traditional_only if ord(c) > 0xFFFF)
        self.translate = str.maketrans(
            {k: v for k, v in characters.items() if len(k) == 1 and k != v}
        )
        self.phrases = phrases
        ordered = sorted(phrases, key=len, reverse=True)
        self.phrase_pattern = re.compile("|".join(map(re.escape, ordered)))


@cache
def _tables() -> _Tables:
    return _Tables()


def traditional_only_characters() -> frozenset[str]:
    """Characters that occur in traditional but never in simplified Chinese text."""
    return _tables().traditional_only


def has_traditional(text: str) -> bool:
    """True when ``text`` contains a traditional-only character (see module docstring)."""
    if text.isascii():
        return False
    # GB2312 holds simplified characters only, bar the nine below; a text that encodes to it
    # (95 % of our demo texts) is answered in ~3 µs without the large character class.
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        pass
    else:
        return _GB2312_TRADITIONAL.search(text) is not None
    tables = _tables()
    if tables.gate.search(text) is not None:
        return True
    return _ASTRAL.search(text) is not None and not tables.astral.isdisjoint(text)


def to_simplified(text: str) -> str:
    """``text`` converted with OpenCC's t2s tables (phrases first, then characters)."""
    tables = _tables()
    out: list[str] = []
    last = 0
    for match in tables.phrase_pattern.finditer(text):
        out.append(text[last : match.start()].translate(tables.translate))
        out.append(tables.phrases[match.group()])
        last = match.end()
    out.append(text[last:].translate(tables.translate))
    return "".join(out)


def simplify(text: str) -> str:
    """Simplified ``text``: converted only when it contains a traditional-only character."""
    return to_simplified(text) if has_traditional(text) else text
