"""Screen raw items into risk information (信息初筛) with the screening core.

``screen_pending`` takes every raw item without risk information, in the order received, and
runs it through ``pqrisk.core.screening.screen.Screener``: clean the text, check it against
the near-duplicate index, score relevance, extract products, hazards, enterprises, brands,
models, batches, region, dates, severity and counts, each with its evidence. This module then
resolves what the item names against the register — the catalogue code a record gives or the
text names, the enterprise by USCC and then by name (``CompanyMatcher``: a unique match or
none, never a guess), the district — clusters items into events (``Event``) on those resolved
fields, and stores the RiskInfo rows with their evidence.

One run at a time (``index.screening_lock``); each chunk is one transaction; an item screened
once is never screened again, so every entry point (the pipeline, ``screen_raw_items`` for a
Celery batch, the CLI) is idempotent per item.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from pqrisk.audit.services import record_many
from pqrisk.bulk import ids_without, insert_objects, update_rows
from pqrisk.core.scanfloor import ScanFloor
from pqrisk.core.screening.dedup import content_hash
from pqrisk.core.screening.events import Event as CoreEvent
from pqrisk.core.screening.events import EventClusterer, EventItem
from pqrisk.core.screening.extract import Extractor, _default_company_finder, known_brands
from pqrisk.core.screening.neardup import NearDupIndex
from pqrisk.core.screening.run import load_relevance
from pqrisk.core.screening.screen import RelevanceScorer, Screener
from pqrisk.core.screening.tagging import Vocabulary
from pqrisk.core.text.company import CompanyMatch, CompanyMatcher, MatchMethod, parse_company
from pqrisk.core.text.normalize import normalize_text
from pqrisk.core.text.segment import UserWord, build_user_dictionary
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import District, HazardType, ProductCategory

from . import index as dedup_index
from .choices import RiskInfoStatus
from .models import Event, RiskInfo

log = logging.getLogger(__name__)
CHUNK = 500
MATCH_CACHE = 50_000  # enterprise names whose register match is remembered

# Sources whose every record is itself evidence of a risk (a case, a recall).
STRONG_SOURCES = {"recall", "injury"}
# Foreign recalls are kept and tagged as reference for analysts; they are about other
# markets, so the system does not assess them as local risks on its own.
REFERENCE_SOURCES = {"foreign_recall"}
# Details of a record that name products or hazards (failed items, hazard text): screened
# with the text, so their words are found and shown as evidence.
DETAIL_KEYS = ("failed_items", "hazard", "violation", "injury_type", "hazards_en")


@dataclass
class ScreeningContext:
    """Everything screening looks up, loaded once per process and register state; and the
    run's ``Screener`` (``start_run``)."""

    extractor: Extractor
    relevance: RelevanceScorer | None
    products: dict[str, ProductCategory]
    hazards: dict[str, HazardType]
    districts: dict[str, District]
    enterprises: dict[int, Enterprise]
    by_uscc: dict[str, int]
    matcher: CompanyMatcher
    signature: tuple[Any, ...] = ()
    screener: Screener | None = None
    _matches: dict[str, CompanyMatch] = field(default_factory=dict)

    def match_name(self, name: str) -> CompanyMatch:
        """``matcher.match(name)``, remembered: the same names come back item after item."""
        found = self._matches.get(name)
        if found is None:
            if len(self._matches) >= MATCH_CACHE:
                self._matches.clear()
            found = self._matches[name] = self.matcher.match(name)
        return found

    def start_run(self, index: NearDupIndex) -> Screener:
        """A fresh Screener over ``index``: what one run remembers about ids (raw item ids
        are unique, but a rolled-back transaction hands them out again) starts empty."""
        self.screener = Screener(
            extractor=self.extractor,
            index=index,
            relevance=self.relevance,
            cluster=False,  # events are clustered on the resolved fields (EventStore)
        )
        return self.screener


