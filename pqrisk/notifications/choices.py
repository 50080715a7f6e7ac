"""What a notification and its deliveries can be. Delivery states are the ones industry
warnings (风险警示) use for their own outside deliveries, so both logs read the same."""

from __future__ import annotations

from django.db import models

from pqrisk.warnings.models import DeliveryStatus

__all__ = ["Channel", "DeliveryStatus", "NotificationLevel"]


class NotificationLevel(models.TextChoices):
    """How pressing a notification is; the inbox shows it as a coloured badge."""

    INFO = "info", "一般"
    IMPORTANT = "important", "重要"
    URGENT = "urgent", "紧急"

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS[self]


LEVEL_COLOURS = {
    NotificationLevel.INFO: "#52606d",
    NotificationLevel.IMPORTANT: "#d68b00",
    NotificationLevel.URGENT: "#c62828",
}


class Channel(models.TextChoices):
    """How a notification leaves the platform (the inbox is not a delivery: it is the row)."""

    EMAIL = "email", "邮件"
    WEBHOOK = "webhook", "接口推送"
