"""Risk communication records (风险交流): interviews, experts' popular-science pieces, media
briefings and the like, each linked to the risks it spoke about."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pqrisk.core.filenames import stored_name

from .choices import ActivityKind


def attachment_path(instance: CommunicationActivity, filename: str) -> str:
    """Stored under a random name (the original name may be internal); the suffix is kept."""
    return stored_name("communication", filename)


class CommunicationActivity(models.Model):
    """One communication activity (风险交流活动) and the risks it concerned."""

    kind = models.CharField("形式", max_length=20, choices=ActivityKind.choices, db_index=True)
    title = models.CharField("标题", max_length=200)
    held_on = models.DateField("日期", db_index=True)
    participants = models.TextField("参与人员", blank=True, help_text="发言人、专家、记者等")
    audience = models.CharField("受众", max_length=200, blank=True, help_text="公众、媒体、行业等")
    summary = models.TextField("内容摘要", blank=True)
    link = models.URLField("链接", max_length=500, blank=True, help_text="报道或发布页面的网址")
    attachment = models.FileField("附件", upload_to=attachment_path, max_length=200, blank=True)
    attachment_name = models.CharField("附件原名", max_length=200, blank=True)
    warnings = models.ManyToManyField(
        "warnings.Warning",
        blank=True,
        related_name="communication_activities",
        verbose_name="关联预警",
    )
    cases = models.ManyToManyField(
        "assessment.AssessmentCase",
        blank=True,
        related_name="communication_activities",
        verbose_name="关联评估任务",
    )
    signals = models.ManyToManyField(
        "signals.Signal",
        blank=True,
        related_name="communication_activities",
        verbose_name="关联风险信号",
    )
    product_categories = models.ManyToManyField(
        "reference.ProductCategory",
        blank=True,
        related_name="communication_activities",
        verbose_name="涉及产品类别",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "风险交流活动"

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_kind_display()}：{self.title}"
