from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import ATTENTION_CHOICES, RISK_LEVEL_CHOICES, AssessmentMethod, EvidenceQuality


class Assessment(models.Model):
    """A risk level for one piece of risk information, with how it was reached."""

    risk_info = models.ForeignKey(
        "screening.RiskInfo",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name="风险信息",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name="所属区",
    )
    method = models.CharField("方法", max_length=30, choices=AssessmentMethod.choices)
    severity = models.PositiveSmallIntegerField("伤害严重程度（1-4）")
    steps = models.JSONField("伤害情景步骤", default=list)
    probability = models.FloatField("发生概率")
    probability_low = models.FloatField("概率下限")
    probability_high = models.FloatField("概率上限")
    band = models.PositiveSmallIntegerField("概率档")
    base_level = models.CharField("矩阵等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    level = models.CharField("风险等级", max_length=20, choices=RISK_LEVEL_CHOICES, db_index=True)
    level_low = models.CharField("下限等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    level_high = models.CharField("上限等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    uncertainty_changes_level = models.BooleanField("不确定性影响等级", default=False)
    exposed_units = models.PositiveIntegerField("涉及数量", null=True, blank=True)
    vulnerable_users = models.BooleanField("涉及脆弱人群", default=False)
    evidence_quality = models.CharField(
        "证据质量", max_length=10, choices=EvidenceQuality.choices, default=EvidenceQuality.MEDIUM
    )
    attention = models.CharField("社会关注度", max_length=20, choices=ATTENTION_CHOICES)
    explanation = models.JSONField("评估说明", default=list)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="评估人",
    )
    created_at = models.DateTimeField("评估时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "风险评估"

    def __str__(self) -> str:
        return f"{self.risk_info} → {self.get_level_display()}"
