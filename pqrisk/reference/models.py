"""Reference data: districts, the product catalogue and the hazard taxonomy.

The rows come from the versioned files in pqrisk/taxonomy/data and are loaded by a data
migration (and again by ``pqrisk load-reference`` after the files change).
"""

from __future__ import annotations

from django.db import models


class District(models.Model):
    """A district bureau's area: one of the 16 districts of Shanghai or 临港新片区."""

    code = models.CharField("行政区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)
    short_name = models.CharField("简称", max_length=10)
    kind = models.CharField("类型", max_length=20, default="district")

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区"

    def __str__(self) -> str:
        return self.name


class ProductCategory(models.Model):
    """A node of the industrial product catalogue (family → class → product)."""

    code = models.CharField("产品代码", max_length=12, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级类别",
    )
    level = models.PositiveSmallIntegerField("层级")
    name = models.CharField("名称", max_length=60)
    keywords = models.JSONField("关键词", default=list, blank=True)
    safety_gate_category = models.CharField("欧盟Safety Gate类别", max_length=80, blank=True)
    neiss_codes = models.JSONField("NEISS产品代码", default=list, blank=True)
    ccc = models.BooleanField("CCC强制性认证", default=False)
    licensed = models.BooleanField("生产许可证管理", default=False)
    vulnerable_users = models.BooleanField("面向脆弱人群", default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "产品类别"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HazardType(models.Model):
    """A kind of harm a product can do, mapped to EU Safety Gate and CPSC vocabularies."""

    code = models.CharField("危害代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    description = models.TextField("说明", blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    safety_gate_risk_types = models.JSONField("Safety Gate风险类型", default=list, blank=True)
    cpsc_hazards = models.JSONField("CPSC危害标签", default=list, blank=True)
    default_severity = models.PositiveSmallIntegerField("默认严重程度", default=2)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "危害类型"

    def __str__(self) -> str:
        return self.name
