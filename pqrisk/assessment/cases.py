"""Assessment cases (评估任务): open, attach evidence, move through the workflow, conclude.

A case is opened by the assessment centre from risk information, an event or a signal; the
workflow (``pqrisk.core.workflow.CASE_MACHINE``) says who may move it where; every change is
audited. Experts (``pqrisk.experts``), lab results (``pqrisk.labs``) and consultation
meetings (``pqrisk.meetings``) attach to a case and feed its conclusion.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role, workflow_roles
from pqrisk.audit.services import record as audit
from pqrisk.core.assessment.matrix import AssessmentInput
from pqrisk.core.levels import RiskLevel
from pqrisk.core.workflow import CASE_MACHINE, TransitionNotAllowed
from pqrisk.screening.models import Event, RiskInfo

from .choices import AssessmentMethod, CaseOrigin, CaseStatus, EvidenceKind
from .models import Assessment, AssessmentCase, CaseEvidence
from .services import first_assessment_input, save_assessment

CASE_ROLES = (Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN)
MAX_ITEMS = 500  # risk information attached when a case is opened


class CaseError(Exception):
    """A case action that cannot be done; ``message_zh`` is shown to the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def _next_code(year: int) -> str:
    prefix = f"PG-{year}-"
    last = AssessmentCase.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _default_title(info: RiskInfo | None, event: Event | None) -> str:
    if event is not None:
        return f"{event.title}风险评估"
    if info is not None:
        what = info.product_category.name if info.product_category else info.title[:40]
        hazard = f"（{info.hazard.name}）" if info.hazard else ""
        return f"{what}{hazard}风险评估"
    return "风险评估"


@transaction.atomic
def open_case(
    user: Any,
    *,
    risk_infos: Iterable[RiskInfo] = (),
    event: Event | None = None,
    signal: dict[str, Any] | None = None,
    title: str = "",
    description: str = "",
) -> AssessmentCase:
    """Open a case from risk information, an event (all its items) or a signal."""
    require_role(user, *CASE_ROLES)
    infos = list(risk_infos)
    if event is not None:
        infos += [
            i for i in event.items.order_by("occurred_at", "id")[:MAX_ITEMS] if i not in infos
        ]
    if not infos and event is None and not signal:
        raise CaseError("评估任务须来自风险信息、风险事件或风险信号，至少选择一项")
    if len(infos) > MAX_ITEMS:
        raise CaseError(f"一个评估任务最多关联 {MAX_ITEMS} 条风险信息")
    first = infos[0] if infos else None
    origin = CaseOrigin.EVENT if event else CaseOrigin.RISK_INFO if infos else CaseOrigin.SIGNAL
    # Lock the table's last code: two cases opened at once must not get the same number.
    AssessmentCase.objects.select_for_update().order_by("-id").first()
    case = AssessmentCase.objects.create(
        code=_next_code(timezone.localdate().year),
        title=(title or _default_title(first, event))[:200],
        origin=origin,
        event=event,
        signal=signal or {},
        product_category=(event.product_category if event else None)
        or (first.product_category if first else None),
        hazard=(event.hazard if event else None) or (first.hazard if first else None),
        enterprise=(event.enterprise if event else None) or (first.enterprise if first else None),
        district=(event.district if event else None) or (first.district if first else None),
        description=description,
        opened_by=user,
    )
    case.risk_infos.set(infos)
    CaseEvidence.objects.bulk_create(
        [
            CaseEvidence(
                case=case,
                kind=EvidenceKind.ITEM,
                title=i.title[:200],
                risk_info=i,
                added_by=user,
            )
            for i in infos
        ]
    )
    audit(
        "open",
        case,
        actor=user,
        to_state=case.status,
        message=f"立项：{case.title}（{CaseOrigin(origin).label}，关联风险信息 {len(infos)} 条）",
    )
    return case


