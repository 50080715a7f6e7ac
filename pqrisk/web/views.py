"""Pages of the platform. Views show; every change of state goes through a service.

Who sees what: city-wide roles see the whole city; a district officer sees the rows of their
own district (``scope_queryset``) and gets 404 for anything else; monitoring stations and users
without a role get 403 (see ``context.can_use_pages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import scope_queryset
from pqrisk.assessment.models import Assessment
from pqrisk.audit.models import AuditEvent
from pqrisk.audit.services import history
from pqrisk.communication.services import activities_for, may_record
from pqrisk.core.assessment.matrix import PROBABILITY_BANDS, RISK_MATRIX, SEVERITY_LABELS
from pqrisk.core.levels import WarningLevel
from pqrisk.core.workflow import WARNING_MACHINE
from pqrisk.disposal.models import DisposalTask
from pqrisk.enterprises.models import Enterprise
from pqrisk.exchange.yrd import may_export
from pqrisk.intake import quarantine as quarantine_services
from pqrisk.intake.choices import SourceKind
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_upload
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.stations import services as station_services
from pqrisk.stations.choices import ACTION_LABELS as STATION_ACTION_LABELS
from pqrisk.stations.choices import STATUS_TRANSITIONS as STATION_TRANSITIONS
from pqrisk.stations.choices import StationStatus
from pqrisk.stations.models import MonitoringStation
from pqrisk.warnings.api import visible_warnings
from pqrisk.warnings.drafts import EDITABLE_STATES, IDENTIFICATION_FIELDS, edit_draft
from pqrisk.warnings.identification import can_manage_photos
from pqrisk.warnings.models import Warning
from pqrisk.warnings.services import (
    WarningError,
    acknowledge_notice,
    act_on_warning,
    approve_warning,
    overdue_warnings,
    update_warning,
)
from pqrisk.warnings.targeting import disposal_districts

from . import forms
from .context import can_use_pages, is_city_user
from .evidence import screening_result
from .feedback import form_refused, service_error

PAGE_SIZE = 50
EVENT_CARD_ITEMS = 20  # other items of an event listed on an item's page
# An event's items in the order they happened (undated ones last).
TIMELINE = (F("occurred_at").asc(nulls_last=True), "id")
INTAKE_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST, Role.DISTRICT_OFFICER)
LEVELS = {lv.value: lv for lv in WarningLevel}
QUEUE_ROWS = 10
TASK_ACTIVE = ("open", "in_progress", "completed")
TASK_DONE = ("reported", "closed")
WARNING_LIVE = ("draft", "in_review", "approved", "published")

# Where an audited object is shown, by its ``object_type``.
OBJECT_PAGES = {
    "screening.riskinfo": "web:riskinfo_detail",
    "assessment.assessment": "web:assessment_detail",
    "assessment.assessmentcase": "web:case_detail",
    "labs.samplingtask": "labs:task_detail",
    "labs.violationlead": "labs:lead_detail",
    "meetings.meeting": "meetings:meeting_detail",
    "experts.expert": "experts:expert_detail",
    "warnings.warning": "web:warning_detail",
    "disposal.disposaltask": "web:task_detail",
    "disposal.trackingitem": "web:tracking_detail",
    "exchange.exchangepackage": "web:exchange_detail",
    "signals.signal": "web:signal_detail",
    "foreign.foreignalert": "web:foreign_detail",
    "bulletins.bulletin": "web:bulletin_detail",
    "communication.communicationactivity": "web:communication_detail",
    "enterprises.enterprise": "web:enterprise_detail",
    "stations.monitoringstation": "web:station_detail",
    "intake.quarantineditem": "web:quarantine_detail",
}


def page(*, city_only: bool = False) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Login required; then the bureau's roles only (403), city-wide roles only if asked."""

    def decorate(view: Callable[..., HttpResponse]) -> Any:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_use_pages(request.user):
                raise PermissionDenied("您的账户没有访问页面的角色。")
            if city_only and not is_city_user(request.user):
                raise PermissionDenied("此页面仅向市局、评估中心和专家开放。")
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


