from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import QUARANTINE_OPEN, QuarantineReason, QuarantineResolution, SourceKind


class IngestBatch(models.Model):
    """One submission: a file, an API call or a station report, with what became of it."""

    source_label = models.CharField("来源", max_length=300)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="提交人",
    )
    station = models.ForeignKey(
        "stations.MonitoringStation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name="监测站",
    )
    received_at = models.DateTimeField("接收时间", auto_now_add=True)
    accepted = models.PositiveIntegerField("接收条数", default=0)
    duplicates = models.PositiveIntegerField("重复提交条数", default=0)
    quarantined = models.PositiveIntegerField("隔离条数", default=0)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = verbose_name_plural = "采集批次"

    def __str__(self) -> str:
        return f"{self.source_label} ({self.received_at:%Y-%m-%d %H:%M})"


class RawItem(models.Model):
    """Exactly what arrived, with its source and time of receipt. Never modified."""

    # Not indexed alone: the unique (source_kind, external_id) index serves lookups by kind.
    source_kind = models.CharField("来源类型", max_length=20, choices=SourceKind.choices)
    source_name = models.CharField("来源名称", max_length=200, blank=True)
    external_id = models.CharField("来源编号", max_length=120)
    batch = models.ForeignKey(
        IngestBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="采集批次",
    )
    station = models.ForeignKey(
        "stations.MonitoringStation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="监测站",
    )
    received_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)
    payload = models.JSONField("原始内容")
    # Compared only after a lookup by (source_kind, external_id), so not indexed: every index
    # costs each insert, and ingest is the platform's widest door.
    payload_hash = models.CharField("内容摘要", max_length=64)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = verbose_name_plural = "原始信息"
        constraints = [
            # A re-submitted record (same source and id) is recognised, not stored twice.
            models.UniqueConstraint(
                fields=["source_kind", "external_id"], name="rawitem_unique_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_kind_display()} {self.external_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("raw items are immutable once received")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class QuarantinedItem(models.Model):
    """Input that could not be accepted, kept with its reason so nothing is lost."""

    batch = models.ForeignKey(
        IngestBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quarantine",
        verbose_name="采集批次",
    )
    received_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)
    source_kind = models.CharField("来源类型", max_length=20, blank=True)
    location = models.CharField("位置", max_length=300, blank=True, help_text="文件名及行号")
    content = models.TextField("原始内容")
    reason = models.CharField("原因", max_length=30, choices=QuarantineReason.choices)
    message = models.CharField("说明", max_length=500)
    # The object as parsed when parsing succeeded but validation failed (a CSV row under its
    # canonical keys): the draft a person corrects before replaying. None when unparseable.
    parsed = models.JSONField("解析结果", null=True, blank=True)
    # Kept with ``resolution`` (the constraint below) so filters stay a plain boolean.
    resolved = models.BooleanField("已处理", default=False)
    resolution = models.CharField(
        "处理结果", max_length=20, choices=QuarantineResolution.choices, blank=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="处理人",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution_note = models.CharField("处理说明", max_length=500, blank=True)
    replayed_item = models.ForeignKey(
        RawItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replayed_from",
        verbose_name="重新导入的原始信息",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = verbose_name_plural = "隔离区记录"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved=False, resolution="")
                | models.Q(resolved=True, resolution__in=QuarantineResolution.values),
                name="quarantineditem_resolved_matches_resolution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}：{self.location}"

    @property
    def state(self) -> str:
        """The audit state: ``quarantined`` while open, else the resolution."""
        return self.resolution or QUARANTINE_OPEN
