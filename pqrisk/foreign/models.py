"""Foreign recall alerts (境外通报): EU Safety Gate alerts and US CPSC recalls about products,
tagged in our terms and matched to local enterprises.

Each ``ForeignAlert`` is one raw item of source ``foreign_recall`` (the raw item keeps the
alert exactly as received; the alert adds what tagging and matching made of it). A
``ForeignMatch`` is one candidate local enterprise for an alert with its confidence, evidence
and review state; an ``EnterpriseAlias`` is an English, foreign-language or pinyin name or
brand under which a local enterprise appears abroad.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import AlertOrigin, AlertStatus, AliasKind, MatchMethod, MatchState, PollState


class ForeignAlert(models.Model):
    """One foreign alert or recall (境外召回通报), tagged, summarised in Chinese, matched."""

    raw_item = models.OneToOneField(
        "intake.RawItem",
        on_delete=models.PROTECT,
        related_name="foreign_alert",
        verbose_name="原始信息",
    )
    origin = models.CharField("通报来源", max_length=20, choices=AlertOrigin.choices, db_index=True)
    alert_number = models.CharField("通报编号", max_length=120, db_index=True)
    alert_date = models.DateField("通报日期", null=True, blank=True, db_index=True)
    date_raw = models.CharField("通报日期（原文）", max_length=60, blank=True)
    url = models.CharField("原文链接", max_length=500, blank=True)
    # As given by the source, in English.
    notifying_country = models.CharField("通报国（原文）", max_length=80, blank=True)
    country_of_origin = models.CharField("原产地（原文）", max_length=120, blank=True)
    product_name = models.CharField("产品名称（原文）", max_length=300, blank=True)
    product_description = models.TextField("产品描述（原文）", blank=True)
    brand = models.CharField("品牌（原文）", max_length=200, blank=True)
    model = models.CharField("型号（原文）", max_length=200, blank=True)
    barcodes = models.JSONField("商品条码", default=list, blank=True)
    manufacturer = models.CharField("制造商（原文）", max_length=300, blank=True)
    risk_type_given = models.CharField("风险类型（来源标注）", max_length=300, blank=True)
    category_given = models.CharField("产品类别（来源标注）", max_length=120, blank=True)
    risk_description = models.TextField("风险描述（原文）", blank=True)
    measures = models.TextField("措施（原文）", blank=True)
    # What the tagger made of it: ForeignTags.to_dict(), evidence spans included.
    tags = models.JSONField("标注结果", default=dict, blank=True)
    risk_types = models.JSONField("风险类型", default=list, blank=True)
    hazard_codes = models.JSONField("危害代码", default=list, blank=True)
    category = models.CharField("产品类别（Safety Gate）", max_length=80, blank=True, db_index=True)
    catalogue_code = models.CharField("产品目录代码", max_length=12, blank=True, db_index=True)
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="foreign_alerts",
        verbose_name="产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="foreign_alerts",
        verbose_name="主要危害",
    )
    country = models.CharField("原产地（规范名）", max_length=80, blank=True, db_index=True)
    origin_region = models.CharField("原产地区代码", max_length=2, blank=True, db_index=True)
    made_in_china = models.BooleanField("中国制造", default=False, db_index=True)
    # Chinese summary fields, rule-based from the tags, the taxonomy and a country table.
    category_zh = models.CharField("产品类别", max_length=120, blank=True)
    hazard_zh = models.CharField("危害", max_length=200, blank=True)
    risk_types_zh = models.CharField("风险类型", max_length=200, blank=True)
    origin_zh = models.CharField("原产地", max_length=80, blank=True)
    notifying_country_zh = models.CharField("通报国", max_length=80, blank=True)
    measures_zh = models.CharField("措施", max_length=300, blank=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=AlertStatus.choices,
        default=AlertStatus.PENDING,
        db_index=True,
    )
    # The accepted (auto-confirmed or confirmed) local enterprise, and its district: what
    # lists filter and scope on.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="foreign_alerts",
        verbose_name="关联企业",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="foreign_alerts",
        verbose_name="所属区",
    )
    risk_info = models.ForeignKey(
        "screening.RiskInfo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="foreign_alerts",
        verbose_name="风险信息",
    )
    # Set when the alert was matched before screening made its risk information: the next
    # process_pending run raises that risk information once it exists.
    needs_raise = models.BooleanField("待转入风险信息", default=False, db_index=True)
    case = models.ForeignKey(
        "assessment.AssessmentCase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="foreign_alerts",
        verbose_name="评估任务",
    )
    tagged_at = models.DateTimeField("标注时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-alert_date", "-id"]
        verbose_name = verbose_name_plural = "境外通报"
        indexes = [models.Index(fields=["made_in_china", "status"])]

    def __str__(self) -> str:
        return f"{self.alert_number} {self.product_name}"[:200]

    @property
    def errors(self) -> list[str]:
        errors = self.tags.get("errors") if isinstance(self.tags, dict) else None
        return [str(e) for e in errors] if isinstance(errors, list) else []

    @property
    def disagreements(self) -> list[str]:
        found = self.tags.get("disagreements") if isinstance(self.tags, dict) else None
        return [str(e) for e in found] if isinstance(found, list) else []


class ForeignAlertRiskType(models.Model):
    """One Safety Gate risk type of an alert: the row lists filter and count on."""

    alert = models.ForeignKey(
        ForeignAlert, on_delete=models.CASCADE, related_name="risk_type_rows", verbose_name="通报"
    )
    risk_type = models.CharField("风险类型", max_length=60, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "境外通报风险类型"
        constraints = [
            models.UniqueConstraint(fields=["alert", "risk_type"], name="foreign_risk_type_once")
        ]

    def __str__(self) -> str:
        return self.risk_type


class EnterpriseAlias(models.Model):
    """A name or brand under which a local enterprise appears abroad (English, another
    language, pinyin): matched on its normalised ``key``."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="aliases",
        verbose_name="企业",
    )
    alias = models.CharField("别名", max_length=200)
    key = models.CharField("规范化键", max_length=200, db_index=True)
    kind = models.CharField("类型", max_length=20, choices=AliasKind.choices)
    source = models.CharField("来源", max_length=100, blank=True, help_text="录入、导入或演示数据")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        ordering = ["enterprise_id", "kind", "alias"]
        verbose_name = verbose_name_plural = "企业别名"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind", "key"], name="enterprise_alias_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alias}（{self.get_kind_display()}）"


