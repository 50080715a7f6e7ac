from celery import shared_task

from .services import run_clocks


@shared_task(name="pqrisk.disposal.tasks.check_deadlines")
def check_deadlines() -> dict[str, int]:
    """Run the disposal clocks: reminders, escalation (督办), routed actions, green tracking."""
    return run_clocks()
