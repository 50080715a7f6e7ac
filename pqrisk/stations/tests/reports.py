"""What the station tests send: an injury report as a hospital station would push it."""

from __future__ import annotations

URL = "/api/intake/station-reports"


def record(external_id: str, **extra: object) -> dict[str, object]:
    return {
        "source": "injury",
        "external_id": external_id,
        "occurred_at": "2026-03-05",
        "title": "儿童电动滑板车刹车失灵致摔伤",
        "text": "就诊患儿称滑板车下坡时刹车失灵。",
        "district": "浦东新区",
        **extra,
    }
