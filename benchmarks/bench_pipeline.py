"""Throughput of the loop on generated demo data: prints items/s per step and peak memory.

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--enterprises 2000] [--days 365]
Runs on a throw-away SQLite database in a temporary folder unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pqrisk-bench-")
    os.environ.setdefault("PQRISK_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from pqrisk.assessment.services import assess_pending
    from pqrisk.demo.generator import generate
    from pqrisk.enterprises.services import upsert_enterprises
    from pqrisk.intake.services import ingest_file
    from pqrisk.screening.services import screen_pending
    from pqrisk.warnings.services import propose_pending

    call_command("migrate", verbosity=0)
    figures: list[tuple[str, int, float]] = []

    t = time.perf_counter()
    data = generate(seed=args.seed, n_enterprises=args.enterprises, days=args.days)
    files = data.write(Path(tmp) / "demo")
    figures.append(("generate", len(data.records), time.perf_counter() - t))

    t = time.perf_counter()
    upsert_enterprises(data.enterprises, source_label="bench")
    figures.append(("register enterprises", len(data.enterprises), time.perf_counter() - t))

    t = time.perf_counter()
    n = 0
    for name, path in files.items():
        if path.suffix == ".jsonl" and name != "enterprises":
            n += ingest_file(path).accepted
    figures.append(("ingest", n, time.perf_counter() - t))

    t = time.perf_counter()
    screened = screen_pending()
    figures.append(("screen", sum(screened.values()), time.perf_counter() - t))

    t = time.perf_counter()
    assessed = assess_pending()
    figures.append(("assess", sum(assessed.values()), time.perf_counter() - t))

    t = time.perf_counter()
    proposals = propose_pending()
    figures.append(("propose warnings", sum(proposals.values()), time.perf_counter() - t))

    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; enterprises {args.enterprises}, days {args.days}")
    for step, count, seconds in figures:
        print(
            f"{step:22s} {count:8d} items {seconds:8.2f} s "
            f"{count / seconds if seconds else 0:10.0f} items/s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS)      {peak:.0f} MiB")


if __name__ == "__main__":
    main()