# What screening reads of the register: a change to any of these rebuilds the context.
REGISTER_FIELDS: tuple[tuple[type[Any], tuple[str, ...]], ...] = (
    (ProductCategory, ("id", "code", "name", "keywords", "level")),
    (HazardType, ("id", "code", "keywords")),
    (District, ("id", "code")),
    (Enterprise, ("id", "name", "uscc", "district_id")),
)


def _register_signature() -> tuple[Any, ...]:
    """A digest of what screening reads of the register (catalogue, hazards, districts,
    enterprise names and USCCs, brands): a renamed enterprise or an edited keyword changes
    it as surely as a new row. Reads those columns once per run (about 0.1 s per 100,000
    enterprises), not per chunk."""
    digest = hashlib.blake2b(digest_size=16)
    for model, fields in REGISTER_FIELDS:
        for row in model.objects.order_by("id").values_list(*fields).iterator(chunk_size=5000):
            digest.update(repr(row).encode())
        digest.update(b"|")
    # Of products only their brands (the extractor's lexicon): screening itself adds a
    # product for nearly every other item, and a rebuilt context costs seconds.
    brands = Product.objects.exclude(brand="").values_list("brand", flat=True).distinct()
    for brand in brands.order_by("brand").iterator(chunk_size=5000):
        digest.update(brand.encode())
        digest.update(b"|")
    return (digest.hexdigest(),)


def database_brands() -> list[str]:
    """Brands the register knows (products of enterprises), for the extractor's lexicon."""
    brands = Product.objects.exclude(brand="").values_list("brand", flat=True).distinct()
    return sorted({b.strip() for b in brands})


def database_user_dictionary() -> list[UserWord]:
    """The segmentation user dictionary (分词用户词典) from the database: catalogue names and
    keywords, hazard names and keywords, known and registered brands, and enterprise names
    with their trade names (字号), so that jieba keeps them whole."""
    names = list(Enterprise.objects.values_list("name", flat=True))
    return build_user_dictionary(
        products=[w for p in ProductCategory.objects.all() for w in (p.name, *p.keywords)],
        hazards=[w for h in HazardType.objects.all() for w in (h.name, *h.keywords)],
        brands=[*known_brands(), *database_brands(), *(parse_company(n).brand for n in names)],
        enterprises=names,
    )


def build_context() -> ScreeningContext:
    products = {p.code: p for p in ProductCategory.objects.all()}
    hazards = {h.code: h for h in HazardType.objects.all()}
    districts = {d.code: d for d in District.objects.all()}
    enterprises = {e.pk: e for e in Enterprise.objects.select_related("district")}
    extractor = Extractor(
        products=[Vocabulary(p.code, (p.name, *p.keywords), p.level) for p in products.values()],
        hazards=[Vocabulary(h.code, tuple(h.keywords)) for h in hazards.values() if h.keywords],
        brands=database_brands(),
        company_finder=_default_company_finder(),
    )
    model = settings.PQRISK_RELEVANCE_MODEL
    return ScreeningContext(
        extractor=extractor,
        relevance=load_relevance(Path(model)) if model else None,
        products=products,
        hazards=hazards,
        districts=districts,
        enterprises=enterprises,
        by_uscc={e.uscc: e.pk for e in enterprises.values()},
        matcher=CompanyMatcher((e.pk, e.name, e.uscc) for e in enterprises.values()),
    )


_context: ScreeningContext | None = None


def get_context() -> ScreeningContext:
    """The screening context for the register as it is now (cached while it is unchanged)."""
    global _context
    signature = _register_signature()
    if _context is None or _context.signature != signature:
        _context = build_context()
        _context.signature = signature
    return _context


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


def _detail_lines(payload: dict[str, Any]) -> list[str]:
    """The record's product and detail fields as lines screened after its text."""
    details = payload.get("details") or {}
    lines: list[str] = []
    for key in ("product_name", "model"):
        if payload.get(key):
            lines.append(str(payload[key]))
    for key in DETAIL_KEYS:
        value = details.get(key) if isinstance(details, dict) else None
        if isinstance(value, list):
            lines.append("、".join(str(v) for v in value))
        elif value:
            lines.append(str(value))
    return lines


