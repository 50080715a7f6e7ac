"""Disposal by level (METHODS §3): routed tasks for districts, clocks, feedback and escalation.

Red and orange warnings are disposed of at once under the city bureau's organisation; a
yellow warning is disposed of by the district, which files a written report within 24 hours
of completing; green is tracked (``TrackingItem``) without a task. Each task carries the
routed actions its findings call for (``TaskRoute``); all clocks come from
``pqrisk.core.disposal.clocks`` through ``disposal_timing()``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import workflow_roles
from pqrisk.audit.services import record as audit
from pqrisk.core.disposal.clocks import (
    DisposalTiming,
    EscalationLevel,
    TimingError,
    escalation_level,
    escalations_owed,
    follow_up_due,
    remind_at,
    report_due,
    route_due,
    task_due,
    timing_with_overrides,
)
from pqrisk.core.disposal.routing import ROUTE_TERMS, task_routes
from pqrisk.core.filenames import display_name
from pqrisk.core.levels import DisposalRoute, WarningLevel
from pqrisk.core.warning.rules import disposal_plan, route_for_finding
from pqrisk.core.workflow import DISPOSAL_MACHINE, TransitionNotAllowed
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import District
from pqrisk.warnings.models import Warning
from pqrisk.warnings.policy import warning_policy
from pqrisk.warnings.targeting import disposal_districts

from .choices import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_SUFFIXES,
    ATTACHMENTS_PER_REPORT,
    DUE_CLOCK_STATES,
    OPEN_STATES,
    EnterpriseOutcomeKind,
    ReminderKind,
    RouteStatus,
    TrackingConclusion,
    TrackingStatus,
    WarningAdvice,
)
from .models import (
    DisposalTask,
    EnterpriseOutcome,
    Feedback,
    FeedbackAttachment,
    RecallProgress,
    TaskReassignment,
    TaskReminder,
    TaskRoute,
    TrackingCheck,
    TrackingItem,
)

log = logging.getLogger(__name__)

CITY_BUREAU = (Role.CITY_SUPERVISOR, Role.CITY_ADMIN)


class DisposalError(Exception):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- timing and notices


def disposal_timing() -> DisposalTiming:
    """The deployment's clocks: ``settings.PQRISK_POLICY["disposal"]`` over the defaults.
    The task and report hours also follow ``PQRISK_POLICY["warning"]`` (``due_within_hours``,
    ``report_within_hours_after_completion``), where they were set first."""
    policy = warning_policy()
    base = DisposalTiming(
        due_within_hours=policy.due_within_hours,
        report_within_hours_after_completion=policy.report_within_hours_after_completion,
    )
    overrides = dict(getattr(settings, "PQRISK_POLICY", {}).get("disposal", {}))
    try:
        return timing_with_overrides(overrides, base) if overrides else base
    except TimingError as exc:
        raise ImproperlyConfigured(f"PQRISK_POLICY['disposal']: {exc}") from exc


def notify(
    key: str,
    *,
    subject: str,
    body: str,
    link: str = "",
    users: Iterable[Any] = (),
    districts: Iterable[Any] = (),
    roles: Iterable[Role] = (),
) -> None:
    """Tell people through the notifications app (``pqrisk.notifications.services.notify``,
    idempotent by ``key``); nothing happens where that app is not installed. ``districts``
    with ``roles`` means the districts' officers *and* those roles (the notifications app
    would otherwise restrict the districts to the roles given)."""
    districts, roles = tuple(districts), tuple(roles)
    if districts and roles and Role.DISTRICT_OFFICER not in roles:
        roles = (*roles, Role.DISTRICT_OFFICER)
    try:
        from pqrisk.notifications.services import notify as send
    except ImportError:
        log.debug("notifications app not installed; %s not sent", key)
        return
    send(
        key,
        subject=subject,
        body=body,
        link=link,
        users=tuple(users),
        districts=districts,
        roles=roles,
    )


def task_link(task: DisposalTask) -> str:
    return reverse("web:task_detail", args=[task.pk])


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def is_city_bureau(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*CITY_BUREAU))


def _require_city_bureau(user: Any, what: str) -> None:
    if not is_city_bureau(user):
        raise DisposalError(f"{what}须由市局监管处办理")


def may_see(task: DisposalTask, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_city_wide or user.district_id == task.district_id)


def _check_district(task: DisposalTask, user: Any) -> None:
    """A district officer acts on its own district's tasks only; the city bureau on all."""
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and not user.is_city_wide and user.district_id != task.district_id:
        raise DisposalError("只能处理本区的处置任务")


