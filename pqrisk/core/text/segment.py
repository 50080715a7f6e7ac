"""Word segmentation (分词) with jieba and a domain user dictionary.

jieba's own dictionary splits domain words ("电动自行车" → 电动 / 自行车, "邻苯二甲酸酯" into
pieces, brand and enterprise names into syllables). ``build_user_dictionary`` turns word lists
— catalogue names and keywords, hazard keywords, brands, enterprise names (the Django side
passes those from the database) — into a user dictionary; ``Segmenter`` is jieba with it.

Measured (benchmarks/bench_extract.py): jieba's import takes ≈ 0.6 s (it loads
pkg_resources), its first initialisation ≈ 2 s (it then caches its prefix dictionary in the
temp directory and later starts take ≈ 1.3 s), and cutting a 300-character text costs four to
five times the whole extraction — which is why extraction (``pqrisk.core.screening.extract``)
does not segment and uses one Aho–Corasick pass instead. Segmentation is for the
classifier's features and for analysts' term lists, off the hot path.

A ``Segmenter`` is lazy (jieba is imported and initialised on first use), quiet (jieba's
"Building prefix dict…" log lines are silenced while it initialises) and private (its own
``jieba.Tokenizer``; the global ``jieba`` dictionary is left alone). It downloads nothing:
jieba ships its dictionary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pqrisk.core.text.normalize import clean_text

# Word kinds of the user dictionary, written as jieba part-of-speech tags (our names).
PRODUCT, HAZARD, BRAND, ENTERPRISE, OTHER = "product", "hazard", "brand", "enterprise", "other"
_PRIORITY = (PRODUCT, HAZARD, BRAND, ENTERPRISE, OTHER)
# Our choice: high enough that a dictionary word stays whole against jieba's split of it in
# the usual contexts (jieba's median word frequency is ~3; 电动 has 1,447, 自行车 1,318).
DEFAULT_FREQUENCY = 20_000
MIN_LENGTH = 2
# jieba keeps a word whole only when it is made of these characters (its re_han_default).
_JIEBA_WORD_CHARS = frozenset("+#&._%-")


@dataclass(frozen=True)
class UserWord:
    word: str
    frequency: int
    kind: str


def _usable(word: str) -> bool:
    return len(word) >= MIN_LENGTH and all(
        ch.isalnum() or ch in _JIEBA_WORD_CHARS or "\u4e00" <= ch <= "\u9fff" for ch in word
    )


def build_user_dictionary(
    *,
    products: Iterable[str] = (),
    hazards: Iterable[str] = (),
    brands: Iterable[str] = (),
    enterprises: Iterable[str] = (),
    other: Iterable[str] = (),
    frequency: int = DEFAULT_FREQUENCY,
) -> list[UserWord]:
    """A user dictionary from word lists: each word cleaned (``clean_text``), kept once with
    the first kind in the order product, hazard, brand, enterprise, other; words jieba cannot
    keep whole (one character, spaces or punctuation inside) are left out. Pure: the same
    lists give the same dictionary, sorted by kind then word."""
    seen: dict[str, str] = {}
    for kind, words in zip(_PRIORITY, (products, hazards, brands, enterprises, other), strict=True):
        for raw in words:
            word = clean_text(raw)
            if _usable(word) and word not in seen:
                seen[word] = kind
    order = {kind: i for i, kind in enumerate(_PRIORITY)}
    return [
        UserWord(word, frequency, kind)
        for word, kind in sorted(seen.items(), key=lambda kv: (order[kv[1]], kv[0]))
    ]


def user_dictionary_text(words: Iterable[UserWord]) -> str:
    """The dictionary in jieba's file format ("word frequency tag" lines), for inspection or
    ``jieba.load_userdict``."""
    return "".join(f"{w.word} {w.frequency} {w.kind}\n" for w in words)


def default_user_dictionary() -> list[UserWord]:
    """Catalogue names and keywords, hazard keywords and the known brands of the package."""
    from pqrisk.core.screening.extract import known_brands
    from pqrisk.taxonomy.loader import load_hazards, load_products

    return build_user_dictionary(
        products=[w for p in load_products() for w in (p.name, *p.keywords)],
        hazards=[w for h in load_hazards() for w in (h.name, *h.keywords)],
        brands=known_brands(),
    )


class Segmenter:
    """jieba with a user dictionary; build once per process (initialisation takes seconds and
    each instance holds jieba's dictionary, ~40 MB), then ``cut`` many texts. Thread-safe."""

    def __init__(
        self,
        user_words: Iterable[UserWord | str] = (),
        *,
        hmm: bool = True,
        cache_dir: str | None = None,
    ) -> None:
        self.user_words = [
            w if isinstance(w, UserWord) else UserWord(w, DEFAULT_FREQUENCY, OTHER)
            for w in user_words
        ]
        self.hmm = hmm
        self.cache_dir = cache_dir
        self.init_seconds: float | None = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _ready(self) -> Any:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._initialise()
        return self._tokenizer

    def _initialise(self) -> Any:
        started = time.perf_counter()
        import jieba

        logger = logging.getLogger("jieba")
        level = logger.level
        logger.setLevel(logging.WARNING)  # "Building prefix dict…", "Loading model cost…"
        try:
            tokenizer = jieba.Tokenizer()
            if self.cache_dir:
                tokenizer.tmp_dir = self.cache_dir
            tokenizer.initialize()
            for w in self.user_words:
                tokenizer.add_word(w.word, w.frequency, w.kind)
        finally:
            logger.setLevel(level)
        self.init_seconds = time.perf_counter() - started
        return tokenizer

    def warm_up(self) -> float:
        """Initialise now (otherwise the first ``cut`` does); returns the seconds it took."""
        self._ready()
        return self.init_seconds or 0.0

    def cut(self, text: str) -> list[str]:
        """The words of ``text`` (already normalised), spaces dropped."""
        return [w for w in self._ready().cut(text, HMM=self.hmm) if not w.isspace()]

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for every word of ``text``, spaces dropped."""
        return [
            (w, start, end)
            for w, start, end in self._ready().tokenize(text, HMM=self.hmm)
            if not w.isspace()
        ]
