"""Build the labelled near-duplicate pairs of the shared food-safety news corpus.

Usage: .venv/bin/python benchmarks/build_dedup_labels.py
Writes benchmarks/data/dedup_news_pairs.csv (ids and labels only, no text); the shared
corpus itself stays in /work/shared/data (PQRISK_SHARED_DATA to move it).

How the labels are made — deliberately not with the MinHash index that bench_dedup.py
evaluates:

1. **Candidates, exactly.** Every one of the 5.1 million pairs of the 3,208 texts is scored
   with the exact Jaccard similarity and the containment of their full character-3-gram sets
   (a sparse matrix product, no sampling, no MinHash). Texts are compared as
   ``fingerprint_text`` (the exact-dedup form). Pairs with Jaccard ≥ 0.3 or containment ≥ 0.7
   are candidates; every other pair is labelled ``distinct``.
2. **Rule.** For each candidate, ``cov_long`` is the share of the longer text covered by runs
   of at least 8 characters that also occur in the other text. A pair is ``dup`` (the same
   report: another headline, date, outlet or reporter line, boilerplate, and at most about a
   quarter of the longer text added or cut) when ``cov_long`` ≥ 0.75; otherwise ``partial``
   when ``cov_short`` ≥ 0.75 (one text largely contained in the other: an extended version,
   a round-up, an excerpt) and ``distinct`` otherwise.
3. **Review.** All 61 candidates with ``cov_long`` in [0.5, 0.9) — the borderline band — were
   read side by side (the non-shared passages of each text), and samples of 15 pairs above
   0.9 and 12 below 0.5. The reviewer changed three labels (``OVERRIDES``: one provincial
   spot-check press release reprinted three times, each naming a different firm, product and
   measured value — the same template, not the same report; two of the three are 98 % the
   same text) and agreed with the rule elsewhere.

``partial`` and ``distinct`` are both negatives for de-duplication: partial copies belong to
event clustering (same incident, different reports). bench_dedup.py prints how many partial
pairs the index nevertheless joins.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.text.normalize import fingerprint_text

SHARED = Path(os.environ.get("PQRISK_SHARED_DATA", "/work/shared/data"))
NEWS_FILES = (("train", "news/food_safety_train.csv"), ("dev", "news/food_safety_dev.csv"))
OUT = Path(__file__).resolve().parent / "data" / "dedup_news_pairs.csv"
CAND_JACCARD = 0.3
CAND_CONTAINMENT = 0.7
SAME_REPORT = 0.75  # share of the longer text shared with the other
RUN = 8  # characters of a shared run
REVIEW_BAND = (0.5, 0.9)
# Pairs read outside the review band (the samples), by id.
SAMPLED = {
    ("train:778", "dev:221"),
    ("train:1031", "train:1723"),
    ("train:470", "train:1617"),
    ("train:853", "train:1414"),
    ("train:879", "dev:242"),
    ("train:486", "train:1624"),
    ("train:2661", "train:2789"),
    ("train:1803", "dev:223"),
    ("train:871", "train:2685"),
    ("train:2322", "train:2430"),
    ("train:2807", "dev:309"),
    ("train:1526", "dev:88"),
    ("train:144", "train:2827"),
    ("train:553", "train:1331"),
    ("train:2541", "dev:224"),
    ("train:701", "train:2680"),
    ("train:770", "train:976"),
    ("train:751", "train:2366"),
    ("train:1203", "train:1320"),
    ("train:1500", "dev:306"),
    ("train:831", "train:1291"),
    ("train:2257", "dev:51"),
    ("train:623", "train:2854"),
    ("train:751", "train:2539"),
    ("train:2067", "train:2190"),
    ("train:623", "train:1837"),
    ("train:1766", "dev:151"),
    ("train:2395", "train:2664"),  # the third template pair, read when it was overridden
}
_TEMPLATE = "same press-release template naming a different firm and product"
OVERRIDES = {
    ("train:2395", "train:2492"): ("distinct", _TEMPLATE),
    ("train:2492", "train:2664"): ("distinct", _TEMPLATE),
    ("train:2395", "train:2664"): ("distinct", _TEMPLATE),
}
NOTES = {
    ("train:524", "train:826"): "same body under another story's headline (corpus error)",
    ("train:2402", "train:2557"): "two reports sharing one quoted passage",
}


def load_news() -> list[tuple[str, str]]:
    """(id, text) of every row, train then dev; ids are "train:<row>" with 0-based rows."""
    rows: list[tuple[str, str]] = []
    for split, name in NEWS_FILES:
        with (SHARED / name).open(encoding="utf-8", newline="") as fh:
            rows.extend((f"{split}:{i}", r["text"]) for i, r in enumerate(csv.DictReader(fh)))
    return rows


def text_key(text: str) -> str:
    """A short hash of a text, so the labels notice a changed corpus."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def gram_pairs(fps: list[str], k: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact Jaccard and containment of character k-gram sets for pairs sharing any k-gram."""
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for fp in fps:
        grams = {vocab.setdefault(fp[i : i + k], len(vocab)) for i in range(len(fp) - k + 1)}
        indices.extend(sorted(grams))
        indptr.append(len(indices))
    ones = np.ones(len(indices), dtype=np.float32)
    x = sp.csr_matrix((ones, indices, indptr), shape=(len(fps), len(vocab)))
    size = np.diff(x.indptr).astype(np.float64)
    inter = (x @ x.T).tocoo()
    upper = inter.row < inter.col
    a, b, shared = inter.row[upper], inter.col[upper], inter.data[upper].astype(np.float64)
    jaccard = shared / (size[a] + size[b] - shared)
    containment = shared / np.minimum(size[a], size[b])
    return a, b, jaccard, containment


