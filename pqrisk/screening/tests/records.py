"""Records for tests that need screened items: build, ingest and screen them."""

from __future__ import annotations

from typing import Any

from pqrisk.intake.services import ingest_objects
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.services import screen_pending


def complaint(external_id: str, text: str, **fields: Any) -> dict[str, Any]:
    """A complaint record (投诉举报) of 2 March 2026 with ``text``; ``fields`` override."""
    return {
        "source": "complaint",
        "external_id": external_id,
        "occurred_at": "2026-03-02",
        "title": "",
        "text": text,
        **fields,
    }


def ingest(*records: dict[str, Any]) -> None:
    """Store the records as raw items (none may be quarantined)."""
    result = ingest_objects(list(records), source_label="测试")
    assert result.quarantined == 0, result


def screened(*records: dict[str, Any]) -> list[RiskInfo]:
    """Ingest and screen the records; their risk information in the order given."""
    ingest(*records)
    screen_pending()
    ids = [r["external_id"] for r in records]
    found = {
        i.raw_item.external_id: i
        for i in RiskInfo.objects.filter(raw_item__external_id__in=ids).select_related("raw_item")
    }
    return [found[i] for i in ids]
