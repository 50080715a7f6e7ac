"""The field-level change history of one object, for the admin's history page."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django import template
from django.db.models import Model

register = template.Library()

# The admin history page shows the latest changes; the full list is under 字段变更日志.
HISTORY_LIMIT = 100


@register.simple_tag
def field_history(obj: Model | None) -> dict[str, Any]:
    """Latest django-auditlog entries of ``obj`` (none when its model is not registered)."""
    if obj is None or not auditlog.contains(type(obj)):
        return {"tracked": False, "entries": [], "more": False}
    entries = list(
        LogEntry.objects.get_for_object(obj)
        .select_related("actor")
        .order_by("-timestamp", "-id")[: HISTORY_LIMIT + 1]
    )
    return {
        "tracked": True,
        "entries": entries[:HISTORY_LIMIT],
        "more": len(entries) > HISTORY_LIMIT,
    }
