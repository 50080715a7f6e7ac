from celery import shared_task


@shared_task(name="pqrisk.warnings.tasks.check_publication_deadlines")
def check_publication_deadlines() -> dict[str, int]:
    """Remind the city bureau of warnings near or past their publication deadline."""
    from pqrisk.warnings.services import check_publication_deadlines as check

    return check()
