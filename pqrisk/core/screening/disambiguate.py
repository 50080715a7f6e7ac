"""Semantic disambiguation (语义消歧): which thing an ambiguous word names, from its context.

Some words name different things: 苹果 the phone brand or the fruit, 小米 the brand or the
grain, 老板 the kitchen-appliance brand or the shop owner, 电池 of an e-bike, of a toy or of a
phone. The table ``data/ambiguous_terms.toml`` lists each such term with its senses — a
catalogue entry (``product``), a ``brand`` or ``other`` (not a product) — and the cue words
that point to each sense. It is data, so analysts can extend it; the rules are here:

- A mention looks at ``window`` characters on each side (12 by default). Each distinct
  ``cues`` word of a sense in the window scores 1; a ``before`` word ending right where the
  mention starts, or an ``after`` word starting right where it ends, scores 3 (苹果|手机,
  一斤|苹果, 老板|说). A word counts once, with its highest score.
- When no cue of any sense is in the window, ``cues`` words anywhere in the text score 1 each
  (a title "苹果又自燃了" with "充电" in the body); the basis is then "document".
- The best sense is chosen only when its score is at least twice the runner-up's plus one
  (1:0, 3:1, 4:1, but not 1:1 or 2:1). Otherwise the mention is ``ambiguous``: its
  candidates are the senses that scored (all senses when none did). It is never guessed.

Matching uses the fast lexicon of ``pqrisk.core.text.lexicon``. Extraction looks for the
terms in its shared pass and runs this (terms and cues) only on texts that have one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pqrisk.core.text.lexicon import Lexicon, lower_same_length

DATA_PACKAGE = "pqrisk.core.screening"
DATA_FILE = "ambiguous_terms.toml"
PRODUCT, BRAND, OTHER = "product", "brand", "other"
KINDS = (PRODUCT, BRAND, OTHER)
RESOLVED, AMBIGUOUS = "resolved", "ambiguous"
CONTEXT, DOCUMENT, NONE = "context", "document", "none"
DEFAULT_WINDOW = 12
ADJACENT_WEIGHT = 3
WINDOW_WEIGHT = 1
_CUES, _BEFORE, _AFTER = "cues", "before", "after"


class DisambiguationTableError(ValueError):
    """The disambiguation table is malformed; the message names the term."""


@dataclass(frozen=True)
class Sense:
    """One meaning of an ambiguous term. ``code`` is the catalogue code of a product sense,
    ``brand`` the brand name of a brand sense; ``label`` is shown to analysts."""

    term: str
    key: str
    kind: str
    label: str
    code: str = ""
    brand: str = ""


@dataclass(frozen=True)
class CueHit:
    """A cue word found for ``sense`` (its key) at ``start:end``, with the score it gave."""

    sense: str
    word: str
    start: int
    end: int
    weight: int


@dataclass(frozen=True)
class Resolution:
    """What the mention ``start:end`` of ``term`` names. ``sense`` is set only when
    ``status`` is RESOLVED; ``cues`` are the words that decided (or conflicted)."""

    term: str
    start: int
    end: int
    status: str
    sense: Sense | None
    candidates: tuple[Sense, ...]
    cues: tuple[CueHit, ...]
    basis: str
    scores: tuple[tuple[str, int], ...] = ()

    @property
    def resolved(self) -> bool:
        return self.status == RESOLVED


@dataclass(frozen=True)
class TermSpec:
    term: str
    window: int
    senses: tuple[Sense, ...]
    # Per sense (same order): window cues, words right before, words right after.
    cues: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]


def _words(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
        raise DisambiguationTableError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def parse_table(source: str) -> list[TermSpec]:
    """The terms of a disambiguation table in TOML (see ``data/ambiguous_terms.toml``)."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DisambiguationTableError(f"not valid TOML: {exc}") from None
    default_window = data.get("window", DEFAULT_WINDOW)
    specs: list[TermSpec] = []
    seen: set[str] = set()
    for item in data.get("term", []):
        term = item.get("term")
        if not isinstance(term, str) or not term:
            raise DisambiguationTableError("a [[term]] has no term")
        if term in seen:
            raise DisambiguationTableError(f"{term}: listed twice")
        seen.add(term)
        window = item.get("window", default_window)
        if not isinstance(window, int) or window < 0:
            raise DisambiguationTableError(f"{term}: window must be a non-negative integer")
        senses: list[Sense] = []
        cues = []
        for raw in item.get("sense", []):
            key, kind = raw.get("key", ""), raw.get("kind", "")
            where = f"{term}/{key or '?'}"
            if not key or key in {s.key for s in senses}:
                raise DisambiguationTableError(f"{where}: every sense needs its own key")
            if kind not in KINDS:
                raise DisambiguationTableError(f"{where}: kind must be one of {KINDS}")
            code, brand = raw.get("code", ""), raw.get("brand", "")
            if kind == PRODUCT and not code:
                raise DisambiguationTableError(f"{where}: a product sense needs a code")
            if kind == BRAND and not brand:
                raise DisambiguationTableError(f"{where}: a brand sense needs a brand")
            senses.append(Sense(term, key, kind, raw.get("label") or key, code, brand))
            cues.append(
                (
                    _words(raw.get(_CUES), where + ".cues"),
                    _words(raw.get(_BEFORE), where + ".before"),
                    _words(raw.get(_AFTER), where + ".after"),
                )
            )
        if len(senses) < 2:
            raise DisambiguationTableError(f"{term}: an ambiguous term needs two senses or more")
        specs.append(TermSpec(term, window, tuple(senses), tuple(cues)))
    return specs