def _paged(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _listing(
    request: HttpRequest,
    qs: QuerySet[Any],
    filter_class: type[forms.FilterForm],
    template: str,
    **extra: Any,
) -> HttpResponse:
    filter_form = filter_class(request.GET, city=is_city_user(request.user))
    page_obj = _paged(request, filter_form.apply(qs))
    return render(request, template, {"filter_form": filter_form, "page_obj": page_obj, **extra})


def _scoped(request: HttpRequest, qs: QuerySet[Any], district_field: str = "district") -> Any:
    return scope_queryset(request.user, qs, district_field)


def _mark_clocks(tasks: Iterable[DisposalTask]) -> None:
    """Flag tasks past their clocks: the disposal deadline while open or in progress, the
    written-report deadline once completed."""
    now = timezone.now()
    for t in tasks:
        t.due_overdue = bool(t.due_at and t.status in ("open", "in_progress") and now > t.due_at)  # type: ignore[attr-defined]
        t.report_overdue = bool(  # type: ignore[attr-defined]
            t.report_due_at and t.status == "completed" and now > t.report_due_at
        )
        t.report_late = bool(  # type: ignore[attr-defined]
            t.report_due_at and t.reported_at and t.reported_at > t.report_due_at
        )
        t.is_overdue = t.due_overdue or t.report_overdue  # type: ignore[attr-defined]


def _overdue_q() -> Q:
    now = timezone.now()
    return Q(status__in=("open", "in_progress"), due_at__lt=now) | Q(
        status="completed", report_due_at__lt=now
    )


# ---------------------------------------------------------------- home


@require_GET
@page()
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    city = is_city_user(user)
    infos = _scoped(request, RiskInfo.objects.select_related("district", "product_category"))
    warnings = visible_warnings(user)
    tasks = _scoped(request, DisposalTask.objects.select_related("district", "warning"))

    def queue(title: str, qs: QuerySet[Any], url: str, kind: str) -> dict[str, Any]:
        rows = list(qs[:QUEUE_ROWS])
        if kind == "task":
            _mark_clocks(rows)
        return {"title": title, "count": qs.count(), "rows": rows, "url": url, "kind": kind}

    queues = []
    if city:
        raw = RawItem.objects.filter(risk_info__isnull=True).order_by("-received_at", "-id")
        queues.append(queue("待筛查", raw, "", "raw"))
    queues += [
        queue(
            "待评估",
            infos.filter(status=RiskInfoStatus.PENDING_ASSESSMENT),
            reverse("web:riskinfo_list") + "?status=pending_assessment",
            "info",
        ),
        queue(
            "待审批预警",
            warnings.filter(status="in_review"),
            reverse("web:warning_list") + "?status=in_review",
            "warning",
        ),
        queue(
            "处置中",
            tasks.filter(status__in=TASK_ACTIVE),
            reverse("web:task_list"),
            "task",
        ),
        queue(
            "已反馈",
            tasks.filter(status__in=TASK_DONE).order_by("-reported_at", "-id"),
            reverse("web:task_list") + "?status=reported",
            "task",
        ),
    ]
    by_level = dict(
        Warning.objects.filter(pk__in=warnings.values("pk"), status__in=WARNING_LIVE)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    levels = sorted(WarningLevel, key=lambda lv: lv.rank, reverse=True)
    colour_counts = [{"level": lv, "count": by_level.get(lv.value, 0)} for lv in levels]
    since = (timezone.now() - timedelta(days=365)).replace(day=1)
    monthly = (
        infos.filter(occurred_at__gte=since)
        .exclude(status=RiskInfoStatus.DUPLICATE)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    chart = {
        "months": [m["month"].strftime("%Y-%m") for m in monthly if m["month"]],
        "counts": [m["n"] for m in monthly if m["month"]],
    }
    overdue = tasks.filter(_overdue_q()).count()
    return render(
        request,
        "web/home.html",
        {
            "queues": queues,
            "colour_counts": colour_counts,
            "chart": chart,
            "monthly_rows": list(zip(chart["months"], chart["counts"], strict=True)),
            "overdue_count": overdue,
            "city": city,
        },
    )


# ---------------------------------------------------------------- risk information


@require_GET
@page()
def riskinfo_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(
        request,
        RiskInfo.objects.select_related("district", "product_category", "hazard", "enterprise"),
    )
    return _listing(request, qs, forms.RiskInfoFilter, "web/riskinfo_list.html")


@require_GET
@page()
def riskinfo_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item with what screening found in it (fields with highlighted evidence), its
    duplicates and its event. Rows of other districts are counted, never shown."""
    scoped = _scoped(request, RiskInfo.objects.all())
    info = get_object_or_404(
        scoped.select_related(
            "raw_item__station",
            "district",
            "enterprise",
            "product_category",
            "hazard",
            "duplicate_of",
        ),
        pk=pk,
    )
    duplicate_of = scoped.filter(pk=info.duplicate_of_id).first() if info.duplicate_of_id else None
    duplicates = (
        scoped.filter(duplicate_of=info).select_related("district").order_by("occurred_at", "id")
    )
    n_duplicates = RiskInfo.objects.filter(duplicate_of=info).count()
    return render(
        request,
        "web/riskinfo_detail.html",
        {
            "info": info,
            "raw": info.raw_item,
            "screening": screening_result(info),
            "duplicate_of": duplicate_of,
            "same_content": bool(
                info.duplicate_of and info.duplicate_of.content_hash == info.content_hash
            ),
            "duplicates": duplicates[:100],
            "n_duplicates": n_duplicates,
            "hidden_duplicates": n_duplicates - duplicates.count(),
            **_event_card(request, info, scoped),
            "assessments": info.assessments.select_related("assessed_by"),
            "warnings": visible_warnings(request.user).filter(risk_infos=info),
            "trail": history(info),
        },
    )


def _event_card(request: HttpRequest, info: RiskInfo, scoped: QuerySet[RiskInfo]) -> dict[str, Any]:
    """The item's event (所属事件) and its other items the user may see."""
    if info.event_id is None:
        return {"event": None}
    event = Event.objects.select_related(
        "product_category", "hazard", "enterprise", "district"
    ).get(pk=info.event_id)
    others = RiskInfo.objects.filter(event=event).exclude(pk=info.pk)
    visible = scoped.filter(event=event).exclude(pk=info.pk)
    n_visible = visible.count()
    return {
        "event": event,
        "event_visible": _visible_events(request, Event.objects.filter(pk=event.pk)).exists(),
        "event_items": visible.order_by(*TIMELINE)[:EVENT_CARD_ITEMS],
        "event_more": max(0, n_visible - EVENT_CARD_ITEMS),
        "event_hidden": others.count() - n_visible,
    }


# ---------------------------------------------------------------- events


def _visible_events(request: HttpRequest, qs: QuerySet[Event]) -> QuerySet[Event]:
    """Events the user may see: all for city-wide roles; for a district officer, the events
    of the district and those with any item in it (an incident crosses district lines; the
    other districts' items stay hidden on the event's page)."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_city_wide:
        return qs
    district = user.district_id
    if not user.has_role(Role.DISTRICT_OFFICER) or district is None:
        return qs.none()
    with_items = RiskInfo.objects.filter(district_id=district).values("event_id")
    return qs.filter(Q(district_id=district) | Q(pk__in=with_items))


def _events(request: HttpRequest) -> QuerySet[Event]:
    return _visible_events(
        request,
        Event.objects.select_related("product_category", "hazard", "enterprise", "district"),
    )


@require_GET
@page()
def event_list(request: HttpRequest) -> HttpResponse:
    """Risk events (风险事件): items about one incident, the latest first."""
    events = _events(request)
    filter_form = forms.EventFilter(request.GET, city=is_city_user(request.user), events=events)
    page_obj = _paged(request, filter_form.apply(events))
    return render(
        request, "web/event_list.html", {"filter_form": filter_form, "page_obj": page_obj}
    )


@require_GET
@page()
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An event and its items as a timeline; items of other districts are counted only."""
    event = get_object_or_404(_events(request), pk=pk)
    everything = RiskInfo.objects.filter(event=event)
    items = _scoped(request, everything.select_related("district")).order_by(*TIMELINE)
    page_obj = _paged(request, items)
    first_item = items.filter(pk=event.first_item_id).first() if event.first_item_id else None
    return render(
        request,
        "web/event_detail.html",
        {
            "event": event,
            "page_obj": page_obj,
            "first_item": first_item,
            "hidden_items": everything.count() - page_obj.paginator.count,
        },
    )


# ---------------------------------------------------------------- assessments


@require_GET
@page()
def assessment_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Assessment.objects.select_related("risk_info", "district"))
    return _listing(request, qs, forms.AssessmentFilter, "web/assessment_list.html")


def _matrix_rows(assessment: Assessment) -> list[dict[str, Any]]:
    """The domain core's risk matrix, rows severity 4→1, with the assessed cell marked."""
    return [
        {
            "severity": severity,
            "meaning": SEVERITY_LABELS.get(severity, ""),
            "cells": [
                {
                    "level": level,
                    "hit": severity == assessment.severity and band == assessment.band,
                }
                for band, level in enumerate(RISK_MATRIX[severity])
            ],
        }
        for severity in sorted(RISK_MATRIX, reverse=True)
    ]


@require_GET
@page()
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(
        _scoped(request, Assessment.objects.select_related("risk_info", "district", "assessed_by")),
        pk=pk,
    )
    matrix = _matrix_rows(assessment)
    return render(
        request,
        "web/assessment_detail.html",
        {
            "a": assessment,
            "matrix": matrix,
            "bands": PROBABILITY_BANDS,
            "band_label": PROBABILITY_BANDS[assessment.band].label
            if 0 <= assessment.band < len(PROBABILITY_BANDS)
            else assessment.band,
            "warnings": visible_warnings(request.user).filter(assessment=assessment),
            "trail": history(assessment),
        },
    )


# ---------------------------------------------------------------- warnings


@require_GET
@page()
def warning_list(request: HttpRequest) -> HttpResponse:
    qs = visible_warnings(request.user).select_related("product_category", "hazard")
    overdue = overdue_warnings().filter(pk__in=qs.values("pk")).prefetch_related("reminders")
    return _listing(
        request, qs, forms.WarningFilter, "web/warning_list.html", overdue=list(overdue[:50])
    )


@require_GET
@page()
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from pqrisk.warnings import views as warning_views  # it imports this module

    warning = get_object_or_404(
        visible_warnings(request.user).select_related(
            "product_category", "hazard", "assessment", "created_by", "approved_by"
        ),
        pk=pk,
    )
    tasks = list(_scoped(request, warning.tasks.select_related("district")))
    _mark_clocks(tasks)
    user: Any = request.user
    available = {t.action: t for t in WARNING_MACHINE.available(warning.status, user.role_codes)}
    # Approve and update have their own forms (level; new text and identification).
    transitions = [
        {"action": t.action, "label": t.label, "form": forms.NoteForm(prefix=t.action)}
        for t in available.values()
        if t.action not in ("approve", "update")
    ]
    can_update = "update" in available
    can_approve = "approve" in available
    current = {
        "title": warning.title,
        "body": warning.body,
        "modes": warning.modes,
        "advice": warning.advice,
        "brands": warning.brands,
        "product_models": warning.product_models,
        "batches": warning.batches,
    }
    return render(
        request,
        "web/warning_detail.html",
        {
            "warning": warning,
            "risk_infos": _scoped(
                request, warning.risk_infos.select_related("district", "product_category")
            ),
            "tasks": tasks,
            "transitions": transitions,
            "approve_form": forms.ApproveForm(prefix="approve", initial={"level": ""})
            if can_approve
            else None,
            "trail": history(warning),
            "versions": warning.versions.select_related("superseded_by"),
            "edit_form": forms.WarningEditForm(initial=current)
            if warning.status in EDITABLE_STATES
            else None,
            "update_form": forms.WarningUpdateForm(initial=current, prefix="update")
            if can_update
            else None,
            "recipients": warning.recipients.select_related("district", "acknowledged_by"),
            "my_notice": warning.recipients.filter(
                district_id=getattr(request.user, "district_id", None) or -1,
                acknowledged_at__isnull=True,
            ).first(),
            "reminders": warning.reminders.all(),
            "photos": warning.photos.all(),
            "photo_form": warning_views.PhotoForm(prefix="photo")
            if can_manage_photos(warning, request.user)
            else None,
            "targets_form": warning_views.targets_form(warning, request.user),
            "target_districts": warning.target_districts.order_by("code"),
            "target_categories": warning.target_categories.order_by("code"),
            "disposal_districts": disposal_districts(warning),
            "can_share": may_export(request.user),
            "communications": activities_for(warning)[:20],
            "can_record_communication": may_record(request.user),
        },
    )


@require_POST
@page()
def warning_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form_class = forms.ApproveForm if action == "approve" else forms.NoteForm
    form = form_class(request.POST, prefix=action)
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    note = form.cleaned_data.get("note", "")
    try:
        if action == "approve":
            level = form.cleaned_data.get("level")
            warning = approve_warning(
                warning, request.user, level=LEVELS[level] if level else None, note=note
            )
        else:
            warning = act_on_warning(warning, action, request.user, note=note)
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        label = WARNING_MACHINE.states.get(warning.status, warning.status)
        messages.success(request, f"操作成功，预警当前状态：{label}")
    return redirect("web:warning_detail", pk=warning.pk)


@require_POST
@page()
def warning_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft's title, text and modes (修改草稿)."""
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form = forms.WarningEditForm(request.POST)
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    data = form.cleaned_data
    try:
        edit_draft(
            warning,
            request.user,
            title=data["title"],
            body=data["body"],
            modes=data["modes"],
            identification={f: data[f] for f, _, _ in IDENTIFICATION_FIELDS},
        )
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已保存修改")
    return redirect("web:warning_detail", pk=warning.pk)


@require_POST
@page()
def warning_update(request: HttpRequest, pk: int) -> HttpResponse:
    """更新 a published warning: new text and identification; the old kept as a version."""
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form = forms.WarningUpdateForm(request.POST, prefix="update")
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    data = form.cleaned_data
    try:
        warning = update_warning(
            warning,
            request.user,
            title=data["title"],
            body=data["body"],
            modes=data["modes"],
            identification={f: data[f] for f, _, _ in IDENTIFICATION_FIELDS},
            note=data["note"],
        )
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"预警已更新为第{warning.version}版")
    return redirect("web:warning_detail", pk=warning.pk)


@require_POST
@page()
def warning_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A district bureau confirms receipt of an internal notice (风险通报)."""
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    try:
        recipient = acknowledge_notice(warning, request.user)
    except WarningError as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"{recipient.name}已确认收到")
    return redirect("web:warning_detail", pk=warning.pk)


# ---------------------------------------------------------------- enterprises


@require_GET
@page()
def enterprise_list(request: HttpRequest) -> HttpResponse:
    qs = (
        _scoped(request, Enterprise.objects.select_related("district"))
        .annotate(n_infos=Count("risk_infos"))
        .order_by("name", "id")
    )
    return _listing(request, qs, forms.EnterpriseFilter, "web/enterprise_list.html")


# ---------------------------------------------------------------- stations, quarantine


@require_GET
@page(city_only=True)
def station_list(request: HttpRequest) -> HttpResponse:
    """The station network's health: counts by status and kind, who is overdue, scores,
    last reports and today's quota use."""
    now = timezone.now()
    summary = station_services.network_summary(now)
    filter_form = forms.StationFilter(request.GET, city=True)
    page_obj = _paged(
        request,
        filter_form.apply(station_services.stations_with_activity(now).order_by("name", "id")),
    )
    stale_ids = {s.pk for s in summary.stale}
    for s in page_obj:
        s.stale = s.pk in stale_ids
        s.quota_share = round(100 * s.used_today / s.daily_quota) if s.daily_quota else 0
    return render(
        request,
        "web/station_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "summary": summary,
            "may_manage": request.user.has_role(*station_services.MANAGER_ROLES),  # type: ignore[union-attr]
        },
    )


