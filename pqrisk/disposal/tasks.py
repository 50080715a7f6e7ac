from celery import shared_task

from .services import check_deadlines as _check_deadlines


@shared_task(name="pqrisk.disposal.tasks.check_deadlines")
def check_deadlines() -> int:
    """Escalate disposal tasks past their clocks."""
    return _check_deadlines()
