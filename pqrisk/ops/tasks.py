"""Celery tasks of operations: thin wrappers around ``services``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="pqrisk.ops.tasks.import_dead_letter_spool")
def import_dead_letter_spool() -> int:
    """Move dead letters written to the spool while the database was away into it (beat)."""
    from .services import import_spool

    return import_spool()
