"""Celery tasks of the enterprises app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="pqrisk.enterprises.tasks.match_pending")
def match_pending() -> dict[str, int]:
    """Match every record not matched yet to registered enterprises and products (idempotent;
    pqrisk/enterprises/matching.py)."""
    from .matching import match_pending as run

    return run()
