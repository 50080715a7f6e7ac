"""Celery tasks of notifications: thin wrappers around ``services``."""

from celery import Task, shared_task
from celery.exceptions import Retry

from pqrisk.notifications.services import MAX_RETRIES


@shared_task(bind=True, name="pqrisk.notifications.tasks.deliver", max_retries=MAX_RETRIES)
def deliver(self: Task, delivery_id: int) -> str | Retry:
    """Send one outside delivery (email or webhook); when it fails, try again after an
    exponential back-off until the delivery's own attempt count says it failed for good."""
    from pqrisk.notifications.services import deliver_once

    attempt = deliver_once(delivery_id)
    if attempt.outcome != "retry":
        return attempt.outcome
    # Eager (tests, laptop without a broker) a raised Retry would reach the caller, so it is
    # returned and Celery's apply() runs the next attempt at once, without the wait.
    return self.retry(countdown=attempt.retry_in, throw=not self.request.is_eager)


@shared_task(name="pqrisk.notifications.tasks.sweep_deliveries")
def sweep_deliveries() -> int:
    """Enqueue again pending deliveries lost on the way to a worker (beat, every 10 minutes)."""
    from pqrisk.notifications.services import sweep_stuck

    return sweep_stuck()
