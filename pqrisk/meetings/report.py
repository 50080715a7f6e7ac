"""The consultation section of a case's report (``pqrisk.assessment.report``)."""

from __future__ import annotations

from django.utils import timezone

from pqrisk.assessment.models import AssessmentCase
from pqrisk.core.levels import RiskLevel, WarningLevel

from .models import AgendaItem


def meeting_rows(case: AssessmentCase) -> list[str | list[list[str]]]:
    """The meetings the case was on and their decisions; nothing when none."""
    rows: list[str | list[list[str]]] = []
    items = AgendaItem.objects.filter(case=case).select_related("meeting").order_by("id")
    for item in items:
        meeting = item.meeting
        when = timezone.localtime(meeting.scheduled_at)
        rows.append(
            f"{meeting.get_kind_display()} {meeting.code}《{meeting.title}》，"
            f"{when:%Y年%m月%d日}，{meeting.get_status_display()}。"
        )
        decision = getattr(item, "decision", None)
        if decision is None:
            continue
        facts = [["项目", "内容"], ["研判风险等级", RiskLevel(decision.level).label]]
        facts.append(["研判结论", decision.conclusion])
        if decision.warning_level:
            facts.append(["预警等级", WarningLevel(decision.warning_level).label])
            facts.append(["处置措施", decision.measures or "—"])
            facts.append(["责任部门/单位", decision.owners or "—"])
            facts.append(
                ["完成时限", f"{decision.deadline:%Y-%m-%d}" if decision.deadline else "—"]
            )
        if decision.dissent:
            facts.append(["不同意见", decision.dissent])
        rows.append(facts)
    return rows
