"""The supervision tasks exist under the names the beat entries use."""

from __future__ import annotations

from pqrisk.celery import app
from pqrisk.supervision import tasks  # noqa: F401  (registers the tasks)

BEAT_TASKS = (
    "pqrisk.supervision.tasks.regrade_changed",
    "pqrisk.supervision.tasks.run_triggers",
    "pqrisk.supervision.tasks.regrade_enterprises",
)


def test_tasks_are_registered() -> None:
    for name in BEAT_TASKS:
        assert name in app.tasks
