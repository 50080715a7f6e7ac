"""Disproportionality (pqrisk/core/signals/disproportionality.py) on a large product × hazard table.

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_disproportionality.py
       [--products 2000] [--hazards 40] [--reports 200000] [--seed 1] [--vigipy]

Data: a seeded table with independent product and hazard margins (gamma), a log-normal
(σ = 0.3) pair-level variation of the reporting ratio, and 20 planted pairs at 4× — the
situation a regulator's complaint table is in: everything a bit disproportional, a few pairs
truly so. Printed: time to build the table from (product, hazard, count) records, the
gamma-Poisson prior fit alone, the whole ``disproportionality`` call (all four metrics and
flags), pairs/s, turning all pairs into records with the Chinese rule lines, tracemalloc peak,
signals per method and how many planted pairs each method finds. ``--vigipy`` times vigipy
3.5.1 (PRR, ROR, BCPNN, GPS; pandas) on the same table for reference.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.signals.disproportionality import (
    ContingencyTable,
    disproportionality,
    fit_gamma_poisson_prior,
)

PLANTED = 20


def make_table(products: int, hazards: int, reports: int, seed: int) -> tuple[list, set]:
    rng = np.random.default_rng(seed)
    rate = np.outer(rng.gamma(1.5, 1.0, products), rng.gamma(2.0, 1.0, hazards))
    rate *= reports / rate.sum()
    rate *= np.exp(rng.normal(0.0, 0.3, rate.shape))
    # planted pairs among reasonably reported cells (expected ≥ 2 before the 4×)
    candidates = np.argwhere(rate >= 2.0)
    chosen = candidates[rng.choice(len(candidates), PLANTED, replace=False)]
    rate[chosen[:, 0], chosen[:, 1]] *= 4.0
    counts = rng.poisson(rate)
    names_p = [f"产品{i:05d}" for i in range(products)]
    names_h = [f"危害{j:03d}" for j in range(hazards)]
    records = [
        (names_p[i], names_h[j], int(counts[i, j]))
        for i in range(products)
        for j in range(hazards)
        if counts[i, j]
    ]
    planted = {(names_p[i], names_h[j]) for i, j in chosen}
    return records, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--hazards", type=int, default=40)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--vigipy", action="store_true")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}  numpy {np.__version__}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}  "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    records, planted = make_table(args.products, args.hazards, args.reports, args.seed)

    t = time.perf_counter()
    table = ContingencyTable.from_records(records)
    build = time.perf_counter() - t
    cells = table.counts.size
    total = int(table.counts.sum())
    print(
        f"table {len(table.products)} products × {len(table.hazards)} hazards = {cells} cells, "
        f"{len(records)} observed pairs, {total} reports; built from records in {build:.2f} s"
    )

    counts = table.counts.astype(float)
    expected = np.outer(counts.sum(1), counts.sum(0)) / total
    t = time.perf_counter()
    fit = fit_gamma_poisson_prior(counts, expected)
    fit_seconds = time.perf_counter() - t
    p = fit.prior
    print(
        f"gamma-Poisson prior fit on all {fit.cells} cells: {fit_seconds:.2f} s, "
        f"converged {fit.converged}, log L {fit.log_likelihood:.2f}\n"
        f"  α1={p.alpha1:.4g} β1={p.beta1:.4g} α2={p.alpha2:.4g} β2={p.beta2:.4g} "
        f"P={p.weight:.4f}"
    )

    tracemalloc.start()
    t = time.perf_counter()
    result = disproportionality(table)
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"disproportionality (PRR/χ², ROR, IC, EBGM incl. prior fit): {seconds:.2f} s, "
        f"{len(result) / seconds:,.0f} pairs/s, tracemalloc peak {peak / 2**20:.1f} MiB"
    )
    t = time.perf_counter()
    rows = result.pairs()
    seconds = time.perf_counter() - t
    print(f"records with Chinese rule lines for all {len(rows)} pairs: {seconds:.2f} s")

    print(f"\n{'method':6s} {'signals':>8s} {'planted found':>14s}")
    for name, flags in (
        ("PRR", result.prr_signal),
        ("ROR", result.ror_signal),
        ("IC", result.ic_signal),
        ("EBGM", result.ebgm_signal),
    ):
        hits = {
            (result.products[result.product_index[k]], result.hazards[result.hazard_index[k]])
            for k in np.flatnonzero(flags)
        }
        print(f"{name:6s} {len(hits):8d} {len(hits & planted):8d} / {len(planted)}")
    print(f"数据不足 (N < 3): {int((~result.sufficient).sum())} pairs")

    if args.vigipy:
        try:
            import pandas as pd
            import vigipy
        except ImportError as exc:
            print(f"\nvigipy not available: {exc}")
            return
        frame = pd.DataFrame(records, columns=["name", "AE", "count"])
        t = time.perf_counter()
        container = vigipy.convert(frame)
        print(f"\nvigipy {vigipy.__version__ if hasattr(vigipy, '__version__') else ''}")
        print(f"  convert {time.perf_counter() - t:.2f} s")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, call in (
                ("prr", lambda: vigipy.prr(container, min_events=1)),
                ("ror", lambda: vigipy.ror(container, min_events=1)),
                ("bcpnn", lambda: vigipy.bcpnn(container, min_events=1)),
                ("gps", lambda: vigipy.gps(container, min_events=1)),
            ):
                t = time.perf_counter()
                call()
                print(f"  {name:6s} {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
