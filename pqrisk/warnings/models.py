from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from pqrisk.core.filenames import stored_name
from pqrisk.core.levels import WarningLevel

from .choices import (
    ATTENTION_CHOICES,
    SCOPE_CHOICES,
    WARNING_LEVEL_CHOICES,
    WARNING_STATE_CHOICES,
)


class Warning(models.Model):
    """A risk warning (预警) in one of four colours, issued as notice, warning and/or advisory."""

    title = models.CharField("标题", max_length=300)
    body = models.TextField("内容", blank=True)
    level = models.CharField(
        "预警等级", max_length=10, choices=WARNING_LEVEL_CHOICES, db_index=True
    )
    proposed_level = models.CharField("建议等级", max_length=10, choices=WARNING_LEVEL_CHOICES)
    modes = models.JSONField("预警方式", default=list)
    scope = models.CharField("影响范围", max_length=20, choices=SCOPE_CHOICES)
    attention = models.CharField("社会关注度", max_length=20, choices=ATTENTION_CHOICES)
    reasons = models.JSONField("定级理由", default=list)
    status = models.CharField(
        "状态", max_length=20, choices=WARNING_STATE_CHOICES, default="draft", db_index=True
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name="涉及区（空为全市）",
    )
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name="产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name="危害类型",
    )
    assessment = models.ForeignKey(
        "assessment.Assessment",
        on_delete=models.PROTECT,
        related_name="warnings",
        verbose_name="依据评估",
    )
    risk_infos = models.ManyToManyField(
        "screening.RiskInfo", related_name="warnings", blank=True, verbose_name="关联风险信息"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="提出人",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="批准人",
    )
    created_at = models.DateTimeField("提出时间", auto_now_add=True)
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    publish_deadline = models.DateTimeField("发布时限", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lift_reason = models.TextField("解除理由", blank=True)
    version = models.PositiveIntegerField("文本版本", default=1)
    # 文号 of each mode's document, fixed when the warning is approved (mode → 文号).
    document_numbers = models.JSONField("文号", default=dict, blank=True)
    # What a consumer advisory (风险提示) tells people: how to recognise the product and what
    # to do. Pre-filled from the evidence (brands, models, batches the items name).
    advice = models.TextField("消费者应对建议", blank=True)
    brands = models.CharField("涉及品牌", max_length=300, blank=True)
    product_models = models.CharField("涉及型号规格", max_length=500, blank=True)
    batches = models.CharField("涉及批次/生产日期", max_length=500, blank=True)
    # Targeting (预警对象): the districts that receive the internal notice and must dispose
    # (empty: derived from the scope and the evidence), and the industries (product
    # categories) whose operators the industry warning is for.
    target_districts = models.ManyToManyField(
        "reference.District",
        blank=True,
        related_name="targeted_warnings",
        verbose_name="主送及处置区局",
    )
    target_categories = models.ManyToManyField(
        "reference.ProductCategory",
        blank=True,
        related_name="targeted_warnings",
        verbose_name="涉及行业（产品类别）",
    )
    urgency = models.CharField("紧急程度", max_length=10, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "风险预警"

    def __str__(self) -> str:
        return self.title

    @property
    def level_enum(self) -> WarningLevel:
        return WarningLevel(self.level)


def photo_path(instance: WarningPhoto, filename: str) -> str:
    """Photos are stored under a random name: the original file name may be internal."""
    return stored_name("warnings/photos", filename, "jpg")


class WarningPhoto(models.Model):
    """A photo identifying the product (产品图片) shown with a consumer advisory."""

    warning = models.ForeignKey(
        Warning, on_delete=models.CASCADE, related_name="photos", verbose_name="风险预警"
    )
    image = models.ImageField("图片", upload_to=photo_path, max_length=200)
    caption = models.CharField("图片说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["warning", "id"]
        verbose_name = verbose_name_plural = "预警产品图片"

    def __str__(self) -> str:
        return self.caption or self.image.name


class WarningVersion(models.Model):
    """A published warning's text as it was before an update (更新): kept, never changed."""

    warning = models.ForeignKey(
        Warning, on_delete=models.CASCADE, related_name="versions", verbose_name="风险预警"
    )
    number = models.PositiveIntegerField("版本")
    title = models.CharField("标题", max_length=300)
    body = models.TextField("内容", blank=True)
    level = models.CharField("预警等级", max_length=10, choices=WARNING_LEVEL_CHOICES)
    modes = models.JSONField("预警方式", default=list)
    reasons = models.JSONField("定级理由", default=list)
    # The consumer-facing fields as they were (advice, brands, product_models, batches).
    identification = models.JSONField("产品识别与消费者建议", default=dict, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="更新人",
    )
    superseded_at = models.DateTimeField("被更新时间", auto_now_add=True)
    note = models.TextField("更新说明", blank=True)

    class Meta:
        ordering = ["warning", "number"]
        verbose_name = verbose_name_plural = "预警历史版本"
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "number"], name="one_row_per_warning_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.warning_id} v{self.number}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"


class WarningReminder(models.Model):
    """A reminder that an approved warning must be published by its colour's deadline."""

    warning = models.ForeignKey(
        Warning, on_delete=models.CASCADE, related_name="reminders", verbose_name="风险预警"
    )
    kind = models.CharField("类型", max_length=20, choices=ReminderKind.choices)
    deadline = models.DateTimeField("发布时限")
    message = models.CharField("提醒内容", max_length=500)
    created_at = models.DateTimeField("提醒时间")
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    recipients = models.JSONField("接收人", default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "预警发布提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "kind", "deadline"], name="one_reminder_per_kind_and_deadline"
            )
        ]

    def __str__(self) -> str:
        return self.message


# Plain http is refused for webhooks: the warning travels to third parties and must not be
# readable or alterable on the way. Loopback addresses never leave the machine (the tests'
# local webhook server), so http is accepted there.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_webhook_url(value: str) -> None:
    """A recipient's webhook: https, or http to this machine only."""
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValidationError("接收地址不是有效的网址", code="invalid_webhook")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ValidationError(
        "接收地址须以 https:// 开头（仅本机测试地址可用 http://）", code="insecure_webhook"
    )


def new_receipt_token() -> str:
    """An unguessable token for a recipient's read-receipt link (256 bits)."""
    return secrets.token_urlsafe(32)


class RecipientKind(models.TextChoices):
    DISTRICT_BUREAU = "district_bureau", "区局"
    ENTERPRISE = "enterprise", "企业"
    ASSOCIATION = "association", "行业协会"
    PLATFORM = "platform", "电商平台"
    OTHER = "other", "其他"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待送达"
    SENT = "sent", "已送达"
    FAILED = "failed", "送达失败"


class WarningRecipient(models.Model):
    """A unit a warning is addressed to (主送): a district bureau for an internal notice
    (风险通报), which acknowledges receipt; an operator, association or platform for an
    industry warning (风险警示), reached by email or webhook and confirming by its
    read-receipt link."""

    warning = models.ForeignKey(
        Warning, on_delete=models.CASCADE, related_name="recipients", verbose_name="风险预警"
    )
    mode = models.CharField("预警方式", max_length=30)
    kind = models.CharField(
        "单位类别",
        max_length=20,
        choices=RecipientKind.choices,
        default=RecipientKind.DISTRICT_BUREAU,
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warning_recipients",
        verbose_name="主送区局",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="warning_recipients",
        verbose_name="企业",
    )
    name = models.CharField("主送单位", max_length=200)
    email = models.EmailField("电子邮箱", blank=True)
    webhook_url = models.CharField(
        "接收地址（webhook）", max_length=500, blank=True, validators=[validate_webhook_url]
    )
    receipt_token = models.CharField(
        "回执令牌", max_length=64, unique=True, default=new_receipt_token, editable=False
    )
    delivery_status = models.CharField(
        "送达状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("送达尝试次数", default=0)
    last_error = models.CharField("最近一次错误", max_length=500, blank=True)
    sent_at = models.DateTimeField("发出时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读回执时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    acknowledged_at = models.DateTimeField("确认收到时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="确认人",
    )

    class Meta:
        ordering = ["warning", "mode", "name"]
        verbose_name = verbose_name_plural = "预警主送单位"
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "mode", "name"], name="one_recipient_per_warning_mode_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_channel(self) -> bool:
        """Whether it is reached outside the system (email or webhook)."""
        return bool(self.email or self.webhook_url)


class DocumentYear(models.Model):
    """One row per year of 文号: locked while a warning's numbers are assigned, so that two
    approvals at the same moment never take the same number."""

    year = models.PositiveIntegerField("年度", unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "文号年度"

    def __str__(self) -> str:
        return str(self.year)
