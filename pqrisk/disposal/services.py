"""Disposal by level (METHODS §3): tasks for districts, clocks, feedback and escalation.

Red and orange warnings are disposed of at once under the city bureau's organisation; a
yellow warning is disposed of by the district, which files a written report within 24 hours
of completing; green is tracked without a task.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from pqrisk.accounts.scoping import workflow_roles
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import DisposalRoute, WarningLevel
from pqrisk.core.warning.rules import disposal_plan, route_for_finding
from pqrisk.core.workflow import DISPOSAL_MACHINE, TransitionNotAllowed
from pqrisk.reference.models import District
from pqrisk.warnings.models import Warning
from pqrisk.warnings.policy import warning_policy
from pqrisk.warnings.targeting import disposal_districts

from .choices import OPEN_STATES
from .models import DisposalTask, Feedback

log = logging.getLogger(__name__)


class DisposalError(Exception):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def districts_for(warning: Warning) -> list[District]:
    """Districts that must act (``pqrisk.warnings.targeting.disposal_districts``)."""
    return disposal_districts(warning)


def routes_for(warning: Warning) -> list[str]:
    """Disposal routes from what the evidence shows (METHODS §3 routing)."""
    infos = list(warning.risk_infos.select_related("enterprise", "product_category"))
    kinds = {i.source_kind for i in infos}
    suspected_violation = bool(kinds & {"spot_check", "penalty"})
    routes = route_for_finding(
        licensed_producer=any(i.enterprise and i.enterprise.licensed for i in infos),
        # A CCC *violation* goes to the certification body (METHODS §3), not any CCC product.
        ccc_product=bool(warning.product_category and warning.product_category.ccc)
        and suspected_violation,
        suspected_violation=suspected_violation,
        defect_endangers_safety=WarningLevel(warning.level).rank >= WarningLevel.ORANGE.rank
        or bool(kinds & {"injury", "recall"}),
        standard_gap=False,
        cross_region=warning.scope == "city" or "foreign_recall" in kinds,
    )
    return [r.value for r in routes]


def dispatch_for_warning(warning: Warning, user: Any) -> list[DisposalTask]:
    """Create the disposal tasks an approved warning calls for (none for green)."""
    level = WarningLevel(warning.level)
    plan = disposal_plan(level, warning_policy())
    if not plan.needs_task:
        audit(
            "track", warning, actor=user, message=f"{level.label}：{level.disposal}，不下达处置任务"
        )
        return []
    now = timezone.now()
    routes = routes_for(warning)
    route_labels = "、".join(DisposalRoute(r).label for r in routes)
    tasks = []
    for district in districts_for(warning):
        task, created = DisposalTask.objects.get_or_create(
            warning=warning,
            district=district,
            defaults={
                "level": level.value,
                "organiser": plan.organiser,
                "routes": routes,
                "instructions": f"{level.disposal}。处置路径：{route_labels}。",
                "due_at": now + timedelta(hours=plan.due_within_hours)
                if plan.due_within_hours
                else None,
            },
        )
        if created:
            audit(
                "dispatch",
                task,
                actor=user,
                to_state=task.status,
                message=f"下达{district.name}处置任务（{level.label}）",
            )
        tasks.append(task)
    return tasks


def _apply(task: DisposalTask, action: str, user: Any) -> str:
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and not user.is_city_wide and user.district_id != task.district_id:
        raise DisposalError("只能处理本区的处置任务")
    roles = workflow_roles(user)
    try:
        t = DISPOSAL_MACHINE.apply(task.status, action, roles)
    except TransitionNotAllowed as exc:
        raise DisposalError(exc.message_zh) from exc
    old = task.status
    task.status = t.target
    return old


@transaction.atomic
def act_on_task(task: DisposalTask, action: str, user: Any, note: str = "") -> DisposalTask:
    """start, complete, close or reopen a task (the report goes through submit_feedback)."""
    if action == "report":
        raise DisposalError("请通过“提交处置报告”填写书面报告")
    task = DisposalTask.objects.select_for_update().get(pk=task.pk)
    old = _apply(task, action, user)
    now = timezone.now()
    if action == "start":
        task.started_at = now
    elif action == "complete":
        task.completed_at = now
        plan = disposal_plan(WarningLevel(task.level), warning_policy())
        hours = plan.report_within_hours_after_completion
        task.report_due_at = now + timedelta(hours=hours) if hours else task.due_at
    elif action == "close":
        task.closed_at = now
    elif action == "escalate":
        task.escalations += 1
    task.save()
    audit(action, task, actor=user, from_state=old, to_state=task.status, message=note)
    return task


@transaction.atomic
def submit_feedback(
    task: DisposalTask,
    user: Any,
    *,
    measures: str,
    findings: str = "",
    enterprises_checked: int = 0,
    products_removed: int = 0,
) -> Feedback:
    """File the written disposal report; it moves the task to 已报告."""
    if not measures.strip():
        raise DisposalError("请填写采取的处置措施")
    task = DisposalTask.objects.select_for_update().get(pk=task.pk)
    old = _apply(task, "report", user)
    task.reported_at = timezone.now()
    task.save()
    fb = Feedback.objects.create(
        task=task,
        author=user,
        measures=measures.strip(),
        findings=findings.strip(),
        enterprises_checked=enterprises_checked,
        products_removed=products_removed,
    )
    late = task.report_due_at is not None and task.reported_at > task.report_due_at
    audit(
        "report",
        task,
        actor=user,
        from_state=old,
        to_state=task.status,
        message="提交书面处置报告" + ("（超时）" if late else ""),
        detail={"feedback_id": fb.pk, "late": late},
    )
    return fb


def overdue_tasks() -> Any:
    now = timezone.now()
    open_late = DisposalTask.objects.filter(status__in=("open", "in_progress"), due_at__lt=now)
    report_late = DisposalTask.objects.filter(status="completed", report_due_at__lt=now)
    return (open_late | report_late).select_related("district", "warning")


def check_deadlines() -> int:
    """Escalate every task past its clock (督办): once per deadline crossed, audited."""
    escalated = 0
    for task in overdue_tasks():
        if task.status not in OPEN_STATES:
            continue
        with transaction.atomic():
            locked = DisposalTask.objects.select_for_update().get(pk=task.pk)
            limit = locked.report_due_at if locked.status == "completed" else locked.due_at
            if limit is None or locked.escalations > (timezone.now() - limit) // timedelta(days=1):
                continue
            locked.escalations += 1
            locked.save(update_fields=["escalations"])
            what = "书面报告" if locked.status == "completed" else "处置"
            audit(
                "escalate",
                locked,
                from_state=locked.status,
                to_state=locked.status,
                message=f"{what}超过时限，第{locked.escalations}次督办",
            )
            escalated += 1
    return escalated
