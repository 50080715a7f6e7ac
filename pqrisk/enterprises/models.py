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
