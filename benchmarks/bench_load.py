"""Load benchmark: generated items through the real broker and Celery workers into PostgreSQL.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_load.py --items 20000            # quick run
    .venv/bin/python benchmarks/bench_load.py --items 1000000 --workers 2

What it does:

1. creates a fresh PostgreSQL database (``--db``, default ``pqrisk_load``; dropped at the
   end unless ``--keep-db``) and migrates it; starts PostgreSQL / Redis with
   ``scripts/services.sh`` when they are down;
2. generates the items with the demo generator (``pqrisk.demo.generator``: seven feeds,
   reposts, injected risk events) scaled to ``--items``, registers its enterprises, and
   orders the records by when they happened, as a live stream would bring them;
3. starts ``--workers`` real ``celery worker`` processes on the stage queues (ingest, screen,
   assess, notify, schedule, plus any other queue the product's routes name), with the
   benchmark's worker module (``load_worker.py``: the product's app plus a timing line per
   task and per step);
4. publishes the items in batches of ``--batch`` through the Redis broker, holding at most
   ``--max-pending`` batches waiting in the ingest and screen queues (a feed that is not
   allowed to run away from the workers), and sends the loop's short path
   (``screen_new``, ``advance_pipeline``) every ``--tick`` seconds as beat does;
5. while it runs, samples ``pg_stat_activity`` of the database (what the backends are doing,
   their CPU from ``/proc``), the load average, and the peak RSS (``VmHWM``) of the workers;
6. at the end prints a table (throughput overall and per stage, ingest → warning-proposal
   latency p50/p95 of the injected events' items and of all proposed items, memory,
   database size, where the time went) and a final JSON line.

Nothing here asserts a figure: the numbers are printed to be read (docs/scaling.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STAGE_QUEUES = ("ingest", "screen", "assess", "notify", "schedule")
BASE_YEAR_ITEMS = 16_786  # records of generate(scale=1.0) with the default seed: one year


# --------------------------------------------------------------------------- /proc readers


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set (VmHWM) of a process in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --------------------------------------------------------------------------- sampling


@dataclass
class Samples:
    """What the sampler thread saw, once a second (``pg_stat_activity`` twice a second)."""

    load: list[float] = field(default_factory=list)
    activity: Counter[str] = field(default_factory=Counter)
    activity_samples: int = 0
    backend_cpu_first: dict[int, float] = field(default_factory=dict)
    backend_cpu_last: dict[int, float] = field(default_factory=dict)
    rss_kib: dict[int, int] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    worker_cpu_last: dict[int, float] = field(default_factory=dict)
    queue_peak: Counter[str] = field(default_factory=Counter)


def _activity_kind(query: str, wait: str | None) -> str:
    head = " ".join(query.split()[:4]).lower()
    for table in (
        "intake_rawitem",
        "screening_riskinfo",
        "screening_event",
        "assessment_assessment",
        "audit_auditevent",
        "warnings_warning",
        "enterprises_",
        "pg_advisory",
    ):
        if table in query:
            head = f"{query.split()[0].lower()} {table}"
            break
    return f"{head[:48]} [{wait or 'cpu'}]"


class Sampler(threading.Thread):
    def __init__(self, dsn: str, db: str, workers: list[int], broker: Any) -> None:
        super().__init__(daemon=True)
        self.dsn, self.db, self.workers, self.broker = dsn, db, workers, broker
        self.samples = Samples()
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        try:
            self._sample()
        except psycopg.Error:
            return  # the database went away: the run is being torn down

    def _sample(self) -> None:
        import psycopg

        s = self.samples
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            tick = 0
            while not self.stopping.is_set():
                rows = conn.execute(
                    "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.db],
                ).fetchall()
                s.activity_samples += 1
                for pid, state, wait_type, wait_event, query in rows:
                    if state == "active":
                        wait = f"{wait_type}:{wait_event}" if wait_type else None
                        s.activity[_activity_kind(query or "", wait)] += 1
                    used = cpu_seconds(pid)
                    if used is not None:
                        s.backend_cpu_first.setdefault(pid, used)
                        s.backend_cpu_last[pid] = used
                if tick % 2 == 0:
                    s.load.append(os.getloadavg()[0])
                    for main in self.workers:
                        for pid in (main, *children(main)):
                            s.rss_kib[pid] = max(s.rss_kib.get(pid, 0), vm_hwm_kib(pid))
                            s.roles.setdefault(pid, "worker" if pid == main else "worker child")
                            used = cpu_seconds(pid)
                            if used is not None:
                                s.worker_cpu_last[pid] = used
                    for queue in ("ingest", "screen", "assess"):
                        s.queue_peak[queue] = max(s.queue_peak[queue], self.broker.llen(queue))
                tick += 1
                self.stopping.wait(0.5)


# --------------------------------------------------------------------------- set-up


def ensure_services(env: dict[str, str]) -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh")], env=env, check=True)


def recreate_database(admin_dsn: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def drop_database(admin_dsn: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def generate_stream(items: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, str], dict]:
    """``items`` generated records in the order they happened, the injected events' items
    (external id → event id), and the generated enterprises and meta."""
    from pqrisk.demo.generator import generate

    scale = items / BASE_YEAR_ITEMS * 1.03  # a little more: the year's tail is cut off
    data = generate(seed=seed, scale=scale)
    records = sorted(data.records, key=lambda r: (r["occurred_at"], r["external_id"]))[:items]
    wanted = {r["external_id"] for r in records}
    events = {
        ext: ev["event_id"] for ev in data.events for ext in ev["record_ids"] if ext in wanted
    }
    return records, events, {"enterprises": data.enterprises, "meta": data.meta}


def worker_queues(app: Any) -> list[str]:
    """The stage queues and any other queue the product's routes send tasks to."""
    routes = app.conf.task_routes or {}
    named = {r["queue"] for r in routes.values() if isinstance(r, dict) and "queue" in r}
    return [*STAGE_QUEUES, *sorted(named - set(STAGE_QUEUES))]