def act_on_case(case: AssessmentCase, action: str, user: Any, *, note: str = "") -> AssessmentCase:
    """Move ``case`` by ``action`` if the workflow lets this user; audited."""
    try:
        transition = CASE_MACHINE.apply(case.status, action, workflow_roles(user))
    except TransitionNotAllowed as exc:
        raise CaseError(exc.message_zh) from exc
    if action == "conclude":
        raise CaseError("形成结论须给出结论等级（使用“形成结论”表单）")
    with transaction.atomic():
        old = case.status
        case.status = transition.target
        if action == "reopen":
            case.concluded_at = None
        case.save(update_fields=["status", "concluded_at"])
        audit(
            action,
            case,
            actor=user,
            from_state=old,
            to_state=case.status,
            message=transition.label + (f"：{note}" if note else ""),
        )
    return case


def add_evidence(
    case: AssessmentCase,
    user: Any,
    *,
    kind: str,
    title: str,
    note: str = "",
    file: Any = None,
    risk_info: RiskInfo | None = None,
) -> CaseEvidence:
    """Attach evidence to an open case; audited."""
    require_role(user, *CASE_ROLES)
    if case.status in (CaseStatus.CONCLUDED, CaseStatus.CANCELLED):
        raise CaseError(f"评估任务已{CaseStatus(case.status).label}，不能再添加证据")
    if kind not in EvidenceKind.values:
        raise CaseError(f"未知的证据类型：{kind}")
    if not title.strip():
        raise CaseError("证据名称不能为空")
    evidence = CaseEvidence.objects.create(
        case=case,
        kind=kind,
        title=title.strip()[:200],
        note=note,
        file=file or "",
        risk_info=risk_info,
        added_by=user,
    )
    audit(
        "add_evidence",
        case,
        actor=user,
        message=f"添加证据（{EvidenceKind(kind).label}）：{evidence.title}",
    )
    return evidence


@transaction.atomic
def conclude_case(
    case: AssessmentCase,
    user: Any,
    *,
    level: str,
    conclusion: str,
    rule: str,
    expert_level: str = "",
) -> AssessmentCase:
    """Conclude ``case`` with a level, the reasoning and the rule that combined model,
    matrix and experts; audited."""
    try:
        transition = CASE_MACHINE.apply(case.status, "conclude", workflow_roles(user))
    except TransitionNotAllowed as exc:
        raise CaseError(exc.message_zh) from exc
    try:
        final = RiskLevel(level)
    except ValueError:
        raise CaseError(f"未知的风险等级：{level}") from None
    if not conclusion.strip():
        raise CaseError("请填写结论说明")
    old = case.status
    case.status = transition.target
    case.final_level = final.value
    case.expert_level = expert_level or case.expert_level
    case.conclusion = conclusion.strip()
    case.conclusion_rule = rule
    case.concluded_at = timezone.now()
    case.save()
    audit(
        "conclude",
        case,
        actor=user,
        from_state=old,
        to_state=case.status,
        message=f"结论：{final.label}",
        detail={"level": final.value, "rule": rule},
    )
    return case


@transaction.atomic
def assess_case(case: AssessmentCase, user: Any, inp: AssessmentInput) -> Assessment:
    """The case's risk-matrix assessment (人工评估) from the assessor's inputs; the previous
    one stays in the history. Saved on the case's first item, linked to the case."""
    require_role(user, *CASE_ROLES)
    if case.status not in (CaseStatus.OPENED, CaseStatus.ASSESSING, CaseStatus.EXPERT_REVIEW):
        raise CaseError(f"评估任务处于“{CaseStatus(case.status).label}”状态，不能再做风险矩阵评估")
    first = case.risk_infos.order_by("occurred_at", "id").first()
    if first is None:
        raise CaseError("评估任务须关联至少一条风险信息，才能保存风险矩阵评估")
    assessment = save_assessment(first, inp, method=AssessmentMethod.MATRIX_MANUAL, user=user)
    case.matrix_assessment = assessment
    case.save(update_fields=["matrix_assessment"])
    audit(
        "matrix",
        case,
        actor=user,
        message=f"风险矩阵评估 #{assessment.pk}：{RiskLevel(assessment.level).label}",
    )
    return assessment


def default_matrix_input(case: AssessmentCase) -> AssessmentInput | None:
    """The first assessment's inputs for the case's first item, as a starting point."""
    first = case.risk_infos.select_related("hazard", "product_category", "raw_item").first()
    return first_assessment_input(first) if first is not None else None
