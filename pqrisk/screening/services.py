"""Screen raw items into risk information: normalise, de-duplicate, tag, find risk signals.

This is the first, simple form of screening (exact-hash de-duplication and keyword tagging);
near-duplicates, disambiguation and event clustering deepen it later behind the same seam:
``screen_items`` takes raw items and returns the risk information it created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from pqrisk.audit.services import record_many
from pqrisk.core.screening.dedup import content_hash
from pqrisk.core.screening.tagging import KeywordTagger, Vocabulary
from pqrisk.core.text.normalize import normalize_text
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import District, HazardType, ProductCategory

from .choices import RiskInfoStatus
from .models import RiskInfo

log = logging.getLogger(__name__)
CHUNK = 500

# Sources whose every record is itself evidence of a risk (a case, a recall).
STRONG_SOURCES = {"recall", "injury"}
# Foreign recalls are kept and tagged as reference for analysts; they are about other
# markets, so the system does not assess them as local risks on its own.
REFERENCE_SOURCES = {"foreign_recall"}


@dataclass
class ScreeningContext:
    """Everything screening looks up, loaded once per run."""

    tagger: KeywordTagger
    products: dict[str, ProductCategory]
    hazards: dict[str, HazardType]
    districts: dict[str, District]
    enterprises_by_uscc: dict[str, Enterprise]
    enterprises_by_name: dict[str, Enterprise]


def build_context() -> ScreeningContext:
    products = {p.code: p for p in ProductCategory.objects.all()}
    hazards = {h.code: h for h in HazardType.objects.all()}
    districts = {d.code: d for d in District.objects.all()}
    tagger = KeywordTagger(
        products=[
            Vocabulary(p.code, tuple([p.name, *p.keywords]), p.level) for p in products.values()
        ],
        hazards=[Vocabulary(h.code, tuple(h.keywords)) for h in hazards.values() if h.keywords],
        districts=[
            Vocabulary(d.code, (d.name, f"{d.short_name}区") if d.kind == "district" else (d.name,))
            for d in districts.values()
        ],
    )
    enterprises = list(Enterprise.objects.all())
    return ScreeningContext(
        tagger=tagger,
        products=products,
        hazards=hazards,
        districts=districts,
        enterprises_by_uscc={e.uscc: e for e in enterprises},
        enterprises_by_name={e.name: e for e in enterprises},
    )


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if len(value) <= 10:
            parsed = datetime.combine(parsed.date(), time(12, 0))
        parsed = timezone.make_aware(parsed)
    return parsed


def _detail_text(details: dict[str, Any]) -> str:
    """Text inside the details that names products or hazards (failed items, hazard text)."""
    parts: list[str] = []
    for key in ("failed_items", "hazard", "violation", "injury_type", "hazards_en"):
        value = details.get(key)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return " ".join(parts)


def risk_signals(source: str, details: dict[str, Any], has_hazard: bool) -> list[str]:
    """Plain-language reasons why an item is (or is not) a risk signal."""
    signals: list[str] = []
    if source == "spot_check" and str(details.get("conclusion", "")).startswith("不合格"):
        failed = "、".join(str(x) for x in details.get("failed_items") or [])
        signals.append(f"监督抽查不合格{('：' + failed) if failed else ''}")
    elif source == "injury":
        signals.append(f"伤害病例（严重程度{details.get('severity', '未知')}级）")
    elif source in ("recall", "foreign_recall"):
        signals.append("缺陷召回")
    elif source == "penalty":
        signals.append("行政处罚案件")
    elif source == "licensing" and details.get("action") in ("吊销", "注销"):
        signals.append(f"生产许可证{details.get('action')}")
    if has_hazard and source in ("complaint", "media", "station"):
        signals.append(
            {"complaint": "投诉举报涉及安全危害", "media": "舆情涉及安全危害"}.get(
                source, "监测站报送涉及安全危害"
            )
        )
    return signals


def screen_items(items: Sequence[RawItem], ctx: ScreeningContext) -> list[RiskInfo]:
    """Turn raw items into risk information (not yet saved, not yet de-duplicated)."""
    out: list[RiskInfo] = []
    for item in items:
        p = item.payload
        details = p.get("details") or {}
        title = normalize_text(p.get("title") or "")
        text = normalize_text(p.get("text") or "")
        h = content_hash(title, text)
        tags = ctx.tagger.tag(
            " ".join([title, text, p.get("product_name") or "", _detail_text(details)])
        )
        product_code = p.get("product_code") if p.get("product_code") in ctx.products else None
        product_code = product_code or (tags.products[0] if tags.products else None)
        hazard_code = tags.hazards[0] if tags.hazards else None
        enterprise = ctx.enterprises_by_uscc.get(p.get("enterprise_uscc") or "") or (
            ctx.enterprises_by_name.get(p.get("enterprise_name") or "")
        )
        district_code = (
            p.get("district")
            or (enterprise.district.code if enterprise else None)
            or (tags.districts[0] if tags.districts else None)
        )
        signals = risk_signals(item.source_kind, details, hazard_code is not None)
        severity = details.get("severity") if item.source_kind == "injury" else None
        info = RiskInfo(
            raw_item=item,
            source_kind=item.source_kind,
            title=(title or text[:60])[:300],
            text=text,
            occurred_at=_when(p.get("occurred_at")),
            content_hash=h,
            district=ctx.districts.get(district_code or ""),
            enterprise=enterprise,
            enterprise_name=(p.get("enterprise_name") or "")[:200],
            product_category=ctx.products.get(product_code or ""),
            product_name=(p.get("product_name") or "")[:200],
            brand=(p.get("brand") or "")[:100],
            hazard=ctx.hazards.get(hazard_code or ""),
            tags={
                "products": list(tags.products[:5]),
                "hazards": list(tags.hazards[:5]),
                "districts": list(tags.districts[:3]),
                "terms": sorted({m[2] for m in tags.matches})[:20],
            },
            signals=signals,
            severity_hint=severity if isinstance(severity, int) and 1 <= severity <= 4 else None,
        )
        if item.source_kind in REFERENCE_SOURCES:
            info.status = RiskInfoStatus.REFERENCE
        elif _is_risk_signal(item.source_kind, signals, info):
            info.status = RiskInfoStatus.PENDING_ASSESSMENT
        else:
            info.status = RiskInfoStatus.NOISE
        out.append(info)
    return out


def _is_risk_signal(source: str, signals: list[str], info: RiskInfo) -> bool:
    """A risk signal names a product and a hazard, or is strong evidence by its source."""
    if info.product_category_id is None:
        return False
    if source in STRONG_SOURCES or (source == "spot_check" and signals):
        return True
    return info.hazard_id is not None and bool(signals)


def pending_raw_items() -> Any:
    return RawItem.objects.filter(risk_info__isnull=True).order_by("id")


def screen_pending(
    limit: int | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Screen every raw item that has no risk information yet. Idempotent."""
    ctx = build_context()
    counts = {s.value: 0 for s in RiskInfoStatus}
    seen: dict[str, int] = {}
    last_id = 0
    done = 0
    while True:
        ids = list(pending_raw_items().filter(id__gt=last_id).values_list("id", flat=True)[:CHUNK])
        if limit is not None:
            ids = ids[: max(0, limit - done)]
        if not ids:
            break
        last_id = ids[-1]
        items = list(RawItem.objects.filter(id__in=ids).order_by("id"))
        with transaction.atomic():
            infos = screen_items(items, ctx)
            link_products(infos, items)
            firsts = mark_exact_duplicates(infos, seen)
            created = RiskInfo.objects.bulk_create(infos)
            for info in created:
                if info.status == RiskInfoStatus.DUPLICATE and info.duplicate_of_id is None:
                    info.duplicate_of_id = firsts[info.content_hash].pk
                    RiskInfo.objects.filter(pk=info.pk).update(duplicate_of_id=info.duplicate_of_id)
                seen.setdefault(info.content_hash, info.pk)
                counts[info.status] += 1
            record_many(
                "screen",
                created,
                to_state=lambda i: i.status,
                message=lambda i: f"由原始信息 {i.raw_item.external_id} 筛查生成",
            )
        done += len(ids)
        if progress:
            progress(len(ids))
    log.info("screened %d raw items: %s", done, counts)
    return counts


