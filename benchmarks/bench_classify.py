"""Screening classifiers: risk category on the shared food-safety news, and relevance.

    .venv/bin/python benchmarks/bench_classify.py [--shared DIR] [--skip-whole-text]

Category: every model is trained on ``news/food_safety_train.csv`` only and scored once on
``news/food_safety_dev.csv``: the reference baseline (char 1–3 TF-IDF + LinearSVC, defaults,
raw text), the whole-text char + jieba-word family, and the configuration chosen by
cross-validation on the train fold (``pqrisk.demo.training.CATEGORY_CONFIG``). It prints
macro-F1, per-class F1, accuracy, the confusion matrix, prediction throughput and model size,
and checks that the shipped ``category.joblib`` predicts the same as the model trained here.
It also measures how consistently the corpus is labelled: the macro-F1 of each train text's
label against the label of its nearest near-duplicate (cosine ≥ 0.9) in the train fold.

Relevance: the shipped ``relevance.joblib`` (negatives synthetic) on data it was not trained
on: the dev fold (all risk news), the hand-written sample files in ``samples/`` (risk streams,
and licence notices and passed spot checks as no-risk) and ``data/relevance_handwritten.csv``,
one-sentence items written by hand for this check: set ``dev`` (80 no-risk; the negative
templates were extended after seeing its errors), ``dev2`` (30 + 30, first written as a
held-out set; after it showed recall 0.47, hazard-term word salad and the rule that sets the
threshold from real-looking positives were added) and ``holdout`` (30 + 30, written after the
model was frozen and scored once). Also the ranking quality (ROC AUC) on all hand-written
items and how recall and false positives move with the threshold.

Figures, not assertions.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from pqrisk.core.screening.classify import (  # noqa: E402
    CATEGORY_MODEL,
    RELEVANCE_MODEL,
    RELEVANT,
    ClassifierConfig,
    RelevanceModel,
    TextClassifier,
)
from pqrisk.demo.training import (  # noqa: E402
    CATEGORY_CONFIG,
    CATEGORY_LABEL_NAMES,
    NEWS_DEV,
    NEWS_TRAIN,
    read_labelled_csv,
)

DEFAULT_SHARED = Path(os.environ.get("PQRISK_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
HANDWRITTEN = ROOT / "benchmarks" / "data" / "relevance_handwritten.csv"
WHOLE_TEXT = ClassifierConfig(char_ngrams=(1, 3), word_ngrams=(1, 2), head_chars=None, C=2.0)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1024 / 1024:.2f} MB"


def _pickled_size(obj: Any) -> int:
    buf = io.BytesIO()
    joblib.dump(obj, buf, compress=("zlib", 6))
    return len(buf.getvalue())


def report(name: str, y: list[str], pred: list[str], labels: list[str]) -> float:
    macro = float(f1_score(y, pred, average="macro"))
    per = f1_score(y, pred, labels=labels, average=None)
    print(f"\n## {name}")
    print(f"macro-F1 {macro:.4f}   accuracy {accuracy_score(y, pred):.4f}")
    print(
        "per-class F1  "
        + "  ".join(
            f"{lab} {CATEGORY_LABEL_NAMES.get(lab, '')} {f:.3f}"
            for lab, f in zip(labels, per, strict=True)
        )
    )
    print("confusion (rows true, columns predicted): " + " ".join(labels))
    for lab, row in zip(labels, confusion_matrix(y, pred, labels=labels), strict=True):
        print(f"  {lab}  " + " ".join(f"{v:4d}" for v in row))
    return macro


def throughput(predict: Any, texts: list[str], rounds: int = 3) -> float:
    predict(texts[:10])  # warm caches (jieba dictionary, normalisation tables)
    started = time.perf_counter()
    for _ in range(rounds):
        predict(texts)
    return rounds * len(texts) / (time.perf_counter() - started)


def label_consistency(texts: list[str], labels: list[str], cut: float = 0.9) -> None:
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    x = vec.fit_transform(texts)
    sim = (x @ x.T).toarray()
    np.fill_diagonal(sim, 0.0)
    nearest = sim.argmax(axis=1)
    close = sim.max(axis=1) >= cut
    y = np.asarray(labels)
    if not close.any():
        print("\nno near-duplicate pairs in the train fold")
        return
    agree = f1_score(y[close], y[nearest[close]], average="macro")
    print(
        f"\n## label consistency: {int(close.sum())} train texts have a near-duplicate "
        f"(char 1–3 TF-IDF cosine ≥ {cut}) in the train fold; macro-F1 of their label "
        f"against the near-duplicate's label {agree:.3f}, agreement "
        f"{float((y[close] == y[nearest[close]]).mean()):.3f}"
    )


def bench_category(shared: Path, whole_text: bool) -> None:
    x_train, y_train = read_labelled_csv(shared / NEWS_TRAIN)
    x_dev, y_dev = read_labelled_csv(shared / NEWS_DEV)
    labels = sorted(set(y_train))
    print(f"# risk category: train {len(x_train)} rows, dev {len(x_dev)} rows")

    started = time.perf_counter()
    baseline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC())
    baseline.fit(x_train, y_train)
    fit_s = time.perf_counter() - started
    report("baseline: char 1–3 TF-IDF + LinearSVC (defaults, raw text)", y_dev,
           list(baseline.predict(x_dev)), labels)  # fmt: skip
    print(
        f"fit {fit_s:.0f} s; predict {throughput(baseline.predict, x_dev):.0f} items/s; "
        f"size {_mb(_pickled_size(baseline))} (joblib, zlib)"
    )

    if whole_text:
        started = time.perf_counter()
        model = TextClassifier.fit(x_train, y_train, WHOLE_TEXT, cv_folds=0)
        fit_s = time.perf_counter() - started
        report(f"whole text: {WHOLE_TEXT.describe()}", y_dev,
               model.predict_labels(x_dev), labels)  # fmt: skip
        print(
            f"fit {fit_s:.0f} s; predict {throughput(model.predict, x_dev):.0f} items/s; "
            f"size {_mb(_pickled_size(model.pipeline))}"
        )

    started = time.perf_counter()
    chosen = TextClassifier.fit(x_train, y_train, CATEGORY_CONFIG, cv_folds=0)
    fit_s = time.perf_counter() - started
    pred = chosen.predict_labels(x_dev)
    report(f"chosen by CV on train: {CATEGORY_CONFIG.describe()}", y_dev, pred, labels)
    print(
        f"fit {fit_s:.0f} s; predict {throughput(chosen.predict, x_dev):.0f} items/s; "
        f"size {_mb(_pickled_size(chosen.pipeline))}"
    )
    if CATEGORY_MODEL.exists():
        shipped = TextClassifier.load(CATEGORY_MODEL)
        same = shipped.predict_labels(x_dev) == pred
        cv = shipped.metadata.cv
        print(
            f"shipped {CATEGORY_MODEL.name}: {_mb(CATEGORY_MODEL.stat().st_size)}, "
            f"same dev predictions as trained here: {same}; its train-fold CV macro-F1 "
            f"{cv.macro_f1 if cv else 'n/a'}"
        )
    label_consistency(x_train, y_train)


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def bench_relevance(shared: Path) -> None:
    if not RELEVANCE_MODEL.exists():
        print("\nno shipped relevance model; run scripts/train_models.py")
        return
    model = RelevanceModel.load()
    meta = model.classifier.metadata
    print(
        f"\n# relevance: shipped {RELEVANCE_MODEL.name} ({_mb(RELEVANCE_MODEL.stat().st_size)}), "
        f"threshold {model.threshold}, {meta.rows} training rows "
        f"({', '.join(f'{k} {v}' for k, v in meta.rows_per_label.items())}), "
        f"train CV macro-F1 {meta.cv.macro_f1 if meta.cv else 'n/a'} (synthetic negatives)"
    )

    def line(name: str, texts: list[str], risk: bool) -> None:
        scores = np.asarray(model.scores(texts))
        hit = scores >= model.threshold
        what = "recall (scored risk)" if risk else "false positives (scored risk)"
        share = hit.mean() if risk else hit.sum()
        shown = f"{share:.3f}" if risk else f"{int(share)}/{len(texts)}"
        print(f"  {name:<44} n={len(texts):<4} {what}: {shown}; mean score {scores.mean():.3f}")

    x_dev, _ = read_labelled_csv(shared / NEWS_DEV)
    line("news dev fold (all risk)", x_dev, True)
    for path in sorted((ROOT / "samples").glob("*/good.csv")):
        rows = _read_rows(path)
        texts = [f"{r.get('标题', '')} {r.get('内容', '')}" for r in rows]
        kind = path.parent.name
        if kind == "spot_check":
            failed = [t for t in texts if "不合格" in t]
            passed = [t for t in texts if "不合格" not in t]
            if failed:
                line("samples/spot_check failed", failed, True)
            if passed:
                line("samples/spot_check passed (no risk)", passed, False)
        else:
            line(f"samples/{kind}", texts, kind != "licensing")
    if HANDWRITTEN.exists():
        rows = _read_rows(HANDWRITTEN)
        for part in ("dev", "dev2", "holdout"):
            for label in ("other", RELEVANT):
                texts = [r["text"] for r in rows if r["set"] == part and r["label"] == label]
                if texts:
                    line(f"hand-written {part} {label}", texts, label == RELEVANT)
        y = np.asarray([r["label"] == RELEVANT for r in rows])
        scores = np.asarray(model.scores([r["text"] for r in rows]))
        print(f"  hand-written, all sets: ROC AUC {roc_auc_score(y, scores):.3f}; by threshold:")
        for cut in (0.3, 0.4, 0.5, 0.6, 0.7):
            print(
                f"    {cut:.1f}: recall {float((scores[y] >= cut).mean()):.3f}, "
                f"false positives {int((scores[~y] >= cut).sum())}/{int((~y).sum())}"
            )
    print(f"  throughput {throughput(model.scores, x_dev):.0f} items/s (news dev texts)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument(
        "--skip-whole-text", action="store_true", help="skip the slow whole-text family"
    )
    args = ap.parse_args()
    if not (args.shared / NEWS_TRAIN).exists():
        sys.exit(f"shared news data not found under {args.shared} (set PQRISK_SHARED_DATA)")
    bench_category(args.shared, not args.skip_whole_text)
    bench_relevance(args.shared)


if __name__ == "__main__":
    main()
