from django.db import models


class PollStatus(models.TextChoices):
    """How a subscription's last poll went. A 304 or an unchanged feed is ``ok``: the feed
    answered and nothing new was due."""

    NEW = "new", "尚未采集"
    OK = "ok", "正常"
    ERROR = "error", "失败"


# Audit actions of this app, as users read them.
ACTION_LABELS = {
    "add_feed": "添加订阅源",
    "feed_failed": "订阅源采集失败",
    "feed_recovered": "订阅源恢复正常",
}