def mark_exact_duplicates(infos: Sequence[RiskInfo], seen: dict[str, int]) -> dict[str, RiskInfo]:
    """Mark each info whose content hash was screened before as a duplicate of the first.

    ``seen`` maps hashes to the id of the first risk info with that content (grown as the
    run goes on, filled from the database for hashes not seen in this run). Returns, for
    hashes first met in this chunk, the info that is the original.
    """
    missing = list({i.content_hash for i in infos} - seen.keys())
    if missing:
        for h, pk in (
            RiskInfo.objects.filter(content_hash__in=missing)
            .exclude(status=RiskInfoStatus.DUPLICATE)
            .order_by("id")
            .values_list("content_hash", "id")
        ):
            seen.setdefault(h, pk)
    firsts: dict[str, RiskInfo] = {}
    for info in infos:
        if info.content_hash in seen:
            info.status = RiskInfoStatus.DUPLICATE
            info.duplicate_of_id = seen[info.content_hash]
        elif info.content_hash in firsts:
            info.status = RiskInfoStatus.DUPLICATE
        else:
            firsts[info.content_hash] = info
    return firsts


def link_products(infos: Sequence[RiskInfo], items: Sequence[RawItem]) -> None:
    """Link each info naming an enterprise's product (name, brand, model) to that Product,
    registering products met for the first time."""
    keys: dict[tuple[int, str, str, str], list[RiskInfo]] = {}
    for info, item in zip(infos, items, strict=True):
        if info.enterprise_id is None or not info.product_name:
            continue
        model = str(item.payload.get("model") or "")[:100]
        key = (info.enterprise_id, info.product_name, info.brand, model)
        keys.setdefault(key, []).append(info)
    if not keys:
        return
    enterprise_ids = {k[0] for k in keys}

    def known() -> dict[tuple[int, str, str, str], Product]:
        return {
            (p.enterprise_id, p.name, p.brand, p.model): p  # type: ignore[misc]
            for p in Product.objects.filter(enterprise_id__in=enterprise_ids)
        }

    existing = known()
    missing = [
        Product(
            enterprise_id=k[0],
            name=k[1],
            brand=k[2],
            model=k[3],
            category_id=group[0].product_category_id,
        )
        for k, group in keys.items()
        if k not in existing
    ]
    if missing:
        Product.objects.bulk_create(missing, ignore_conflicts=True)
        existing = known()
    for key, group in keys.items():
        for info in group:
            info.product = existing.get(key)
