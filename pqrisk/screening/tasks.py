from celery import shared_task


@shared_task(name="pqrisk.screening.tasks.run_pipeline")
def run_pipeline() -> dict[str, int]:
    """The automatic part of the loop: screen, assess, propose warnings, check clocks."""
    from pqrisk import pipeline  # the pipeline spans apps; import when the task runs

    report = pipeline.run_pipeline()
    return {**report.screened, **report.proposals, "escalated": report.escalated}


@shared_task(name="pqrisk.screening.tasks.screen_batch")
def screen_batch(raw_item_ids: list[int]) -> dict[str, int]:
    """Screen these raw items (those not screened yet): a batch sent after an ingest.
    Idempotent; runs wait for each other (one screening run per database at a time)."""
    from pqrisk.screening.services import screen_raw_items

    return screen_raw_items(raw_item_ids)


@shared_task(name="pqrisk.screening.tasks.screen_pending")
def screen_pending() -> dict[str, int]:
    """Screen every raw item not screened yet."""
    from pqrisk.screening.services import screen_pending as run

    return run()


@shared_task(name="pqrisk.screening.tasks.screen_new")
def screen_new() -> dict[str, int]:
    """Screen the items ingested since the last runs (beat, every few seconds); skipped
    while another screening run holds the lock."""
    from pqrisk.screening.services import screen_new as run

    counts = run()
    return {"skipped": 1} if counts is None else counts


@shared_task(name="pqrisk.screening.tasks.advance_pipeline")
def advance_pipeline() -> dict[str, int]:
    """Match, assess and propose for the next screened items (beat, every few seconds);
    skipped while another run holds the lock."""
    from pqrisk import pipeline

    out = pipeline.advance()
    return {"skipped": 1} if out is None else out
