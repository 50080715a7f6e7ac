"""Dashboard API latency with 1,000,000 risk items in PostgreSQL (target: p95 ≤ 200 ms).

Usage: .venv/bin/python benchmarks/bench_dashboard.py [--items 1000000] [--requests 50]
       [--db postgresql://postgres@127.0.0.1:5432/dash] [--reload]

Loads (once; ``--reload`` drops and loads again) a dedicated database with generated rows,
streamed with COPY through ``pqrisk.bulk.insert_objects``: ``--items`` raw items and risk
items over two years (16 districts and 临港, the catalogue's products, every hazard, 2 %
without a date, 5 % duplicates and noise), 200,000 assessments (10 % re-assessed), 3,000
warnings in every state, 10,000 disposal tasks, 2,000 signals and 300 monitoring stations.

Then, not timed as API: a full refresh of the summary tables, and an incremental one after
1,000 more items. Timed: every dashboard API endpoint (and the page), warm, ``--requests``
times each through Django's test client as a city supervisor and as a district officer;
p50/p95/max per endpoint. Last, ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest queries the
endpoints ran.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/dash"
CHUNK = 25_000
ENDPOINTS = [
    "/api/dashboard/map",
    "/api/dashboard/trends",
    "/api/dashboard/trends?dimension=hazard&granularity=week",
    "/api/dashboard/warnings",
    "/api/dashboard/disposal",
    "/api/dashboard/matrix",
    "/api/dashboard/stations",
]


def ensure_database(url: str, reload: bool) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reload:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--load-only", action="store_true", help="load the data, time nothing")
    args = parser.parse_args()
    ensure_database(args.db, args.reload)
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    # The page's static URLs without a collectstatic manifest (the page is timed too).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    from pqrisk.screening.models import RiskInfo

    have = RiskInfo.objects.count()
    if have < args.items:
        load(args.items - have)
    print(f"risk items: {RiskInfo.objects.count():,}")
    if args.load_only:
        return
    refresh_summaries()
    measure(args.requests)


# ---------------------------------------------------------------- data


def load(n: int, *, workflow: bool = True) -> None:
    from django.db import connection
    from django.utils import timezone

    from pqrisk.bulk import insert_objects
    from pqrisk.intake.choices import SourceKind
    from pqrisk.intake.models import RawItem
    from pqrisk.reference.models import District, HazardType, ProductCategory
    from pqrisk.screening.models import RiskInfo

    rng = random.Random(20261127)
    districts = list(District.objects.all())
    # Busy central districts and Pudong get more: weights make the map worth looking at.
    weights = [3 if d.code in ("310115", "310101", "310104", "310112") else 1 for d in districts]
    products = list(ProductCategory.objects.filter(level=3))
    hazards = list(HazardType.objects.all())
    kinds = [k.value for k in SourceKind]
    statuses = ["pending_assessment"] * 55 + ["assessed"] * 30 + ["warned"] * 10
    statuses += ["duplicate"] * 3 + ["noise"] * 2
    now = timezone.now()
    start = time.perf_counter()
    offset = RawItem.objects.count()
    for lo in range(0, n, CHUNK):
        size = min(CHUNK, n - lo)
        raws = [
            RawItem(
                source_kind=rng.choice(kinds),
                source_name="bench",
                external_id=f"B-{offset + lo + i}",
                payload={"title": "电热水壶抽查不合格"},
                payload_hash=f"{offset + lo + i:064d}",
            )
            for i in range(size)
        ]
        insert_objects(raws)
        infos = []
        for raw in raws:
            product = rng.choice(products)
            district = rng.choices(districts, weights)[0]
            # Two years, more recent ones more often; later batches arrive about the last days.
            back = rng.random() ** 1.5 * 730 if workflow else rng.random() * 2
            when = now - timedelta(days=back, seconds=rng.randrange(86400))
            infos.append(
                RiskInfo(
                    raw_item=raw,
                    source_kind=raw.source_kind,
                    status=rng.choice(statuses),
                    title=f"{district.short_name}{product.name}风险信息",
                    occurred_at=None if rng.random() < 0.02 else when,
                    content_hash=raw.payload_hash,
                    district=None if rng.random() < 0.03 else district,
                    product_category=product,
                    product_name=product.name,
                    hazard=rng.choice(hazards),
                )
            )
        insert_objects(infos)
        done = lo + size
        rate = done / (time.perf_counter() - start)
        print(f"  loaded {done:,}/{n:,} ({rate:,.0f} items/s)", end="\r", flush=True)
    print()
    if workflow:
        load_workflow(rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"load: {time.perf_counter() - start:.0f} s")


def load_workflow(rng: random.Random) -> None:
    """Assessments, warnings, tasks, signals and stations at a busy bureau's scale."""
    from django.utils import timezone

    from pqrisk.assessment.models import Assessment
    from pqrisk.bulk import insert_objects
    from pqrisk.core.levels import WarningLevel
    from pqrisk.disposal.models import DisposalTask
    from pqrisk.reference.models import District
    from pqrisk.screening.models import RiskInfo
    from pqrisk.signals.models import Signal
    from pqrisk.stations.models import MonitoringStation
    from pqrisk.warnings.models import Warning

    now = timezone.now()
    districts = list(District.objects.filter(kind="district"))
    info_rows = list(
        RiskInfo.objects.order_by("-id").values_list("id", "district_id", "product_category_id")[
            :180_000
        ]
    )
    assessments = []
    for info_id, district_id, _ in info_rows + rng.sample(info_rows, 20_000):
        severity, band = rng.randint(1, 4), rng.randint(0, 7)
        assessments.append(
            Assessment(
                risk_info_id=info_id,
                district_id=district_id,
                method="matrix_auto",
                severity=severity,
                steps=[],
                probability=0.1,
                probability_low=0.05,
                probability_high=0.2,
                band=band,
                base_level="high",
                level="high",
                level_low="medium",
                level_high="high",
                attention="normal",
                explanation=[],
            )
        )
    insert_objects(assessments)
    states = ["draft", "in_review", "approved", "published", "published", "lifted", "rejected"]
    levels = [lv.value for lv in WarningLevel]
    warnings = []
    for i in range(3_000):
        a = assessments[i]
        status = rng.choice(states)
        warnings.append(
            Warning(
                title=f"基准预警{i}",
                level=rng.choice(levels),
                proposed_level="orange",
                modes=["internal_notice"],
                scope="district",
                attention="normal",
                reasons=[],
                status=status,
                district_id=a.district_id if rng.random() < 0.8 else None,
                assessment=a,
                publish_deadline=now + timedelta(hours=rng.randint(-48, 48))
                if status in ("in_review", "approved")
                else None,
                published_at=now - timedelta(days=rng.randint(0, 60))
                if status in ("published", "lifted")
                else None,
            )
        )
    insert_objects(warnings)
    tasks = []
    for w in warnings:
        if w.status not in ("published", "lifted"):
            continue
        for d in rng.sample(districts, rng.randint(1, 4)):
            tasks.append(
                DisposalTask(
                    warning=w,
                    district=d,
                    level=w.level,
                    organiser="city",
                    routes=["inspection"],
                    status=rng.choice(["open", "in_progress", "completed", "reported", "closed"]),
                    due_at=now + timedelta(hours=rng.randint(-96, 168)),
                    report_due_at=now + timedelta(hours=rng.randint(-24, 48)),
                )
            )
    insert_objects(tasks[:10_000])
    today = date.today()
    signals = []
    for i in range(2_000):
        spatial = rng.random() < 0.1
        signals.append(
            Signal(
                key=f"bench-{i}",
                series_key=f"bench-{i % 400}",
                kind="spatial" if spatial else "temporal",
                district=None if spatial else rng.choice(districts),
                districts=[d.code for d in rng.sample(districts, 3)] if spatial else [],
                period_start=today - timedelta(days=rng.randint(7, 400)),
                period_end=today - timedelta(days=rng.randint(0, 200)),
                observed=rng.randint(3, 40),
                score=round(rng.uniform(1, 8), 2),
                title=f"基准信号{i}",
                status=rng.choice(["new", "new", "dismissed", "cased"]),
            )
        )
    insert_objects(signals)
    stations = [
        MonitoringStation(
            name=f"基准监测站{i}",
            kind=rng.choice(["lab", "association", "ecommerce", "hospital"]),
            district=rng.choice(districts),
            status=rng.choice(["active"] * 8 + ["suspended", "retired"]),
            last_report_at=now - timedelta(hours=rng.randint(1, 400)),
        )
        for i in range(300)
    ]
    insert_objects(stations)
    print(
        f"  assessments {len(assessments):,}, warnings {len(warnings):,}, "
        f"tasks {min(len(tasks), 10_000):,}, signals {len(signals):,}, stations {len(stations)}"
    )


