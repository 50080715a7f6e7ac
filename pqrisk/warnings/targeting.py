"""Who a warning is for (预警对象): the district bureaus that receive its internal notice and
must dispose of it, and the industries whose operators its industry warning addresses.

A warning's scope decides by default — every district for a city-wide warning, otherwise
the warning's district and those its evidence comes from. The bureau may name the districts
itself (``Warning.target_districts``); then those are the ones, in both roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import Scope
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import District, ProductCategory
from pqrisk.stations.choices import StationKind, StationStatus
from pqrisk.stations.models import MonitoringStation

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


# ---------------------------------------------------------------- setting the targets

# Targets can change until the warning is approved: approval dispatches the disposal tasks
# to the districts that must dispose.
TARGETABLE_STATES = ("draft", "in_review", "rejected")
# An industry's operators are offered as recipients up to this many (the page's list).
MAX_INDUSTRY_SUGGESTIONS = 50


@transaction.atomic
def set_targets(
    warning: Warning,
    user: Any,
    *,
    districts: Iterable[District],
    categories: Iterable[ProductCategory],
) -> Warning:
    """Name the districts and industries ``warning`` is for (city roles, before approval);
    audited with what changed. Naming no district returns to the scope's default."""
    from .delivery import TARGETING_ROLES
    from .services import WarningError

    require_role(user, *TARGETING_ROLES)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status not in TARGETABLE_STATES:
        raise WarningError("预警批准后不能再修改主送及处置区局、涉及行业")
    districts, categories = list(districts), list(categories)
    before_d = {d.pk for d in warning.target_districts.all()}
    before_c = {c.pk for c in warning.target_categories.all()}
    if before_d == {d.pk for d in districts} and before_c == {c.pk for c in categories}:
        return warning
    warning.target_districts.set(districts)
    warning.target_categories.set(categories)
    named = (
        "、".join(d.name for d in districts) or f"按影响范围（{Scope(warning.scope).label}）确定"
    )
    industries = "、".join(c.name for c in categories) or "未指定"
    audit(
        "target",
        warning,
        actor=user,
        message=f"主送及处置区局：{named}；涉及行业：{industries}",
        detail={
            "districts": sorted(d.code for d in districts),
            "categories": sorted(c.code for c in categories),
            "version": warning.version,
        },
    )
    return warning


def industry_category_ids(warning: Warning) -> set[int]:
    """The named industries and every catalogue node below them (family → class → product)."""
    ids = set(warning.target_categories.values_list("pk", flat=True))
    frontier = set(ids)
    while frontier:
        frontier = (
            set(ProductCategory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return ids


def industry_enterprises(warning: Warning) -> list[Enterprise]:
    """Enterprises registered as making products of the named industries, in the districts
    that must dispose (all districts for a city-wide warning), at most
    MAX_INDUSTRY_SUGGESTIONS, by name."""
    categories = industry_category_ids(warning)
    if not categories:
        return []
    qs = Enterprise.objects.filter(products__in=categories)
    if warning.scope != Scope.CITY.value or named_districts(warning):
        qs = qs.filter(district__in=[d.pk for d in disposal_districts(warning)])
    return list(qs.distinct().order_by("name")[:MAX_INDUSTRY_SUGGESTIONS])


def station_recipients(warning: Warning) -> list[MonitoringStation]:
    """Active monitoring stations that are associations or e-commerce platforms: the
    industry warning's natural relays to their members and shops."""
    return list(
        MonitoringStation.objects.filter(
            status=StationStatus.ACTIVE,
            kind__in=(StationKind.ASSOCIATION, StationKind.ECOMMERCE),
        )
        .exclude(name__in=warning.recipients.values("name"))
        .order_by("kind", "name")
    )
