"""Choices of disposal, each with its Chinese label; the clocks are in
``pqrisk.core.disposal.clocks`` (one table, overridable in settings)."""

from __future__ import annotations

from django.db import models

from pqrisk.core.disposal.clocks import EscalationLevel
from pqrisk.core.levels import DisposalRoute, WarningLevel
from pqrisk.core.workflow import DISPOSAL_MACHINE

DISPOSAL_STATE_CHOICES = list(DISPOSAL_MACHINE.states.items())
ROUTE_CHOICES = DisposalRoute.choices()
WARNING_LEVEL_CHOICES = WarningLevel.choices()
ESCALATION_CHOICES = EscalationLevel.choices()
OPEN_STATES = ("open", "in_progress", "completed")
# States whose disposal clock (due_at) runs; the report clock runs in "completed".
DUE_CLOCK_STATES = ("open", "in_progress")
ORGANISER_LABELS = {"city": "市局组织", "district": "区局处置"}

# Attachments of a written report (处置报告附件): scans, photos, documents. The cap keeps one
# upload below what a district office's connection sends in reasonable time (project default).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_REPORT = 5
ATTACHMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".zip")


class RouteStatus(models.TextChoices):
    OPEN = "open", "待办理"
    DONE = "done", "已办结"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "处置即将到期"
    REPORT_DUE_SOON = "report_due_soon", "书面报告即将到期"
    ROUTE_DUE_SOON = "route_due_soon", "联动事项即将到期"
    FOLLOW_UP_DUE_SOON = "follow_up_due_soon", "跟踪检查即将到期"
    ESCALATED = "escalated", "逾期督办"
    ROUTE_OVERDUE = "route_overdue", "联动事项逾期"
    TRACKING_CHECK = "tracking_check", "跟踪监测到期"


class EnterpriseOutcomeKind(models.TextChoices):
    """What disposal found at one enterprise; read by enterprise grading (issue 10)."""

    COMPLIANT = "compliant", "检查未发现问题"
    RECTIFIED = "rectified", "责令整改"
    REMOVED = "removed", "下架/停止销售"
    RECALLED = "recalled", "实施召回"
    PENALISED = "penalised", "行政处罚"
    CASE_OPENED = "case_opened", "立案调查"

    @property
    def adverse(self) -> bool:
        return self != EnterpriseOutcomeKind.COMPLIANT


class WarningAdvice(models.TextChoices):
    """What the report proposes for the warning; a city user's "lift" lifts it."""

    KEEP = "keep", "维持预警"
    LIFT = "lift", "解除预警"
    RAISE = "raise", "建议提高预警等级"


class TrackingStatus(models.TextChoices):
    TRACKING = "tracking", "跟踪监测中"
    ENDED = "ended", "已结束跟踪"


class TrackingConclusion(models.TextChoices):
    CONTINUE = "continue", "继续跟踪"
    END = "end", "风险已消除，结束跟踪"
    RAISE = "raise", "风险上升，建议重新评估"