def coverage(text: str, other: str, run: int = RUN) -> float:
    """Share of ``text``'s characters inside a run of ``run`` characters found in ``other``."""
    grams = {other[i : i + run] for i in range(len(other) - run + 1)}
    covered = np.zeros(len(text), dtype=np.bool_)
    for i in range(len(text) - run + 1):
        if text[i : i + run] in grams:
            covered[i : i + run] = True
    return float(covered.mean()) if len(text) else 0.0


def build() -> list[dict[str, str]]:
    rows = load_news()
    fps = [fingerprint_text("", text) for _, text in rows]
    a, b, jac, cont = gram_pairs(fps)
    keep = (jac >= CAND_JACCARD) | (cont >= CAND_CONTAINMENT)
    out: list[dict[str, str]] = []
    for i, j, jv in zip(a[keep].tolist(), b[keep].tolist(), jac[keep].tolist(), strict=True):
        fi, fj = fps[i], fps[j]
        ci, cj = coverage(fi, fj), coverage(fj, fi)
        cov_long, cov_short = (ci, cj) if len(fi) >= len(fj) else (cj, ci)
        label = "dup" if cov_long >= SAME_REPORT else "partial" if cov_short >= 0.75 else "distinct"
        pair = (rows[i][0], rows[j][0])
        reviewed = REVIEW_BAND[0] <= cov_long < REVIEW_BAND[1] or pair in SAMPLED
        label, note = OVERRIDES.get(pair, (label, NOTES.get(pair, "")))
        out.append(
            {
                "a": pair[0],
                "b": pair[1],
                "label": label,
                "jaccard3": f"{jv:.3f}",
                "cov_long": f"{cov_long:.3f}",
                "cov_short": f"{cov_short:.3f}",
                "reviewed": "yes" if reviewed else "no",
                "note": note,
                "key_a": text_key(rows[i][1]),
                "key_b": text_key(rows[j][1]),
            }
        )
    missing = (set(OVERRIDES) | SAMPLED | set(NOTES)) - {(r["a"], r["b"]) for r in out}
    if missing:
        raise SystemExit(f"reviewed pairs no longer among the candidates: {sorted(missing)}")
    return out


def main() -> None:
    pairs = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(pairs[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(pairs)
    counts = {
        label: sum(p["label"] == label for p in pairs) for label in ("dup", "partial", "distinct")
    }
    reviewed = sum(p["reviewed"] == "yes" for p in pairs)
    print(f"{len(pairs)} candidate pairs, {reviewed} read by a reviewer: {counts} → {OUT}")


if __name__ == "__main__":
    main()