# ---------------------------------------------------------------- dispatch


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


def _lead_district(warning: Warning, districts: Sequence[District]) -> District:
    """The district whose task carries the product-wide routes: the warning's own, else the
    one most of its evidence comes from, else the first."""
    ids = [d.pk for d in districts]
    if warning.district_id in ids:
        return next(d for d in districts if d.pk == warning.district_id)
    counts: dict[int, int] = {}
    for did in warning.risk_infos.exclude(district=None).values_list("district_id", flat=True):
        if did in ids:
            counts[did] = counts.get(did, 0) + 1
    if counts:
        best = max(counts, key=lambda k: (counts[k], -k))
        return next(d for d in districts if d.pk == best)
    return districts[0]


def _participants(task: DisposalTask, items: Iterable[TaskRoute]) -> list[str]:
    units = ["市市场监管局（组织）"] if task.organiser == "city" else []
    units += [f"{task.district.name}市场监管局", *(i.unit for i in items)]
    return list(dict.fromkeys(units))


def _create_route(
    task: DisposalTask, route: DisposalRoute, now: datetime, timing: DisposalTiming
) -> TaskRoute:
    terms = ROUTE_TERMS[route]
    item, _ = TaskRoute.objects.get_or_create(
        task=task,
        route=route.value,
        defaults={
            "unit": terms.unit_for(task.district.name, task.organiser),
            "due_at": route_due(route, WarningLevel(task.level), now, timing),
        },
    )
    return item


def dispatch_for_warning(warning: Warning, user: Any) -> list[DisposalTask]:
    """Create the disposal an approved warning calls for: a routed task per district (red and
    orange organised by the city bureau), or a tracking item for green."""
    level = WarningLevel(warning.level)
    plan = disposal_plan(level, warning_policy())
    if not plan.needs_task:
        start_tracking(warning, user)
        return []
    timing = disposal_timing()
    now = timezone.now()
    routes = [DisposalRoute(r) for r in routes_for(warning)]
    districts = districts_for(warning)
    if not districts:
        return []
    lead = _lead_district(warning, districts)
    tasks = []
    for district in districts:
        own = task_routes(routes, lead=district.pk == lead.pk)
        labels = "、".join(r.label for r in own)
        task, created = DisposalTask.objects.get_or_create(
            warning=warning,
            district=district,
            defaults={
                "level": level.value,
                "organiser": plan.organiser,
                "lead": district.pk == lead.pk,
                "routes": [r.value for r in own],
                "instructions": f"{level.disposal}。处置路径：{labels}。",
                "due_at": task_due(level, now, timing),
            },
        )
        if created:
            items = [_create_route(task, r, now, timing) for r in own]
            task.participants = _participants(task, items)
            task.save(update_fields=["participants"])
            audit(
                "dispatch",
                task,
                actor=user,
                to_state=task.status,
                message=f"下达{district.name}处置任务（{level.label}；{labels}）",
                detail={"routes": task.routes, "participants": task.participants},
            )
            _notify_dispatch(task)
        tasks.append(task)
    return tasks


def _notify_dispatch(task: DisposalTask) -> None:
    level = WarningLevel(task.level)
    due = f"，处置时限{_when(task.due_at)}" if task.due_at else ""
    notify(
        f"disposal:{task.pk}:created",
        subject=f"新处置任务：{task.warning.title}（{level.label}）",
        body=f"{task.district.name}：{task.instructions}{due}",
        link=task_link(task),
        districts=[task.district],
        roles=CITY_BUREAU if task.organiser == "city" else (),
    )


@transaction.atomic
def add_route(task: DisposalTask, route: str, user: Any) -> TaskRoute:
    """The city bureau adds a route the evidence did not show (e.g. a standard gap found on
    inspection → 标准反馈)."""
    _require_city_bureau(user, "增加处置路径")
    try:
        chosen = DisposalRoute(route)
    except ValueError as exc:
        raise DisposalError("未知的处置路径") from exc
    task = DisposalTask.objects.select_for_update().get(pk=task.pk)
    if task.status == "closed":
        raise DisposalError("任务已办结，不能再增加处置路径")
    if TaskRoute.objects.filter(task=task, route=chosen.value).exists():
        raise DisposalError(f"该任务已有“{chosen.label}”处置路径")
    item = _create_route(task, chosen, timezone.now(), disposal_timing())
    task.routes = [*task.routes, chosen.value]
    task.participants = _participants(task, task.route_items.all())
    task.save(update_fields=["routes", "participants"])
    audit("add_route", task, actor=user, message=f"增加处置路径：{chosen.label}（{item.unit}）")
    return item


