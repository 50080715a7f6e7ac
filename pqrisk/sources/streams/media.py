"""网络舆情 (online news and posts about product safety); feeds are read by
pqrisk.sources.media, JSONL/CSV dumps go through the common path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Field, Stream

SOURCE = "media"
LABEL = "网络舆情"
FIELDS = (
    Field("网址", "url", "url", aliases=("链接",)),
    Field("站点", "site", aliases=("网站",)),
    Field("作者", "author", aliases=("发布者",)),
    Field("发布时间", "published_at", "datetime"),
    Field("转发数", "reposts", "int", minimum=0),
)
STREAM = Stream(SOURCE, LABEL, FIELDS)
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
