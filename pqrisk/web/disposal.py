"""Pages of disposal (处置): task list and detail with their routed actions and clocks, the
written report, reassignment, recall progress, the overdue board (逾期督办看板) of the city
bureau and the tracking list of green warnings.

A district officer sees and acts on their own district's tasks (others are 404); the city
bureau sees all. Every change goes through ``pqrisk.disposal.services``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pqrisk.audit.services import history
from pqrisk.core.disposal.routing import ROUTE_TERMS
from pqrisk.core.levels import DisposalRoute
from pqrisk.core.workflow import DISPOSAL_MACHINE
from pqrisk.disposal import services
from pqrisk.disposal.choices import DUE_CLOCK_STATES, RouteStatus, TrackingStatus
from pqrisk.disposal.models import (
    DisposalTask,
    FeedbackAttachment,
    TaskRoute,
    TrackingItem,
)
from pqrisk.disposal.services import DisposalError, OutcomeIn

from . import forms
from .context import is_city_user
from .feedback import form_refused, service_error
from .views import _paged, _scoped, page


def _tasks(request: HttpRequest) -> Any:
    return _scoped(request, DisposalTask.objects.select_related("district", "warning"))


def _get_task(request: HttpRequest, pk: int) -> DisposalTask:
    return get_object_or_404(_tasks(request), pk=pk)


def mark_clocks(tasks: Iterable[DisposalTask]) -> None:
    """Flag tasks past their clocks: the disposal deadline while open or in progress, the
    written-report deadline once completed."""
    now = timezone.now()
    for t in tasks:
        t.due_overdue = bool(t.due_at and t.status in DUE_CLOCK_STATES and now > t.due_at)  # type: ignore[attr-defined]
        t.report_overdue = bool(  # type: ignore[attr-defined]
            t.report_due_at and t.status == "completed" and now > t.report_due_at
        )
        t.report_late = bool(  # type: ignore[attr-defined]
            t.report_due_at and t.reported_at and t.reported_at > t.report_due_at
        )
        t.is_overdue = t.due_overdue or t.report_overdue  # type: ignore[attr-defined]


def _mark_routes(items: Iterable[TaskRoute]) -> None:
    now = timezone.now()
    for r in items:
        r.is_overdue = bool(r.status == RouteStatus.OPEN and r.due_at and now > r.due_at)  # type: ignore[attr-defined]
        r.follow_up_overdue = bool(  # type: ignore[attr-defined]
            r.follow_up_due_at and not r.follow_up_done_at and now > r.follow_up_due_at
        )


def _may_act(request: HttpRequest, task: DisposalTask) -> bool:
    user: Any = request.user
    return bool(user.is_city_wide or user.district_id == task.district_id)


def _is_city_bureau(request: HttpRequest) -> bool:
    return services.is_city_bureau(request.user)


# ---------------------------------------------------------------- list and detail


@require_GET
@page()
def task_list(request: HttpRequest) -> HttpResponse:
    city = is_city_user(request.user)
    qs = _tasks(request).prefetch_related("route_items")
    filter_form = forms.DisposalTaskFilter(request.GET, city=city)
    qs = filter_form.apply(qs)
    if filter_form.is_bound and filter_form.is_valid() and filter_form.cleaned_data["overdue"]:
        qs = qs.filter(services.overdue_q())
    page_obj = _paged(request, qs)
    mark_clocks(page_obj.object_list)
    return render(
        request,
        "web/task_list.html",
        {"filter_form": filter_form, "page_obj": page_obj, "city": city},
    )


def _task_page(
    request: HttpRequest,
    task: DisposalTask,
    feedback_form: forms.DisposalFeedbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    mark_clocks([task])
    user: Any = request.user
    may_act = _may_act(request, task)
    available = DISPOSAL_MACHINE.available(task.status, user.role_codes) if may_act else []
    transitions = [
        {"action": t.action, "label": t.label, "form": forms.NoteForm(prefix=t.action)}
        for t in available
        if t.action not in ("report", "escalate")
    ]
    can_report = any(t.action == "report" for t in available)
    enterprises = services.task_enterprises(task)
    if can_report and feedback_form is None:
        feedback_form = forms.DisposalFeedbackForm(enterprises=enterprises)
    routes = list(task.route_items.all())
    _mark_routes(routes)
    city_bureau = _is_city_bureau(request)
    open_task = task.status != "closed"
    return render(
        request,
        "web/task_detail.html",
        {
            "task": task,
            "transitions": transitions,
            "feedback_form": feedback_form if can_report else None,
            "feedback": task.feedback.select_related("author").prefetch_related(
                "attachments", "outcomes__enterprise"
            ),
            "routes": routes,
            "reassignments": task.reassignments.select_related(
                "from_district", "to_district", "by"
            ),
            "reminders": task.reminders.select_related("route_item")[:20],
            "reassign_form": forms.ReassignForm() if city_bureau and open_task else None,
            "add_route_form": forms.AddRouteForm() if city_bureau and open_task else None,
            "trail": history(task),
        },
        status=status,
    )


@require_GET
@page()
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _get_task(request, pk))


@require_POST
@page()
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = _get_task(request, pk)
    form = forms.NoteForm(request.POST, prefix=action)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        task = services.act_on_task(task, action, request.user, note=note)
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        label = DISPOSAL_MACHINE.states.get(task.status, task.status)
        messages.success(request, f"操作成功，任务当前状态：{label}")
    return redirect("web:task_detail", pk=task.pk)


@require_POST
@page()
def task_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    form = forms.DisposalFeedbackForm(
        request.POST, request.FILES, enterprises=services.task_enterprises(task)
    )
    if not form.is_valid():
        messages.error(request, "处置报告未提交：请检查标出的内容。")
        return _task_page(request, task, form)
    data = form.cleaned_data
    try:
        services.submit_feedback(
            task,
            request.user,
            measures=data["measures"],
            findings=data["findings"],
            enterprises_checked=data["enterprises_checked"],
            products_removed=data["products_removed"],
            products_recalled=data["products_recalled"],
            penalties=data["penalties"],
            penalty_amount=data["penalty_amount"],
            outcomes=[OutcomeIn(eid, outcome) for eid, outcome in form.outcomes()],
            attachments=data["attachments"],
            warning_advice=data["warning_advice"] or "keep",
            warning_note=data["warning_note"],
        )
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
        return _task_page(request, task, form)
    messages.success(request, "书面处置报告已提交")
    return redirect("web:task_detail", pk=task.pk)


@require_POST
@page()
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    form = forms.ReassignForm(request.POST)
    if form_refused(request, form):
        return redirect("web:task_detail", pk=task.pk)
    try:
        task = services.reassign_task(
            task, form.cleaned_data["district"], request.user, form.cleaned_data["reason"]
        )
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"任务已改派至{task.district.name}")
    return redirect("web:task_detail", pk=task.pk)


@require_POST
@page()
def task_add_route(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    form = forms.AddRouteForm(request.POST)
    if form_refused(request, form):
        return redirect("web:task_detail", pk=task.pk)
    try:
        item = services.add_route(task, form.cleaned_data["route"], request.user)
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已增加处置路径：{item.get_route_display()}")
    return redirect("web:task_detail", pk=task.pk)


@require_GET
@page()
def feedback_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> Any:
    task = _get_task(request, pk)
    attachment = get_object_or_404(FeedbackAttachment, pk=attachment_pk, feedback__task=task)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# ---------------------------------------------------------------- routed actions


def _get_route(request: HttpRequest, pk: int, route_pk: int) -> TaskRoute:
    task = _get_task(request, pk)
    return get_object_or_404(TaskRoute.objects.select_related("task"), pk=route_pk, task=task)


def _route_page(request: HttpRequest, item: TaskRoute, **forms_given: Any) -> HttpResponse:
    task = item.task
    _mark_routes([item])
    terms = ROUTE_TERMS[DisposalRoute(item.route)]
    may_act = (
        _may_act(request, task)
        and task.status != "closed"
        and (not terms.city_only or _is_city_bureau(request))
    )
    progress = list(item.recall_progress.select_related("recorded_by"))
    is_recall = item.route == DisposalRoute.RECALL.value
    return render(
        request,
        "web/disposal_route.html",
        {
            "task": task,
            "item": item,
            "terms": terms,
            "may_act": may_act,
            "progress": progress,
            "latest": progress[-1] if progress else None,
            "is_recall": is_recall,
            "result_form": forms_given.get("result_form")
            or (forms.RouteResultForm() if may_act and item.status == RouteStatus.OPEN else None),
            "follow_up_form": forms_given.get("follow_up_form")
            or (
                forms.FollowUpForm()
                if may_act and item.follow_up_due_at and not item.follow_up_done_at
                else None
            ),
            "progress_form": forms_given.get("progress_form")
            or (forms.RecallProgressForm() if may_act and is_recall else None),
        },
    )


@require_GET
@page()
def route_detail(request: HttpRequest, pk: int, route_pk: int) -> HttpResponse:
    return _route_page(request, _get_route(request, pk, route_pk))


def _route_post(
    request: HttpRequest,
    pk: int,
    route_pk: int,
    form_class: type[Any],
    form_name: str,
    record: Callable[[Any, Any, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """A form on a route's page: on a refusal the page again with the form and its errors,
    else the record made and a message."""
    item = _get_route(request, pk, route_pk)
    form = form_class(request.POST)
    if form_refused(request, form):
        return _route_page(request, item, **{form_name: form})
    try:
        record(item, request.user, form.cleaned_data)
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
        return _route_page(request, item, **{form_name: form})
    messages.success(request, done)
    return redirect("web:task_route", pk=pk, route_pk=item.pk)


@require_POST
@page()
def route_result(request: HttpRequest, pk: int, route_pk: int) -> HttpResponse:
    return _route_post(
        request,
        pk,
        route_pk,
        forms.RouteResultForm,
        "result_form",
        lambda item, user, data: services.record_route_result(item, user, **data),
        "办理结果已记录",
    )


@require_POST
@page()
def route_follow_up(request: HttpRequest, pk: int, route_pk: int) -> HttpResponse:
    return _route_post(
        request,
        pk,
        route_pk,
        forms.FollowUpForm,
        "follow_up_form",
        lambda item, user, data: services.record_follow_up(item, user, result=data["result"]),
        "跟踪检查结果已记录",
    )


@require_POST
@page()
def recall_progress(request: HttpRequest, pk: int, route_pk: int) -> HttpResponse:
    return _route_post(
        request,
        pk,
        route_pk,
        forms.RecallProgressForm,
        "progress_form",
        lambda item, user, data: services.record_recall_progress(item, user, **data),
        "召回进度已记录",
    )


# ---------------------------------------------------------------- overdue board


@require_GET
@page(city_only=True)
def overdue_board(request: HttpRequest) -> HttpResponse:
    """逾期督办看板: every late task and routed action, by district and escalation level."""
    now = timezone.now()
    late = list(services.overdue_tasks(now).order_by("due_at", "id"))
    mark_clocks(late)
    for t in late:
        clock = services.active_clock(t)
        t.late_hours = int((now - clock[1]).total_seconds() // 3600) if clock else 0  # type: ignore[attr-defined]
        t.late_clock = "书面报告" if clock and clock[0] == "report" else "处置"  # type: ignore[attr-defined]
    routes = list(services.overdue_routes(now).order_by("due_at", "id"))
    _mark_routes(routes)
    by_district = Counter(t.district.name for t in late)
    by_district.update(r.task.district.name for r in routes)
    by_level = Counter(t.get_escalation_level_display() for t in late)
    soon = list(
        DisposalTask.objects.filter(status__in=DUE_CLOCK_STATES, due_at__gte=now)
        .filter(due_at__lte=now + timedelta(hours=24))
        .select_related("district", "warning")
        .order_by("due_at")[:50]
    )
    return render(
        request,
        "web/disposal_overdue.html",
        {
            "late": late,
            "routes": routes,
            "by_district": by_district.most_common(),
            "by_level": sorted(by_level.items()),
            "soon": soon,
            "now": now,
        },
    )


# ---------------------------------------------------------------- green: tracking


def _tracking(request: HttpRequest) -> Any:
    return _scoped(request, TrackingItem.objects.select_related("warning", "district"))


@require_GET
@page()
def tracking_list(request: HttpRequest) -> HttpResponse:
    qs = _tracking(request)
    status = request.GET.get("status", "")
    if status in TrackingStatus.values:
        qs = qs.filter(status=status)
    page_obj = _paged(request, qs)
    now = timezone.now()
    for item in page_obj.object_list:
        item.check_due = bool(
            item.status == TrackingStatus.TRACKING
            and item.next_check_at
            and item.next_check_at <= now
        )
    return render(
        request,
        "web/disposal_tracking_list.html",
        {"page_obj": page_obj, "status": status, "statuses": TrackingStatus.choices},
    )


def _tracking_page(
    request: HttpRequest, item: TrackingItem, form: forms.TrackingCheckForm | None = None
) -> HttpResponse:
    user: Any = request.user
    may_check = item.status == TrackingStatus.TRACKING and (
        user.is_city_wide or user.district_id == item.district_id
    )
    return render(
        request,
        "web/disposal_tracking_detail.html",
        {
            "item": item,
            "checks": item.checks.select_related("checked_by"),
            "form": (form or forms.TrackingCheckForm()) if may_check else None,
        },
    )


@require_GET
@page()
def tracking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _tracking_page(request, get_object_or_404(_tracking(request), pk=pk))


@require_POST
@page()
def tracking_check(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_tracking(request), pk=pk)
    form = forms.TrackingCheckForm(request.POST)
    if form_refused(request, form):
        return _tracking_page(request, item, form)
    try:
        services.record_tracking_check(item, request.user, **form.cleaned_data)
    except (DisposalError, PermissionDenied) as exc:
        service_error(request, exc)
        return _tracking_page(request, item, form)
    messages.success(request, "跟踪检查已记录")
    return redirect("web:tracking_detail", pk=item.pk)
