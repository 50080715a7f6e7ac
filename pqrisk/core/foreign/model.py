"""The trained part of the foreign-alert tagger: linear text models stored as plain JSON.

``data/foreign_model.json`` holds, for each task, the vocabulary with its IDF, the class
names, and the weights of a linear classifier trained by ``python -m
pqrisk.core.foreign.train`` (scikit-learn ``TfidfVectorizer`` + ``LogisticRegression``).
Inference is re-done here in plain Python — same tokenizer, same sublinear TF-IDF, same
L2 norm — so loading the model unpickles nothing and needs neither scikit-learn nor the
network, and one alert costs a few dozen dictionary look-ups.

Tasks:

- ``category``: one Safety Gate product category from product name + description
  (multinomial: the highest-probability class, with its probability as the score);
- ``risk``: Safety Gate risk types (one-vs-rest: every class whose probability reaches the
  stored threshold) from the risk description, or from name + description when it is empty.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_PACKAGE = "pqrisk.core.foreign"
MODEL_FILE = "foreign_model.json"
MODEL_FORMAT = "pqrisk-foreign-linear"
MODEL_FORMAT_VERSION = 1
# scikit-learn's default token pattern: words of two or more word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")


class ModelFileError(ValueError):
    """The model file is missing a part or has another format."""


def ngrams(text: str, max_n: int) -> list[str]:
    """Lower-cased word n-grams exactly as scikit-learn's ``TfidfVectorizer`` builds them."""
    tokens = TOKEN.findall(text.lower())
    grams = list(tokens)
    for n in range(2, max_n + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass(frozen=True)
class LinearTextModel:
    """TF-IDF (sublinear, L2) + a linear layer; ``multilabel`` means one-vs-rest sigmoids."""

    classes: tuple[str, ...]
    max_n: int
    idf: Mapping[str, float]
    # feature → [(class index, weight), …] (only non-zero weights are stored)
    weights: Mapping[str, Sequence[tuple[int, float]]]
    intercept: tuple[float, ...]
    multilabel: bool
    threshold: float

    def scores(self, text: str) -> list[float]:
        counts = Counter(g for g in ngrams(text, self.max_n) if g in self.idf)
        values = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        raw = list(self.intercept)
        for gram, value in values.items():
            for index, weight in self.weights.get(gram, ()):
                raw[index] += weight * value / norm
        if self.multilabel:
            return [_sigmoid(r) for r in raw]
        top = max(raw)
        exp = [math.exp(r - top) for r in raw]
        total = sum(exp)
        return [e / total for e in exp]

    def predict(self, text: str) -> dict[str, float]:
        """Class → probability for the classes this model would output; {} if none."""
        if not text.strip():
            return {}
        probabilities = self.scores(text)
        if self.multilabel:
            return {self.classes[i]: p for i, p in enumerate(probabilities) if p >= self.threshold}
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        if probabilities[best] < self.threshold:
            return {}
        return {self.classes[best]: probabilities[best]}

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "max_n": self.max_n,
            "idf": {g: round(v, 5) for g, v in sorted(self.idf.items())},
            "weights": {
                g: [[i, round(w, 5)] for i, w in pairs] for g, pairs in sorted(self.weights.items())
            },
            "intercept": [round(v, 5) for v in self.intercept],
            "multilabel": self.multilabel,
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearTextModel:
        try:
            return cls(
                classes=tuple(data["classes"]),
                max_n=int(data["max_n"]),
                idf={str(g): float(v) for g, v in data["idf"].items()},
                weights={
                    str(g): tuple((int(i), float(w)) for i, w in pairs)
                    for g, pairs in data["weights"].items()
                },
                intercept=tuple(float(v) for v in data["intercept"]),
                multilabel=bool(data["multilabel"]),
                threshold=float(data["threshold"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed linear model: {exc}") from exc


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def risk_text(texts: Mapping[str, str]) -> str:
    """The text risk types are read from: the risk description, else name + description."""
    risk = texts.get("risk_description") or ""
    if risk.strip():
        return risk
    return " ".join(texts.get(f) or "" for f in ("product_name", "product_description"))


def category_text(texts: Mapping[str, str]) -> str:
    return " ".join(texts.get(f) or "" for f in ("product_name", "product_description"))


@dataclass(frozen=True)
class ForeignModel:
    """The shipped models; either may be absent (the tagger then uses the rules alone)."""

    risk: LinearTextModel | None
    category: LinearTextModel | None
    metadata: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "metadata": dict(self.metadata),
            "risk": self.risk.to_json() if self.risk else None,
            "category": self.category.to_json() if self.category else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ForeignModel:
        if data.get("format") != MODEL_FORMAT or data.get("format_version") != MODEL_FORMAT_VERSION:
            raise ModelFileError(
                f"not a {MODEL_FORMAT} v{MODEL_FORMAT_VERSION} file: "
                f"{data.get('format')!r} v{data.get('format_version')!r}"
            )
        risk = LinearTextModel.from_json(data["risk"]) if data.get("risk") else None
        category = LinearTextModel.from_json(data["category"]) if data.get("category") else None
        return cls(risk=risk, category=category, metadata=data.get("metadata") or {})


def load_shipped_model() -> ForeignModel | None:
    """The model shipped in ``data/``; None when the package ships none (rules only)."""
    path = resources.files(DATA_PACKAGE).joinpath("data", MODEL_FILE)
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        model = ForeignModel.from_json(json.load(handle))
    if model.risk is None and model.category is None:
        return None
    return model