# ---------------------------------------------------------------- green: tracking


def start_tracking(warning: Warning, user: Any) -> TrackingItem:
    """A green warning is monitored, not disposed of: a tracking item with its next check."""
    level = WarningLevel(warning.level)
    now = timezone.now()
    item, created = TrackingItem.objects.get_or_create(
        warning=warning,
        defaults={
            "district": warning.district,
            "started_at": now,
            "next_check_at": now + timedelta(days=disposal_timing().tracking_check_every_days),
        },
    )
    if created:
        audit(
            "track",
            warning,
            actor=user,
            message=f"{level.label}：{level.disposal}，不下达处置任务，纳入跟踪监测",
            detail={"tracking_id": item.pk},
        )
    return item


@transaction.atomic
def record_tracking_check(
    item: TrackingItem, user: Any, *, finding: str, conclusion: str = TrackingConclusion.CONTINUE
) -> TrackingCheck:
    """A follow-up check of a tracked warning: continue (next check scheduled), end, or
    propose a new assessment when the risk rises."""
    if not finding.strip():
        raise DisposalError("请填写跟踪检查情况")
    if conclusion not in TrackingConclusion.values:
        raise DisposalError("请选择跟踪检查结论")
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and not user.is_city_wide and user.district_id != item.district_id:
        raise DisposalError("只能检查本区的跟踪监测事项")
    item = TrackingItem.objects.select_for_update().get(pk=item.pk)
    if item.status != TrackingStatus.TRACKING:
        raise DisposalError("该事项已结束跟踪")
    check = TrackingCheck.objects.create(
        item=item, checked_by=user, finding=finding.strip(), conclusion=conclusion
    )
    now = timezone.now()
    if conclusion == TrackingConclusion.END:
        item.status = TrackingStatus.ENDED
        item.ended_at = now
        item.next_check_at = None
    else:
        item.next_check_at = now + timedelta(days=disposal_timing().tracking_check_every_days)
    item.save()
    label = TrackingConclusion(conclusion).label
    audit(
        "tracking_check",
        item.warning,
        actor=user,
        message=f"跟踪检查：{label}",
        detail={"tracking_id": item.pk, "check_id": check.pk},
    )
    return check


# ---------------------------------------------------------------- task workflow


def _apply(task: DisposalTask, action: str, user: Any) -> str:
    _check_district(task, user)
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
    """start, complete, close, reopen or escalate a task (the report is submit_feedback)."""
    if action == "report":
        raise DisposalError("请通过“提交处置报告”填写书面报告")
    task = DisposalTask.objects.select_for_update().get(pk=task.pk)
    old = _apply(task, action, user)
    now = timezone.now()
    if action == "start":
        task.started_at = now
    elif action == "complete":
        task.completed_at = now
        task.report_due_at = report_due(
            WarningLevel(task.level), now, task.due_at, disposal_timing()
        )
    elif action == "close":
        task.closed_at = now
    elif action == "reopen":
        task.completed_at = task.report_due_at = None
    elif action == "escalate":
        task.escalations += 1
        task.escalation_level = escalation_level(task.organiser, task.escalations).value
        task.escalated_at = now
    task.save()
    audit(action, task, actor=user, from_state=old, to_state=task.status, message=note)
    return task


# ---------------------------------------------------------------- routed actions


def _check_route_actor(item: TaskRoute, user: Any) -> None:
    _check_district(item.task, user)
    if ROUTE_TERMS[DisposalRoute(item.route)].city_only:
        _require_city_bureau(user, f"“{item.get_route_display()}”")
    elif not (is_city_bureau(user) or user.has_role(Role.DISTRICT_OFFICER)):
        raise DisposalError("您的角色无权办理处置事项")
    if item.task.status == "closed":
        raise DisposalError("任务已办结，不能再办理")


