"""Scheduled detection (Celery beat, settings CELERY_BEAT_SCHEDULE): daily and weekly."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .choices import Granularity


@shared_task(name="pqrisk.signals.tasks.detect_daily")
def detect_daily() -> dict[str, Any]:
    """Yesterday's daily series (EARS) and the space-time scan of the last 90 days."""
    from .services import run_scan, run_temporal

    temporal = run_temporal(Granularity.DAY)
    scan = run_scan()
    return {"temporal": temporal.new_signals, "scan": scan.new_signals}


@shared_task(name="pqrisk.signals.tasks.detect_weekly")
def detect_weekly() -> dict[str, Any]:
    """Last week's weekly series (EARS C2, CUSUM, Noufaily) and the year's disproportionality."""
    from .services import run_disproportionality, run_temporal

    temporal = run_temporal(Granularity.WEEK)
    table = run_disproportionality()
    return {"temporal": temporal.new_signals, "disproportionality": table.new_signals}
