"""Screening throughput: ``Screener`` (clean, dedup, relevance, extract, cluster) in memory.

Usage: .venv/bin/python benchmarks/bench_screen.py [--items 20000] [--model M]

Items: 20,000 of about 300 characters, 20 % of them edited reposts of an earlier item
(benchmarks/bench_dedup.py's ``repost`` edits). Originals alternate between the demo
generator's media and complaint texts about products (with enterprises, brands, models,
districts and hazards for the extractor to find) and sentences of the shared food-safety
news, each padded with more sentences to about 300 characters.

Prints items/s over the whole run (wall and CPU of this one process: the per-core rate),
p95 latency per item when items are screened one at a time (the slowest path: no chunking),
p95 per chunk, peak RSS and the build time of the screener (lexicons, gazetteer, taxonomy),
which is paid once per process and not counted in the rate. ``--model`` adds a relevance
model trained by ``pqrisk classify train``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedup import repost
from build_dedup_labels import load_news

from pqrisk.core.screening.run import load_relevance
from pqrisk.core.screening.screen import CHUNK, Screener
from pqrisk.demo.generator import generate

DUP_SHARE = 0.2


def make_items(n: int, seed: int = 11) -> tuple[list[dict[str, str]], int]:
    rng = random.Random(seed)
    news = [s for _, t in load_news() for s in re.split(r"(?<=[。！？])", t) if 12 <= len(s) <= 90]
    demo = [
        f"{r['title']}。{r['text']}"
        for r in generate().records
        if r["source"] in ("media", "complaint") and r.get("text")
    ]
    items: list[dict[str, str]] = []
    reposts = 0
    for k in range(n):
        when = f"2026-{1 + k * 12 // n:02d}-{1 + k % 28:02d}"
        if items and rng.random() < DUP_SHARE:
            original = rng.choice(items)
            text = repost(original["text"], rng)
            reposts += 1
        else:
            parts = [rng.choice(demo) if k % 2 else rng.choice(news)]
            while sum(map(len, parts)) < 280:
                parts.append(rng.choice(news))
            text = "".join(parts)[:320]
        items.append(
            {"id": f"S{k:06d}", "text": text, "source": rng.choice(("media", "complaint")),
             "published_at": when}
        )  # fmt: skip
    return items, reposts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    items, reposts = make_items(args.items)
    mean_len = sum(len(i["text"]) for i in items) / len(items)
    print(f"{len(items)} items, mean {mean_len:.0f} characters, {reposts} edited reposts")

    t = time.perf_counter()
    relevance = load_relevance(args.model)
    Screener(relevance=relevance)  # builds and caches the extractor
    print(f"screener build: {time.perf_counter() - t:.2f} s (once per process)")

    screener = Screener(relevance=relevance)
    chunk_times: list[float] = []
    results = []
    wall, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, len(items), CHUNK):
        c = time.perf_counter()
        results.extend(screener.screen(items[lo : lo + CHUNK]))
        chunk_times.append(time.perf_counter() - c)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dups = sum(1 for r in results if r.get("duplicate_of"))
    errors = sum(1 for r in results if r.get("error"))
    events = len({r["event_id"] for r in results if r.get("event_id")})
    print(
        f"chunks of {CHUNK}: {len(items) / wall:7.0f} items/s wall, {len(items) / cpu:7.0f} "
        f"items per CPU-second; p95 per chunk {np.percentile(chunk_times, 95) * 1000:.0f} ms"
    )
    print(f"  duplicates {dups} (planted {reposts}), events {events}, errors {errors}")

    single = Screener(relevance=relevance)
    latencies = []
    sample = items[:2000]
    for item in sample:
        c = time.perf_counter()
        list(single.screen([item]))
        latencies.append(time.perf_counter() - c)
    print(
        f"one item at a time ({len(sample)} items): p95 {np.percentile(latencies, 95) * 1000:.2f}"
        f" ms, median {np.median(latencies) * 1000:.2f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"index {screener.index.bytes_per_item():.0f} bytes/item; peak RSS {rss:.0f} MiB")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