def load_table() -> list[TermSpec]:
    """The packaged table ``data/ambiguous_terms.toml``."""
    path = resources.files(DATA_PACKAGE).joinpath("data", DATA_FILE)
    return parse_table(path.read_text(encoding="utf-8"))


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Disambiguator:
    """Resolves ambiguous terms in texts; build once (the table is parsed and indexed)."""

    def __init__(self, specs: Iterable[TermSpec]) -> None:
        self.specs: dict[str, TermSpec] = {}
        # The terms alone (for a shared pass), every cue (scanned in the window around a
        # mention) and the window cues alone (scanned over the text when the window has none).
        self.term_lexicon: Lexicon[str] = Lexicon()
        self._cues: Lexicon[tuple[str, int, str]] = Lexicon()
        self._document_cues: Lexicon[tuple[str, int, str]] = Lexicon()
        longest = 1
        for spec in specs:
            self.specs[spec.term] = spec
            self.term_lexicon.add(lower_same_length(spec.term), spec.term)
            for index, (cues, before, after) in enumerate(spec.cues):
                for role, words in ((_CUES, cues), (_BEFORE, before), (_AFTER, after)):
                    for word in words:
                        key = lower_same_length(word)
                        self._cues.add(key, (spec.term, index, role))
                        if role == _CUES:
                            self._document_cues.add(key, (spec.term, index, role))
                        longest = max(longest, len(key))
        self._longest_cue = longest

    @classmethod
    def default(cls) -> Disambiguator:
        """The disambiguator over the packaged table (cached)."""
        return _default()

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(self.specs)

    def senses(self, term: str) -> tuple[Sense, ...]:
        spec = self.specs.get(term)
        return spec.senses if spec else ()

    def resolve(self, text: str) -> list[Resolution]:
        """Every mention of an ambiguous term in ``text`` (normalised), resolved or not."""
        lowered = lower_same_length(text)
        mentions = [(s, e, p[0]) for s, e, p in self.term_lexicon.matches(lowered)]
        return self.resolve_mentions(lowered, mentions)

    def resolve_mentions(
        self, text: str, mentions: Iterable[tuple[int, int, str]]
    ) -> list[Resolution]:
        """Resolve ``mentions`` (start, end, term) found in ``text`` (lower-cased) by a pass
        shared with other lexicons. Cue words are looked for in each mention's window, and
        over the whole text only when a window has none."""
        document: dict[str, list[tuple[int, int, int, str]]] | None = None
        out = []
        for start, end, term in sorted(mentions):
            spec = self.specs[term]
            lo = max(0, start - spec.window - self._longest_cue)
            window = self._cue_hits(text[lo : end + spec.window + self._longest_cue], lo, term)
            resolution = self._resolve_one(text, (start, end, term), window, CONTEXT)
            if resolution.basis == NONE:
                if document is None:
                    document = {}
                    for s, e, payloads in self._document_cues.matches(text):
                        for cue_term, index, role in payloads:
                            if not self._latin_cut(text, s):
                                document.setdefault(cue_term, []).append((s, e, index, role))
                resolution = self._resolve_one(
                    text, (start, end, term), document.get(term, []), DOCUMENT
                )
            out.append(resolution)
        return out

    @staticmethod
    def _latin_cut(text: str, start: int) -> bool:
        return start > 0 and _is_latin(text[start]) and _is_latin(text[start - 1])

    def _cue_hits(self, part: str, offset: int, term: str) -> list[tuple[int, int, int, str]]:
        hits = []
        for s, e, payloads in self._cues.matches(part):
            for cue_term, index, role in payloads:
                if cue_term == term and not (s and _is_latin(part[s]) and _is_latin(part[s - 1])):
                    hits.append((s + offset, e + offset, index, role))
        return hits

    def _resolve_one(
        self,
        text: str,
        mention: tuple[int, int, str],
        cues: list[tuple[int, int, int, str]],
        basis: str,
    ) -> Resolution:
        """Score the senses of one mention from ``cues`` found in its window (basis CONTEXT:
        adjacency and window rules) or anywhere in the text (basis DOCUMENT: 1 a word)."""
        start, end, term = mention
        spec = self.specs[term]
        lo, hi = start - spec.window, end + spec.window
        best: dict[tuple[int, str], tuple[int, int, int]] = {}  # (sense, word) -> weight, s, e
        for c_start, c_end, index, role in cues:
            if basis == DOCUMENT:
                weight = WINDOW_WEIGHT
            elif role == _BEFORE:
                weight = ADJACENT_WEIGHT if c_end == start else 0
            elif role == _AFTER:
                weight = ADJACENT_WEIGHT if c_start == end else 0
            else:
                weight = WINDOW_WEIGHT if c_end > lo and c_start < hi else 0
            if weight:
                word_key = (index, text[c_start:c_end])
                if weight > best.get(word_key, (0, 0, 0))[0]:
                    best[word_key] = (weight, c_start, c_end)
        scores = [0] * len(spec.senses)
        for (index, _word), (weight, _s, _e) in best.items():
            scores[index] += weight
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        top = scores[order[0]]
        second = scores[order[1]] if len(order) > 1 else 0
        hits = [
            CueHit(spec.senses[index].key, word, s, e, weight)
            for (index, word), (weight, s, e) in sorted(best.items(), key=lambda kv: kv[1][1])
        ]
        score_pairs = tuple((spec.senses[i].key, scores[i]) for i in range(len(scores)))
        if top > 0 and top >= 2 * second + 1:
            sense = spec.senses[order[0]]
            return Resolution(
                term,
                start,
                end,
                RESOLVED,
                sense,
                (sense,),
                tuple(h for h in hits if h.sense == sense.key),
                basis,
                score_pairs,
            )
        scored = tuple(spec.senses[i] for i in order if scores[i] > 0)
        return Resolution(
            term,
            start,
            end,
            AMBIGUOUS,
            None,
            scored or spec.senses,
            tuple(hits),
            basis if hits else NONE,
            score_pairs,
        )


@cache
def _default() -> Disambiguator:
    return Disambiguator(load_table())


def disambiguate(text: str) -> list[Resolution]:
    """Ambiguous terms in ``text`` resolved with the packaged table."""
    return _default().resolve(text)
