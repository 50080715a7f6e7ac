from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import DISPOSAL_STATE_CHOICES, WARNING_LEVEL_CHOICES


class DisposalTask(models.Model):
    """Disposal of a warning by one district (or organised by the city bureau), with clocks."""

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
    routes = models.JSONField("处置路径", default=list)
    instructions = models.TextField("处置要求", blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=DISPOSAL_STATE_CHOICES, default="open", db_index=True
    )
    due_at = models.DateTimeField("处置时限", null=True, blank=True)
    report_due_at = models.DateTimeField("书面报告时限", null=True, blank=True)
    escalations = models.PositiveSmallIntegerField("督办次数", default=0)
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


class Feedback(models.Model):
    """The district's written report on a disposal task: what was done and found."""

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

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "处置反馈"

    def __str__(self) -> str:
        return f"{self.task} 反馈"
