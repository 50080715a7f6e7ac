"""Near-duplicate de-duplication: quality on two labelled sets, throughput, size, persistence.

Usage: .venv/bin/python benchmarks/bench_dedup.py
(benchmarks/build_dedup_labels.py rebuilds the news labels; the demo labels are built here.)

Labelled sets — pairwise precision, recall and F1 over all pairs of items, a pair being
"duplicate" when both items are in one cluster (truth: the labels' connected components;
index: items with the same ``duplicate_of``):

- **demo**: the seeded demo generator (``generate()``, default seed, one year) in memory. Its
  reposts (``DemoDataset.duplicates``: exact copies and edited ones — "转发：", spacing,
  punctuation, HTML, last sentence cut) are the duplicates, by construction; every other pair
  is not. Media items (where reposts live) are the main set; media + complaints adds 6,260
  templated consumer complaints as hard negatives. Items arrive in time order, title + text.
- **news**: the 3,208 food-safety news texts of /work/shared/data (train then dev order) with
  the pairs labelled by build_dedup_labels.py (exact 3-gram Jaccard candidates, a
  shared-text rule and a reviewer's reading — never this MinHash index). ``partial`` pairs
  (one report extended or cut by more than a quarter) count as negatives; the number the index
  joins anyway is printed.

Throughput: 20,000 items of ~300 characters made of sentences drawn from the news corpus
(seeded), of which 20 % are edited reposts of an earlier item; items/s for one call per item
(``check_and_add``) and for screening-size chunks (``check_and_add_many``), with and without
the ``clean_text`` step, p95 latency, index bytes per item, save and load time.

Figures are printed, not asserted; the machine's load average is printed with them.
"""

from __future__ import annotations

import csv
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_dedup_labels import gram_pairs, load_news, text_key

from pqrisk.core.screening.neardup import (
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE,
    DEFAULT_THRESHOLD,
    NearDupIndex,
)
from pqrisk.core.text.normalize import clean_text, fingerprint_text
from pqrisk.demo.generator import generate

LABELS = Path(__file__).resolve().parent / "data" / "dedup_news_pairs.csv"
Items = list[tuple[str, str]]
Truth = dict[str, str]  # item id → cluster label
SWEEP = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
VARIANTS = ((64, 5), (128, 3), (128, 4), (128, 6))  # (num_perm, shingle) at the default threshold
N_ITEMS, DUP_SHARE, CHUNK = 20_000, 0.2, 500


# --------------------------------------------------------------------------- labelled sets


def demo_sets() -> dict[str, tuple[Items, Truth]]:
    data = generate()
    root = {d["external_id"]: d["duplicate_of"] for d in data.duplicates}
    records = sorted(data.records, key=lambda r: (r["occurred_at"], r["external_id"]))
    sets: dict[str, tuple[Items, Truth]] = {}
    for name, sources in (
        ("demo media", {"media"}),
        ("demo media+complaint", {"media", "complaint"}),
    ):
        chosen = [r for r in records if r["source"] in sources]
        items = [(r["external_id"], f"{r['title']} {r['text']}") for r in chosen]
        sets[name] = (items, {i: root.get(i, i) for i, _ in items})
    kinds = Counter(d["kind"] for d in data.duplicates)
    print(f"demo: {len(data.records)} records, reposts {dict(kinds)} (seed {data.meta['seed']})")
    return sets


