"""Keyword tagging: which products, hazards and districts a text names.

One Aho–Corasick automaton (pyahocorasick) holds every term of every vocabulary; build the
tagger once and tag many texts. Text and terms are compared in their normalised, lower-cased
form. A match inside a longer match of the same kind is dropped ("电动自行车" is not also
"自行车"); Latin terms match whole words only ("led" does not match "ledger").

``Tags.spans`` and ``KeywordTagger.find`` give where each kept match stands: offsets into
``normalize_text(text)`` for ``tag``, into the text as given for ``find`` (which expects text
already normalised, e.g. by ``clean_text``). Extraction (``pqrisk.core.screening.extract``)
uses ``find`` and keeps the spans as evidence.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pqrisk.core.text.lexicon import Lexicon, lower_same_length
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
class TagMatch:
    """One kept match: ``text[start:end]`` names ``code`` of ``kind`` through ``term`` (the
    vocabulary's spelling; the text may differ in case and width)."""

    kind: str
    code: str
    term: str
    start: int
    end: int


@dataclass(frozen=True)
class Tags:
    products: tuple[str, ...]
    hazards: tuple[str, ...]
    districts: tuple[str, ...]
    # (kind, code, term) once each, in order of first occurrence; term as the vocabulary spells it.
    matches: tuple[tuple[str, str, str], ...]
    # Every kept match with its offsets into normalize_text(text), in text order.
    spans: tuple[TagMatch, ...] = ()


@dataclass(frozen=True)
class _Entry:
    kind: str
    code: str
    term: str
    level: int


class _Hit(NamedTuple):  # a tuple: made for every match, so it must be cheap
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
        self.lexicon: Lexicon[_Entry] = Lexicon()
        for kind, vocabularies in ((PRODUCT, products), (HAZARD, hazards), (DISTRICT, districts)):
            for vocabulary in vocabularies:
                for term in vocabulary.terms:
                    key = _key(term)
                    if not key:
                        continue
                    entry = _Entry(kind, vocabulary.code, term, vocabulary.level)
                    if all(
                        (e.kind, e.code) != (kind, vocabulary.code)
                        for e in self.lexicon.payloads(key)
                    ):
                        self.lexicon.add(key, entry)
        self._empty = not len(self.lexicon)

    def kept_hits(
        self, text: str, matches: Iterable[tuple[int, int, tuple[_Entry, ...]]]
    ) -> list[_Hit]:
        """Hits from lexicon ``matches`` over ``text`` (lower-cased), Latin terms as whole
        words, those inside a longer hit of the same kind dropped; in text order."""
        hits: list[_Hit] = []
        size = len(text)
        for start, end, bucket in matches:
            # Latin boundaries; Chinese terms (the usual case) skip the checks.
            first, last = text[start], text[end - 1]
            if (
                first.isascii()
                and start
                and _is_word_char(first)
                and _is_word_char(text[start - 1])
            ):
                continue
            if last.isascii() and end < size and _is_word_char(last) and _is_word_char(text[end]):
                continue
            for entry in bucket:
                hits.append(_Hit(start, end, entry))
        return _drop_contained(hits)

    def find(self, text: str) -> list[TagMatch]:
        """Kept matches in ``text`` (already normalised), with offsets into it."""
        if self._empty or not text:
            return []
        return [_match(h) for h in self.kept_hits(text, self.lexicon.iter(lower_same_length(text)))]

    def tag(self, text: str) -> Tags:
        """Codes named in ``text``, most relevant first, and the matched terms."""
        if self._empty:
            return Tags((), (), (), ())
        clean = lower_same_length(normalize_text(text))
        kept = self.kept_hits(clean, self.lexicon.iter(clean))
        return tags_from_hits(kept)


def _match(h: _Hit) -> TagMatch:
    return TagMatch(h.entry.kind, h.entry.code, h.entry.term, h.start, h.end)


def tags_from_hits(kept: list[_Hit]) -> Tags:
    """Tags from kept hits (see ``KeywordTagger.kept_hits``)."""
    return Tags(
        products=_rank(kept, PRODUCT, by_level=True),
        hazards=_rank(kept, HAZARD, by_level=False),
        districts=_rank(kept, DISTRICT, by_level=False),
        matches=tuple(dict.fromkeys((h.entry.kind, h.entry.code, h.entry.term) for h in kept)),
        spans=tuple(_match(h) for h in kept),
    )


def _drop_contained(hits: list[_Hit]) -> list[_Hit]:
    """Hits not strictly inside a longer hit of the same kind, in text order.

    One sweep per kind over hits sorted by start (longer first): a hit is inside a longer one
    when an earlier hit reaches further, or as far but from an earlier start.
    """
    # By start, longer first: two C-level sorts (stable) instead of a Python key function.
    hits.sort(key=_END, reverse=True)
    hits.sort(key=_START)
    reach: dict[str, tuple[int, int]] = {}  # kind -> (furthest end, earliest start reaching it)
    kept = []
    for h in hits:
        kind = h.entry.kind
        end, start = reach.get(kind, (-1, -1))
        if end > h.end or (end == h.end and start < h.start):
            continue
        kept.append(h)
        if h.end > end:
            reach[kind] = (h.end, h.start)
    return kept


_START, _END = operator.itemgetter(0), operator.itemgetter(1)


def _rank(hits: list[_Hit], kind: str, *, by_level: bool) -> tuple[str, ...]:
    """Codes of ``kind``. Products: higher catalogue level (a product before its class), then
    more hits, then the earlier first mention (the title comes first), then the longer term:
    a heater complaint that mentions a phone charger in passing is about the heater.
    Hazards and districts: more hits, then longer term. Ties: first occurrence."""
    stats: dict[str, list[int]] = {}  # code -> [count, longest, level, first]
    for h in hits:
        entry = h.entry
        if entry.kind != kind:
            continue
        length = h.end - h.start
        row = stats.get(entry.code)
        if row is None:
            stats[entry.code] = [1, length, entry.level, h.start]
            continue
        row[0] += 1
        if length > row[1]:
            row[1] = length
        if entry.level > row[2]:
            row[2] = entry.level
    if by_level:
        return tuple(
            sorted(stats, key=lambda c: (-stats[c][2], -stats[c][0], stats[c][3], -stats[c][1]))
        )
    return tuple(sorted(stats, key=lambda c: (-stats[c][0], -stats[c][1], stats[c][3])))