# ---------------------------------------------------------------- refresh


def refresh_summaries() -> None:
    from pqrisk.dashboard.models import DailyCount, MatrixCell
    from pqrisk.dashboard.summaries import refresh

    result = refresh(full=True)
    print(
        f"full refresh: {result.seconds:.1f} s, {result.days} days, "
        f"{DailyCount.objects.count():,} daily rows, {MatrixCell.objects.count()} matrix cells"
    )
    load(1_000, workflow=False)
    result = refresh()
    print(
        f"incremental refresh after 1,000 new items of the last 2 days: "
        f"{result.seconds:.2f} s ({result.days} days)"
    )
    result = refresh()
    print(f"incremental refresh, nothing new: {result.seconds:.2f} s")


# ---------------------------------------------------------------- timing


def _user(name: str, role: Any, district: str | None) -> Any:
    from django.contrib.auth.models import Group

    from pqrisk.accounts.models import User
    from pqrisk.reference.models import District

    user, _ = User.objects.get_or_create(username=name)
    user.district = District.objects.get(code=district) if district else None
    user.save()
    user.groups.add(Group.objects.get(name=role.label))
    return user


def measure(n: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pqrisk.accounts.choices import Role

    people = {
        "city": _user("bench-city", Role.CITY_SUPERVISOR, None),
        "pudong": _user("bench-pudong", Role.DISTRICT_OFFICER, "310115"),
    }
    slow: list[tuple[float, str, str]] = []
    print(f"\n{'endpoint':58} {'who':7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'queries':>7}")
    for who, user in people.items():
        client = Client()
        client.force_login(user)
        for url in [*ENDPOINTS, "/dashboard/"]:
            for _ in range(3):  # warm
                assert client.get(url).status_code == 200, url
            times = []
            for _ in range(n):
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            for q in ctx.captured_queries:
                slow.append((float(q["time"]) * 1000, url, q["sql"]))
            times.sort()
            p50 = statistics.median(times)
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            print(f"{url:58} {who:7} {p50:7.1f} {p95:7.1f} {times[-1]:7.1f} {len(ctx):7}")
    slow.sort(reverse=True)
    seen: set[str] = set()
    print("\nslowest queries, EXPLAIN (ANALYZE, BUFFERS):")
    with connection.cursor() as cursor:
        for ms, url, sql in slow:
            if sql in seen or not sql.lstrip().upper().startswith("SELECT"):
                continue
            seen.add(sql)
            print(f"\n-- {ms:.1f} ms in {url}\n{sql[:600]}")
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            for (line,) in cursor.fetchall():
                print(f"   {line}")
            if len(seen) >= 4:
                break


if __name__ == "__main__":
    main()
