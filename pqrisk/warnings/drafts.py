"""Warning drafts from an assessment case: its conclusion or a consultation decision
pre-fills the draft, with the case's evidence pack in the reasons (items by source, the
event, the matrix assessment, the model's suggestion, the experts' level, lab results).

The warning workflow then submits, approves and publishes the draft; the colour rules
(``pqrisk.core.warning.rules``) propose its colour unless a meeting decided one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from pqrisk.assessment.models import Assessment, AssessmentCase
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import Attention, RiskLevel, Scope, WarningLevel, WarningMode
from pqrisk.core.warning.rules import propose_warning
from pqrisk.intake.choices import SourceKind
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .identification import evidence_urgency, prefill
from .models import Warning
from .policy import warning_policy
from .services import WarningError, advisory_text, scope_of


def basis_assessment(case: AssessmentCase, infos: list[RiskInfo]) -> Assessment | None:
    """The assessment a warning rests on: the case's matrix assessment, else the highest
    (then latest) assessment of its risk information."""
    if case.matrix_assessment_id is not None:
        return case.matrix_assessment
    candidates = list(Assessment.objects.filter(risk_info__in=infos).select_related("risk_info"))
    if not candidates:
        return None
    return max(candidates, key=lambda a: (RiskLevel(a.level).rank, a.created_at, a.pk))


def warning_title(case: AssessmentCase, scope: Scope) -> str:
    """Named like the warnings app names its proposals: where, product, hazard."""
    product = case.product_category.name if case.product_category else ""
    if not product:
        return case.title[:300]
    hazard = case.hazard.name if case.hazard else "质量安全"
    where = case.district.name if scope == Scope.DISTRICT and case.district else "本市"
    return f"{where}{product}{hazard}风险"


def evidence_pack(case: AssessmentCase, infos: list[RiskInfo]) -> list[str]:
    """The case's evidence in lines a reviewer reads: what the warning rests on."""
    lines = [f"评估任务：{case.code} {case.title}"]
    if infos:
        sources = Counter(SourceKind(i.source_kind).label for i in infos)
        lines.append(
            f"风险信息 {len(infos)} 条（"
            + "、".join(f"{k} {v} 条" for k, v in sources.most_common())
            + "）"
        )
    if case.event_id and case.event:
        lines.append(f"风险事件：{case.event.title}（{case.event.item_count} 条信息）")
    if case.matrix_assessment_id and case.matrix_assessment:
        lines.append(
            f"风险矩阵评估 #{case.matrix_assessment_id}："
            f"{RiskLevel(case.matrix_assessment.level).label}"
        )
    suggestion = case.model_suggestion or {}
    if suggestion.get("level"):
        lines.append(
            f"模型研判建议：{RiskLevel(suggestion['level']).label}"
            f"（模型 {suggestion.get('version', '—')}）"
        )
    if case.expert_level:
        lines.append(f"专家评估等级：{RiskLevel(case.expert_level).label}")
    for task in case.sampling_tasks.all():
        failed = task.samples.filter(test_items__verdict="fail").distinct().count()
        lines.append(
            f"实验室抽样 {task.code}（{task.get_status_display()}）"
            + (f"：{failed} 个样品有不合格项目" if failed else "")
        )
    return lines


def _attention(infos: Iterable[RiskInfo]) -> Attention:
    values = Assessment.objects.filter(risk_info__in=list(infos)).values_list(
        "attention", flat=True
    )
    found = [Attention(a) for a in values]
    return max(found, key=lambda x: x.rank) if found else Attention.NORMAL