def _screen_input(item: RawItem) -> dict[str, Any]:
    p = item.payload
    text = p.get("text") if isinstance(p.get("text"), str) else ""
    title = p.get("title") if isinstance(p.get("title"), str) else ""
    if title and text.startswith(title.removesuffix("…")):
        title = ""  # intake made it from the text's start: screening it twice shows it twice
    body = "\n".join([text, *_detail_lines(p)]).strip()
    when = _when(p.get("occurred_at")) or item.received_at
    return {
        "id": str(item.pk),
        "title": title,
        "text": body,
        "source": item.source_kind,
        "published_at": when.isoformat() if when else None,
    }


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


@dataclass
class Screened:
    """One raw item's risk information and what the core said about it."""

    info: RiskInfo
    item: RawItem
    result: dict[str, Any]
    when: datetime
    duplicate_of_raw: int | None = None
    event_ref: str | None = None  # the event's id in the clusterer
    event_item: EventItem | None = None  # what clustering reads of it (built once)


def _enterprise(
    p: dict[str, Any], result: dict[str, Any], ctx: ScreeningContext
) -> tuple[Enterprise | None, dict[str, Any] | None]:
    """The registered enterprise the item is about, and how it was matched."""
    uscc = str(p.get("enterprise_uscc") or "").strip().upper()
    if uscc in ctx.by_uscc:
        return ctx.enterprises[ctx.by_uscc[uscc]], {"method": "uscc", "name": uscc}
    names = [str(p["enterprise_name"])] if p.get("enterprise_name") else []
    names += result.get("enterprises") or []
    ambiguous: list[str] = []
    for name in names:
        match = ctx.match_name(name)
        ident = match.enterprise_id
        found = ctx.enterprises.get(ident) if isinstance(ident, int) else None
        if found is not None:
            return found, {"method": str(match.method), "name": name}
        if match.method == MatchMethod.AMBIGUOUS:
            ambiguous.append(name)
    if ambiguous:
        return None, {"method": "ambiguous", "name": ambiguous[0]}
    return None, None


def screen_items(items: Sequence[RawItem], ctx: ScreeningContext) -> list[Screened]:
    """Screen raw items into risk information (not yet saved; duplicates of earlier items
    marked by their raw item id in ``duplicate_of_raw``)."""
    screener = ctx.screener or ctx.start_run(dedup_index.synced_index().index)
    results = list(screener.screen(_screen_input(item) for item in items))
    out: list[Screened] = []
    for item, result in zip(items, results, strict=True):
        p = item.payload
        details = p.get("details") if isinstance(p.get("details"), dict) else {}
        error = result.get("error")
        title = normalize_text(p.get("title") or "")
        text = normalize_text(p.get("text") or "")
        categories = result.get("categories") or []
        hazards = result.get("hazards") or []
        product_code = p.get("product_code") if p.get("product_code") in ctx.products else None
        product_code = product_code or next((c for c in categories if c in ctx.products), None)
        hazard_code = next((h for h in hazards if h in ctx.hazards), None)
        enterprise, how = _enterprise(p, result, ctx)
        region = result.get("region") or {}
        district_code = (
            p.get("district")
            or (enterprise.district.code if enterprise else None)
            or (region.get("code") if region.get("code") in ctx.districts else None)
        )
        brands = result.get("brands") or []
        severity = details.get("severity") if item.source_kind == "injury" else None
        if not (isinstance(severity, int) and 1 <= severity <= 4):
            severity = result.get("severity_hint")
        signals = risk_signals(item.source_kind, details, hazard_code is not None)
        info = RiskInfo(
            raw_item=item,
            source_kind=item.source_kind,
            title=(title or text[:60])[:300],
            text=text,
            occurred_at=_when(p.get("occurred_at")),
            content_hash=content_hash(title, text),
            district=ctx.districts.get(district_code or ""),
            enterprise=enterprise,
            enterprise_name=(
                p.get("enterprise_name") or (how["name"] if how and enterprise else "")
            )[:200],
            product_category=ctx.products.get(product_code or ""),
            product_name=(p.get("product_name") or "")[:200],
            brand=(p.get("brand") or (brands[0] if brands else ""))[:100],
            hazard=ctx.hazards.get(hazard_code or ""),
            tags=_tags(result, how),
            signals=signals,
            severity_hint=severity,
            similarity=result.get("similarity"),
            relevance_score=result.get("relevance_score"),
            screened_text="" if error else result["text"],
            evidence=[] if error else result["evidence"],
        )
        if item.source_kind in REFERENCE_SOURCES:
            info.status = RiskInfoStatus.REFERENCE
        elif _is_risk_signal(item.source_kind, signals, info):
            info.status = RiskInfoStatus.PENDING_ASSESSMENT
        else:
            info.status = RiskInfoStatus.NOISE
        duplicate_of = result.get("duplicate_of")
        if duplicate_of is not None:
            info.status = RiskInfoStatus.DUPLICATE
        when = info.occurred_at or item.received_at or timezone.now()
        out.append(Screened(info, item, result, when, int(duplicate_of) if duplicate_of else None))
    return out


