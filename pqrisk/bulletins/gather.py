"""What an issue reports: the period's data, gathered from the loop's tables as plain JSON.

New warnings (published in the period), top risks (the events with most items, the cases
concluded at a high level), statistical signals, disposal results (written reports and what
they found at enterprises), consumer tips (the ``advice`` of the period's published consumer
advisories, 风险提示) and the counts by source and product family. A thematic issue keeps
only its product category (with everything under it) and/or hazard.

Everything returned is JSON (strings, numbers, lists, dicts) so that it is stored with the
bulletin and each version, and the documents can be made again from it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from pqrisk.assessment.choices import CaseStatus
from pqrisk.assessment.models import Assessment, AssessmentCase
from pqrisk.core.levels import RiskLevel, WarningLevel, WarningMode
from pqrisk.disposal.choices import EnterpriseOutcomeKind
from pqrisk.disposal.models import DisposalTask, EnterpriseOutcome, Feedback
from pqrisk.intake.choices import SourceKind
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.signals.choices import SignalKind, SignalStatus
from pqrisk.signals.models import Signal
from pqrisk.warnings.models import Warning

# How many rows each table of an issue lists (the counts cover everything).
TOP_EVENTS = 10
TOP_CASES = 10
TOP_SIGNALS = 15
MAX_WARNINGS = 30
MAX_TIPS = 10
FAMILY_LEVEL = 1
# Items that carry no risk (reposts, noise) are not counted.
COUNTED_STATUSES = tuple(
    s.value for s in RiskInfoStatus if s not in (RiskInfoStatus.DUPLICATE, RiskInfoStatus.NOISE)
)
ISSUED_STATES = ("published", "lifted")
HIGH_LEVELS = (RiskLevel.SERIOUS.value, RiskLevel.HIGH.value)


@dataclass(frozen=True)
class Scope:
    """The period (both days included) and, for a thematic issue, its subject."""

    start: date
    end: date
    category: ProductCategory | None = None
    hazard: HazardType | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """Exclusive: midnight after the last day (Shanghai time)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def between(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})

    def theme(self, prefix: str = "") -> Q:
        q = Q()
        if self.category is not None:
            q &= Q(**{f"{prefix}product_category__in": category_ids_under(self.category)})
        if self.hazard is not None:
            q &= Q(**{f"{prefix}hazard": self.hazard})
        return q


def category_ids_under(category: ProductCategory) -> list[int]:
    """The category and every category below it in the catalogue."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in ProductCategory.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, frontier = [category.pk], [category.pk]
    while frontier:
        node = frontier.pop()
        for child in children.get(node, []):
            out.append(child)
            frontier.append(child)
    return out


def chinese_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_label(start: date, end: date) -> str:
    """ "2026年6月1日至6月30日" (the year once when both days are in it)."""
    if start == end:
        return chinese_day(start)
    tail = f"{end.month}月{end.day}日" if end.year == start.year else chinese_day(end)
    return f"{chinese_day(start)}至{tail}"


def _local_day(moment: datetime | None) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def gather(scope: Scope) -> dict[str, Any]:
    """The period's data for an issue (JSON)."""
    infos = RiskInfo.objects.filter(
        scope.between("occurred_at"), scope.theme(), status__in=COUNTED_STATUSES
    )
    return {
        "period": {
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "label": period_label(scope.start, scope.end),
            "days": (scope.end - scope.start).days + 1,
        },
        "theme": {
            "category": scope.category.name if scope.category else "",
            "hazard": scope.hazard.name if scope.hazard else "",
        },
        "counts": _counts(scope, infos),
        "warnings": _warnings(scope),
        "risks": _risks(scope, infos),
        "signals": _signals(scope),
        "disposal": _disposal(scope),
        "tips": _tips(scope),
    }


