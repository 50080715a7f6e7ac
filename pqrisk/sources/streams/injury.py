"""伤害监测 (product injury surveillance cases reported by sentinel hospitals)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Field, Stream

SOURCE = "injury"
LABEL = "伤害监测"
FIELDS = (
    Field("医院", "hospital", aliases=("监测医院",)),
    Field("年龄段", "age_band", note="如 0-3、4-6、7-14、15-59、60+"),
    Field("性别", "sex", "choice", choices=("男", "女", "未知")),
    Field("伤害类型", "injury_type", aliases=("伤害性质",)),
    Field("受伤部位", "body_part", aliases=("伤害部位",)),
    # Severity grades 1 (minor) to 4 (critical or fatal) of the national injury surveillance form.
    Field(
        "严重程度",
        "severity",
        "int",
        required=True,
        minimum=1,
        maximum=4,
        units=("级",),
        note="1 轻度 — 4 危重/死亡",
    ),
    Field("处置", "disposition", aliases=("伤害结局",)),
    Field("病例权重", "case_weight", "number", minimum=0, note="抽样医院的推算权重"),
)
STREAM = Stream(SOURCE, LABEL, FIELDS)
FIELD_MAP = STREAM.field_map
REQUIRED = STREAM.required


def validate_details(details: Mapping[str, Any]) -> dict[str, Any]:
    return STREAM.validate(details)
