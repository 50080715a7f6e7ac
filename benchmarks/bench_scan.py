"""Space-time permutation scan (pqrisk/core/signals/scan.py): 17 districts × 365 days × 999.

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scan.py
       [--per-day 20 100 1000] [--seed 1]

Data: Shanghai's 17 district-level units with approximate centroids (district government
seats; for the benchmark only — the platform takes centroids from its caller), one year of
daily counts: Poisson with a district effect (gamma), a seasonal wave and weekly dip, at
``--per-day`` cases a day city-wide. Three runs per load: null data (no cluster), a planted
cluster (the three districts nearest to 徐汇 × 7 days at 3× their rate) retrospective, and the
same prospective (windows ending on the last day, the cluster planted in the last week).

Printed per run: wall seconds, tracemalloc peak (Python allocations, numpy included) and the
process's peak RSS, the number of cylinders, the most likely cluster with its p-value.
Target (issue 9): ≤ 10 s on one core for 17 × 365 × 999. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.signals.scan import CaseCounts, space_time_permutation_scan

# Approximate (longitude, latitude) of each district's government seat.
CENTROIDS: dict[str, tuple[float, float]] = {
    "310101": (121.484, 31.232),  # 黄浦
    "310104": (121.437, 31.179),  # 徐汇
    "310105": (121.424, 31.220),  # 长宁
    "310106": (121.459, 31.247),  # 静安
    "310107": (121.396, 31.250),  # 普陀
    "310109": (121.505, 31.265),  # 虹口
    "310110": (121.526, 31.260),  # 杨浦
    "310112": (121.382, 31.113),  # 闵行
    "310113": (121.489, 31.405),  # 宝山
    "310114": (121.266, 31.375),  # 嘉定
    "310115": (121.544, 31.221),  # 浦东
    "310116": (121.342, 30.742),  # 金山
    "310117": (121.228, 31.032),  # 松江
    "310118": (121.124, 31.150),  # 青浦
    "310120": (121.474, 30.918),  # 奉贤
    "310151": (121.397, 31.623),  # 崇明
    "310199": (121.905, 30.890),  # 临港
}
DAYS = 365
START = date(2025, 1, 1)
REPLICATES = 999


def make_cases(per_day: float, seed: int, plant_first_day: int | None) -> tuple[CaseCounts, str]:
    rng = np.random.default_rng(seed)
    codes = tuple(CENTROIDS)
    weight = rng.gamma(3.0, 1.0, len(codes))
    day = np.arange(DAYS)
    season = (1 + 0.3 * np.sin(2 * np.pi * day / 365)) * np.where(day % 7 >= 5, 0.7, 1.0)
    rate = np.outer(weight / weight.sum(), season / season.mean()) * per_day
    planted = ""
    if plant_first_day is not None:
        xy = np.array([CENTROIDS[c] for c in codes])
        near = np.argsort(np.hypot(*(xy - np.array(CENTROIDS["310104"])).T))[:3]
        rate[np.ix_(near, np.arange(plant_first_day, plant_first_day + 7))] *= 3.0
        planted = "、".join(sorted(codes[i] for i in near))
        planted += f" {START + timedelta(days=plant_first_day)}起7天×3"
    dates = tuple(START + timedelta(days=k) for k in range(DAYS))
    return CaseCounts(codes, dates, rng.poisson(rate)), planted


def run(label: str, cases: CaseCounts, planted: str, prospective: bool, seed: int) -> None:
    tracemalloc.start()
    t = time.perf_counter()
    result = space_time_permutation_scan(
        cases, CENTROIDS, replicates=REPLICATES, prospective=prospective, seed=seed
    )
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:34s} {seconds:6.2f} s  tracemalloc peak {peak / 2**20:6.1f} MiB  "
        f"max RSS {rss:6.1f} MiB  cases {result.total_cases:6d}  "
        f"cylinders {result.cylinders:8d}  critical LLR(0.05) {result.critical_value(0.05):.2f}"
    )
    if planted:
        print(f"  planted: {planted}")
    top = result.most_likely
    print(f"  {top.description if top else '没有超出期望的聚集'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=float, nargs="+", default=[20.0, 100.0, 1000.0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}  numpy {np.__version__}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}  "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{len(CENTROIDS)} districts × {DAYS} days, {REPLICATES} replicates, max 30 days")
    for per_day in args.per_day:
        print(f"\n-- {per_day:g} cases a day city-wide")
        cases, _ = make_cases(per_day, args.seed, None)
        run("null data, retrospective", cases, "", False, args.seed)
        cases, planted = make_cases(per_day, args.seed, 200)
        run("planted cluster, retrospective", cases, planted, False, args.seed)
        cases, planted = make_cases(per_day, args.seed, DAYS - 7)
        run("planted last week, prospective", cases, planted, True, args.seed)


if __name__ == "__main__":
    main()