class ForeignMatch(models.Model):
    """A candidate local enterprise (and product) for an alert, with confidence, method,
    evidence and review state. A reviewer's decision is never overwritten by a later run."""

    alert = models.ForeignKey(
        ForeignAlert, on_delete=models.CASCADE, related_name="matches", verbose_name="境外通报"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="foreign_matches",
        verbose_name="候选企业",
    )
    product = models.ForeignKey(
        "enterprises.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="foreign_matches",
        verbose_name="候选产品",
    )
    confidence = models.FloatField("置信度")
    method = models.CharField("匹配方式", max_length=20, choices=MatchMethod.choices)
    evidence = models.JSONField("匹配依据", default=dict, blank=True)
    state = models.CharField(
        "复核状态", max_length=20, choices=MatchState.choices, default=MatchState.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="复核人",
    )
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    reason = models.CharField("复核意见", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-confidence", "id"]
        verbose_name = verbose_name_plural = "境外通报企业匹配"
        indexes = [models.Index(fields=["state", "enterprise"])]
        constraints = [
            models.UniqueConstraint(fields=["alert", "enterprise"], name="foreign_match_once"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0),
                name="foreign_match_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.enterprise_id} ({self.method} {self.confidence:.2f})"

    @property
    def district_id(self) -> int | None:
        """The candidate firm's district: what audit events and review scoping use."""
        return self.enterprise.district_id if self.enterprise_id else None


class ForeignFeedState(models.Model):
    """What the poller remembers of one configured URL: validators of the last response (so
    an unchanged export costs a 304 or is skipped by its digest) and how the last poll went."""

    url = models.CharField("地址", max_length=1000)
    url_hash = models.CharField("地址摘要", max_length=64, unique=True)
    etag = models.CharField("ETag", max_length=300, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    content_hash = models.CharField("内容摘要", max_length=64, blank=True)
    last_polled_at = models.DateTimeField("上次采集", null=True, blank=True)
    last_status = models.CharField(
        "上次结果", max_length=20, choices=PollState.choices, default=PollState.NEW
    )
    last_error = models.CharField("上次错误", max_length=500, blank=True)
    last_batch = models.ForeignKey(
        "intake.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上次采集批次",
    )

    class Meta:
        verbose_name = verbose_name_plural = "境外通报采集地址"

    def __str__(self) -> str:
        return self.url[:100]
