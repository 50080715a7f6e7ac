"""Scheduled and on-demand supervision work (Celery; beat entries in docs/supervision.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import shared_task


@shared_task(name="pqrisk.supervision.tasks.regrade_enterprises")
def regrade_enterprises(ids: Iterable[int]) -> int:
    """Regrade the given enterprises now (new records matched to them)."""
    from .services import regrade_enterprises as regrade

    return regrade(list(ids))


@shared_task(name="pqrisk.supervision.tasks.regrade_changed")
def regrade_changed() -> dict[str, Any]:
    """Product tiers, then every enterprise with records newer than its grade."""
    from .services import regrade_changed as run

    return run()


@shared_task(name="pqrisk.supervision.tasks.run_triggers")
def run_triggers() -> dict[str, Any]:
    """Trigger rules; one inspection task per new trigger event."""
    from .services import run_triggers as run

    result = run()
    return {"found": result.found, "created": result.created}
