"""Screening with results persisted: ``screen_pending`` on stored raw items, items/s per core.

Usage: .venv/bin/python benchmarks/bench_screen_db.py [--items 20000] [--postgres]

The items are bench_screen.py's (about 300 characters, 20 % edited reposts), stored as media
and complaint raw items first (not timed). Then ``screen_pending`` runs over all of them:
the screening core, resolution against the register (2,000 demo enterprises), event
clustering, RiskInfo rows with evidence, audit events, and the near-duplicate index saved.

Prints items/s wall, items per CPU-second (this process plus, for a local PostgreSQL, its
server backend: the per-core rate, which other load on the machine changes little), and
beside it, in the same run, the in-memory core alone on the same items (``Screener``), so
the cost of persisting is a ratio. Peak RSS and the saved index size per item too.

``--postgres`` creates a throw-away database on the local server (postgres@127.0.0.1,
trust auth) and drops it afterwards; otherwise SQLite in a temporary folder.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import server_cpu_seconds
from bench_screen import make_items

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _create_pg() -> str:
    import psycopg

    name = f"pqrisk_bench_screen_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pqrisk-bench-screen-db-")
    os.environ["PQRISK_VAR_DIR"] = tmp
    os.environ["PQRISK_SCREENING_DIR"] = str(Path(tmp) / "screening")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    pg_name = _create_pg() if args.postgres else None
    if pg_name:
        os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
    try:
        run(args.items)
    finally:
        if pg_name:
            from django.db import connections

            connections.close_all()
            _drop_pg(pg_name)


def run(n: int) -> None:
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # as in production: no SQL log kept in memory

    from pqrisk.core.screening.screen import CHUNK, Screener
    from pqrisk.demo.generator import generate
    from pqrisk.enterprises.services import upsert_enterprises
    from pqrisk.intake.services import ingest_objects
    from pqrisk.screening.models import Event, RiskInfo
    from pqrisk.screening.services import get_context, screen_pending

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    items, reposts = make_items(n)
    upsert_enterprises(generate().enterprises, source_label="bench")
    records = [
        {
            "source": item["source"],
            "external_id": item["id"],
            "occurred_at": item["published_at"],
            "title": "",
            "text": item["text"],
        }
        for item in items
    ]
    for lo in range(0, len(records), 5000):
        ingest_objects(records[lo : lo + 5000], source_label="bench")
    mean = sum(len(i["text"]) for i in items) / len(items)
    print(f"database: {engine}; {len(items)} items, mean {mean:.0f} characters, {reposts} reposts")

    t = time.perf_counter()
    get_context()  # the register's lexicons and matcher: once per process, not in the rate
    print(f"context build: {time.perf_counter() - t:.2f} s (once per process)")

    wall, cpu, server = time.perf_counter(), time.process_time(), server_cpu_seconds()
    counts = screen_pending()
    wall = time.perf_counter() - wall
    client = time.process_time() - cpu
    server_after = server_cpu_seconds()
    server_cpu = server_after - server if server is not None and server_after is not None else 0.0
    done = sum(counts.values())
    spent = client + server_cpu
    print(
        f"screen_pending: {done} items in {wall:.1f} s: {done / wall:,.0f} items/s wall; "
        f"CPU client {client:.1f} s + server {server_cpu:.1f} s = {spent:.1f} s: "
        f"{done / spent:,.0f} items per CPU-second"
    )
    print(
        f"  duplicates {counts['duplicate']} (planted {reposts}), "
        f"events {Event.objects.count()}, stored {RiskInfo.objects.count()}"
    )

    ctx = get_context()
    screener = Screener(extractor=ctx.extractor, relevance=ctx.relevance)
    wall_m, cpu_m = time.perf_counter(), time.process_time()
    for lo in range(0, len(items), CHUNK):
        list(screener.screen(items[lo : lo + CHUNK]))
    wall_m, cpu_m = time.perf_counter() - wall_m, time.process_time() - cpu_m
    print(
        f"same items, core in memory: {len(items) / wall_m:,.0f} items/s wall, "
        f"{len(items) / cpu_m:,.0f} per CPU-second; persisted/in-memory per CPU-second "
        f"{(done / spent) / (len(items) / cpu_m):.2f}"
    )
    index_file = Path(settings.PQRISK_SCREENING_DIR) / "neardup.npz"
    print(
        f"saved index {index_file.stat().st_size / max(1, done):,.0f} bytes/item; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
