"""The deployment's warning policy: the core's defaults with overrides from settings.

``settings.PQRISK_POLICY["warning"]`` may set, for example::

    {"publish_within_hours": {"red": 1}, "due_within_hours": {"yellow": 120},
     "report_within_hours_after_completion": 24, "raise_steps": 1}
"""

from __future__ import annotations

from dataclasses import fields, replace
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pqrisk.core.levels import WarningLevel
from pqrisk.core.warning.rules import DEFAULT_POLICY, WarningPolicy

_BY_LEVEL = ("publish_within_hours", "due_within_hours")
_NUMBERS = ("report_within_hours_after_completion", "raise_steps")


def warning_policy() -> WarningPolicy:
    overrides: dict[str, Any] = dict(getattr(settings, "PQRISK_POLICY", {}).get("warning", {}))
    known = {f.name for f in fields(WarningPolicy)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known or key not in (*_BY_LEVEL, *_NUMBERS):
            raise ImproperlyConfigured(f"PQRISK_POLICY['warning'] cannot set {key!r}")
        if key in _BY_LEVEL:
            merged = dict(getattr(DEFAULT_POLICY, key))
            merged.update({WarningLevel(k): int(v) for k, v in dict(value).items()})
            changes[key] = MappingProxyType(merged)
        else:
            changes[key] = int(value)
    return replace(DEFAULT_POLICY, **changes) if changes else DEFAULT_POLICY
