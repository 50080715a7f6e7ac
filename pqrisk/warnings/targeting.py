"""Who a warning is for (预警对象): the district bureaus that receive its internal notice and
must dispose of it, and the industries whose operators its industry warning addresses.

A warning's scope decides by default — every district for a city-wide warning, otherwise
the warning's district and those its evidence comes from. The bureau may name the districts
itself (``Warning.target_districts``); then those are the ones, in both roles.
"""

from __future__ import annotations

from pqrisk.core.levels import Scope
from pqrisk.reference.models import District

from .models import Warning


def named_districts(warning: Warning) -> list[District]:
    """The districts the bureau named for ``warning`` (may be empty)."""
    return list(warning.target_districts.order_by("code"))


def evidence_districts(warning: Warning) -> set[int]:
    """Ids of the warning's own district and those of its risk information."""
    ids = {warning.district_id} if warning.district_id else set()
    ids |= set(warning.risk_infos.exclude(district=None).values_list("district_id", flat=True))
    return ids


def disposal_districts(warning: Warning) -> list[District]:
    """The districts that must dispose of ``warning``: those named; else all for a city-wide
    warning; else the warning's district, or those its evidence comes from (all if none)."""
    named = named_districts(warning)
    if named:
        return named
    if warning.scope == Scope.CITY.value:
        return list(District.objects.order_by("code"))
    if warning.district_id is not None:
        return list(District.objects.filter(pk=warning.district_id))
    ids = evidence_districts(warning)
    return list(District.objects.filter(pk__in=ids).order_by("code")) or list(
        District.objects.order_by("code")
    )


def notice_districts(warning: Warning) -> list[District]:
    """The district bureaus an internal notice (风险通报) goes to: those that must dispose,
    and any district with a disposal task for it."""
    ids = {d.pk for d in disposal_districts(warning)}
    ids |= set(warning.tasks.values_list("district_id", flat=True))
    return list(District.objects.filter(pk__in=ids).order_by("code"))
