"""Supervision by risk: load the records, call the core (``pqrisk.core.supervision``), store.

- ``refresh_product_levels`` — product categories' risk tiers from assessments and signals;
- ``regrade`` / ``regrade_enterprises`` / ``regrade_changed`` — explained credit grades, a new
  history row only when what the grade is computed from changed;
- ``current_grade(enterprise)`` — what the enterprise profile shows;
- ``create_plan`` / ``plan_workbook`` — the differentiated spot-check plan and its Excel;
- ``run_triggers`` — trigger events and exactly one inspection task per event;
- ``record_measure`` / ``close_task`` — what officers record.

Settings: ``PQRISK_SUPERVISION = {"weights": {...}, "thresholds": {"B": 10, "C": 35, "D": 65},
"triggers": {"cluster_size": 3, ...}, "product_window_days": 730, "regrade_after_days": 7}``;
every key optional (defaults in the core, documented in docs/supervision.md).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role, scope_queryset
from pqrisk.audit.services import record
from pqrisk.core.levels import RiskLevel
from pqrisk.core.supervision import grading, measures, plan, triggers
from pqrisk.core.supervision.grading import (
    CategoryTier,
    EnterpriseFacts,
    Grade,
    GradingPolicy,
    ProductTier,
    Record,
    RecordKind,
    SupervisionError,
)
from pqrisk.enterprises.models import Enterprise
from pqrisk.screening.models import RiskInfo

from .choices import InspectionStatus
from .models import (
    CreditGrade,
    InspectionTask,
    PlanEntry,
    ProductRiskLevel,
    SpotCheckPlan,
    SupervisionMeasure,
    SupervisionTrigger,
)

# Who makes plans (city roles); who records measures and closes inspections (plus the
# district officer of the enterprise's district).
PLAN_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)
MEASURE_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.DISTRICT_OFFICER)

# Screened items that are not records of the enterprise: copies, and items with no risk
# signal (a passed spot check, a complaint naming no hazard) except the strong sources.
SKIPPED_STATUSES = ("duplicate",)
NOISE_MATTERS = ("complaint", "injury", "media")
ISSUED_WARNING_STATES = ("published", "lifted")
OUTCOME_KINDS = {
    "compliant": RecordKind.OUTCOME_COMPLIANT,
    "rectified": RecordKind.OUTCOME_RECTIFIED,
    "removed": RecordKind.OUTCOME_REMOVED,
    "recalled": RecordKind.OUTCOME_RECALLED,
    "penalised": RecordKind.OUTCOME_PENALISED,
    "case_opened": RecordKind.OUTCOME_CASE_OPENED,
}


def _config() -> dict[str, Any]:
    return dict(getattr(settings, "PQRISK_SUPERVISION", {}) or {})


def policy() -> GradingPolicy:
    return grading.policy_from(_config())


def trigger_settings() -> triggers.TriggerSettings:
    data = dict(_config().get("triggers") or {})
    if "quiet_grades" in data:
        data["quiet_grades"] = frozenset(data["quiet_grades"])
    return replace(triggers.TriggerSettings(), **data)


def _today() -> date:
    return timezone.localdate()


# ---------------------------------------------------------------- product risk levels


LEVEL_LABELS = {level.value: level.label for level in RiskLevel}


# Open statistical signals make a category high-risk (until reviewed) from this many on: a
# single signal is as likely noise as news (project default; PQRISK_SUPERVISION key
# "product_signal_min").
PRODUCT_SIGNAL_MIN = 3


def refresh_product_levels(now: datetime | None = None) -> int:
    """Recompute every product category's tier; store only changes. Returns the changes."""
    from pqrisk.assessment.models import Assessment, AssessmentCase
    from pqrisk.signals.models import Signal

    now = now or timezone.now()
    since = now - timedelta(days=int(_config().get("product_window_days", 730)))
    levels: dict[int, set[str]] = defaultdict(set)
    reasons: dict[int, list[str]] = defaultdict(list)
    # Item-level assessments (one per risk item, mostly automatic) say how risky the
    # category's items typically are: their median level counts, not the single worst
    # item. Concluded cases (experts, consultation) count at their level.
    item_levels: dict[int, list[str]] = defaultdict(list)
    for cat, level in Assessment.objects.filter(
        created_at__gte=since, risk_info__product_category__isnull=False
    ).values_list("risk_info__product_category", "level"):
        item_levels[cat].append(level)
    for cat, found in item_levels.items():
        ranked = sorted(found, key=lambda v: RiskLevel(v).rank)
        median = ranked[(len(ranked) - 1) // 2]
        levels[cat].add(median)
        reasons[cat].append(f"风险评估{len(found)}项，中位等级：{LEVEL_LABELS.get(median, median)}")
    for cat, level, code in (
        AssessmentCase.objects.filter(product_category__isnull=False, opened_at__gte=since)
        .exclude(final_level="")
        .values_list("product_category", "final_level", "code")
    ):
        levels[cat].add(level)
        reasons[cat].append(f"评估任务{code}：{LEVEL_LABELS.get(level, level)}")
    minimum_signals = int(_config().get("product_signal_min", PRODUCT_SIGNAL_MIN))
    signals: dict[int, int] = defaultdict(int)
    for cat, title in Signal.objects.filter(
        status="new", product_category__isnull=False, period_end__gte=since.date()
    ).values_list("product_category", "title"):
        signals[cat] += 1
        reasons[cat].append(f"待审核统计信号：{title}")
    existing = {p.product_category_id: p for p in ProductRiskLevel.objects.all()}
    changed = 0
    for cat in set(levels) | set(signals) | set(existing):
        open_signals = signals.get(cat, 0)
        tier = grading.product_tier(
            levels.get(cat, ()), open_signals if open_signals >= minimum_signals else 0
        )
        why = reasons.get(cat, [])[:20]
        row = existing.get(cat)
        if row is None:
            ProductRiskLevel.objects.create(
                product_category_id=cat, tier=tier.value, reasons=why, computed_at=now
            )
            changed += 1
        elif row.tier != tier.value:
            row.tier, row.reasons, row.computed_at = tier.value, why, now
            row.save(update_fields=["tier", "reasons", "computed_at"])
            changed += 1
        elif row.reasons != why:
            row.reasons = why
            row.save(update_fields=["reasons"])
    return changed


def category_tiers() -> dict[int, ProductTier]:
    return {
        cat: ProductTier(tier)
        for cat, tier in ProductRiskLevel.objects.values_list("product_category", "tier")
    }


# ---------------------------------------------------------------- credit grades


def _match(tags: Any) -> tuple[str, int | None]:
    how = tags.get("enterprise_match") if isinstance(tags, dict) else None
    if not isinstance(how, dict):
        return "", None
    conf = how.get("confidence")
    pct: int | None = None
    if isinstance(conf, int | float) and not isinstance(conf, bool):
        pct = round(conf * 100) if conf <= 1 else round(conf)
    return str(how.get("method") or ""), pct


def _record_kind(info: RiskInfo) -> RecordKind | None:
    kind = info.source_kind
    signals = " ".join(str(s) for s in info.signals or [])
    if kind == "spot_check":
        return RecordKind.FAILED_SPOT_CHECK if "不合格" in signals else None
    if kind == "licensing":
        return RecordKind.LICENCE_REVOKED if ("吊销" in signals or "注销" in signals) else None
    if info.status == "noise" and kind in NOISE_MATTERS:
        return None
    return {
        "penalty": RecordKind.PENALTY,
        "recall": RecordKind.RECALL,
        "foreign_recall": RecordKind.RECALL,
        "complaint": RecordKind.COMPLAINT,
        "injury": RecordKind.INJURY,
        "media": RecordKind.MEDIA,
    }.get(kind)


def _day(value: datetime | None, fallback: datetime) -> date:
    when = value or fallback
    return timezone.localdate(when) if timezone.is_aware(when) else when.date()


def enterprise_facts(
    enterprise: Enterprise, tiers: dict[int, ProductTier] | None = None
) -> tuple[EnterpriseFacts, datetime | None]:
    """What grading reads of ``enterprise``, and the newest record time among it."""
    from pqrisk.disposal.models import EnterpriseOutcome
    from pqrisk.warnings.models import Warning

    tiers = category_tiers() if tiers is None else tiers
    cats = tuple(
        CategoryTier(c.code, c.name, tiers.get(c.pk, ProductTier.NONE), c.licensed)
        for c in enterprise.products.all()
    )
    records: list[Record] = []
    newest: datetime | None = None

    def seen(when: datetime | None) -> None:
        nonlocal newest
        if when is not None and (newest is None or when > newest):
            newest = when

    infos = RiskInfo.objects.filter(enterprise=enterprise).exclude(status__in=SKIPPED_STATUSES)
    for info in infos.only(
        "id", "source_kind", "status", "signals", "tags", "title", "occurred_at", "screened_at"
    ):
        seen(info.screened_at)
        kind = _record_kind(info)
        if kind is None:
            continue
        method, pct = _match(info.tags)
        records.append(
            Record(
                kind=kind,
                ref=f"riskinfo:{info.pk}",
                title=info.title[:120],
                occurred_on=_day(info.occurred_at, info.screened_at),
                match=method,
                confidence=pct,
            )
        )
    warnings = (
        Warning.objects.filter(risk_infos__enterprise=enterprise, status__in=ISSUED_WARNING_STATES)
        .distinct()
        .only("id", "title", "published_at", "created_at")
    )
    for w in warnings:
        seen(w.published_at or w.created_at)
        records.append(
            Record(
                kind=RecordKind.WARNING,
                ref=f"warning:{w.pk}",
                title=w.title[:120],
                occurred_on=_day(w.published_at, w.created_at),
            )
        )
    for o in EnterpriseOutcome.objects.filter(enterprise=enterprise).select_related("warning"):
        seen(o.recorded_at)
        records.append(
            Record(
                kind=OUTCOME_KINDS.get(o.outcome, RecordKind.OUTCOME_RECTIFIED),
                ref=f"outcome:{o.pk}",
                title=f"{o.get_outcome_display()}（{o.warning.title[:80]}）",
                occurred_on=_day(o.recorded_at, o.recorded_at),
            )
        )
    facts = EnterpriseFacts(
        enterprise_id=enterprise.pk,
        name=enterprise.name,
        licensed=enterprise.licensed,
        categories=cats,
        records=tuple(records),
    )
    return facts, newest


def regrade(
    enterprise: Enterprise,
    *,
    now: datetime | None = None,
    tiers: dict[int, ProductTier] | None = None,
    grading_policy: GradingPolicy | None = None,
) -> CreditGrade:
    """The enterprise's current grade, recomputed; a new history row only when its inputs
    (records, product tiers, policy, recency bands) changed since the current one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    pol = grading_policy or policy()
    facts, newest = enterprise_facts(enterprise, tiers)
    version = grading.inputs_version(facts, pol, today)
    with transaction.atomic():
        current = (
            CreditGrade.objects.select_for_update()
            .filter(enterprise=enterprise, is_current=True)
            .first()
        )
        if current is not None and current.inputs_version == version:
            current.checked_at = now
            if newest is not None:
                current.records_until = max(newest, current.records_until or newest)
            current.save(update_fields=["records_until", "checked_at"])
            return current
        explained = grading.explain(facts, today=today, policy=pol)
        if current is not None:
            current.is_current = False
            current.save(update_fields=["is_current"])
        grade = CreditGrade.objects.create(
            enterprise=enterprise,
            district_id=enterprise.district_id,
            grade=explained.grade.value,
            score=explained.score,
            explanation=explained.to_json(),
            inputs_version=version,
            policy_version=pol.version(),
            records_until=newest,
            is_current=True,
            computed_at=now,
            checked_at=now,
        )
        if current is None or current.grade != grade.grade:
            record(
                "grade",
                grade,
                from_state=current.grade if current else "",
                to_state=grade.grade,
                message=f"{enterprise.name}：{explained.grade.label}，得分{explained.score}",
            )
    return grade


def regrade_enterprises(ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Regrade the enterprises ``ids``; returns how many got a new history row."""
    tiers = category_tiers()
    pol = policy()
    changed = 0
    qs = Enterprise.objects.filter(pk__in=list(ids)).prefetch_related("products")
    for enterprise in qs:
        before = current_grade(enterprise)
        after = regrade(enterprise, now=now, tiers=tiers, grading_policy=pol)
        changed += int(before is None or before.pk != after.pk)
    return changed


def changed_enterprise_ids(now: datetime | None = None) -> list[int]:
    """Enterprises whose grade is missing or may be out of date: a record newer than the
    grade's newest record, a product tier changed after it, another policy, or older than
    ``regrade_after_days`` (records age out of their recency band)."""
    from pqrisk.disposal.models import EnterpriseOutcome
    from pqrisk.warnings.models import Warning

    now = now or timezone.now()
    pol_version = policy().version()
    stale_before = now - timedelta(days=int(_config().get("regrade_after_days", 7)))
    current = {
        g.enterprise_id: g
        for g in CreditGrade.objects.filter(is_current=True).only(
            "enterprise_id", "records_until", "computed_at", "checked_at", "policy_version"
        )
    }
    ids = set(Enterprise.objects.exclude(pk__in=current).values_list("pk", flat=True))
    newest: dict[int, datetime] = {}

    def note(pairs: Iterable[tuple[int, datetime | None]]) -> None:
        for ent, when in pairs:
            if when is not None and (ent not in newest or when > newest[ent]):
                newest[ent] = when

    note(
        RiskInfo.objects.filter(enterprise__isnull=False)
        .values("enterprise")
        .annotate(m=Max("screened_at"))
        .values_list("enterprise", "m")
    )
    note(
        EnterpriseOutcome.objects.values("enterprise")
        .annotate(m=Max("recorded_at"))
        .values_list("enterprise", "m")
    )
    note(
        Warning.objects.filter(
            status__in=ISSUED_WARNING_STATES, risk_infos__enterprise__isnull=False
        )
        .values("risk_infos__enterprise")
        .annotate(m=Max("published_at"))
        .values_list("risk_infos__enterprise", "m")
    )
    tier_changes = dict(
        ProductRiskLevel.objects.values_list("product_category", "computed_at").order_by()
    )
    makers: dict[int, set[int]] = defaultdict(set)
    for ent, cat in Enterprise.products.through.objects.values_list(
        "enterprise_id", "productcategory_id"
    ):
        makers[ent].add(cat)
    for ent, g in current.items():
        if (
            g.policy_version != pol_version
            or g.checked_at < stale_before
            or (ent in newest and (g.records_until is None or newest[ent] > g.records_until))
            or any(tier_changes.get(c, g.computed_at) > g.computed_at for c in makers[ent])
        ):
            ids.add(ent)
    return sorted(ids)


def regrade_changed(now: datetime | None = None) -> dict[str, int]:
    """Product tiers first (they feed the grades), then every enterprise that needs it."""
    tiers_changed = refresh_product_levels(now)
    ids = changed_enterprise_ids(now)
    return {
        "tiers_changed": tiers_changed,
        "checked": len(ids),
        "regraded": regrade_enterprises(ids, now=now),
    }


def current_grade(enterprise: Enterprise | int) -> CreditGrade | None:
    """The enterprise's current explained grade (``.explanation``), or None if not graded.
    This is what the enterprise profile shows."""
    ent_id = enterprise if isinstance(enterprise, int) else enterprise.pk
    return CreditGrade.objects.filter(enterprise_id=ent_id, is_current=True).first()


def grade_history(enterprise: Enterprise) -> QuerySet[CreditGrade]:
    return CreditGrade.objects.filter(enterprise=enterprise).order_by("-computed_at", "-id")


def visible_grades(user: Any) -> QuerySet[CreditGrade]:
    qs = CreditGrade.objects.filter(is_current=True).select_related("enterprise", "district")
    return scope_queryset(user, qs).order_by("-score", "enterprise__name")


def visible_enterprises(user: Any) -> QuerySet[Enterprise]:
    return scope_queryset(user, Enterprise.objects.all())


# ---------------------------------------------------------------- spot-check plans


@dataclass(frozen=True)
class PlanRequest:
    title: str
    period_start: date
    period_end: date
    budget: int
    seed: int | None = None
    products_per_firm: int = 1


def _plan_firms() -> list[plan.PlanFirm]:
    tiers = category_tiers()
    open_reasons: dict[int, list[str]] = defaultdict(list)
    for ent_id, reason in InspectionTask.objects.filter(status=InspectionStatus.OPEN).values_list(
        "enterprise_id", "reason"
    ):
        open_reasons[ent_id].append(reason)
    grades = CreditGrade.objects.filter(is_current=True).select_related("enterprise__district")
    firms = []
    for g in grades.prefetch_related("enterprise__products"):
        ent = g.enterprise
        cats = sorted(
            ent.products.all(),
            key=lambda c: (-tiers.get(c.pk, ProductTier.NONE).rank, c.code),
        )
        firms.append(
            plan.PlanFirm(
                id=ent.pk,
                name=ent.name,
                grade=Grade(g.grade),
                district=ent.district.code,
                products=tuple(
                    f"{c.name}（{tiers.get(c.pk, ProductTier.NONE).label}）" for c in cats
                )
                or ("主要产品（企业未登记产品类别）",),
                triggers=tuple(open_reasons.get(ent.pk, ())),
                score=str(g.score),
            )
        )
    return firms


def create_plan(user: Any, request: PlanRequest) -> SpotCheckPlan:
    """Grade whoever is not graded yet, allocate, draw, store the plan and its entries."""
    require_role(user, *PLAN_ROLES)
    if request.period_end < request.period_start:
        raise SupervisionError("计划结束日期不能早于开始日期")
    missing = Enterprise.objects.exclude(credit_grades__is_current=True).values_list(
        "pk", flat=True
    )
    regrade_enterprises(list(missing))
    seed = plan.new_seed() if request.seed is None else request.seed
    made = plan.make_plan(
        _plan_firms(), request.budget, seed, products_per_firm=request.products_per_firm
    )
    from pqrisk.reference.models import District

    districts = dict(District.objects.values_list("code", "pk"))
    with transaction.atomic():
        p = SpotCheckPlan.objects.create(
            title=request.title,
            period_start=request.period_start,
            period_end=request.period_end,
            budget=made.budget,
            seed=made.seed,
            population=made.population,
            allocation=made.allocation,
            rates=made.rates_json(),
            district_shares=made.district_shares,
            draw=made.draw,
            notes=list(made.notes),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        PlanEntry.objects.bulk_create(
            PlanEntry(
                plan=p,
                enterprise_id=e.firm_id,
                district_id=districts[e.district],
                grade=e.grade.value,
                position=e.position,
                rank_key=e.rank_key,
                products=list(e.products),
                reasons=list(e.reasons),
            )
            for e in made.entries
        )
        record(
            "create",
            p,
            actor=user,
            message=f"{p.title}：样本{p.budget}个，随机种子{p.seed}",
            detail={"allocation": made.allocation},
        )
    return p


def plan_entries(plan_obj: SpotCheckPlan, user: Any) -> QuerySet[PlanEntry]:
    qs = plan_obj.entries.select_related("enterprise", "district")
    return scope_queryset(user, qs)


def plan_workbook(plan_obj: SpotCheckPlan, user: Any) -> bytes:
    """The plan as an Excel workbook: summary by grade, districts' shares, the drawn firms."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from pqrisk.core.safe_export import neutralise_workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "计划概况"
    bold = Font(bold=True)
    ws.append(["计划名称", plan_obj.title])
    ws.append(["计划期间", f"{plan_obj.period_start} 至 {plan_obj.period_end}"])
    ws.append(["抽查样本数", plan_obj.budget])
    ws.append(["随机种子", str(plan_obj.seed)])
    ws.append(["抽取方法", "各企业按 SHA-256(随机种子:企业编号) 排序，依次抽取"])
    ws.append([])
    ws.append(["信用风险等级", "企业数", "抽查数", "抽查比例（%）", "规定比例"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for g in Grade:
        ws.append(
            [
                g.label,
                plan_obj.population.get(g.value, 0),
                plan_obj.allocation.get(g.value, 0),
                plan_obj.rates.get(g.value) or "—",
                plan.band_text(g),
            ]
        )
    for note in plan_obj.notes:
        ws.append(["说明", note])
    shares = wb.create_sheet("各区分配")
    shares.append(["信用风险等级", "区代码", "抽查数"])
    for grade, by_district in sorted(plan_obj.district_shares.items()):
        for code, n in sorted(by_district.items()):
            shares.append([grade, code, n])
    sheet = wb.create_sheet("抽查对象")
    sheet.append(
        [
            "序号",
            "企业名称",
            "统一社会信用代码",
            "所属区",
            "信用风险等级",
            "随机排序位次",
            "排序键",
            "抽检产品",
            "抽取理由",
        ]
    )
    for cell in sheet[1]:
        cell.font = bold
    for i, e in enumerate(plan_entries(plan_obj, user), start=1):
        sheet.append(
            [
                i,
                e.enterprise.name,
                e.enterprise.uscc,
                e.district.name,
                e.grade,
                e.position,
                e.rank_key,
                "、".join(e.products),
                "；".join(e.reasons),
            ]
        )
    # Firm names and reasons come from outside: no cell may run as a formula when opened.
    neutralise_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- triggers


def _supplier_links(enterprises: Sequence[Enterprise]) -> dict[int, frozenset[int]]:
    """Customer → suppliers named in its records' details (``supplier`` / ``供应商``) and
    found in the register by name (place and organisation form dropped)."""
    from pqrisk.core.text.company import normalize_company_name

    rows = list(
        RiskInfo.objects.filter(enterprise__isnull=False)
        .filter(
            Q(raw_item__payload__details__has_key="supplier")
            | Q(raw_item__payload__details__has_key="供应商")
        )
        .values_list("enterprise_id", "raw_item__payload")
    )
    if not rows:
        return {}
    by_key = {normalize_company_name(e.name): e.pk for e in enterprises}
    links: dict[int, set[int]] = defaultdict(set)
    for customer, payload in rows:
        details = (payload or {}).get("details") or {}
        name = details.get("supplier") or details.get("供应商")
        supplier = by_key.get(normalize_company_name(str(name))) if name else None
        if supplier is not None and supplier != customer:
            links[customer].add(supplier)
    return {k: frozenset(v) for k, v in links.items()}


def _event_facts(since: date) -> list[triggers.EventFact]:
    from pqrisk.warnings.models import Warning

    out: list[triggers.EventFact] = []
    infos = (
        RiskInfo.objects.exclude(status__in=SKIPPED_STATUSES)
        .filter(
            Q(source_kind__in=("complaint", "injury"), enterprise__isnull=False)
            | Q(source_kind="spot_check", product_category__isnull=False)
            | Q(source_kind="recall", enterprise__isnull=False)
        )
        .filter(Q(occurred_at__date__gte=since) | Q(occurred_at__isnull=True))
        .select_related("product_category")
    )
    for info in infos:
        kind = info.source_kind
        if kind == "spot_check":
            if _record_kind(info) is None:
                continue
            kind = "failed_spot_check"
        elif kind in ("complaint", "injury") and info.status == "noise":
            continue
        out.append(
            triggers.EventFact(
                ref=f"riskinfo:{info.pk}",
                kind=kind,
                occurred_on=_day(info.occurred_at, info.screened_at),
                title=info.title[:100],
                enterprise_id=info.enterprise_id,
                category_id=info.product_category_id,
                category_name=info.product_category.name if info.product_category else "",
            )
        )
    for w in Warning.objects.filter(
        status="published", product_category__isnull=False, published_at__date__gte=since
    ).select_related("product_category"):
        assert w.product_category is not None
        out.append(
            triggers.EventFact(
                ref=f"warning:{w.pk}",
                kind="warning",
                occurred_on=_day(w.published_at, w.created_at),
                title=w.title[:100],
                category_id=w.product_category_id,
                category_name=w.product_category.name,
            )
        )
    return out


@dataclass(frozen=True)
class TriggerRun:
    found: int
    created: int


def run_triggers(today: date | None = None) -> TriggerRun:
    """Evaluate the rules; store each new trigger event and its one inspection task."""
    today = today or _today()
    cfg = trigger_settings()
    enterprises = list(Enterprise.objects.prefetch_related("products"))
    grades = dict(CreditGrade.objects.filter(is_current=True).values_list("enterprise_id", "grade"))
    suppliers = _supplier_links(enterprises)
    firms = [
        triggers.FirmFacts(
            id=e.pk,
            name=e.name,
            grade=grades.get(e.pk),
            categories=frozenset(c.pk for c in e.products.all()),
            suppliers=suppliers.get(e.pk, frozenset()),
        )
        for e in enterprises
    ]
    # Complaint clusters may start before the look-back window and end inside it.
    since = today - timedelta(days=cfg.lookback_days + cfg.cluster_days)
    found = triggers.evaluate(firms, _event_facts(since), today=today, settings=cfg)
    known = set(
        SupervisionTrigger.objects.filter(event_key__in=[t.key for t in found]).values_list(
            "event_key", flat=True
        )
    )
    by_id = {e.pk: e for e in enterprises}
    created = 0
    for t in found:
        if t.key in known:
            continue
        created += int(_store_trigger(t, by_id[t.enterprise_id], cfg))
    return TriggerRun(found=len(found), created=created)


def _store_trigger(
    t: triggers.TriggerEvent, enterprise: Enterprise, cfg: triggers.TriggerSettings
) -> bool:
    """One trigger event and its inspection task, once: a concurrent or repeated run that
    meets the unique event key creates nothing."""
    try:
        with transaction.atomic():
            trigger, created = SupervisionTrigger.objects.get_or_create(
                event_key=t.key,
                defaults={
                    "rule": t.rule.value,
                    "enterprise": enterprise,
                    "district_id": enterprise.district_id,
                    "description": t.description[:500],
                    "evidence": t.evidence,
                    "occurred_on": t.occurred_on,
                },
            )
            if not created:
                return False
            task = InspectionTask.objects.create(
                trigger=trigger,
                enterprise=enterprise,
                district_id=enterprise.district_id,
                reason=f"{t.rule.label}：{t.description}"[:500],
                due_date=_today() + timedelta(days=cfg.due_days),
            )
            record("create", task, to_state=task.status, message=task.reason)
    except IntegrityError:
        return False
    return True


def visible_tasks(user: Any) -> QuerySet[InspectionTask]:
    qs = InspectionTask.objects.select_related("enterprise", "district", "trigger")
    return scope_queryset(user, qs)


def close_task(user: Any, task: InspectionTask, result: str, *, cancel: bool = False) -> None:
    require_role(user, *MEASURE_ROLES)
    _check_district(user, task.district_id)
    if task.status != InspectionStatus.OPEN:
        raise SupervisionError("该检查任务已办结或已撤销")
    if not result.strip():
        raise SupervisionError("请填写检查结果或撤销理由")
    before = task.status
    task.status = InspectionStatus.CANCELLED if cancel else InspectionStatus.DONE
    task.result = result.strip()
    task.closed_at = timezone.now()
    task.save(update_fields=["status", "result", "closed_at"])
    record(
        "cancel" if cancel else "close",
        task,
        actor=user,
        from_state=before,
        to_state=task.status,
        message=task.result[:200],
    )


# ---------------------------------------------------------------- measures


def _check_district(user: Any, district_id: int | None) -> None:
    if not user.is_city_wide and getattr(user, "district_id", None) != district_id:
        raise PermissionDenied("只能处理本区企业")


def record_measure(
    user: Any,
    enterprise: Enterprise,
    kind: str,
    *,
    decided_on: date,
    legal_basis: str = "",
    note: str = "",
) -> SupervisionMeasure:
    """Record a measure decided for ``enterprise`` with its legal basis (default: the kind's)."""
    require_role(user, *MEASURE_ROLES)
    _check_district(user, enterprise.district_id)
    try:
        measure_kind = measures.MeasureKind(kind)
    except ValueError:
        raise SupervisionError(f"未知的监管措施：{kind!r}") from None
    if decided_on > _today():
        raise SupervisionError("决定日期不能晚于今天")
    current = current_grade(enterprise)
    m = SupervisionMeasure.objects.create(
        enterprise=enterprise,
        district_id=enterprise.district_id,
        kind=measure_kind.value,
        grade=current.grade if current else "",
        legal_basis=(legal_basis.strip() or measure_kind.meaning),
        note=note.strip(),
        decided_by=user,
        decided_on=decided_on,
    )
    record("create", m, actor=user, message=f"{enterprise.name}：{measure_kind.label}")
    return m


def visible_measures(user: Any) -> QuerySet[SupervisionMeasure]:
    qs = SupervisionMeasure.objects.select_related("enterprise", "district", "decided_by")
    return scope_queryset(user, qs)


def score_total(contributions: Sequence[dict[str, Any]]) -> Decimal:
    """The sum of an explanation's contributions (equal to its score by construction)."""
    return sum((Decimal(str(c["points"])) for c in contributions), Decimal(0))


__all__ = [
    "SupervisionError",
    "close_task",
    "create_plan",
    "current_grade",
    "grade_history",
    "plan_workbook",
    "record_measure",
    "refresh_product_levels",
    "regrade",
    "regrade_changed",
    "regrade_enterprises",
    "run_triggers",
]
