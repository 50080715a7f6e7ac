"""States of a dead letter and the Chinese names of its audited actions."""

from django.db import models


class DeadLetterStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    RETRIED = "retried", "已重试"
    DISCARDED = "discarded", "已丢弃"


ACTION_LABELS = {
    "dead_letter": "任务失败转入死信",
    "dead_letter_retry": "死信重新入队",
    "dead_letter_discard": "死信丢弃",
}