def _tags(result: dict[str, Any], how: dict[str, Any] | None) -> dict[str, Any]:
    """What screening found, for lists and filters (the evidence holds the spans)."""
    if result.get("error"):
        return {"error": result["error"]}
    region = result.get("region")
    tags: dict[str, Any] = {
        "products": result["categories"][:5],
        "hazards": result["hazards"][:5],
        "districts": [region["code"]] if region and region.get("code") else [],
        "region": region,
        "enterprises": result["enterprises"][:5],
        "brands": result["brands"][:5],
        "models": result["models"][:5],
        "batches": result["batches"][:5],
        "dates": result["dates"][:5],
        "units": result["units"],
        "victims": result["victims"],
        "ambiguous": result["ambiguous"][:10],
        "terms": sorted({e["text"] for e in result["evidence"] if e["field"] in TERM_FIELDS})[:20],
    }
    if how:
        tags["enterprise_match"] = how
    return tags


TERM_FIELDS = frozenset({"product", "hazard", "brand"})


def _is_risk_signal(source: str, signals: list[str], info: RiskInfo) -> bool:
    """A risk signal names a product and a hazard, or is strong evidence by its source."""
    if info.product_category_id is None:
        return False
    if source in STRONG_SOURCES or (source == "spot_check" and signals):
        return True
    return info.hazard_id is not None and bool(signals)


def pending_raw_items() -> Any:
    return RawItem.objects.filter(risk_info__isnull=True).order_by("id")


# Raw item ids are not committed in order (ingest transactions run side by side): the scan
# of new items starts at a floor confirmed by a later scan (see ``ScanFloor``).
SCAN_FLOOR = ScanFloor(grace=60.0)


def screen_pending(
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    sweep: bool = True,
) -> dict[str, int]:
    """Screen every raw item that has no risk information yet, oldest first. Idempotent.

    ``sweep=False`` (the run triggered after an ingest) looks only above the scan floor:
    items committed more than a minute after their id was drawn are left to the next sweep
    (the pipeline's periodic run), so none is lost, and a run costs what is new, not what
    the database holds."""
    counts = _screen_run(pending_raw_items(), limit, progress, from_floor=not sweep)
    assert counts is not None  # the run waited for the lock
    return counts


def screen_new(limit: int | None = None) -> dict[str, int] | None:
    """The run started after ingests (``sweep=False``); None, doing nothing, while another
    screening run holds the lock: that run, or the next one, takes the new items."""
    return _screen_run(pending_raw_items(), limit, None, from_floor=True, wait=False)


