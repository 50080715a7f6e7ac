"""The public consumer advisories (风险提示) as RSS 2.0 and Atom feeds, for media and apps to
follow: the same published advisories the public page shows, nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.warnings.models import Warning

FEED_ITEMS = 50


def published_advisories(limit: int = 100) -> list[Warning]:
    """Published warnings issued as consumer advisories, newest first."""
    mode = WarningMode.CONSUMER_ADVISORY.value
    # JSON "contains" is not available on SQLite; the published set is small.
    published = Warning.objects.filter(status="published").order_by("-published_at", "-id")[:500]
    return [w for w in published if mode in (w.modes or [])][:limit]


def published_advisory(pk: int) -> Warning | None:
    """Warning ``pk`` if it is a published consumer advisory, else None."""
    warning = Warning.objects.filter(pk=pk, status="published").first()
    if warning is None or WarningMode.CONSUMER_ADVISORY.value not in (warning.modes or []):
        return None
    return warning


class AdvisoryFeed(Feed):
    title = "消费风险提示 · 上海市市场监督管理局"
    description = "工业产品质量安全风险评估预警平台发布的消费风险提示"
    language = "zh-cn"

    def link(self) -> str:
        return reverse("web:public_advisories")

    def items(self) -> list[Warning]:
        return published_advisories(FEED_ITEMS)

    def item_title(self, item: Warning) -> str:
        return f"【{WarningLevel(item.level).label}】{item.title}"

    def item_description(self, item: Warning) -> str:
        parts = [item.body or item.title]
        if item.advice:
            parts.append(f"消费者应对建议：{item.advice}")
        return "\n".join(parts)

    def item_link(self, item: Warning) -> str:
        return reverse("web:public_advisory", args=[item.pk])

    def item_guid(self, item: Warning) -> str:
        return f"pqrisk-advisory-{item.pk}-v{item.version}"

    def item_pubdate(self, item: Warning) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Warning) -> datetime | None:
        return item.published_at

    def item_categories(self, item: Warning) -> list[Any]:
        names = [WarningLevel(item.level).label]
        if item.product_category_id and item.product_category:
            names.append(item.product_category.name)
        return names


class AdvisoryAtomFeed(AdvisoryFeed):
    feed_type = Atom1Feed
    subtitle = AdvisoryFeed.description