def _counts(scope: Scope, infos: QuerySet[RiskInfo]) -> dict[str, Any]:
    sources = dict(SourceKind.choices)
    by_source = [
        [sources.get(row["source_kind"], row["source_kind"]), row["n"]]
        for row in infos.values("source_kind").annotate(n=Count("id")).order_by("-n", "source_kind")
    ]
    families = _families()
    by_family: Counter[str] = Counter()
    for category_id, n in infos.values_list("product_category").annotate(n=Count("id")):
        by_family[families.get(category_id, "未归类")] += n
    per_day = Counter(
        timezone.localdate(moment).isoformat()
        for moment in infos.values_list("occurred_at", flat=True)
        if moment is not None
    )
    days = [scope.start + timedelta(days=i) for i in range((scope.end - scope.start).days + 1)]
    return {
        "risk_infos": sum(n for _, n in by_source),
        "by_source": by_source,
        "by_family": [[name, n] for name, n in by_family.most_common()],
        "daily": [[d.isoformat(), per_day.get(d.isoformat(), 0)] for d in days],
        "warnings_proposed": Warning.objects.filter(
            scope.between("created_at"), scope.theme()
        ).count(),
        "cases_opened": AssessmentCase.objects.filter(
            scope.between("opened_at"), scope.theme()
        ).count(),
        "cases_concluded": AssessmentCase.objects.filter(
            scope.between("concluded_at"), scope.theme(), status=CaseStatus.CONCLUDED
        ).count(),
    }


def _families() -> dict[int, str]:
    """Each category's product family (catalogue level 1) name."""
    rows = {pk: (parent, level, name) for pk, parent, level, name in _category_rows()}
    out: dict[int, str] = {}
    for pk in rows:
        node: int | None = pk
        while node is not None and rows[node][1] > FAMILY_LEVEL:
            node = rows[node][0]
        out[pk] = rows[node][2] if node is not None else "未归类"
    return out


def _category_rows() -> list[tuple[int, int | None, int, str]]:
    return list(ProductCategory.objects.values_list("pk", "parent_id", "level", "name"))


def _issued(scope: Scope) -> QuerySet[Warning]:
    return Warning.objects.filter(
        scope.between("published_at"), scope.theme(), status__in=ISSUED_STATES
    )


def _warnings(scope: Scope) -> dict[str, Any]:
    issued = _issued(scope).select_related("district", "product_category", "hazard")
    by_level = Counter(issued.values_list("level", flat=True))
    modes = {m.value: m.label for m in WarningMode}
    # Red first, then by publication: a period's issued warnings are few, so sort here.
    ordered = sorted(issued, key=lambda w: (-WarningLevel(w.level).rank, w.published_at, w.pk))
    rows = [
        {
            "id": w.pk,
            "title": w.title,
            "level": w.level,
            "level_label": WarningLevel(w.level).label,
            "modes": [modes[m] for m in w.modes or [] if m in modes],
            "district": w.district.name if w.district else "全市",
            "product": w.product_category.name if w.product_category else "",
            "hazard": w.hazard.name if w.hazard else "",
            "published": _local_day(w.published_at),
        }
        for w in ordered[:MAX_WARNINGS]
    ]
    return {
        "total": sum(by_level.values()),
        "by_level": [
            [lv.value, lv.label, lv.colour, by_level.get(lv.value, 0)] for lv in WarningLevel
        ],
        "rows": rows,
    }


def _risks(scope: Scope, infos: QuerySet[RiskInfo]) -> dict[str, Any]:
    top = list(
        infos.filter(event__isnull=False)
        .values("event")
        .annotate(n=Count("id"))
        .order_by("-n", "event")[:TOP_EVENTS]
    )
    events = Event.objects.select_related("product_category", "hazard", "enterprise", "district")
    by_pk = {e.pk: e for e in events.filter(pk__in=[row["event"] for row in top])}
    sources = dict(SourceKind.choices)
    event_rows = []
    for row in top:
        event = by_pk[row["event"]]
        in_period = Counter(
            infos.filter(event=event).values_list("source_kind", flat=True)
        ).most_common()
        event_rows.append(
            {
                "id": event.pk,
                "title": event.title,
                "items": row["n"],
                "sources": "、".join(f"{sources.get(k, k)}{n}" for k, n in in_period),
                "district": event.district.name if event.district else "",
            }
        )
    cases = (
        AssessmentCase.objects.filter(
            scope.between("concluded_at"),
            scope.theme(),
            status=CaseStatus.CONCLUDED,
            final_level__in=HIGH_LEVELS,
        )
        .select_related("product_category", "hazard")
        .order_by("-concluded_at", "-id")[:TOP_CASES]
    )
    case_rows = [
        {
            "code": c.code,
            "title": c.title,
            "level": c.final_level,
            "level_label": RiskLevel(c.final_level).label,
            "conclusion": c.conclusion[:200],
            "concluded": _local_day(c.concluded_at),
        }
        for c in cases
    ]
    assessed = Counter(
        Assessment.objects.filter(scope.between("created_at"), scope.theme("risk_info__"))
        .values_list("level", flat=True)
        .iterator()
    )
    return {
        "events": event_rows,
        "cases": case_rows,
        "assessments_by_level": [
            [lv.value, lv.label, lv.colour, assessed.get(lv.value, 0)] for lv in RiskLevel
        ],
    }