def new_items_waiting() -> bool:
    """Whether raw items above the scan floor wait for screening."""
    floor = SCAN_FLOOR.floor(dedup_index.database_token())
    return pending_raw_items().filter(id__gt=floor).exists()


def screen_raw_items(raw_ids: Iterable[int]) -> dict[str, int]:
    """Screen these raw items (those not screened yet; a Celery batch). Idempotent."""
    counts = _screen_run(pending_raw_items().filter(id__in=list(raw_ids)), None, None)
    assert counts is not None  # the run waited for the lock
    return counts


def _screen_run(
    pending: Any,
    limit: int | None,
    progress: Callable[[int], None] | None,
    *,
    from_floor: bool = False,
    wait: bool = True,
) -> dict[str, int] | None:
    counts = {s.value: 0 for s in RiskInfoStatus}
    done = 0
    with dedup_index.screening_lock(wait=wait) as held:
        if not held:
            return None
        ctx = get_context()
        cache = dedup_index.synced_index()
        ctx.start_run(cache.index)
        events = EventStore(ctx)
        seen: dict[str, int] = {}
        scan = SCAN_FLOOR.begin(cache.token)
        last_id = scan.floor if from_floor else 0
        # Taken before the first query: every id up to here is screened at the end of a run
        # that is not cut short, or was in a transaction still open (``ScanFloor``).
        reached = RawItem.objects.aggregate(top=Max("id"))["top"] or 0
        try:
            while limit is None or done < limit:
                if from_floor:  # the short path: what is new, by id ranges
                    ids = ids_without(
                        RawItem.objects.all(),
                        RiskInfo.objects.all(),
                        "raw_item_id",
                        after=last_id,
                        limit=CHUNK,
                    )
                else:
                    ids = list(pending.filter(id__gt=last_id).values_list("id", flat=True)[:CHUNK])
                if limit is not None:
                    ids = ids[: limit - done]
                if not ids:
                    break
                last_id = ids[-1]
                items = list(RawItem.objects.filter(id__in=ids).order_by("id"))
                with transaction.atomic():
                    top = _screen_chunk(items, ctx, events, seen, counts)
                cache.info_mark = max(cache.info_mark, top)
                done += len(ids)
                if progress:
                    progress(len(ids))
        except BaseException:
            dedup_index.forget()  # it may hold items whose transaction was rolled back
            raise
        if limit is None or done < limit:
            SCAN_FLOOR.completed(scan, reached)
        if done:
            dedup_index.save_if_due(cache)
    log.info("screened %d raw items: %s", done, counts)
    return counts


def _screen_chunk(
    items: list[RawItem],
    ctx: ScreeningContext,
    events: EventStore,
    seen: dict[str, int],
    counts: dict[str, int],
) -> int:
    """Screen and store one chunk; returns the highest risk information id written."""
    screened = screen_items(items, ctx)
    infos = [s.info for s in screened]
    link_products(infos, items)
    firsts = mark_exact_duplicates([s.info for s in screened if s.duplicate_of_raw is None], seen)
    here = {s.item.pk: s for s in screened}
    stored = _stored_originals(screened, here)
    events.prepare(screened)
    events.open_rows(event for _, event in stored.values() if event is not None)
    for s in screened:  # in order: a duplicate joins its original's event
        if s.duplicate_of_raw in here:
            events.join(s, here[s.duplicate_of_raw].event_ref)
        elif s.duplicate_of_raw in stored:
            s.info.duplicate_of_id, event_pk = stored[s.duplicate_of_raw]
            events.join(s, str(event_pk) if event_pk else None)
        elif s.info.status != RiskInfoStatus.DUPLICATE:  # an identical record joins nothing
            events.assign(s)
    event_pks = events.store()
    for s in screened:
        s.info.event_id = event_pks.get(s.event_ref) if s.event_ref else None
    created = insert_objects(infos)
    linked: list[RiskInfo] = []
    for s, info in zip(screened, created, strict=True):
        if s.duplicate_of_raw in here:
            info.duplicate_of_id = here[s.duplicate_of_raw].info.pk
            linked.append(info)
        elif info.duplicate_of_id is None and firsts.get(info.content_hash, info) is not info:
            info.duplicate_of_id = firsts[info.content_hash].pk  # a later identical record
            linked.append(info)
        if info.source_kind not in dedup_index.NEAR_DUP_KINDS:
            seen.setdefault(info.content_hash, info.pk)
        counts[info.status] += 1
    update_rows(RiskInfo, ["duplicate_of"], linked)
    events.store_first_items({str(s.item.pk): s.info.pk for s in screened})
    record_many(
        "screen",
        created,
        to_state=lambda i: i.status,
        message=lambda i: f"由原始信息 {i.raw_item.external_id} 筛查生成",
    )
    return max((info.pk for info in created), default=0)


