"""The Celery app the load benchmark's workers run (``celery -A load_worker worker``).

It is the project's own app (``pqrisk.celery``: settings, routes, every product task: the
ingest entry ``pqrisk.intake.tasks.ingest_records``, the loop's short path
``screen_new`` and ``advance_pipeline`` …) plus what the benchmark needs on the worker side:

- ``bench_load.ingest``: ``ingest_objects`` as a task, only for a tree without the product's
  ingest task;
- a timing line per task (wall and CPU seconds of the worker process) in
  ``$PQRISK_BENCH_DIR/tasks-<pid>.jsonl``, so the driver can say where the time went; for
  ``advance_pipeline`` also one line per step (match, assess, propose) from the CPU
  milliseconds the task reports.

Run with ``benchmarks/`` on ``PYTHONPATH`` (the driver does this).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from celery import signals

from pqrisk.celery import app

SCREEN_TASK = "pqrisk.screening.tasks.screen_batch"
SCREEN_RUNS = ("pqrisk.screening.tasks.screen_pending", "pqrisk.screening.tasks.screen_new")
ADVANCE_TASK = "pqrisk.screening.tasks.advance_pipeline"
INGEST_TASKS = ("pqrisk.intake.tasks.ingest_records", "bench_load.ingest")

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
        if task.name in SCREEN_RUNS and "skipped" not in retval:
            row["items"] = sum(v for v in retval.values() if isinstance(v, int))
        if task.name == ADVANCE_TASK and "skipped" not in retval:
            row["items"] = retval.get("matched", 0)
            for step, items in (
                ("match", retval.get("matched", 0)),
                ("assess", retval.get("assessed", 0)),
                ("propose", retval.get("new", 0) + retval.get("joined", 0)),
            ):
                step_cpu = retval.get(f"{step}_ms", 0) / 1000
                _log(
                    {
                        "task": f"advance:{step}",
                        "start": wall,
                        "end": wall + step_cpu,  # CPU time only: the step's wall is not known
                        "cpu": step_cpu,
                        "pid": os.getpid(),
                        "items": items,
                    }
                )
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
