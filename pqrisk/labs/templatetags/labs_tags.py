"""Badges and labels of lab sampling, drawn from the domain core's enums."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from pqrisk.core.assessment.lab import Screening, Verdict
from pqrisk.web.templatetags.pqrisk_tags import _ink

register = template.Library()


def _badge(member: Verdict | Screening | None, raw: Any) -> str:
    if member is None:
        return format_html('<span class="badge">{}</span>', raw or "—")
    return format_html(
        '<span class="badge level" style="--badge: {}; --badge-ink: {}">{}</span>',
        member.colour,
        _ink(member.colour),
        member.label,
    )


@register.filter
def verdict_badge(value: Any) -> str:
    """``{{ item.verdict|verdict_badge }}`` → 合格 green, 不合格 red, 不判定 grey."""
    return _badge(Verdict(value) if value in Verdict._value2member_map_ else None, value)


@register.filter
def screening_badge(value: Any) -> str:
    """``{{ rapid.screening|screening_badge }}`` → 阳性 red, 可疑 orange, 阴性 green."""
    return _badge(Screening(value) if value in Screening._value2member_map_ else None, value)
