"""Scheduled refresh of the dashboard's summary tables (Celery beat)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="pqrisk.dashboard.tasks.refresh_summaries")
def refresh_summaries(full: bool = False) -> dict[str, Any]:
    """Incremental every few minutes; ``full=True`` nightly (after deletions, corrections)."""
    from .summaries import refresh

    return refresh(full=full).__dict__
