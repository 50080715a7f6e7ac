from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from .choices import StationKind, StationStatus

TOKEN_PREFIX_LEN = 8
DEFAULT_INTERVAL_HOURS = 168  # weekly: the slowest rhythm agreed with the stations
DEFAULT_DAILY_QUOTA = 5000


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
    expected_interval_hours = models.PositiveIntegerField(
        "应报送间隔（小时）",
        default=DEFAULT_INTERVAL_HOURS,
        help_text="超过该时长没有报送即视为超期未报送",
    )
    daily_quota = models.PositiveIntegerField("每日报送上限（条）", default=DEFAULT_DAILY_QUOTA)
    # Empty means the platform's limit (services.RATE_LIMIT_PER_MINUTE), which may change.
    rate_limit_per_minute = models.PositiveIntegerField(
        "每分钟调用上限（次）",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="为空则按平台默认上限",
    )
    allowed_sources = models.JSONField(
        "可报送的信息类型",
        default=list,
        blank=True,
        help_text="来源类型代码列表（如 injury、complaint），报送时记入详情；为空则不限定",
    )
    last_report_at = models.DateTimeField("最近报送时间", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "监测站"

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == StationStatus.ACTIVE

    def reporting_due_since(self) -> datetime:
        """The moment from which the next report is awaited: the last one, or registration."""
        return self.last_report_at or self.registered_at

    def is_stale(self, now: datetime) -> bool:
        """Active, and nothing reported within its expected interval (已超期未报送)."""
        return self.is_active and now - self.reporting_due_since() > timedelta(
            hours=self.expected_interval_hours
        )

    def issue_token(self) -> str:
        """Make a new token, keep only its hash, and return it once to show the registrar."""
        token = secrets.token_urlsafe(32)
        self.token_prefix = token[:TOKEN_PREFIX_LEN]
        self.token_hash = hash_token(token)
        return token

    def check_token(self, token: str) -> bool:
        return bool(self.token_hash) and secrets.compare_digest(self.token_hash, hash_token(token))
