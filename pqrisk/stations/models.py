from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from .choices import StationKind, StationStatus

TOKEN_PREFIX_LEN = 8


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MonitoringStation(models.Model):
    """A registered outside source (监测站) that reports risk information through the API."""

    name = models.CharField("名称", max_length=200, unique=True)
    kind = models.CharField("类型", max_length=30, choices=StationKind.choices)
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stations",
        verbose_name="所在区",
    )
    contact = models.CharField("联系人及电话", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=StationStatus.choices, default=StationStatus.ACTIVE
    )
    score = models.DecimalField("动态评分", max_digits=5, decimal_places=1, default=60)
    token_prefix = models.CharField(
        "令牌前缀", max_length=TOKEN_PREFIX_LEN, blank=True, db_index=True
    )
    token_hash = models.CharField("令牌摘要", max_length=64, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "监测站"

    def __str__(self) -> str:
        return self.name

    def issue_token(self) -> str:
        """Make a new token, keep only its hash, and return it once to show the registrar."""
        token = secrets.token_urlsafe(32)
        self.token_prefix = token[:TOKEN_PREFIX_LEN]
        self.token_hash = hash_token(token)
        return token

    def check_token(self, token: str) -> bool:
        return bool(self.token_hash) and secrets.compare_digest(self.token_hash, hash_token(token))
