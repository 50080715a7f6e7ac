"""Pages of 长三角 (Yangtze River Delta) sharing: packages sent and received, the import of a
partner's package, the export of a warning, and the partner registry.

City-wide users see the packages; city supervisors and admins export (and download what was
sent); city admins import and keep the registry. Services in ``pqrisk.exchange.yrd`` do the
work and the auditing; these views show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.audit.services import history
from pqrisk.exchange import yrd
from pqrisk.exchange.choices import PackageDirection, PackageStatus
from pqrisk.exchange.keys import SigningKeyError, key_path, own_key_id, own_public_key
from pqrisk.exchange.models import Partner
from pqrisk.exchange.services import own_producer
from pqrisk.warnings.models import Warning

from .feedback import service_error
from .forms import PlainForm
from .views import page

PAGE_SIZE = 50
READ_BLOCK = 64 * 1024
ITEMS_SHOWN = 200


class PackageUploadForm(PlainForm):
    file = forms.FileField(
        label="共享包文件",
        help_text="合作单位签发的长三角共享包（.json，含签名）；签名、来源和顺序核验通过后才导入",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() != ".json":
            raise forms.ValidationError("共享包应为 .json 文件")
        return upload


class PartnerForm(PlainForm):
    code = forms.CharField(label="单位代码", max_length=32, help_text="双方约定，如 ZJAMR")
    name = forms.CharField(label="单位名称", max_length=100)
    province = forms.CharField(label="省市", max_length=20, help_text="如 浙江省")
    public_key = forms.CharField(
        label="签名公钥",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="对方提供的 Ed25519 公钥：44个字符的 Base64 文本，或 PEM 格式",
    )
    contact = forms.CharField(label="联系方式", max_length=200, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)


def _own_key() -> dict[str, str] | None:
    """Our public key for partners, when a key exists (never created by viewing a page)."""
    if not key_path().exists():
        return None
    try:
        return {"public_key": own_public_key(), "key_id": own_key_id()}
    except SigningKeyError:
        return None


@require_GET
@page(city_only=True)
def exchange_list(request: HttpRequest) -> HttpResponse:
    """Packages sent and received (收件箱 of the partners' packages), newest first."""
    direction = request.GET.get("direction", "")
    if direction not in PackageDirection.values:
        direction = ""
    packages = yrd.dao_packages(direction or None)
    page_obj = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/exchange_list.html",
        {
            "page_obj": page_obj,
            "direction": direction,
            "directions": PackageDirection.choices,
            "may_import": yrd.may_import(request.user),
            "form": PackageUploadForm(),
            "partners": Partner.objects.filter(active=True).count(),
        },
    )


@require_POST
@page(city_only=True)
def exchange_import(request: HttpRequest) -> HttpResponse:
    """Import a partner's package; a refusal is shown with its reason (the file is kept in
    the quarantine) on the package's page."""
    if not yrd.may_import(request.user):
        raise PermissionDenied("只有市局管理员可以导入长三角共享包。")
    form = PackageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "；".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"未导入：{errors}")
        return redirect("web:exchange_list")
    upload = form.cleaned_data["file"]
    data = bytearray()
    for chunk in upload.chunks(READ_BLOCK):
        data += chunk
        if len(data) > yrd.MAX_PACKAGE_BYTES:
            break  # the service refuses it as too large, keeping its beginning
    row = yrd.import_package_bytes(bytes(data), Path(upload.name).name, user=request.user)
    if row.status == PackageStatus.ACCEPTED:
        messages.success(request, yrd.outcome_zh(row))
    else:
        messages.error(request, yrd.outcome_zh(row))
    return redirect("web:exchange_detail", pk=row.pk)


@require_GET
@page(city_only=True)
def exchange_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One package: the warning and disposal it carries, its chain and signature, and (for a
    received one) what became of its records here."""
    row = get_object_or_404(yrd.dao_packages(), pk=pk)
    body = row.body
    items = list(yrd.imported_items(row)[:ITEMS_SHOWN])
    return render(
        request,
        "web/exchange_detail.html",
        {
            "package": row,
            "header": row.document.get("header") or {},
            "warning": body.get("warning") or {},
            "disposal": body.get("disposal") or {},
            "records": body.get("records") or [],
            "items": items,
            "may_download": bool(row.content) and yrd.may_export(request.user),
            "trail": history(row),
        },
    )


@require_GET
@page(city_only=True)
def exchange_download(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(yrd.dao_packages(), pk=pk)
    try:
        name, text = yrd.package_file(row, request.user)
    except yrd.ExchangeError as exc:
        service_error(request, exc)
        return redirect("web:exchange_detail", pk=pk)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@page(city_only=True)
def exchange_export(request: HttpRequest, warning_pk: int) -> HttpResponse:
    """Sign and store a package of a published warning (the warning page's button)."""
    warning = get_object_or_404(Warning, pk=warning_pk)
    try:
        row = yrd.export_package(warning, user=request.user)
    except (yrd.ExchangeError, SigningKeyError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:warning_detail", pk=warning_pk)
    messages.success(
        request,
        f"已签发长三角共享包 {row.package_id}（第 {row.sequence} 号），"
        "请下载后通过约定渠道发送给合作单位",
    )
    return redirect("web:exchange_detail", pk=row.pk)


@page(city_only=True)
def exchange_partners(request: HttpRequest) -> HttpResponse:
    """The partner registry (合作单位): register or update a partner and its key; our own
    public key to give to partners."""
    may_manage = yrd.may_import(request.user)
    form = PartnerForm(initial={"active": True})
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("只有市局管理员可以登记合作单位。")
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                partner = yrd.register_partner(user=request.user, **form.cleaned_data)
            except yrd.ExchangeError as exc:
                form.add_error(None, exc.message_zh)
            else:
                messages.success(request, f"已保存合作单位 {partner}，公钥指纹 {partner.key_id}")
                return redirect("web:exchange_partners")
        messages.error(request, "未保存：请检查标出的内容。")
    return render(
        request,
        "web/exchange_partners.html",
        {
            "partners": Partner.objects.all(),
            "form": form,
            "may_manage": may_manage,
            "own": _own_key(),
            "producer": own_producer(),
        },
    )


@require_POST
@page(city_only=True)
def exchange_partner_active(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        yrd.set_partner_active(partner, active, user=request.user)
    except PermissionDenied as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"合作单位 {partner} 已{'启用' if active else '停用'}")
    return redirect("web:exchange_partners")
