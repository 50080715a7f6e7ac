"""Celery tasks of intake: records sent to the ingest queue by producers that must not wait
(bulk loads, a station's large report, a feed's backlog)."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from celery import Celery, Task, current_app, shared_task

from pqrisk.sources.records import json_bytes

INGEST_TASK = "pqrisk.intake.tasks.ingest_records"


@shared_task(bind=True, name=INGEST_TASK)
def ingest_records(
    self: Task,
    records: list[dict[str, Any]],
    *,
    source_label: str,
    key: str,
    source: str | None = None,
) -> dict[str, Any]:
    """Ingest one message of records once. The key's row is written in the transaction of the
    ingest, so a redelivered message finds it and stores nothing again; each record is also
    unique by (source, external id), so even a second key for the same records adds none."""
    from pqrisk.intake.services import ingest_objects
    from pqrisk.ops.services import run_once

    def work() -> dict[str, Any]:
        result = ingest_objects(records, source_label=source_label, source=source)
        return dataclasses.asdict(result)

    return run_once(f"ingest:{key}", self.name, work, task_id=self.request.id or "")


def ingest_key(records: Sequence[dict[str, Any]], source_label: str) -> str:
    """A message's idempotency key from its content: the same records under the same label
    give the same key, however often they are sent."""
    digest = hashlib.sha256(source_label.encode())
    for record in records:
        digest.update(json_bytes(record, sort_keys=True))
    return digest.hexdigest()


def send_ingest(
    records: Sequence[dict[str, Any]],
    *,
    source_label: str,
    source: str | None = None,
    key: str | None = None,
    app: Celery | None = None,
) -> str:
    """Publish records to the ingest queue; return the message's key.

    While the broker is away, publishing is retried by the settings' retry policy
    (CELERY_TASK_PUBLISH_RETRY_POLICY) instead of failing. The task id is derived from the
    key, so a producer that sends a message again after a doubtful publish sends the same
    task, not another one.
    """
    key = key or ingest_key(records, source_label)
    task = (app or current_app).tasks[INGEST_TASK]
    # Run eagerly when there is no broker (laptop shape, unit tests).
    task.apply_async(
        args=[list(records)],
        kwargs={"source_label": source_label, "key": key, "source": source},
        task_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"pqrisk:ingest:{key}")),
    )
    return key
