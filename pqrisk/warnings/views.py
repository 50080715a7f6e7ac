"""Download a warning's official document (预警文书) as .docx or PDF.

Only the bureau's people with a page role, and only warnings they may see
(``visible_warnings``): anything else is 404, so that a district cannot probe another's.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from pqrisk.core.levels import WarningMode
from pqrisk.documents.pdf import pdf_unavailable
from pqrisk.web.context import can_use_pages

from .api import visible_warnings
from .documents import DocumentContent, DocumentError, render_docx, render_pdf, warning_document

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