@transaction.atomic
def record_route_result(
    item: TaskRoute,
    user: Any,
    *,
    result: str,
    reference: str = "",
    counterpart: str = "",
    done: bool = True,
) -> TaskRoute:
    """What the handling unit did: the notice sent (文号) to the certification body, the case
    handed over (案号), the standards report … A certification notice starts its follow-up
    check clock."""
    if not result.strip():
        raise DisposalError("请填写办理结果")
    item = TaskRoute.objects.select_for_update().select_related("task__district").get(pk=item.pk)
    _check_route_actor(item, user)
    if item.status == RouteStatus.DONE and done:
        raise DisposalError("该处置事项已办结")
    now = timezone.now()
    item.result = result.strip()
    item.reference = reference.strip() or item.reference
    item.counterpart = counterpart.strip() or item.counterpart
    if done:
        item.status = RouteStatus.DONE
        item.done_at = now
        if ROUTE_TERMS[DisposalRoute(item.route)].follow_up and item.follow_up_due_at is None:
            item.follow_up_due_at = follow_up_due(now, disposal_timing())
    item.save()
    audit(
        "route_done" if done else "route_note",
        item.task,
        actor=user,
        message=f"{item.get_route_display()}（{item.unit}）：{item.result}",
        detail={"route": item.route, "reference": item.reference},
    )
    return item


@transaction.atomic
def record_follow_up(item: TaskRoute, user: Any, *, result: str) -> TaskRoute:
    """The follow-up check after a certification body was notified (跟踪检查)."""
    if not result.strip():
        raise DisposalError("请填写跟踪检查结果")
    item = TaskRoute.objects.select_for_update().select_related("task__district").get(pk=item.pk)
    _check_route_actor(item, user)
    if item.follow_up_due_at is None:
        raise DisposalError("该处置事项没有跟踪检查")
    if item.follow_up_done_at is not None:
        raise DisposalError("跟踪检查已完成")
    item.follow_up_done_at = timezone.now()
    item.follow_up_result = result.strip()
    item.save()
    audit(
        "follow_up",
        item.task,
        actor=user,
        message=f"{item.get_route_display()}跟踪检查：{item.follow_up_result}",
        detail={"route": item.route},
    )
    return item


@transaction.atomic
def record_recall_progress(
    item: TaskRoute, user: Any, *, units_in_use: int, units_recovered: int, note: str = ""
) -> RecallProgress:
    """A recall progress record: units recovered of those in use (GB/T 40993 style)."""
    if item.route != DisposalRoute.RECALL.value:
        raise DisposalError("只有缺陷召回监管事项记录召回进度")
    if units_in_use <= 0:
        raise DisposalError("在用（应召回）数量须大于0")
    if units_recovered < 0 or units_recovered > units_in_use:
        raise DisposalError("已召回数量须在0与在用数量之间")
    item = TaskRoute.objects.select_for_update().select_related("task__district").get(pk=item.pk)
    _check_route_actor(item, user)
    progress = RecallProgress.objects.create(
        route_item=item,
        recorded_by=user,
        units_in_use=units_in_use,
        units_recovered=units_recovered,
        note=note.strip()[:500],
    )
    rate = progress.effectiveness
    audit(
        "recall_progress",
        item.task,
        actor=user,
        message=f"召回进度：已召回{units_recovered}/{units_in_use}"
        + (f"，召回率{rate:.1%}" if rate is not None else ""),
        detail={"progress_id": progress.pk, "effectiveness": rate},
    )
    return progress


# ---------------------------------------------------------------- reassignment


@transaction.atomic
def reassign_task(task: DisposalTask, district: District, user: Any, reason: str) -> DisposalTask:
    """The city bureau moves a task to another district (改派); its routes, report and trail
    go with it, and the move is recorded with the old district."""
    _require_city_bureau(user, "改派处置任务")
    if not reason.strip():
        raise DisposalError("改派须说明理由")
    task = DisposalTask.objects.select_for_update().select_related("district").get(pk=task.pk)
    if task.status == "closed":
        raise DisposalError("任务已办结，不能改派")
    if district.pk == task.district_id:
        raise DisposalError("新承办区局与原承办区局相同")
    if DisposalTask.objects.filter(warning_id=task.warning_id, district=district).exists():
        raise DisposalError(f"{district.name}已有该预警的处置任务，不能重复改派")
    old = task.district
    moved = TaskReassignment.objects.create(
        task=task,
        from_district=old,
        to_district=district,
        by=user,
        reason=reason.strip()[:500],
        from_status=task.status,
    )
    task.district = district
    task.save(update_fields=["district"])
    for item in task.route_items.all():
        terms = ROUTE_TERMS[DisposalRoute(item.route)]
        if terms.per_district:
            item.unit = terms.unit_for(district.name, task.organiser)
            item.save(update_fields=["unit"])
    task.participants = _participants(task, task.route_items.all())
    task.save(update_fields=["participants"])
    message = f"由{old.name}改派至{district.name}：{reason.strip()}"
    detail = {"from_district": old.code, "to_district": district.code}
    # One event in each district's trail: the old district keeps seeing that it was moved.
    audit("reassign", task, actor=user, district_id=old.pk, message=message, detail=detail)
    audit("reassign", task, actor=user, message=message, detail=detail)
    notify(
        f"disposal:{task.pk}:reassigned:{moved.pk}",
        subject=f"处置任务改派：{task.warning.title}",
        body=message,
        link=task_link(task),
        districts=[old, district],
    )
    return task


