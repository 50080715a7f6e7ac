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

from pqrisk.audit.models import AuditEvent
from pqrisk.audit.services import SYSTEM_LABEL, record_many
from pqrisk.audit.services import record as audit
from pqrisk.bulk import insert_objects
from pqrisk.core.assessment.matrix import AssessmentInput, AssessmentResult, ScenarioStep, assess
from pqrisk.core.levels import Attention, RiskLevel
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .choices import AssessmentMethod, EvidenceQuality
from .models import Assessment

log = logging.getLogger(__name__)
CHUNK = 500

# Scenario step probabilities of the first assessment: project defaults, each with a range
# that the uncertainty analysis uses. The scenario follows EU 2019/417 (hazard present →
# hazardous situation in use → injury of that severity); steps 2 and 3 are properties of the
# product population, so one report raises step 1, not the others.
# Step 1, P(a unit in use carries the defect | this kind of evidence):
DEFECT_PROBABILITY: dict[str, tuple[float, float, float, str]] = {
    "spot_check": (1.0, 0.5, 1.0, "监督抽查检验不合格，缺陷经检验确认"),
    "recall": (1.0, 0.5, 1.0, "企业召回，缺陷经确认"),
    "penalty": (0.5, 0.1, 1.0, "行政处罚认定违法事实"),
    "injury": (0.5, 0.1, 1.0, "伤害病例指向该产品，缺陷待检验确认"),
    "station": (0.3, 0.05, 0.8, "监测站报送，待核实"),
    "complaint": (0.1, 0.01, 0.5, "单条消费者投诉，缺陷未经检验确认"),
    "licensing": (0.1, 0.01, 0.5, "许可证吊销/注销"),
    "media": (0.05, 0.005, 0.3, "网络舆情，缺陷未经核实"),
    "foreign_recall": (0.5, 0.1, 1.0, "境外召回通报，国内同类产品可能存在相同缺陷"),
}
# Step 2, P(the defect leads to a hazardous situation during the product's use):
HAZARDOUS_SITUATION_PROBABILITY = (0.1, 0.01, 0.5)
# Step 3, P(the hazardous situation ends in an injury of that severity): rarer for worse harm.
HARM_PROBABILITY = {
    1: (0.2, 0.05, 0.5),
    2: (0.05, 0.01, 0.2),
    3: (0.01, 0.001, 0.05),
    4: (0.001, 0.0001, 0.01),
}
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
    # An injury case shows the harm that happened; otherwise the hazard's worst credible one.
    if info.source_kind == "injury" and info.severity_hint:
        severity = info.severity_hint
    else:
        severity = info.hazard.default_severity if info.hazard else DEFAULT_SEVERITY
    severity = min(max(severity, 1), 4)
    p, lo, hi, why = DEFECT_PROBABILITY.get(info.source_kind, (0.1, 0.01, 0.5, "来源未分类"))
    e, elo, ehi = HAZARDOUS_SITUATION_PROBABILITY
    h, hlo, hhi = HARM_PROBABILITY[severity]
    hazard_name = info.hazard.name if info.hazard else "危害"
    steps = (
        ScenarioStep("产品存在缺陷", p, lo, hi, why),
        ScenarioStep(
            f"缺陷在使用中导致{hazard_name}危险状态", e, elo, ehi, "可合理预见的使用（系统默认）"
        ),
        ScenarioStep(
            "危险状态导致该程度伤害", h, hlo, hhi, f"{severity}级伤害的条件概率（系统默认）"
        ),
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


def build_assessment(
    info: RiskInfo, inp: AssessmentInput, *, method: str, user: Any = None
) -> tuple[Assessment, AssessmentResult]:
    """The assessment row for ``inp`` (not saved) and the core's result."""
    result = assess(inp)
    assessment = Assessment(
        risk_info=info,
        district_id=info.district_id,
        method=method,
        severity=inp.severity,
        steps=[
            {
                "description": s.description,
                "probability": s.probability,
                "low": s.probability_low,
                "high": s.probability_high,
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
    return assessment, result


def _audit_event(assessment: Assessment, old: str, user: Any = None) -> AuditEvent:
    level = RiskLevel(assessment.level)
    actor = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent(
        actor=actor,
        actor_label=actor.get_username() if actor else SYSTEM_LABEL,
        action="assess",
        object_type=assessment._meta.label_lower,
        object_id=str(assessment.pk),
        from_state=old,
        to_state=level.value,
        district_id=assessment.district_id,
        message=f"{AssessmentMethod(assessment.method).label}：{level.label}",
    )


@transaction.atomic
def save_assessment(
    info: RiskInfo, inp: AssessmentInput, *, method: str, user: Any = None
) -> Assessment:
    """Assess one risk info (an assessor's form, or one item) and audit it."""
    assessment, _ = build_assessment(info, inp, method=method, user=user)
    assessment.save()
    old = info.status
    if info.status == RiskInfoStatus.PENDING_ASSESSMENT:
        info.status = RiskInfoStatus.ASSESSED
        info.save(update_fields=["status"])
    _audit_event(assessment, old, user).save()
    if old != info.status:
        audit(
            "assess",
            info,
            actor=user,
            from_state=old,
            to_state=info.status,
            message=f"风险评估 #{assessment.pk}：{RiskLevel(assessment.level).label}",
        )
    return assessment


def assess_pending(
    progress: Callable[[int], None] | None = None, *, limit: int | None = None
) -> dict[str, int]:
    """First assessment (系统初评) of every risk signal waiting for one (at most ``limit``,
    oldest first), in chunks."""
    counts: dict[str, int] = {}
    done = 0
    while limit is None or done < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - done)
        infos = list(
            RiskInfo.objects.filter(status=RiskInfoStatus.PENDING_ASSESSMENT)
            .select_related("hazard", "product_category", "raw_item")
            .defer("evidence", "screened_text")  # large, and not read here
            .order_by("id")[:size]
        )
        done += len(infos)
        if not infos:
            break
        rows = [
            build_assessment(i, first_assessment_input(i), method=AssessmentMethod.MATRIX_AUTO)[0]
            for i in infos
        ]
        with transaction.atomic():
            # COPY, not bulk_create: Django's bulk insert on PostgreSQL sends each column
            # as one array that the driver escapes value by value (half this step's time).
            created = insert_objects(rows)
            RiskInfo.objects.filter(pk__in=[i.pk for i in infos]).update(
                status=RiskInfoStatus.ASSESSED
            )
            insert_objects([_audit_event(a, RiskInfoStatus.PENDING_ASSESSMENT) for a in created])
            record_many(
                "assess",
                infos,
                from_state=RiskInfoStatus.PENDING_ASSESSMENT,
                to_state=RiskInfoStatus.ASSESSED,
                message="系统初评完成",
            )
        for a in created:
            counts[a.level] = counts.get(a.level, 0) + 1
        if progress:
            progress(len(created))
    log.info("assessed: %s", counts)
    return counts
