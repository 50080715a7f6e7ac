from __future__ import annotations

from django.db import models

from .choices import DeadLetterStatus


class DeadLetter(models.Model):
    """A task that failed for good: its retries ran out or its error is not transient.

    Kept with everything needed to run it again (name, arguments, queue), so a person can
    re-enqueue it once the cause is fixed, or discard it with a reason. A task failing again
    under the same id updates its row instead of adding one.
    """

    task_name = models.CharField("任务", max_length=200, db_index=True)
    task_id = models.CharField("任务编号", max_length=64, unique=True)
    queue = models.CharField("队列", max_length=40, blank=True)
    args = models.JSONField("位置参数", default=list, blank=True)
    kwargs = models.JSONField("关键字参数", default=dict, blank=True)
    exception = models.TextField("异常")
    traceback = models.TextField("调用栈", blank=True)
    retries = models.PositiveIntegerField("已重试次数", default=0)
    failures = models.PositiveIntegerField("失败次数", default=1)
    first_failed_at = models.DateTimeField("首次失败时间", auto_now_add=True)
    last_failed_at = models.DateTimeField("最近失败时间", db_index=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=DeadLetterStatus.choices,
        default=DeadLetterStatus.PENDING,
        db_index=True,
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.CharField("处理人", max_length=150, blank=True)
    note = models.CharField("处理说明", max_length=500, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]
        verbose_name = verbose_name_plural = "死信任务"

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class ProcessedTask(models.Model):
    """The idempotency key of a task that creates things, written in the same transaction as
    its work: a redelivered or re-published message with a stored key returns the stored
    result and does nothing again."""

    key = models.CharField("幂等键", max_length=200, unique=True)
    task_name = models.CharField("任务", max_length=200)
    task_id = models.CharField("任务编号", max_length=64, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    done_at = models.DateTimeField("完成时间", auto_now_add=True)

    class Meta:
        ordering = ["-done_at", "-id"]
        verbose_name = verbose_name_plural = "已处理任务"

    def __str__(self) -> str:
        return self.key


class TaskDelivery(models.Model):
    """How many times one message (a task id at one retry) has been handed to a worker
    without finishing: a message that kills its worker comes back (``acks_late``,
    ``reject_on_worker_lost``), and after PQRISK_TASK_MAX_DELIVERIES it is set aside as a
    dead letter instead of taking worker after worker down. The row goes when the task
    returns, whatever the outcome."""

    task_id = models.CharField("任务编号", max_length=64)
    retries = models.PositiveIntegerField("重试序号", default=0)
    task_name = models.CharField("任务", max_length=200)
    deliveries = models.PositiveIntegerField("投递次数", default=1)
    first_at = models.DateTimeField("首次投递时间", auto_now_add=True)
    last_at = models.DateTimeField("最近投递时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "未完成的任务投递"
        constraints = [
            models.UniqueConstraint(fields=["task_id", "retries"], name="task_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id} ×{self.deliveries}"
