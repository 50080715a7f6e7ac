"""Foreign alerts in the loop (境外通报): load, tag, match to local firms, raise, review.

- ``ingest_foreign_file`` reads a Safety Gate CSV/JSON export or a CPSC file (legacy JSONL or
  the recent CSV) and hands its records to the common intake path: every alert becomes a raw
  item of source ``foreign_recall`` (``SG-<alert number>`` / ``CPSC-<recall number>``, so a
  file loaded twice stores nothing new), every bad row is quarantined with its reason.
- ``process_pending`` takes the foreign raw items without an alert, tags them with the
  foreign tagger (pqrisk.core.foreign.tagging), stores a ``ForeignAlert`` with Chinese summary
  fields, and matches it to local enterprises (pqrisk.foreign.matching).
- An alert matched with high confidence, or whose candidate a reviewer confirms, raises the
  risk information screening made of it (status 境外参考 → 待评估, with the firm, its
  district, the product category and hazard): the alert enters the firm's district's work.
  If screening has not run yet the alert keeps ``needs_raise`` and the next run raises it.

Every change of state is audited. Views check role and district with the ``may_*``
functions; the changing functions check again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.audit.services import record as audit
from pqrisk.audit.services import record_many
from pqrisk.enterprises.models import Enterprise
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import IngestResult, ingest_entries
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo
from pqrisk.sources.readers import Entry
from pqrisk.sources.records import RecordRejected, json_text
from pqrisk.taxonomy.loader import load_hazards, product_by_code

from . import summary
from .choices import (
    ACCEPTED_STATES,
    OPEN_STATES,
    AlertOrigin,
    AlertStatus,
    AliasKind,
    MatchState,
)
from .matching import (
    ForeignMatcher,
    brand_key,
    facts_of,
    load_register,
    name_key,
    thresholds,
)
from .models import EnterpriseAlias, ForeignAlert, ForeignAlertRiskType, ForeignMatch

log = logging.getLogger(__name__)
SOURCE = "foreign_recall"
CHUNK = 200
FORMATS = ("auto", "safety-gate-csv", "safety-gate-json", "cpsc-json", "cpsc-csv")
FORMAT_LABELS = {
    "safety-gate-csv": "欧盟Safety Gate CSV导出",
    "safety-gate-json": "欧盟Safety Gate JSON导出",
    "cpsc-json": "美国CPSC召回（JSON Lines）",
    "cpsc-csv": "美国CPSC召回（CSV）",
}
# Roles that review matches and keep aliases city-wide; a district officer does so for the
# firms of their own district (as for the record-matching review, enterprises/matching.py).
CITY_REVIEWERS = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)
REMATCH_LIMIT = 500  # alerts looked at again after an alias is added
MAX_REASON = 300


class ForeignReviewError(ValueError):
    """A review or alias change that cannot be done; the message is for the user."""


# ----------------------------------------------------------------------------- loading
def detect_format(path: Path) -> str:
    """The format of a file from its suffix and first line: CPSC files name
    ``recall_number``, anything else is read as a Safety Gate export."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "ignore").lstrip("\ufeff").lstrip()
    except OSError:
        head = ""
    first = head.split("\n", 1)[0]
    if suffix in (".json", ".jsonl", ".ndjson") or head.startswith(("{", "[")):
        return (
            "cpsc-json"
            if "recall_number" in first and "alert" not in first.lower()
            else ("safety-gate-json")
        )
    return "cpsc-csv" if "recall_number" in first else "safety-gate-csv"


def foreign_entries(path: Path, fmt: str = "auto") -> Iterator[Entry]:
    """The entries (records or rejections) of a foreign-alert file in ``fmt``."""
    from pqrisk.sources.cpsc import iter_cpsc_legacy, iter_cpsc_recent
    from pqrisk.sources.safety_gate import iter_safety_gate_csv, iter_safety_gate_json

    if fmt not in FORMATS:
        raise ValueError(f"未知的文件格式：{fmt}（可选：{'、'.join(FORMATS)}）")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "safety-gate-csv":
        yield from iter_safety_gate_csv(path)
    elif fmt == "safety-gate-json":
        yield from iter_safety_gate_json(path)
    else:
        reader = iter_cpsc_legacy if fmt == "cpsc-json" else iter_cpsc_recent
        for number, value in enumerate(reader(path), start=1):
            if isinstance(value, ValueError):
                line = getattr(value, "line_no", None) or number
                yield Entry(
                    f"{path.name}:{line}",
                    getattr(value, "raw", "") or str(value),
                    RecordRejected(
                        getattr(value, "reason", "malformed"),
                        f"CPSC召回记录无法读取：{value}",
                        str(value),
                    ),
                )
            else:
                yield Entry(f"{path.name}:{number}", json_text(value), value)


