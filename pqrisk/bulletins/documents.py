"""An issue as .docx (python-docx, shared helpers) and PDF (WeasyPrint, from the editable
template ``bulletins/bulletin.html``; a copy under ``<PQRISK_VAR_DIR>/templates/bulletins/``
overrides the shipped one, as for the warning documents), with its charts embedded.

Both are made from a version's ``content`` (see ``services.version_content``): the same
content always lays out the same document.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from pqrisk.documents import docx as wd
from pqrisk.documents.pdf import html_to_pdf

from .charts import Chart, bulletin_charts, chart_unavailable

HTML_TEMPLATE = "bulletins/bulletin.html"
MASTHEAD = "产品质量安全资讯"
SIZE_BODY = 14.0  # 四号: a bulletin is read, not filed (公文 use 三号)
SIZE_HEADING = 16.0
SIZE_TABLE = 10.5  # 五号
SIZE_SMALL = 12.0
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the content as canonical JSON: equal content, equal hash."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def filename(content: dict[str, Any], extension: str) -> str:
    return f"产品质量安全资讯{content['issue']}{content['title']}.{extension}"


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def tables(key: str, data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The tables shown after a section's text: (caption, header, rows)."""
    if key == "warnings" and data["warnings"]["rows"]:
        return [
            (
                "本期发布的风险预警",
                ["等级", "预警", "涉及区", "发布日期"],
                [
                    [w["level_label"], w["title"], w["district"], w["published"]]
                    for w in data["warnings"]["rows"]
                ],
            )
        ]
    if key == "risks":
        out = []
        if data["risks"]["events"]:
            out.append(
                (
                    "本期信息最集中的风险事件",
                    ["风险事件", "信息数", "来源"],
                    [[e["title"], str(e["items"]), e["sources"]] for e in data["risks"]["events"]],
                )
            )
        if data["risks"]["cases"]:
            out.append(
                (
                    "结论为严重风险或高风险的评估任务",
                    ["编号", "名称", "结论", "结论日期"],
                    [
                        [c["code"], c["title"], c["level_label"], c["concluded"]]
                        for c in data["risks"]["cases"]
                    ],
                )
            )
        return out
    if key == "signals" and data["signals"]["rows"]:
        return [
            (
                "本期主要风险信号",
                ["信号", "类型", "时段", "观察/期望", "状态"],
                [
                    [
                        s["title"],
                        s["kind"],
                        s["period"],
                        f"{s['observed']}/{'—' if s['expected'] is None else s['expected']}",
                        s["status"],
                    ]
                    for s in data["signals"]["rows"]
                ],
            )
        ]
    if key == "disposal" and (data["disposal"]["reports"] or data["disposal"]["tasks_created"]):
        d = data["disposal"]
        return [
            (
                "处置情况",
                ["项目", "数量"],
                [
                    ["新下达处置任务（项）", str(d["tasks_created"])],
                    ["办结处置任务（项）", str(d["tasks_closed"])],
                    ["书面处置报告（份）", str(d["reports"])],
                    ["检查企业（家）", str(d["enterprises_checked"])],
                    ["下架/召回产品（件）", str(d["products_removed"])],
                    ["其中召回（件）", str(d["products_recalled"])],
                    ["行政处罚（件）", str(d["penalties"])],
                    ["罚没金额（元）", d["penalty_amount"]],
                ],
            )
        ]
    return []


@lru_cache(maxsize=8)
def _charts(data_json: str) -> tuple[Chart, ...]:
    """Charts of the data (JSON text): the .docx and the PDF of a version draw them once."""
    return tuple(bulletin_charts(json.loads(data_json)))


def _charts_by_section(content: dict[str, Any]) -> dict[str, list[Chart]]:
    out: dict[str, list[Chart]] = {}
    for chart in _charts(json.dumps(content["data"], ensure_ascii=False, sort_keys=True)):
        out.setdefault(chart.section, []).append(chart)
    return out


