"""The domain core alone, no database: keyword tagging, exact dedup and the risk matrix.

Usage: .venv/bin/python benchmarks/bench_core.py
Texts are the generated demo records (one year, default seed); figures are items/s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.assessment.matrix import AssessmentInput, ScenarioStep, assess
from pqrisk.core.screening.dedup import content_hash, dedup_exact
from pqrisk.core.screening.tagging import KeywordTagger, Vocabulary
from pqrisk.core.text.normalize import normalize_text
from pqrisk.demo.generator import generate
from pqrisk.taxonomy.loader import load_districts, load_hazards, load_products


def rate(label: str, n: int, seconds: float) -> None:
    print(f"{label:28s} {n:8d} items {seconds:7.2f} s {n / seconds:10.0f} items/s")


def main() -> None:
    records = generate().records
    texts = [(r["title"], r["text"]) for r in records]

    t = time.perf_counter()
    tagger = KeywordTagger(
        products=[Vocabulary(p.code, (p.name, *p.keywords), p.level) for p in load_products()],
        hazards=[Vocabulary(h.code, h.keywords) for h in load_hazards() if h.keywords],
        districts=[Vocabulary(d.code, (d.name,)) for d in load_districts()],
    )
    print(f"tagger build                 {time.perf_counter() - t:7.3f} s")

    t = time.perf_counter()
    clean = [(normalize_text(a), normalize_text(b)) for a, b in texts]
    rate("normalize (title + text)", len(texts), time.perf_counter() - t)

    t = time.perf_counter()
    for a, b in clean:
        tagger.tag(f"{a} {b}")
    rate("keyword tagging", len(clean), time.perf_counter() - t)

    t = time.perf_counter()
    for a, b in clean:
        content_hash(a, b)
    rate("content hash", len(clean), time.perf_counter() - t)

    t = time.perf_counter()
    dups = dedup_exact(texts)
    rate("exact dedup (raw texts)", len(texts), time.perf_counter() - t)
    print(f"  exact duplicates found: {sum(d is not None for d in dups)}")

    inp = AssessmentInput(
        severity=4,
        steps=(
            ScenarioStep("缺陷", 1.0, 0.5, 1.0),
            ScenarioStep("危险状态", 0.1, 0.01, 0.5),
            ScenarioStep("伤害", 0.001, 0.0001, 0.01),
        ),
        exposed_units=250_000,
    )
    n = 20_000
    t = time.perf_counter()
    for _ in range(n):
        assess(inp)
    rate("risk matrix assessment", n, time.perf_counter() - t)


if __name__ == "__main__":
    main()
