"""Risk communication pages (风险交流): the log of interviews, experts' popular-science pieces,
media briefings and other activities, each linked to the risks it spoke about.

City-wide roles record and edit; every page user reads. A district officer reading an
activity sees only the linked warnings, cases and signals it may see anyway.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pqrisk.accounts.scoping import scope_queryset
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.services import history
from pqrisk.communication import services
from pqrisk.communication.choices import ATTACHMENT_SUFFIXES, ActivityKind
from pqrisk.communication.models import CommunicationActivity
from pqrisk.reference.models import ProductCategory
from pqrisk.signals.models import Signal
from pqrisk.signals.services import visible_signals
from pqrisk.warnings.api import visible_warnings
from pqrisk.warnings.models import Warning

from . import forms
from .context import is_city_user
from .feedback import service_error
from .views import _paged, page

# Which links a form offers, and how the page prefills them from ?warning=…&case=…&signal=…
PREFILL = {
    "warning": "warnings",
    "case": "cases",
    "signal": "signals",
    "category": "product_categories",
}


def visible_activities() -> QuerySet[CommunicationActivity]:
    """Every page user reads the whole log (communication is public-facing work)."""
    return CommunicationActivity.objects.select_related("created_by").prefetch_related(
        "product_categories"
    )


class ActivityFilter(forms.FilterForm):
    search_fields = ("title", "summary", "participants", "audience")
    exact = ("kind",)
    kind = django_forms.ChoiceField(
        label="形式", choices=forms.ANY + list(ActivityKind.choices), required=False
    )
    category = django_forms.ModelChoiceField(
        label="产品类别", queryset=ProductCategory.objects.all(), required=False, empty_label="全部"
    )
    since = django_forms.DateField(label="日期自", required=False)
    until = django_forms.DateField(label="至", required=False)

    def __init__(self, data: Any, *, city: bool) -> None:
        super().__init__(data, city=city)
        self.fields.pop("district", None)  # activities are city-wide records
        for name in ("since", "until"):
            self.fields[name].widget.input_type = "date"
            self.fields[name].widget.attrs.pop("placeholder", None)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().apply(qs)
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("category"):
            qs = qs.filter(product_categories=data["category"]).distinct()
        if data.get("since"):
            qs = qs.filter(held_on__gte=data["since"])
        if data.get("until"):
            qs = qs.filter(held_on__lte=data["until"])
        return qs


class ActivityForm(forms.PlainForm):
    kind = django_forms.ChoiceField(label="形式", choices=ActivityKind.choices)
    title = django_forms.CharField(label="标题", max_length=200)
    held_on = django_forms.DateField(
        label="日期", widget=django_forms.DateInput(attrs={"type": "date"})
    )
    participants = django_forms.CharField(
        label="参与人员",
        required=False,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        help_text="发言人、专家、记者等，每行一位",
    )
    audience = django_forms.CharField(
        label="受众", required=False, max_length=200, help_text="如：公众、媒体、行业企业"
    )
    summary = django_forms.CharField(
        label="内容摘要", required=False, widget=django_forms.Textarea(attrs={"rows": 5})
    )
    link = django_forms.URLField(
        label="链接", required=False, max_length=500, assume_scheme="https"
    )
    attachment = django_forms.FileField(
        label="附件",
        required=False,
        help_text="支持 " + "、".join(ATTACHMENT_SUFFIXES),
    )
    remove_attachment = django_forms.BooleanField(label="删除现有附件", required=False)
    warnings = django_forms.ModelMultipleChoiceField(
        label="关联预警", queryset=Warning.objects.none(), required=False
    )
    cases = django_forms.ModelMultipleChoiceField(
        label="关联评估任务", queryset=AssessmentCase.objects.none(), required=False
    )
    signals = django_forms.ModelMultipleChoiceField(
        label="关联风险信号", queryset=Signal.objects.none(), required=False
    )
    product_categories = django_forms.ModelMultipleChoiceField(
        label="涉及产品类别", queryset=ProductCategory.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: dict[str, QuerySet[Any]] = {
            "warnings": visible_warnings(user).order_by("-created_at"),
            "cases": scope_queryset(user, AssessmentCase.objects.all(), "district").order_by("-id"),
            "signals": visible_signals(user).order_by("-id"),
            "product_categories": ProductCategory.objects.order_by("code"),
        }
        for name, qs in choices.items():
            field = self.fields[name]
            assert isinstance(field, django_forms.ModelMultipleChoiceField)
            field.queryset = qs
            field.widget.attrs["size"] = 6
        if not editing:
            del self.fields["remove_attachment"]

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                services.check_attachment(upload)
            except services.CommunicationError as exc:
                raise django_forms.ValidationError(exc.message_zh) from exc
        return upload

    def data_and_links(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = {k: self.cleaned_data[k] for k in services.FIELDS}
        links = {k: self.cleaned_data[k] for k in services.LINK_LABELS}
        return data, links


def _linked(activity: CommunicationActivity, user: Any) -> dict[str, Any]:
    """The activity's links the user may open (a district sees its own risks only)."""
    return {
        "linked_warnings": visible_warnings(user).filter(communication_activities=activity),
        "linked_cases": scope_queryset(user, activity.cases.select_related("district"), "district"),
        "linked_signals": visible_signals(user).filter(communication_activities=activity),
        "linked_categories": activity.product_categories.all(),
    }


