"""Periodic bulletins (《产品质量安全资讯》) and their archived versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import BulletinKind, BulletinStatus


class Bulletin(models.Model):
    """One issue of 《产品质量安全资讯》: weekly, monthly or thematic, for a period, with its
    sections (editable text) and the period's data they were drafted from. Drafted by the
    assessment centre, submitted, and published by the city bureau; publication freezes it."""

    kind = models.CharField("类型", max_length=10, choices=BulletinKind.choices, db_index=True)
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期", help_text="含当日")
    theme = models.CharField("专题", max_length=100, blank=True)
    # A thematic issue may be about one product category and/or hazard: its data is filtered.
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="专题产品类别",
    )
    hazard = models.ForeignKey(
        "reference.HazardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="专题危害类型",
    )
    title = models.CharField("标题", max_length=200)
    year = models.PositiveIntegerField("年度")
    number = models.PositiveIntegerField("期号", help_text="同类资讯每年从 1 起编号")
    status = models.CharField(
        "状态",
        max_length=20,
        choices=BulletinStatus.choices,
        default=BulletinStatus.DRAFT,
        db_index=True,
    )
    # [{key, heading, text, drafted}]: ``text`` is what the documents print; ``drafted`` the
    # text the system drafted from the data (equal to ``text`` until a person edits it).
    sections = models.JSONField("栏目", default=list)
    # The period's data as gathered (counts, tables, chart series): JSON, so that a version
    # and its documents can be made again from it.
    data = models.JSONField("本期数据", default=dict)
    data_generated_at = models.DateTimeField("数据生成时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="起草人",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="审核发布人",
    )
    created_at = models.DateTimeField("起草时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = verbose_name_plural = "产品质量安全资讯"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "number"], name="one_bulletin_per_kind_year_number"
            ),
            # The weekly and monthly series have one issue per period; thematic issues may
            # share a period.
            models.UniqueConstraint(
                fields=["kind", "period_start", "period_end"],
                condition=~Q(kind="thematic"),
                name="one_periodic_bulletin_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_label} {self.title}"

    @property
    def issue_label(self) -> str:
        """期号 as printed: "2026年第6期"."""
        return f"{self.year}年第{self.number}期"

    @property
    def district_id(self) -> None:
        """A bulletin is the city's: its audit events belong to no district."""
        return None


def version_path(instance: BulletinVersion, filename: str) -> str:
    return f"bulletins/{instance.bulletin_id}/{filename}"


class BulletinVersion(models.Model):
    """A bulletin as it was saved (every edit, regeneration and the publication), never
    changed: its content (title, 期号, sections, data, date) with its hash, and its .docx
    and PDF once made (the published version's are made at publication)."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="versions", verbose_name="资讯"
    )
    number = models.PositiveIntegerField("版本")
    status = models.CharField("保存时状态", max_length=20, choices=BulletinStatus.choices)
    published = models.BooleanField("发布版", default=False)
    content = models.JSONField("内容")
    content_hash = models.CharField("内容指纹", max_length=64, db_index=True)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="保存人",
    )
    created_at = models.DateTimeField("保存时间", auto_now_add=True)
    docx_file = models.FileField("Word 文件", upload_to=version_path, max_length=200, blank=True)
    pdf_file = models.FileField("PDF 文件", upload_to=version_path, max_length=200, blank=True)

    class Meta:
        ordering = ["bulletin", "-number"]
        verbose_name = verbose_name_plural = "资讯版本"
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "number"], name="one_row_per_bulletin_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} v{self.number}"
