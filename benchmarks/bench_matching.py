"""Cross-source matching of records to enterprises and products, against labelled samples.

Usage: .venv/bin/python benchmarks/bench_matching.py [--split eval|tune] [--high T] [--low T]
       [--errors N]

Samples: benchmarks/data/matching_{tune,eval}.json.gz, built by
scripts/build_matching_sample.py (generator seeds 101 and 202 plus shared company names;
the tune split set the confidences, the eval split is the measurement). Prints, for the
enterprise and the product of each record:

- precision, recall and F1 of the auto-accepted matches (a match counts as right when it is
  the true enterprise or product; a record whose truth is "none" and that gets a match is a
  false positive; recall is over the records with a true answer);
- the same for accepted + reviewed, counting the review queue as a perfect reviewer would
  settle it (the true candidate confirmed if it is among the queued ones, the rest rejected),
  and the size of the queue;
- per method and per kind of spelling;
- the exact-name-only baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.screening.matching import (
    Decision,
    EnterpriseEntry,
    ProductEntry,
    RecordFacts,
    RecordMatcher,
    Register,
    Target,
    Thresholds,
    exact_name_baseline,
)

DATA = Path(__file__).resolve().parent / "data"


def load(split: str) -> dict[str, Any]:
    with gzip.open(DATA / f"matching_{split}.json.gz", "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def register_of(data: dict[str, Any]) -> Register:
    ents = [
        EnterpriseEntry(
            e["id"],
            e["name"],
            e.get("uscc", ""),
            e.get("district", ""),
            frozenset(e.get("categories", ())),
        )
        for e in data["enterprises"]
    ]
    products = [
        ProductEntry(
            p["id"],
            p["enterprise_id"],
            brand=p["brand"],
            model=p["model"],
            gtins=frozenset(p["gtins"]),
        )
        for p in data["products"]
    ]
    return Register(ents, products)


def facts_of(row: dict[str, Any]) -> RecordFacts:
    f = row["facts"]
    return RecordFacts(
        uscc=f.get("uscc", ""),
        names=tuple(f.get("names", ())),
        mentions=tuple(f.get("mentions", ())),
        brand=f.get("brand", ""),
        model=f.get("model", ""),
        gtins=tuple(f.get("gtins", ())),
        district=f.get("district", ""),
        category=f.get("category", ""),
    )


class Tally:
    def __init__(self) -> None:
        self.tp = self.fp = self.positives = 0

    def add(self, got: Any, truth: Any) -> None:
        if truth is not None:
            self.positives += 1
        if got is None:
            return
        if got == truth:
            self.tp += 1
        else:
            self.fp += 1

    def line(self, label: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        r = self.tp / self.positives if self.positives else float("nan")
        f1 = 2 * p * r / (p + r) if p + r else float("nan")
        return (
            f"  {label:<34} precision {p:6.3f}  recall {r:6.3f}  F1 {f1:6.3f}"
            f"  (tp {self.tp}, fp {self.fp}, with truth {self.positives})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="eval", choices=("eval", "tune"))
    ap.add_argument("--high", type=float, default=Thresholds().high)
    ap.add_argument("--low", type=float, default=Thresholds().low)
    ap.add_argument("--errors", type=int, default=0, help="print N wrong auto-accepted matches")
    args = ap.parse_args()
    data = load(args.split)
    t0 = time.perf_counter()
    register = register_of(data)
    build = time.perf_counter() - t0
    matcher = RecordMatcher(register, Thresholds(args.high, args.low))
    baseline = exact_name_baseline(register)
    rows = data["records"]

    tallies: dict[str, Tally] = defaultdict(Tally)
    queue = Counter[str]()
    negatives = Counter[str]()
    errors: list[str] = []
    t0 = time.perf_counter()
    for row in rows:
        facts = facts_of(row)
        proposals = matcher.match(facts)
        for target, truth in (
            (Target.ENTERPRISE, row["truth_enterprise"]),
            (Target.PRODUCT, row["truth_product"]),
        ):
            mine = [p for p in proposals if p.target == target]
            auto = next((p for p in mine if p.decision == Decision.ACCEPT), None)
            reviewed = [p for p in mine if p.decision == Decision.REVIEW]
            queue[target] += bool(reviewed)
            got = auto.candidate_id if auto else None
            tallies[f"{target}|auto"].add(got, truth)
            if got is None and reviewed:
                # A perfect reviewer confirms the true candidate if it is queued.
                ids = {p.candidate_id for p in reviewed}
                settled = truth if truth in ids else None
            else:
                settled = got
            tallies[f"{target}|auto+review"].add(settled, truth)
            if auto is not None:
                tallies[f"{target}|method {auto.method}"].add(got, truth)
            if target == Target.ENTERPRISE and truth is None:
                negatives["records"] += 1
                negatives["matched"] += got is not None
                negatives["queued"] += got is None and bool(reviewed)
            if target == Target.ENTERPRISE:
                tallies[f"{target}|spelling {row['variant']}"].add(got, truth)
                if auto is not None and got != truth and len(errors) < args.errors:
                    errors.append(
                        f"{row['id']} {row['variant']} {facts.names or facts.mentions} → "
                        f"{register.enterprises[got].name} ({auto.method}, {auto.confidence}); "
                        f"truth {register.enterprises[truth].name if truth else '—'}"
                    )
        tallies["baseline|exact name"].add(baseline(facts), row["truth_enterprise"])
    elapsed = time.perf_counter() - t0

    print(
        f"split {args.split} (seed {data['seed']}): {len(rows)} records, "
        f"{len(data['enterprises'])} registered enterprises, {len(data['products'])} products; "
        f"thresholds high {args.high}, low {args.low}"
    )
    for group in ("enterprise", "product", "baseline"):
        print(f"{group}:")
        for key in sorted(k for k in tallies if k.startswith(group + "|")):
            print(tallies[key].line(key.split("|", 1)[1]))
    print(
        f"records whose enterprise is not registered or not named: {negatives['records']}; "
        f"wrongly auto-accepted {negatives['matched']}, sent to review {negatives['queued']}"
    )
    print(
        f"review queue: {queue[Target.ENTERPRISE]} records for the enterprise, "
        f"{queue[Target.PRODUCT]} for the product"
    )
    print(f"speed: register built in {build * 1000:.0f} ms, {len(rows) / elapsed:,.0f} records/s")
    for line in errors:
        print("  wrong:", line)


if __name__ == "__main__":
    main()
