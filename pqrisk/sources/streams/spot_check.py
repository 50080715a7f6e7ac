"""监督抽查 (product quality supervision spot checks): one record per sample tested."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pqrisk.sources.records import RecordRejected

from .base import Field, Stream

SOURCE = "spot_check"
LABEL = "监督抽查"
CONCLUSIONS = ("合格", "不合格")
LEVELS = ("国抽", "市抽", "区抽")


def _failed_items_need_a_failed_conclusion(details: dict[str, Any]) -> None:
    # A "合格" report that lists failed items contradicts itself; a person must decide.
    if details.get("conclusion") == "合格" and details.get("failed_items"):
        failed = "、".join(details["failed_items"])
        raise RecordRejected(
            "invalid_value",
            f"检验结论（conclusion）为合格，但不合格项目（failed_items）不为空：{failed[:40]}",
            "conclusion 合格 with failed items",
        )


FIELDS = (
    Field("抽查计划", "plan", aliases=("任务来源",)),
    Field("样品编号", "sample_no", aliases=("报告编号",)),
    Field("抽查级别", "sampling_level", "choice", choices=LEVELS, aliases=("抽查类别",)),
    Field("执行标准", "standard", aliases=("检验依据",)),
    Field("检验项目", "items", "items", note="“项目:结果;项目:结果”解析为 {name, result} 列表"),
    Field("检验结论", "conclusion", "choice", required=True, choices=CONCLUSIONS),
    Field("不合格项目", "failed_items", "list", note="按“、，,;；”拆分"),
    Field("检验机构", "lab", aliases=("承检机构",)),
)
STREAM = Stream(SOURCE, LABEL, FIELDS, checks=(_failed_items_need_a_failed_conclusion,))
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
