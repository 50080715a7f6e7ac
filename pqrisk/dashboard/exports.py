"""A panel's table as CSV (UTF-8 with BOM, so that Excel reads the Chinese) or Excel."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from pqrisk.core.safe_export import SafeCsvWriter, neutralise

from .services import Panel

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    # Panels show names and titles that came from outside: no cell may run as a formula.
    return "" if value is None else neutralise(value)


def table(panel: Panel) -> list[list[Any]]:
    header = [neutralise(label) for _, label in panel.columns]
    return [header, *([_cell(row.get(key)) for key, _ in panel.columns] for row in panel.rows)]


def to_csv(panel: Panel) -> bytes:
    out = io.StringIO()
    SafeCsvWriter(out).writerows(table(panel))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(panel: Panel) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = panel.title[:31]
    sheet.append([neutralise(f"{panel.title}（{panel.scope}）")])
    sheet["A1"].font = Font(bold=True)
    for row in table(panel):
        sheet.append(row)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(panel: Panel, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise ValueError("格式须为 csv 或 xlsx")
    body = to_csv(panel) if fmt == "csv" else to_xlsx(panel)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"dashboard-{panel.name}-{stamp}.{fmt}"
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
