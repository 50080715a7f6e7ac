"""Read the database into the knowledge graph's plain records, and keep the built graph.

Each record becomes the provenance of the edges it supports (``RiskInfo #123``,
``Enterprise register #7``, ``Warning #5``, ``Sample S-2026-001``). The graph is built once
and kept for ``PQRISK_GRAPH_CACHE_SECONDS`` (300 s by default), and rebuilt sooner when rows
are added or removed (a fingerprint of counts and highest ids, a few aggregate queries) —
at most once a minute, unless the node asked about is not in the kept graph yet.
A district officer gets the district's view of it (``scope_to_district``).
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Model
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.assessment.models import Assessment, AssessmentCase
from pqrisk.core.graph import GraphRecords, KnowledgeGraph, build_graph
from pqrisk.core.graph.correlate import Community, communities
from pqrisk.core.graph.model import EnterpriseRole
from pqrisk.core.graph.query import scope_to_district
from pqrisk.core.graph.records import (
    CaseRecord,
    CategoryRecord,
    DistrictRecord,
    EnterpriseRecord,
    EventRecord,
    HazardRecord,
    ProductRecord,
    RiskItemRecord,
    SampleRecord,
    WarningRecord,
)
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.labs.models import Sample, TestItem
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.warnings.models import Warning

DEFAULT_CACHE_SECONDS = 300
# Items screening found to be noise or a repeat say nothing the original does not.
LEFT_OUT_STATUSES = (RiskInfoStatus.NOISE, RiskInfoStatus.DUPLICATE)
# Keys a source's details may use for the platform it was sold on and a supplier named.
PLATFORM_KEYS = ("platform", "电商平台", "销售平台")
SUPPLIER_KEYS = ("supplier", "供应商")
FAILED_CONCLUSION = "不合格"
_LIST_SPLIT = re.compile(r"[、,，;；]+")


def role_of_kind(kind: str) -> EnterpriseRole:
    """The register's 企业类型 as a role in the graph (``生产企业`` → manufacturer…)."""
    if not kind:
        return EnterpriseRole.UNKNOWN
    if "平台" in kind:
        return EnterpriseRole.PLATFORM
    if "生产" in kind or "制造" in kind:
        return EnterpriseRole.MANUFACTURER
    if "销售" in kind or "经营" in kind or "个体" in kind:
        return EnterpriseRole.SELLER
    if "供应" in kind:
        return EnterpriseRole.SUPPLIER
    return EnterpriseRole.UNKNOWN


def _day(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _LIST_SPLIT.split(text or "") if p.strip())


