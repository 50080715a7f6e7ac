from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One change of state, by whom and when. Rows are only ever added."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作方", max_length=100, help_text="用户名、监测站或“系统”")
    action = models.CharField("动作", max_length=60)
    object_type = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象编号", max_length=40)
    from_state = models.CharField("原状态", max_length=30, blank=True)
    to_state = models.CharField("新状态", max_length=30, blank=True)
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="所属区",
    )
    message = models.CharField("说明", max_length=500, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "审计事件"
        # Plain indexes (``db_index`` on a text column adds a LIKE copy on PostgreSQL); the
        # object type is the first column of the object index. Every event pays for each.
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(fields=["object_id"], name="audit_object_id"),
        ]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)
