"""Keyword tagging: which products, hazards and districts a text names.

One Aho–Corasick automaton (pyahocorasick) holds every term of every vocabulary; build the
tagger once and tag many texts. Text and terms are compared in their normalised, lower-cased
form. A match inside a longer match of the same kind is dropped ("电动自行车" is not also
"自行车"); Latin terms match whole words only ("led" does not match "ledger").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from pqrisk.core.text.normalize import normalize_text

PRODUCT = "product"
HAZARD = "hazard"
DISTRICT = "district"
KINDS = (PRODUCT, HAZARD, DISTRICT)


@dataclass(frozen=True)
class Vocabulary:
    """A code with the terms that name it; ``level`` is the depth in the catalogue
    (a more specific product category has a higher level)."""

    code: str
    terms: tuple[str, ...]
    level: int = 0


@dataclass(frozen=True)
class Tags:
    products: tuple[str, ...]
    hazards: tuple[str, ...]
    districts: tuple[str, ...]
    # (kind, code, term) once each, in order of first occurrence; term as the vocabulary spells it.
    matches: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class _Entry:
    kind: str
    code: str
    term: str
    level: int


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int  # exclusive
    entry: _Entry


def _key(term: str) -> str:
    return normalize_text(term).lower()


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class KeywordTagger:
    """Tags texts with product, hazard and district codes."""

    def __init__(
        self,
        products: Iterable[Vocabulary],
        hazards: Iterable[Vocabulary],
        districts: Iterable[Vocabulary],
    ) -> None:
        entries: dict[str, list[_Entry]] = {}
        for kind, vocabularies in ((PRODUCT, products), (HAZARD, hazards), (DISTRICT, districts)):
            for vocabulary in vocabularies:
                for term in vocabulary.terms:
                    key = _key(term)
                    if not key:
                        continue
                    entry = _Entry(kind, vocabulary.code, term, vocabulary.level)
                    bucket = entries.setdefault(key, [])
                    if all((e.kind, e.code) != (kind, vocabulary.code) for e in bucket):
                        bucket.append(entry)
        self._automaton = ahocorasick.Automaton()
        for key, bucket in entries.items():
            self._automaton.add_word(key, (key, tuple(bucket)))
        self._empty = not entries
        if not self._empty:
            self._automaton.make_automaton()

    def _hits(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for end_index, (key, bucket) in self._automaton.iter(text):
            start, end = end_index - len(key) + 1, end_index + 1
            if _is_word_char(key[0]) and start > 0 and _is_word_char(text[start - 1]):
                continue
            if _is_word_char(key[-1]) and end < len(text) and _is_word_char(text[end]):
                continue
            hits.extend(_Hit(start, end, entry) for entry in bucket)
        return hits

    def tag(self, text: str) -> Tags:
        """Codes named in ``text``, most relevant first, and the matched terms."""
        if self._empty:
            return Tags((), (), (), ())
        clean = normalize_text(text).lower()
        hits = self._hits(clean)
        kept = _drop_contained(hits)
        return Tags(
            products=_rank(kept, PRODUCT, by_level=True),
            hazards=_rank(kept, HAZARD, by_level=False),
            districts=_rank(kept, DISTRICT, by_level=False),
            matches=tuple(dict.fromkeys((h.entry.kind, h.entry.code, h.entry.term) for h in kept)),
        )


def _drop_contained(hits: list[_Hit]) -> list[_Hit]:
    """Hits not strictly inside a longer hit of the same kind, in text order.

    One sweep per kind over hits sorted by start (longer first): a hit is inside a longer one
    when an earlier hit reaches further, or as far but from an earlier start.
    """
    hits = sorted(hits, key=lambda h: (h.start, -h.end))
    reach: dict[str, tuple[int, int]] = {}  # kind -> (furthest end, earliest start reaching it)
    kept = []
    for h in hits:
        end, start = reach.get(h.entry.kind, (-1, -1))
        if end > h.end or (end == h.end and start < h.start):
            continue
        kept.append(h)
        if h.end > end:
            reach[h.entry.kind] = (h.end, h.start)
    return kept


def _rank(hits: list[_Hit], kind: str, *, by_level: bool) -> tuple[str, ...]:
    """Codes of ``kind``. Products: higher catalogue level, then longer term, then more hits.
    Hazards and districts: more hits, then longer term. Ties: first occurrence."""
    count: dict[str, int] = {}
    longest: dict[str, int] = {}
    level: dict[str, int] = {}
    first: dict[str, int] = {}
    for h in hits:
        if h.entry.kind != kind:
            continue
        code = h.entry.code
        count[code] = count.get(code, 0) + 1
        longest[code] = max(longest.get(code, 0), h.end - h.start)
        level[code] = max(level.get(code, h.entry.level), h.entry.level)
        first.setdefault(code, h.start)

    def product_key(code: str) -> tuple[int, int, int, int]:
        return (-level[code], -longest[code], -count[code], first[code])

    def other_key(code: str) -> tuple[int, int, int, int]:
        return (-count[code], -longest[code], first[code], 0)

    return tuple(sorted(count, key=product_key if by_level else other_key))