@transaction.atomic
def create_draft(
    case: AssessmentCase,
    user: Any,
    *,
    risk: RiskLevel,
    colour: WarningLevel | None = None,
    modes: Iterable[WarningMode] = (),
    reasons: Iterable[str] = (),
    label: str = "",
    detail: dict[str, Any] | None = None,
    missing_basis_hint: str = "请先完成风险矩阵评估",
) -> Warning:
    """A warning draft (草稿) for ``case`` at ``risk``: its colour decided (``colour``) or
    proposed by the rules, linked to the case's items and basis assessment, the evidence pack
    and ``reasons`` in its reasons; audited. The items become 已纳入预警. Without an
    assessment to rest on, WarningError ends with ``missing_basis_hint`` (what to do)."""
    infos = list(
        case.risk_infos.select_related("product_category", "hazard", "district").order_by("id")
    )
    basis = basis_assessment(case, infos)
    if basis is None:
        raise WarningError(
            f"评估任务 {case.code} 没有可作为预警依据的风险评估（风险预警须关联一项风险评估），"
            + missing_basis_hint
        )
    scope, district_id = scope_of(infos) if infos else (Scope.CITY, None)
    attention = _attention(infos)
    urgency = evidence_urgency(infos)
    proposal = propose_warning(risk, scope, attention, warning_policy(), urgency=urgency)
    chosen = colour or proposal.level
    chosen_modes = list(modes) or list(warning_policy().modes_for[chosen])
    lines = [*reasons]
    if colour is not None and colour != proposal.level:
        lines.append(f"决定预警等级：{colour.label}（按规则建议为{proposal.level.label}）")
    else:
        lines.extend(proposal.reasons)
    lines.extend(evidence_pack(case, infos))
    if chosen.issuer == "city":
        lines.append(f"{chosen.label}由市局发布")
    warning = Warning(
        title=warning_title(case, scope),
        body=advisory_text(basis.risk_info, scope, len(infos) or 1),
        level=chosen.value,
        proposed_level=proposal.level.value,
        modes=[m.value for m in chosen_modes],
        scope=scope.value,
        attention=attention.value,
        reasons=lines,
        status="draft",
        district_id=district_id,
        product_category_id=case.product_category_id or basis.risk_info.product_category_id,
        hazard_id=case.hazard_id or basis.risk_info.hazard_id,
        assessment=basis,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        urgency=urgency.value,
    )
    prefill(warning, infos)
    warning.save()
    warning.risk_infos.add(*infos)
    audit(
        "propose",
        warning,
        actor=user,
        to_state=warning.status,
        message=label or f"由评估任务 {case.code} 生成预警草稿（{chosen.label}）",
        detail={"case": case.code, **(detail or {})},
    )
    for info in infos:
        if info.status == RiskInfoStatus.ASSESSED:
            info.status = RiskInfoStatus.WARNED
            info.save(update_fields=["status"])
            audit(
                "warn",
                info,
                actor=user,
                from_state=RiskInfoStatus.ASSESSED,
                to_state=RiskInfoStatus.WARNED,
                message=f"纳入预警 #{warning.pk}（评估任务 {case.code}）",
            )
    return warning


def draft_from_case(case: AssessmentCase, user: Any) -> Warning:
    """One click on a concluded case: a draft at the colour the rules propose for its level."""
    from pqrisk.accounts.choices import Role
    from pqrisk.accounts.scoping import require_role

    require_role(user, Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN)
    if case.status != "concluded" or not case.final_level:
        raise WarningError("评估任务形成结论后才能生成预警草稿")
    return create_draft(
        case,
        user,
        risk=RiskLevel(case.final_level),
        reasons=[f"评估结论：{RiskLevel(case.final_level).label}（{case.conclusion_rule}）"],
    )


EDITABLE_STATES = ("draft", "rejected")


# The consumer-facing fields a draft may change besides title, text and modes.
IDENTIFICATION_FIELDS = (
    ("advice", "消费者应对建议", 5000),
    ("brands", "涉及品牌", 300),
    ("product_models", "涉及型号规格", 500),
    ("batches", "涉及批次/生产日期", 500),
)


@transaction.atomic
def edit_draft(
    warning: Warning,
    user: Any,
    *,
    title: str,
    body: str,
    modes: Iterable[str],
    identification: dict[str, str] | None = None,
) -> Warning:
    """Change a draft's (or a rejected warning's) title, text, modes and — when given —
    its product identification and consumer advice, before it goes to review; audited with
    what changed. Published warnings change by update (new version)."""
    from pqrisk.accounts.choices import Role
    from pqrisk.accounts.scoping import require_role

    require_role(user, Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN, Role.DISTRICT_OFFICER)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if not user.is_city_wide and warning.district_id != user.district_id:
        raise WarningError("区局只能修改本区的预警草稿")
    if warning.status not in EDITABLE_STATES:
        raise WarningError("只有草稿或被退回的预警可以修改文字；已发布的预警请使用“更新”")
    chosen = list(dict.fromkeys(modes))
    if not chosen or any(m not in WarningMode._value2member_map_ for m in chosen):
        raise WarningError("预警方式应为风险通报、风险警示、风险提示中的一种或几种")
    if not title.strip():
        raise WarningError("预警标题不能为空")
    new_values: dict[str, Any] = {"title": title.strip()[:300], "body": body, "modes": chosen}
    labels = {"title": "标题", "body": "内容", "modes": "预警方式"}
    for field, label, limit in IDENTIFICATION_FIELDS:
        if identification is not None and field in identification:
            value = (identification[field] or "").strip()
            if len(value) > limit:
                raise WarningError(f"{label}不能超过{limit}字")
            new_values[field] = value
            labels[field] = label
    changed = [f for f, v in new_values.items() if getattr(warning, f) != v]
    if not changed:
        return warning
    for field in changed:
        setattr(warning, field, new_values[field])
    warning.save(update_fields=changed)
    audit("edit", warning, actor=user, message="修改" + "、".join(labels[f] for f in changed))
    return warning
