from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from pqrisk.core.uscc import InvalidUSCC, parse_uscc


def validate_uscc(value: str) -> None:
    try:
        parse_uscc(value)
    except InvalidUSCC as exc:
        raise ValidationError(exc.message_zh, code="invalid_uscc") from exc


class Enterprise(models.Model):
    """A producer or seller under the bureau's supervision, keyed by its USCC."""

    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField("企业名称", max_length=200, db_index=True)
    district = models.ForeignKey(
        "reference.District",
        on_delete=models.PROTECT,
        related_name="enterprises",
        verbose_name="所属区",
    )
    address = models.CharField("地址", max_length=300, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    kind = models.CharField("企业类型", max_length=20, blank=True)
    scale = models.CharField("规模", max_length=10, blank=True)
    licensed = models.BooleanField("持有生产许可证", default=False)
    established = models.DateField("成立日期", null=True, blank=True)
    products = models.ManyToManyField(
        "reference.ProductCategory", blank=True, related_name="enterprises", verbose_name="主要产品"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "企业"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.uscc = parse_uscc(self.uscc).code
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Product(models.Model):
    """A concrete product (brand + model) of an enterprise, within a catalogue category."""

    name = models.CharField("产品名称", max_length=200)
    category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name="产品类别",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="product_set",
        verbose_name="生产/销售企业",
    )
    brand = models.CharField("品牌", max_length=100, blank=True)
    model = models.CharField("型号规格", max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "产品"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "name", "brand", "model"],
                name="product_unique_per_enterprise",
            )
        ]

    def __str__(self) -> str:
        return " ".join(x for x in (self.brand, self.name, self.model) if x)


class ProductBarcode(models.Model):
    """A GTIN (商品条码) of a product: what cross-source matching trusts most for a product."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="barcodes", verbose_name="产品"
    )
    gtin = models.CharField("商品条码（GTIN）", max_length=14, unique=True)

    class Meta:
        ordering = ["gtin"]
        verbose_name = verbose_name_plural = "商品条码"

    def __str__(self) -> str:
        return self.gtin


class MatchTarget(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    PRODUCT = "product", "产品"


class MatchMethod(models.TextChoices):
    """How a record was matched (pqrisk.core.screening.matching.Method), strongest first."""

    USCC = "uscc", "统一社会信用代码"
    NAME_EXACT = "name_exact", "企业名称完全一致"
    NAME_NORMALISED = "name_normalised", "企业名称规范化后一致"
    NAME_BRAND = "name_brand", "字号一致（仅名称）"
    GTIN = "gtin", "商品条码"
    MODEL = "model", "型号"
    BRAND = "brand", "品牌"


class MatchStatus(models.TextChoices):
    AUTO_ACCEPTED = "auto_accepted", "自动采纳"
    PENDING = "pending", "待复核"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已否定"


class RecordMatch(models.Model):
    """One candidate enterprise or product for one record (风险信息), with how it was found,
    its confidence and evidence, and what became of it. A record's ``enterprise`` and
    ``product`` are those of its auto-accepted or confirmed matches
    (pqrisk/enterprises/matching.py); reviewers' decisions are never overwritten by a
    later matching run."""

    risk_info = models.ForeignKey(
        "screening.RiskInfo",
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name="风险信息",
    )
    target = models.CharField("匹配对象", max_length=12, choices=MatchTarget.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="record_matches",
        verbose_name="候选企业",
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="record_matches",
        verbose_name="候选产品",
    )
    method = models.CharField("匹配方式", max_length=20, choices=MatchMethod.choices)
    confidence = models.FloatField("置信度")
    evidence = models.JSONField("匹配依据", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=MatchStatus.choices, default=MatchStatus.PENDING
    )
    reviewer = models.ForeignKey(
        "accounts.User",
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
        verbose_name = verbose_name_plural = "信息匹配"
        indexes = [models.Index(fields=["status", "target"])]
        constraints = [
            models.UniqueConstraint(
                fields=["risk_info", "enterprise"],
                condition=models.Q(target="enterprise"),
                name="record_match_one_per_enterprise",
            ),
            models.UniqueConstraint(
                fields=["risk_info", "product"],
                condition=models.Q(target="product"),
                name="record_match_one_per_product",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0),
                name="record_match_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.risk_info_id} → {self.enterprise or self.product} ({self.method})"

    @property
    def candidate(self) -> Enterprise | Product | None:
        return self.enterprise if self.target == MatchTarget.ENTERPRISE else self.product


class MatchCheck(models.Model):
    """When a record was last matched and with what outcome: ``match_pending`` takes the
    records without one, so a run over thousands of records is done once."""

    risk_info = models.OneToOneField(
        "screening.RiskInfo",
        on_delete=models.CASCADE,
        related_name="match_check",
        verbose_name="风险信息",
    )
    checked_at = models.DateTimeField("匹配时间")
    outcome = models.CharField("结果", max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = "信息匹配记录"

    def __str__(self) -> str:
        return f"{self.risk_info_id}: {self.outcome}"
