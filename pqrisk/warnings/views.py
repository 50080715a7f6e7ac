"""Download a warning's official document (预警文书) as .docx or PDF; name the recipients of
an industry warning (风险警示); the recipients' read-receipt page.

Only the bureau's people with a page role, and only warnings they may see
(``visible_warnings``): anything else is 404, so that a district cannot probe another's.
The receipt page is public: its unguessable token is the recipient's key.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.core.levels import WarningMode
from pqrisk.documents.pdf import pdf_unavailable
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import District, ProductCategory
from pqrisk.stations.choices import StationKind
from pqrisk.stations.models import MonitoringStation
from pqrisk.web.context import can_use_pages
from pqrisk.web.feedback import form_refused, service_error
from pqrisk.web.views import page

from . import delivery, identification
from .api import visible_warnings
from .documents import DocumentContent, DocumentError, render_docx, render_pdf, warning_document
from .models import RecipientKind, Warning, WarningPhoto
from .services import WarningError
from .targeting import TARGETABLE_STATES, set_targets, station_recipients

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document(request: HttpRequest, pk: int, mode: str) -> DocumentContent:
    if not can_use_pages(request.user):
        raise PermissionDenied("您的账户没有访问页面的角色。")
    warning = get_object_or_404(
        visible_warnings(request.user).select_related("product_category", "hazard"), pk=pk
    )
    try:
        return warning_document(warning, WarningMode(mode))
    except (ValueError, DocumentError) as exc:
        raise Http404(str(exc)) from exc


def _attachment(data: bytes, filename: str, content_type: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=content_type
    )


@require_GET
@login_required
def document_docx(request: HttpRequest, pk: int, mode: str) -> Any:
    content = _document(request, pk, mode)
    return _attachment(render_docx(content), content.filename("docx"), DOCX_TYPE)


@require_GET
@login_required
def document_pdf(request: HttpRequest, pk: int, mode: str) -> Any:
    content = _document(request, pk, mode)
    if reason := pdf_unavailable():
        return HttpResponse(reason, status=503, content_type="text/plain; charset=utf-8")
    return _attachment(render_pdf(content), content.filename("pdf"), "application/pdf")


# ---------------------------------------------------------------- industry warning recipients


class IndustryRecipientForm(forms.Form):
    """A named recipient of an industry warning (行业警示对象)."""

    kind = forms.ChoiceField(
        label="单位类别",
        choices=[(k.value, k.label) for k in RecipientKind if k != RecipientKind.DISTRICT_BUREAU],
        initial=RecipientKind.ENTERPRISE.value,
    )
    enterprise = forms.ModelChoiceField(
        label="涉及企业",
        queryset=Enterprise.objects.none(),
        required=False,
        empty_label="（不选）",
        help_text="可从本预警风险信息涉及的企业中选择",
    )
    station = forms.ModelChoiceField(
        label="行业协会 / 电商平台",
        queryset=MonitoringStation.objects.none(),
        required=False,
        empty_label="（不选）",
        help_text="可从在用的监测站点中选择",
    )
    name = forms.CharField(label="单位名称", max_length=200, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    webhook_url = forms.CharField(
        label="接收地址（webhook）", max_length=500, required=False, help_text="须为 https:// 地址"
    )

    def __init__(self, *args: Any, warning: Warning, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["enterprise"]
        field.queryset = Enterprise.objects.filter(
            pk__in=[e.pk for e in delivery.suggest_recipients(warning)]
        )
        stations: Any = self.fields["station"]
        stations.queryset = MonitoringStation.objects.filter(
            pk__in=[s.pk for s in station_recipients(warning)]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        station = data.get("station")
        if station is not None and not (data.get("name") or "").strip():
            data["name"] = station.name
            data["kind"] = STATION_KINDS.get(station.kind, data.get("kind"))
        if not (data.get("name") or "").strip() and not data.get("enterprise"):
            raise forms.ValidationError("请填写单位名称，或选择涉及企业、行业协会或电商平台")
        return data


# A monitoring station's kind → the recipient kind it is addressed as.
STATION_KINDS = {
    StationKind.ASSOCIATION.value: RecipientKind.ASSOCIATION.value,
    StationKind.ECOMMERCE.value: RecipientKind.PLATFORM.value,
}


@require_POST
@page()
def add_recipient(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form = IndustryRecipientForm(request.POST, warning=warning, prefix="recipient")
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    data = form.cleaned_data
    try:
        recipient = delivery.add_recipient(
            warning,
            request.user,
            kind=data["kind"],
            name=data["name"],
            email=data["email"] or "",
            webhook_url=data["webhook_url"] or "",
            enterprise=data["enterprise"],
        )
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已添加行业警示对象：{recipient.name}")
    return redirect("web:warning_detail", pk=warning.pk)


@require_POST
@page()
def resend_recipient(request: HttpRequest, pk: int, recipient_pk: int) -> HttpResponse:
    """Send a failed industry warning delivery again (重新发送)."""
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    recipient = get_object_or_404(warning.recipients, pk=recipient_pk)
    try:
        delivery.resend(recipient, request.user)
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已重新发送给{recipient.name}")
    return redirect("web:warning_detail", pk=warning.pk)


# ---------------------------------------------------------------- read receipts


@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    """A recipient confirms reading its industry warning by opening the link it was sent."""
    recipient = delivery.recipient_by_token(token)
    if recipient is None:
        raise Http404("回执链接无效")
    delivery.mark_read(recipient)
    return render(request, "warnings/receipt.html", {"recipient": recipient})


@require_GET
def receipt_document(request: HttpRequest, token: str) -> Any:
    """The recipient's copy of the industry warning (Word), by its receipt token."""
    recipient = delivery.recipient_by_token(token)
    if recipient is None:
        raise Http404("回执链接无效")
    try:
        content = warning_document(recipient.warning, WarningMode.INDUSTRY_WARNING)
    except DocumentError as exc:
        raise Http404(str(exc)) from exc
    return _attachment(render_docx(content), content.filename("docx"), DOCX_TYPE)


