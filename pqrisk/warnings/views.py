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
from pqrisk.web.context import can_use_pages
from pqrisk.web.feedback import form_refused, service_error
from pqrisk.web.views import page

from . import delivery
from .api import visible_warnings
from .documents import DocumentContent, DocumentError, render_docx, render_pdf, warning_document
from .models import RecipientKind, Warning
from .services import WarningError

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name") or "").strip() and not data.get("enterprise"):
            raise forms.ValidationError("请填写单位名称或选择涉及企业")
        return data


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
