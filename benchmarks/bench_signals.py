"""Temporal aberration detection (pqrisk/core/signals): speed at scale, then detection quality.

Usage (one core, as the target says):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_signals.py
Options: --series 100000 --weeks 416 --eval-weeks 156 --methods C1,C2,... --quality-series 1000

Speed: simulated weekly series (seed 1), 5 years of history + 3 judged years = 416 weeks by
default; every method judges the last --eval-weeks weeks of every series (Farrington and
Noufaily need 5 years + 3 weeks of history, so with 416 weeks their first 3 judged weeks are
"insufficient baseline"). Each method runs in its own process on the same saved counts; per
method: wall-clock and process CPU seconds (the CPU figure is the fairer one on a shared
machine), judged series-weeks per wall second, the process peak RSS (Python, libraries,
input counts and the method's arrays) and the number of alarms.

Quality: the evaluation harness on --quality-series series with one 2× outbreak each
(2–4 weeks, Poisson(2 × expected) extra cases per outbreak week), beside the reference
fixed threshold (history mean + 3 sd).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.signals.evaluate import evaluate, fixed_threshold
from pqrisk.core.signals.simulate import SimulationConfig, simulate
from pqrisk.core.signals.temporal import METHODS, Detection, detect


def _run(method: str, counts: np.ndarray, first: int) -> Detection:
    if method == "mean3sd":
        return fixed_threshold(counts, first)
    return detect(counts, method, first=first)


def speed(n_series: int, weeks: int, eval_weeks: int, methods: list[str]) -> None:
    t = time.perf_counter()
    cfg = SimulationConfig(
        n_series=n_series, n_periods=weeks, eval_periods=eval_weeks, outbreak_share=0.0, seed=1
    )
    sim = simulate(cfg)
    counts, first = sim.counts, sim.eval_start
    del sim
    judged = counts.shape[0] * (counts.shape[1] - first)
    print(
        f"simulated {counts.shape[0]} series × {counts.shape[1]} weeks in "
        f"{time.perf_counter() - t:.1f} s; judging the last {counts.shape[1] - first} weeks "
        f"= {judged:,} series-weeks per method"
    )
    print(
        f"{'method':12s} {'wall s':>8s} {'CPU s':>8s} {'series-weeks/s':>15s} "
        f"{'peak RSS MB':>12s} {'alarms':>9s}"
    )
    total = cpu_total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "counts.npy"
        np.save(path, counts)
        size_mb = counts.nbytes / 2**20
        del counts
        for method in [*methods, "mean3sd"]:
            # Each method runs in a fresh process, so its peak RSS is its own: the Python
            # runtime and libraries, the input counts and the method's arrays.
            done = subprocess.run(
                [sys.executable, __file__, "--one", method, "--counts", str(path)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "BENCH_FIRST": str(first)},
            )
            seconds, cpu, rss, alarms = json.loads(done.stdout.strip().splitlines()[-1])
            if method != "mean3sd":
                total += seconds
                cpu_total += cpu
            print(
                f"{method:12s} {seconds:8.2f} {cpu:8.2f} {judged / seconds:15,.0f} "
                f"{rss:12.0f} {alarms:9d}"
            )
    print(f"{'all methods':12s} {total:8.2f} {cpu_total:8.2f}")
    print(f"(the input counts alone are {size_mb:.0f} MB)")


def one(method: str, path: str) -> None:
    counts = np.load(path)
    first = int(os.environ["BENCH_FIRST"])
    t, c = time.perf_counter(), time.process_time()
    det = _run(method, counts, first)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps([seconds, cpu, _peak_rss_mb(), int(det.alarm.sum())]))


def _peak_rss_mb() -> float:
    # VmHWM, not getrusage: Linux carries ru_maxrss over from the forking parent.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quality(n_series: int, weeks: int, eval_weeks: int, methods: list[str]) -> None:
    cfg = SimulationConfig(
        n_series=n_series,
        n_periods=weeks,
        eval_periods=eval_weeks,
        outbreak_size=2.0,
        duration=(2, 4),
        seed=1,
    )
    sim = simulate(cfg)
    print(
        f"\nquality: {cfg.n_series} series × {cfg.n_periods} weeks, one outbreak each "
        f"(k = 2 × expected, 2–4 weeks) in the last {cfg.eval_periods} weeks"
    )
    print(
        f"{'method':12s} {'POD':>7s} {'FAR':>8s} {'FA/series-yr':>13s} {'median delay':>13s}"
        f" {'insufficient':>13s}"
    )
    for sc in evaluate(sim, methods):
        delay = "-" if sc.median_delay is None else f"{sc.median_delay:g}"
        print(
            f"{sc.method:12s} {sc.pod:7.1%} {sc.false_alarm_rate:8.2%} "
            f"{sc.false_alarms_per_series_year:13.2f} {delay:>13s} "
            f"{sc.insufficient_periods:13d}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--weeks", type=int, default=416)
    ap.add_argument("--eval-weeks", type=int, default=156)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--quality-series", type=int, default=1000)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--counts", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.counts)
        return
    methods = [m for m in args.methods.split(",") if m]
    if not args.skip_speed:
        speed(args.series, args.weeks, args.eval_weeks, methods)
    if args.quality_series:
        quality(args.quality_series, args.weeks, args.eval_weeks, methods)


if __name__ == "__main__":
    main()