def ingest_foreign_file(
    path: Path, fmt: str = "auto", *, user: Any = None, source_label: str | None = None
) -> IngestResult:
    """Load one file of foreign alerts: new alerts become raw items, repeats are counted,
    bad rows are quarantined with their reason (accepted + repeats + quarantined = rows)."""
    path = Path(path)
    return ingest_entries(
        foreign_entries(path, fmt),
        source_label=source_label or f"境外通报：{path.name}",
        default_source=SOURCE,
        user=user,
    )


# ----------------------------------------------------------------------------- tagging
def _details(payload: Any) -> dict[str, Any]:
    details = payload.get("details") if isinstance(payload, dict) else None
    return details if isinstance(details, dict) else {}


def _join(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(
            str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()
        )
    return str(value).strip() if isinstance(value, str | int | float) else ""


def origin_of(payload: dict[str, Any]) -> str:
    details = _details(payload)
    origin = details.get("origin")
    if origin in AlertOrigin.values:
        return str(origin)
    ext = str(payload.get("external_id") or "")
    return AlertOrigin.CPSC if ext.startswith("CPSC-") else AlertOrigin.SAFETY_GATE


def tagger_fields(payload: dict[str, Any]) -> dict[str, str | None]:
    """The tagger's input fields from a foreign raw item's payload, by origin."""
    d = _details(payload)
    if origin_of(payload) == AlertOrigin.SAFETY_GATE:
        return {
            "id": str(payload.get("external_id") or ""),
            "product_name": _join(d.get("product_name")) or _join(payload.get("product_name")),
            "product_description": _join(d.get("product_description")),
            "brand": _join(d.get("brand")),
            "model": _join(d.get("model")),
            "product_category": _join(d.get("product_category")),
            "risk_type": _join(d.get("risk_type")),
            "risk_description": _join(d.get("risk_description")),
            "country_of_origin": _join(d.get("country_of_origin")),
        }
    # CPSC: the recent CSV keeps its title and description; the legacy API its product
    # types, descriptions (the payload's text) and hazard labels.
    countries = d.get("countries") if isinstance(d.get("countries"), list) else []
    return {
        "id": str(payload.get("external_id") or ""),
        "product_name": _join(d.get("title_en")) or _join(d.get("product_types_en")),
        "product_description": _join(d.get("description_en")) or _join(payload.get("text")),
        "brand": _join(payload.get("brand")),
        "model": _join(payload.get("model")),
        "product_category": "",
        "risk_type": "",
        "risk_description": _join(d.get("hazards_en")),
        "country_of_origin": str(countries[0]) if countries else _join(d.get("country_of_origin")),
    }


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def build_alert(
    item: RawItem,
    tags: Any,
    categories: dict[str, ProductCategory],
    hazards: dict[str, HazardType],
) -> ForeignAlert:
    """An unsaved ForeignAlert for a foreign raw item and its ``ForeignTags``."""
    p = item.payload if isinstance(item.payload, dict) else {}
    d = _details(p)
    origin = origin_of(p)
    fields = tagger_fields(p)
    risk_types = [t.value for t in tags.supported_risk_types()]
    hazard_tags = sorted(tags.hazards, key=lambda t: -t.score)
    hazard_codes = [t.value for t in hazard_tags]
    category = tags.supported_category()
    code = tags.catalogue_code.value if tags.catalogue_code else ""
    catalogue = categories.get(code)
    primary = next((hazards[c] for c in hazard_codes if c in hazards), None)
    hazard_names = _hazard_names()
    category_zh = summary.category_zh(category.value) if category else ""
    if not category_zh and code and (node := product_by_code(code)):
        category_zh = node.name
    country = tags.country.value if tags.country else ""
    notifying = _join(d.get("notifying_country")) or (
        "United States" if origin == AlertOrigin.CPSC else ""
    )
    measures = _join(d.get("measures")) or _join(d.get("remedy"))
    number = _join(d.get("alert_number")) or _join(d.get("recall_number"))
    barcodes = d.get("barcodes") or d.get("upcs") or []
    manufacturer = _join(d.get("manufacturer")) or _join(d.get("manufacturer_raw"))
    manufacturer = manufacturer or _join(d.get("manufacturers"))
    return ForeignAlert(
        raw_item=item,
        origin=origin,
        alert_number=(number or item.external_id)[:120],
        alert_date=_date(p.get("occurred_at")),
        date_raw=(_join(d.get("date_raw")) or _join(d.get("recall_date_raw")))[:60],
        url=_join(d.get("url"))[:500],
        notifying_country=notifying[:80],
        country_of_origin=(fields.get("country_of_origin") or "")[:120],
        product_name=(fields.get("product_name") or p.get("title") or "")[:300],
        product_description=fields.get("product_description") or "",
        brand=(fields.get("brand") or "")[:200],
        model=(fields.get("model") or "")[:200],
        barcodes=[str(b) for b in barcodes if isinstance(b, str | int)][:50],
        manufacturer=manufacturer[:300],
        risk_type_given=(fields.get("risk_type") or "")[:300],
        category_given=(fields.get("product_category") or "")[:120],
        risk_description=fields.get("risk_description") or "",
        measures=measures,
        tags=tags.to_dict(),
        risk_types=risk_types,
        hazard_codes=hazard_codes,
        category=(category.value if category else "")[:80],
        catalogue_code=code[:12] if catalogue else "",
        product_category=catalogue,
        hazard=primary,
        country=country[:80],
        origin_region=(tags.origin_region or "")[:2],
        made_in_china=bool(tags.made_in_china),
        category_zh=category_zh[:120],
        hazard_zh="、".join(hazard_names.get(c, c) for c in hazard_codes)[:200],
        risk_types_zh=summary.risk_types_zh(risk_types)[:200],
        origin_zh=(
            summary.country_zh(tags.origin_region or country)
            if (tags.origin_region or country)
            else ""
        )[:80],
        notifying_country_zh=summary.country_zh(notifying)[:80],
        measures_zh=summary.measures_zh(measures),
        status=AlertStatus.PENDING,
    )


@cache
def _hazard_names() -> dict[str, str]:
    return {h.code: h.name for h in load_hazards()}


def pending_items() -> QuerySet[RawItem]:
    """Foreign raw items without an alert, oldest first."""
    return RawItem.objects.filter(source_kind=SOURCE, foreign_alert__isnull=True).order_by("id")


def process_pending(limit: int | None = None, *, chunk: int = CHUNK) -> dict[str, int]:
    """Tag every foreign raw item without an alert, store the alerts, match them, and raise
    the risk information of matched alerts (also of those matched before screening ran).

    Idempotent: an item with an alert is not taken again (unique raw item per alert). Safe to
    run concurrently: on PostgreSQL each chunk locks its raw items with SKIP LOCKED, so two
    workers take different items; elsewhere writes are serialised and the unique constraint
    refuses a second alert for an item."""
    from pqrisk.core.foreign.tagging import ForeignTagger

    counts: Counter[str] = Counter()
    ids = list(pending_items().values_list("id", flat=True)[:limit])
    tagger = ForeignTagger.default() if ids else None
    matcher: ForeignMatcher | None = None
    categories = {c.code: c for c in ProductCategory.objects.all()} if ids else {}
    hazards = {h.code: h for h in HazardType.objects.all()} if ids else {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            qs = RawItem.objects.filter(id__in=part, foreign_alert__isnull=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            items = list(qs)
            if not items:
                continue
            assert tagger is not None
            tags = tagger.tag_many(tagger_fields(i.payload) for i in items)
            alerts = [
                build_alert(i, t, categories, hazards) for i, t in zip(items, tags, strict=True)
            ]
            raw_ids = [i.pk for i in items]
            ForeignAlert.objects.bulk_create(alerts, ignore_conflicts=True)
            stored = list(
                ForeignAlert.objects.filter(raw_item_id__in=raw_ids)
                .select_related("raw_item")
                .order_by("id")
            )
            rows = [
                ForeignAlertRiskType(alert=a, risk_type=r[:60])
                for a in stored
                for r in dict.fromkeys(a.risk_types)
            ]
            ForeignAlertRiskType.objects.bulk_create(rows, ignore_conflicts=True)
            _attach_risk_infos(stored)
            record_many(
                "foreign_tagged",
                stored,
                to_state=AlertStatus.PENDING,
                message=lambda a: (
                    f"境外通报{a.alert_number}已标注："
                    f"{a.risk_types_zh or '风险类型未识别'}；{a.category_zh or '类别未识别'}"
                    f"{'；中国制造' if a.made_in_china else ''}"
                ),
            )
            counts["tagged"] += len(stored)
            counts["made_in_china"] += sum(a.made_in_china for a in stored)
            counts["with_errors"] += sum(bool(a.errors) for a in stored)
            if matcher is None:
                matcher = ForeignMatcher(load_register(), thresholds())
            counts.update(_match_new(stored, matcher))
    counts["raised_later"] = raise_waiting()
    linked = link_risk_infos()
    if linked:
        counts["linked"] = linked
    return dict(counts)


def link_risk_infos(limit: int = 20_000) -> int:
    """Point alerts processed before screening at the risk information screening has made
    since (what a case is opened on); returns how many were linked."""
    waiting = dict(
        ForeignAlert.objects.filter(risk_info__isnull=True).values_list("raw_item_id", "id")[:limit]
    )
    if not waiting:
        return 0
    found: dict[int, int] = {}
    raw_ids = list(waiting)
    for start in range(0, len(raw_ids), 900):  # below SQLite's old parameter limit
        found.update(
            RiskInfo.objects.filter(raw_item_id__in=raw_ids[start : start + 900]).values_list(
                "raw_item_id", "id"
            )
        )
    rows = [ForeignAlert(pk=waiting[raw], risk_info_id=info) for raw, info in found.items()]
    ForeignAlert.objects.bulk_update(rows, ["risk_info"], batch_size=500)
    return len(rows)


def _match_new(alerts: list[ForeignAlert], matcher: ForeignMatcher) -> Counter[str]:
    """Match freshly tagged alerts: most have no candidate at all, and those are set to
    无本地关联 in one update with one audit insert; the others go through ``match_alert``."""
    counts: Counter[str] = Counter()
    with_matches = set(
        ForeignMatch.objects.filter(alert__in=alerts).values_list("alert_id", flat=True)
    )
    nothing: list[ForeignAlert] = []
    for alert in alerts:
        fresh = alert.status == AlertStatus.PENDING and alert.pk not in with_matches
        if fresh and not matcher.match(facts_of(alert_facts_fields(alert))):
            nothing.append(alert)
        else:
            counts[f"status_{match_alert(alert, matcher)}"] += 1
    if nothing:
        ForeignAlert.objects.filter(pk__in=[a.pk for a in nothing]).update(
            status=AlertStatus.NO_MATCH, updated_at=timezone.now()
        )
        for alert in nothing:
            alert.status = AlertStatus.NO_MATCH
        record_many(
            "foreign_status",
            nothing,
            from_state=AlertStatus.PENDING,
            to_state=AlertStatus.NO_MATCH,
            message="自动匹配：无本地关联",
        )
        counts[f"status_{AlertStatus.NO_MATCH}"] += len(nothing)
    return counts


def _attach_risk_infos(alerts: Iterable[ForeignAlert]) -> None:
    """Point alerts at the risk information screening made of their raw items."""
    waiting = {a.raw_item_id: a for a in alerts if a.risk_info_id is None}
    if not waiting:
        return
    found = dict(
        RiskInfo.objects.filter(raw_item_id__in=list(waiting)).values_list("raw_item_id", "id")
    )
    changed = []
    for raw_id, info_id in found.items():
        alert = waiting[raw_id]
        alert.risk_info_id = info_id
        changed.append(alert)
    if changed:
        ForeignAlert.objects.bulk_update(changed, ["risk_info"])


def raise_waiting(limit: int = 5000) -> int:
    """Raise the risk information of alerts matched before screening made it; returns how
    many were raised."""
    raised = 0
    waiting = list(
        ForeignAlert.objects.filter(needs_raise=True)
        .select_related("enterprise", "enterprise__district")
        .order_by("id")[:limit]
    )
    _attach_risk_infos(waiting)
    for alert in waiting:
        if alert.risk_info_id is None:
            continue
        with transaction.atomic():
            match = _accepted(alert)
            if match is not None and raise_risk_info(alert, match, None):
                raised += 1
            elif match is None:
                alert.needs_raise = False
                alert.save(update_fields=["needs_raise", "updated_at"])
    return raised


# ----------------------------------------------------------------------------- matching
def alert_facts_fields(alert: ForeignAlert) -> dict[str, Any]:
    d = _details(alert.raw_item.payload) if alert.raw_item_id else {}
    return {
        "brand": alert.brand,
        "manufacturer": alert.manufacturer,
        "manufacturers": d.get("manufacturers"),
        "trade_names": d.get("trade_names"),
        "importer": d.get("importer"),
        "recalling_firm": d.get("recalling_firm"),
        "model": alert.model,
        "barcodes": alert.barcodes,
        "catalogue_code": alert.catalogue_code,
    }


def match_alert(alert: ForeignAlert, matcher: ForeignMatcher | None = None) -> str:
    """Propose and store the candidates of one alert; returns the alert's status.

    A reviewer's decision stands: a confirmed candidate keeps the alert linked and no new
    candidates are proposed; a rejected firm is never proposed again. Open candidates the
    register no longer supports are dropped (audited)."""
    matcher = matcher or ForeignMatcher(load_register(), thresholds())
    with transaction.atomic():
        existing = {
            m.enterprise_id: m for m in ForeignMatch.objects.select_for_update().filter(alert=alert)
        }
        if not any(m.state == MatchState.CONFIRMED for m in existing.values()):
            proposals = matcher.match(facts_of(alert_facts_fields(alert)))
            rejected = {k for k, m in existing.items() if m.state == MatchState.REJECTED}
            wanted = {c.enterprise_id: c for c in proposals if c.enterprise_id not in rejected}
            for key, m in existing.items():
                if key not in wanted and m.state in OPEN_STATES:
                    _audit_match(
                        "foreign_match_drop", m, None, m.state, "", "登记信息变更后不再是候选"
                    )
                    m.delete()
            for key, c in wanted.items():
                state = MatchState.AUTO_CONFIRMED if c.decision == "accept" else MatchState.PENDING
                row = existing.get(key)
                values = {
                    "confidence": c.confidence,
                    "method": c.method,
                    "evidence": c.evidence,
                    "product_id": c.product_id,
                    "state": state,
                }
                if row is None:
                    row = ForeignMatch.objects.create(alert=alert, enterprise_id=key, **values)
                    action = (
                        "foreign_match_auto"
                        if state == MatchState.AUTO_CONFIRMED
                        else ("foreign_match_pending")
                    )
                    _audit_match(action, row, None, "", state, row.evidence.get("explanation", ""))
                elif any(getattr(row, k) != v for k, v in values.items()):
                    before = row.state
                    for k, v in values.items():
                        setattr(row, k, v)
                    row.save()
                    if before != state:
                        action = (
                            "foreign_match_auto"
                            if state == MatchState.AUTO_CONFIRMED
                            else ("foreign_match_pending")
                        )
                        _audit_match(action, row, None, before, state, "重新匹配")
        return refresh_alert(alert, None)


def _accepted(alert: ForeignAlert) -> ForeignMatch | None:
    rows = [
        m
        for m in ForeignMatch.objects.filter(alert=alert, state__in=ACCEPTED_STATES).select_related(
            "enterprise", "enterprise__district", "product"
        )
    ]
    if not rows:
        return None
    return max(rows, key=lambda m: (m.state == MatchState.CONFIRMED, m.confidence, -m.pk))


def refresh_alert(alert: ForeignAlert, actor: Any, why: str = "自动匹配") -> str:
    """Set the alert's firm, district and status from its candidates, and raise or lower its
    risk information to match; audited when the status or the firm changes."""
    match = _accepted(alert)
    before_status, before_firm = alert.status, alert.enterprise_id
    if match is not None:
        alert.enterprise = match.enterprise
        alert.district_id = match.enterprise.district_id
        status = AlertStatus.MATCHED
    else:
        alert.enterprise = None
        alert.district_id = None
        pending = ForeignMatch.objects.filter(alert=alert, state=MatchState.PENDING).exists()
        status = AlertStatus.REVIEW if pending else AlertStatus.NO_MATCH
    if before_status == AlertStatus.CASE_OPENED and match is not None:
        status = AlertStatus.CASE_OPENED
    alert.status = status
    alert.save(update_fields=["enterprise", "district", "status", "updated_at"])
    if before_status != status or before_firm != alert.enterprise_id:
        firm = match.enterprise.name if match is not None else ""
        audit(
            "foreign_status",
            alert,
            actor=actor,
            from_state=before_status,
            to_state=status,
            message=f"{why}：{AlertStatus(status).label}" + (f"（{firm}）" if firm else ""),
            detail={"enterprise": alert.enterprise_id, "previous_enterprise": before_firm},
        )
    if match is not None and (before_firm != alert.enterprise_id or alert.needs_raise):
        raise_risk_info(alert, match, actor)
    elif match is None and before_firm is not None:
        lower_risk_info(alert, before_firm, actor)
    return status


# ----------------------------------------------------------------------------- raising
def raise_risk_info(alert: ForeignAlert, match: ForeignMatch, actor: Any) -> bool:
    """Make the alert's risk information a local one: the matched firm and its district,
    the product category and main hazard from the tags, status 待评估. Returns False (and
    keeps ``needs_raise``) when screening has not made it yet, or when it has moved on in the
    loop (assessed, warned) or is a duplicate, which is left as it is."""
    info = alert.risk_info
    if info is None:
        info = RiskInfo.objects.filter(raw_item_id=alert.raw_item_id).first()
    if info is None:
        if not alert.needs_raise:
            alert.needs_raise = True
            alert.save(update_fields=["needs_raise", "updated_at"])
        return False
    alert.risk_info = info
    alert.needs_raise = False
    alert.save(update_fields=["risk_info", "needs_raise", "updated_at"])
    if info.status not in (RiskInfoStatus.REFERENCE, RiskInfoStatus.PENDING_ASSESSMENT):
        return False
    firm = match.enterprise
    before = info.status
    changes = {
        "enterprise_id": firm.pk,
        "district_id": firm.district_id,
        "product_id": match.product_id or info.product_id,
        "product_category_id": alert.product_category_id or info.product_category_id,
        "hazard_id": alert.hazard_id or info.hazard_id,
        "status": RiskInfoStatus.PENDING_ASSESSMENT,
    }
    if all(getattr(info, k) == v for k, v in changes.items()):
        return False
    for k, v in changes.items():
        setattr(info, k, v)
    info.save(update_fields=[k.removesuffix("_id") for k in changes])
    # The firm now rests on the foreign match; record matching leaves foreign records alone
    # (enterprises.matching.OWN_MATCHING_SOURCES).
    audit(
        "foreign_raise",
        info,
        actor=actor,
        from_state=before,
        to_state=info.status,
        district_id=firm.district_id,
        message=f"境外通报{alert.alert_number}关联本地企业“{firm.name}”"
        f"（{match.get_method_display()}，置信度{match.confidence:.2f}），转为待评估风险信息",
        detail={"alert": alert.pk, "match": match.pk, "enterprise": firm.pk},
    )
    return True


def lower_risk_info(alert: ForeignAlert, enterprise_id: int, actor: Any) -> bool:
    """Undo a raise when the firm is no longer accepted: back to 境外参考 while the risk
    information is still only waiting for assessment and no case holds it."""
    info = alert.risk_info
    if (
        info is None
        or info.status != RiskInfoStatus.PENDING_ASSESSMENT
        or info.enterprise_id != enterprise_id
        or info.cases.exists()
    ):
        return False
    district = info.district_id
    info.enterprise_id = None
    info.district_id = None
    info.product_id = None
    info.status = RiskInfoStatus.REFERENCE
    info.save(update_fields=["enterprise", "district", "product", "status"])
    audit(
        "foreign_lower",
        info,
        actor=actor,
        from_state=RiskInfoStatus.PENDING_ASSESSMENT,
        to_state=RiskInfoStatus.REFERENCE,
        district_id=district,
        message=f"境外通报{alert.alert_number}不再关联本地企业，风险信息恢复为境外参考信息",
        detail={"alert": alert.pk, "enterprise": enterprise_id},
    )
    return True


# ----------------------------------------------------------------------------- who may
def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_review(user: Any, match: ForeignMatch) -> bool:
    """City admin, city supervisor and the assessment centre review any candidate; a
    district officer the candidates whose firm is in their district."""
    if not _active(user):
        return False
    if user.has_role(*CITY_REVIEWERS):
        return True
    return bool(
        user.has_role(Role.DISTRICT_OFFICER)
        and user.district_id is not None
        and match.enterprise.district_id == user.district_id
    )


def may_add_alias(user: Any, enterprise: Enterprise) -> bool:
    """The same people, for the firm's aliases."""
    if not _active(user):
        return False
    if user.has_role(*CITY_REVIEWERS):
        return True
    return bool(
        user.has_role(Role.DISTRICT_OFFICER)
        and user.district_id is not None
        and enterprise.district_id == user.district_id
    )


def visible_alerts(user: Any) -> QuerySet[ForeignAlert]:
    """Alerts ``user`` may see: all for city-wide roles; for a district officer those matched
    to a firm of their district, those with a candidate there, and the unmatched ones."""
    qs = ForeignAlert.objects.select_related(
        "enterprise", "district", "product_category", "hazard", "risk_info"
    )
    if not _active(user):
        return qs.none()
    if user.is_city_wide:
        return qs
    if user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None:
        own = ForeignMatch.objects.filter(
            enterprise__district_id=user.district_id, state__in=OPEN_STATES
        ).values("alert_id")
        return qs.filter(Q(district_id=user.district_id) | Q(district__isnull=True) | Q(pk__in=own))
    return qs.none()


def alert_matches(alert: ForeignAlert) -> list[ForeignMatch]:
    return list(
        alert.matches.select_related(
            "enterprise", "enterprise__district", "product", "reviewer"
        ).order_by("-confidence", "id")
    )


def review_queue(user: Any) -> QuerySet[ForeignMatch]:
    """Pending candidates ``user`` may review, newest alerts first."""
    qs = ForeignMatch.objects.filter(state=MatchState.PENDING).select_related(
        "alert", "enterprise", "enterprise__district", "product"
    )
    if not _active(user):
        return qs.none()
    if user.has_role(*CITY_REVIEWERS):
        return qs.order_by("-alert__alert_date", "alert_id", "-confidence", "id")
    if user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None:
        return qs.filter(enterprise__district_id=user.district_id).order_by(
            "-alert__alert_date", "alert_id", "-confidence", "id"
        )
    return qs.none()


# ----------------------------------------------------------------------------- review
def _audit_match(
    action: str, match: ForeignMatch, user: Any, before: str, after: str, note: str
) -> None:
    audit(
        action,
        match,
        actor=user,
        from_state=before,
        to_state=after,
        district_id=match.enterprise.district_id,
        message=f"境外通报{match.alert.alert_number} 候选企业“{match.enterprise.name}”"
        f"（{match.get_method_display()}，置信度{match.confidence:.2f}）"
        + (f"：{note}" if note else ""),
        detail={"alert": match.alert_id, "enterprise": match.enterprise_id},
    )


def _locked(match: ForeignMatch, user: Any) -> ForeignMatch:
    match = (
        ForeignMatch.objects.select_for_update()
        .select_related("alert", "enterprise", "enterprise__district")
        .get(pk=match.pk)
    )
    if not may_review(user, match):
        raise PermissionDenied("您无权复核该境外通报的企业关联（区局仅可复核本区企业）。")
    if match.state in (MatchState.CONFIRMED, MatchState.REJECTED):
        raise ForeignReviewError(f"该关联已{match.get_state_display()}，不能再次复核。")
    return match


def confirm_match(match: ForeignMatch, user: Any, reason: str = "") -> ForeignMatch:
    """The reviewer confirms the candidate: the alert is linked to the firm, the other open
    candidates are rejected, and the alert's risk information is raised."""
    with transaction.atomic():
        match = _locked(match, user)
        now = timezone.now()
        before = match.state
        match.state = MatchState.CONFIRMED
        match.reviewer, match.reviewed_at = user, now
        match.reason = (reason or "").strip()[:MAX_REASON]
        match.save()
        _audit_match("foreign_match_confirm", match, user, before, match.state, match.reason)
        others = ForeignMatch.objects.filter(alert=match.alert, state__in=OPEN_STATES).exclude(
            pk=match.pk
        )
        for other in others.select_related("enterprise", "alert"):
            prior = other.state
            other.state = MatchState.REJECTED
            other.reviewer, other.reviewed_at, other.reason = user, now, "已确认其他候选企业"
            other.save()
            _audit_match("foreign_match_reject", other, user, prior, other.state, other.reason)
        refresh_alert(match.alert, user, "人工确认关联")
    return match


def reject_match(match: ForeignMatch, user: Any, reason: str) -> ForeignMatch:
    """The reviewer rejects the candidate (a reason is required); an alert linked to it is
    unlinked and its risk information lowered back to 境外参考 while still unassessed."""
    reason = (reason or "").strip()
    if not reason:
        raise ForeignReviewError("驳回关联须填写理由。")
    with transaction.atomic():
        match = _locked(match, user)
        before = match.state
        match.state = MatchState.REJECTED
        match.reviewer, match.reviewed_at, match.reason = user, timezone.now(), reason[:MAX_REASON]
        match.save()
        _audit_match("foreign_match_reject", match, user, before, match.state, match.reason)
        refresh_alert(match.alert, user, "人工驳回关联")
    return match


def add_alias(
    enterprise: Enterprise, alias: str, kind: str, user: Any, source: str = "录入"
) -> EnterpriseAlias:
    """Record a name or brand under which the firm appears abroad, then look again at the
    unmatched alerts that mention it. Raises ForeignReviewError for an unusable alias."""
    if not may_add_alias(user, enterprise):
        raise PermissionDenied("您无权为该企业添加别名（区局仅可维护本区企业）。")
    return _add_alias(enterprise, alias, kind, user, source)


def _add_alias(
    enterprise: Enterprise, alias: str, kind: str, user: Any, source: str
) -> EnterpriseAlias:
    alias = " ".join((alias or "").split())
    if kind not in AliasKind.values:
        raise ForeignReviewError(f"别名类型无效：{kind}（可选：品牌、英文名称、拼音名称）")
    if not alias:
        raise ForeignReviewError("别名不能为空。")
    if len(alias) > 200:
        raise ForeignReviewError("别名不能超过200个字符。")
    key = brand_key(alias) if kind == AliasKind.BRAND else name_key(alias)
    if len(key) < 2:
        raise ForeignReviewError(f"别名“{alias}”去掉标点和公司组织形式后过短，无法用于匹配。")
    with transaction.atomic():
        row, created = EnterpriseAlias.objects.get_or_create(
            enterprise=enterprise,
            kind=kind,
            key=key[:200],
            defaults={
                "alias": alias,
                "source": (source or "")[:100],
                "created_by": user if _active(user) else None,
            },
        )
        if created:
            audit(
                "foreign_alias_add",
                row,
                actor=user,
                district_id=enterprise.district_id,
                message=f"企业“{enterprise.name}”添加{row.get_kind_display()}别名“{alias}”",
                detail={"enterprise": enterprise.pk, "kind": kind, "alias": alias},
            )
    if created:
        rematch_mentioning(alias)
    return row


def import_aliases(rows: Iterable[tuple[Enterprise, str, str]], source: str) -> int:
    """Aliases from a trusted import (demo data, a register export), without a user;
    returns how many were new. Each is audited as the system's."""
    before = EnterpriseAlias.objects.count()
    for enterprise, alias, kind in rows:
        _add_alias(enterprise, alias, kind, None, source)
    return EnterpriseAlias.objects.count() - before


def remove_alias(alias: EnterpriseAlias, user: Any) -> None:
    if not may_add_alias(user, alias.enterprise):
        raise PermissionDenied("您无权删除该企业的别名（区局仅可维护本区企业）。")
    with transaction.atomic():
        audit(
            "foreign_alias_remove",
            alias,
            actor=user,
            district_id=alias.enterprise.district_id,
            message=f"企业“{alias.enterprise.name}”删除别名“{alias.alias}”",
            detail={"enterprise": alias.enterprise_id, "kind": alias.kind, "alias": alias.alias},
        )
        alias.delete()


def rematch_mentioning(text: str, limit: int = REMATCH_LIMIT) -> int:
    """Match again the not-yet-linked alerts whose brand, manufacturer or product name
    mention ``text``; returns how many were looked at."""
    text = text.strip()
    if len(text) < 2:
        return 0
    alerts = list(
        ForeignAlert.objects.filter(
            Q(brand__icontains=text)
            | Q(manufacturer__icontains=text)
            | Q(product_name__icontains=text)
            | Q(model__icontains=text)
        )
        .exclude(status__in=(AlertStatus.MATCHED, AlertStatus.CASE_OPENED))
        .select_related("raw_item")
        .order_by("-id")[:limit]
    )
    return rematch(alerts)


def rematch(alerts: Iterable[ForeignAlert]) -> int:
    """Match these alerts again (reviewers' decisions stand)."""
    matcher = ForeignMatcher(load_register(), thresholds())
    n = 0
    for alert in alerts:
        match_alert(alert, matcher)
        n += 1
    return n


def rematch_all(limit: int | None = None) -> dict[str, int]:
    """Match every alert again, e.g. after importing aliases or products."""
    counts: Counter[str] = Counter()
    matcher = ForeignMatcher(load_register(), thresholds())
    qs = ForeignAlert.objects.select_related("raw_item").order_by("id")
    for alert in qs[:limit].iterator(chunk_size=500) if limit else qs.iterator(chunk_size=500):
        counts[match_alert(alert, matcher)] += 1
    return dict(counts)


def mark_case_opened(alert: ForeignAlert, case: Any, user: Any) -> ForeignAlert:
    """Record that an assessment case was opened for the alert's risk information."""
    with transaction.atomic():
        alert = ForeignAlert.objects.select_for_update().get(pk=alert.pk)
        before = alert.status
        alert.case = case
        alert.status = AlertStatus.CASE_OPENED
        alert.save(update_fields=["case", "status", "updated_at"])
        audit(
            "foreign_case",
            alert,
            actor=user,
            from_state=before,
            to_state=alert.status,
            message=f"境外通报{alert.alert_number}已立案评估（{getattr(case, 'code', case)}）",
            detail={"case": getattr(case, "pk", None)},
        )
    return alert


# ----------------------------------------------------------------------------- counts
def counts_by_month(user: Any, months: int = 12, today: date | None = None) -> list[dict[str, Any]]:
    """Alerts the user may see per month of their alert date, the last ``months`` months
    (oldest first, months without alerts included): made in China and the others. Alerts
    whose date could not be read are not counted here."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = (
        visible_alerts(user)
        .filter(alert_date__gte=first)
        .annotate(month=TruncMonth("alert_date"))
        .values("month", "made_in_china")
        .annotate(n=Count("id"))
    )
    table: dict[str, dict[str, Any]] = {}
    cursor = first
    for _ in range(months):
        key = cursor.strftime("%Y-%m")
        table[key] = {"month": key, "made_in_china": 0, "other": 0}
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    for row in rows:
        month = row["month"]
        key = month.strftime("%Y-%m") if month else ""
        if key in table:
            table[key]["made_in_china" if row["made_in_china"] else "other"] += row["n"]
    return list(table.values())


def counts_by_risk_type(user: Any) -> list[tuple[str, str, int]]:
    """(risk type, Chinese label, alerts) for the alerts the user may see, most first."""
    rows = (
        ForeignAlertRiskType.objects.filter(alert__in=visible_alerts(user).values("pk"))
        .values("risk_type")
        .annotate(n=Count("alert", distinct=True))
        .order_by("-n", "risk_type")
    )
    return [
        (r["risk_type"], summary.RISK_TYPE_ZH.get(r["risk_type"], r["risk_type"]), r["n"])
        for r in rows
    ]