def _first(details: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = details.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def load_records() -> GraphRecords:
    """Everything the graph is built from, read with a few queries (no model instances)."""
    r = GraphRecords()
    r.districts = [DistrictRecord(c, n) for c, n in District.objects.values_list("code", "name")]
    r.hazards = [HazardRecord(c, n) for c, n in HazardType.objects.values_list("code", "name")]
    r.categories = [
        CategoryRecord(c, n, p)
        for c, n, p in ProductCategory.objects.values_list("code", "name", "parent__code")
    ]
    cat_names = {c.code: c.name for c in r.categories}
    hazard_names = {h.code: h.name for h in r.hazards}
    district_names = {d.code: d.name for d in r.districts}

    registered: dict[int, list[str]] = defaultdict(list)
    through = Enterprise.products.through.objects.values_list(
        "enterprise_id", "productcategory__code"
    )
    for ent_id, code in through:
        registered[ent_id].append(code)
    roles: dict[int, EnterpriseRole] = {}
    names: dict[int, str] = {}
    for pk, name, district, kind, uscc in Enterprise.objects.values_list(
        "id", "name", "district__code", "kind", "uscc"
    ):
        roles[pk] = role_of_kind(kind)
        names[pk] = name
        r.enterprises.append(
            EnterpriseRecord(
                str(pk), name, district, roles[pk], uscc, tuple(sorted(registered[pk]))
            )
        )
    r.products = [
        ProductRecord(str(pk), name, cat, _s(ent), brand, model)
        for pk, name, cat, ent, brand, model in Product.objects.values_list(
            "id", "name", "category__code", "enterprise_id", "brand", "model"
        )
    ]

    for e in Event.objects.values(
        "id",
        "product_category__code",
        "hazard__code",
        "enterprise_id",
        "district__code",
        "last_seen",
    ):
        where = names.get(e["enterprise_id"]) or district_names.get(e["district__code"], "")
        cat, haz = e["product_category__code"], e["hazard__code"]
        title = f"{where}{cat_names.get(cat, cat)}（{hazard_names.get(haz, haz)}）"
        r.events.append(
            EventRecord(
                str(e["id"]),
                title,
                cat,
                haz,
                _day(e["last_seen"]),
                e["district__code"],
                _s(e["enterprise_id"]),
            )
        )

    levels = dict(
        Assessment.objects.order_by("created_at", "id").values_list("risk_info_id", "level")
    )
    items = RiskInfo.objects.exclude(status__in=LEFT_OUT_STATUSES).values(
        "id",
        "title",
        "source_kind",
        "status",
        "occurred_at",
        "screened_at",
        "district__code",
        "product_category__code",
        "hazard__code",
        "enterprise_id",
        "enterprise_name",
        "product_id",
        "brand",
        "event_id",
        "severity_hint",
        "tags",
        "raw_item__payload__details",
    )
    for i in items.iterator(chunk_size=2000):
        r.risk_items.append(_risk_item(i, roles, levels))

    failed: dict[int, list[str]] = defaultdict(list)
    for sample_id, standard, name in TestItem.objects.filter(verdict="fail").values_list(
        "sample_id", "standard", "name"
    ):
        failed[sample_id].append(standard or name)
    for s in Sample.objects.filter(id__in=list(failed)).values(
        "id",
        "code",
        "name",
        "brand",
        "model",
        "manufacturer_name",
        "registered_at",
        "task__code",
        "task__enterprise_id",
        "task__district__code",
        "task__product_category__code",
        "task__platform",
        "task__shop_name",
        "task__purchased_on",
    ):
        r.samples.append(_sample(s, names, tuple(dict.fromkeys(failed[s["id"]]))))

    warned: dict[int, list[str]] = defaultdict(list)
    for w_id, info_id in Warning.risk_infos.through.objects.values_list(
        "warning_id", "riskinfo_id"
    ):
        warned[w_id].append(str(info_id))
    for w in Warning.objects.values(
        "id",
        "title",
        "level",
        "status",
        "created_at",
        "published_at",
        "district__code",
        "product_category__code",
        "hazard__code",
        "brands",
    ):
        r.warnings.append(
            WarningRecord(
                str(w["id"]),
                w["title"],
                w["level"],
                w["status"],
                _day(w["published_at"] or w["created_at"]),
                w["district__code"],
                w["product_category__code"],
                w["hazard__code"],
                tuple(warned[w["id"]]),
                _split(w["brands"]),
            )
        )

    covered: dict[int, list[str]] = defaultdict(list)
    for c_id, info_id in AssessmentCase.risk_infos.through.objects.values_list(
        "assessmentcase_id", "riskinfo_id"
    ):
        covered[c_id].append(str(info_id))
    for c in AssessmentCase.objects.values(
        "id",
        "code",
        "title",
        "status",
        "opened_at",
        "district__code",
        "product_category__code",
        "hazard__code",
        "enterprise_id",
        "event_id",
    ):
        r.cases.append(
            CaseRecord(
                str(c["id"]),
                c["code"],
                c["title"],
                c["status"],
                _day(c["opened_at"]),
                c["district__code"],
                c["product_category__code"],
                c["hazard__code"],
                _s(c["enterprise_id"]),
                _s(c["event_id"]),
                tuple(covered[c["id"]]),
            )
        )
    return r


def _risk_item(
    i: Mapping[str, Any], roles: dict[int, EnterpriseRole], levels: dict[int, str]
) -> RiskItemRecord:
    details = i["raw_item__payload__details"]
    details = details if isinstance(details, dict) else {}
    tags = i["tags"] if isinstance(i["tags"], dict) else {}
    models = [m for m in tags.get("models") or [] if isinstance(m, str)]
    standards: tuple[str, ...] = ()
    if i["source_kind"] == "spot_check" and details.get("conclusion") == FAILED_CONCLUSION:
        standards = _split(str(details.get("standard") or ""))
    ent = i["enterprise_id"]
    return RiskItemRecord(
        id=str(i["id"]),
        title=i["title"],
        source_kind=i["source_kind"],
        when=_day(i["occurred_at"] or i["screened_at"]),
        status=i["status"],
        district=i["district__code"],
        category=i["product_category__code"],
        hazard=i["hazard__code"],
        enterprise=_s(ent),
        enterprise_name="" if ent else i["enterprise_name"],
        enterprise_role=roles.get(ent, EnterpriseRole.UNKNOWN) if ent else EnterpriseRole.UNKNOWN,
        product=_s(i["product_id"]),
        brand=i["brand"],
        model="" if i["product_id"] else (models[0] if models else ""),
        event=_s(i["event_id"]),
        level=levels.get(i["id"], ""),
        severity=i["severity_hint"],
        failed_standards=standards,
        platform=_first(details, PLATFORM_KEYS),
        supplier=_first(details, SUPPLIER_KEYS),
    )


def _sample(
    s: Mapping[str, Any], names: dict[int, str], standards: tuple[str, ...]
) -> SampleRecord:
    ent = s["task__enterprise_id"]
    labelled = (s["manufacturer_name"] or "").strip()
    # The task's enterprise is the maker unless the label names another one.
    maker_is_task = ent is not None and (not labelled or labelled == names.get(ent))
    return SampleRecord(
        id=str(s["id"]),
        code=s["code"],
        name=s["name"],
        when=_day(s["task__purchased_on"] or s["registered_at"]),
        district=s["task__district__code"],
        category=s["task__product_category__code"],
        manufacturer=_s(ent) if maker_is_task else None,
        manufacturer_name="" if maker_is_task else labelled,
        seller_name=s["task__shop_name"] or "",
        platform=s["task__platform"] or "",
        brand=s["brand"],
        model=s["model"],
        failed_standards=standards,
        task_code=s["task__code"],
    )


# ---------------------------------------------------------------------- the kept graph


@dataclass
class Snapshot:
    """A built graph, when it was built and from which state of the database."""

    graph: KnowledgeGraph
    fingerprint: tuple[Any, ...]
    built_at: float
    build_seconds: float
    _communities: list[Community] | None = field(default=None, repr=False)

    def communities(self) -> list[Community]:
        if self._communities is None:
            self._communities = communities(self.graph)
        return self._communities


FINGERPRINT_MODELS: tuple[type[Model], ...] = (
    RiskInfo,
    Event,
    Warning,
    AssessmentCase,
    Assessment,
    Enterprise,
    Product,
    Sample,
    TestItem,
    Warning.risk_infos.through,
    AssessmentCase.risk_infos.through,
)


def fingerprint() -> tuple[Any, ...]:
    out: list[Any] = []
    for model in FINGERPRINT_MODELS:
        agg = model._default_manager.aggregate(n=Count("pk"), top=Max("pk"))
        out.append((agg["n"], agg["top"]))
    return tuple(out)


_lock = threading.Lock()
_cache: dict[str, Snapshot] = {}


DEFAULT_MIN_REBUILD_SECONDS = 60


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _fresh_enough(snap: Snapshot | None, mark: tuple[Any, ...], require: str | None) -> bool:
    """Whether the kept graph will do. Older than the TTL: no. Same rows: yes. Rows changed:
    yes while it is younger than ``PQRISK_GRAPH_MIN_REBUILD_SECONDS`` and holds the node
    asked about — items arrive all day, and a rebuild at every one would cost each request
    seconds; the node asked about (a case just opened) forces one."""
    if snap is None:
        return False
    age = time.monotonic() - snap.built_at
    if age >= _setting("PQRISK_GRAPH_CACHE_SECONDS", DEFAULT_CACHE_SECONDS):
        return False
    if snap.fingerprint == mark:
        return True
    if age >= _setting("PQRISK_GRAPH_MIN_REBUILD_SECONDS", DEFAULT_MIN_REBUILD_SECONDS):
        return False
    return require is None or require in snap.graph


def city_snapshot(require: str | None = None) -> Snapshot:
    """The whole city's graph, rebuilt when stale (see ``_fresh_enough``)."""
    mark = fingerprint()
    with _lock:  # one build at a time; those waiting then find it done
        snap = _cache.get("city")
        if _fresh_enough(snap, mark, require):
            assert snap is not None
            return snap
        started = time.monotonic()
        graph = build_graph(load_records())
        now = time.monotonic()
        _cache.clear()  # district views derive from the city's graph
        snap = _cache["city"] = Snapshot(graph, mark, now, now - started)
        return snap


def snapshot_for(user: Any, require: str | None = None) -> Snapshot:
    """The graph ``user`` may see: the city's for city-wide roles, the district's view for a
    district officer; anyone else is refused."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied("请先登录")
    if not user.is_city_wide and not (
        user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None
    ):
        raise PermissionDenied("您的账户没有查看知识图谱的角色。")
    city = city_snapshot(require)
    if user.is_city_wide:
        return city
    key = f"district:{user.district.code}"
    with _lock:
        snap = _cache.get(key)
        if snap is None or snap.built_at < city.built_at:
            started = time.monotonic()
            graph = scope_to_district(city.graph, user.district.code)
            now = time.monotonic()
            snap = _cache[key] = Snapshot(graph, city.fingerprint, now, now - started)
        return snap
