"""Badges and labels drawn from the domain enums, so no template hard-codes a colour or a label."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from django import template
from django.utils.html import format_html

from pqrisk.audit import labels
from pqrisk.core.levels import (
    DisposalRoute,
    RiskLevel,
    Scope,
    Urgency,
    WarningLevel,
    WarningMode,
)
from pqrisk.intake.choices import QUARANTINE_ACTION_LABELS, QUARANTINE_STATE_LABELS, SourceKind
from pqrisk.web.evidence import severity_text

register = template.Library()


def _ink(hex_colour: str) -> str:
    """Black or white text, whichever reads better on the badge colour (WCAG luminance)."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    try:
        r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return "#fff"

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#1f2933" if luminance > 0.4 else "#fff"


def _member(enum: type[Enum], value: Any) -> Any:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        return None


def _badge(member: Any, raw: Any, suffix: str = "") -> str:
    if member is None:
        return format_html('<span class="badge">{}</span>', raw or "—")
    return format_html(
        '<span class="badge level" style="--badge: {}; --badge-ink: {}">{}{}</span>',
        member.colour,
        _ink(member.colour),
        member.label,
        suffix,
    )


@register.filter
def warning_badge(value: Any) -> str:
    """``{{ warning.level|warning_badge }}`` → the colour badge of a WarningLevel."""
    return _badge(_member(WarningLevel, value), value)


@register.filter
def risk_badge(value: Any) -> str:
    """``{{ assessment.level|risk_badge }}`` → the badge of a RiskLevel."""
    return _badge(_member(RiskLevel, value), value)


@register.simple_tag
def level_badge(value: Any) -> str:
    """A badge for any level: a WarningLevel or RiskLevel member, or one of their values."""
    for enum in (WarningLevel, RiskLevel):
        member = _member(enum, value)
        if member is not None:
            return _badge(member, value)
    return _badge(None, value)


@register.filter
def level_colour(value: Any) -> str:
    member = _member(WarningLevel, value) or _member(RiskLevel, value)
    return member.colour if member is not None else ""


def _label(enum: type[Enum], value: Any) -> str:
    member = _member(enum, value)
    return member.label if member is not None else str(value)


@register.filter
def mode_label(value: Any) -> str:
    return _label(WarningMode, value)


@register.filter
def urgency_label(value: Any) -> str:
    return _label(Urgency, value)


@register.filter
def identification_label(value: Any) -> str:
    """The Chinese name of a warning's identification field (advice, brands …)."""
    from pqrisk.warnings.drafts import IDENTIFICATION_FIELDS

    return {f: label for f, label, _ in IDENTIFICATION_FIELDS}.get(str(value), str(value))


@register.filter
def route_label(value: Any) -> str:
    return _label(DisposalRoute, value)


@register.filter
def scope_label(value: Any) -> str:
    return _label(Scope, value)


@register.filter
def percent(value: Any, digits: int = 2) -> str:
    """A probability as a percentage, small ones in scientific notation."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        return "—"
    if p == 0:
        return "0"
    if p < 0.0001:
        return f"{p:.1e}"
    return f"{p * 100:.{digits}f}%"


@register.filter
def similarity_percent(value: Any) -> str:
    """A similarity in [0, 1] as a whole percentage, rounded down: a near-duplicate never
    reads as 100%."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{math.floor(max(0.0, min(1.0, share)) * 100 + 1e-9)}%"


@register.filter
def source_label(value: Any) -> str:
    """A source kind (``SourceKind`` value) in Chinese."""
    return SourceKind(value).label if value in SourceKind.values else str(value)


@register.filter
def source_counts(sources: Any) -> list[tuple[str, int]]:
    """An event's ``sources`` ({source kind: count}) as (Chinese label, count), most first."""
    if not isinstance(sources, Mapping):
        return []
    pairs = [(source_label(k), int(n)) for k, n in sources.items() if isinstance(n, int)]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


@register.filter
def severity_label(value: Any) -> str:
    """An injury-severity level as "N 级（…）" (EU 2019/417 scale)."""
    return severity_text(value) if value not in (None, "") else ""


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


@register.simple_tag
def state_badge(label: str) -> str:
    return format_html('<span class="badge state">{}</span>', label)


# Audit actions as users read them (the transition labels of the workflow tables where they exist).
ACTION_LABELS = {
    "screen": "筛查",
    "assess": "风险评估",
    "propose": "提出预警建议",
    "submit": "提交审核",
    "approve": "批准",
    "reject": "退回",
    "revise": "修改",
    "publish": "发布",
    "update": "更新",
    "lift": "解除",
    "track": "跟踪监测",
    "dispatch": "下达处置任务",
    "start": "开始处置",
    "complete": "处置完成",
    "report": "提交处置报告",
    "close": "办结",
    "reopen": "重新处置",
    "escalate": "督办",
    "rescope": "扩大影响范围",
    "ingest": "采集入库",
    "register_enterprises": "企业登记",
    "issue_token": "签发接口令牌",
    "warn": "纳入预警",
    "register_station": "登记监测站",
    "set_status": "变更状态",
    "revoke_token": "作废接口令牌",
    "stale": "超期未报送",
    **QUARANTINE_ACTION_LABELS,
}


def _state_labels() -> dict[str, str]:
    from pqrisk.core.workflow import DISPOSAL_MACHINE, WARNING_MACHINE
    from pqrisk.screening.choices import RiskInfoStatus

    labels: dict[str, str] = {s.value: s.label for s in RiskInfoStatus}
    labels.update({m.value: m.label for m in RiskLevel})
    labels.update(DISPOSAL_MACHINE.states)
    labels.update(WARNING_MACHINE.states)
    labels.update(QUARANTINE_STATE_LABELS)
    return labels


@register.filter
def action_label(value: str) -> str:
    return ACTION_LABELS.get(value, value)


@register.filter
def state_label(value: str) -> str:
    if not value:
        return ""
    return _state_labels().get(value, value)


OBJECT_TYPE_LABELS = {
    "screening.riskinfo": "风险信息",
    "assessment.assessment": "风险评估",
    "warnings.warning": "风险预警",
    "disposal.disposaltask": "处置任务",
    "disposal.feedback": "处置反馈",
    "enterprises.enterprise": "企业",
    "stations.monitoringstation": "监测站",
    "intake.ingestbatch": "采集批次",
    "intake.quarantineditem": "隔离区记录",
    "assessment.assessmentcase": "评估任务",
    "labs.samplingtask": "抽样任务",
    "labs.violationlead": "违法线索",
    "meetings.meeting": "会商会议",
    "experts.expert": "专家",
}


@register.filter
def event_action(event: Any) -> str:
    """An audit event's action as users read it, for its kind of object."""
    return labels.action_label(event.object_type, event.action) or action_label(event.action)


@register.filter
def event_state(event: Any, state: str) -> str:
    """A state named in an audit event, as users read it, for its kind of object."""
    if not state:
        return ""
    return labels.state_label(event.object_type, state) or state_label(state)


@register.filter
def object_type_label(value: str) -> str:
    return OBJECT_TYPE_LABELS.get(value, value)


@register.simple_tag
def industry_recipient_form(warning: Any, user: Any) -> Any:
    """The "行业警示对象" form for ``warning`` if ``user`` may name its recipients, else None."""
    from pqrisk.warnings.delivery import can_add_recipients
    from pqrisk.warnings.views import IndustryRecipientForm

    if not can_add_recipients(warning, user):
        return None
    return IndustryRecipientForm(warning=warning, prefix="recipient")
