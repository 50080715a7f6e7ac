from celery import shared_task


@shared_task(name="pqrisk.screening.tasks.run_pipeline")
def run_pipeline() -> dict[str, int]:
    """The automatic part of the loop: screen, assess, propose warnings, check clocks."""
    from pqrisk import pipeline  # the pipeline spans apps; import when the task runs

    report = pipeline.run_pipeline()
    return {**report.screened, **report.proposals, "escalated": report.escalated}
