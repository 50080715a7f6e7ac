"""Levels and kinds that carry their meaning: Chinese label, colour, rank and what follows.

Every other module takes these from here; nothing else hard-codes "red" or its colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Self


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
    """Warning colour (预警分级; the Shanghai guidance and GB/T 35253-2017; METHODS §2).

    Who may issue a colour, its publication deadline, procedure, default modes and disposal
    are in ``WARNING_TERMS`` below; ``issuer``, ``publish_within_hours`` and ``disposal`` read
    from there so that there is one source.
    """

    RED = ("red", "红色预警", "#d32f2f", 4, "严重风险，涉及面广或后果严重，需立即处置")
    ORANGE = ("orange", "橙色预警", "#f57c00", 3, "高风险，需尽快处置")
    YELLOW = ("yellow", "黄色预警", "#fbc02d", 2, "中风险，需区局组织处置")
    GREEN = ("green", "绿色预警", "#388e3c", 1, "低风险，持续跟踪监测")

    @property
    def terms(self) -> WarningTerms:
        """Who may issue, deadline, procedure, default modes and disposal of this colour."""
        return WARNING_TERMS[self]

    @property
    def issuer(self) -> Issuer:
        """``"city"``: only the city bureau issues it; ``"district"``: city or district."""
        return WARNING_TERMS[self].issuer

    @property
    def publish_within_hours(self) -> int:
        """Default hours from approval (the decision) to publication."""
        return WARNING_TERMS[self].publish_within_hours

    @property
    def disposal(self) -> str:
        """The disposal requirement in Chinese."""
        return WARNING_TERMS[self].disposal


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


class Urgency(_Meaningful):
    """How soon harm may follow (紧迫程度; METHODS §2 "urgency": time to harm, trend of signals).

    A caller derives it from what the evidence shows (``pqrisk.core.warning.rules.urgency_of``):
    injuries already happening → 紧急; the signals rising (more reports in the recent window
    than before) → 较急; otherwise 一般.
    """

    URGENT = ("urgent", "紧急", "", 3, "已发生人身伤害，伤害随时可能再次发生")
    PRESSING = ("pressing", "较急", "", 2, "风险信号呈上升趋势，短期内可能造成伤害")
    ROUTINE = ("routine", "一般", "", 1, "风险信号平稳，无迫近的伤害")


class DisposalRoute(_Meaningful):
    """Where a finding is sent for disposal (METHODS §3 routing)."""

    INSPECTION = ("inspection", "监督检查", "", 0, "对获证生产企业开展监督检查")
    CERTIFICATION = ("certification", "通报认证机构", "", 0, "CCC产品问题通报认证机构")
    ENFORCEMENT = ("enforcement", "执法查处", "", 0, "涉嫌违法的移交执法部门查处")
    RECALL = ("recall", "缺陷召回监管", "", 0, "缺陷危及人身健康和安全的启动召回监管")
    STANDARDS = ("standards", "标准反馈", "", 0, "标准缺失或滞后的反馈标准化部门")
    YRD_SHARING = ("yrd_sharing", "长三角共享", "", 0, "跨区域风险共享给长三角兄弟省市")
    MONITOR = ("monitor", "持续监测", "", 0, "暂不处置，持续跟踪监测")


Issuer = Literal["city", "district"]

# The warning procedure (Shanghai guidance; METHODS §2), as (step, label); the approval
# step names who approves. ``pqrisk.core.workflow.WARNING_MACHINE`` enforces it.
_CITY_PROCEDURE = (
    ("draft", "起草"),
    ("review", "审核"),
    ("approve", "市局批准"),
    ("publish", "发布"),
    ("update", "更新"),
    ("lift", "解除"),
)
_DISTRICT_PROCEDURE = (
    ("draft", "起草"),
    ("review", "审核"),
    ("approve", "市局或区局批准"),
    ("publish", "发布"),
    ("update", "更新"),
    ("lift", "解除"),
)
_ALL_MODES = (
    WarningMode.INTERNAL_NOTICE,
    WarningMode.INDUSTRY_WARNING,
    WarningMode.CONSUMER_ADVISORY,
)


@dataclass(frozen=True)
class WarningTerms:
    """What goes with one warning colour: who may issue it, how fast it is published, the
    procedure, who is told by default, and how it is disposed of (METHODS §2, §3)."""

    issuer: Issuer
    publish_within_hours: int
    procedure: tuple[tuple[str, str], ...]
    modes: tuple[WarningMode, ...]
    disposal: str
    disposal_organiser: Issuer
    immediate: bool
    needs_task: bool
    due_within_hours: int | None
    report_within_hours_after_completion: int | None

    @property
    def issuer_label(self) -> str:
        return "仅市局" if self.issuer == "city" else "市局或区局"

    @property
    def procedure_label(self) -> str:
        return " → ".join(label for _, label in self.procedure)

    @property
    def audience_label(self) -> str:
        return "、".join(f"{m.label}（{m.audience}）" for m in self.modes)


# One table for all colours. Sources: red only by the city bureau, red/orange disposed of
# immediately under the city bureau, yellow by the district with a written report within
# 24 h after completion, green monitored without a task (Shanghai guidance). Project defaults:
# orange also issued by the city bureau only; publication 2/12/24/72 h after approval; modes
# by colour; 72 h (red, orange) and 168 h (yellow) to complete a disposal. A deployment
# overrides hours and modes through ``pqrisk.core.warning.rules.WarningPolicy``.
WARNING_TERMS: Mapping[WarningLevel, WarningTerms] = MappingProxyType(
    {
        WarningLevel.RED: WarningTerms(
            issuer="city",
            publish_within_hours=2,
            procedure=_CITY_PROCEDURE,
            modes=_ALL_MODES,
            disposal="市局统一组织立即开展应急处置",
            disposal_organiser="city",
            immediate=True,
            needs_task=True,
            due_within_hours=72,
            report_within_hours_after_completion=None,
        ),
        WarningLevel.ORANGE: WarningTerms(
            issuer="city",
            publish_within_hours=12,
            procedure=_CITY_PROCEDURE,
            modes=_ALL_MODES,
            disposal="市局统一组织立即开展应急处置",
            disposal_organiser="city",
            immediate=True,
            needs_task=True,
            due_within_hours=72,
            report_within_hours_after_completion=None,
        ),
        WarningLevel.YELLOW: WarningTerms(
            issuer="district",
            publish_within_hours=24,
            procedure=_DISTRICT_PROCEDURE,
            modes=(WarningMode.INTERNAL_NOTICE, WarningMode.INDUSTRY_WARNING),
            disposal="区局处置，处置完成后24小时内书面报告市局",
            disposal_organiser="district",
            immediate=False,
            needs_task=True,
            due_within_hours=168,
            report_within_hours_after_completion=24,
        ),
        WarningLevel.GREEN: WarningTerms(
            issuer="district",
            publish_within_hours=72,
            procedure=_DISTRICT_PROCEDURE,
            modes=(WarningMode.INTERNAL_NOTICE,),
            disposal="持续跟踪监测，原则上不下达处置任务",
            disposal_organiser="district",
            immediate=False,
            needs_task=False,
            due_within_hours=None,
            report_within_hours_after_completion=None,
        ),
    }
)
