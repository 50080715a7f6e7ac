"""Trainable text classifiers for screening: relevance (is this item about a product
quality-safety risk at all?) and risk category.

One machine does both: TF-IDF over character n-grams of the normalised text (optionally united
with jieba word n-grams), then a linear model with balanced class weights whose probabilities
give each prediction a score. A model is saved with joblib beside its training metadata
(labels, label names, where the training data came from and its sha256, row counts, the
scikit-learn version, cross-validation scores and the decision threshold); ``load`` refuses a
file written by another scikit-learn version before unpickling any scikit-learn object.

Loading a model unpickles it: load only files this project wrote (the shipped models or your
own ``pqrisk classify train`` output), never a file from an untrusted source.

Nothing here downloads anything: jieba's dictionary ships inside its wheel, and the shipped
models are files in this package (rebuilt by ``scripts/train_models.py``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from pqrisk.core.modelfile import (
    check_sklearn_version,
    read_model_file,
    unpickle,
    write_model_file,
)
from pqrisk.core.text.normalize import normalize_text

FORMAT = "pqrisk-text-classifier"
FORMAT_VERSION = 1
MODEL_DIR = Path(__file__).parent / "data"
RELEVANCE_MODEL = MODEL_DIR / "relevance.joblib"
CATEGORY_MODEL = MODEL_DIR / "category.joblib"

# jieba logs "Building prefix dict..." at DEBUG/INFO to stderr on first use.
jieba.setLogLevel(logging.WARNING)


class ClassifierError(ValueError):
    """A model or training set that cannot be used; ``message_zh`` says why to the user."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


class ModelVersionError(ClassifierError):
    """The file is not a model of this format, or was written by another scikit-learn."""


# --------------------------------------------------------------------------- features


@cache
def _tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer: a user dictionary loaded into jieba's global one elsewhere
    must not change the features of a trained model."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def jieba_words(text: str) -> list[str]:
    """jieba's words of ``text`` (precise mode, no HMM for unknown words), without tokens that
    are only punctuation or whitespace. Module-level so that a saved vectorizer can find it."""
    return [w for w in _tokenizer().lcut(text, HMM=False) if any(ch.isalnum() for ch in w)]


