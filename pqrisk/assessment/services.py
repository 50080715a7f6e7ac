"""Assess risk information with the PRISM risk matrix (METHODS §1).

The system makes a first assessment (系统初评) of every risk signal from what the record
itself shows; experts confirm or change it later. The scenario probabilities below are the
project's defaults for that first assessment, not figures from a standard: each is shown in
the assessment with its range so that an assessor can see and replace it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from pqrisk.audit.services import record as audit
from pqrisk.core.assessment.matrix import AssessmentInput, ScenarioStep, assess
from pqrisk.core.levels import Attention
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .choices import AssessmentMethod, EvidenceQuality
from .models import Assessment

log = logging.getLogger(__name__)

# P(the product carries the hazard | this kind of evidence): project defaults, with ranges.
DEFECT_PROBABILITY: dict[str, tuple[float, float, float, str]] = {
    "spot_check": (1.0, 0.8, 1.0, "监督抽查检验不合格，缺陷经检验确认"),
    "recall": (1.0, 0.8, 1.0, "企业已召回，缺陷经确认"),
    "foreign_recall": (0.8, 0.5, 1.0, "境外召回通报，国内同类产品可能存在相同缺陷"),
    "injury": (0.5, 0.2, 0.9, "伤害病例指向该产品，缺陷待检验确认"),
    "complaint": (0.3, 0.1, 0.6, "消费者投诉，缺陷未经检验确认"),
    "media": (0.2, 0.05, 0.5, "网络舆情，缺陷未经核实"),
    "station": (0.5, 0.2, 0.9, "监测站报送"),
    "penalty": (0.8, 0.5, 1.0, "行政处罚认定违法事实"),
    "licensing": (0.3, 0.1, 0.6, "许可证吊销/注销"),
}
# P(a user is exposed to the hazard in reasonably foreseeable use): project default.
EXPOSURE_PROBABILITY = (0.5, 0.2, 0.9)
# P(exposure leads to the injury of that severity): rarer for worse outcomes (project default).
HARM_PROBABILITY = {1: (0.3, 0.1, 0.6), 2: (0.1, 0.03, 0.3), 3: (0.03, 0.01, 0.1), 4: (0.01, 0.001, 0.05)}
DEFAULT_SEVERITY = 2
EVIDENCE_BY_SOURCE = {
    "spot_check": EvidenceQuality.HIGH,
    "recall": EvidenceQuality.HIGH,
    "injury": EvidenceQuality.HIGH,
    "media": EvidenceQuality.LOW,
    "complaint": EvidenceQuality.LOW,
}


def first_assessment_input(info: RiskInfo) -> AssessmentInput:
    """The matrix input the record supports on its own."""
    severity = info.hazard.default_severity if info.hazard else DEFAULT_SEVERITY
    if info.severity_hint:
        severity = max(severity, info.severity_hint)
    severity = min(max(severity, 1), 4)
    p, lo, hi, why = DEFECT_PROBABILITY.get(info.source_kind, (0.3, 0.1, 0.6, "来源未分类"))
    e, elo, ehi = EXPOSURE_PROBABILITY
    h, hlo, hhi = HARM_PROBABILITY[severity]
    hazard_name = info.hazard.name if info.hazard else "危害"
    steps = (
        ScenarioStep("产品存在缺陷", p, lo, hi, why),
        ScenarioStep(f"使用中暴露于{hazard_name}", e, elo, ehi, "可合理预见的使用方式（系统默认）"),
        ScenarioStep("暴露导致该程度伤害", h, hlo, hhi, f"严重程度{severity}级伤害的条件概率（系统默认）"),
    )
    units = (info.raw_item.payload.get("details") or {}).get("units")
    attention = Attention.HIGH if info.source_kind == "media" else Attention.NORMAL
    return AssessmentInput(
        severity=severity,
        steps=steps,
        exposed_units=int(units) if isinstance(units, int | float) and units > 0 else None,
        vulnerable_users=bool(info.product_category and info.product_category.vulnerable_users),
        evidence_quality=EVIDENCE_BY_SOURCE.get(info.source_kind, EvidenceQuality.MEDIUM).value,
        attention=attention,
    )


def save_assessment(
    info: RiskInfo, inp: AssessmentInput, *, method: str, user: Any = None
) -> Assessment:
    result = assess(inp)
    assessment = Assessment.objects.create(
        risk_info=info,
        district=info.district,
        method=method,
        severity=inp.severity,
        steps=[
            {
                "description": s.description,
                "probability": s.probability,
                "low": s.low if s.low is not None else s.probability,
                "high": s.high if s.high is not None else s.probability,
                "evidence": s.evidence,
            }
            for s in inp.steps
        ],
        probability=result.probability,
        probability_low=result.probability_low,
        probability_high=result.probability_high,
        band=result.band,
        base_level=result.base_level.value,
        level=result.level.value,
        level_low=result.level_low.value,
        level_high=result.level_high.value,
        uncertainty_changes_level=result.uncertainty_changes_level,
        exposed_units=inp.exposed_units,
        vulnerable_users=inp.vulnerable_users,
        evidence_quality=inp.evidence_quality,
        attention=inp.attention.value,
        explanation=list(result.explanation),
        assessed_by=user if getattr(user, "is_authenticated", False) else None,
    )
    old = info.status
    if info.status == RiskInfoStatus.PENDING_ASSESSMENT:
        info.status = RiskInfoStatus.ASSESSED
        info.save(update_fields=["status"])
    audit(
        "assess",
        assessment,
        actor=user,
        from_state=old,
        to_state=result.level.value,
        message=f"{AssessmentMethod(method).label}：{result.level.label}",
    )
    return assessment


def assess_pending(progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """First assessment of every risk signal waiting for one."""
    counts: dict[str, int] = {}
    qs = RiskInfo.objects.filter(status=RiskInfoStatus.PENDING_ASSESSMENT).select_related(
        "hazard", "product_category", "district", "raw_item"
    )
    for info in qs.iterator(chunk_size=500):
        with transaction.atomic():
            a = save_assessment(info, first_assessment_input(info), method=AssessmentMethod.MATRIX_AUTO)
        counts[a.level] = counts.get(a.level, 0) + 1
        if progress:
            progress(1)
    log.info("assessed: %s", counts)
    return counts
