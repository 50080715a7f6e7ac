"""Summary tables of the dashboard (综合看板): small tables the panels read instead of the
million-row ones. They are derived data, rebuilt by ``summaries.refresh`` (Celery beat every
five minutes and on demand); deleting them loses nothing."""

from __future__ import annotations

from django.db import models


class Dimension(models.TextChoices):
    ALL = "all", "全部"
    FAMILY = "family", "产品大类"
    HAZARD = "hazard", "危害类型"


class DailyCount(models.Model):
    """Risk items (screened, neither duplicate nor noise) of one day in one district, in
    total (``all``) or per product family or hazard. ``district_code`` and ``key`` are empty
    for items without one."""

    day = models.DateField("日期")
    district_code = models.CharField("行政区划代码", max_length=6, blank=True)
    dimension = models.CharField("维度", max_length=10, choices=Dimension.choices)
    key = models.CharField("分类代码", max_length=40, blank=True)
    count = models.PositiveIntegerField("条数")

    class Meta:
        verbose_name = verbose_name_plural = "风险信息日汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "district_code", "dimension", "key"], name="one_daily_count"
            )
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="daily_count_by_dim")]

    def __str__(self) -> str:
        return f"{self.day} {self.district_code} {self.dimension}:{self.key} {self.count}"


class MatrixCell(models.Model):
    """Current assessments (the latest of each risk item) in one cell of the risk matrix
    (severity 1–4 × probability band 0–7), per district."""

    district_code = models.CharField("行政区划代码", max_length=6, blank=True)
    severity = models.PositiveSmallIntegerField("伤害严重程度")
    band = models.PositiveSmallIntegerField("概率档")
    count = models.PositiveIntegerField("条数")

    class Meta:
        verbose_name = verbose_name_plural = "风险矩阵汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["district_code", "severity", "band"], name="one_matrix_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_code} S{self.severity} B{self.band} {self.count}"


class SummaryState(models.Model):
    """How far the summaries have read: the highest risk item id counted, and when."""

    name = models.CharField("汇总", max_length=30, unique=True)
    last_risk_info_id = models.BigIntegerField("已汇总至风险信息ID", default=0)
    refreshed_at = models.DateTimeField("刷新时间", null=True, blank=True)
    seconds = models.FloatField("耗时（秒）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "看板汇总状态"

    def __str__(self) -> str:
        return f"{self.name} ≤{self.last_risk_info_id}"