@dataclass(frozen=True)
class ClassifierConfig:
    """Features and model. ``head_chars`` keeps only the first characters of each normalised
    text (None: the whole text): news items lead with title, date and keywords, and on the
    shared news corpus the lead predicts the category better than the whole article. The
    defaults are the configuration chosen by cross-validation there (docs/screening.md)."""

    char_ngrams: tuple[int, int] | None = (1, 3)
    word_ngrams: tuple[int, int] | None = (1, 2)
    head_chars: int | None = 120
    sublinear_tf: bool = True
    min_df: int = 2
    max_features: int | None = None
    model: str = "logreg"  # "logreg" or "svc" (LinearSVC with sigmoid-calibrated probabilities)
    C: float = 2.0
    class_weight: str | None = "balanced"

    def __post_init__(self) -> None:
        if self.char_ngrams is None and self.word_ngrams is None:
            raise ValueError("a classifier needs character or word n-grams")
        if self.model not in ("logreg", "svc"):
            raise ValueError(f"unknown model {self.model!r} (logreg or svc)")

    def describe(self) -> str:
        parts = []
        if self.char_ngrams:
            parts.append(f"char {self.char_ngrams[0]}-{self.char_ngrams[1]}")
        if self.word_ngrams:
            parts.append(f"jieba word {self.word_ngrams[0]}-{self.word_ngrams[1]}")
        head = f"first {self.head_chars} chars" if self.head_chars else "whole text"
        return f"{' + '.join(parts)} TF-IDF, {head}, {self.model} C={self.C}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifierConfig:
        data = dict(data)
        for key in ("char_ngrams", "word_ngrams"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def prepare(text: str, head_chars: int | None = None) -> str:
    """The text a model sees: normalised (``normalize_text``), cut to ``head_chars``."""
    clean = normalize_text(text or "")
    return clean[:head_chars] if head_chars else clean


def build_pipeline(config: ClassifierConfig, n_rows: int | None = None) -> Pipeline:
    """An unfitted scikit-learn pipeline for ``config`` (texts must already be prepared)."""
    min_df = config.min_df if n_rows is None or n_rows >= 20 * config.min_df else 1
    common: dict[str, Any] = {
        "sublinear_tf": config.sublinear_tf,
        "min_df": min_df,
        "max_features": config.max_features,
        "dtype": np.float32,
    }
    blocks: list[tuple[str, Any]] = []
    if config.char_ngrams:
        blocks.append(
            (
                "char",
                TfidfVectorizer(
                    analyzer="char", ngram_range=config.char_ngrams, lowercase=True, **common
                ),
            )
        )
    if config.word_ngrams:
        blocks.append(
            (
                "word",
                TfidfVectorizer(
                    tokenizer=jieba_words,
                    token_pattern=None,
                    lowercase=True,
                    ngram_range=config.word_ngrams,
                    **common,
                ),
            )
        )
    features: Any = blocks[0][1] if len(blocks) == 1 else FeatureUnion(blocks)
    model: Any
    if config.model == "logreg":
        model = LogisticRegression(C=config.C, class_weight=config.class_weight, max_iter=5000)
    else:
        model = CalibratedClassifierCV(
            LinearSVC(C=config.C, class_weight=config.class_weight),
            method="sigmoid",
            cv=3,
        )
    return Pipeline([("features", features), ("model", model)])


# --------------------------------------------------------------------------- fast char n-grams

_U64 = np.uint64
# Texts that exercise the analyser's rules (case, runs of whitespace, a lone character, an
# astral character, no text at all): a counter must count these as scikit-learn does.
_SELF_CHECK = (
    "", "a", "电", "Ab  C\n\tD ", "电动自行车  充电时起火，3人受伤。", "𠀀x𠀀", "ΑΣ Σ",
    "\u3000 \u00a0x", "  ", "电池鼓包\n\n电池",
)  # fmt: skip


class CharNgramCounts:
    """The term counts of a fitted ``TfidfVectorizer(analyzer="char")``, computed with numpy:
    the same sparse matrix as scikit-learn's own counting (``_count_vocab``), which cuts every
    text into n-grams and looks each up in a dict in Python (~270 µs per 300-character text;
    this takes ~40 µs in batches, benchmarks/bench_screen.py --model).

    Each character of the vocabulary gets a number (1, 2, … in code-point order; 0 for any
    other character), an n-gram of up to three characters a 64-bit key made of the numbers
    of its characters and of its text's position in the batch. Sorting the keys counts
    equal n-grams of a text; the vocabulary, sorted the same way, gives their columns by
    binary search. An n-gram with a character of number 0 is in no vocabulary; a 0 between
    two texts keeps n-grams from spanning them.

    ``for_vectorizer`` returns None for a vectorizer it cannot reproduce (another analyser,
    a preprocessor, accents stripped, n-grams over three characters, too many characters)
    or when its counts of a few test texts differ from scikit-learn's: prediction then keeps
    scikit-learn's path, so the counts, and the predictions, are always scikit-learn's.
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        low, high = vectorizer.ngram_range
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        # By length: the n-grams of each length are keyed together. Others never occur.
        grams = sorted((g for g in vocabulary if low <= len(g) <= high), key=len)
        alphabet = sorted(set("".join(grams)))
        self.low, self.high = low, high
        self.bits = max(1, len(alphabet).bit_length())  # per character of a key
        self.features = len(vocabulary)
        self.feature_bits = max(1, (self.features - 1).bit_length())
        self.vectorizer = vectorizer
        self.lowercase = bool(vectorizer.lowercase)
        self.dtype = vectorizer.dtype
        self.white_spaces = vectorizer._white_spaces  # scikit-learn's own rule: r"\s\s+"
        # Character numbers by code point, up to the last character of the vocabulary; the
        # extra last entry (0) stands for every code point above it.
        top = max(map(ord, alphabet), default=0)
        self.numbers = np.zeros(top + 2, dtype=np.uint32)
        self.numbers[[ord(ch) for ch in alphabet]] = np.arange(1, len(alphabet) + 1)
        keys = np.zeros(len(grams), dtype=_U64)
        sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        for n in range(low, high + 1):
            start, stop = np.searchsorted(sizes, [n, n + 1]).tolist()
            codes = self._codes("".join(grams[start:stop])).reshape(-1, n)
            numbers = self.numbers[codes].astype(_U64)
            keys[start:stop] = self._gram_keys([numbers[:, j] for j in range(n)], 0)
        columns = np.fromiter((vocabulary[g] for g in grams), dtype=np.int64, count=len(grams))
        order = np.argsort(keys)
        self.keys, self.columns = keys[order], columns[order]

    @classmethod
    def for_vectorizer(cls, vectorizer: Any) -> CharNgramCounts | None:
        """A counter for ``vectorizer``, or None (see the class docstring)."""
        if not (
            type(vectorizer) is TfidfVectorizer
            and vectorizer.analyzer == "char"
            and vectorizer.input == "content"
            and vectorizer.preprocessor is None
            and vectorizer.strip_accents is None
            and 1 <= vectorizer.ngram_range[0] <= vectorizer.ngram_range[1] <= 3
            and isinstance(getattr(vectorizer, "vocabulary_", None), dict)
            and hasattr(vectorizer, "_white_spaces")
        ):
            return None
        counter = cls(vectorizer)
        # A key holds three characters and at least one bit of the text's position.
        if 3 * counter.bits >= 64 or not counter.keys.size:
            return None
        sample = [*_SELF_CHECK, " ".join(list(vectorizer.vocabulary_)[:300])]
        expected = vectorizer._count_vocab(sample, fixed_vocab=True)[1]
        if not _same_matrix(counter.counts(sample), expected):
            return None
        return counter

    @staticmethod
    def _codes(text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    def _gram_keys(self, chars: list[np.ndarray], shift: int) -> np.ndarray:
        """Keys of n-grams given the numbers of their first, second … characters, shifted
        left by ``shift`` bits; the first character in the highest bits, so keys sort as the
        n-grams do (a shorter n-gram before its extensions, as strings)."""
        key = chars[0] << _U64(self.bits * 2 + shift)
        for j, numbers in enumerate(chars[1:], 1):
            key |= numbers << _U64(self.bits * (2 - j) + shift)
        return key

    def transform(self, texts: Sequence[str]) -> Any:
        """``vectorizer.transform(texts)``: these counts, weighted by the vectorizer's own
        TF-IDF step (as ``TfidfVectorizer.transform`` does after counting)."""
        counts = self.counts(texts)
        if self.vectorizer.binary:
            counts.data.fill(1)
        return self.vectorizer._tfidf.transform(counts, copy=False)

    def counts(self, texts: Sequence[str]) -> Any:
        """``vectorizer._count_vocab(texts, fixed_vocab=True)[1]``: a CSR array of counts."""
        # Texts per batch: the text's position takes the bits a key leaves, and a batch's
        # arrays take ~240 bytes a character while it runs (128 texts of 300 characters:
        # ~9 MB; larger batches were no faster).
        per_batch = 1 << min(7, 64 - 3 * self.bits)
        parts = [self._batch(texts[i : i + per_batch]) for i in range(0, len(texts), per_batch)]
        indptr = np.concatenate([np.zeros(1, np.int64), *(p[0] for p in parts)]).cumsum()
        # scikit-learn's index type: 32 bits unless the entries need more.
        index_type = np.int32 if indptr[-1] <= np.iinfo(np.int32).max else np.int64
        matrix = sp.csr_array(
            (
                np.concatenate([np.zeros(0, np.intc), *(p[2] for p in parts)]),
                np.concatenate([np.zeros(0, index_type), *(p[1] for p in parts)]),
                indptr.astype(index_type),
            ),
            shape=(len(texts), self.features),
            dtype=self.dtype,
        )
        matrix.sort_indices()  # sorted already; sets the flag as scikit-learn's does
        return matrix

    def _batch(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entries per text, columns, counts) of ``docs``, columns ascending in each text."""
        texts = [self.white_spaces.sub(" ", d.lower() if self.lowercase else d) for d in docs]
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = self._codes("".join(texts))
        # Character numbers with a 0 after each text, and the text of each position.
        chars = np.zeros(codes.size + len(texts), dtype=_U64)
        at_char = np.arange(codes.size) + np.repeat(np.arange(len(texts)), sizes)
        chars[at_char] = self.numbers[np.minimum(codes, self.numbers.size - 1)]
        text_of = np.repeat(np.arange(len(texts), dtype=_U64), sizes + 1)
        text_bits = max(1, (len(texts) - 1).bit_length())
        keys = []
        for n in range(self.low, self.high + 1):
            m = chars.size - n + 1
            if m <= 0:
                break
            nth = [chars[j : j + m] for j in range(n)]  # the j-th character of each n-gram
            known = nth[0] != 0
            for following in nth[1:]:
                known &= following != 0
            keys.append((self._gram_keys(nth, text_bits) | text_of[:m])[known])
        found = np.sort(np.concatenate([np.zeros(0, _U64), *keys]))
        # Runs of equal keys: the same n-gram in the same text.
        first = np.flatnonzero(np.concatenate([[True], found[1:] != found[:-1]]))[: found.size]
        unique = found[first]
        repeats = np.diff(first, append=found.size).astype(_U64)
        grams = unique >> _U64(text_bits)
        at = np.searchsorted(self.keys, grams)
        at[at == self.keys.size] = 0
        hit = self.keys[at] == grams
        columns = self.columns[at[hit]].astype(_U64)
        text = unique[hit] & _U64((1 << text_bits) - 1)
        repeats = repeats[hit]
        # By text, then column: one sort of (text, column, count) packed in 64 bits.
        count_bits = max(1, int(repeats.max(initial=1)).bit_length())
        if text_bits + self.feature_bits + count_bits <= 64:
            packed = np.sort(
                (text << _U64(self.feature_bits + count_bits))
                | (columns << _U64(count_bits))
                | repeats
            )
            text = packed >> _U64(self.feature_bits + count_bits)
            columns = (packed >> _U64(count_bits)) & _U64((1 << self.feature_bits) - 1)
            repeats = packed & _U64((1 << count_bits) - 1)
        else:
            order = np.lexsort((columns, text))
            text, columns, repeats = text[order], columns[order], repeats[order]
        entries = np.bincount(text.astype(np.intp), minlength=len(texts))
        return entries, columns.astype(np.int64), repeats.astype(np.intc)


def _same_matrix(a: Any, b: Any) -> bool:
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


# The grid ``select_config`` searches by default (``pqrisk classify train --select``).
CANDIDATES: tuple[ClassifierConfig, ...] = (
    ClassifierConfig(),
    ClassifierConfig(word_ngrams=None),
    ClassifierConfig(word_ngrams=None, head_chars=400),
    ClassifierConfig(word_ngrams=None, model="svc", C=0.3),
)


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class TrainingSource:
    """Where training rows came from: a file name (or a description) and the sha256 of its
    bytes (of the texts and labels used, for data built in memory)."""

    name: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class CVReport:
    """Stratified k-fold cross-validation on the training data: out-of-fold predictions."""

    folds: int
    macro_f1: float
    macro_f1_folds: tuple[float, ...]
    accuracy: float
    per_class_f1: dict[str, float]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows true label, columns predicted, in ``labels``

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CVReport:
        return cls(
            folds=data["folds"],
            macro_f1=data["macro_f1"],
            macro_f1_folds=tuple(data["macro_f1_folds"]),
            accuracy=data["accuracy"],
            per_class_f1=dict(data["per_class_f1"]),
            labels=tuple(data["labels"]),
            confusion=tuple(tuple(r) for r in data["confusion"]),
        )


@dataclass(frozen=True)
class ModelMetadata:
    task: str
    labels: tuple[str, ...]
    label_names: dict[str, str]
    config: ClassifierConfig
    training: tuple[TrainingSource, ...]
    rows: int
    rows_per_label: dict[str, int]
    skipped_rows: int
    sklearn_version: str
    created_at: str
    n_features: int
    cv: CVReport | None = None
    # Binary models: ``positive_label`` is predicted when its probability is at least
    # ``threshold``. Multi-class models: predictions scoring below ``threshold`` are kept
    # but flagged uncertain (see ``Prediction.confident``).
    threshold: float | None = None
    positive_label: str | None = None
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        data = dict(data)
        data["labels"] = tuple(data["labels"])
        data["config"] = ClassifierConfig.from_dict(data["config"])
        data["training"] = tuple(TrainingSource(**t) for t in data["training"])
        data["cv"] = CVReport.from_dict(data["cv"]) if data.get("cv") else None
        return cls(**data)


@dataclass(frozen=True)
class Prediction:
    label: str  # "" when the text was empty
    score: float | None  # probability of ``label``
    confident: bool  # score at or above the model's threshold (always True without one)
    error: str = ""  # why there is no prediction, in Chinese


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_rows(texts: Iterable[str], labels: Iterable[str]) -> str:
    """A digest of (text, label) rows, for training data built in memory."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _now() -> str:
    # SOURCE_DATE_EPOCH (reproducible-builds.org): a rebuilt model file can carry a fixed date.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- training


EMPTY_TEXT_ZH = "文本为空"


def _clean_rows(
    texts: Sequence[str], labels: Sequence[Any], head_chars: int | None
) -> tuple[list[str], list[str], int]:
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    kept_texts: list[str] = []
    kept_labels: list[str] = []
    skipped = 0
    for text, label in zip(texts, labels, strict=True):
        clean = prepare(text, head_chars)
        value = "" if label is None else str(label).strip()
        if not clean or not value:
            skipped += 1
            continue
        kept_texts.append(clean)
        kept_labels.append(value)
    return kept_texts, kept_labels, skipped


def _check_labels(labels: Sequence[str]) -> Counter[str]:
    counts = Counter(labels)
    if len(counts) < 2:
        raise ClassifierError(
            f"training needs at least two labels, found {sorted(counts)}",
            f"训练数据至少需要两个类别，现有：{('、'.join(sorted(counts))) or '无'}",
        )
    return counts


def _cv_folds(counts: Counter[str], folds: int) -> int:
    """Stratified k-fold needs every label in every fold: fewer folds for rare labels."""
    return min(folds, min(counts.values()))


def _cv_report(
    y: Sequence[str], pred: Sequence[str], labels: tuple[str, ...], fold_scores: list[float]
) -> CVReport:
    per_class = f1_score(y, pred, labels=list(labels), average=None, zero_division=0)
    return CVReport(
        folds=len(fold_scores),
        macro_f1=round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
        macro_f1_folds=tuple(round(s, 4) for s in fold_scores),
        accuracy=round(float(accuracy_score(y, pred)), 4),
        per_class_f1={lab: round(float(f), 4) for lab, f in zip(labels, per_class, strict=True)},
        labels=labels,
        confusion=tuple(
            tuple(int(v) for v in row) for row in confusion_matrix(y, pred, labels=list(labels))
        ),
    )


def cross_validate_proba(
    config: ClassifierConfig,
    texts: Sequence[str],
    labels: Sequence[Any],
    folds: int = 5,
    seed: int = 0,
    n_jobs: int | None = None,
) -> tuple[CVReport, np.ndarray, list[str]]:
    """Stratified ``folds``-fold cross-validation of ``config``, with the out-of-fold
    probabilities (columns in sorted label order) and the labels of the rows used. Features
    are fitted inside each fold, so no fold sees the vocabulary or IDF of its test part."""
    x, y, _ = _clean_rows(texts, labels, config.head_chars)
    counts = _check_labels(y)
    k = _cv_folds(counts, folds)
    if k < 2:
        raise ClassifierError(
            "cross-validation needs at least two rows of every label",
            "交叉验证要求每个类别至少有两条训练数据",
        )
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    proba = cross_val_predict(
        build_pipeline(config, len(x) * (k - 1) // k),
        x,
        y,
        cv=splitter,
        n_jobs=n_jobs,
        method="predict_proba",
    )
    order = tuple(sorted(counts))
    pred = np.asarray(order)[np.argmax(proba, axis=1)]
    y_arr = np.asarray(y)
    fold_scores = [
        float(f1_score(y_arr[test], pred[test], average="macro", zero_division=0))
        for _, test in splitter.split(x, y)
    ]
    return _cv_report(y, list(pred), order, fold_scores), proba, y


def cross_validate(
    config: ClassifierConfig,
    texts: Sequence[str],
    labels: Sequence[Any],
    folds: int = 5,
    seed: int = 0,
    n_jobs: int | None = None,
) -> CVReport:
    """The report of ``cross_validate_proba``."""
    return cross_validate_proba(config, texts, labels, folds, seed, n_jobs)[0]


def recall_threshold(
    positive_scores: Sequence[float], min_recall: float, cap: float = 0.5
) -> float:
    """The highest threshold, at most ``cap``, that keeps at least ``min_recall`` of the
    positive rows at or above it (scores are out-of-fold probabilities of the positive label).
    Screening prefers reading a noise item to dropping a risk."""
    scores = np.sort(np.asarray(positive_scores, dtype=float))
    if not scores.size:
        return cap
    # At most this many positives may fall below the threshold.
    allowed = int(np.floor((1.0 - min_recall) * scores.size + 1e-9))
    return float(min(cap, scores[allowed]))


def select_config(
    candidates: Sequence[ClassifierConfig] | None,
    texts: Sequence[str],
    labels: Sequence[Any],
    folds: int = 5,
    seed: int = 0,
) -> tuple[ClassifierConfig, list[tuple[ClassifierConfig, CVReport]]]:
    """The candidate with the best cross-validated macro-F1 on the training data (the first
    one on ties), and every candidate's report."""
    reports = [(c, cross_validate(c, texts, labels, folds, seed)) for c in candidates or CANDIDATES]
    best = max(range(len(reports)), key=lambda i: (reports[i][1].macro_f1, -i))
    return reports[best][0], reports


# --------------------------------------------------------------------------- the classifier


class TextClassifier:
    """A trained text classifier and its metadata."""

    def __init__(self, pipeline: Pipeline, metadata: ModelMetadata) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        self._counter: CharNgramCounts | bool | None = False  # False: not looked at yet

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[Any],
        config: ClassifierConfig | None = None,
        *,
        task: str = "category",
        label_names: dict[str, str] | None = None,
        training: Sequence[TrainingSource] = (),
        cv_folds: int = 5,
        cv: CVReport | None = None,
        threshold: float | None = None,
        positive_label: str | None = None,
        notes: str = "",
    ) -> TextClassifier:
        """Train on (text, label) rows; rows whose text is empty after normalisation or whose
        label is empty are skipped and counted. Cross-validates first (``cv_folds`` > 1) unless
        a report is given (``cv``, e.g. from ``select_config``)."""
        config = config or ClassifierConfig()
        x, y, skipped = _clean_rows(texts, labels, config.head_chars)
        counts = _check_labels(y)
        if positive_label is not None and positive_label not in counts:
            raise ClassifierError(
                f"positive label {positive_label!r} is not among the labels {sorted(counts)}",
                f"正类标签“{positive_label}”不在训练数据的类别中",
            )
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ClassifierError(
                f"threshold {threshold} is not a probability",
                f"阈值 {threshold} 应在 0 到 1 之间",
            )
        if positive_label is not None and len(counts) != 2:
            raise ClassifierError(
                "a positive label needs a binary classifier",
                "只有二分类模型可以指定正类标签",
            )
        if cv is None and cv_folds > 1 and _cv_folds(counts, cv_folds) >= 2:
            cv = cross_validate(config, x, y, cv_folds)
        pipeline = build_pipeline(config, len(x))
        pipeline.fit(x, y)
        _drop_stop_words(pipeline)
        names = {str(k): str(v) for k, v in (label_names or {}).items()}
        metadata = ModelMetadata(
            task=task,
            labels=tuple(str(c) for c in pipeline.classes_),
            label_names={k: v for k, v in names.items() if k in counts},
            config=config,
            training=tuple(training) or (TrainingSource("memory", sha256_rows(x, y), len(x)),),
            rows=len(x),
            rows_per_label=dict(sorted(counts.items())),
            skipped_rows=skipped,
            sklearn_version=sklearn.__version__,
            created_at=_now(),
            n_features=_n_features(pipeline),
            cv=cv,
            threshold=threshold,
            positive_label=positive_label,
            notes=notes,
        )
        return cls(pipeline, metadata)

    def with_threshold(self, threshold: float | None) -> TextClassifier:
        return TextClassifier(self.pipeline, replace(self.metadata, threshold=threshold))

    # ------------------------------------------------------------------ prediction
    @property
    def labels(self) -> tuple[str, ...]:
        return self.metadata.labels

    def label_name(self, label: str) -> str:
        return self.metadata.label_names.get(label, label)

    def _prepared(self, texts: Iterable[str]) -> list[str]:
        return [prepare(t, self.metadata.config.head_chars) for t in texts]

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in ``labels`` order. An empty text gets
        the model's answer for an empty string; ``predict`` reports it as an error instead."""
        prepared = self._prepared(texts)
        if not prepared:
            return np.zeros((0, len(self.labels)))
        return self._pipeline_proba(prepared)

    def _pipeline_proba(self, prepared: list[str]) -> np.ndarray:
        """``pipeline.predict_proba(prepared)``; for a char n-gram TF-IDF model the counts come
        from ``CharNgramCounts`` (the same matrix, several times sooner), then scikit-learn's
        own TF-IDF weighting and model, as in ``Pipeline.predict_proba``."""
        if self._counter is False:
            steps = self.pipeline.steps
            self._counter = CharNgramCounts.for_vectorizer(steps[0][1]) if len(steps) == 2 else None
        if not isinstance(self._counter, CharNgramCounts):
            return np.asarray(self.pipeline.predict_proba(prepared))
        model = self.pipeline.steps[-1][1]
        return np.asarray(model.predict_proba(self._counter.transform(prepared)))

    def predict(self, texts: Iterable[str]) -> list[Prediction]:
        texts = list(texts)
        prepared = self._prepared(texts)
        rows = [i for i, t in enumerate(prepared) if t]
        out = [Prediction("", None, False, EMPTY_TEXT_ZH) for _ in prepared]
        if not rows:
            return out
        proba = self._pipeline_proba([prepared[i] for i in rows])
        meta = self.metadata
        positive = self.labels.index(meta.positive_label) if meta.positive_label else None
        for i, p in zip(rows, proba, strict=True):
            if positive is not None:
                # Binary with a threshold: the positive label from its threshold on.
                cut = 0.5 if meta.threshold is None else meta.threshold
                k = positive if p[positive] >= cut else 1 - positive
                out[i] = Prediction(self.labels[k], float(p[k]), True)
            else:
                k = int(np.argmax(p))
                confident = meta.threshold is None or p[k] >= meta.threshold
                out[i] = Prediction(self.labels[k], float(p[k]), bool(confident))
        return out

    def predict_labels(self, texts: Iterable[str]) -> list[str]:
        return [p.label for p in self.predict(texts)]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model atomically (a crash leaves the old file). The metadata is stored as
        plain values beside the pickled pipeline, so ``load`` can read it first."""
        write_model_file(
            path,
            fmt=FORMAT,
            version=FORMAT_VERSION,
            metadata=self.metadata.to_dict(),
            estimator=self.pipeline,
            key="pipeline",
        )

    @staticmethod
    def read_metadata(path: str | os.PathLike[str]) -> tuple[ModelMetadata, bytes]:
        """The metadata of a saved model and its pickled pipeline, without unpickling the
        pipeline. Raises ModelVersionError for a file that is not a model of this format."""
        metadata, blob = read_model_file(
            path,
            fmt=FORMAT,
            version=FORMAT_VERSION,
            key="pipeline",
            what_zh="分类模型",
            error=ModelVersionError,
        )
        return ModelMetadata.from_dict(metadata), blob

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TextClassifier:
        """Read a model written by ``save``. A model written by another scikit-learn version
        raises ModelVersionError (its pickled estimators may not work, or may silently
        predict otherwise): retrain it with this version."""
        metadata, blob = cls.read_metadata(path)
        check_sklearn_version(
            metadata.sklearn_version,
            path,
            what_zh="分类模型",
            retrain_en="retrain the model "
            "(pqrisk classify train, or scripts/train_models.py for the shipped models)",
            retrain_zh="请用 pqrisk classify train 重新训练"
            "（平台自带模型用 scripts/train_models.py 重建）",
            error=ModelVersionError,
        )
        return cls(unpickle(blob), metadata)

    def describe_zh(self) -> list[str]:
        """Lines for the shell: what the model is and how well it cross-validated."""
        m = self.metadata
        names = "、".join(
            f"{lab}（{m.label_names[lab]}）" if lab in m.label_names else lab for lab in m.labels
        )
        lines = [
            f"类别：{names}",
            f"训练数据：{m.rows} 条（跳过 {m.skipped_rows} 条空文本或空标签）；"
            + "，".join(f"{k}: {v}" for k, v in m.rows_per_label.items()),
            f"特征与模型：{m.config.describe()}；特征数 {m.n_features}",
        ]
        if m.cv:
            per_class = "，".join(f"{k}: {v:.3f}" for k, v in m.cv.per_class_f1.items())
            lines.append(
                f"{m.cv.folds} 折交叉验证：macro-F1 {m.cv.macro_f1:.3f}，"
                f"准确率 {m.cv.accuracy:.3f}；各类 F1 {per_class}"
            )
        if m.threshold is not None:
            lines.append(f"阈值：{m.threshold:.3f}")
        return lines


def _drop_stop_words(pipeline: Pipeline) -> None:
    """Drop each vectorizer's ``stop_words_`` (the terms cut by min_df): scikit-learn keeps them
    only for introspection, and they can be most of a saved model's size."""
    features = pipeline.named_steps["features"]
    vectorizers = (
        [v for _, v in features.transformer_list]
        if isinstance(features, FeatureUnion)
        else [features]
    )
    for vectorizer in vectorizers:
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_


