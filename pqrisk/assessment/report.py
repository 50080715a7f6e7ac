"""The assessment report (风险评估报告) of a case, as a Word document in Chinese.

Laid out after the usual style of Chinese official documents (GB/T 9704 公文格式 as far as a
report needs it): a title in 小标宋-style bold, body in 仿宋, headings numbered 一、二、三…,
A4 with the standard margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm). The fonts
are named in the document; Word or WPS on the reader's machine supplies them.

Sections other apps add to a case (expert ratings, lab results, meeting decisions) register a
``ReportSection`` with ``register_section``; the report includes every registered section
that has something to say about the case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from pqrisk.audit.services import history
from pqrisk.core.levels import RiskLevel
from pqrisk.documents.docx import (
    BODY_FONT,
    CENTER,
    HEADING_FONT,
    NUMERALS,
    SIZE_ER,
    TITLE_FONT,
    a4_document,
    add_text,
    set_font,
    to_bytes,
)
from pqrisk.intake.choices import SourceKind

from .choices import CASE_ACTION_LABELS, CaseOrigin, CaseStatus, EvidenceKind
from .models import AssessmentCase


@dataclass(frozen=True)
class ReportSection:
    """A section other apps contribute: ``rows(case)`` gives paragraphs (str) and tables
    (lists of rows, the first the header), or nothing to leave the section out."""

    order: int
    title: str
    rows: Callable[[AssessmentCase], list[str | list[list[str]]]]


_sections: list[ReportSection] = []


def register_section(section: ReportSection) -> None:
    if all(s.title != section.title for s in _sections):
        _sections.append(section)
        _sections.sort(key=lambda s: s.order)


class _Writer:
    def __init__(self) -> None:
        self.doc = a4_document()
        self.headings = 0

    def title(self, text: str) -> None:
        add_text(self.doc, text, font=TITLE_FONT, size=SIZE_ER, bold=True, align=CENTER)

    def heading(self, text: str) -> None:
        numeral = NUMERALS[self.headings] if self.headings < len(NUMERALS) else str(self.headings)
        self.headings += 1
        add_text(self.doc, f"{numeral}、{text}", font=HEADING_FONT)

    def para(self, text: str, *, indent: bool = True) -> None:
        add_text(self.doc, text, indent=indent)

    def table(self, rows: list[list[str]]) -> None:
        if not rows:
            return
        table = self.doc.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Table Grid"
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                cell.text = ""
                set_font(cell.paragraphs[0].add_run(str(value)), BODY_FONT, 12, bold=r == 0)

    def bytes(self) -> bytes:
        return to_bytes(self.doc)


def _level(value: str) -> str:
    return RiskLevel(value).label if value else "—"


def case_report(case: AssessmentCase) -> bytes:
    """The case's assessment report as .docx bytes."""
    w = _Writer()
    w.title("产品质量安全风险评估报告")
    w.para(f"任务编号：{case.code}　　状态：{CaseStatus(case.status).label}", indent=False)
    w.para(f"报告生成时间：{timezone.localtime():%Y年%m月%d日 %H:%M}", indent=False)

    w.heading("基本情况")
    facts = [
        ["项目", "内容"],
        ["任务名称", case.title],
        ["来源", CaseOrigin(case.origin).label],
        ["产品类别", case.product_category.name if case.product_category else "—"],
        ["主要危害", case.hazard.name if case.hazard else "—"],
        ["涉及企业", case.enterprise.name if case.enterprise else "—"],
        ["所属区", case.district.name if case.district else "—"],
        ["立项时间", f"{timezone.localtime(case.opened_at):%Y-%m-%d %H:%M}"],
    ]
    if case.event_id and case.event:
        facts.append(["风险事件", f"{case.event.title}（{case.event.item_count} 条信息）"])
    w.table(facts)
    if case.description:
        w.para(case.description)
    infos = list(case.risk_infos.all())
    if infos:
        sources = Counter(SourceKind(i.source_kind).label for i in infos)
        w.para(
            f"关联风险信息 {len(infos)} 条，来源："
            + "、".join(f"{k} {v} 条" for k, v in sources.most_common())
            + "。"
        )

    w.heading("证据")
    evidence = list(case.evidence.all())
    if evidence:
        w.table(
            [["序号", "类型", "名称", "说明"]]
            + [
                [str(n), EvidenceKind(e.kind).label, e.title, e.note or "—"]
                for n, e in enumerate(evidence, 1)
            ]
        )
    else:
        w.para("无。")

    w.heading("风险矩阵评估")
    matrix = case.matrix_assessment
    if matrix is not None:
        for line in matrix.explanation:
            w.para(str(line))
    else:
        w.para("尚未进行风险矩阵评估。")

    w.heading("模型研判建议")
    suggestion = case.model_suggestion or {}
    if suggestion.get("level"):
        version = suggestion.get("version", "—")
        w.para(f"模型（版本 {version}）建议等级：{_level(suggestion['level'])}。")
        contributions = suggestion.get("contributions") or []
        if contributions:
            w.table(
                [["因素", "取值", "贡献"]]
                + [
                    [
                        str(c.get("label", c.get("name", ""))),
                        str(c.get("value", "")),
                        f"{float(c.get('contribution', 0)):+.2f}",
                    ]
                    for c in contributions[:10]
                ]
            )
        for rule in suggestion.get("rules") or []:
            w.para(f"规则：{rule}")
        for override in case.overrides.all():
            w.para(
                f"{override.user or '—'} 将建议由{_level(override.suggested_level)}改定为"
                f"{_level(override.level)}，理由：{override.reason}"
            )
    else:
        w.para("无模型研判建议。")

    for section in _sections:
        rows = section.rows(case)
        if not rows:
            continue
        w.heading(section.title)
        for row in rows:
            if isinstance(row, str):
                w.para(row)
            else:
                w.table(row)

    w.heading("评估结论")
    if case.status == CaseStatus.CONCLUDED:
        w.para(f"风险等级：{_level(case.final_level)}。")
        if case.expert_level:
            w.para(f"专家评估等级：{_level(case.expert_level)}。")
        w.para(case.conclusion)
        if case.conclusion_rule:
            w.para(f"定级规则：{case.conclusion_rule}")
    else:
        w.para(f"评估尚未形成结论（当前状态：{CaseStatus(case.status).label}）。")

    w.heading("处理记录")
    w.table(
        [["时间", "操作人", "操作", "说明"]]
        + [
            [
                f"{timezone.localtime(e.at):%Y-%m-%d %H:%M}",
                e.actor_label,
                CASE_ACTION_LABELS.get(e.action, e.action),
                e.message,
            ]
            for e in history(case)
        ]
    )
    return w.bytes()
