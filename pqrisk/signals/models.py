from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import Granularity, SignalKind, SignalStatus


class Signal(models.Model):
    """A statistical signal (风险信号) an analyst reviews: an alarm episode of one count series
    (product × hazard × district or city, one source or all), a disproportional product ×
    hazard pair, or a space-time cluster. It is dismissed with a reason or turned into an
    assessment case."""

    key = models.CharField("信号键", max_length=300, unique=True)
    # The count series (or pair, or scan) it belongs to: successive runs extend a signal of
    # the same series instead of opening another.
    series_key = models.CharField("序列键", max_length=200, db_index=True)
    kind = models.CharField("信号类型", max_length=20, choices=SignalKind.choices, db_index=True)
    methods = models.JSONField("检测方法", default=list)
    granularity = models.CharField(
        "时间粒度", max_length=10, choices=Granularity.choices, blank=True
    )
    source = models.CharField("信息来源", max_length=20, blank=True, help_text="空为合并各来源")
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name="产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name="危害类型",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name="区（空为全市）",
    )
    districts = models.JSONField("涉及区", default=list, blank=True)
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期", db_index=True)
    observed = models.FloatField("观察数")
    expected = models.FloatField("期望数", null=True, blank=True)
    score = models.FloatField("信号强度", default=0, help_text="观察数与阈值之比，或对数似然比")
    p_value = models.FloatField("P值", null=True, blank=True)
    title = models.CharField("标题", max_length=300)
    description = models.TextField("说明", blank=True)
    # What the page draws: [{date, count, expected, threshold, alarm}] (temporal), or the
    # metrics of a pair / the cluster's cells.
    series = models.JSONField("序列数据", default=list, blank=True)
    detail = models.JSONField("检测细节", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=SignalStatus.choices, default=SignalStatus.NEW, db_index=True
    )
    dismiss_reason = models.TextField("排除理由", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    case = models.ForeignKey(
        "assessment.AssessmentCase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signals",
        verbose_name="评估任务",
    )
    risk_infos = models.ManyToManyField(
        "screening.RiskInfo",
        related_name="statistical_signals",
        blank=True,
        verbose_name="相关信息",
    )
    detected_at = models.DateTimeField("首次发现", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-period_end", "-score", "-id"]
        verbose_name = verbose_name_plural = "风险信号"
        indexes = [models.Index(fields=["status", "-period_end"], name="signal_queue")]

    def __str__(self) -> str:
        return self.title


class DetectionRun(models.Model):
    """One scheduled (or manual) detection run, with what it looked at and found."""

    kind = models.CharField("类型", max_length=20)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    series = models.PositiveIntegerField("序列数", default=0)
    periods = models.PositiveIntegerField("期数", default=0)
    alarms = models.PositiveIntegerField("报警数", default=0)
    new_signals = models.PositiveIntegerField("新信号", default=0)
    updated_signals = models.PositiveIntegerField("更新信号", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)
    detail = models.JSONField("说明", default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "信号检测运行"

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"
