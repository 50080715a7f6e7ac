"""The lab sampling section of a case's report (``pqrisk.assessment.report``)."""

from __future__ import annotations

from pqrisk.assessment.models import AssessmentCase

from .models import TestItem


def lab_rows(case: AssessmentCase) -> list[str | list[list[str]]]:
    """Each sampling task with its test results; nothing when the case has none."""
    rows: list[str | list[list[str]]] = []
    for task in case.sampling_tasks.order_by("id"):
        rows.append(
            f"抽样任务 {task.code}（{task.get_status_display()}）："
            f"{task.product_name or '—'}，承检机构 {task.lab or '—'}。"
        )
        items = TestItem.objects.filter(sample__task=task).select_related("sample")
        if items:
            rows.append(
                [["样品", "检验项目", "检验依据", "限值", "实测值", "判定"]]
                + [
                    [
                        i.sample.code,
                        i.name,
                        i.standard,
                        f"{i.limit_text} {i.unit}".strip() or "—",
                        f"{i.measured_text} {i.unit}".strip(),
                        i.get_verdict_display(),
                    ]
                    for i in items.order_by("sample__code", "id")
                ]
            )
    return rows
