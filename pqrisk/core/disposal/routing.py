"""Who handles each disposal route (联动处置, METHODS §3) and which task carries it.

A route taken on every district's task (``per_district``) is work in each district:
inspection and enforcement. The others concern the product as a whole and are carried once,
by the lead task of the warning: notifying the certification body, supervising the recall,
feeding back to the standards department and sharing with the Yangtze River Delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pqrisk.core.levels import DisposalRoute


@dataclass(frozen=True)
class RouteTerms:
    """How one route is handled: the unit (``{district}`` is the task's district), whether each
    district's task takes it, whether only the city bureau acts on it, and whether a
    follow-up check comes after it."""

    unit: str
    per_district: bool
    city_only: bool
    follow_up: bool = False
    # Unit when the city bureau organises the disposal (red/orange), if different.
    unit_when_city: str = ""

    def unit_for(self, district_name: str, organiser: str) -> str:
        text = self.unit_when_city if organiser == "city" and self.unit_when_city else self.unit
        return text.format(district=district_name)


ROUTE_TERMS: Mapping[DisposalRoute, RouteTerms] = MappingProxyType(
    {
        DisposalRoute.INSPECTION: RouteTerms("{district}市场监管局", True, False),
        DisposalRoute.CERTIFICATION: RouteTerms(
            "市局认证监督管理处（通报发证认证机构）", False, True, follow_up=True
        ),
        DisposalRoute.ENFORCEMENT: RouteTerms(
            "{district}市场监管局执法大队",
            True,
            False,
            unit_when_city="市市场监管局执法总队（会同{district}市场监管局）",
        ),
        DisposalRoute.RECALL: RouteTerms("市局缺陷产品召回监管部门", False, True),
        DisposalRoute.STANDARDS: RouteTerms("市局标准化处", False, True),
        DisposalRoute.YRD_SHARING: RouteTerms("市局长三角区域协作联络组", False, True),
        DisposalRoute.MONITOR: RouteTerms("{district}市场监管局", True, False),
    }
)


def task_routes(routes: Iterable[DisposalRoute], *, lead: bool) -> tuple[DisposalRoute, ...]:
    """Routes one district's task carries: the per-district ones, plus the others on the lead
    task. A task always has some work: inspection when no per-district route applies (a
    colour that needs a task needs the district to act)."""
    wanted = [r for r in routes if r != DisposalRoute.MONITOR]
    own = [r for r in wanted if ROUTE_TERMS[r].per_district or lead]
    if not any(ROUTE_TERMS[r].per_district for r in own):
        own.insert(0, DisposalRoute.INSPECTION)
    order = list(DisposalRoute)
    return tuple(sorted(dict.fromkeys(own), key=order.index))