def _stored_originals(
    screened: list[Screened], here: dict[int, Screened]
) -> dict[int, tuple[int, int | None]]:
    """For near-duplicates of items screened in earlier chunks: (risk info id, event id)."""
    wanted = {s.duplicate_of_raw for s in screened if s.duplicate_of_raw is not None}
    missing = wanted - here.keys()
    if not missing:
        return {}
    return {
        raw: (pk, event)
        for raw, pk, event in RiskInfo.objects.filter(raw_item_id__in=missing).values_list(
            "raw_item_id", "id", "event_id"
        )
    }


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class EventStore:
    """Event clustering (``EventClusterer``) with its events stored as ``Event`` rows.

    Before a chunk, ``prepare`` opens the stored events its items may join (same key, in
    the window of the chunk's times), whatever order the items arrive in: a year of spot
    checks loaded after a year of complaints still joins the complaints' events. During the
    chunk a new event has a temporary id (``n1``, ``n2`` …); ``store`` inserts the new
    events in one go, renames them to their rows' ids and writes back the changed ones.
    """

    def __init__(self, ctx: ScreeningContext) -> None:
        self.ctx = ctx
        self.window = timedelta(days=settings.PQRISK_EVENT_WINDOW_DAYS)
        self.clusterer = EventClusterer(self.window, prefix="n", auto_close=False)
        self.rows: dict[str, Event] = {}  # event id -> its stored row
        self.touched: set[str] = set()  # event ids (temporary or stored) the chunk changed
        self.first_info: dict[str, RiskInfo] = {}  # new event id -> its first item

    def prepare(self, screened: list[Screened]) -> None:
        """Open the stored events the chunk's items may join."""
        items = [self._item(s) for s in screened if s.info.status != RiskInfoStatus.REFERENCE]
        groups = {g for g in (i.group() for i in items) if g}
        if not groups:
            return
        products = {g[0] for g in groups}  # a generic hazard may join any family's event
        low = min(i.when for i in items).replace(tzinfo=UTC) - self.window
        high = max(i.when for i in items).replace(tzinfo=UTC) + self.window
        rows = Event.objects.filter(
            product_category__code__in=products, last_seen__gte=low, first_seen__lte=high
        )
        for row in rows:
            ref = str(row.pk)
            if self.clusterer.event(ref) is None:
                self.rows[ref] = row
                self.clusterer.add(
                    CoreEvent(
                        ref,
                        tuple(row.key.split("|", 2)),  # type: ignore[arg-type]
                        _naive_utc(row.first_seen),
                        _naive_utc(row.last_seen),
                        row.item_count,
                        Counter(row.sources),
                        str(row.first_item_id or ""),
                        set(row.anchors),
                        set(row.places),
                    )
                )

    def open_rows(self, pks: Iterable[int]) -> None:
        """Read, in one query, the stored events outside the window that duplicates of
        earlier items will join (``join`` counts them on the row)."""
        wanted = {pk for pk in pks if self.clusterer.event(str(pk)) is None}
        wanted -= {int(ref) for ref in self.rows}
        for row in Event.objects.filter(pk__in=wanted):
            self.rows[str(row.pk)] = row

    def _item(self, s: Screened) -> EventItem:
        if s.event_item is None:
            s.event_item = self._build_item(s)
        return s.event_item

    @staticmethod
    def _build_item(s: Screened) -> EventItem:
        info = s.info
        tags = info.tags
        model = str(s.item.payload.get("model") or "")
        return EventItem(
            item_id=str(s.item.pk),
            when=_naive_utc(s.when),
            product=info.product_category.code if info.product_category else None,
            hazard=info.hazard.code if info.hazard else None,
            enterprise=str(info.enterprise_id) if info.enterprise_id else None,
            place=info.district.code if info.district else None,
            source=info.source_kind,
            enterprises=tuple(tags.get("enterprises") or ()),
            brands=tuple(dict.fromkeys(b for b in [info.brand, *(tags.get("brands") or ())] if b)),
            models=tuple(dict.fromkeys(m for m in [model, *(tags.get("models") or ())] if m)),
        )

    def assign(self, s: Screened) -> None:
        """Put a new (not duplicate) item in its event; reference items stay outside."""
        if s.info.status == RiskInfoStatus.REFERENCE:
            return
        assignment = self.clusterer.assign(self._item(s))
        if assignment is not None:
            s.event_ref = assignment.event_id
            self.touched.add(assignment.event_id)
            if assignment.is_new:
                self.first_info[assignment.event_id] = s.info

    def join(self, s: Screened, event_id: str | None) -> None:
        """Count a duplicate in its original's event (open or closed)."""
        if event_id is None:
            return
        item = self._item(s)
        if not self.clusterer.join(event_id, item):
            row = self.rows.get(event_id) or Event.objects.filter(pk=int(event_id)).first()
            if row is None:
                return
            self.rows[event_id] = row
            row.item_count += 1
            source = item.source or "unknown"
            row.sources[source] = row.sources.get(source, 0) + 1
            row.last_seen = max(row.last_seen, s.when)
        s.event_ref = event_id
        self.touched.add(event_id)

    def store(self) -> dict[str, int]:
        """Insert the chunk's new events, write back the changed ones; every touched event
        id (temporary ones included) → its row's primary key."""
        new: list[tuple[str, Event]] = []
        changed: list[Event] = []
        for ref in self.touched:
            state = self.clusterer.event(ref)
            row = self.rows.get(ref)
            if row is None:
                assert state is not None
                row = self._new_row(ref, state.key)
                new.append((ref, row))
            if state is not None:
                row.first_seen = state.first_seen.replace(tzinfo=UTC)
                row.last_seen = state.last_seen.replace(tzinfo=UTC)
                row.item_count = state.count
                row.sources = dict(state.sources)
                row.anchors = sorted(state.anchors)
                row.places = sorted(state.places)
            if row.pk is not None:
                changed.append(row)
        insert_objects([row for _, row in new])
        for ref, row in new:
            self.clusterer.rename(ref, str(row.pk))
            self.rows[str(row.pk)] = row
        update_rows(
            Event,
            ["first_seen", "last_seen", "item_count", "sources", "anchors", "places"],
            changed,
        )
        pks = {ref: row.pk for ref, row in new}
        pks.update((ref, int(ref)) for ref in self.touched if ref not in pks)
        self.touched = {str(pk) for pk in pks.values()}
        return pks

    def _new_row(self, ref: str, key: tuple[str, str, str]) -> Event:
        """An event's row; its hazard, enterprise and district are its first item's."""
        first = self.first_info[ref]
        return Event(
            group=f"{key[0]}|{key[1]}",
            key="|".join(key)[:300],
            product_category=first.product_category,
            hazard=first.hazard,
            enterprise=first.enterprise,
            district=first.district,
        )

    def store_first_items(self, info_of_item: dict[str, int]) -> None:
        """Point each touched event at its first item when that item was in this chunk."""
        changed: list[Event] = []
        for ref in self.touched:
            state = self.clusterer.event(ref)
            first = info_of_item.get(state.first_item) if state is not None else None
            row = self.rows[ref]
            if first is not None and row.first_item_id != first:
                row.first_item_id = first
                changed.append(row)
        update_rows(Event, ["first_item"], changed)
        self.touched.clear()
        self.clusterer.close_before(datetime.max)  # the next chunk opens what it needs
        self.rows.clear()
        self.first_info.clear()