def start_workers(n: int, concurrency: int, queues: list[str], env: dict[str, str], run: Path):
    procs = []
    for i in range(n):
        log = (run / f"worker-{i}.log").open("w")
        cmd = [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "load_worker",
            "worker",
            "-Q",
            ",".join(queues),
            "-c",
            str(concurrency),
            "-n",
            f"load{i}-{os.getpid()}@%h",
            "-O",
            "fair",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return procs


def wait_ready(app: Any, procs: list[subprocess.Popen], run: Path) -> None:
    names = set()
    for _ in range(120):
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"a worker exited at start; see {run}/worker-*.log")
        replies = app.control.ping(timeout=1.0) or []
        names = {name for reply in replies for name in reply if f"-{os.getpid()}@" in name}
        if len(names) >= len(procs):
            return
    raise SystemExit(f"workers not ready after 2 minutes; see {run}/worker-*.log")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    for p in procs:
        try:
            p.wait(max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            for child in children(p.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            p.kill()
            p.wait()


def read_timings(directory: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("tasks-*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="pool size per worker")
    parser.add_argument("--batch", type=int, default=1000, help="items per ingest message")
    parser.add_argument(
        "--max-backlog", type=int, default=10_000, help="items published but not screened"
    )
    parser.add_argument(
        "--tick", type=float, default=5.0, help="seconds between screening / assessment runs"
    )
    parser.add_argument("--db", default="pqrisk_load")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    run = Path(tempfile.mkdtemp(prefix="pqrisk-load-"))
    (run / "timing").mkdir()
    dsn = f"{args.pg}/{args.db}"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CELERY_BROKER_URL": args.broker,
        # The bureau-server settings (DEBUG off: the laptop settings record every query).
        "DJANGO_SETTINGS_MODULE": "pqrisk.settings.prod",
        "PQRISK_SSL_REDIRECT": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(40),
        "PQRISK_VAR_DIR": str(run / "var"),
        "PQRISK_SCREENING_DIR": str(run / "var" / "screening"),
        "PQRISK_BENCH_DIR": str(run / "timing"),
        "PQRISK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
    }
    os.environ.update(env)
    # Stopped with SIGTERM (or SIGINT, which a background job ignores): still stop the
    # workers and drop the database on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    ensure_services(env)
    admin_dsn = f"{args.pg}/postgres"
    recreate_database(admin_dsn, args.db)
    procs: list[subprocess.Popen] = []
    try:
        report = run_load(args, run, dsn, env, procs)
    finally:
        stop_workers(procs)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(admin_dsn, args.db)
    print_report(report)


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def run_load(
    args: argparse.Namespace, run: Path, dsn: str, env: dict[str, str], procs: list
) -> dict[str, Any]:
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    import redis
    from django.core.management import call_command
    from load_worker import app

    from pqrisk.enterprises.services import upsert_enterprises

    figures: dict[str, Any] = {"items": args.items, "workers": args.workers}
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    figures["migrate_s"] = round(time.perf_counter() - t, 1)

    t = time.perf_counter()
    records, event_items, extra = generate_stream(args.items, args.seed)
    figures["generate_s"] = round(time.perf_counter() - t, 1)
    upsert_enterprises(extra["enterprises"], source_label="负载测试企业名录")
    figures["enterprises"] = len(extra["enterprises"])
    figures["event_items"] = len(event_items)
    figures["sources"] = dict(Counter(r["source"] for r in records))

    broker = redis.Redis.from_url(args.broker)
    broker.flushdb()  # the benchmark's own broker database: leftovers of an earlier run
    queues = worker_queues(app)
    figures["queues"] = queues
    publish, figures["entry_task"] = ingest_sender(app)
    procs.extend(start_workers(args.workers, args.concurrency, queues, env, run))
    wait_ready(app, procs, run)
    sampler = Sampler(dsn, args.db, [p.pid for p in procs], broker)
    sampler.start()
    log = TimingLog(run / "timing")
    beat = [
        Ticker(app, log, "pqrisk.screening.tasks.screen_new", args.tick),
        Ticker(app, log, "pqrisk.screening.tasks.advance_pipeline", args.tick),
    ]

    submitted: dict[str, float] = {}  # injected event item → when its batch was sent
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    del records
    published = 0
    t0 = time.time()
    for n, batch in enumerate(batches, 1):
        # Hold the feed while more than --max-backlog items wait for screening.
        while published - screened_high_water() > args.max_backlog:
            time.sleep(0.1)
            log.poll()
            for ticker in beat:
                ticker.maybe_send()
        sent = time.time()
        publish(batch, f"负载测试批次{n:05d}")
        published += len(batch)
        for rec in batch:
            if rec["external_id"] in event_items:
                submitted[rec["external_id"]] = sent
        log.poll()
        for ticker in beat:
            ticker.maybe_send()
    t_published = time.time()
    batches_sent = len(batches)
    del batches

    # Wait for every batch to be ingested and screened, the beat going on.
    from pqrisk.intake.models import RawItem
    from pqrisk.screening.models import RiskInfo

    counted = 0.0
    while True:
        log.poll()
        for ticker in beat:
            ticker.maybe_send()
        ingested = log.done[figures["entry_task"]]
        # The counts read whole tables: every 2 s, not on every poll (the driver's own load
        # on the database is not the platform's).
        if ingested >= batches_sent and time.time() - counted >= 2.0:
            counted = time.time()
            raw = RawItem.objects.count()
            if screened_high_water() >= raw and RiskInfo.objects.count() >= raw:
                break
        _check_alive(procs, run)
        time.sleep(0.5)
    t_screened = time.time()
    # Advance runs that start after screening ended take the rest, until one leaves nothing.
    last = beat[1]
    while True:
        log.poll()
        final = [
            r
            for r in log.rows
            if r["task"] == last.name
            and r["start"] >= t_screened
            and not r.get("skipped")
            and not r.get("more")
        ]
        if final:
            break
        last.maybe_send(force=True)
        _check_alive(procs, run)
        time.sleep(0.5)
    t_done = max(r["end"] for r in final)
    sampler.stopping.set()
    sampler.join()
    stop_workers(procs)
    figures.update(
        measure(args, run, t0, t_published, t_screened, t_done, submitted, sampler.samples)
    )
    figures["run_dir"] = str(run)
    return figures


def ingest_sender(app: Any) -> tuple[Any, str]:
    """How a batch is published: the product's ingest task (``send_ingest``: keyed, routed to
    the ingest queue, publish retried while the broker is away), else the benchmark's own."""
    try:
        from pqrisk.intake.tasks import INGEST_TASK, send_ingest
    except ImportError:

        def fallback(batch: list[dict[str, Any]], label: str) -> None:
            app.send_task(
                "bench_load.ingest", args=[batch], kwargs={"source_label": label}, queue="ingest"
            )

        return fallback, "bench_load.ingest"

    def product(batch: list[dict[str, Any]], label: str) -> None:
        send_ingest(batch, source_label=label, app=app)

    return product, INGEST_TASK


def screened_high_water() -> int:
    """About how many items are screened: the highest risk information id (one index probe;
    ids come from a sequence, so this only runs ahead when a transaction rolled back)."""
    from django.db import connection

    from pqrisk.screening.models import RiskInfo

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {RiskInfo._meta.db_table}")
        return int(cursor.fetchone()[0])


class TimingLog:
    """The workers' timing lines, read as they are appended."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.offsets: dict[Path, int] = {}
        self.rows: list[dict[str, Any]] = []
        self.done: Counter[str] = Counter()  # lines by task name

    def poll(self) -> None:
        for path in sorted(self.directory.glob("tasks-*.jsonl")):
            with path.open("rb") as fh:
                fh.seek(self.offsets.get(path, 0))
                data = fh.read()
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = self.offsets.get(path, 0) + len(complete)
            for line in complete.splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.rows.append(row)
                    self.done[row["task"]] += 1


class Ticker:
    """Beat for one task: sent every ``every`` seconds, never while one is queued or running
    (two screening or assessment runs would only wait for each other's lock)."""

    def __init__(self, app: Any, log: TimingLog, name: str, every: float) -> None:
        self.app, self.log, self.name, self.every = app, log, name, every
        self.sent = 0
        self.last = 0.0

    def in_flight(self) -> bool:
        return self.sent > self.log.done[self.name]

    def maybe_send(self, force: bool = False) -> None:
        now = time.time()
        if self.in_flight() or (not force and now - self.last < self.every):
            return
        # The product's tasks go where its routes say; the benchmark's own to its stage.
        queue = "assess" if self.name.startswith("bench_load.") else None
        self.app.send_task(self.name, queue=queue)
        self.sent += 1
        self.last = now


def _check_alive(procs: list[subprocess.Popen], run: Path) -> None:
    for p in procs:
        if p.poll() is not None:
            raise SystemExit(f"worker {p.pid} exited ({p.returncode}); see {run}/worker-*.log")


# --------------------------------------------------------------------------- figures


def measure(
    args: argparse.Namespace,
    run: Path,
    t0: float,
    t_published: float,
    t_screened: float,
    t_done: float,
    submitted: dict[str, float],
    samples: Samples,
) -> dict[str, Any]:
    from django.db import connection

    from pqrisk.assessment.models import Assessment
    from pqrisk.audit.models import AuditEvent
    from pqrisk.intake.models import QuarantinedItem, RawItem
    from pqrisk.screening.models import Event, RiskInfo
    from pqrisk.warnings.models import Warning

    out: dict[str, Any] = {}
    raw = RawItem.objects.count()
    out["raw_items"] = raw
    out["quarantined"] = QuarantinedItem.objects.count()
    out["risk_infos"] = RiskInfo.objects.count()
    out["events"] = Event.objects.count()
    out["assessments"] = Assessment.objects.count()
    out["warnings"] = Warning.objects.count()
    out["wall_s"] = round(t_done - t0, 1)
    out["publish_s"] = round(t_published - t0, 1)
    out["ingest_screen_s"] = round(t_screened - t0, 1)
    out["items_per_s"] = round(args.items / (t_done - t0), 1)
    out["ingest_screen_items_per_s"] = round(args.items / (t_screened - t0), 1)

    # Per stage: items, busy wall and CPU seconds of the worker processes (timing lines).
    timings = read_timings(run / "timing")
    stages: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in timings:
        s = stages[r["task"]]
        s["runs"] += 1
        s["items"] += r.get("items") or 0
        s["wall"] += r["end"] - r["start"]
        s["cpu"] += r["cpu"]
    out["stages"] = {
        name: {
            "runs": int(s["runs"]),
            "items": int(s["items"]),
            "busy_s": round(s["wall"], 1),
            "cpu_s": round(s["cpu"], 1),
            "items_per_busy_s": round(s["items"] / s["wall"], 1) if s["wall"] else None,
            "cpu_share": round(s["cpu"] / s["wall"], 2) if s["wall"] else None,
            "cpu_ms_per_item": round(1000 * s["cpu"] / s["items"], 2) if s["items"] else None,
        }
        for name, s in sorted(stages.items())
    }

    # Does a stage get dearer as the tables grow? CPU per item in the first and last quarter
    # of its runs (runs that did nothing left out).
    out["cpu_ms_per_item_first_last_quarter"] = {}
    for name in stages:
        runs = sorted((r for r in timings if r["task"] == name and r.get("items")), key=_start)
        if len(runs) >= 8:
            q = len(runs) // 4
            out["cpu_ms_per_item_first_last_quarter"][name] = [
                round(1000 * sum(r["cpu"] for r in part) / sum(r["items"] for r in part), 2)
                for part in (runs[:q], runs[-q:])
            ]

    # Latency: an item's batch sent → the audit event that put it into a warning proposal.
    table = {m: m._meta.db_table for m in (AuditEvent, RiskInfo, RawItem)}
    sql = (
        f"SELECT r.external_id, MIN(a.at) FROM {table[AuditEvent]} a "
        f"JOIN {table[RiskInfo]} i ON a.object_id = i.id::text "
        f"JOIN {table[RawItem]} r ON r.id = i.raw_item_id "
        "WHERE a.action = 'warn' AND a.object_type = %s GROUP BY r.external_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [RiskInfo._meta.label_lower])
        warned = {ext: at.timestamp() for ext, at in cursor.fetchall()}
    event_latency = [warned[e] - t for e, t in submitted.items() if e in warned]
    out["event_items_submitted"] = len(submitted)
    out["event_items_warned"] = len(event_latency)
    out["latency_event_p50_s"] = _round(percentile(event_latency, 0.5))
    out["latency_event_p95_s"] = _round(percentile(event_latency, 0.95))
    out["latency_event_max_s"] = _round(max(event_latency) if event_latency else None)
    out["warned_items"] = len(warned)

    # Memory and load.
    worker_peak = defaultdict(int)
    for pid, kib in samples.rss_kib.items():
        worker_peak[samples.roles.get(pid, "worker")] = max(
            worker_peak[samples.roles.get(pid, "worker")], kib
        )
    out["worker_peak_rss_mib"] = {k: round(v / 1024) for k, v in worker_peak.items()}
    out["driver_peak_rss_mib"] = round(vm_hwm_kib(os.getpid()) / 1024)
    out["load_avg_mean"] = _round(statistics.fmean(samples.load) if samples.load else None)
    out["load_avg_max"] = _round(max(samples.load) if samples.load else None)
    out["queue_peak"] = dict(samples.queue_peak)
    out["db_backend_cpu_s"] = round(
        sum(
            samples.backend_cpu_last[p] - samples.backend_cpu_first[p]
            for p in samples.backend_cpu_last
        ),
        1,
    )
    out["worker_cpu_s"] = round(sum(samples.worker_cpu_last.values()), 1)
    total = samples.activity_samples or 1
    out["pg_active_backends_mean"] = round(sum(samples.activity.values()) / total, 2)
    out["pg_activity_top"] = {
        kind: round(n / total, 3) for kind, n in samples.activity.most_common(10)
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        out["db_size_mib"] = round(cursor.fetchone()[0] / 2**20)
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT 6"
        )
        out["db_top_tables_mib"] = {name: round(size / 2**20) for name, size in cursor.fetchall()}
    return out


def _start(row: dict[str, Any]) -> float:
    return float(row["start"])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_report(f: dict[str, Any]) -> None:
    print(f"load benchmark: {f['items']} items, {f['workers']} workers, queues {f['queues']}")
    print(f"{'generate (driver, not timed in the run)':44s} {f['generate_s']:>10} s")
    rows = [
        ("raw items stored / quarantined", f"{f['raw_items']} / {f['quarantined']}"),
        (
            "risk infos / events / assessments",
            f"{f['risk_infos']} / {f['events']} / {f['assessments']}",
        ),
        ("warnings proposed / items in them", f"{f['warnings']} / {f['warned_items']}"),
        ("wall: first publish → last proposal (s)", f["wall_s"]),
        ("wall: first publish → all screened (s)", f["ingest_screen_s"]),
        ("throughput overall (items/s)", f["items_per_s"]),
        ("throughput ingest+screen (items/s)", f["ingest_screen_items_per_s"]),
        (
            "latency event items p50 / p95 / max (s)",
            f"{f['latency_event_p50_s']} / {f['latency_event_p95_s']} / {f['latency_event_max_s']}",
        ),
        (
            "event items warned / submitted",
            f"{f['event_items_warned']} / {f['event_items_submitted']}",
        ),
        ("peak RSS workers (MiB)", f["worker_peak_rss_mib"]),
        ("peak RSS driver (MiB)", f["driver_peak_rss_mib"]),
        ("load average 1-min mean / max", f"{f['load_avg_mean']} / {f['load_avg_max']}"),
        ("CPU s: worker processes / db backends", f"{f['worker_cpu_s']} / {f['db_backend_cpu_s']}"),
        ("db active backends (mean)", f["pg_active_backends_mean"]),
        ("database size (MiB)", f["db_size_mib"]),
    ]
    for label, value in rows:
        print(f"{label:44s} {value!s:>10}")
    print(
        f"\n{'stage':34s} {'runs':>6} {'items':>9} {'busy s':>9} {'cpu s':>9} "
        f"{'items/busy s':>13} {'cpu/busy':>9} {'cpu ms/item':>12}"
    )
    for name, s in f["stages"].items():
        print(
            f"{name:34s} {s['runs']:6d} {s['items']:9d} {s['busy_s']:9.1f} {s['cpu_s']:9.1f} "
            f"{s['items_per_busy_s'] or 0:13.1f} {s['cpu_share'] or 0:9.2f} "
            f"{s['cpu_ms_per_item'] or 0:12.2f}"
        )
    print("\npg_stat_activity (share of samples a backend was active on):")
    for kind, share in f["pg_activity_top"].items():
        print(f"  {share:6.3f}  {kind}")
    print(f"largest tables (MiB): {f['db_top_tables_mib']}")
    print(f"CPU ms per item, first → last quarter: {f['cpu_ms_per_item_first_last_quarter']}")
    print(json.dumps({k: v for k, v in f.items() if k != "sources"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
