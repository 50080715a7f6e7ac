"""生产许可 (industrial product production licences): grants, changes, cancellations and
revocations published by the city bureau."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pqrisk.sources.records import RecordRejected

from .base import Field, Stream

SOURCE = "licensing"
LABEL = "生产许可"
ACTIONS = ("发证", "变更", "延续", "注销", "吊销")


def _valid_period(details: dict[str, Any]) -> None:
    start, end = details.get("valid_from"), details.get("valid_to")
    if start and end and end < start:
        raise RecordRejected(
            "invalid_value",
            f"有效期至（valid_to）{end} 早于有效期起（valid_from）{start}",
            f"valid_to {end} before valid_from {start}",
        )


FIELDS = (
    Field("许可证编号", "licence_no", required=True, aliases=("证书编号",)),
    Field("有效期起", "valid_from", "date", aliases=("发证日期",)),
    Field("有效期至", "valid_to", "date"),
    Field("变更类型", "action", "choice", required=True, choices=ACTIONS),
)
STREAM = Stream(SOURCE, LABEL, FIELDS, checks=(_valid_period,))
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