# ---------------------------------------------------------------- feedback


@dataclass(frozen=True)
class OutcomeIn:
    """One enterprise's outcome in a report."""

    enterprise_id: int
    outcome: str
    penalty_amount: Decimal = Decimal(0)


def task_enterprises(task: DisposalTask) -> list[Enterprise]:
    """Enterprises of the warning's evidence the task reports on: those in its district (the
    lead task also those outside every task's district)."""
    ids = set(
        task.warning.risk_infos.exclude(enterprise=None).values_list("enterprise_id", flat=True)
    )
    qs = Enterprise.objects.filter(pk__in=ids).order_by("name")
    if task.lead:
        others = DisposalTask.objects.filter(warning_id=task.warning_id).exclude(pk=task.pk)
        return list(qs.exclude(district_id__in=others.values("district_id")))
    return list(qs.filter(district_id=task.district_id))


def _check_attachments(files: Sequence[Any]) -> None:
    if len(files) > ATTACHMENTS_PER_REPORT:
        raise DisposalError(f"附件最多{ATTACHMENTS_PER_REPORT}个")
    mib = 1024 * 1024
    for f in files:
        name = PurePath(getattr(f, "name", "") or "").name
        if PurePath(name).suffix.lower() not in ATTACHMENT_SUFFIXES:
            raise DisposalError(
                f"附件“{name}”的类型不支持（可上传 {' '.join(ATTACHMENT_SUFFIXES)}）"
            )
        if f.size > ATTACHMENT_MAX_BYTES:
            raise DisposalError(
                f"附件“{name}”过大（{f.size / mib:.1f} MB），上限 {ATTACHMENT_MAX_BYTES // mib} MB"
            )


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value or 0))
    except (InvalidOperation, ValueError) as exc:
        raise DisposalError("罚没金额不是有效的数字") from exc
    if amount < 0 or not amount.is_finite():
        raise DisposalError("罚没金额不能为负数")
    return amount.quantize(Decimal("0.01"))


def _count(value: Any, label: str) -> int:
    number = int(value or 0)
    if number < 0:
        raise DisposalError(f"{label}不能为负数")
    return number


@transaction.atomic
def submit_feedback(
    task: DisposalTask,
    user: Any,
    *,
    measures: str,
    findings: str = "",
    enterprises_checked: int | None = 0,
    products_removed: int | None = 0,
    products_recalled: int | None = 0,
    penalties: int | None = 0,
    penalty_amount: Any = 0,
    outcomes: Iterable[OutcomeIn] = (),
    attachments: Sequence[Any] = (),
    warning_advice: str = WarningAdvice.KEEP,
    warning_note: str = "",
) -> Feedback:
    """File the written disposal report: the task moves to 已报告 (completing it first if it
    was still in progress); the enterprises' outcomes, the events of the evidence and the
    warning are updated. A city user's "lift" lifts the published warning; "raise" is
    recorded on the warning for its reviewers (a change of colour belongs to warnings)."""
    if not measures.strip():
        raise DisposalError("请填写采取的处置措施")
    if warning_advice not in WarningAdvice.values:
        raise DisposalError("请选择对预警的意见")
    if warning_advice != WarningAdvice.KEEP and not warning_note.strip():
        raise DisposalError("建议解除或提高预警等级须说明理由")
    counts = {
        "enterprises_checked": _count(enterprises_checked, "检查企业数"),
        "products_removed": _count(products_removed, "下架/召回产品数"),
        "products_recalled": _count(products_recalled, "召回产品数"),
        "penalties": _count(penalties, "行政处罚件数"),
    }
    if counts["products_recalled"] > counts["products_removed"]:
        raise DisposalError("召回产品数不能大于下架/召回产品总数")
    amount = _money(penalty_amount)
    outcomes = list(outcomes)
    _check_attachments(attachments)
    task = DisposalTask.objects.select_for_update().select_related("warning").get(pk=task.pk)
    allowed = {e.pk: e for e in task_enterprises(task)}
    for o in outcomes:
        if o.enterprise_id not in allowed:
            raise DisposalError("只能填写本任务涉及企业的处置结果")
        if o.outcome not in EnterpriseOutcomeKind.values:
            raise DisposalError("企业处置结论无效")
    old = _apply(task, "report", user)
    now = timezone.now()
    if task.completed_at is None:
        task.completed_at = now
        task.report_due_at = report_due(
            WarningLevel(task.level), now, task.due_at, disposal_timing()
        )
    task.reported_at = now
    task.save()
    late = task.report_due_at is not None and now > task.report_due_at
    fb = Feedback.objects.create(
        task=task,
        author=user,
        measures=measures.strip(),
        findings=findings.strip(),
        penalty_amount=amount,
        late=late,
        warning_advice=warning_advice,
        warning_note=warning_note.strip(),
        **counts,
    )
    for f in attachments:
        FeedbackAttachment.objects.create(
            feedback=fb, file=f, name=display_name(f.name), size=f.size
        )
    for o in outcomes:
        EnterpriseOutcome.objects.create(
            enterprise=allowed[o.enterprise_id],
            task=task,
            feedback=fb,
            warning=task.warning,
            outcome=o.outcome,
            penalty_amount=_money(o.penalty_amount),
        )
    audit(
        "report",
        task,
        actor=user,
        from_state=old,
        to_state=task.status,
        message="提交书面处置报告" + ("（超时）" if late else ""),
        detail={"feedback_id": fb.pk, "late": late, **counts, "penalty_amount": str(amount)},
    )
    _update_events(task, fb, user)
    _update_warning(task, fb, user)
    return fb


