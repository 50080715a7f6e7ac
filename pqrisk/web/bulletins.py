"""Pages of 《产品质量安全资讯》 (bulletins): the list, drafting an issue for a period, editing
its sections, submitting and publishing it, and every version's .docx and PDF.

Analysts and the city bureau draft; the city supervisor returns or publishes. City-wide
roles see every issue; a district officer sees published issues only (anything else is 404).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pqrisk.audit.services import history
from pqrisk.bulletins import periods, services
from pqrisk.bulletins.choices import SECTIONS, BulletinKind, BulletinStatus
from pqrisk.bulletins.documents import tables
from pqrisk.bulletins.models import Bulletin
from pqrisk.reference.models import HazardType, ProductCategory

from . import forms
from .feedback import form_refused, service_error
from .views import _paged, page


class BulletinFilter(forms.FilterForm):
    search_fields = ("title", "theme")
    exact = ("kind", "status")
    kind = django_forms.ChoiceField(
        label="类型", choices=forms.ANY + list(BulletinKind.choices), required=False
    )
    status = django_forms.ChoiceField(
        label="状态", choices=forms.ANY + list(BulletinStatus.choices), required=False
    )

    def __init__(self, data: Any, *, city: bool) -> None:
        super().__init__(data, city=city)
        self.fields.pop("district", None)  # an issue is the city's


class NewBulletinForm(forms.PlainForm):
    kind = django_forms.ChoiceField(label="类型", choices=BulletinKind.choices)
    start = django_forms.DateField(
        label="起始日期",
        widget=django_forms.DateInput(attrs={"type": "date"}),
        help_text="月刊取该日所在月份，周刊取该日所在的周一至周日",
    )
    end = django_forms.DateField(
        label="截止日期（专刊）",
        required=False,
        widget=django_forms.DateInput(attrs={"type": "date"}),
    )
    theme = django_forms.CharField(label="专题名称（专刊）", max_length=100, required=False)
    category = django_forms.ModelChoiceField(
        label="限定产品类别（专刊，可选）",
        queryset=ProductCategory.objects.order_by("code"),
        required=False,
        empty_label="（不限）",
    )
    hazard = django_forms.ModelChoiceField(
        label="限定危害类型（专刊，可选）",
        queryset=HazardType.objects.order_by("code"),
        required=False,
        empty_label="（不限）",
    )
    title = django_forms.CharField(
        label="标题（可选）", max_length=200, required=False, help_text="留空则按类型和期间拟定"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, start = data.get("kind"), data.get("start")
        if start is None:
            return data
        if kind == BulletinKind.MONTHLY:
            data["start"], data["end"] = periods.month_period(start.year, start.month)
        elif kind == BulletinKind.WEEKLY:
            data["start"], data["end"] = periods.week_period(start)
        elif data.get("end") is None:
            raise django_forms.ValidationError("专刊须填写截止日期")
        if kind != BulletinKind.THEMATIC:
            data["theme"], data["category"], data["hazard"] = "", None, None
        return data


def edit_form_class(bulletin: Bulletin) -> type[django_forms.Form]:
    """A form with the title and one text area per section of the issue."""
    fields: dict[str, Any] = {
        "title": django_forms.CharField(label="标题", max_length=200),
    }
    for section in bulletin.sections:
        fields[f"section_{section['key']}"] = django_forms.CharField(
            label=section["heading"],
            required=False,
            max_length=20000,
            widget=django_forms.Textarea(attrs={"rows": 5}),
        )
    fields["note"] = django_forms.CharField(
        label="修改说明（可选）", max_length=300, required=False
    )
    return type("BulletinEditForm", (forms.PlainForm,), fields)


def edit_form(bulletin: Bulletin, data: Any = None) -> django_forms.Form:
    initial = {"title": bulletin.title}
    initial.update({f"section_{s['key']}": s["text"] for s in bulletin.sections})
    return edit_form_class(bulletin)(data, initial=initial)


class ActionForm(forms.PlainForm):
    note = django_forms.CharField(
        label="意见", max_length=500, required=False, widget=django_forms.TextInput()
    )


def _visible(request: HttpRequest, pk: int) -> Bulletin:
    return get_object_or_404(services.visible_bulletins(request.user), pk=pk)


@require_GET
@page()
def bulletin_list(request: HttpRequest) -> HttpResponse:
    filter_form = BulletinFilter(request.GET, city=True)
    page_obj = _paged(request, filter_form.apply(services.visible_bulletins(request.user)))
    return render(
        request,
        "web/bulletin_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "can_draft": services.may_draft(request.user),
        },
    )


def _last_month() -> date:
    return timezone.localdate().replace(day=1) - timedelta(days=1)


@require_http_methods(["GET", "POST"])
@page()
def bulletin_new(request: HttpRequest) -> HttpResponse:
    if not services.may_draft(request.user):
        raise PermissionDenied("只有评估中心和市局可以起草资讯")
    if request.method == "POST":
        form = NewBulletinForm(request.POST)
        if not form_refused(request, form):
            data = form.cleaned_data
            try:
                bulletin = services.create_bulletin(
                    request.user,
                    services.BulletinRequest(
                        kind=data["kind"],
                        start=data["start"],
                        end=data["end"],
                        theme=data.get("theme") or "",
                        category=data.get("category"),
                        hazard=data.get("hazard"),
                        title=data.get("title") or "",
                    ),
                )
            except (services.BulletinError, PermissionDenied) as exc:
                service_error(request, exc)
            else:
                messages.success(request, f"已起草 {bulletin.issue_label}，请核对各栏目内容")
                return redirect("web:bulletin_detail", pk=bulletin.pk)
    else:
        first = _last_month().replace(day=1)
        form = NewBulletinForm(initial={"kind": BulletinKind.MONTHLY, "start": first})
    return render(request, "web/bulletin_new.html", {"form": form})


@require_GET
@page()
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _visible(request, pk)
    editable = services.may_edit(bulletin, request.user)
    actions = services.available_actions(bulletin, request.user)
    versions = list(bulletin.versions.select_related("created_by").order_by("-number"))
    texts = {s["key"]: s for s in bulletin.sections}
    return render(
        request,
        "web/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "sections": [
                {
                    **texts.get(key, {"text": ""}),
                    "key": key,
                    "heading": heading,
                    "edited": key in texts and texts[key]["text"] != texts[key]["drafted"],
                    "tables": tables(key, bulletin.data) if bulletin.data else [],
                }
                for key, heading in SECTIONS
            ],
            "counts": bulletin.data.get("counts", {}),
            "tips": bulletin.data.get("tips", []),
            "edit_form": edit_form(bulletin) if editable else None,
            "actions": actions,
            "action_form": ActionForm() if actions else None,
            "versions": versions,
            "trail": history(bulletin),
        },
    )


@require_POST
@page()
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _visible(request, pk)
    form = edit_form(bulletin, request.POST)
    if form_refused(request, form):
        return redirect("web:bulletin_detail", pk=bulletin.pk)
    data = form.cleaned_data
    texts = {s["key"]: data.get(f"section_{s['key']}") or "" for s in bulletin.sections}
    try:
        version = services.edit_bulletin(
            bulletin, request.user, title=data["title"], texts=texts, note=data.get("note") or ""
        )
    except (services.BulletinError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        if version is None:
            messages.info(request, "内容没有变化，未保存新版本")
        else:
            messages.success(request, f"已保存为第{version.number}版")
    return redirect("web:bulletin_detail", pk=bulletin.pk)


@require_POST
@page()
def bulletin_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _visible(request, pk)
    try:
        version, kept = services.regenerate(bulletin, request.user)
    except (services.BulletinError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        kept_text = f"；人工修改过的栏目保留原文：{'、'.join(kept)}" if kept else ""
        if version is None:
            messages.info(request, f"本期数据没有变化{kept_text}")
        else:
            messages.success(request, f"已重新生成数据，保存为第{version.number}版{kept_text}")
    return redirect("web:bulletin_detail", pk=bulletin.pk)


@require_POST
@page()
def bulletin_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    bulletin = _visible(request, pk)
    form = ActionForm(request.POST)
    if form_refused(request, form):
        return redirect("web:bulletin_detail", pk=bulletin.pk)
    try:
        bulletin = services.act_on_bulletin(
            bulletin, action, request.user, note=form.cleaned_data.get("note") or ""
        )
    except (services.BulletinError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"{bulletin.issue_label}：{bulletin.get_status_display()}")
    return redirect("web:bulletin_detail", pk=bulletin.pk)


@require_GET
@page()
def bulletin_download(request: HttpRequest, pk: int, number: int, fmt: str) -> Any:
    bulletin = _visible(request, pk)
    version = get_object_or_404(bulletin.versions, number=number)
    if fmt not in services.FORMATS:
        raise Http404("未知的文件格式")
    try:
        data, name, content_type = services.version_file(version, fmt)
    except services.BulletinError as exc:
        return HttpResponse(exc.message_zh, status=503, content_type="text/plain; charset=utf-8")
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=name, content_type=content_type
    )
