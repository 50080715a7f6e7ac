"""缺陷召回 (defective consumer product recalls filed with the city bureau)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Field, Stream

SOURCE = "recall"
LABEL = "缺陷召回"
FIELDS = (
    Field("召回编号", "recall_no", required=True),
    Field("型号批次", "model_batch", note="涉及的型号与生产批次"),
    Field("危害", "hazard", aliases=("缺陷及危害",)),
    Field(
        "数量",
        "units",
        "int",
        minimum=0,
        units=("件", "台", "个", "只", "套", "辆", "双", "把"),
        aliases=("召回数量",),
    ),
    Field("补救措施", "remedy"),
    Field("进展", "progress", aliases=("召回进展",)),
)
STREAM = Stream(SOURCE, LABEL, FIELDS)
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
