"""行政处罚 (administrative penalty decisions) in product quality cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Field, Stream

SOURCE = "penalty"
LABEL = "行政处罚"
FIELDS = (
    Field("案件编号", "case_no", required=True, aliases=("处罚决定书文号",)),
    Field("违法行为", "violation", aliases=("主要违法事实",)),
    Field("处罚依据", "legal_basis"),
    Field("处罚内容", "penalty", aliases=("处罚结果",)),
    Field(
        "罚没金额",
        "amount_yuan",
        "number",
        minimum=0,
        units=("元", "万元", "万"),
        aliases=("罚款金额",),
        note="单位元；可写“12000元”“1.2万元”",
    ),
)
STREAM = Stream(SOURCE, LABEL, FIELDS)
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
