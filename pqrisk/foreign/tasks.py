"""Celery tasks of the foreign-alert app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="pqrisk.foreign.tasks.process_foreign")
def process_foreign(limit: int | None = None) -> dict[str, int]:
    """Tag the foreign raw items without an alert, match them to local firms and raise the
    risk information of matched ones (idempotent; pqrisk/foreign/services.py)."""
    from .services import process_pending

    return process_pending(limit)


@shared_task(name="pqrisk.foreign.tasks.poll_foreign")
def poll_foreign() -> dict[str, int]:
    """Load the files in the configured inbox and the configured export URLs once; when
    anything new arrived, process it (process_foreign)."""
    from .polling import poll_once

    counts = poll_once()
    if counts.get("accepted"):
        enqueue_processing()
    return counts


def enqueue_processing() -> None:
    """Send process_foreign through the project's app (``pqrisk.celery.app``): run at once
    when it is eager (tests, a laptop without a broker), queued otherwise; a bare
    ``shared_task.delay`` would use Celery's default app."""
    from pqrisk.celery import app

    app.tasks[process_foreign.name].delay()