def _signals(scope: Scope) -> dict[str, Any]:
    """Signals whose period overlaps the issue's, except those dismissed as noise."""
    qs = Signal.objects.filter(
        scope.theme(),
        period_end__gte=scope.start,
        period_start__lte=scope.end,
    ).exclude(status=SignalStatus.DISMISSED)
    kinds = dict(SignalKind.choices)
    statuses = dict(SignalStatus.choices)
    by_kind = Counter(qs.values_list("kind", flat=True))
    rows = [
        {
            "id": s.pk,
            "title": s.title,
            "kind": kinds.get(s.kind, s.kind),
            "period": f"{s.period_start:%m-%d}至{s.period_end:%m-%d}",
            "observed": round(s.observed),
            "expected": None if s.expected is None else round(s.expected, 1),
            "score": round(s.score, 2),
            "status": statuses.get(s.status, s.status),
            "district": s.district.name if s.district else "全市",
        }
        for s in qs.select_related("district").order_by("-score", "-period_end", "id")[:TOP_SIGNALS]
    ]
    return {
        "total": sum(by_kind.values()),
        "by_kind": [[label, by_kind.get(value, 0)] for value, label in SignalKind.choices],
        "rows": rows,
    }


def _disposal(scope: Scope) -> dict[str, Any]:
    reports = Feedback.objects.filter(scope.between("submitted_at"), scope.theme("task__warning__"))
    sums = reports.aggregate(
        enterprises_checked=Sum("enterprises_checked"),
        products_removed=Sum("products_removed"),
        products_recalled=Sum("products_recalled"),
        penalties=Sum("penalties"),
        penalty_amount=Sum("penalty_amount"),
    )
    outcomes = Counter(
        EnterpriseOutcome.objects.filter(
            scope.between("recorded_at"), scope.theme("warning__")
        ).values_list("outcome", flat=True)
    )
    tasks = DisposalTask.objects.filter(scope.theme("warning__"))
    amount = sums["penalty_amount"] or Decimal(0)
    return {
        "reports": reports.count(),
        "late_reports": reports.filter(late=True).count(),
        "tasks_created": tasks.filter(scope.between("created_at")).count(),
        "tasks_closed": tasks.filter(scope.between("closed_at")).count(),
        "enterprises_checked": sums["enterprises_checked"] or 0,
        "products_removed": sums["products_removed"] or 0,
        "products_recalled": sums["products_recalled"] or 0,
        "penalties": sums["penalties"] or 0,
        "penalty_amount": f"{amount:.2f}",
        "outcomes": [
            [kind.label, outcomes.get(kind.value, 0)]
            for kind in EnterpriseOutcomeKind
            if outcomes.get(kind.value)
        ],
    }


def _tips(scope: Scope) -> list[dict[str, Any]]:
    """The advice of the period's published consumer advisories (风险提示)."""
    advisories = _issued(scope).select_related("product_category").order_by("published_at", "id")
    tips = []
    for w in advisories:
        # JSON "contains" is not available on SQLite; a period's issued warnings are few.
        if WarningMode.CONSUMER_ADVISORY.value not in (w.modes or []):
            continue
        lines = [line.strip() for line in (w.advice or "").splitlines() if line.strip()]
        if not lines:
            continue
        tips.append(
            {
                "id": w.pk,
                "title": w.title,
                "product": w.product_category.name if w.product_category else "",
                "advice": lines,
                "published": _local_day(w.published_at),
            }
        )
        if len(tips) == MAX_TIPS:
            break
    return tips
