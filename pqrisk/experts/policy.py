"""The deployment's expert policy: the core's defaults with overrides from settings.

``settings.PQRISK_POLICY["experts"]`` may set, for example::

    {"recent_draw_days": 60, "panel_size": 7, "max_level_span": 1,
     "max_step_log10_spread": 1.0, "consult_gap": 2}

``recent_draw_days`` (default 30) and ``panel_size`` (default 5) are the draw's
(``pqrisk.core.assessment.draw``); the others are ``DelphiPolicy`` fields
(``pqrisk.core.assessment.experts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pqrisk.core.assessment.draw import DEFAULT_PANEL_SIZE, MAX_PANEL_SIZE, RECENT_DRAW_DAYS
from pqrisk.core.assessment.experts import DEFAULT_POLICY, DelphiPolicy


@dataclass(frozen=True)
class ExpertPolicy:
    recent_draw_days: int = RECENT_DRAW_DAYS
    panel_size: int = DEFAULT_PANEL_SIZE
    delphi: DelphiPolicy = field(default=DEFAULT_POLICY)


def expert_policy() -> ExpertPolicy:
    overrides: dict[str, Any] = dict(getattr(settings, "PQRISK_POLICY", {}).get("experts", {}))
    delphi_fields = {f.name: f.type for f in fields(DelphiPolicy)}
    delphi: dict[str, Any] = {}
    draw: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("recent_draw_days", "panel_size"):
            draw[key] = int(value)
        elif key in delphi_fields:
            delphi[key] = float(value) if "float" in str(delphi_fields[key]) else int(value)
        else:
            raise ImproperlyConfigured(f"PQRISK_POLICY['experts'] cannot set {key!r}")
    if draw.get("recent_draw_days", 0) < 0:
        raise ImproperlyConfigured("PQRISK_POLICY['experts']['recent_draw_days'] must be >= 0")
    if not 1 <= draw.get("panel_size", DEFAULT_PANEL_SIZE) <= MAX_PANEL_SIZE:
        raise ImproperlyConfigured(
            f"PQRISK_POLICY['experts']['panel_size'] must be 1..{MAX_PANEL_SIZE}"
        )
    return ExpertPolicy(delphi=replace(DEFAULT_POLICY, **delphi), **draw)
