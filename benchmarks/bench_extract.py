"""Normalisation and extraction on one core: items/s, latency percentiles, 繁→简 and jieba costs.

Usage: .venv/bin/python benchmarks/bench_extract.py [--items 20000] [--seed 7]

Items are ~300 characters: a demo record's title with texts of demo records joined until the
body reaches 280 characters (pqrisk/demo). 5 % are converted to traditional Chinese
(OpenCC s2t, before timing) and 10 % get repost and news-page boilerplate and a URL, so that
every path of ``clean_text`` runs. Figures are per item: ``clean_text`` of title and body,
then ``Extractor.extract(cleaned=True)``; "CPU" is process time (what one core spends),
"wall" includes waiting when the machine is shared. The company-name finder (another
module) is measured apart on a subset. A reference loop (1M integer additions) is timed
first and last, to show how loaded the machine was.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencc import OpenCC

from pqrisk.core.screening.extract import Extractor, default_extractor
from pqrisk.core.screening.tagging import Vocabulary
from pqrisk.core.text.normalize import clean_text, normalize_text
from pqrisk.core.text.simplify import has_traditional, to_simplified
from pqrisk.demo.generator import generate
from pqrisk.taxonomy.loader import load_hazards, load_products

BOILERPLATE_HEAD = ("转发微博//@消费维权:", "转发:", "原标题:{title}\n", "【转发】")
BOILERPLATE_TAIL = (
    "(责任编辑:王五)",
    " 来源:新民晚报",
    "。免责声明:本文转自网络,如有侵权请联系删除。",
    "。点击上方蓝字关注我们",
)


def reference_loop_ms() -> float:
    start = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i
    return (time.process_time() - start) * 1000


def make_items(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    records = [r for r in generate().records if r.get("text")]
    s2t = OpenCC("s2t")
    items = []
    for _ in range(n):
        first = rng.choice(records)
        body = first["text"]
        while len(body) < 280:
            body += rng.choice(records)["text"]
        title, body = first["title"] or "", body[:320]
        roll = rng.random()
        if roll < 0.05:
            title, body = s2t.convert(title), s2t.convert(body)
        elif roll < 0.15:
            head = rng.choice(BOILERPLATE_HEAD).replace("{title}", title)
            body = (
                f"{head}{body} http://t.cn/A6{rng.randrange(10**6)}{rng.choice(BOILERPLATE_TAIL)}"
            )
        items.append((title, body))
    return items


def timed(label: str, items: list[Any], run: Callable[[Any], object]) -> list[float]:
    """Run ``run`` over ``items``; print items/s (CPU and wall) and latency percentiles."""
    latencies = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for item in items:
        t = time.perf_counter()
        run(item)
        latencies.append(time.perf_counter() - t)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    lat = sorted(latencies)
    p = {q: lat[min(len(lat) - 1, int(q / 100 * len(lat)))] * 1e6 for q in (50, 95, 99)}
    print(
        f"{label:34s} {len(items):6d} items  CPU {cpu / len(items) * 1e6:7.1f} µs/item"
        f" = {len(items) / cpu:7.0f} items/s   wall {len(items) / wall:7.0f} items/s"
        f"   p50 {p[50]:6.0f}  p95 {p[95]:6.0f}  p99 {p[99]:6.0f} µs"
    )
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--company-items", type=int, default=2_000)
    args = parser.parse_args()

    print(f"reference loop (1M additions)      {reference_loop_ms():7.1f} ms CPU")
    items = make_items(args.items, args.seed)
    length = statistics.mean(len(t) + len(b) for t, b in items)
    traditional = [it for it in items if has_traditional(it[1])]
    print(f"items: {len(items)}, mean length {length:.0f} chars, traditional {len(traditional)}")

    t = time.perf_counter()
    extractor = Extractor(
        products=[Vocabulary(p.code, (p.name, *p.keywords), p.level) for p in load_products()],
        hazards=[Vocabulary(h.code, h.keywords) for h in load_hazards() if h.keywords],
    )
    extractor.extract("预热")  # builds the automaton
    print(f"extractor build                    {time.perf_counter() - t:7.3f} s")

    timed(
        "normalize_text (title + body)",
        items,
        lambda it: (normalize_text(it[0]), normalize_text(it[1])),
    )
    timed("clean_text (title + body)", items, lambda it: (clean_text(it[0]), clean_text(it[1])))
    cleaned = [(clean_text(t), clean_text(b)) for t, b in items]
    timed(
        "extract (cleaned input)", cleaned, lambda it: extractor.extract(it[1], it[0], cleaned=True)
    )
    timed(
        "clean_text + extract",
        items,
        lambda it: extractor.extract(clean_text(it[1]), clean_text(it[0]), cleaned=True),
    )

    # 繁→简: OpenCC on the traditional items against our tables, and the gate on the rest.
    sample = [b for _, b in traditional[:1000]]
    simplified = [b for _, b in cleaned[:5000]]
    if sample:
        t2s = OpenCC("t2s")
        t2s.convert("預熱")
        timed("t2s OpenCC (traditional bodies)", sample, t2s.convert)
        timed("t2s ours (traditional bodies)", sample, to_simplified)
    timed("traditional gate (simplified bodies)", simplified, has_traditional)

    # The company-name finder of pqrisk.core.text.company, when present.
    with_companies = default_extractor()
    finder = with_companies.company_finder
    if finder is not None:
        subset = cleaned[: args.company_items]
        with_companies.extract("上海某某电器有限公司", cleaned=True)
        timed("company finder alone", subset, lambda it: finder(it[0] + "\n" + it[1]))
        timed(
            "extract with company finder",
            subset,
            lambda it: with_companies.extract(it[1], it[0], cleaned=True),
        )

    # jieba: not in the extraction path; its costs for the classifier and term lists.
    from pqrisk.core.text.segment import Segmenter, default_user_dictionary

    t = time.perf_counter()
    words = default_user_dictionary()
    segmenter = Segmenter(words)
    build = time.perf_counter() - t
    init = segmenter.warm_up()
    print(f"jieba user dictionary              {len(words)} words {build:.3f} s, init {init:.2f} s")
    timed("jieba cut (cleaned bodies)", [b for _, b in cleaned[:1000]], segmenter.cut)
    print(f"reference loop (1M additions)      {reference_loop_ms():7.1f} ms CPU")


if __name__ == "__main__":
    main()