# ---------------------------------------------------------------- targets


class TargetsForm(forms.Form):
    """主送及处置区局 and 涉及行业 of a warning (预警对象)."""

    districts = forms.ModelMultipleChoiceField(
        label="主送及处置区局",
        queryset=District.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选则按影响范围确定：全市为各区，否则为预警所在区及风险信息涉及的区",
    )
    categories = forms.ModelMultipleChoiceField(
        label="涉及行业（产品类别）",
        queryset=ProductCategory.objects.filter(level__lte=2).order_by("code"),
        required=False,
        help_text="选定行业后，本市（或所选区）生产该类产品的企业可选为行业警示对象",
    )


def targets_form(warning: Warning, user: Any) -> TargetsForm | None:
    """The targets form for the warning page, if ``user`` may change them now."""
    if warning.status not in TARGETABLE_STATES or not getattr(user, "is_authenticated", False):
        return None
    if not user.has_role(*delivery.TARGETING_ROLES):
        return None
    return TargetsForm(
        prefix="targets",
        initial={
            "districts": list(warning.target_districts.all()),
            "categories": list(warning.target_categories.all()),
        },
    )


@require_POST
@page()
def targets(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form = TargetsForm(request.POST, prefix="targets")
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    try:
        set_targets(
            warning,
            request.user,
            districts=form.cleaned_data["districts"],
            categories=form.cleaned_data["categories"],
        )
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已保存预警对象")
    return redirect("web:warning_detail", pk=warning.pk)


# ---------------------------------------------------------------- product photos


class PhotoForm(forms.Form):
    image = forms.FileField(label="产品图片", help_text="JPEG、PNG、WebP 或 GIF，10MB 以内")
    caption = forms.CharField(label="图片说明", max_length=200, required=False)


@require_POST
@page()
def add_photo(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    form = PhotoForm(request.POST, request.FILES, prefix="photo")
    if form_refused(request, form):
        return redirect("web:warning_detail", pk=warning.pk)
    try:
        identification.add_photo(
            warning, request.user, form.cleaned_data["image"], form.cleaned_data["caption"]
        )
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已上传产品图片")
    return redirect("web:warning_detail", pk=warning.pk)


@require_POST
@page()
def remove_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    photo = get_object_or_404(warning.photos, pk=photo_pk)
    try:
        identification.remove_photo(photo, request.user)
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已删除产品图片")
    return redirect("web:warning_detail", pk=warning.pk)


def _image(photo: WarningPhoto) -> FileResponse:
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("图片文件不存在") from exc
    return FileResponse(handle, content_type=_image_type(photo.image.name))


def _image_type(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(
        suffix, "application/octet-stream"
    )


@require_GET
@login_required
def photo(request: HttpRequest, pk: int, photo_pk: int) -> Any:
    """A warning's product photo, for those who may see the warning."""
    if not can_use_pages(request.user):
        raise PermissionDenied("您的账户没有访问页面的角色。")
    warning = get_object_or_404(visible_warnings(request.user), pk=pk)
    return _image(get_object_or_404(warning.photos, pk=photo_pk))


# ---------------------------------------------------------------- public advisory pages


@require_GET
def public_advisory(request: HttpRequest, pk: int) -> HttpResponse:
    """One published consumer advisory (风险提示) for the public: no login, nothing internal
    (no reasons, evidence, enterprises named in the evidence or document numbers)."""
    warning = _published_advisory(pk)
    return render(
        request,
        "web/public_advisory.html",
        {"w": warning, "photos": warning.photos.all(), "ident": public_identification(warning)},
    )


@require_GET
def public_photo(request: HttpRequest, pk: int, photo_pk: int) -> Any:
    """A product photo of a published consumer advisory; any other photo is 404."""
    warning = _published_advisory(pk)
    return _image(get_object_or_404(warning.photos, pk=photo_pk))


def _published_advisory(pk: int) -> Warning:
    from pqrisk.web.feeds import published_advisory

    warning = published_advisory(pk)
    if warning is None:
        raise Http404("没有这条消费风险提示")
    return warning


def public_identification(warning: Warning) -> list[tuple[str, str]]:
    """What the public advisory shows to recognise the product: the bureau's own fields
    only (brands, models, batches) — never the evidence's enterprise names."""
    return [
        (label, value)
        for label, value in (
            ("品牌", warning.brands),
            ("型号规格", warning.product_models),
            ("批次/生产日期", warning.batches),
        )
        if value
    ]