def mark_exact_duplicates(infos: Sequence[RiskInfo], seen: dict[str, int]) -> dict[str, RiskInfo]:
    """Mark each templated record (licences, spot checks … — free text is matched by the
    near-duplicate index) whose content hash was screened before as a duplicate of the first.

    ``seen`` maps hashes to the id of the first risk info with that content (grown as the
    run goes on, filled from the database for hashes not seen in this run). Returns, for
    hashes first met in this chunk, the info that is the original.
    """
    infos = [i for i in infos if i.source_kind not in dedup_index.NEAR_DUP_KINDS]
    missing = list({i.content_hash for i in infos} - seen.keys())
    if missing:
        # The first of each hash taken here, not by ORDER BY id: the planner then walks the
        # table in key order (or sorts a scan of it) instead of probing the hash index.
        # ``missing`` hashes are not in ``seen`` yet, so the smallest id found is the first.
        for h, pk in (
            RiskInfo.objects.filter(content_hash__in=missing)
            .exclude(status=RiskInfoStatus.DUPLICATE)
            .exclude(source_kind__in=dedup_index.NEAR_DUP_KINDS)
            .order_by()
            .values_list("content_hash", "id")
        ):
            seen[h] = min(pk, seen.get(h, pk))
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


PRODUCT_LOOKUP = 200  # products looked up per query
ProductKey = tuple[int, str, str, str]  # enterprise id, name, brand, model