def news_set() -> tuple[Items, Truth, list[tuple[str, str]]]:
    rows = load_news()
    by_id = dict(rows)
    parent = {i: i for i, _ in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    partial_pairs: list[tuple[str, str]] = []
    negative: list[tuple[str, str]] = []
    with LABELS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            a, b = row["a"], row["b"]
            if (text_key(by_id[a]), text_key(by_id[b])) != (row["key_a"], row["key_b"]):
                raise SystemExit(f"{LABELS.name}: the corpus changed ({a}, {b}); rebuild labels")
            if row["label"] == "dup":
                ra, rb = find(a), find(b)
                parent[max(ra, rb, key=_order)] = min(ra, rb, key=_order)
            else:
                negative.append((a, b))
                if row["label"] == "partial":
                    partial_pairs.append((a, b))
    truth = {i: find(i) for i, _ in rows}
    conflicts = sum(truth[a] == truth[b] for a, b in negative)
    sizes = Counter(Counter(truth.values()).values())
    print(
        f"news: {len(rows)} texts, clusters by size {dict(sorted(sizes.items()))}, "
        f"{len(partial_pairs)} partial pairs, {conflicts} negative pairs joined by transitivity"
    )
    return rows, truth, partial_pairs


def _order(item_id: str) -> tuple[int, int]:
    split, _, n = item_id.partition(":")
    return (0 if split == "train" else 1, int(n))


# --------------------------------------------------------------------------- metrics


def pairwise(truth: Truth, predicted: Truth) -> tuple[float, float, float]:
    def pairs(groups: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in groups.values())

    true_pairs = pairs(Counter(truth.values()))
    found = pairs(Counter(predicted.values()))
    both = pairs(Counter((truth[i], predicted[i]) for i in truth))
    p = both / found if found else 1.0
    r = both / true_pairs if true_pairs else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def run_index(index: NearDupIndex, items: Items) -> Truth:
    answers = index.check_and_add_many(items)
    return {i: m.duplicate_of if m else i for (i, _), m in zip(items, answers, strict=True)}


def exact_jaccard_clusters(items: Items, shingle: int, threshold: float) -> Truth:
    """Reference without MinHash: single-link clusters of exact Jaccard ≥ threshold."""
    fps = [fingerprint_text("", clean_text(t)) for _, t in items]
    a, b, jac, _ = gram_pairs(fps, shingle)
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in zip(a[jac >= threshold].tolist(), b[jac >= threshold].tolist(), strict=True):
        ri, rj = find(i), find(j)
        parent[max(ri, rj)] = min(ri, rj)
    return {items[i][0]: items[find(i)][0] for i in range(len(items))}


def quality() -> None:
    sets = demo_sets()
    news_items, news_truth, partial_pairs = news_set()
    sets["news"] = (news_items, news_truth)
    print()
    header = f"{'num_perm shingle threshold':28s}" + "".join(f"{name:>23s}" for name in sets)
    print(header + f"{'partial joined':>16s}")
    print(f"{'':28s}" + f"{'P / R / F1':>23s}" * len(sets))

    def line(
        label: str, make: Callable[[], NearDupIndex] | None, exact: tuple[int, float] | None
    ) -> None:
        cells, joined = [], ""
        for name, (items, truth) in sets.items():
            if make is not None:
                predicted = run_index(make(), items)
            else:
                assert exact is not None
                predicted = exact_jaccard_clusters(items, *exact)
            p, r, f = pairwise(truth, predicted)
            cells.append(f"{p:7.3f}{r:7.3f}{f:7.3f}  ")
            if name == "news":
                joined = str(sum(predicted[a] == predicted[b] for a, b in partial_pairs))
        print(f"{label:28s}" + "".join(f"{c:>23s}" for c in cells) + f"{joined:>16s}")

    for t in SWEEP:
        mark = " ←" if t == DEFAULT_THRESHOLD else ""
        line(
            f"{DEFAULT_NUM_PERM:8d} {DEFAULT_SHINGLE:7d} {t:9.2f}{mark}",
            partial(NearDupIndex, t),
            None,
        )
    for num_perm, shingle in VARIANTS:
        line(
            f"{num_perm:8d} {shingle:7d} {DEFAULT_THRESHOLD:9.2f}",
            partial(NearDupIndex, DEFAULT_THRESHOLD, num_perm, shingle),
            None,
        )
    line(
        f"{'exact Jaccard':16s}{DEFAULT_SHINGLE:d} {DEFAULT_THRESHOLD:9.2f}",
        None,
        (DEFAULT_SHINGLE, DEFAULT_THRESHOLD),
    )
    print(
        "(exact Jaccard: single-link clusters of the exact Jaccard of full shingle sets,"
        " no MinHash)"
    )


# --------------------------------------------------------------------------- throughput


def synthetic_items(n: int, seed: int = 7) -> tuple[Items, dict[str, str]]:
    """~300-character items from news sentences; DUP_SHARE are edited reposts (id → original)."""
    sentences = [
        s for _, text in load_news() for s in re.split(r"(?<=[。！？])", text) if 12 <= len(s) <= 90
    ]
    rng = random.Random(seed)
    items: Items = []
    originals: list[int] = []
    planted: dict[str, str] = {}
    for k in range(n):
        item_id = f"S{k:06d}"
        if originals and rng.random() < DUP_SHARE:
            source = items[rng.choice(originals)]
            items.append((item_id, repost(source[1], rng)))
            planted[item_id] = source[0]
            continue
        parts: list[str] = []
        while sum(map(len, parts)) < 280:
            parts.append(rng.choice(sentences))
        items.append((item_id, "".join(parts)[:320]))
        originals.append(k)
    return items, planted


def repost(text: str, rng: random.Random) -> str:
    """One or two of the edits reposts make."""
    for op in rng.sample(
        ("prefix", "footer", "width", "cut", "space", "html", "typo"), rng.choice((1, 2))
    ):
        if op == "prefix":
            text = rng.choice(("转发：", "原标题：", "【转载】", "//@市民热线: ")) + text
        elif op == "footer":
            text += rng.choice(("（责任编辑：张三）", "来源：新民晚报", "[责任编辑:李四]"))
        elif op == "width":
            text = text.translate(str.maketrans("，。：！？", ",.:!?"))
        elif op == "cut":
            sentences = re.split(r"(?<=[。！？])", text)
            if len(sentences) > 3:
                text = "".join(sentences[:-2])
        elif op == "space":
            text = text.replace("，", "， ").replace("。", "。\n")
        elif op == "html":
            text = "".join(f"<p>{s}</p>" for s in re.split(r"(?<=。)", text) if s)
        else:
            chars = list(text)
            for _ in range(2):
                chars[rng.randrange(len(chars))] = rng.choice("的了是在有")
            text = "".join(chars)
    return text


Timing = tuple[NearDupIndex, float, float, list[float], list[float], list[object]]


def timed(items: Items, cleaned: bool, chunk: int) -> Timing:
    """Run ``items`` through a new index, ``chunk`` items per call (1: ``check_and_add``).
    Returns the index, wall and CPU seconds, wall and CPU latency per call, the answers."""
    index = NearDupIndex()
    wall: list[float] = []
    cpu: list[float] = []
    answers: list[object] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for lo in range(0, len(items), chunk):
        w, c = time.perf_counter(), time.process_time()
        if chunk == 1:
            answers.append(index.check_and_add(*items[lo], cleaned=cleaned))
        else:
            answers.extend(index.check_and_add_many(items[lo : lo + chunk], cleaned=cleaned))
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return index, time.perf_counter() - wall0, time.process_time() - cpu0, wall, cpu, answers


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95))


