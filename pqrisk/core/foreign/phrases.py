"""Phrase matching with character offsets, for tagging English alert text.

One Aho–Corasick automaton (pyahocorasick) finds every listed phrase in one pass over the
text, so the cost does not grow with the number of phrases. Matching is case-insensitive,
treats hyphens, slashes and line breaks as spaces ("tip-over" = "tip over"), needs a word
boundary on both sides ("lead" does not match "leader") and accepts the plain inflections of
the last word ("ignite" → "ignites", "ignited", "igniting"; "battery" → "batteries").

A match that lies inside a longer match with a payload of the same type is dropped, so a
longer phrase wins: "lead paint" hides "lead". A phrase whose payload is ``None`` is a
*blocker*: it hides every shorter phrase inside it ("fire extinguisher" hides "fire", "no
injuries" hides "injuries") and is not reported itself. Payloads of different types share
one automaton (one pass over the text) without hiding each other.
"""

from __future__ import annotations

import string
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import ahocorasick

# Punctuation and white space separate words like a space does (the apostrophe stays: it is
# part of "children's"); mapped one-to-one so offsets stay valid. With every separator a
# space, a phrase can only start after a space, so the automaton stores " phrase" and never
# reports "hat" inside "that".
_SEPARATORS = str.maketrans(
    {
        **{c: " " for c in string.punctuation if c != "'"},
        **{
            c: " " for c in "\n\r\t\f\v\u00a0\u2010\u2011\u2012\u2013\u2014\u201c\u201d\u00ab\u00bb"
        },
        "\u2019": "'",
        "\u2018": "'",
        "\u00b4": "'",
    }
)
# Phrases shorter than this, and acronyms written in capitals, match only as written or
# with a plural "s": "cot" must not become "coting", "PAH" not "PAHed".
_MIN_INFLECTED_LENGTH = 4


def normalise(text: str) -> str:
    """Lower-case ``text`` without changing its length, so offsets map back one-to-one."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few characters lower-case to two (e.g. "İ"); keep those as they are.
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.translate(_SEPARATORS)


def phrase_key(phrase: str) -> str:
    """The phrase as it appears in normalised text ("lead (Pb)" → "lead  pb")."""
    return normalise(phrase).strip()


def inflections(phrase: str) -> set[str]:
    """The phrase and the plain inflections of its last word (normalised)."""
    key = phrase_key(phrase)
    if not key:
        return set()
    forms = {key, key + "s"}
    if len(key) < _MIN_INFLECTED_LENGTH or any(c.isupper() for c in phrase.replace(" ", "")):
        return forms
    forms.update({key + "es", key + "ed", key + "ing", key + "d"})
    if key.endswith("e"):
        forms.add(key[:-1] + "ing")
    if key.endswith("y") and len(key) > 1 and key[-2] not in "aeiou":
        forms.add(key[:-1] + "ies")
    if key.endswith("s"):
        forms.discard(key + "s")
    return forms


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int
    payloads: tuple[Hashable, ...]


class PhraseMatcher:
    """All listed phrases found in a text, each with its span and payloads."""

    def __init__(self, entries: Iterable[tuple[str, Hashable | None]], *, inflect: bool = True):
        table: dict[str, list[Hashable | None]] = {}
        for phrase, payload in entries:
            forms = inflections(phrase) if inflect else {phrase_key(phrase)}
            for form in forms:
                payloads = table.setdefault(form, [])
                if payload not in payloads:
                    payloads.append(payload)
        self._automaton = ahocorasick.Automaton()
        for form, payloads in table.items():
            self._automaton.add_word(" " + form, (len(form), tuple(payloads)))
        self._empty = not table
        if table:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[PhraseMatch]:
        """Matches in text order; contained matches and blockers removed."""
        if self._empty or not text:
            return []
        norm = normalise(text)
        n = len(norm)
        found: list[tuple[int, int, tuple[Hashable | None, ...]]] = []
        # " " + norm: index i of the padded text is index i - 1 of the text, so a match
        # ending at padded index e ends (exclusive) at text index e.
        for end, (length, payloads) in self._automaton.iter(" " + norm):
            if end < n and norm[end].isalnum():
                continue
            found.append((end - length, end, payloads))
        if not found:
            return []
        # Longest-first within a start position; a payload is hidden when an earlier-starting
        # (or same-starting, longer) match of its type, or a blocker, reaches at least as far.
        found.sort(key=lambda m: (m[0], -m[1]))
        kept: list[PhraseMatch] = []
        reach: dict[type, int] = {}
        blocked = -1
        for start, end, payloads in found:
            if end <= blocked:
                continue
            real = tuple(p for p in payloads if p is not None and end > reach.get(type(p), -1))
            for payload in payloads:
                if payload is None:
                    blocked = max(blocked, end)
                else:
                    reach[type(payload)] = max(reach.get(type(payload), -1), end)
            if real:
                kept.append(PhraseMatch(start, end, real))
        return kept
