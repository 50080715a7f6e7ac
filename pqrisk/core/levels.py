"""Levels and kinds that carry their meaning: Chinese label, colour, rank and what follows.

Every other module takes these from here; nothing else hard-codes "red" or its colour.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, Self


def _init(cls: Any, value: str, label: str, colour: str, rank: int, meaning: str) -> Any:
    obj = str.__new__(cls, value)
    obj._value_ = value
    obj.label = label
    obj.colour = colour
    obj.rank = rank
    obj.meaning = meaning
    return obj


# Not StrEnum: its __new__ takes only the value, and Django's choices want plain (str, Enum).
class _Meaningful(str, Enum):  # noqa: UP042
    """A str-valued Enum whose members carry a label, colour, rank and meaning."""

    label: str
    colour: str
    rank: int
    meaning: str

    if TYPE_CHECKING:
        # Lookups by value (``WarningLevel("red")``) are what callers write; the metadata
        # arguments below are only used when the members are defined.
        def __new__(cls, value: str, *meta: Any) -> Self: ...

    else:

        def __new__(cls, value, label, colour="", rank=0, meaning=""):
            return _init(cls, value, label, colour, rank, meaning)

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """``[(value, label), …]`` for Django model field choices."""
        return [(m.value, m.label) for m in cls]


class RiskLevel(_Meaningful):
    """Risk level of one product risk (EU 2019/417, UK PRISM; METHODS §1)."""

    SERIOUS = ("serious", "严重风险", "#b71c1c", 4, "需要迅速采取措施，必要时立即召回或下架")
    HIGH = ("high", "高风险", "#e65100", 3, "需要尽快采取措施")
    MEDIUM = ("medium", "中风险", "#f9a825", 2, "需要采取一定措施并持续关注")
    LOW = ("low", "低风险", "#2e7d32", 1, "一般无需专门措施，纳入日常监测")


class WarningLevel(_Meaningful):
    """Warning colour (预警分级; the Shanghai guidance and GB/T 35253-2017; METHODS §2)."""

    issuer: str
    publish_within_hours: int
    disposal: str

    if not TYPE_CHECKING:

        def __new__(
            cls, value, label, colour, rank, meaning, issuer, publish_within_hours, disposal
        ):
            obj = _init(cls, value, label, colour, rank, meaning)
            obj.issuer = issuer
            obj.publish_within_hours = publish_within_hours
            obj.disposal = disposal
            return obj

    # Red only by the city bureau (guidance). Publication hours are project defaults.
    RED = (
        "red",
        "红色预警",
        "#d32f2f",
        4,
        "严重风险，涉及面广或后果严重，需立即处置",
        "city",
        2,
        "市局统一组织立即开展应急处置",
    )
    ORANGE = (
        "orange",
        "橙色预警",
        "#f57c00",
        3,
        "高风险，需尽快处置",
        "city",
        12,
        "市局统一组织立即开展应急处置",
    )
    YELLOW = (
        "yellow",
        "黄色预警",
        "#fbc02d",
        2,
        "中风险，需区局组织处置",
        "district",
        24,
        "区局处置，处置完成后24小时内书面报告市局",
    )
    GREEN = (
        "green",
        "绿色预警",
        "#388e3c",
        1,
        "低风险，持续跟踪监测",
        "district",
        72,
        "持续跟踪监测，原则上不下达处置任务",
    )


class WarningMode(_Meaningful):
    """Three ways of warning, by who must act (风险预警方式)."""

    audience: str

    if not TYPE_CHECKING:

        def __new__(cls, value, label, audience, meaning):
            obj = _init(cls, value, label, "", 0, meaning)
            obj.audience = audience
            return obj

    INTERNAL_NOTICE = (
        "internal_notice",
        "风险通报",
        "监管部门",
        "通报监管部门加强监管、开展执法调查",
    )
    INDUSTRY_WARNING = (
        "industry_warning",
        "风险警示",
        "生产经营者",
        "警示生产经营者采取风险控制措施",
    )
    CONSUMER_ADVISORY = ("consumer_advisory", "风险提示", "消费者", "通过媒体提示消费者注意防范")


class Scope(_Meaningful):
    """How far a risk reaches."""

    CITY = ("city", "全市", "", 4, "涉及全市或多数区")
    MULTI_DISTRICT = ("multi_district", "多区", "", 3, "涉及两个以上的区")
    DISTRICT = ("district", "单区", "", 2, "涉及一个区")
    ENTERPRISE = ("enterprise", "单个企业", "", 1, "涉及单个企业的产品")


class Attention(_Meaningful):
    """Public attention to a risk."""

    NORMAL = ("normal", "一般", "", 1, "无明显社会关注")
    HIGH = ("high", "较高", "", 2, "媒体有报道或投诉集中")
    VERY_HIGH = ("very_high", "很高", "", 3, "舆情热点，社会广泛关注")


class DisposalRoute(_Meaningful):
    """Where a finding is sent for disposal (METHODS §3 routing)."""

    INSPECTION = ("inspection", "监督检查", "", 0, "对获证生产企业开展监督检查")
    CERTIFICATION = ("certification", "通报认证机构", "", 0, "CCC产品问题通报认证机构")
    ENFORCEMENT = ("enforcement", "执法查处", "", 0, "涉嫌违法的移交执法部门查处")
    RECALL = ("recall", "缺陷召回监管", "", 0, "缺陷危及人身健康和安全的启动召回监管")
    STANDARDS = ("standards", "标准反馈", "", 0, "标准缺失或滞后的反馈标准化部门")
    YRD_SHARING = ("yrd_sharing", "长三角共享", "", 0, "跨区域风险共享给长三角兄弟省市")
    MONITOR = ("monitor", "持续监测", "", 0, "暂不处置，持续跟踪监测")