def _summary(fb: Feedback) -> str:
    parts = [f"检查企业{fb.enterprises_checked}家", f"下架/召回产品{fb.products_removed}件"]
    if fb.penalties:
        parts.append(f"行政处罚{fb.penalties}件（罚没{fb.penalty_amount}元）")
    return "，".join(parts)


def _update_events(task: DisposalTask, fb: Feedback, user: Any) -> None:
    """The events of the warning's evidence in the task's district carry the result."""
    from pqrisk.screening.models import Event

    infos = task.warning.risk_infos.exclude(event=None)
    if not task.lead:
        infos = infos.filter(district_id=task.district_id)
    events = Event.objects.filter(pk__in=infos.values("event_id"))
    for event in events:
        audit(
            "disposal_feedback",
            event,
            actor=user,
            message=f"{task.district.name}处置反馈：{_summary(fb)}",
            detail={"task_id": task.pk, "feedback_id": fb.pk},
        )


def _update_warning(task: DisposalTask, fb: Feedback, user: Any) -> None:
    warning = task.warning
    audit(
        "disposal_feedback",
        warning,
        actor=user,
        district_id=task.district_id,
        message=f"{task.district.name}处置反馈：{_summary(fb)}；{fb.get_warning_advice_display()}",
        detail={"task_id": task.pk, "feedback_id": fb.pk, "advice": fb.warning_advice},
    )
    if fb.warning_advice == WarningAdvice.RAISE:
        audit(
            "raise_requested",
            warning,
            actor=user,
            district_id=task.district_id,
            message=f"处置反馈建议提高预警等级：{fb.warning_note}",
            detail={"task_id": task.pk, "feedback_id": fb.pk},
        )
    elif fb.warning_advice == WarningAdvice.LIFT and is_city_bureau(user):
        from pqrisk.warnings.services import WarningError, act_on_warning

        if warning.status != "published":
            raise DisposalError("预警尚未发布或已解除，不能在反馈中解除；请选择“维持预警”")
        try:
            act_on_warning(warning, "lift", user, note=f"处置反馈：{fb.warning_note}")
        except WarningError as exc:
            raise DisposalError(exc.message_zh) from exc


# ---------------------------------------------------------------- clocks


def overdue_q(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(status__in=DUE_CLOCK_STATES, due_at__lt=now) | Q(
        status="completed", report_due_at__lt=now
    )


def overdue_tasks(now: datetime | None = None) -> QuerySet[DisposalTask]:
    return DisposalTask.objects.filter(overdue_q(now)).select_related("district", "warning")


def overdue_routes(now: datetime | None = None) -> QuerySet[TaskRoute]:
    """Routed actions past their clock, and certification follow-up checks past theirs."""
    now = now or timezone.now()
    late = Q(status=RouteStatus.OPEN, due_at__lt=now) | Q(
        follow_up_due_at__lt=now, follow_up_done_at=None
    )
    return (
        TaskRoute.objects.filter(late)
        .exclude(task__status="closed")
        .select_related("task__district", "task__warning")
    )


def active_clock(task: DisposalTask) -> tuple[str, datetime, datetime] | None:
    """(clock, deadline, started) of the clock running on ``task``: the disposal deadline
    while open or in progress, the written report's once completed."""
    if task.status in DUE_CLOCK_STATES and task.due_at is not None:
        return "due", task.due_at, task.created_at
    if task.status == "completed" and task.report_due_at is not None:
        return "report", task.report_due_at, task.completed_at or task.created_at
    return None


@dataclass
class ClockRun:
    reminded: int = 0
    escalated: int = 0
    routes_overdue: int = 0
    tracking_due: int = 0
    keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "escalated": self.escalated,
            "routes_overdue": self.routes_overdue,
            "tracking_due": self.tracking_due,
        }


