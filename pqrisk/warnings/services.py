"""Warnings: proposals from assessments, review by the city bureau, publication and lifting.

The colour comes from the domain core's rules (METHODS §2); who may move a warning is the
core's transition table; a red warning is issued only by the city bureau.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from pqrisk.assessment.models import Assessment
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import Attention, RiskLevel, Scope, WarningLevel
from pqrisk.core.warning.rules import may_issue, propose_warning, publication_deadline
from pqrisk.core.workflow import WARNING_MACHINE, TransitionNotAllowed
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .choices import OPEN_STATES
from .models import Warning

log = logging.getLogger(__name__)

# Assessed levels that make the system propose a warning (project default; a medium risk is
# kept as assessed information that later signals may lift).
PROPOSE_FROM_LEVELS = (RiskLevel.SERIOUS.value, RiskLevel.HIGH.value)
SYSTEM_ROLES = frozenset({"system"})


class WarningError(Exception):
    """A warning action that cannot be done; ``message_zh`` says why to the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def scope_of(infos: Iterable[RiskInfo]) -> tuple[Scope, int | None]:
    """City, several districts or one district, from where the evidence comes from."""
    districts = {i.district_id for i in infos if i.district_id is not None}
    if len(districts) == 1:
        return Scope.DISTRICT, next(iter(districts))
    if 1 < len(districts) <= 3:
        return Scope.MULTI_DISTRICT, None
    return Scope.CITY, None


def _title(info: RiskInfo, level: WarningLevel) -> str:
    product = info.product_category.name if info.product_category else (info.product_name or "产品")
    hazard = info.hazard.name if info.hazard else "质量安全"
    where = info.district.name if info.district else "本市"
    return f"{where}{product}{hazard}风险（{level.label}建议）"


def propose_from_assessment(assessment: Assessment) -> tuple[Warning | None, bool]:
    """Attach the assessed info to the open warning on the same product × hazard, or propose
    a new one. Returns the warning (None when the level does not call for one) and whether
    it is new."""
    info = assessment.risk_info
    if assessment.level not in PROPOSE_FROM_LEVELS:
        return None, False
    existing = (
        Warning.objects.filter(
            status__in=OPEN_STATES,
            product_category_id=info.product_category_id,
            hazard_id=info.hazard_id,
        )
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        existing.risk_infos.add(info)
        _mark_warned(info)
        _rescope(existing)
        return existing, False
    attention = Attention(assessment.attention)
    scope, district_id = scope_of([info])
    proposal = propose_warning(RiskLevel(assessment.level), scope, attention)
    warning = Warning.objects.create(
        title=_title(info, proposal.level),
        body="\n".join(assessment.explanation),
        level=proposal.level.value,
        proposed_level=proposal.level.value,
        modes=[m.value for m in proposal.modes],
        scope=scope.value,
        attention=attention.value,
        reasons=list(proposal.reasons),
        status="in_review",
        district_id=district_id,
        product_category_id=info.product_category_id,
        hazard_id=info.hazard_id,
        assessment=assessment,
    )
    warning.risk_infos.add(info)
    _mark_warned(info)
    audit(
        "propose",
        warning,
        from_state="",
        to_state="in_review",
        message=f"系统根据评估结果（{RiskLevel(assessment.level).label}）提出{proposal.level.label}建议",
    )
    return warning, True


def _mark_warned(info: RiskInfo) -> None:
    if info.status != RiskInfoStatus.WARNED:
        info.status = RiskInfoStatus.WARNED
        info.save(update_fields=["status"])


def _rescope(warning: Warning) -> None:
    """Widen the scope (never narrow it) as evidence from more districts joins."""
    if warning.status not in ("draft", "in_review"):
        return
    scope, district_id = scope_of(warning.risk_infos.all())
    order = [Scope.ENTERPRISE, Scope.DISTRICT, Scope.MULTI_DISTRICT, Scope.CITY]
    if order.index(scope) > order.index(Scope(warning.scope)):
        warning.scope = scope.value
        warning.district_id = district_id
        proposal = propose_warning(
            RiskLevel(warning.assessment.level), scope, Attention(warning.attention)
        )
        if WarningLevel(proposal.level).rank > WarningLevel(warning.level).rank:
            warning.level = warning.proposed_level = proposal.level.value
            warning.reasons = list(proposal.reasons)
        warning.save(update_fields=["scope", "district", "level", "proposed_level", "reasons"])


def propose_pending() -> dict[str, int]:
    """Propose warnings for assessed information not yet linked to one."""
    counts = {"new": 0, "joined": 0}
    qs = (
        Assessment.objects.filter(
            risk_info__status=RiskInfoStatus.ASSESSED, level__in=PROPOSE_FROM_LEVELS
        )
        .select_related("risk_info__product_category", "risk_info__hazard", "risk_info__district")
        .order_by("risk_info__occurred_at", "id")
    )
    for assessment in qs:
        with transaction.atomic():
            warning, created = propose_from_assessment(assessment)
        if warning is not None:
            counts["new" if created else "joined"] += 1
    log.info("warning proposals: %s", counts)
    return counts


def _transition(warning: Warning, action: str, user: Any) -> str:
    roles = user.role_codes if getattr(user, "is_authenticated", False) else SYSTEM_ROLES
    try:
        t = WARNING_MACHINE.apply(warning.status, action, roles)
    except TransitionNotAllowed as exc:
        raise WarningError(exc.message_zh) from exc
    old = warning.status
    warning.status = t.target
    return old


@transaction.atomic
def approve_warning(
    warning: Warning, user: Any, *, level: WarningLevel | None = None, note: str = ""
) -> Warning:
    """Approve (optionally at another colour), set the publication deadline and dispatch the
    disposal the colour calls for."""
    from pqrisk.disposal.services import dispatch_for_warning

    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    chosen = level or WarningLevel(warning.level)
    if not may_issue(chosen, issuer_is_city=getattr(user, "is_city_wide", False)):
        raise PermissionDenied(f"{chosen.label}只能由市局发布")
    old = _transition(warning, "approve", user)
    now = timezone.now()
    warning.level = chosen.value
    warning.approved_by = user
    warning.approved_at = now
    warning.publish_deadline = publication_deadline(chosen, now)
    warning.save()
    audit(
        "approve",
        warning,
        actor=user,
        from_state=old,
        to_state=warning.status,
        message=note or f"批准为{chosen.label}",
        detail={"level": chosen.value, "proposed_level": warning.proposed_level},
    )
    dispatch_for_warning(warning, user)
    return warning


@transaction.atomic
def act_on_warning(warning: Warning, action: str, user: Any, note: str = "") -> Warning:
    """Any other warning transition: submit, reject, revise, publish, update, lift."""
    if action == "approve":
        return approve_warning(warning, user, note=note)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    old = _transition(warning, action, user)
    now = timezone.now()
    if action == "publish":
        warning.published_at = now
    elif action == "lift":
        warning.lifted_at = now
    warning.save()
    audit(action, warning, actor=user, from_state=old, to_state=warning.status, message=note)
    return warning
