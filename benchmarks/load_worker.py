"""The Celery app the load benchmark's workers run (``celery -A load_worker worker``).

It is the project's own app (``pqrisk.celery``: settings, routes, every product task: the
ingest entry ``pqrisk.intake.tasks.ingest_records``, ``screen_pending`` …) plus what the
benchmark needs on the worker side:

- ``bench_load.assess``: the automatic steps after screening, in the pipeline's order
  (``match_pending``, ``assess_pending``, ``propose_pending``), one run at a time per
  database (an advisory lock, as screening has). The product runs these inside
  ``run_pipeline`` after screening; as a task of its own it can run on one worker while
  another screens. The driver sends it every few seconds, as beat sends ``run_pipeline``;
- ``bench_load.ingest``: ``ingest_objects`` as a task, only for a tree without the product's
  ingest task;
- a timing line per task and per step (wall and CPU seconds of the worker process) in
  ``$PQRISK_BENCH_DIR/tasks-<pid>.jsonl``, so the driver can say where the time went.

Run with ``benchmarks/`` on ``PYTHONPATH`` (the driver does this).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import signals

from pqrisk.celery import app

SCREEN_TASK = "pqrisk.screening.tasks.screen_batch"
INGEST_TASKS = ("pqrisk.intake.tasks.ingest_records", "bench_load.ingest")
# One assessment run per database at a time: two concurrent ``assess_pending`` calls would
# both take the same pending rows. The key is the benchmark's own ("pqload").
_ASSESS_LOCK = 0x70716C6F6164

_started: dict[str, tuple[float, float]] = {}
_log_file: Any = None


def _log(row: dict[str, Any]) -> None:
    global _log_file
    directory = os.environ.get("PQRISK_BENCH_DIR")
    if not directory:
        return
    if _log_file is None:
        _log_file = (Path(directory) / f"tasks-{os.getpid()}.jsonl").open("a", encoding="utf-8")
    _log_file.write(json.dumps(row) + "\n")
    _log_file.flush()


@contextmanager
def _step(name: str) -> Iterator[dict[str, Any]]:
    """Time one step of a task; the caller puts what it did (``items``) in the dict."""
    wall, cpu = time.time(), time.process_time()
    extra: dict[str, Any] = {}
    yield extra
    _log(
        {
            "task": name,
            "start": wall,
            "end": time.time(),
            "cpu": time.process_time() - cpu,
            "pid": os.getpid(),
            **extra,
        }
    )


@signals.task_prerun.connect
def _prerun(task_id: str, **_: Any) -> None:
    _started[task_id] = (time.time(), time.process_time())


@signals.task_postrun.connect
def _postrun(task_id: str, task: Any, args: Any = None, retval: Any = None, **_: Any) -> None:
    wall, cpu = _started.pop(task_id, (time.time(), time.process_time()))
    row: dict[str, Any] = {"items": None}
    if task.name in (SCREEN_TASK, *INGEST_TASKS) and args:
        row["items"] = len(args[0])
    if isinstance(retval, dict):
        row.update({k: v for k, v in retval.items() if isinstance(v, int)})
        if task.name.endswith("screen_pending"):  # counts by status of the screened items
            row["items"] = sum(v for v in retval.values() if isinstance(v, int))
    _log(
        {
            "task": task.name,
            "start": wall,
            "end": time.time(),
            "cpu": time.process_time() - cpu,
            "pid": os.getpid(),
            **row,
        }
    )


@app.task(name="bench_load.ingest", queue="ingest")
def ingest(records: list[dict[str, Any]], *, source_label: str) -> dict[str, Any]:
    """Ingest one submitted batch (a tree without ``pqrisk.intake.tasks.ingest_records``)."""
    from pqrisk.intake.services import ingest_objects

    result = ingest_objects(records, source_label=source_label)
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "quarantined": result.quarantined,
    }


def _try_lock(key: int) -> Callable[[], None] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            return None

    def release() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

    return release


@app.task(name="bench_load.assess", queue="assess")
def assess() -> dict[str, Any]:
    """Match, assess and propose warnings for everything screened so far (skipped while
    another run holds the lock: that run, or the next tick, takes the new rows)."""
    from pqrisk.assessment.services import assess_pending
    from pqrisk.enterprises.matching import match_pending
    from pqrisk.warnings.services import propose_pending

    release = _try_lock(_ASSESS_LOCK)
    if release is None:
        return {"skipped": 1}
    try:
        with _step("assess:match") as step:
            matched = match_pending()
            step["items"] = matched.get("records", 0)
        with _step("assess:assess") as step:
            assessed = assess_pending()
            step["items"] = sum(assessed.values())
        with _step("assess:propose") as step:
            proposals = propose_pending()
            step["items"] = proposals.get("new", 0) + proposals.get("joined", 0)
    finally:
        release()
    return {
        "matched": matched.get("records", 0),
        "items": sum(assessed.values()),
        "new": proposals.get("new", 0),
        "joined": proposals.get("joined", 0),
    }