def _remember(
    key: str,
    task: DisposalTask,
    kind: ReminderKind,
    deadline: datetime,
    message: str,
    now: datetime,
    *,
    item: TaskRoute | None = None,
    level: int = 0,
    step: int = 0,
) -> bool:
    """Record a reminder once per ``key``; True when it is new."""
    _, created = TaskReminder.objects.get_or_create(
        key=key,
        defaults={
            "task": task,
            "route_item": item,
            "kind": kind.value,
            "deadline": deadline,
            "escalation_level": level,
            "step": step,
            "message": message[:500],
            "created_at": now,
        },
    )
    return created


def _check_task(task: DisposalTask, now: datetime, timing: DisposalTiming, run: ClockRun) -> None:
    clock = active_clock(task)
    if clock is None:
        return
    name, deadline, started = clock
    level = WarningLevel(task.level)
    what = "书面报告" if name == "report" else "处置"
    if now <= deadline:
        if now < remind_at(
            deadline, started, level, timing, "report" if name == "report" else "due"
        ):
            return
        kind = ReminderKind.REPORT_DUE_SOON if name == "report" else ReminderKind.DUE_SOON
        key = f"disposal:{task.pk}:{kind.value}:{deadline.isoformat()}"
        message = f"{task.district.name}“{task.warning.title}”{what}须于{_when(deadline)}前完成"
        with transaction.atomic():
            if not _remember(key, task, kind, deadline, message, now):
                return
            audit("remind", task, message=message, detail={"deadline": deadline.isoformat()})
        notify(
            key,
            subject=f"处置时限提醒：{task.warning.title}",
            body=message,
            link=task_link(task),
            districts=[task.district],
            roles=CITY_BUREAU if task.organiser == "city" else (),
        )
        run.reminded += 1
        run.keys.append(key)
        return
    owed = escalations_owed(deadline, now, timing)
    with transaction.atomic():
        locked = DisposalTask.objects.select_for_update().get(pk=task.pk)
        done = (
            TaskReminder.objects.filter(task=locked, kind=ReminderKind.ESCALATED, deadline=deadline)
            .order_by("-step")
            .values_list("step", flat=True)
            .first()
            or 0
        )
        if done >= owed:
            return
        locked.escalations += 1
        new_level = escalation_level(locked.organiser, locked.escalations)
        locked.escalation_level = new_level.value
        locked.escalated_at = now
        locked.save(update_fields=["escalations", "escalation_level", "escalated_at"])
        key = f"disposal:{task.pk}:escalated:{deadline.isoformat()}:{owed}"
        hours = int((now - deadline) / timedelta(hours=1))
        message = (
            f"{task.district.name}“{task.warning.title}”{what}超过时限（{_when(deadline)}，"
            f"已逾期{hours}小时），第{locked.escalations}次督办：{new_level.label}"
        )
        _remember(
            key,
            locked,
            ReminderKind.ESCALATED,
            deadline,
            message,
            now,
            level=new_level.value,
            step=owed,
        )
        audit(
            "escalate",
            locked,
            from_state=locked.status,
            to_state=locked.status,
            message=message,
            detail={
                "clock": name,
                "deadline": deadline.isoformat(),
                "escalation_level": new_level.value,
                "step": owed,
            },
        )
    notify(
        key,
        subject=f"逾期督办（{new_level.label}）：{task.warning.title}",
        body=message,
        link=task_link(task),
        districts=[task.district],
        roles=CITY_BUREAU if new_level >= EscalationLevel.CITY else (),
    )
    run.escalated += 1
    run.keys.append(key)


