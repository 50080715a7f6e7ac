"""Rebuild the shipped screening models: ``python scripts/train_models.py``.

Writes ``pqrisk/core/screening/data/category.joblib`` (risk category of food-safety news,
trained on the shared train fold) and ``relevance.joblib`` (product quality-safety risk or
not; negatives synthetic, see ``pqrisk/demo/training.py``). Deterministic: the same data and
library versions give the same predictions; set SOURCE_DATE_EPOCH for a fixed ``created_at``.

``--select`` re-runs the cross-validation grid on the train fold (several minutes on two
cores) and trains the best candidate; without it the recorded choice
(``CATEGORY_CONFIG``) is trained and cross-validated. The dev fold is never read here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pqrisk.core.screening.classify import (  # noqa: E402
    CATEGORY_MODEL,
    IRRELEVANT,
    RELEVANCE_LABEL_NAMES,
    RELEVANCE_MODEL,
    RELEVANT,
    TextClassifier,
    cross_validate_proba,
    prepare,
    recall_threshold,
    select_config,
)
from pqrisk.demo.training import (  # noqa: E402
    CATEGORY_CANDIDATES,
    CATEGORY_CONFIG,
    CATEGORY_LABEL_NAMES,
    RELEVANCE_CONFIG,
    RELEVANCE_MIN_RECALL,
    category_corpus,
    relevance_corpus,
)

REAL_LOOKING = frozenset(
    {"news", "demo:complaint", "demo:injury", "demo:media", "demo:recall", "demo:penalty",
     "demo:spot_check_failed"}
)  # fmt: skip
DEFAULT_SHARED = Path(os.environ.get("PQRISK_SHARED_DATA", str(ROOT.parent / "shared" / "data")))


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1024 / 1024:.2f} MB"


def train_category(shared: Path, out: Path, select: bool) -> None:
    corpus = category_corpus(shared)
    config = CATEGORY_CONFIG
    cv = None
    if select:
        config, reports = select_config(CATEGORY_CANDIDATES, corpus.texts, corpus.labels)
        for candidate, report in reports:
            print(f"  CV macro-F1 {report.macro_f1:.4f}  {candidate.describe()}")
        cv = dict(reports)[config]
    model = TextClassifier.fit(
        corpus.texts,
        corpus.labels,
        config,
        task="category",
        label_names=CATEGORY_LABEL_NAMES,
        training=corpus.sources,
        cv=cv,
        notes="label names inferred by shared/data/MANIFEST.md, not stated by the source",
    )
    model.save(out)
    print(f"category model → {out} ({_size(out)})")
    for line in model.describe_zh():
        print("  " + line)


def train_relevance(shared: Path, out: Path) -> None:
    corpus = relevance_corpus(shared)
    # Every row has text, so out-of-fold rows line up with the corpus rows.
    assert all(prepare(t) for t in corpus.texts)
    report, proba, y = cross_validate_proba(RELEVANCE_CONFIG, corpus.texts, corpus.labels)
    risk = report.labels.index(RELEVANT)
    # The threshold keeps RELEVANCE_MIN_RECALL of the real-looking risk texts (news and demo
    # records); word salad with hazard terms only teaches vocabulary, and its scores are low.
    positives = [
        p[risk]
        for p, label, kind in zip(proba, y, corpus.kinds, strict=True)
        if label == RELEVANT and kind in REAL_LOOKING
    ]
    threshold = recall_threshold(positives, RELEVANCE_MIN_RECALL)
    model = TextClassifier.fit(
        corpus.texts,
        corpus.labels,
        RELEVANCE_CONFIG,
        task="relevance",
        label_names=RELEVANCE_LABEL_NAMES,
        training=corpus.sources,
        cv=report,
        threshold=round(threshold, 4),
        positive_label=RELEVANT,
        notes=f"negatives ({IRRELEVANT}) are synthetic: pqrisk.demo.noise and demo no-risk records",
    )
    model.save(out)
    print(f"relevance model → {out} ({_size(out)})")
    for line in model.describe_zh():
        print("  " + line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared/data folder")
    ap.add_argument("--only", choices=("category", "relevance"))
    ap.add_argument("--select", action="store_true", help="choose the category model by CV")
    ap.add_argument("--out-dir", type=Path, default=CATEGORY_MODEL.parent)
    args = ap.parse_args()
    if not (args.shared / "news" / "food_safety_train.csv").exists():
        sys.exit(f"shared news data not found under {args.shared} (set PQRISK_SHARED_DATA)")
    started = time.perf_counter()
    if args.only in (None, "category"):
        train_category(args.shared, args.out_dir / CATEGORY_MODEL.name, args.select)
    if args.only in (None, "relevance"):
        train_relevance(args.shared, args.out_dir / RELEVANCE_MODEL.name)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
