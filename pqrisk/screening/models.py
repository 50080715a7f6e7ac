from __future__ import annotations

from django.db import models

from pqrisk.intake.choices import SourceKind

from .choices import RiskInfoStatus


class RiskInfo(models.Model):
    """A raw item after screening: normalised, de-duplicated, structured and tagged."""

    raw_item = models.OneToOneField(
        "intake.RawItem",
        on_delete=models.PROTECT,
        related_name="risk_info",
        verbose_name="原始信息",
    )
    source_kind = models.CharField(
        "来源类型", max_length=20, choices=SourceKind.choices, db_index=True
    )
    status = models.CharField(
        "状态",
        max_length=30,
        choices=RiskInfoStatus.choices,
        db_index=True,
        default=RiskInfoStatus.PENDING_ASSESSMENT,
    )
    title = models.CharField("标题", max_length=300)
    text = models.TextField("正文", blank=True)
    occurred_at = models.DateTimeField("发生时间", null=True, blank=True, db_index=True)
    content_hash = models.CharField("内容指纹", max_length=64, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name="重复于",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_infos",
        verbose_name="所属区",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_infos",
        verbose_name="涉及企业",
    )
    enterprise_name = models.CharField("企业名称（原文）", max_length=200, blank=True)
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_infos",
        verbose_name="产品类别",
    )
    product_name = models.CharField("产品名称", max_length=200, blank=True)
    product = models.ForeignKey(
        "enterprises.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_infos",
        verbose_name="涉及产品（企业+品牌+型号）",
    )
    brand = models.CharField("品牌", max_length=100, blank=True)
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_infos",
        verbose_name="主要危害",
    )
    tags = models.JSONField("标签", default=dict, blank=True)
    signals = models.JSONField("风险信号", default=list, blank=True)
    severity_hint = models.PositiveSmallIntegerField("伤害程度提示", null=True, blank=True)
    screened_at = models.DateTimeField("筛查时间", auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = verbose_name_plural = "风险信息"
        indexes = [models.Index(fields=["product_category", "hazard", "status"])]

    def __str__(self) -> str:
        return self.title
