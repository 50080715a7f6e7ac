"""Cross-source matching (跨来源关联匹配) of risk information to registered enterprises and
products, with confidence, evidence and a review queue (企业匹配复核).

The thinking is in ``pqrisk.core.screening.matching``; this module loads the register and the
records, stores each candidate as a ``RecordMatch`` and keeps ``RiskInfo.enterprise`` and
``RiskInfo.product`` equal to the accepted ones: auto-accepted at or above
``PQRISK_MATCHING["auto_accept"]``, queued for review between ``["review"]`` and that, not
kept below. A reviewer's confirmation or rejection is final: later runs never change it.
Every change of a record's enterprise or product, and every review, is audited.

``match_quality(info)`` tells other pages (the enterprise profile) how a record is linked:
by USCC, by name only, or waiting for review.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.audit.models import AuditEvent
from pqrisk.audit.services import build_event
from pqrisk.audit.services import record as audit
from pqrisk.bulk import ids_without, insert_objects, update_rows
from pqrisk.core.scanfloor import ScanFloor
from pqrisk.core.screening.matching import (
    Decision,
    EnterpriseEntry,
    ProductEntry,
    Proposal,
    RecordFacts,
    RecordMatcher,
    Register,
    Thresholds,
    gtin_valid,
    gtins_in,
)
from pqrisk.screening.index import database_token
from pqrisk.screening.models import RiskInfo

from .models import (
    Enterprise,
    MatchCheck,
    MatchMethod,
    MatchStatus,
    MatchTarget,
    Product,
    ProductBarcode,
    RecordMatch,
)

CHUNK = 500
DEFAULTS = {"auto_accept": 0.85, "review": 0.5}
# Roles that review matches city-wide; district officers review their own district's records.
CITY_REVIEWERS = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)
# Methods that rest on an identifier rather than on a name.
BY_CODE = frozenset({MatchMethod.USCC, MatchMethod.GTIN})
ACCEPTED = (MatchStatus.AUTO_ACCEPTED, MatchStatus.CONFIRMED)
OPEN = (MatchStatus.AUTO_ACCEPTED, MatchStatus.PENDING)


class MatchReviewError(ValueError):
    """A review that cannot be done; the message is for the reviewer."""


def thresholds() -> Thresholds:
    """``PQRISK_MATCHING = {"auto_accept": 0.85, "review": 0.5}`` in settings (defaults)."""
    conf = {**DEFAULTS, **getattr(settings, "PQRISK_MATCHING", {})}
    return Thresholds(high=float(conf["auto_accept"]), low=float(conf["review"]))


# ---------------------------------------------------------------- register and records


def load_register() -> Register:
    """The core's register from the database: enterprises with their district, categories
    and brands, products with their GTINs."""
    return Register(_enterprise_entries(), _product_entries())


def _enterprise_entries() -> list[EnterpriseEntry]:
    categories: dict[int, set[str]] = {}
    for ent_id, code in Enterprise.products.through.objects.values_list(
        "enterprise_id", "productcategory__code"
    ):
        categories.setdefault(ent_id, set()).add(code)
    return [
        EnterpriseEntry(pk, name, uscc, district or "", frozenset(categories.get(pk, ())))
        for pk, name, uscc, district in Enterprise.objects.values_list(
            "pk", "name", "uscc", "district__code"
        ).iterator(chunk_size=5000)
    ]


def _product_entries(since: int = 0) -> list[ProductEntry]:
    """Products with ids above ``since`` (all by default)."""
    gtins: dict[int, set[str]] = {}
    for product_id, gtin in ProductBarcode.objects.filter(product_id__gt=since).values_list(
        "product_id", "gtin"
    ):
        gtins.setdefault(product_id, set()).add(gtin)
    return [
        ProductEntry(pk, ent, name, brand, model, category or "", frozenset(gtins.get(pk, ())))
        for pk, ent, name, brand, model, category in Product.objects.filter(id__gt=since)
        .values_list("pk", "enterprise_id", "name", "brand", "model", "category__code")
        .iterator(chunk_size=5000)
    ]


@dataclass
class _CachedRegister:
    token: str
    enterprises: tuple[Any, ...]  # what the enterprise side was built from
    products: tuple[int, int]  # highest product id and count indexed
    barcodes: tuple[int, int]  # highest barcode id and count
    built: float
    register: Register


_register: _CachedRegister | None = None
REGISTER_TTL = 600.0  # seconds before the register is read afresh (edited products)


def current_register() -> Register:
    """The register as it is now, kept between runs of this process: rebuilt when the
    enterprises or barcodes changed (or after ``REGISTER_TTL``), topped up with products
    registered since (screening adds one for nearly every other item)."""
    global _register
    token = database_token()
    enterprises = _enterprise_entries()
    ent_key = tuple(enterprises)
    barcodes = ProductBarcode.objects.aggregate(top=Max("id"), n=Count("id"))
    barcode_key = (barcodes["top"] or 0, barcodes["n"])
    products = Product.objects.aggregate(top=Max("id"), n=Count("id"))
    cached = _register
    if (
        cached is None
        or cached.token != token
        or cached.enterprises != ent_key
        or cached.barcodes != barcode_key
        or time.monotonic() - cached.built > REGISTER_TTL
    ):
        cached = _CachedRegister(
            token,
            ent_key,
            (0, 0),
            barcode_key,
            time.monotonic(),
            Register(enterprises, ()),
        )
    mark, count = cached.products
    if (products["top"] or 0) > mark:
        new = _product_entries(mark)
        cached.register.add_products(new)
        mark, count = max(p.id for p in new) if new else mark, count + len(new)
    if count != products["n"]:  # products deleted: read them all again
        cached.register = Register(enterprises, _product_entries())
        mark, count = products["top"] or 0, len(cached.register.products)
    cached.products = (mark, count)
    _register = cached
    return cached.register


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


def record_facts(info: RiskInfo) -> RecordFacts:
    """What the record says about its enterprise and product: the fields of its raw payload
    first (USCC, name, brand, model, GTIN), then what screening found in its text."""
    return _facts(
        payload=info.raw_item.payload if info.raw_item_id else {},
        tags=info.tags,
        enterprise_name=info.enterprise_name,
        brand=info.brand,
        text=info.text,
        product_name=info.product_name,
        district=info.district.code if info.district_id and info.district else "",
        category=(
            info.product_category.code if info.product_category_id and info.product_category else ""
        ),
    )


# What ``_facts`` reads of a record, for a query of values (no model instances per row).
FACT_VALUES = {
    "payload": "raw_item__payload",
    "tags": "tags",
    "enterprise_name": "enterprise_name",
    "brand": "brand",
    "text": "text",
    "product_name": "product_name",
    "district": "district__code",
    "category": "product_category__code",
}
# What a record needs to carry its links (a RiskInfo with only these fields loaded).
LINK_FIELDS = ("id", "district_id", "enterprise_id", "product_id", "source_kind")


def _facts(
    *,
    payload: Any,
    tags: Any,
    enterprise_name: str,
    brand: str | None,
    text: str,
    product_name: str,
    district: str | None,
    category: str | None,
) -> RecordFacts:
    payload = payload if isinstance(payload, dict) else {}
    raw_details = payload.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    tags = tags if isinstance(tags, dict) else {}
    names = _strings(payload.get("enterprise_name")) or _strings(enterprise_name)
    mentions = [m for m in _strings(tags.get("enterprises")) if m not in names]
    models = _strings(payload.get("model")) or _strings(tags.get("models"))[:1]
    codes = [
        *_strings(payload.get("gtin")),
        *(c for key in ("gtin", "barcode", "商品条码", "upcs") for c in _strings(details.get(key))),
        *gtins_in(text),
    ]
    gtins = list(dict.fromkeys(c.strip() for c in codes if gtin_valid(c.strip())))
    return RecordFacts(
        uscc=str(payload.get("enterprise_uscc") or "").strip(),
        names=tuple(names),
        mentions=tuple(mentions),
        brand=brand or "",
        model=models[0] if models else "",
        gtins=tuple(gtins),
        district=district or "",
        category=category or "",
        text=text,
        product_name=product_name,
    )


def _chunk_records(ids: list[int]) -> list[tuple[RiskInfo, RecordFacts, list[RecordMatch]]]:
    """The records ``ids`` with their facts and stored candidates, read as values: a record
    is a RiskInfo holding only its links, not six model instances."""
    existing: dict[int, list[RecordMatch]] = {}
    # Ordered here, not in SQL: with ORDER BY id the planner (its estimate for new ids far
    # off) walks the whole table in key order to find a chunk's few rows (measured: 74 ms a
    # chunk at 200,000 records, growing with the table).
    for m in sorted(RecordMatch.objects.filter(risk_info_id__in=ids), key=lambda m: m.pk):
        existing.setdefault(m.risk_info_id, []).append(m)
    names = list(FACT_VALUES)
    rows = RiskInfo.objects.filter(id__in=ids).order_by("id")
    out = []
    for row in rows.values_list(*LINK_FIELDS, *FACT_VALUES.values()):
        pk, district_id, enterprise_id, product_id, kind = row[: len(LINK_FIELDS)]
        info = RiskInfo(
            id=pk,
            district_id=district_id,
            enterprise_id=enterprise_id,
            product_id=product_id,
            source_kind=kind,
        )
        info._state.adding = False
        facts = _facts(**dict(zip(names, row[len(LINK_FIELDS) :], strict=True)))
        out.append((info, facts, existing.get(pk, [])))
    return out


def _records() -> QuerySet[RiskInfo]:
    return (
        RiskInfo.objects.select_related(
            "raw_item", "district", "product_category", "enterprise", "product"
        )
        .defer("evidence", "screened_text")  # large, and not read by matching
        .prefetch_related(Prefetch("matches", queryset=RecordMatch.objects.order_by("id")))
    )


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class MatchOutcome:
    enterprise: str  # accepted / pending / none / kept (a reviewer decided)
    product: str

    @property
    def summary(self) -> str:
        return "accepted" if "accepted" in (self.enterprise, self.product) else self.enterprise


@dataclass
class _Writes:
    """What matching records changes in the database: planned in memory, written together
    (one statement per kind for a chunk of records)."""

    create: list[RecordMatch] = field(default_factory=list)
    update: list[RecordMatch] = field(default_factory=list)
    delete: list[int] = field(default_factory=list)
    # (record, target, before, after): a record's enterprise or product changed.
    links: list[tuple[RiskInfo, str, Any, Any]] = field(default_factory=list)
    checks: list[MatchCheck] = field(default_factory=list)

    def apply(self) -> None:
        if self.delete:
            RecordMatch.objects.filter(pk__in=self.delete).delete()
        insert_objects(self.create)
        update_rows(RecordMatch, ["method", "confidence", "evidence", "status"], self.update)
        changed = list({id(info): info for info, *_ in self.links}.values())
        update_rows(RiskInfo, ["enterprise", "product"], changed)
        insert_objects([_link_event(*link) for link in self.links])
        # A record's check is replaced (one row per record); COPY, as Django's bulk insert
        # on PostgreSQL costs more than the matching.
        MatchCheck.objects.filter(risk_info_id__in=[c.risk_info_id for c in self.checks]).delete()
        insert_objects(self.checks)


def match_record(
    info: RiskInfo, matcher: RecordMatcher | None = None, *, now: Any = None, check: bool = True
) -> MatchOutcome:
    """Match one record and store its candidates; idempotent (the same register gives the
    same rows). ``matcher`` is built from the database when not given; ``check=False``
    leaves the ``MatchCheck`` row out."""
    if info.source_kind in OWN_MATCHING_SOURCES:
        return MatchOutcome("kept", "kept")
    matcher = matcher or RecordMatcher(load_register(), thresholds())
    writes = _Writes()
    with transaction.atomic():
        if "matches" in getattr(info, "_prefetched_objects_cache", {}):
            existing = list(info.matches.all())  # loaded with the chunk, in its transaction
        else:
            existing = list(RecordMatch.objects.select_for_update().filter(risk_info=info))
        result = _plan(info, matcher, existing, writes)
        if check:
            writes.checks.append(
                MatchCheck(risk_info=info, checked_at=now or timezone.now(), outcome=result.summary)
            )
        writes.apply()
    return result


def _plan(
    info: RiskInfo,
    matcher: RecordMatcher,
    existing: list[RecordMatch],
    writes: _Writes,
    facts: RecordFacts | None = None,
) -> MatchOutcome:
    """Match one record against the register; the changes go to ``writes``."""
    facts = facts or record_facts(info)
    ents = _reviewed_or(existing, MatchTarget.ENTERPRISE, lambda: matcher.enterprise(facts))
    outcome_e = _store(info, MatchTarget.ENTERPRISE, ents, existing, writes)
    accepted = info.enterprise_id if outcome_e in ("accepted", "kept") else None
    prods = _reviewed_or(existing, MatchTarget.PRODUCT, lambda: matcher.product(facts, accepted))
    outcome_p = _store(info, MatchTarget.PRODUCT, prods, existing, writes)
    return MatchOutcome(outcome_e, outcome_p)


def _reviewed_or(existing: list[RecordMatch], target: str, propose: Any) -> list[Proposal] | None:
    """None when a reviewer has confirmed a candidate for ``target`` (it stands); else the
    proposals."""
    if any(m.target == target and m.status == MatchStatus.CONFIRMED for m in existing):
        return None
    proposals: list[Proposal] = propose()
    return proposals


def _store(
    info: RiskInfo,
    target: str,
    proposals: list[Proposal] | None,
    existing: list[RecordMatch],
    writes: _Writes,
) -> str:
    """Plan the proposals for ``target`` and the record's link; returns the outcome."""
    if proposals is None:
        return "kept"
    field = "enterprise_id" if target == MatchTarget.ENTERPRISE else "product_id"
    rows = {getattr(m, field): m for m in existing if m.target == target}
    rejected = {k for k, m in rows.items() if m.status == MatchStatus.REJECTED}
    wanted: dict[Any, Proposal] = {}
    for p in proposals:
        if p.decision != Decision.REJECT and p.candidate_id not in rejected:
            wanted[p.candidate_id] = p
    for key, m in rows.items():
        if key not in wanted and m.status in OPEN:
            writes.delete.append(m.pk)  # no longer a candidate with this register
    accepted = None
    for key, p in wanted.items():
        status = MatchStatus.AUTO_ACCEPTED if p.decision == Decision.ACCEPT else MatchStatus.PENDING
        values = {
            "method": str(p.method),
            "confidence": p.confidence,
            "evidence": p.evidence,
            "status": status,
        }
        row = rows.get(key)
        if row is None:
            writes.create.append(
                RecordMatch(risk_info=info, target=target, **{field: key}, **values)
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            writes.update.append(row)
        if status == MatchStatus.AUTO_ACCEPTED:
            accepted = key
    before = getattr(info, field)
    if before != accepted:
        setattr(info, field, accepted)
        writes.links.append((info, target, before, accepted))
    if accepted is not None:
        return "accepted"
    return "pending" if wanted else "none"


def _link_event(
    info: RiskInfo, target: str, before: Any, ident: Any, actor: Any = None, why: str = "自动匹配"
) -> AuditEvent:
    """The audit event of a record now pointing at ``ident`` (or at nothing), unsaved."""
    label = "企业" if target == MatchTarget.ENTERPRISE else "产品"
    return build_event(
        "match_link" if ident is not None else "match_unlink",
        info,
        actor=actor,
        from_state=str(before or ""),
        to_state=str(ident or ""),
        message=f"{why}：涉及{label}{'更新' if ident is not None else '解除（待复核或无匹配）'}",
        detail={"target": target, "from": before, "to": ident},
    )


def _link(info: RiskInfo, target: str, ident: Any, actor: Any, why: str) -> None:
    """Point the record at ``ident`` (or nothing) now, audited when it changes."""
    field = "enterprise_id" if target == MatchTarget.ENTERPRISE else "product_id"
    before = getattr(info, field)
    if before == ident:
        return
    setattr(info, field, ident)
    info.save(update_fields=[field])
    _link_event(info, target, before, ident, actor, why).save()


# Risk information ids are committed in order (one screening run at a time writes them),
# so a scan for unmatched records may start where the last one ended, without grace.
MATCH_FLOOR = ScanFloor(grace=0.0)


# Foreign alerts are matched to local firms by their own rules (English names, aliases,
# barcodes: pqrisk.foreign.matching), which set the record's enterprise; this matching
# would undo that.
OWN_MATCHING_SOURCES = ("foreign_recall",)


def pending_records() -> QuerySet[RiskInfo]:
    """Records never matched (the sweep's anti-join; the short path reads id ranges)."""
    return (
        _records()
        .filter(match_check__isnull=True)
        .exclude(source_kind__in=OWN_MATCHING_SOURCES)
        .order_by("id")
    )


def match_pending(
    limit: int | None = None,
    *,
    records: Iterable[RiskInfo] | None = None,
    sweep: bool = True,
) -> dict[str, int]:
    """Match every record not matched yet (or ``records``), in chunks; idempotent: a
    record matched once is not taken again, and matching it again changes nothing.
    ``sweep=False`` looks only above where the last scan of this process ended."""
    matcher = RecordMatcher(current_register(), thresholds())
    counts: Counter[str] = Counter()
    now = timezone.now()
    token = database_token()
    if records is None:
        scan = MATCH_FLOOR.begin(token)
        reached = RiskInfo.objects.aggregate(top=Max("id"))["top"] or 0
        if sweep:
            ids = list(pending_records().values_list("id", flat=True)[:limit])
        else:  # the short path: what is new, by id ranges
            ids = ids_without(
                RiskInfo.objects.exclude(source_kind__in=OWN_MATCHING_SOURCES),
                MatchCheck.objects.all(),
                "risk_info_id",
                after=scan.floor,
                limit=limit,
            )
    else:
        scan, ids = None, sorted({r.pk for r in records})
    for i in range(0, len(ids), CHUNK):
        # One transaction and one statement per kind of row for each chunk: a commit or an
        # INSERT per record costs more than the matching.
        with transaction.atomic():
            writes = _Writes()
            for info, facts, existing in _chunk_records(ids[i : i + CHUNK]):
                if info.source_kind in OWN_MATCHING_SOURCES:
                    continue
                out = _plan(info, matcher, existing, writes, facts)
                writes.checks.append(
                    MatchCheck(risk_info=info, checked_at=now, outcome=out.summary)
                )
                counts[f"enterprise_{out.enterprise}"] += 1
                counts[f"product_{out.product}"] += 1
                counts["records"] += 1
            writes.apply()
    if scan is not None and (limit is None or len(ids) < limit):
        MATCH_FLOOR.completed(scan, reached)
    return dict(counts)


# ---------------------------------------------------------------- review


def may_review(user: Any, match: RecordMatch) -> bool:
    """City bureau staff and the assessment centre review any record; a district officer
    reviews the records of their own district."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_role(*CITY_REVIEWERS):
        return True
    district = match.risk_info.district_id
    return bool(
        user.has_role(Role.DISTRICT_OFFICER)
        and user.district_id is not None
        and district == user.district_id
    )


def dao_review_queue(user: Any, target: str | None = None) -> QuerySet[RecordMatch]:
    """Pending matches the user may review, most confident first."""
    qs = RecordMatch.objects.filter(status=MatchStatus.PENDING).select_related(
        "risk_info",
        "risk_info__district",
        "risk_info__enterprise",
        "enterprise",
        "enterprise__district",
        "product",
    )
    if target:
        qs = qs.filter(target=target)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.has_role(*CITY_REVIEWERS):
        return qs.order_by("-risk_info__occurred_at", "risk_info_id", "-confidence", "id")
    if user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None:
        return qs.filter(risk_info__district_id=user.district_id).order_by(
            "-risk_info__occurred_at", "risk_info_id", "-confidence", "id"
        )
    return qs.none()


def _check(user: Any, match: RecordMatch) -> None:
    if not may_review(user, match):
        raise PermissionDenied("您无权复核该信息的匹配（区局仅可复核本区信息）。")
    if match.status in (MatchStatus.CONFIRMED, MatchStatus.REJECTED):
        raise MatchReviewError(f"该匹配已{match.get_status_display()}，不能再次复核。")


def confirm(match: RecordMatch, user: Any, reason: str = "") -> RecordMatch:
    """The reviewer confirms the candidate: the record now points at it; the other open
    candidates for the same record and target are rejected."""
    with transaction.atomic():
        match = RecordMatch.objects.select_for_update().select_related("risk_info").get(pk=match.pk)
        _check(user, match)
        info = match.risk_info
        now = timezone.now()
        before = match.status
        match.status = MatchStatus.CONFIRMED
        match.reviewer, match.reviewed_at, match.reason = user, now, reason.strip()[:300]
        match.save()
        _audit_review("confirm", match, user, before)
        others = RecordMatch.objects.filter(
            risk_info=info, target=match.target, status__in=OPEN
        ).exclude(pk=match.pk)
        for other in others:
            prior = other.status
            other.status = MatchStatus.REJECTED
            other.reviewer, other.reviewed_at = user, now
            other.reason = "已确认其他候选"
            other.save()
            _audit_review("reject", other, user, prior)
        ident = match.enterprise_id if match.target == MatchTarget.ENTERPRISE else match.product_id
        _link(info, match.target, ident, user, "人工确认匹配")
    return match


def reject(match: RecordMatch, user: Any, reason: str) -> RecordMatch:
    """The reviewer rejects the candidate (a reason is required); if the record pointed at
    it, it no longer does."""
    reason = (reason or "").strip()
    if not reason:
        raise MatchReviewError("否定匹配须填写理由。")
    with transaction.atomic():
        match = RecordMatch.objects.select_for_update().select_related("risk_info").get(pk=match.pk)
        _check(user, match)
        before = match.status
        match.status = MatchStatus.REJECTED
        match.reviewer, match.reviewed_at, match.reason = user, timezone.now(), reason[:300]
        match.save()
        _audit_review("reject", match, user, before)
        info = match.risk_info
        ident = match.enterprise_id if match.target == MatchTarget.ENTERPRISE else match.product_id
        field = "enterprise_id" if match.target == MatchTarget.ENTERPRISE else "product_id"
        if getattr(info, field) == ident:
            _link(info, match.target, None, user, "人工否定匹配")
    return match


def _audit_review(action: str, match: RecordMatch, user: Any, before: str) -> None:
    candidate = match.candidate
    audit(
        action,
        match,
        actor=user,
        from_state=before,
        to_state=match.status,
        district_id=match.risk_info.district_id,
        message=f"{MatchTarget(match.target).label}“{candidate}”（{match.get_method_display()}，"
        f"置信度{match.confidence:.2f}）{match.reason and '：' + match.reason}",
        detail={"risk_info": match.risk_info_id, "target": match.target},
    )


# ---------------------------------------------------------------- for other pages


@dataclass(frozen=True)
class MatchQuality:
    """How a record is linked to its enterprise: ``method`` (a ``MatchMethod`` value, or
    "" when unlinked), ``confidence`` (0–1), ``status`` (a ``MatchStatus`` value, or
    "screening" for a link screening made that matching has not yet looked at), and whether
    it rests on an identifier (USCC) or on the name only."""

    method: str
    confidence: float
    status: str

    @property
    def by_code(self) -> bool:
        return self.method in BY_CODE

    @property
    def name_only(self) -> bool:
        return bool(self.method) and not self.by_code

    @property
    def label(self) -> str:
        if not self.method:
            return "待复核" if self.status == MatchStatus.PENDING else "未匹配"
        how = MatchMethod(self.method).label if self.method in MatchMethod.values else self.method
        return f"{how}（{'仅名称' if self.name_only else '代码'}，置信度{self.confidence:.2f}）"


_SCREENING_METHODS = {
    "uscc": (MatchMethod.USCC, 1.0),
    "exact": (MatchMethod.NAME_EXACT, 0.95),
    "normalized": (MatchMethod.NAME_NORMALISED, 0.88),
    "brand": (MatchMethod.NAME_BRAND, 0.68),
}


def match_quality(info: RiskInfo, target: str = MatchTarget.ENTERPRISE) -> MatchQuality:
    """How ``info`` is linked (enterprise by default, or ``"product"``). Uses prefetched
    ``matches`` when present (``prefetch_related("matches")`` for lists)."""
    rows = [m for m in info.matches.all() if m.target == target]
    accepted = [m for m in rows if m.status in ACCEPTED]
    if accepted:
        best = max(accepted, key=lambda m: (m.status == MatchStatus.CONFIRMED, m.confidence))
        return MatchQuality(best.method, best.confidence, best.status)
    if any(m.status == MatchStatus.PENDING for m in rows):
        return MatchQuality("", 0.0, MatchStatus.PENDING)
    linked = info.enterprise_id if target == MatchTarget.ENTERPRISE else info.product_id
    how = (info.tags or {}).get("enterprise_match") if isinstance(info.tags, dict) else None
    if linked and target == MatchTarget.ENTERPRISE and isinstance(how, dict):
        method, confidence = _SCREENING_METHODS.get(str(how.get("method")), ("", 0.0))
        return MatchQuality(str(method), confidence, "screening")
    return MatchQuality("", 0.0, "")


def quality_counts(infos: QuerySet[RiskInfo]) -> dict[str, int]:
    """For a profile's data-quality note: records linked by code, by name only, pending."""
    matches = RecordMatch.objects.filter(
        risk_info__in=infos, target=MatchTarget.ENTERPRISE
    ).values_list("risk_info_id", "method", "status")
    by_record: dict[int, set[str]] = {}
    for rid, method, status in matches:
        if status in ACCEPTED:
            by_record.setdefault(rid, set()).add("code" if method in BY_CODE else "name")
        elif status == MatchStatus.PENDING:
            by_record.setdefault(rid, set()).add("pending")
    out = Counter[str]()
    for kinds in by_record.values():
        out["by_code" if "code" in kinds else "name_only" if "name" in kinds else "pending"] += 1
    return {"by_code": out["by_code"], "name_only": out["name_only"], "pending": out["pending"]}
