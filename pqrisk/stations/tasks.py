from typing import Any

from celery import shared_task

from .services import find_stale_stations, refresh_station_scores


@shared_task(name="pqrisk.stations.tasks.check_stations")
def check_stations() -> dict[str, Any]:
    """Flag stations overdue with their reports and refresh every station's quality score."""
    stale = find_stale_stations()
    scores = refresh_station_scores()
    return {"stale": [s.pk for s in stale], "scored": len(scores)}
