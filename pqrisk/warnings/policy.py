"""The deployment's warning policy: the core's defaults with overrides from settings.

``settings.PQRISK_POLICY["warning"]`` may set any field of
``pqrisk.core.warning.rules.WarningPolicy`` in plain values, for example::

    {"publish_within_hours": {"red": 1}, "due_within_hours": {"yellow": 120},
     "colour_for": {"high": "red"}, "raise_for_scopes": "multi_district",
     "raise_for_urgency": [], "max_raise_steps": 2,
     "report_within_hours_after_completion": 24}

A setting that cannot be used stops the platform at start-up with the reason.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pqrisk.core.warning.rules import (
    DEFAULT_POLICY,
    PolicyError,
    WarningPolicy,
    policy_with_overrides,
)


def warning_policy() -> WarningPolicy:
    overrides: dict[str, Any] = dict(getattr(settings, "PQRISK_POLICY", {}).get("warning", {}))
    if not overrides:
        return DEFAULT_POLICY
    try:
        return policy_with_overrides(overrides)
    except PolicyError as exc:
        raise ImproperlyConfigured(f"PQRISK_POLICY['warning']: {exc}") from exc
