"""Every task is routed to a stage queue, runs on the resilient base class, and every beat
entry names a task that exists: a task without a route would wait on a queue no worker
reads."""

from __future__ import annotations

from django.conf import settings

from pqrisk.celery import app
from pqrisk.ops.base import TRANSIENT_ERRORS, PqriskTask


def _product_tasks() -> dict[str, object]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_registered_task_has_a_route_to_a_stage_queue() -> None:
    tasks = _product_tasks()
    unrouted = sorted(set(tasks) - set(settings.CELERY_TASK_ROUTES))
    assert not unrouted, f"tasks without a route in settings.TASKS_BY_STAGE: {unrouted}"
    for name in tasks:
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in settings.STAGE_QUEUES, (name, queue)


def test_every_route_names_a_registered_task_and_every_stage_has_work() -> None:
    tasks = _product_tasks()
    assert set(settings.CELERY_TASK_ROUTES) <= set(tasks)
    assert settings.STAGE_QUEUES == ("ingest", "screen", "assess", "notify", "schedule")
    for stage in settings.STAGE_QUEUES:
        assert settings.TASKS_BY_STAGE[stage], stage


def test_every_beat_entry_runs_a_registered_routed_task() -> None:
    tasks = _product_tasks()
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        assert spec["task"] in tasks, entry
        assert spec["task"] in settings.CELERY_TASK_ROUTES, entry


def test_every_task_acks_late_and_retries_transient_errors_with_backoff() -> None:
    for name, task in _product_tasks().items():
        assert isinstance(task, PqriskTask), name
        assert task.acks_late and task.reject_on_worker_lost, name
        assert set(TRANSIENT_ERRORS) <= set(task.autoretry_for), name
        assert task.retry_backoff and task.retry_jitter, name
        assert (task.max_retries or 0) > 0, name


def test_a_producer_keeps_publishing_through_a_broker_outage() -> None:
    assert settings.CELERY_TASK_PUBLISH_RETRY
    policy = settings.CELERY_TASK_PUBLISH_RETRY_POLICY
    # Up to PQRISK_PUBLISH_RETRY_SECONDS of attempts, two seconds apart at most.
    assert policy["max_retries"] * policy["interval_max"] >= 60
    # A retry waiting for its countdown must not come back through the visibility timeout.
    assert (
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        > settings.PQRISK_TASK_RETRY_BACKOFF_MAX
    )