def _check_route(item: TaskRoute, now: datetime, timing: DisposalTiming, run: ClockRun) -> None:
    task = item.task
    level = WarningLevel(task.level)
    if item.status == RouteStatus.OPEN and item.due_at is not None:
        deadline, started, clock, what = item.due_at, task.created_at, "route", "办理"
    elif item.follow_up_due_at is not None and item.follow_up_done_at is None:
        deadline, started = item.follow_up_due_at, item.done_at or task.created_at
        clock, what = "follow_up", "跟踪检查"
    else:
        return
    label = f"{item.get_route_display()}（{item.unit}）"
    if now > deadline:
        kind = ReminderKind.ROUTE_OVERDUE
        message = f"“{task.warning.title}”{label}{what}已超过时限（{_when(deadline)}）"
    elif now >= remind_at(deadline, started, level, timing, "route"):
        kind = (
            ReminderKind.FOLLOW_UP_DUE_SOON if clock == "follow_up" else ReminderKind.ROUTE_DUE_SOON
        )
        message = f"“{task.warning.title}”{label}须于{_when(deadline)}前完成{what}"
    else:
        return
    key = f"disposal:{task.pk}:route:{item.pk}:{kind.value}:{deadline.isoformat()}"
    with transaction.atomic():
        if not _remember(key, task, kind, deadline, message, now, item=item):
            return
        audit(
            "route_overdue" if kind == ReminderKind.ROUTE_OVERDUE else "remind",
            task,
            message=message,
            detail={"route": item.route, "deadline": deadline.isoformat()},
        )
    city_only = ROUTE_TERMS[DisposalRoute(item.route)].city_only
    notify(
        key,
        subject=f"{kind.label}：{task.warning.title}",
        body=message,
        link=task_link(task),
        districts=() if city_only else [task.district],
        roles=CITY_BUREAU if city_only or kind == ReminderKind.ROUTE_OVERDUE else (),
    )
    if kind == ReminderKind.ROUTE_OVERDUE:
        run.routes_overdue += 1
    else:
        run.reminded += 1
    run.keys.append(key)


def _check_tracking(item: TrackingItem, now: datetime, run: ClockRun) -> None:
    with transaction.atomic():
        locked = TrackingItem.objects.select_for_update().get(pk=item.pk)
        due = locked.next_check_at
        if due is None or due > now or locked.reminded_for == due:
            return
        locked.reminded_for = due
        locked.save(update_fields=["reminded_for"])
        message = f"绿色预警“{item.warning.title}”跟踪监测已到检查日期（{_when(due)}）"
        audit("tracking_due", item.warning, message=message, detail={"tracking_id": item.pk})
    key = f"disposal:tracking:{item.pk}:due:{due.isoformat()}"
    notify(
        key,
        subject="跟踪监测到期",
        body=message,
        link=reverse("web:tracking_detail", args=[item.pk]),
        districts=[item.district] if item.district else (),
        roles=() if item.district else CITY_BUREAU,
    )
    run.tracking_due += 1
    run.keys.append(key)


def check_deadlines(now: datetime | None = None) -> int:
    """Run every disposal clock once (``run_clocks``); the number of tasks escalated."""
    return run_clocks(now)["escalated"]


def run_clocks(now: datetime | None = None) -> dict[str, int]:
    """Run every disposal clock once (beat task ``pqrisk.disposal.tasks.check_deadlines``):
    one reminder before each deadline, escalation (督办) when a task's clock is passed and
    again every ``escalate_every_hours`` while it stays late, a notice for each routed action
    past its clock, and the due checks of green tracking. Idempotent."""
    now = now or timezone.now()
    timing = disposal_timing()
    run = ClockRun()
    tasks = DisposalTask.objects.filter(status__in=OPEN_STATES).select_related(
        "district", "warning"
    )
    for task in tasks.order_by("id"):
        _check_task(task, now, timing, run)
    open_routes = (
        TaskRoute.objects.filter(
            Q(status=RouteStatus.OPEN, due_at__isnull=False)
            | Q(follow_up_due_at__isnull=False, follow_up_done_at=None)
        )
        .exclude(task__status="closed")
        .select_related("task__district", "task__warning")
    )
    for item in open_routes.order_by("id"):
        _check_route(item, now, timing, run)
    tracking = TrackingItem.objects.filter(
        status=TrackingStatus.TRACKING, next_check_at__lte=now
    ).select_related("warning", "district")
    for t in tracking.order_by("id"):
        _check_tracking(t, now, run)
    return run.as_dict()


def outcome_counts(enterprise: Enterprise) -> Mapping[str, int]:
    """How many of each disposal outcome an enterprise has (for grading and its page)."""
    counts: dict[str, int] = {}
    for kind in enterprise.disposal_outcomes.values_list("outcome", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    return counts
