"""Scheduled drafts (Celery beat, settings CELERY_BEAT_SCHEDULE): last week's issue every
Monday and last month's on the first of the month, each left as a draft for the assessment
centre to edit and submit."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .choices import BulletinKind


def _draft(kind: str) -> dict[str, Any]:
    from .services import draft_periodic

    bulletin = draft_periodic(kind)
    if bulletin is None:
        return {"created": False}
    return {"created": True, "id": bulletin.pk, "issue": bulletin.issue_label}


@shared_task(name="pqrisk.bulletins.tasks.draft_weekly")
def draft_weekly() -> dict[str, Any]:
    """Draft the weekly issue (周刊) of the last complete week, unless it exists."""
    return _draft(BulletinKind.WEEKLY)


@shared_task(name="pqrisk.bulletins.tasks.draft_monthly")
def draft_monthly() -> dict[str, Any]:
    """Draft the monthly issue (月刊) of the last complete month, unless it exists."""
    return _draft(BulletinKind.MONTHLY)
