"""Pages of lab sampling. Views show; every change goes through ``services``.

Everyone with pages sees the tasks and leads of what they may see (a district officer: their
district's, 404 otherwise); the assessment centre and the city bureau run them (403 for others).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.accounts.scoping import scope_queryset
from pqrisk.audit.services import history
from pqrisk.core.assessment.lab import DECISION_RULE_ZH, LAB_TASK_MACHINE, LEAD_MACHINE, Verdict
from pqrisk.web.context import is_city_user
from pqrisk.web.feedback import service_error
from pqrisk.web.views import page

from . import forms, services
from .models import CustodyEntry, Sample, SamplingTask, TestItem, ViolationLead
from .results_file import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ResultsRejected

PAGE_SIZE = 50
NOT_MANAGER = "只有评估中心、市局监管处或市局管理员可以办理抽样任务。"


def _require_manager(request: HttpRequest) -> None:
    if not services.may_manage(request.user):
        raise PermissionDenied(NOT_MANAGER)


def _tasks(request: HttpRequest) -> QuerySet[SamplingTask]:
    return scope_queryset(request.user, services.dao_tasks())


def _get_task(request: HttpRequest, pk: int) -> SamplingTask:
    return get_object_or_404(_tasks(request), pk=pk)


def _get_sample(request: HttpRequest, pk: int) -> Sample:
    return get_object_or_404(
        Sample.objects.select_related("task").filter(task__in=_tasks(request)), pk=pk
    )


def _form_page(
    request: HttpRequest,
    task: SamplingTask,
    form: Any,
    *,
    title: str,
    submit: str,
    sample: Sample | None = None,
    multipart: bool = False,
    hint: str = "",
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        "labs/form.html",
        {
            "task": task,
            "sample": sample,
            "form": form,
            "title": title,
            "submit": submit,
            "multipart": multipart,
            "hint": hint,
            **extra,
        },
    )


# ---------------------------------------------------------------- tasks


@require_GET
@page()
def task_list(request: HttpRequest) -> HttpResponse:
    filter_form = forms.TaskFilter(request.GET, city=is_city_user(request.user))
    qs = filter_form.apply(_tasks(request))
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "labs/task_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "may_manage": services.may_manage(request.user),
        },
    )


@page(city_only=True)
def task_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    initial = {"case_code": request.GET.get("case", "")}
    form = forms.TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.create_task(request.user, **form.service_kwargs())
        except services.LabError as exc:
            service_error(request, exc)
        else:
            messages.success(request, f"抽样任务 {task.code} 已创建")
            return redirect("labs:task_detail", pk=task.pk)
    return render(request, "labs/task_new.html", {"form": form})


@require_GET
@page()
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    samples = list(
        task.samples.prefetch_related(
            Prefetch("custody", queryset=CustodyEntry.objects.select_related("recorded_by")),
            Prefetch("test_items", queryset=TestItem.objects.select_related("batch")),
        )
    )
    for s in samples:
        s.receipt = next(  # type: ignore[attr-defined]
            (e for e in reversed(list(s.custody.all())) if e.kind == "lab_received"), None
        )
        s.untestable = services.untestable_reason(s, s.receipt)  # type: ignore[attr-defined]
    items = [i for s in samples for i in s.test_items.all()]
    rapid = list(task.rapid_tests.select_related("sample", "confirmed_by"))
    may_manage = services.may_manage(request.user)
    actions = [
        {"action": t.action, "label": t.label}
        for t in LAB_TASK_MACHINE.available(task.status, request.user.role_codes)  # type: ignore[union-attr]
        if t.action in ("close", "cancel")
    ]
    return render(
        request,
        "labs/task_detail.html",
        {
            "task": task,
            "samples": samples,
            "items": items,
            "counts": {v.label: sum(1 for i in items if i.verdict == v.value) for v in Verdict},
            "rapid_tests": rapid,
            "follow_ups": [r for r in rapid if r.needs_lab_test],
            "leads": task.leads.select_related("sample").prefetch_related("failed_items"),
            "batches": task.result_batches.select_related("recorded_by", "evidence"),
            "may_manage": may_manage,
            "may_record": may_manage and task.status in services.SAMPLE_STATES,
            "may_rapid": may_manage and task.status in services.OPEN_STATES,
            "actions": actions if may_manage else [],
            "action_form": forms.TaskActionForm(),
            "decision_rule": DECISION_RULE_ZH,
            "trail": history(task),
        },
    )


@require_POST
@page(city_only=True)
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = _get_task(request, pk)
    _require_manager(request)
    form = forms.TaskActionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        task = services.act_on_task(task, action, request.user, note)
    except services.LabError as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"操作成功，任务当前状态：{task.get_status_display()}")
    return redirect("labs:task_detail", pk=task.pk)


@page(city_only=True)
def task_purchase(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    _require_manager(request)
    form = forms.PurchaseForm.for_task(task, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_purchase(task, request.user, **form.cleaned_data)
        except services.LabError as exc:
            service_error(request, exc)
        else:
            messages.success(request, "购买已登记，请登记封存的样品")
            return redirect("labs:task_detail", pk=task.pk)
    return _form_page(
        request,
        task,
        form,
        title="登记购买",
        submit="登记购买",
        multipart=True,
        hint="以普通消费者身份购买（网购须记录平台、店铺和订单号），购买凭证上传后作为证据保存。",
    )


@page(city_only=True)
def sample_new(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    _require_manager(request)
    form = forms.SampleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sample = services.add_sample(task, request.user, **form.cleaned_data)
        except services.LabError as exc:
            service_error(request, exc)
        else:
            messages.success(request, f"样品 {sample.code} 已登记，请登记其流转")
            return redirect("labs:task_detail", pk=task.pk)
    return _form_page(
        request,
        task,
        form,
        title="登记样品",
        submit="登记样品",
        hint="样品封存后登记；样品编号印在封条上，实验室按该编号报告结果。",
    )


@page(city_only=True)
def custody_new(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _get_sample(request, pk)
    _require_manager(request)
    form = forms.CustodyForm.for_sample(sample, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_custody_entry(sample, request.user, **form.cleaned_data)
        except services.LabError as exc:
            service_error(request, exc)
        else:
            messages.success(request, f"样品 {sample.code} 的流转已登记")
            return redirect("labs:task_detail", pk=sample.task_id)
    return _form_page(
        request,
        sample.task,
        form,
        title=f"登记样品流转：{sample.code}",
        submit="登记流转",
        sample=sample,
        hint="流转记录只增不改：每一环节的交出方须为上一环节的接收方；样品须经“实验室收样”"
        "且封条完好后方可录入检验结果。",
        custody=sample.custody.all(),
    )


@page(city_only=True)
def result_new(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _get_sample(request, pk)
    _require_manager(request)
    form = forms.ResultForm.for_sample(sample, request.POST or None)
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            item = services.enter_result(sample, request.user, **form.cleaned_data)
        except ResultsRejected as exc:
            errors = exc.errors
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, f"{sample.code} {item.name}：{item.get_verdict_display()}")
            return redirect("labs:task_detail", pk=sample.task_id)
    return _form_page(
        request,
        sample.task,
        form,
        title=f"录入检验结果：{sample.code}",
        submit="保存结果",
        sample=sample,
        hint=DECISION_RULE_ZH,
        errors=errors,
    )


@page(city_only=True)
def results_import(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    _require_manager(request)
    form = forms.ImportForm.for_task(task, request.POST or None, request.FILES or None)
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file")
        try:
            batch = services.import_results(task, upload, request.user, **data)
        except ResultsRejected as exc:
            errors = exc.errors
            messages.error(request, exc.message_zh)
        else:
            failed = batch.items.filter(verdict=Verdict.FAIL).count()
            messages.success(
                request,
                f"{batch.file_name}：已导入{batch.rows}项检验结果，不合格{failed}项",
            )
            return redirect("labs:task_detail", pk=task.pk)
    return render(
        request,
        "labs/results_import.html",
        {
            "task": task,
            "form": form,
            "errors": errors,
            "required": REQUIRED_COLUMNS,
            "optional": OPTIONAL_COLUMNS,
            "samples": task.samples.all(),
            "decision_rule": DECISION_RULE_ZH,
        },
    )


@page(city_only=True)
def rapid_new(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    _require_manager(request)
    form = forms.RapidTestForm(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        try:
            rt = services.add_rapid_test(task, request.user, **form.cleaned_data)
        except services.LabError as exc:
            service_error(request, exc)
        else:
            follow = "，须送实验室检验确认" if rt.needs_lab_test else ""
            messages.success(request, f"快检已登记：{rt.get_screening_display()}{follow}")
            return redirect("labs:task_detail", pk=task.pk)
    return _form_page(
        request,
        task,
        form,
        title="登记快检",
        submit="登记快检",
        hint="快检只作筛查：按结果±扩展不确定度U与阈值比较，完全在阈值内为阴性、完全超出为阳性、"
        "跨越阈值为可疑；阳性和可疑须经实验室检验同一项目确认，不作不合格结论。",
    )


# ---------------------------------------------------------------- leads


def _leads(request: HttpRequest) -> QuerySet[ViolationLead]:
    return scope_queryset(request.user, services.dao_leads())


@require_GET
@page()
def lead_list(request: HttpRequest) -> HttpResponse:
    filter_form = forms.LeadFilter(request.GET, city=is_city_user(request.user))
    qs = filter_form.apply(_leads(request))
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "labs/lead_list.html", {"filter_form": filter_form, "page_obj": page_obj}
    )


def _lead_page(
    request: HttpRequest,
    lead: ViolationLead,
    refer_form: forms.LeadReferForm | None = None,
    close_form: forms.LeadCloseForm | None = None,
) -> HttpResponse:
    user: Any = request.user
    available = {t.action for t in LEAD_MACHINE.available(lead.status, user.role_codes)}
    may_act = user.is_city_wide or user.district_id == lead.district_id
    return render(
        request,
        "labs/lead_detail.html",
        {
            "lead": lead,
            "items": lead.failed_items.select_related("sample"),
            "rapid_tests": lead.rapid_tests.all(),
            "refer_form": (
                refer_form or forms.LeadReferForm(initial={"legal_basis": lead.legal_basis})
            )
            if may_act and "refer" in available
            else None,
            "close_form": (close_form or forms.LeadCloseForm())
            if may_act and "close" in available
            else None,
            "trail": history(lead),
        },
    )


def _get_lead(request: HttpRequest, pk: int) -> ViolationLead:
    return get_object_or_404(_leads(request), pk=pk)


@require_GET
@page()
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_page(request, _get_lead(request, pk))


@require_POST
@page()
def lead_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    lead = _get_lead(request, pk)
    refer_form = close_form = None
    kwargs: dict[str, Any] = {}
    if action == "refer":
        refer_form = forms.LeadReferForm(request.POST)
        valid = refer_form.is_valid()
        kwargs = dict(refer_form.cleaned_data) if valid else {}
    else:
        close_form = forms.LeadCloseForm(request.POST)
        valid = close_form.is_valid()
        kwargs = dict(close_form.cleaned_data) if valid else {}
    if not valid:
        messages.error(request, "未办理：请检查标出的内容。")
        return _lead_page(request, lead, refer_form, close_form)
    try:
        lead = services.act_on_lead(lead, action, request.user, **kwargs)
    except services.LabError as exc:
        service_error(request, exc)
        return _lead_page(request, lead, refer_form, close_form)
    messages.success(request, f"线索 {lead.code} 当前状态：{lead.get_status_display()}")
    return redirect("labs:lead_detail", pk=lead.pk)