def throughput() -> None:
    items, planted = synthetic_items(N_ITEMS + 2_000)
    items, extra = items[:N_ITEMS], items[N_ITEMS:]
    lengths = [len(t) for _, t in items]
    print(
        f"\nthroughput: {len(items)} items, {statistics.mean(lengths):.0f} characters on average, "
        f"{sum(i in planted for i, _ in items)} edited reposts"
    )
    t = time.process_time()
    cleaned = [(i, clean_text(text)) for i, text in items]
    clean_s = time.process_time() - t
    print(f"  clean_text alone: {len(items) / clean_s:.0f} items per CPU-second")
    print(
        f"  {'':38s} {'items/s':>8s} {'items/s':>8s} {'µs/item':>8s}   p95 latency (ms)\n"
        f"  {'':38s} {'CPU':>8s} {'wall':>8s} {'CPU':>8s}   CPU / wall, per call"
    )
    runs = (
        ("check_and_add, raw text", items, False, 1),
        ("check_and_add, cleaned text", cleaned, True, 1),
        (f"check_and_add_many ({CHUNK}), raw text", items, False, CHUNK),
        (f"check_and_add_many ({CHUNK}), cleaned", cleaned, True, CHUNK),
    )
    reference: list[object] | None = None
    index = None
    for label, data, is_clean, chunk in runs:
        index, wall_s, cpu_s, wall, cpu, answers = timed(data, is_clean, chunk)
        print(
            f"  {label:38s} {len(data) / cpu_s:8.0f} {len(data) / wall_s:8.0f}"
            f" {cpu_s / len(data) * 1e6:8.0f}   {p95(cpu) * 1e3:.2f} / {p95(wall) * 1e3:.2f}"
        )
        if reference is None:
            reference = answers
        elif answers != reference:
            print("    !! answers differ from the first run")
    assert index is not None and reference is not None
    found = {i for (i, _), m in zip(items, reference, strict=True) if m is not None}
    ids = {i for i, _ in items}
    hit = sum(1 for i in planted if i in found and i in ids)
    in_items = sum(1 for i in planted if i in ids)
    print(
        f"  planted reposts found {hit}/{in_items}; "
        f"other items marked duplicate {len(found - set(planted))}"
    )

    print(f"  index in memory (bytes_per_item)       {index.bytes_per_item():8.0f} B/item")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    traced = NearDupIndex()
    traced.check_and_add_many(cleaned, cleaned=True)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"  index in memory (tracemalloc)          {(after - before) / len(items):8.0f} B/item"
        "  (includes the 4 MB hashing buffer)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "neardup.npz"
        t = time.perf_counter()
        index.save(path)
        save_s = time.perf_counter() - t
        size = path.stat().st_size
        t = time.perf_counter()
        loaded = NearDupIndex.load(path, threshold=DEFAULT_THRESHOLD)
        load_s = time.perf_counter() - t
    print(
        f"  saved file                             {size / len(items):8.0f} B/item"
        f"  ({size / 1e6:.1f} MB)"
    )
    print(f"  save {save_s * 1e3:.0f} ms, load {load_s * 1e3:.0f} ms for {len(items)} items")
    cont_a = index.check_and_add_many(extra)
    cont_b = loaded.check_and_add_many(extra)
    same = cont_a == cont_b and [loaded.duplicate_of(i) for i, _ in items] == [
        index.duplicate_of(i) for i, _ in items
    ]
    print(f"  {len(extra)} more items after reload: answers identical to the unsaved index: {same}")


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import datasketch

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"datasketch {datasketch.__version__}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
    )
    print(
        f"defaults: threshold {DEFAULT_THRESHOLD}, num_perm {DEFAULT_NUM_PERM}, "
        f"shingle {DEFAULT_SHINGLE}"
    )
    quality()
    throughput()


if __name__ == "__main__":
    main()
