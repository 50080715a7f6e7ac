"""Intake throughput on hostile input: the generated mix of tests/security/hostile_records.py.

Usage: .venv/bin/python benchmarks/bench_bad_input.py [--units 10000 50000] [--seed 20260305]
Runs on a throw-away SQLite database in a temporary folder unless DATABASE_URL is set (ids
carry a per-run prefix). Each run feeds JSONL/CSV/Excel/UTF-16/binary files to
``ingest_file``, API bodies to ``read_records_body`` + ``ingest_objects`` (what
``POST /api/intake/records`` does, without HTTP) and objects to ``ingest_objects``, then
prints units per second by door and the split into accepted, repeats and quarantined, and
checks the split against the generator's prediction. Figures, not assertions on time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=20260305)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pqrisk-bench-bad-input-")
    os.environ.setdefault("PQRISK_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("migrate", verbosity=0)

    from pqrisk.intake.body import BodyRejected, read_records_body
    from pqrisk.intake.services import IngestResult, ingest_file, ingest_objects
    from tests.security.hostile_records import Submission, build

    def feed(sub: Submission, n: int) -> tuple[int, int, int]:
        if sub.channel == "file":
            path = Path(tmp) / f"{n}-{sub.name}"
            path.write_bytes(sub.data)
            r: IngestResult = ingest_file(path, source="complaint")
            return r.accepted, r.duplicates, r.quarantined
        if sub.channel == "api":
            try:
                body = read_records_body(sub.data, source_label="接口提交", max_records=1000)
            except BodyRejected:
                return 0, 0, 1
            r = ingest_objects(body.records, source_label="接口提交", source=body.source)
            return r.accepted, r.duplicates, r.quarantined
        r = ingest_objects(sub.data, source_label=sub.name, source="complaint")
        return r.accepted, r.duplicates, r.quarantined

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}")
    for units in args.units:
        prefix = f"B{int(time.time())}-{units}"
        submissions = build(seed=args.seed, prefix=prefix, total=units)
        seconds: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        totals = [0, 0, 0]
        mismatches = 0
        started = time.perf_counter()
        for n, sub in enumerate(submissions):
            t0 = time.perf_counter()
            got = feed(sub, n)
            seconds[sub.channel] += time.perf_counter() - t0
            count[sub.channel] += sub.units
            accepted, dups, reasons = sub.expected()
            mismatches += got != (accepted, dups, sum(reasons.values()))
            totals = [a + b for a, b in zip(totals, got, strict=True)]
        elapsed = time.perf_counter() - started
        print(
            f"{units} units in {elapsed:.1f} s: {units / elapsed:,.0f} units/s; "
            f"accepted {totals[0]}, repeats {totals[1]}, quarantined {totals[2]}; "
            f"submissions not as predicted: {mismatches}"
        )
        for channel in sorted(seconds):
            rate = count[channel] / seconds[channel]
            print(
                f"  {channel:8s} {count[channel]:7d} units {seconds[channel]:6.1f} s {rate:9,.0f}/s"
            )


if __name__ == "__main__":
    main()
