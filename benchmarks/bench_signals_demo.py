"""Signals against the demo generator's injected incidents (ground truth).

Usage: .venv/bin/python benchmarks/bench_signals_demo.py [--seed 20261126]

Generates the demo year, ingests and screens it on a throw-away SQLite database, runs every
detection method over the whole year (``pqrisk.signals.services.backfill``: weekly and daily
series, disproportionality, the space-time scan) and checks, for each of the nine injected
incidents, whether a signal of its product × hazard covers its period (from its start to two
weeks after its end). Disproportionality looks at the whole year, so it is reported apart: it
says *which* pairs stand out, not *when*.

Beside it, in the same run, a reference: a fixed rule on the same weekly series — any week
with at least 3 items is an alarm — with its number of signals (the analysts' workload).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_db import screened_demo

NAIVE_MIN = 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    tmp = screened_demo(args.seed, "pqrisk-bench-signals-")
    from pqrisk.reference.models import HazardType, ProductCategory
    from pqrisk.signals.models import Signal
    from pqrisk.signals.series import build_series, period_end
    from pqrisk.signals.services import backfill, episodes, first_record_day

    truth = json.loads((Path(tmp) / "demo" / "ground_truth.json").read_text("utf-8"))["events"]

    started = time.perf_counter()
    runs = backfill()
    seconds = time.perf_counter() - started
    weeks = max(1, len(build_series("week", first_record_day(), date.today()).starts))

    def covers(qs: object, start: date, end: date) -> object:
        return qs.filter(  # type: ignore[attr-defined]
            period_end__gte=start, period_start__lte=end + timedelta(days=14)
        )

    # Reference: count >= NAIVE_MIN in a week, on the same weekly series.
    last = max(date.fromisoformat(e["end_day"]) for e in truth) + timedelta(days=60)
    series = build_series("week", first_record_day(), last)
    naive = {"naive": series.counts >= NAIVE_MIN}
    naive_eps = [
        ep
        for ep in episodes(naive, 0)
        if series.counts[ep.series, ep.start : ep.end + 1].sum() >= 3
    ]
    codes = {c.pk: c.code for c in ProductCategory.objects.all()}
    hazards = {h.pk: h.code for h in HazardType.objects.all()}

    rows = []
    for e in truth:
        start, end = date.fromisoformat(e["start_day"]), date.fromisoformat(e["end_day"])
        pair = Signal.objects.filter(
            product_category__code=e["product_code"], hazard__code=e["hazard_code"]
        )
        temporal = covers(pair.filter(kind="temporal"), start, end)
        first = temporal.order_by("period_start").first()  # type: ignore[attr-defined]
        naive_hit = any(
            codes[series.keys[ep.series].category_id] == e["product_code"]
            and hazards[series.keys[ep.series].hazard_id] == e["hazard_code"]
            and period_end(series.starts[ep.end], "week") >= start
            and series.starts[ep.start] <= end + timedelta(days=14)
            for ep in naive_eps
        )
        rows.append(
            {
                "incident": e["event_id"],
                "start": e["start_day"],
                "temporal": first is not None,
                "first_signal": first.period_start.isoformat() if first else None,
                "delay_days": (first.period_end - start).days if first else None,
                "methods": sorted({m for s in temporal for m in s.methods}),  # type: ignore[attr-defined]
                "disproportionality": pair.filter(kind="disproportionality").exists(),
                "scan": covers(pair.filter(kind="spatial"), start, end).exists(),  # type: ignore[attr-defined]
                "naive": naive_hit,
            }
        )
    print(f"{'事件':32} {'开始':10} {'时间序列':6} {'比例失衡':6} {'固定阈值':6}  方法")
    for r in rows:
        print(
            f"{r['incident']:32} {r['start']:10} {'是' if r['temporal'] else '否':6} "
            f"{'是' if r['disproportionality'] else '否':6} {'是' if r['naive'] else '否':6}  "
            + "、".join(r["methods"])
        )
    counts = {
        k: Signal.objects.filter(kind=k).count()
        for k in ("temporal", "disproportionality", "spatial")
    }
    found_any = sum(r["temporal"] or r["disproportionality"] or r["scan"] for r in rows)
    summary = {
        "incidents": len(rows),
        "found_by_any_method": found_any,
        "found_by_temporal": sum(r["temporal"] for r in rows),
        "found_by_disproportionality": sum(r["disproportionality"] for r in rows),
        "reference_naive_found": sum(r["naive"] for r in rows),
        "signals": counts,
        "temporal_signals_per_week": round(counts["temporal"] / weeks, 1),
        "reference_naive_signals_per_week": round(len(naive_eps) / weeks, 1),
        "backfill_seconds": round(seconds, 1),
        "runs": {r.kind: {"series": r.series, "new": r.new_signals} for r in runs},
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