def product_ids(wanted: Sequence[ProductKey]) -> dict[ProductKey, int]:
    """The ids of these products, found by their unique key (enterprise, name, brand, model).

    One join with a VALUES list per PRODUCT_LOOKUP keys: looked up by enterprise and name
    alone, the rows read grew with every item screened (measured: 62 % of screening's time
    at 270,000 items), and an OR of Django ``Q`` terms costs more to compile than to run
    (21 % at 90,000)."""
    table = connection.ops.quote_name(Product._meta.db_table)
    found: dict[ProductKey, int] = {}
    for lo in range(0, len(wanted), PRODUCT_LOOKUP):
        part = wanted[lo : lo + PRODUCT_LOOKUP]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(part))
        sql = (
            f"SELECT p.id, p.enterprise_id, p.name, p.brand, p.model FROM {table} p "
            f"JOIN (VALUES {values}) AS k ON p.enterprise_id = k.column1 "
            "AND p.name = k.column2 AND p.brand = k.column3 AND p.model = k.column4"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [v for key in part for v in key])
            for pk, enterprise, name, brand, model in cursor.fetchall():
                found[(enterprise, name, brand, model)] = pk
    return found


def link_products(infos: Sequence[RiskInfo], items: Sequence[RawItem]) -> None:
    """Link each info naming an enterprise's product (name, brand, model) to that Product,
    registering products met for the first time."""
    keys: dict[ProductKey, list[RiskInfo]] = {}
    for info, item in zip(infos, items, strict=True):
        if info.enterprise_id is None or not info.product_name:
            continue
        model = str(item.payload.get("model") or "")[:100]
        key = (info.enterprise_id, info.product_name, info.brand, model)
        keys.setdefault(key, []).append(info)
    if not keys:
        return
    existing = product_ids(list(keys))
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
        existing.update(product_ids([k for k in keys if k not in existing]))
    for key, group in keys.items():
        for info in group:
            info.product_id = existing.get(key)
