"""Disposal (处置, METHODS §3): a task per warning × district, the routed actions it carries,
its clocks' reminders and escalations, its reassignments, the written report with
attachments and per-enterprise outcomes, and the tracking of green warnings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pqrisk.core.filenames import stored_name

from .choices import (
    DISPOSAL_STATE_CHOICES,
    ESCALATION_CHOICES,
    ROUTE_CHOICES,
    WARNING_LEVEL_CHOICES,
    EnterpriseOutcomeKind,
    ReminderKind,
    RouteStatus,
    TrackingConclusion,
    TrackingStatus,
    WarningAdvice,
)


class DisposalTask(models.Model):
    """Disposal of a warning in one district (organised by the city bureau for red and
    orange), with its clocks; the routed actions are ``TaskRoute`` rows."""

    warning = models.ForeignKey(
        "warnings.Warning", on_delete=models.PROTECT, related_name="tasks", verbose_name="预警"
    )
    district = models.ForeignKey(
        "reference.District",
        on_delete=models.PROTECT,
        related_name="disposal_tasks",
        verbose_name="承办区局",
    )
    level = models.CharField("预警等级", max_length=10, choices=WARNING_LEVEL_CHOICES)
    organiser = models.CharField("组织单位", max_length=20, help_text="city 市局 / district 区局")
    # The routes this task carries (mirrors its TaskRoute rows, for lists and the API).
    routes = models.JSONField("处置路径", default=list)
    # The lead task carries the routes that concern the product as a whole (召回、认证、标准…).
    lead = models.BooleanField("牵头任务", default=False)
    participants = models.JSONField("参与单位", default=list, blank=True)
    instructions = models.TextField("处置要求", blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=DISPOSAL_STATE_CHOICES, default="open", db_index=True
    )
    due_at = models.DateTimeField("处置时限", null=True, blank=True, db_index=True)
    report_due_at = models.DateTimeField("书面报告时限", null=True, blank=True)
    escalations = models.PositiveSmallIntegerField("督办次数", default=0)
    escalation_level = models.PositiveSmallIntegerField(
        "督办层级", choices=ESCALATION_CHOICES, default=0
    )
    escalated_at = models.DateTimeField("最近督办", null=True, blank=True)
    created_at = models.DateTimeField("下达时间", auto_now_add=True)
    started_at = models.DateTimeField("开始处置", null=True, blank=True)
    completed_at = models.DateTimeField("处置完成", null=True, blank=True)
    reported_at = models.DateTimeField("报告时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "处置任务"
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "district"], name="one_task_per_warning_district"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district} · {self.warning}"


class TaskRoute(models.Model):
    """One routed action of a task (联动处置事项): inspection, notice to the certification
    body, enforcement case, recall supervision, standards feedback or 长三角 sharing, with its
    handling unit, clock and result."""

    task = models.ForeignKey(
        DisposalTask, on_delete=models.CASCADE, related_name="route_items", verbose_name="处置任务"
    )
    route = models.CharField("处置路径", max_length=20, choices=ROUTE_CHOICES)
    unit = models.CharField("承办单位", max_length=200)
    status = models.CharField(
        "状态", max_length=10, choices=RouteStatus.choices, default=RouteStatus.OPEN
    )
    due_at = models.DateTimeField("办理时限", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    # 文号 of the notice, 案号 of the enforcement case, number of the recall filing …
    reference = models.CharField("文号/案号", max_length=100, blank=True)
    counterpart = models.CharField("对接单位", max_length=200, blank=True)
    result = models.TextField("办理结果", blank=True)
    follow_up_due_at = models.DateTimeField("跟踪检查时限", null=True, blank=True)
    follow_up_done_at = models.DateTimeField("跟踪检查时间", null=True, blank=True)
    follow_up_result = models.TextField("跟踪检查结果", blank=True)

    class Meta:
        ordering = ["task", "id"]
        verbose_name = verbose_name_plural = "联动处置事项"
        constraints = [models.UniqueConstraint(fields=["task", "route"], name="one_route_per_task")]

    def __str__(self) -> str:
        return f"{self.get_route_display()} · {self.unit}"

    @property
    def district_id(self) -> int:
        """Audit events of a route belong to its task's district."""
        return self.task.district_id


class RecallProgress(models.Model):
    """A progress record of a supervised recall (召回进度): units recovered of the units in
    use when the recall began; effectiveness = recovered / in use (GB/T 40993 style)."""

    route_item = models.ForeignKey(
        TaskRoute, on_delete=models.CASCADE, related_name="recall_progress", verbose_name="召回事项"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="记录人",
    )
    units_in_use = models.PositiveIntegerField("在用（应召回）数量")
    units_recovered = models.PositiveIntegerField("已召回数量")
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        ordering = ["route_item", "recorded_at", "id"]
        verbose_name = verbose_name_plural = "召回进度"

    def __str__(self) -> str:
        return f"{self.units_recovered}/{self.units_in_use}"

    @property
    def effectiveness(self) -> float | None:
        from pqrisk.core.disposal.clocks import recall_effectiveness

        return recall_effectiveness(self.units_recovered, self.units_in_use)


class TaskReminder(models.Model):
    """A reminder or escalation of a clock, one per clock, deadline and step (``key``)."""

    key = models.CharField("提醒键", max_length=200, unique=True)
    task = models.ForeignKey(
        DisposalTask, on_delete=models.CASCADE, related_name="reminders", verbose_name="处置任务"
    )
    route_item = models.ForeignKey(
        TaskRoute,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name="联动事项",
    )
    kind = models.CharField("类型", max_length=30, choices=ReminderKind.choices)
    deadline = models.DateTimeField("时限")
    escalation_level = models.PositiveSmallIntegerField(
        "督办层级", choices=ESCALATION_CHOICES, default=0
    )
    step = models.PositiveSmallIntegerField("督办轮次", default=0)
    message = models.CharField("内容", max_length=500)
    created_at = models.DateTimeField("提醒时间")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "处置时限提醒与督办"

    def __str__(self) -> str:
        return self.message


