from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import (
    ATTENTION_CHOICES,
    RISK_LEVEL_CHOICES,
    AssessmentMethod,
    CaseOrigin,
    CaseStatus,
    EvidenceKind,
    EvidenceQuality,
)


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
    level = models.CharField("风险等级", max_length=20, choices=RISK_LEVEL_CHOICES)
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
        indexes = [models.Index(fields=["level"], name="assessment_level")]  # no LIKE copy

    def __str__(self) -> str:
        return f"{self.risk_info} → {self.get_level_display()}"


class AssessmentCase(models.Model):
    """An assessment case (评估任务): risk information, an event or a signal brought to the
    assessment centre, assessed (model, matrix, experts, lab results, consultation) and
    concluded with a level. The workflow is ``pqrisk.core.workflow.CASE_MACHINE``."""

    code = models.CharField("任务编号", max_length=30, unique=True)
    title = models.CharField("名称", max_length=200)
    status = models.CharField(
        "状态", max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPENED, db_index=True
    )
    origin = models.CharField("来源", max_length=20, choices=CaseOrigin.choices)
    risk_infos = models.ManyToManyField(
        "screening.RiskInfo", blank=True, related_name="cases", verbose_name="风险信息"
    )
    event = models.ForeignKey(
        "screening.Event",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="风险事件",
    )
    signal = models.JSONField("风险信号", default=dict, blank=True)
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="危害",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="涉及企业",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="所属区",
    )
    description = models.TextField("情况说明", blank=True)
    # The risk-judgement model's graded suggestion with each feature's contribution.
    model_suggestion = models.JSONField("模型研判建议", default=dict, blank=True)
    matrix_assessment = models.ForeignKey(
        Assessment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="风险矩阵评估",
    )
    expert_level = models.CharField(
        "专家评估等级", max_length=20, choices=RISK_LEVEL_CHOICES, blank=True
    )
    final_level = models.CharField(
        "结论等级", max_length=20, choices=RISK_LEVEL_CHOICES, blank=True
    )
    conclusion = models.TextField("结论说明", blank=True)
    conclusion_rule = models.TextField("定级规则", blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="立项人",
    )
    opened_at = models.DateTimeField("立项时间", auto_now_add=True)
    concluded_at = models.DateTimeField("结论时间", null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = verbose_name_plural = "评估任务"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CaseEvidence(models.Model):
    """Evidence attached to a case: an item, a lab result, a document or a photo."""

    case = models.ForeignKey(
        AssessmentCase, on_delete=models.CASCADE, related_name="evidence", verbose_name="评估任务"
    )
    kind = models.CharField("类型", max_length=20, choices=EvidenceKind.choices)
    title = models.CharField("名称", max_length=200)
    note = models.TextField("说明", blank=True)
    risk_info = models.ForeignKey(
        "screening.RiskInfo",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="风险信息",
    )
    file = models.FileField("文件", upload_to="cases/%Y/%m/", blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="添加人",
    )
    added_at = models.DateTimeField("添加时间", auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = verbose_name_plural = "评估证据"

    def __str__(self) -> str:
        return self.title


class JudgementOverride(models.Model):
    """An expert's change of the risk-judgement model's suggestion, with the reason; kept as
    training data for the next version of the model."""

    case = models.ForeignKey(
        AssessmentCase, on_delete=models.CASCADE, related_name="overrides", verbose_name="评估任务"
    )
    model_version = models.CharField("模型版本", max_length=40)
    suggested_level = models.CharField("模型建议等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    level = models.CharField("改定等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    reason = models.TextField("理由")
    features = models.JSONField("特征取值", default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="改定人",
    )
    created_at = models.DateTimeField("改定时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "研判建议改定"

    def __str__(self) -> str:
        return f"{self.case.code}: {self.suggested_level} → {self.level}"