@page(city_only=True)
def station_new(request: HttpRequest) -> HttpResponse:
    """Register a station (登记监测站): city managers only. Its first token is shown once, on
    the station's page, as when a token is re-issued."""
    if not request.user.has_role(*station_services.MANAGER_ROLES):  # type: ignore[union-attr]
        raise PermissionDenied("只有市局管理员或市局监管处可以登记监测站。")
    form = forms.StationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        station, token = station_services.register_station(user=request.user, **form.cleaned_data)
        messages.warning(
            request,
            f"{station.name} 已登记。接口令牌只显示这一次，请立即复制并妥善转交监测站"
            f"（平台只保存其摘要，之后无法再查看，遗失只能重新签发）：{token}",
        )
        return redirect("web:station_detail", pk=station.pk)
    return render(request, "web/station_form.html", {"form": form})


@require_GET
@page(city_only=True)
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_object_or_404(
        MonitoringStation.objects.select_related("district", "registered_by"), pk=pk
    )
    trail = history(station)
    for e in trail:
        e.action_zh = STATION_ACTION_LABELS.get(e.action, e.action)  # type: ignore[attr-defined]
        e.from_zh = _station_status_label(e.from_state)  # type: ignore[attr-defined]
        e.to_zh = _station_status_label(e.to_state)  # type: ignore[attr-defined]
    now = timezone.now()
    return render(
        request,
        "web/station_detail.html",
        {
            "station": station,
            "batches": station.batches.all()[:20],
            "n_items": station.items.count(),
            "trail": trail,
            "stale": station.is_stale(now),
            "used_today": station_services.records_today(station, now),
            "rate_limit": station_services.rate_limit(station),
            "transitions": STATION_TRANSITIONS.get(station.status, {}).items(),
            "may_manage": request.user.has_role(*station_services.MANAGER_ROLES),  # type: ignore[union-attr]
        },
    )


