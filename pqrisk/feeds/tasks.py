from celery import shared_task

from .services import poll_due_feeds


@shared_task(name="pqrisk.feeds.tasks.poll_feeds")
def poll_feeds() -> dict[str, int]:
    """Poll the news feeds whose interval has elapsed; failures are kept on each feed."""
    results = poll_due_feeds()
    return {
        "polled": len(results),
        "failed": sum(r.failed for r in results),
        "accepted": sum(r.accepted for r in results),
    }