def _require_recorder(request: HttpRequest) -> None:
    if not services.may_record(request.user) or not is_city_user(request.user):
        raise PermissionDenied("只有市局、评估中心和专家可以登记或修改风险交流活动。")


@require_GET
@page()
def communication_list(request: HttpRequest) -> HttpResponse:
    filter_form = ActivityFilter(request.GET, city=is_city_user(request.user))
    page_obj = _paged(request, filter_form.apply(visible_activities()))
    return render(
        request,
        "web/communication_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "may_record": services.may_record(request.user) and is_city_user(request.user),
        },
    )


@require_GET
@page()
def communication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(visible_activities(), pk=pk)
    return render(
        request,
        "web/communication_detail.html",
        {
            "a": activity,
            "trail": history(activity),
            "may_record": services.may_record(request.user) and is_city_user(request.user),
            **_linked(activity, request.user),
        },
    )


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """Links given in the address (from a warning's or a case's page), as initial values."""
    initial: dict[str, Any] = {}
    for param, field in PREFILL.items():
        ids = [v for v in request.GET.getlist(param) if v.isdigit()]
        if ids:
            initial[field] = ids
    return initial


@require_http_methods(["GET", "POST"])
@page(city_only=True)
def communication_new(request: HttpRequest) -> HttpResponse:
    _require_recorder(request)
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data, links = form.data_and_links()
            try:
                activity = services.record_activity(
                    request.user, data, links, form.cleaned_data.get("attachment")
                )
            except services.CommunicationError as exc:
                service_error(request, exc)
            else:
                messages.success(request, "风险交流活动已登记")
                return redirect("web:communication_detail", pk=activity.pk)
    else:
        form = ActivityForm(user=request.user, initial=_prefill(request))
    return render(request, "web/communication_form.html", {"form": form, "a": None})


@require_http_methods(["GET", "POST"])
@page(city_only=True)
def communication_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_recorder(request)
    activity = get_object_or_404(CommunicationActivity, pk=pk)
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, user=request.user, editing=True)
        if form.is_valid():
            data, links = form.data_and_links()
            try:
                changed = services.update_activity(
                    activity,
                    request.user,
                    data,
                    links,
                    form.cleaned_data.get("attachment"),
                    remove_attachment=form.cleaned_data.get("remove_attachment", False),
                )
            except services.CommunicationError as exc:
                service_error(request, exc)
            else:
                messages.success(
                    request, "已保存：修改了" + "、".join(changed) if changed else "没有修改"
                )
                return redirect("web:communication_detail", pk=activity.pk)
    else:
        initial = {k: getattr(activity, k) for k in services.FIELDS}
        for field in services.LINK_LABELS:
            initial[field] = list(getattr(activity, field).values_list("pk", flat=True))
        form = ActivityForm(user=request.user, editing=True, initial=initial)
    return render(request, "web/communication_form.html", {"form": form, "a": activity})


@require_GET
@page()
def communication_attachment(request: HttpRequest, pk: int) -> Any:
    activity = get_object_or_404(visible_activities(), pk=pk)
    if not activity.attachment:
        raise Http404("该活动没有附件")
    try:
        handle = activity.attachment.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("附件文件不存在") from exc
    return FileResponse(
        handle, as_attachment=True, filename=activity.attachment_name or activity.attachment.name
    )