def _station_status_label(value: str) -> str:
    return StationStatus(value).label if value in StationStatus.values else value


@require_POST
@page(city_only=True)
def station_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_object_or_404(MonitoringStation, pk=pk)
    try:
        station_services.set_station_status(
            station, request.POST.get("status", ""), request.user, request.POST.get("reason", "")
        )
    except (PermissionDenied, ValueError) as exc:
        service_error(request, exc)
    else:
        station.refresh_from_db()
        messages.success(request, f"{station.name} 已改为“{station.get_status_display()}”")
    return redirect("web:station_detail", pk=pk)


@require_POST
@page(city_only=True)
def station_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a new token (the old stops working) or void the token; a new one is shown once."""
    station = get_object_or_404(MonitoringStation, pk=pk)
    try:
        if request.POST.get("action") == "revoke":
            station_services.revoke_station_token(station, request.user)
            messages.success(request, "接口令牌已作废，重新签发前该监测站不能报送")
        else:
            token = station_services.issue_station_token(station, request.user)
            messages.warning(
                request,
                f"{station.name} 的新令牌（仅显示这一次，请妥善转交，原令牌已作废）：{token}",
            )
    except PermissionDenied as exc:
        service_error(request, exc)
    return redirect("web:station_detail", pk=pk)


@require_GET
@page(city_only=True)
def quarantine_list(request: HttpRequest) -> HttpResponse:
    qs = quarantine_services.dao_quarantined_items()
    return _listing(request, qs, forms.QuarantineFilter, "web/quarantine_list.html")


def _quarantine_page(
    request: HttpRequest,
    item: QuarantinedItem,
    replay_form: forms.ReplayForm | None = None,
    dismiss_form: forms.DismissForm | None = None,
    rejected: quarantine_services.ReplayOutcome | None = None,
) -> HttpResponse:
    may_resolve = not item.resolved and quarantine_services.may_resolve(request.user)
    return render(
        request,
        "web/quarantine_detail.html",
        {
            "item": item,
            "may_resolve": may_resolve,
            "replay_form": replay_form
            or forms.ReplayForm(
                prefix="replay", initial={"record": quarantine_services.draft_of(item)}
            ),
            "dismiss_form": dismiss_form or forms.DismissForm(prefix="dismiss"),
            "rejected": rejected,
            "source_kind_label": dict(SourceKind.choices).get(item.source_kind, item.source_kind),
            "trail": history(item),
        },
    )


def _require_fixer(request: HttpRequest) -> None:
    """Experts read the quarantine but do not resolve it: refused before the form is read."""
    if not quarantine_services.may_resolve(request.user):
        raise PermissionDenied("只有市局管理员、市局监管处或评估中心可以处理隔离区记录")


def _get_quarantined(pk: int) -> QuarantinedItem:
    return get_object_or_404(quarantine_services.dao_quarantined_items(), pk=pk)


@require_GET
@page(city_only=True)
def quarantine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _quarantine_page(request, _get_quarantined(pk))


@require_POST
@page(city_only=True)
def quarantine_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Ingest the corrected record; if it is rejected again, show the new reason with the
    user's text kept in the editor."""
    _require_fixer(request)
    item = _get_quarantined(pk)
    form = forms.ReplayForm(request.POST, prefix="replay")
    if not form.is_valid():
        messages.error(request, "未重新导入：请检查标出的内容。")
        return _quarantine_page(request, item, replay_form=form)
    try:
        outcome = quarantine_services.replay(
            item, form.cleaned_data["record"], request.user, form.cleaned_data["note"]
        )
    except (quarantine_services.QuarantineError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:quarantine_detail", pk=pk)
    if not outcome.accepted:  # the new reason is shown beside the editor
        return _quarantine_page(request, item, replay_form=form, rejected=outcome)
    messages.success(request, outcome.summary_zh)
    return redirect("web:quarantine_detail", pk=pk)


@require_POST
@page(city_only=True)
def quarantine_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    _require_fixer(request)
    item = _get_quarantined(pk)
    form = forms.DismissForm(request.POST, prefix="dismiss")
    if not form.is_valid():
        messages.error(request, "未处理：不予处理须填写理由。")
        return _quarantine_page(request, item, dismiss_form=form)
    try:
        quarantine_services.dismiss(item, request.user, form.cleaned_data["note"])
    except (quarantine_services.QuarantineError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"隔离记录 #{item.pk} 已标记为不予处理")
    return redirect("web:quarantine_detail", pk=pk)


# ---------------------------------------------------------------- intake


@page()
def intake(request: HttpRequest) -> HttpResponse:
    """Upload a file of records; show what was accepted and why anything was quarantined.
    Staff of the city bureau and district officers may submit; experts only look."""
    may_submit = request.user.has_role(*INTAKE_ROLES)  # type: ignore[union-attr]
    batches = IngestBatch.objects.select_related("submitted_by", "station")
    if not is_city_user(request.user):
        batches = batches.filter(submitted_by=request.user)  # type: ignore[misc]
    context: dict[str, Any] = {"may_submit": may_submit, "batches": batches[:20]}
    form = forms.UploadForm()
    if request.method == "POST":
        if not may_submit:
            raise PermissionDenied("您的角色不能提交数据，请联系评估中心或所属区局。")
        form = forms.UploadForm(request.POST, request.FILES)
        if form.is_valid():
            result = ingest_upload(
                form.cleaned_data["file"], form.cleaned_data["source"] or None, request.user
            )
            level = messages.SUCCESS if not result.quarantined else messages.WARNING
            messages.add_message(
                request, level, f"{form.cleaned_data['file'].name}：{result.summary_zh}"
            )
            context["result"] = result
            context["rejected"] = QuarantinedItem.objects.filter(batch_id=result.batch_id)[:200]
            form = forms.UploadForm()
    context["form"] = form
    return render(request, "web/intake.html", context)


# ---------------------------------------------------------------- audit


@require_GET
@page()
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, AuditEvent.objects.select_related("district"))
    filter_form = forms.AuditFilter(request.GET, city=is_city_user(request.user))
    page_obj = _paged(request, filter_form.apply(qs))
    for event in page_obj.object_list:
        name = OBJECT_PAGES.get(event.object_type)
        event.url = (
            reverse(name, args=[event.object_id]) if name and event.object_id.isdigit() else ""
        )
    return render(
        request, "web/audit_list.html", {"filter_form": filter_form, "page_obj": page_obj}
    )
