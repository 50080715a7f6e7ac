from celery import Task, shared_task
from celery.exceptions import Retry

from pqrisk.warnings.delivery import MAX_RETRIES


@shared_task(name="pqrisk.warnings.tasks.check_publication_deadlines")
def check_publication_deadlines() -> dict[str, int]:
    """Remind the city bureau of warnings near or past their publication deadline."""
    from pqrisk.warnings.services import check_publication_deadlines as check

    return check()


@shared_task(bind=True, name="pqrisk.warnings.tasks.deliver_recipient", max_retries=MAX_RETRIES)
def deliver_recipient(self: Task, recipient_id: int) -> str | Retry:
    """Deliver an industry warning (风险警示) to one named recipient by email and/or webhook;
    on failure retry with exponential back-off, then leave it failed with the reason."""
    from pqrisk.warnings.delivery import deliver_once, retry_delay

    retries = self.request.retries or 0
    outcome = deliver_once(recipient_id, final=retries >= (self.max_retries or 0))
    if outcome != "retry":
        return outcome
    if self.request.is_eager:
        # Run eagerly (tests, laptop without a broker), a raised Retry would propagate to the
        # caller (CELERY_TASK_EAGER_PROPAGATES); returned, Celery's apply() runs the retry at
        # once, without the back-off.
        return self.retry(countdown=retry_delay(retries), throw=False)
    raise self.retry(countdown=retry_delay(retries))
