"""Probabilities and spreads as assessors read them on the expert pages."""

from __future__ import annotations

from typing import Any

from django import template

from pqrisk.core.assessment.matrix import format_probability

register = template.Library()


@register.filter
def one_in(value: Any) -> str:
    """A probability as "1/N" (0.004 → 1/250); "—" when there is none."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        return "—"
    return format_probability(p) if p > 0 else "—"


@register.filter
def factor(log10_spread: Any) -> str:
    """A log10 range as the factor between the extremes: 1.7 → "50倍"."""
    try:
        x = float(log10_spread)
    except (TypeError, ValueError):
        return "—"
    return f"{10**x:,.0f}倍" if x > 0 else "一致"
