"""A monthly 《产品质量安全资讯》 on a month of demo data, as .docx and PDF (target ≤ 30 s).

Usage: .venv/bin/python benchmarks/bench_bulletin.py [--seed 20261126] [--month 2026-11]

Builds the demo year on a throw-away SQLite database (``demo_db.screened_demo``: generate,
ingest, screen), then runs the rest of the loop as ``pqrisk demo`` does: assessment and
warning proposals (``run_pipeline``), every signal detection method over the year
(``backfill``) and the demo users' walk (approvals, publications, disposal reports). Then it
drafts the monthly issue of ``--month`` (default: the current month, the one in which the
demo's warnings are published and its disposal reported) and times each step: gathering the
period's data and drafting (``create_bulletin``), the charts, the .docx and the PDF.
Prints seconds, sizes and what the issue holds; nothing is asserted.

``--reuse DIR`` times the bulletin again on a demo database an earlier run built (its path is
printed; the month's earlier issue there is deleted first), without building the year again.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_db import screened_demo

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--month", default="", help="YYYY-MM (default: the current month)")
    parser.add_argument("--reuse", type=Path, help="a demo var dir an earlier run built")
    args = parser.parse_args()

    if args.reuse:
        _reuse(args.reuse)
    else:
        _build(args.seed)
    from django.utils import timezone

    from pqrisk.bulletins import documents, services
    from pqrisk.bulletins.charts import bulletin_charts, cjk_font
    from pqrisk.bulletins.periods import month_period

    if args.month:
        year, month = (int(p) for p in args.month.split("-"))
    else:
        today = timezone.localdate()
        year, month = today.year, today.month
    start, end = month_period(year, month)
    from pqrisk.bulletins.models import Bulletin

    Bulletin.objects.filter(kind="monthly", period_start=start, period_end=end).delete()

    timings: dict[str, float] = {}
    t = time.perf_counter()
    bulletin = services.create_bulletin(
        None, services.BulletinRequest(kind="monthly", start=start, end=end)
    )
    timings["gather + draft + version"] = time.perf_counter() - t
    version = bulletin.versions.get()
    content = version.content

    t = time.perf_counter()
    charts = bulletin_charts(content["data"])
    timings["charts (matplotlib)"] = time.perf_counter() - t
    t = time.perf_counter()
    docx = documents.render_docx(content)
    timings["docx (python-docx)"] = time.perf_counter() - t
    t = time.perf_counter()
    pdf = documents.render_pdf(content)
    timings["pdf (WeasyPrint)"] = time.perf_counter() - t
    total = (
        timings["gather + draft + version"]
        + timings["docx (python-docx)"]
        + timings["pdf (WeasyPrint)"]
    )

    # The same through the service the pages and the CLI use (charts drawn once, files kept).
    t = time.perf_counter()
    for fmt in ("docx", "pdf"):
        services.version_file(version, fmt)
    service_seconds = time.perf_counter() - t

    data = content["data"]
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"\nmonthly bulletin {bulletin.issue_label} {bulletin.title}")
    print(f"period {start} – {end}; chart font: {cjk_font() or 'none'}")
    print(
        f"  risk items {data['counts']['risk_infos']}, new warnings {data['warnings']['total']}, "
        f"top events {len(data['risks']['events'])}, signals {data['signals']['total']}, "
        f"disposal reports {data['disposal']['reports']}, consumer tips {len(data['tips'])}, "
        f"charts {len(charts)}"
    )
    print()
    for step, seconds in timings.items():
        print(f"  {step:<26} {seconds:6.2f} s")
    print(f"  {'total (docx + PDF)':<26} {total:6.2f} s   target ≤ {TARGET_SECONDS:.0f} s")
    print(f"  {'service: both files':<26} {service_seconds:6.2f} s   (charts cached)")
    print(f"\n  docx {len(docx) / 1024:.0f} KB, PDF {len(pdf) / 1024:.0f} KB ({pages} pages)")


def _build(seed: int) -> None:
    started = time.perf_counter()
    tmp = screened_demo(seed, "pqrisk-bench-bulletin-")
    from pqrisk.demo.loader import ensure_demo_users, walk_demo_loop
    from pqrisk.pipeline import run_pipeline
    from pqrisk.signals.services import backfill

    run_pipeline()
    backfill()
    ensure_demo_users(password="bench-password-2026")
    walk_demo_loop()
    print(f"demo year built in {time.perf_counter() - started:.0f} s ({tmp})")


def _reuse(var_dir: Path) -> None:
    os.environ["PQRISK_VAR_DIR"] = str(var_dir)
    os.environ["PQRISK_SCREENING_DIR"] = str(var_dir / "screening")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import django

    django.setup()
    logging.disable(logging.WARNING)
    print(f"reusing the demo year in {var_dir}")


if __name__ == "__main__":
    main()
