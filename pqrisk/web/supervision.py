"""Supervision by risk (信用风险分级分类监管): credit grades with their explanation and history,
differentiated spot-check plans (双随机) with their Excel, triggered inspections, measures."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pqrisk.core.supervision.grading import Grade, SupervisionError
from pqrisk.core.supervision.measures import MeasureKind, suggested
from pqrisk.core.supervision.plan import RATE_BANDS, SEED_BOUND, band_text
from pqrisk.supervision import services
from pqrisk.supervision.choices import InspectionStatus
from pqrisk.supervision.models import SpotCheckPlan

from . import forms
from .context import is_city_user
from .feedback import form_refused, service_error
from .views import _paged, page


class GradeFilter(forms.FilterForm):
    search_fields = ("enterprise__name", "enterprise__uscc")
    exact = ("grade",)
    grade = django_forms.ChoiceField(
        label="信用风险等级", choices=forms.ANY + Grade.choices(), required=False
    )


class TaskFilter(forms.FilterForm):
    search_fields = ("enterprise__name", "reason")
    exact = ("status",)
    status = django_forms.ChoiceField(
        label="状态", choices=forms.ANY + list(InspectionStatus.choices), required=False
    )


class PlanForm(forms.PlainForm):
    title = django_forms.CharField(label="计划名称", max_length=200)
    period_start = django_forms.DateField(
        label="计划开始", widget=django_forms.DateInput(attrs={"type": "date"})
    )
    period_end = django_forms.DateField(
        label="计划结束", widget=django_forms.DateInput(attrs={"type": "date"})
    )
    budget = django_forms.IntegerField(
        label="抽查样本数", min_value=0, max_value=100000, help_text="每户抽取一批次样本"
    )
    seed = django_forms.IntegerField(
        label="随机种子",
        min_value=0,
        max_value=SEED_BOUND - 1,
        required=False,
        help_text="留空由系统随机生成；填写已公布的种子可复现抽取结果",
    )


class MeasureForm(forms.PlainForm):
    kind = django_forms.ChoiceField(label="监管措施", choices=MeasureKind.choices())
    decided_on = django_forms.DateField(
        label="决定日期", widget=django_forms.DateInput(attrs={"type": "date"})
    )
    legal_basis = django_forms.CharField(
        label="法律依据",
        required=False,
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        help_text="留空则使用该措施的默认依据",
    )
    note = django_forms.CharField(
        label="说明",
        required=False,
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 2}),
    )


class CloseTaskForm(forms.PlainForm):
    result = django_forms.CharField(
        label="检查结果",
        max_length=4000,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写检查结果"},
    )
    cancel = django_forms.BooleanField(label="撤销任务（结果栏填写撤销理由）", required=False)


def _can_plan(user: Any) -> bool:
    return bool(user.has_role(*services.PLAN_ROLES))


def _can_measure(user: Any) -> bool:
    return bool(user.has_role(*services.MEASURE_ROLES))


@require_GET
@page()
def grade_list(request: HttpRequest) -> HttpResponse:
    filter_form = GradeFilter(request.GET, city=is_city_user(request.user))
    qs = filter_form.apply(services.visible_grades(request.user))
    counts = dict(
        services.visible_grades(request.user)
        .order_by()
        .values("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )
    return render(
        request,
        "web/supervision_grades.html",
        {
            "filter_form": filter_form,
            "page_obj": _paged(request, qs),
            "counts": [(g, counts.get(g.value, 0)) for g in Grade],
        },
    )


@require_GET
@page()
def grade_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(services.visible_enterprises(request.user), pk=pk)
    current = services.current_grade(enterprise)
    grade = Grade(current.grade) if current else None
    return render(
        request,
        "web/supervision_grade_detail.html",
        {
            "enterprise": enterprise,
            "current": current,
            "grade": grade,
            "history": services.grade_history(enterprise)[:50],
            "measures": services.visible_measures(request.user).filter(enterprise=enterprise),
            "tasks": services.visible_tasks(request.user).filter(enterprise=enterprise),
            "suggested": suggested(current.grade if current else None),
            "measure_form": MeasureForm(initial={"decided_on": timezone.localdate()})
            if _can_measure(request.user)
            else None,
            "can_regrade": _can_measure(request.user) or _can_plan(request.user),
        },
    )


@require_POST
@page()
def grade_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(services.visible_enterprises(request.user), pk=pk)
    if not (_can_measure(request.user) or _can_plan(request.user)):
        raise PermissionDenied("无权重新计算信用风险等级")
    services.refresh_product_levels()
    grade = services.regrade(enterprise)
    messages.success(request, f"已重新计算：{Grade(grade.grade).label}，得分{grade.score}")
    return redirect("web:supervision_grade_detail", pk=enterprise.pk)


@require_POST
@page()
def measure_create(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(services.visible_enterprises(request.user), pk=pk)
    form = MeasureForm(request.POST)
    if form_refused(request, form):
        return redirect("web:supervision_grade_detail", pk=enterprise.pk)
    data = form.cleaned_data
    try:
        m = services.record_measure(
            request.user,
            enterprise,
            data["kind"],
            decided_on=data["decided_on"],
            legal_basis=data["legal_basis"],
            note=data["note"],
        )
    except (SupervisionError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已记录监管措施：{m.get_kind_display()}")
    return redirect("web:supervision_grade_detail", pk=enterprise.pk)


@require_GET
@page()
def measure_list(request: HttpRequest) -> HttpResponse:
    qs = services.visible_measures(request.user)
    return render(request, "web/supervision_measures.html", {"page_obj": _paged(request, qs)})


@require_GET
@page()
def plan_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = (
        PlanForm(
            initial={
                "title": f"{today.year}年产品质量双随机抽查计划",
                "period_start": today,
                "period_end": date(today.year, 12, 31),
            }
        )
        if _can_plan(request.user)
        else None
    )
    return render(
        request,
        "web/supervision_plans.html",
        {
            "page_obj": _paged(request, SpotCheckPlan.objects.all()),
            "form": form,
            "bands": [(g, band_text(g)) for g in RATE_BANDS],
        },
    )


@require_POST
@page(city_only=True)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST)
    if form_refused(request, form):
        return redirect("web:supervision_plan_list")
    data = form.cleaned_data
    try:
        plan = services.create_plan(
            request.user,
            services.PlanRequest(
                title=data["title"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                budget=data["budget"],
                seed=data["seed"],
            ),
        )
    except (SupervisionError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:supervision_plan_list")
    messages.success(request, f"已生成抽查计划，抽取{plan.entries.count()}户企业")
    return redirect("web:supervision_plan_detail", pk=plan.pk)


@require_GET
@page()
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SpotCheckPlan, pk=pk)
    rows = [
        {
            "grade": g,
            "population": plan.population.get(g.value, 0),
            "allocation": plan.allocation.get(g.value, 0),
            "rate": plan.rates.get(g.value),
            "band": band_text(g),
            "districts": sorted(plan.district_shares.get(g.value, {}).items()),
        }
        for g in Grade
    ]
    return render(
        request,
        "web/supervision_plan_detail.html",
        {
            "plan": plan,
            "rows": rows,
            "entries": services.plan_entries(plan, request.user),
        },
    )


@require_GET
@page()
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SpotCheckPlan, pk=pk)
    response = HttpResponse(
        services.plan_workbook(plan, request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="spot-check-plan-{plan.pk}.xlsx"'
    return response


@require_GET
@page()
def task_list(request: HttpRequest) -> HttpResponse:
    filter_form = TaskFilter(
        request.GET or {"status": InspectionStatus.OPEN}, city=is_city_user(request.user)
    )
    qs = filter_form.apply(services.visible_tasks(request.user))
    return render(
        request,
        "web/supervision_tasks.html",
        {
            "filter_form": filter_form,
            "page_obj": _paged(request, qs),
            "close_form": CloseTaskForm() if _can_measure(request.user) else None,
            "today": timezone.localdate(),
        },
    )


@require_POST
@page()
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(services.visible_tasks(request.user), pk=pk)
    form = CloseTaskForm(request.POST)
    if form_refused(request, form):
        return redirect("web:supervision_task_list")
    try:
        services.close_task(
            request.user, task, form.cleaned_data["result"], cancel=form.cleaned_data["cancel"]
        )
    except (SupervisionError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"检查任务已{task.get_status_display()}")
    return redirect("web:supervision_task_list")
