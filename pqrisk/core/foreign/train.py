"""Train the foreign-alert text models and write ``data/foreign_model.json``.

    .venv/bin/python -m pqrisk.core.foreign.train [--shared /work/shared/data] [--cv-only]

Training data (project data only, no download):

- the legacy CPSC recalls (``cpsc_recalls_legacy.jsonl``): product types + descriptions as
  text; the category from the record's ``_source_files`` through
  ``data/cpsc_file_categories.csv`` (records whose files disagree or map to no category are
  left out); the risk types from its CPSC ``hazards`` labels through the taxonomy
  (``hazards_for_cpsc`` → hazard code → the hazard's Safety Gate risk type);
- the labelled DEV split ``benchmarks/data/foreign/cpsc_recent_dev.csv`` (risk types from
  ``risk_description``, category from name + description). The held-out test split is
  never read here.

Before writing, a 5-fold cross-validation on the DEV rows (legacy + 4 folds → 1 fold)
compares the rules alone with the rules plus the model filling the rows the rules leave
empty; a task whose model does not improve the rules is written as ``null`` (the tagger
then uses the rules alone for it). Same data, same file: the fit is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from pqrisk.core.foreign import rules
from pqrisk.core.foreign.model import (
    MODEL_FILE,
    ForeignModel,
    LinearTextModel,
    category_text,
    risk_text,
)
from pqrisk.core.foreign.tagging import ForeignTagger
from pqrisk.taxonomy.loader import hazards_for_cpsc

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[3]
DEV_FILE = REPO / "benchmarks" / "data" / "foreign" / "cpsc_recent_dev.csv"
MAX_N = 2
MIN_DF = 2
C_CATEGORY = 4.0
C_RISK = 4.0
RISK_THRESHOLD = 0.5
CATEGORY_THRESHOLD = 0.3
# Weights smaller than this are dropped from the shipped file (they change no decision).
PRUNE_BELOW = 0.02
SEED = 7
# The labelling guide's spelling (LABELLING.md) for comparing with the DEV labels.
GUIDE_SPELLING = {
    "Cuts": "Injuries",
    "Abrasion": "Injuries",
    "Health risk / other": "Health risk",
    "Hearing damage": "Damage to hearing",
    "pressure equipment": "pressure equipment/vessels",
}


@dataclass(frozen=True)
class Example:
    texts: dict[str, str]
    risk_types: tuple[str, ...]
    category: str  # "" = no label


def _file_categories() -> dict[str, str]:
    with (PACKAGE_DATA / "cpsc_file_categories.csv").open(encoding="utf-8", newline="") as fh:
        return {row["source_file"]: row["category"].strip() for row in csv.DictReader(fh)}


def legacy_examples(shared: Path) -> list[Example]:
    categories = _file_categories()
    hazard_types = rules.hazard_risk_types()
    examples = []
    with (shared / "cpsc_recalls_legacy.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            text = " ".join(
                str(part)
                for part in (record.get("product_types") or []) + (record.get("descriptions") or [])
            )
            if not text.strip():
                continue
            found = {categories.get(f, "") for f in record.get("_source_files") or []} - {""}
            category = found.pop() if len(found) == 1 else ""
            risk_types: list[str] = []
            for label in record.get("hazards") or []:
                for code in hazards_for_cpsc(str(label)):
                    for risk_type in hazard_types.get(code, ())[:1]:
                        if risk_type not in risk_types:
                            risk_types.append(risk_type)
            examples.append(
                Example(
                    {"product_name": "", "product_description": text, "risk_description": ""},
                    tuple(risk_types),
                    category,
                )
            )
    return examples


def dev_examples(path: Path = DEV_FILE) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Example(
                {
                    "product_name": row["product_name"],
                    "product_description": row["product_description"],
                    "risk_description": row["risk_description"],
                },
                tuple(v for v in row["risk_types"].split(";") if v),
                row["category"],
            )
            for row in csv.DictReader(fh)
        ]


def _linear(
    vectorizer: TfidfVectorizer,
    classes: Sequence[str],
    coef: np.ndarray,
    intercept: np.ndarray,
    *,
    multilabel: bool,
    threshold: float,
) -> LinearTextModel:
    vocabulary = vectorizer.vocabulary_
    idf = vectorizer.idf_
    weights: dict[str, list[tuple[int, float]]] = {}
    kept_idf: dict[str, float] = {}
    for gram, column in vocabulary.items():
        pairs = [
            (i, float(coef[i, column]))
            for i in range(coef.shape[0])
            if abs(coef[i, column]) >= PRUNE_BELOW
        ]
        if pairs:
            weights[gram] = pairs
            kept_idf[gram] = float(idf[column])
    # Features without any kept weight still count in the L2 norm of the document.
    for gram, column in vocabulary.items():
        kept_idf.setdefault(gram, float(idf[column]))
    return LinearTextModel(
        classes=tuple(classes),
        max_n=MAX_N,
        idf=kept_idf,
        weights={g: tuple(p) for g, p in weights.items()},
        intercept=tuple(float(v) for v in intercept),
        multilabel=multilabel,
        threshold=threshold,
    )


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, MAX_N), min_df=MIN_DF, sublinear_tf=True, dtype=np.float64
    )


def fit_category(examples: Sequence[Example]) -> LinearTextModel:
    labelled = [e for e in examples if e.category]
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform([category_text(e.texts) for e in labelled])
    y = [e.category for e in labelled]
    classifier = LogisticRegression(C=C_CATEGORY, max_iter=2000)
    classifier.fit(x, y)
    return _linear(
        vectorizer,
        list(classifier.classes_),
        classifier.coef_,
        classifier.intercept_,
        multilabel=False,
        threshold=CATEGORY_THRESHOLD,
    )


def fit_risk(examples: Sequence[Example]) -> LinearTextModel:
    labelled = [e for e in examples if e.risk_types]
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform([risk_text(e.texts) for e in labelled])
    classes = sorted({t for e in labelled for t in e.risk_types})
    coef = np.zeros((len(classes), x.shape[1]))
    intercept = np.zeros(len(classes))
    for i, label in enumerate(classes):
        y = np.array([label in e.risk_types for e in labelled])
        classifier = LogisticRegression(C=C_RISK, max_iter=2000)
        classifier.fit(x, y)
        coef[i] = classifier.coef_[0]
        intercept[i] = classifier.intercept_[0]
    return _linear(vectorizer, classes, coef, intercept, multilabel=True, threshold=RISK_THRESHOLD)


def _guide(label: str) -> str:
    return GUIDE_SPELLING.get(label, label)


def _micro_f1(gold: list[set[str]], predicted: list[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def cross_validate(
    legacy: Sequence[Example], dev: Sequence[Example]
) -> dict[str, dict[str, float]]:
    """Risk micro-F1 and category accuracy on DEV folds: rules, rules + model, model."""
    folds = KFold(n_splits=5, shuffle=True, random_state=SEED)
    rules_only = ForeignTagger(model=None)
    results: dict[str, dict[str, list[Any]]] = {
        "risk": {"gold": [], "rules": [], "combined": [], "model": []},
        "category": {"gold": [], "rules": [], "combined": [], "model": []},
    }
    for train_index, test_index in folds.split(np.arange(len(dev))):
        train = [*legacy, *(dev[i] for i in train_index)]
        model = ForeignModel(risk=fit_risk(train), category=fit_category(train), metadata={})
        combined = ForeignTagger(model=model)
        for i in test_index:
            example = dev[i]
            risk_fields = {"risk_description": example.texts["risk_description"]}
            cat_fields = {k: example.texts[k] for k in ("product_name", "product_description")}
            r = results["risk"]
            r["gold"].append({_guide(t) for t in example.risk_types})
            r["rules"].append(
                {_guide(t.value) for t in rules_only.tag(risk_fields).supported_risk_types()}
            )
            r["combined"].append(
                {_guide(t.value) for t in combined.tag(risk_fields).supported_risk_types()}
            )
            r["model"].append(
                {
                    _guide(t)
                    for t in (model.risk.predict(risk_text(risk_fields)) if model.risk else {})
                }
            )
            if example.category:
                c = results["category"]
                c["gold"].append(example.category)
                rule_cat = rules_only.tag(cat_fields).supported_category()
                comb_cat = combined.tag(cat_fields).supported_category()
                model_cat = (
                    model.category.predict(category_text(cat_fields)) if model.category else {}
                )
                c["rules"].append(_guide(rule_cat.value) if rule_cat else "")
                c["combined"].append(_guide(comb_cat.value) if comb_cat else "")
                c["model"].append(_guide(next(iter(model_cat), "")))
    summary: dict[str, dict[str, float]] = {"risk": {}, "category": {}}
    for name in ("rules", "combined", "model"):
        summary["risk"][name] = _micro_f1(results["risk"]["gold"], results["risk"][name])
        gold = results["category"]["gold"]
        right = sum(g == p for g, p in zip(gold, results["category"][name], strict=True))
        summary["category"][name] = right / len(gold) if gold else 0.0
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="训练境外通报标注模型并写入 data/foreign_model.json"
    )
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--cv-only", action="store_true", help="只做交叉验证，不写模型文件")
    args = parser.parse_args(argv)
    legacy = legacy_examples(args.shared)
    dev = dev_examples()
    summary = cross_validate(legacy, dev)
    print(f"5-fold CV on DEV ({len(dev)} rows; legacy {len(legacy)} rows always in training):")
    for task, measure in (("risk", "micro-F1"), ("category", "accuracy")):
        figures = summary[task]
        print(
            f"  {task:8s} {measure:8s}  rules {figures['rules']:.3f}"
            f"  rules+model {figures['combined']:.3f}  model alone {figures['model']:.3f}"
        )
    if args.cv_only:
        return
    everything = [*legacy, *dev]
    use_risk = summary["risk"]["combined"] > summary["risk"]["rules"]
    use_category = summary["category"]["combined"] > summary["category"]["rules"]
    model = ForeignModel(
        risk=fit_risk(everything) if use_risk else None,
        category=fit_category(everything) if use_category else None,
        metadata={
            "trained_on": [
                "cpsc_recalls_legacy.jsonl",
                "benchmarks/data/foreign/cpsc_recent_dev.csv",
            ],
            "rows": {"legacy": len(legacy), "dev": len(dev)},
            "sklearn_version": sklearn.__version__,
            "cv": summary,
            "used": {"risk": use_risk, "category": use_category},
        },
    )
    path = PACKAGE_DATA / MODEL_FILE
    payload = json.dumps(model.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path.write_text(payload + "\n", encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {path} ({size_mb:.2f} MB); models used: risk {use_risk}, category {use_category}")


if __name__ == "__main__":
    main(sys.argv[1:])