def render_docx(content: dict[str, Any]) -> bytes:
    """The issue as .docx: masthead, 期号 and date, red rule, title, sections with their
    tables and charts, issuer."""
    doc = wd.a4_document()
    wd.add_text(
        doc, MASTHEAD, font=wd.TITLE_FONT, size=wd.SIZE_ISSUER, colour=wd.RED, align=wd.CENTER
    )
    wd.add_text(doc, f"{content['issue']}（{content['kind_label']}）", align=wd.CENTER)
    wd.add_text(
        doc, f"{content['issuer']}　　　　{content['date']}", size=SIZE_SMALL, align=wd.CENTER
    )
    wd.add_red_rule(doc)
    wd.add_text(doc, content["title"], font=wd.TITLE_FONT, size=wd.SIZE_ER, align=wd.CENTER)
    wd.add_text(doc, f"统计期间：{content['period']}", size=SIZE_SMALL, align=wd.CENTER)
    charts = _charts_by_section(content)
    missing = chart_unavailable()
    with tempfile.TemporaryDirectory(prefix="pqrisk-bulletin-") as tmp:
        for i, section in enumerate(content["sections"]):
            wd.add_text(
                doc,
                f"{wd.NUMERALS[i]}、{section['heading']}",
                font=wd.HEADING_FONT,
                size=SIZE_HEADING,
            )
            for text in paragraphs(section["text"]):
                wd.add_text(doc, text, size=SIZE_BODY, indent=True)
            if section["key"] == "tips":
                _docx_tips(doc, content["data"]["tips"])
            for caption, header, rows in tables(section["key"], content["data"]):
                _docx_table(doc, caption, header, rows)
            for chart in charts.get(section["key"], []):
                path = Path(tmp) / f"{chart.key}.png"
                path.write_bytes(chart.png)
                wd.add_picture(doc, str(path), chart.caption)
            if missing and section["key"] == "overview":
                wd.add_text(doc, missing, size=SIZE_SMALL, align=wd.CENTER)
    wd.add_text(doc, "")
    wd.add_text(doc, f"{content['issuer']}编印", size=SIZE_BODY, align=wd.RIGHT)
    return wd.to_bytes(doc)


def _docx_tips(doc: Any, tips: list[dict[str, Any]]) -> None:
    for tip in tips:
        wd.add_text(doc, f"{tip['title']}（{tip['published']}）", size=SIZE_BODY, bold=True)
        for line in tip["advice"]:
            wd.add_text(doc, line, size=SIZE_BODY, indent=True)


def _docx_table(doc: Any, caption: str, header: list[str], rows: list[list[str]]) -> None:
    wd.add_text(doc, caption, font=wd.HEADING_FONT, size=SIZE_SMALL, align=wd.CENTER)
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _cell(cell, text)
    wd.add_text(doc, "", size=SIZE_SMALL)


def _cell(cell: Any, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    wd.set_font(paragraph.add_run(text), wd.BODY_FONT, SIZE_TABLE, bold=bold)


def pdf_context(content: dict[str, Any]) -> dict[str, Any]:
    """What the PDF template may use: the content, each section's paragraphs, tables and
    charts (as data: URIs, so the HTML needs no files)."""
    charts = _charts_by_section(content)
    sections = [
        {
            **section,
            "numeral": wd.NUMERALS[i],
            "paragraphs": paragraphs(section["text"]),
            "tables": tables(section["key"], content["data"]),
            "charts": [
                (f"data:image/png;base64,{base64.b64encode(c.png).decode('ascii')}", c.caption)
                for c in charts.get(section["key"], [])
            ],
        }
        for i, section in enumerate(content["sections"])
    ]
    return {
        "doc": content,
        "masthead": MASTHEAD,
        "sections": sections,
        "tips": content["data"]["tips"],
        "chart_message": chart_unavailable(),
    }


def render_pdf(content: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(HTML_TEMPLATE, pdf_context(content)))
