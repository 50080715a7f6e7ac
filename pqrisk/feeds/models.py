from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models

from .choices import PollStatus

DEFAULT_INTERVAL_MINUTES = 30
# The beat checks for due feeds every five minutes, so a shorter interval would not be kept.
MIN_INTERVAL_MINUTES = 5

# Only the web: a file:// or ftp:// subscription would read the server's own disk or an
# unaudited channel.
FEED_SCHEMES = ("http", "https")
validate_feed_url = URLValidator(
    schemes=list(FEED_SCHEMES), message="订阅地址应为以 http:// 或 https:// 开头的网址"
)


class FeedSubscription(models.Model):
    """A news feed (RSS/Atom, 网络舆情) polled on a schedule; its items become media records."""

    name = models.CharField("名称", max_length=100, unique=True)
    url = models.URLField("订阅地址", max_length=1000, unique=True, validators=[validate_feed_url])
    site = models.CharField(
        "来源站点",
        max_length=100,
        blank=True,
        help_text="采集批次显示的站点名称；记录中的站点取自订阅源标题",
    )
    interval_minutes = models.PositiveIntegerField(
        "采集间隔（分钟）",
        default=DEFAULT_INTERVAL_MINUTES,
        validators=[MinValueValidator(MIN_INTERVAL_MINUTES, "采集间隔不能少于5分钟")],
    )
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="添加人",
    )
    created_at = models.DateTimeField("添加时间", auto_now_add=True)

    last_polled_at = models.DateTimeField("最近采集时间", null=True, blank=True)
    last_status = models.CharField(
        "最近采集结果", max_length=10, choices=PollStatus.choices, default=PollStatus.NEW
    )
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField("连续失败次数", default=0)
    last_batch = models.ForeignKey(
        "intake.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="最近采集批次",
    )
    items_seen = models.PositiveIntegerField(
        "累计读取条目", default=0, help_text="各次采集读到的条目数之和（含已采集过的）"
    )
    items_new = models.PositiveIntegerField("累计新增条目", default=0)

    # Conditional GET: the validators of the last full response, sent back on the next poll.
    etag = models.CharField("ETag", max_length=300, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    # The last full body's digest and, if it was not a feed, why: an unchanged body (304, or
    # the same bytes from a server without validators) is neither parsed nor quarantined again.
    content_hash = models.CharField("内容摘要", max_length=64, blank=True)
    content_error = models.CharField("内容错误", max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "舆情订阅源"

    def __str__(self) -> str:
        return self.name

    def is_due(self, now: datetime) -> bool:
        """Active, and never polled or polled at least its interval ago."""
        return self.active and (
            self.last_polled_at is None
            or now - self.last_polled_at >= timedelta(minutes=self.interval_minutes)
        )