class TaskReassignment(models.Model):
    """A task moved to another district by the city bureau (改派); the old district is kept."""

    task = models.ForeignKey(
        DisposalTask,
        on_delete=models.CASCADE,
        related_name="reassignments",
        verbose_name="处置任务",
    )
    from_district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="原承办区局"
    )
    to_district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="新承办区局"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="改派人",
    )
    at = models.DateTimeField("改派时间", auto_now_add=True)
    reason = models.CharField("改派理由", max_length=500)
    from_status = models.CharField("改派时状态", max_length=20, choices=DISPOSAL_STATE_CHOICES)

    class Meta:
        ordering = ["task", "at", "id"]
        verbose_name = verbose_name_plural = "处置任务改派记录"

    def __str__(self) -> str:
        return f"{self.from_district} → {self.to_district}"


class Feedback(models.Model):
    """The written disposal report (书面处置报告): what was done and found, in numbers."""

    task = models.ForeignKey(
        DisposalTask, on_delete=models.PROTECT, related_name="feedback", verbose_name="处置任务"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="报告人",
    )
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    measures = models.TextField("采取措施")
    findings = models.TextField("处置结果", blank=True)
    enterprises_checked = models.PositiveIntegerField("检查企业数", default=0)
    products_removed = models.PositiveIntegerField("下架/召回产品数", default=0)
    products_recalled = models.PositiveIntegerField("其中召回产品数", default=0)
    penalties = models.PositiveIntegerField("行政处罚（件）", default=0)
    penalty_amount = models.DecimalField(
        "罚没金额（元）", max_digits=14, decimal_places=2, default=0
    )
    late = models.BooleanField("超时提交", default=False)
    warning_advice = models.CharField(
        "对预警的意见", max_length=10, choices=WarningAdvice.choices, default=WarningAdvice.KEEP
    )
    warning_note = models.TextField("预警意见说明", blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "处置反馈"

    def __str__(self) -> str:
        return f"{self.task} 反馈"


def attachment_path(instance: FeedbackAttachment, filename: str) -> str:
    """Stored under a random name; the original name is kept in ``name``."""
    return stored_name("disposal/feedback", filename)


class FeedbackAttachment(models.Model):
    feedback = models.ForeignKey(
        Feedback, on_delete=models.CASCADE, related_name="attachments", verbose_name="处置反馈"
    )
    file = models.FileField("文件", upload_to=attachment_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["feedback", "id"]
        verbose_name = verbose_name_plural = "处置报告附件"

    def __str__(self) -> str:
        return self.name


class EnterpriseOutcome(models.Model):
    """What disposal found at one enterprise, from a written report: the enterprise's record
    that credit-risk grading reads (issue 10)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        related_name="disposal_outcomes",
        verbose_name="企业",
    )
    task = models.ForeignKey(
        DisposalTask, on_delete=models.PROTECT, related_name="outcomes", verbose_name="处置任务"
    )
    feedback = models.ForeignKey(
        Feedback, on_delete=models.PROTECT, related_name="outcomes", verbose_name="处置反馈"
    )
    warning = models.ForeignKey(
        "warnings.Warning", on_delete=models.PROTECT, related_name="+", verbose_name="预警"
    )
    outcome = models.CharField("处置结论", max_length=20, choices=EnterpriseOutcomeKind.choices)
    penalty_amount = models.DecimalField(
        "罚没金额（元）", max_digits=14, decimal_places=2, default=0
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = verbose_name_plural = "企业处置结果"
        constraints = [
            models.UniqueConstraint(
                fields=["feedback", "enterprise"], name="one_outcome_per_report_enterprise"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_outcome_display()}"


class TrackingItem(models.Model):
    """Continued monitoring of a green warning (持续跟踪监测): no task, follow-up checks."""

    warning = models.OneToOneField(
        "warnings.Warning",
        on_delete=models.PROTECT,
        related_name="tracking",
        verbose_name="预警",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracking_items",
        verbose_name="所属区（空为全市）",
    )
    status = models.CharField(
        "状态", max_length=10, choices=TrackingStatus.choices, default=TrackingStatus.TRACKING
    )
    started_at = models.DateTimeField("开始跟踪")
    next_check_at = models.DateTimeField("下次跟踪检查", null=True, blank=True)
    ended_at = models.DateTimeField("结束跟踪", null=True, blank=True)
    # The check date last reminded of, so each due check is reminded of once.
    reminded_for = models.DateTimeField("已提醒的检查日期", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "跟踪监测事项"

    def __str__(self) -> str:
        return f"跟踪监测 · {self.warning}"


class TrackingCheck(models.Model):
    """A follow-up check of a tracked warning."""

    item = models.ForeignKey(
        TrackingItem, on_delete=models.CASCADE, related_name="checks", verbose_name="跟踪事项"
    )
    checked_at = models.DateTimeField("检查时间", auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="检查人",
    )
    finding = models.TextField("检查情况")
    conclusion = models.CharField(
        "结论",
        max_length=10,
        choices=TrackingConclusion.choices,
        default=TrackingConclusion.CONTINUE,
    )

    class Meta:
        ordering = ["item", "checked_at", "id"]
        verbose_name = verbose_name_plural = "跟踪检查"

    def __str__(self) -> str:
        return f"{self.item} · {self.get_conclusion_display()}"
