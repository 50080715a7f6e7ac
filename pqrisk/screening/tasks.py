from celery import shared_task


@shared_task(name="pqrisk.screening.tasks.screen_pending")
def screen_pending() -> dict[str, int]:
    """The automatic part of the loop: screen, assess, propose warnings, check clocks."""
    from pqrisk.pipeline import run_pipeline

    report = run_pipeline()
    return {**report.screened, **report.proposals, "escalated": report.escalated}
