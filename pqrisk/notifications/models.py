"""Notifications, their inbox entries (one per addressed user) and their outside deliveries
(one per email address or webhook, each retried until sent or failed for good)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import Channel, DeliveryStatus, NotificationLevel

KEY_MAX_LENGTH = 200
SUBJECT_MAX_LENGTH = 200
LINK_MAX_LENGTH = 500


class Notification(models.Model):
    """One event told to people. ``key`` names the event: a second ``notify`` with the same
    key is refused by the unique constraint, so nothing is created or sent twice."""

    key = models.CharField("事件标识", max_length=KEY_MAX_LENGTH, unique=True)
    subject = models.CharField("标题", max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField("正文", blank=True)
    link = models.CharField("相关页面", max_length=LINK_MAX_LENGTH, blank=True)
    level = models.CharField(
        "重要程度", max_length=10, choices=NotificationLevel.choices, default=NotificationLevel.INFO
    )
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "消息"

    def __str__(self) -> str:
        return self.subject


class InboxEntry(models.Model):
    """A notification in one user's 消息中心, read or not."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="entries", verbose_name="消息"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_entries",
        verbose_name="收件人",
    )
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        ordering = ["-notification__created_at", "-id"]
        verbose_name = verbose_name_plural = "站内消息"
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="one_entry_per_user")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_read")]

    def __str__(self) -> str:
        return f"{self.user} · {self.notification}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """One outside delivery of a notification: an email to one address or a signed POST to
    one webhook. ``due_at`` is when its next attempt should run; a pending delivery far past
    it was lost on the way (broker restart, worker killed) and the sweeper sends it again."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name="消息"
    )
    channel = models.CharField("方式", max_length=10, choices=Channel.choices)
    address = models.CharField("地址", max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="对应用户",
    )
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近一次错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    due_at = models.DateTimeField("预计发送时间", default=timezone.now)
    sent_at = models.DateTimeField("发出时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "消息外发记录"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "address"], name="one_delivery_per_address"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_status_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.address}（{self.get_status_display()}）"


class Preference(models.Model):
    """A user's choice of channels. Without a row the defaults apply (email on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name="用户",
    )
    email = models.BooleanField("接收邮件提醒", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息提醒设置"

    def __str__(self) -> str:
        return f"{self.user}：{'接收' if self.email else '不接收'}邮件"
