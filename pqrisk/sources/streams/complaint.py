"""投诉举报 (consumer complaints and reports via 12315, 12345 and online platforms)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Field, Stream

SOURCE = "complaint"
LABEL = "投诉举报"
CHANNELS = ("12315", "12345", "网络平台", "来信来访")
FIELDS = (
    Field("投诉渠道", "channel", "choice", choices=CHANNELS, aliases=("渠道",)),
    Field("消费者所在区", "consumer_district", note="区划代码或区名"),
)
STREAM = Stream(SOURCE, LABEL, FIELDS)
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
