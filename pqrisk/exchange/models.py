"""长三角 (Yangtze River Delta) sharing: partner regulators and the packages exchanged with them."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models

from .choices import PackageDirection, PackageStatus, RefusalCode
from .signing import key_id


class Partner(models.Model):
    """A partner regulator (合作单位) whose signed packages this platform accepts."""

    code = models.CharField(
        "单位代码", max_length=32, unique=True, help_text="双方约定的代码，如 ZJAMR"
    )
    name = models.CharField("单位名称", max_length=100)
    province = models.CharField("省市", max_length=20, help_text="如 浙江省、江苏省、安徽省")
    public_key = models.CharField(
        "签名公钥", max_length=64, help_text="Ed25519 公钥，Base64（44个字符）"
    )
    contact = models.CharField("联系方式", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["province", "code"]
        verbose_name = verbose_name_plural = "长三角合作单位"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)


class ExchangePackage(models.Model):
    """A sharing package this platform signed and sent, or one it received (accepted or
    refused, with the reason). The package itself is kept as it was."""

    direction = models.CharField(
        "方向", max_length=10, choices=PackageDirection.choices, db_index=True
    )
    status = models.CharField("状态", max_length=10, choices=PackageStatus.choices)
    package_id = models.CharField("包编号", max_length=80, blank=True)
    sequence = models.PositiveIntegerField("序号", null=True, blank=True)
    package_hash = models.CharField("包摘要（SHA-256）", max_length=64, blank=True)
    previous_hash = models.CharField("上一包摘要", max_length=64, blank=True)
    issuer_code = models.CharField("签发单位代码", max_length=32, blank=True)
    issuer_name = models.CharField("签发单位", max_length=200, blank=True)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="packages",
        verbose_name="合作单位",
    )
    warning = models.ForeignKey(
        "warnings.Warning",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_packages",
        verbose_name="本平台预警",
    )
    title = models.CharField("预警标题", max_length=300, blank=True)
    level = models.CharField("预警等级", max_length=10, blank=True)
    # The file exactly as signed and sent, or as received and accepted (a refused file is
    # kept in the quarantine instead): downloading it again gives the same bytes.
    content = models.TextField("共享包内容", blank=True)
    verified = models.BooleanField("签名已验证", default=False)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    records = models.PositiveIntegerField("风险信息条数", default=0)
    accepted = models.PositiveIntegerField("接收条数", default=0)
    duplicates = models.PositiveIntegerField("重复提交条数", default=0)
    quarantined = models.PositiveIntegerField("隔离条数", default=0)
    batch = models.ForeignKey(
        "intake.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="采集批次",
        help_text="接收：风险信息的采集批次；拒收：隔离区中保存原文件的批次",
    )
    refusal = models.CharField("拒收原因", max_length=20, choices=RefusalCode.choices, blank=True)
    error = models.CharField("拒收说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "长三角共享包"
        constraints = [
            # Our own chain has one package per sequence number: two exports at once cannot
            # both claim the same place (the loser retries on the next number).
            models.UniqueConstraint(
                fields=["sequence"],
                condition=models.Q(direction="sent"),
                name="exchangepackage_one_sent_per_sequence",
            ),
            # A partner's package is accepted once; an accepted chain has no two packages
            # in one place.
            models.UniqueConstraint(
                fields=["partner", "package_id"],
                condition=models.Q(direction="received", status="accepted"),
                name="exchangepackage_accepted_once",
            ),
            models.UniqueConstraint(
                fields=["partner", "sequence"],
                condition=models.Q(direction="received", status="accepted"),
                name="exchangepackage_one_accepted_per_sequence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.package_id or '#' + str(self.pk)}"

    @cached_property
    def document(self) -> dict[str, Any]:
        """The package as a JSON object (empty for a refused one)."""
        if not self.content:
            return {}
        value = json.loads(self.content)
        return value if isinstance(value, dict) else {}

    @property
    def body(self) -> dict[str, Any]:
        body = self.document.get("body")
        return body if isinstance(body, dict) else {}
