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
    source_kind = models.CharField("来源类型", max_length=20, choices=SourceKind.choices)
    status = models.CharField(
        "状态",
        max_length=30,
        choices=RiskInfoStatus.choices,
        default=RiskInfoStatus.PENDING_ASSESSMENT,
    )
    title = models.CharField("标题", max_length=300)
    text = models.TextField("正文", blank=True)
    occurred_at = models.DateTimeField("发生时间", null=True, blank=True, db_index=True)
    content_hash = models.CharField("内容指纹", max_length=64)
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
    similarity = models.FloatField("与原信息相似度", null=True, blank=True)
    relevance_score = models.FloatField("相关性得分", null=True, blank=True)
    event = models.ForeignKey(
        "screening.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name="所属事件",
    )
    # What the evidence spans point into: the cleaned title and body (and the record's
    # product and detail fields) joined by line breaks, as screening read them.
    screened_text = models.TextField("筛查文本", blank=True)
    evidence = models.JSONField("证据", default=list, blank=True)
    screened_at = models.DateTimeField("筛查时间", auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = verbose_name_plural = "风险信息"
        # Plain indexes in Meta: ``db_index`` on a text column also builds a second,
        # LIKE-ready copy on PostgreSQL, which every insert and status change pays for.
        indexes = [
            models.Index(fields=["product_category", "hazard", "status"]),
            models.Index(fields=["source_kind"], name="riskinfo_source_kind"),
            models.Index(fields=["status"], name="riskinfo_status"),
            models.Index(fields=["content_hash"], name="riskinfo_content_hash"),
            # What assessment takes next, oldest first: small, whatever the table holds.
            models.Index(
                fields=["id"],
                condition=models.Q(status=RiskInfoStatus.PENDING_ASSESSMENT),
                name="riskinfo_awaiting_assessment",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """Items about one incident: the same product category and hazard, by the same
    enterprise or in the same place, within the event window (``PQRISK_EVENT_WINDOW_DAYS``)."""

    # product code | hazard family: the events an item may join (see core.screening.events).
    group = models.CharField("产品与危害类别", max_length=80, db_index=True)
    key = models.CharField("事件键", max_length=300)
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name="产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType", on_delete=models.PROTECT, related_name="events", verbose_name="危害"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name="涉及企业",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name="所属区",
    )
    first_seen = models.DateTimeField("首次出现", db_index=True)
    last_seen = models.DateTimeField("最近出现", db_index=True)
    item_count = models.PositiveIntegerField("信息条数", default=0)
    sources = models.JSONField("来源分布", default=dict, blank=True)
    # What items of the event named (enterprises, brands, models) and the places they were in.
    anchors = models.JSONField("关联要素", default=list, blank=True)
    places = models.JSONField("涉及地区", default=list, blank=True)
    first_item = models.ForeignKey(
        RiskInfo,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="首条信息",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = verbose_name_plural = "风险事件"

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        where = self.enterprise.name if self.enterprise_id and self.enterprise else ""
        if not where and self.district_id and self.district:
            where = self.district.name
        return f"{where}{self.product_category.name}（{self.hazard.name}）"


class IndexState(models.Model):
    """The identity of the near-duplicate index kept on disk for this database.

    The index file names the token it was built for; a file whose token is not the one here
    (another database, a restored backup, a test's rolled-back rows) is rebuilt from the
    stored items instead of being trusted.
    """

    token = models.UUIDField("索引标识")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "查重索引状态"

    def __str__(self) -> str:
        return str(self.token)