def _n_features(pipeline: Pipeline) -> int:
    features = pipeline.named_steps["features"]
    vectorizers = (
        [v for _, v in features.transformer_list]
        if isinstance(features, FeatureUnion)
        else [features]
    )
    return sum(len(v.vocabulary_) for v in vectorizers)


# --------------------------------------------------------------------------- relevance


RELEVANT = "risk"
IRRELEVANT = "other"
RELEVANCE_LABEL_NAMES = {RELEVANT: "产品质量安全风险信息", IRRELEVANT: "无关信息"}


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    score: float  # probability that the item is about a product quality-safety risk


@dataclass
class RelevanceModel:
    """Is an item about a product quality-safety risk at all? A binary ``TextClassifier``
    (labels ``risk`` / ``other``) and a threshold on the probability of ``risk``: items
    scoring below it are noise (无风险信号)."""

    classifier: TextClassifier
    threshold: float = field(default=0.5)

    def __post_init__(self) -> None:
        labels = set(self.classifier.labels)
        if labels != {RELEVANT, IRRELEVANT}:
            raise ClassifierError(
                f"a relevance model has labels {RELEVANT!r} and {IRRELEVANT!r}, not {labels}",
                f"相关性模型的类别应为 {RELEVANT} 和 {IRRELEVANT}",
            )

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] = RELEVANCE_MODEL, threshold: float | None = None
    ) -> RelevanceModel:
        """The shipped model by default; ``threshold`` overrides the one saved with it."""
        classifier = TextClassifier.load(path)
        saved = classifier.metadata.threshold
        return cls(classifier, threshold if threshold is not None else (saved or 0.5))

    def scores(self, texts: Iterable[str]) -> list[float]:
        """Probability of ``risk`` per text (0.0 for an empty text)."""
        texts = list(texts)
        proba = self.classifier.predict_proba(texts)
        k = self.classifier.labels.index(RELEVANT)
        return [float(p[k]) if prepare(t) else 0.0 for t, p in zip(texts, proba, strict=True)]

    def judge(self, texts: Iterable[str]) -> list[Relevance]:
        return [Relevance(s >= self.threshold, s) for s in self.scores(texts)]

    def is_relevant(self, text: str) -> bool:
        return self.judge([text])[0].relevant


def load_category_model(path: str | os.PathLike[str] = CATEGORY_MODEL) -> TextClassifier:
    """The shipped risk-category model (food-safety news categories, see docs/screening.md)."""
    return TextClassifier.load(path)
