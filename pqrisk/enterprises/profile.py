"""The enterprise profile (企业画像): everything the platform holds about one enterprise, for
one user.

``build_profile(enterprise, user)`` gathers the records matched to the enterprise across
sources (licences, spot checks with their failed items, penalties, complaints, injuries,
recalls, media, station reports), the warnings that rest on them, disposal tasks, reports
and outcomes, lab sampling, events and assessment cases, its products, counts per source and
year, a timeline, its neighbourhood in the knowledge graph, and notes on how reliably the
records were matched to it (by USCC, by name only, by hand).

Who sees what follows the rest of the platform (``pqrisk.accounts.scoping``): city-wide roles
see every enterprise and every row; a district officer sees the enterprises of their
district, and within a profile the rows of their district — rows of other districts are
counted, never shown. The number of queries does not grow with the number of records.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Coalesce, ExtractYear
from django.urls import reverse
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import scope_queryset
from pqrisk.assessment.models import Assessment, AssessmentCase
from pqrisk.core.graph.query import BadQuery, UnknownNode
from pqrisk.core.levels import RiskLevel, WarningLevel
from pqrisk.core.text.company import CompanyMatcher, MatchMethod, parse_company
from pqrisk.disposal.choices import EnterpriseOutcomeKind
from pqrisk.disposal.models import DisposalTask, EnterpriseOutcome, Feedback
from pqrisk.intake.choices import SourceKind
from pqrisk.labs.models import SamplingTask, ViolationLead
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.warnings.api import visible_warnings
from pqrisk.warnings.models import Warning

from .models import Enterprise

# Rows listed per section (warnings, tasks, lab tasks…); the totals are always given.
SECTION_LIMIT = 50
TIMELINE_PAGE = 50
MAX_TIMELINE_LIMIT = 500
MAX_TIMELINE_OFFSET = 10_000
GRAPH_NEIGHBOURS = 60  # nodes asked of the graph around the enterprise
GRAPH_LISTED = 15
GRAPH_SUGGESTIONS = 5
NAME_VARIANTS = 10
AMBIGUOUS_SCANNED = 50  # unmatched records with an ambiguous name looked at
AMBIGUOUS_REGISTER = 500  # registered namesakes a mention is compared with
FAILED_ITEMS_LISTED = 20

# Timeline kinds besides the record sources (``SourceKind``), in the order they are offered.
OTHER_KINDS: dict[str, str] = {
    "warning": "风险预警",
    "disposal": "处置",
    "lab": "实验室抽样",
    "case": "评估任务",
    "event": "风险事件",
}
KIND_LABELS: dict[str, str] = {**dict(SourceKind.choices), **OTHER_KINDS}

# How a record was matched (``RiskInfo.tags["enterprise_match"]["method"]``, written by
# screening; ``manual`` by a person). USCC is certain; the name methods are not.
MATCH_LABELS: dict[str, str] = {
    MatchMethod.USCC.value: "统一社会信用代码",
    MatchMethod.EXACT.value: "名称一致",
    MatchMethod.NORMALIZED.value: "规范化名称一致",
    MatchMethod.BRAND.value: "字号一致",
    "manual": "人工关联",
    "": "未记录匹配方式",
}
BY_NAME = frozenset(
    {MatchMethod.EXACT.value, MatchMethod.NORMALIZED.value, MatchMethod.BRAND.value}
)
# Details shown on a record's timeline entry, by source (the stream field and its label).
DETAIL_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    SourceKind.SPOT_CHECK.value: (("sampling_level", "抽查级别"), ("conclusion", "结论")),
    SourceKind.LICENSING.value: (("action", "变更类型"), ("licence_no", "许可证编号")),
    SourceKind.PENALTY.value: (
        ("violation", "违法行为"),
        ("penalty", "处罚内容"),
        ("amount_yuan", "罚没金额（元）"),
    ),
    SourceKind.RECALL.value: (("units", "召回数量"), ("progress", "进展")),
    SourceKind.INJURY.value: (("injury_type", "伤害类型"),),
    SourceKind.COMPLAINT.value: (("channel", "投诉渠道"),),
    SourceKind.MEDIA.value: (("site", "站点"),),
}
FAILED_SIGNAL = re.compile(r"^监督抽查不合格[：:](?P<items>.+)$")
_LIST_SPLIT = re.compile(r"[、,，;；]+")


# ------------------------------------------------------------------------------ the profile
@dataclass(frozen=True)
class EnterpriseInfo:
    id: int
    name: str
    uscc: str
    district_code: str
    district_name: str
    address: str
    legal_representative: str
    kind: str
    scale: str
    licensed: bool
    established: date | None


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str


@dataclass(frozen=True)
class ProductRow:
    id: int
    label: str
    category: str
    records: int


@dataclass(frozen=True)
class SourceCount:
    """Records of one source (duplicates left out), in all and per year."""

    source: str
    label: str
    total: int
    by_year: dict[int, int]


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened to the enterprise. ``dated`` is False when a record
    carries no date of its own and is placed by when it was screened."""

    when: datetime
    kind: str
    kind_label: str
    title: str
    url: str
    source: str
    source_label: str
    severity: str = ""
    severity_label: str = ""
    colour: str = ""
    detail: str = ""
    dated: bool = True


@dataclass(frozen=True)
class TimelineKind:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class WarningRow:
    id: int
    title: str
    level: str
    level_label: str
    colour: str
    status: str
    status_label: str
    when: datetime
    url: str


@dataclass(frozen=True)
class TaskRow:
    id: int
    warning_title: str
    district: str
    status: str
    status_label: str
    due_at: datetime | None
    created_at: datetime
    reports: int
    url: str


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    outcome: str
    outcome_label: str
    adverse: bool
    penalty_amount: str
    warning_title: str
    recorded_at: datetime
    url: str


@dataclass(frozen=True)
class LinkRow:
    """A lab task, violation lead, event or case: what it is, its state and where it is."""

    id: int
    title: str
    status_label: str
    when: datetime
    url: str


@dataclass(frozen=True)
class Section:
    """Rows of one kind the user may see (at most ``SECTION_LIMIT``) and how many there are."""

    rows: list[Any]
    total: int


@dataclass(frozen=True)
class GraphNeighbour:
    id: str
    label: str
    type: str
    type_label: str
    url: str


@dataclass(frozen=True)
class GraphSuggestion:
    label: str
    type_label: str
    reason: str
    url: str


@dataclass(frozen=True)
class GraphSummary:
    node: str
    url: str
    in_graph: bool
    message: str = ""
    degree: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # (type label, nodes)
    neighbours: list[GraphNeighbour] = field(default_factory=list)
    suggestions: list[GraphSuggestion] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class MatchCount:
    method: str
    label: str
    count: int
    by_name_only: bool


@dataclass(frozen=True)
class AmbiguousRecord:
    id: int
    title: str
    name: str
    url: str


@dataclass(frozen=True)
class DataQuality:
    """How reliably the records were matched to the enterprise, and what is missing."""

    records: int
    by_uscc: int
    by_name_only: int
    manual: int
    unrecorded: int
    methods: list[MatchCount]
    name_only_records: list[AmbiguousRecord]
    ambiguous: list[AmbiguousRecord]
    uscc_conflicts: int
    name_variants: list[tuple[str, int]]
    undated: int
    duplicates: int
    hidden_other_districts: int
    register_gaps: list[str]
    notes: list[str]


@dataclass(frozen=True)
class Profile:
    """The enterprise profile (企业画像) as one user may see it; plain values only."""

    enterprise: EnterpriseInfo
    url: str
    categories: list[CategoryRow]
    products: list[ProductRow]
    records: int
    source_counts: list[SourceCount]
    years: list[int]
    failed_items: list[tuple[str, int]]
    timeline: list[TimelineEntry]
    timeline_total: int
    timeline_kinds: list[TimelineKind]
    timeline_kind: str
    timeline_offset: int
    timeline_limit: int
    warnings: Section
    tasks: Section
    outcomes: Section
    lab_tasks: Section
    leads: Section
    events: Section
    cases: Section
    graph: GraphSummary
    data_quality: DataQuality
    generated_at: datetime
    # Foreign alerts (境外通报) matched to the enterprise: accepted and pending candidates.
    foreign_alerts: Section = field(default_factory=lambda: Section([], 0))


# ------------------------------------------------------------------------------ who sees
def may_view_profiles(user: Any) -> bool:
    """City-wide roles and district officers with a district (as for the pages)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_city_wide:
        return True
    return bool(user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None)


def visible_enterprises(user: Any) -> QuerySet[Enterprise]:
    """Enterprises whose profile ``user`` may open: all for city-wide roles, their own
    district's for a district officer."""
    return scope_queryset(user, Enterprise.objects.select_related("district"))


def _check_access(enterprise: Enterprise, user: Any) -> None:
    if not may_view_profiles(user):
        raise PermissionDenied("您的账户没有查看企业画像的角色。")
    if not user.is_city_wide and enterprise.district_id != user.district_id:
        raise PermissionDenied("区局只能查看本区企业的画像。")


# ------------------------------------------------------------------------------ building
def build_profile(
    enterprise: Enterprise,
    user: Any,
    *,
    timeline_kind: str = "",
    timeline_offset: int = 0,
    timeline_limit: int = TIMELINE_PAGE,
) -> Profile:
    """The profile of ``enterprise`` as ``user`` may see it. The timeline is newest first,
    ``timeline_limit`` entries from ``timeline_offset``, of one kind (a record source such
    as ``spot_check``, or ``warning``, ``disposal``, ``lab``, ``case``, ``event``) or all.

    Raises ``PermissionDenied`` if the user may not see the enterprise (views look it up
    in ``visible_enterprises`` first and answer 404)."""
    _check_access(enterprise, user)
    if timeline_kind and timeline_kind not in KIND_LABELS:
        timeline_kind = ""
    offset = max(0, min(int(timeline_offset), MAX_TIMELINE_OFFSET))
    limit = max(1, min(int(timeline_limit), MAX_TIMELINE_LIMIT))
    wanted = offset + limit
    # Sections list their newest rows; deeper timeline pages need more of them.
    listed = max(SECTION_LIMIT, wanted)

    all_records = RiskInfo.objects.filter(enterprise=enterprise)
    records = scope_queryset(user, all_records)
    counted = records.exclude(status=RiskInfoStatus.DUPLICATE)

    source_counts, years, total = _source_counts(counted)
    warnings = _warnings(enterprise, user, listed)
    tasks = _tasks(enterprise, user, listed)
    outcomes = _outcomes(enterprise, user, listed)
    lab_tasks = _lab_tasks(enterprise, user, listed)
    leads = _leads(enterprise, user, listed)
    events = _events(enterprise, user, listed)
    cases = _cases(enterprise, user, listed)

    entries: list[TimelineEntry] = []
    if not timeline_kind or timeline_kind in SourceKind.values:
        shown = counted.filter(source_kind=timeline_kind) if timeline_kind else counted
        entries += _record_entries(shown, wanted)
    others: dict[str, list[TimelineEntry]] = {
        "warning": [_warning_entry(w) for w in warnings.rows],
        "disposal": [_task_entry(t) for t in tasks.rows]
        + [_outcome_entry(o) for o in outcomes.rows]
        + _feedback_entries(enterprise, user, wanted),
        "lab": [_lab_entry(t) for t in lab_tasks.rows] + [_lead_entry(x) for x in leads.rows],
        "case": [_case_entry(c) for c in cases.rows],
        "event": [_event_entry(e) for e in events.rows],
    }
    for kind, found in others.items():
        if not timeline_kind or timeline_kind == kind:
            entries += found
    entries.sort(key=lambda e: (e.when, e.kind, e.url), reverse=True)

    kind_counts = {s.source: s.total for s in source_counts}
    kind_counts.update(
        {
            "warning": warnings.total,
            "disposal": tasks.total + outcomes.total + _feedback_count(enterprise, user),
            "lab": lab_tasks.total + leads.total,
            "case": cases.total,
            "event": events.total,
        }
    )
    kinds = [TimelineKind(k, KIND_LABELS[k], n) for k, n in kind_counts.items() if n]
    timeline_total = (
        kind_counts.get(timeline_kind, 0) if timeline_kind else sum(kind_counts.values())
    )

    return Profile(
        enterprise=_info(enterprise),
        url=reverse("web:enterprise_detail", args=[enterprise.pk]),
        categories=[CategoryRow(c.code, c.name) for c in enterprise.products.order_by("code")],
        products=_products(enterprise, user),
        records=total,
        source_counts=source_counts,
        years=years,
        failed_items=_failed_items(counted),
        timeline=entries[offset:wanted],
        timeline_total=timeline_total,
        timeline_kinds=kinds,
        timeline_kind=timeline_kind,
        timeline_offset=offset,
        timeline_limit=limit,
        warnings=warnings,
        tasks=tasks,
        outcomes=outcomes,
        lab_tasks=lab_tasks,
        leads=leads,
        events=events,
        cases=cases,
        graph=graph_summary(enterprise, user),
        data_quality=_data_quality(enterprise, user, all_records, records),
        generated_at=timezone.now(),
        foreign_alerts=foreign_alerts(enterprise, user, SECTION_LIMIT),
    )


def _info(e: Enterprise) -> EnterpriseInfo:
    return EnterpriseInfo(
        id=e.pk,
        name=e.name,
        uscc=e.uscc,
        district_code=e.district.code,
        district_name=e.district.name,
        address=e.address,
        legal_representative=e.legal_representative,
        kind=e.kind,
        scale=e.scale,
        licensed=e.licensed,
        established=e.established,
    )


def _products(enterprise: Enterprise, user: Any) -> list[ProductRow]:
    """Its concrete products (brand + model), the most reported first; ``records`` counts
    the records the user may see."""
    visible = scope_queryset(user, RiskInfo.objects.all()).values("pk")
    rows = (
        enterprise.product_set.select_related("category")
        .annotate(n=Count("risk_infos", filter=Q(risk_infos__in=visible)))
        .order_by("-n", "name", "id")[:100]
    )
    return [ProductRow(p.pk, str(p), p.category.name if p.category else "", p.n) for p in rows]


def _when_expr() -> Coalesce:
    return Coalesce("occurred_at", "screened_at")


def _source_counts(records: QuerySet[RiskInfo]) -> tuple[list[SourceCount], list[int], int]:
    """Counts per source and year (the year the record happened, or was screened)."""
    rows = (
        records.annotate(year=ExtractYear(_when_expr()))
        .values("source_kind", "year")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_source: dict[str, dict[int, int]] = {}
    for r in rows:
        by_source.setdefault(r["source_kind"], {})[int(r["year"])] = r["n"]
    years = sorted({y for per in by_source.values() for y in per})
    counts = [
        SourceCount(
            kind, label, sum(by_source[kind].values()), dict(sorted(by_source[kind].items()))
        )
        for kind, label in SourceKind.choices
        if kind in by_source
    ]
    return counts, years, sum(c.total for c in counts)


def _failed_items(records: QuerySet[RiskInfo]) -> list[tuple[str, int]]:
    """Failed test items across its failed spot checks, the most frequent first."""
    found: Counter[str] = Counter()
    rows = records.filter(source_kind=SourceKind.SPOT_CHECK).values_list(
        "raw_item__payload__details", "signals"
    )
    for details, signals in rows:
        found.update(failed_items_of(details, signals))
    return found.most_common(FAILED_ITEMS_LISTED)


def failed_items_of(details: object, signals: object) -> list[str]:
    """A spot check's failed items: the record's ``failed_items``, else those named in its
    signal (``监督抽查不合格：电气强度、标志``)."""
    if isinstance(details, Mapping):
        items = details.get("failed_items")
        if isinstance(items, list) and items:
            return [str(x).strip() for x in items if str(x).strip()]
        if isinstance(items, str) and items.strip():
            return [x for x in _LIST_SPLIT.split(items.strip()) if x]
    for s in signals if isinstance(signals, list) else []:
        m = FAILED_SIGNAL.match(str(s))
        if m:
            return [x for x in _LIST_SPLIT.split(m.group("items")) if x]
    return []


# ------------------------------------------------------------------------------ timeline
def _record_entries(records: QuerySet[RiskInfo], wanted: int) -> list[TimelineEntry]:
    rows = list(
        records.annotate(when=_when_expr())
        .order_by(F("when").desc(), "-id")
        .values(
            "id",
            "title",
            "source_kind",
            "status",
            "when",
            "occurred_at",
            "signals",
            "severity_hint",
            "raw_item__payload__details",
        )[:wanted]
    )
    levels: dict[int, str] = {}
    for a in (
        Assessment.objects.filter(risk_info_id__in=[r["id"] for r in rows])
        .order_by("risk_info_id", "-created_at", "-id")
        .values("risk_info_id", "level")
    ):
        levels.setdefault(a["risk_info_id"], a["level"])
    return [_record_entry(r, levels.get(r["id"])) for r in rows]


def _record_entry(r: Mapping[str, Any], level: str | None) -> TimelineEntry:
    kind = r["source_kind"]
    details = r["raw_item__payload__details"]
    severity, severity_label, colour = "", "", ""
    if level:
        risk = RiskLevel(level)
        severity, severity_label, colour = risk.value, risk.label, risk.colour
    elif r["status"] == RiskInfoStatus.NOISE:
        severity, severity_label = "noise", RiskInfoStatus.NOISE.label
    elif r["signals"]:
        severity, severity_label = "signal", "风险信号（待评估）"
    return TimelineEntry(
        when=r["when"],
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind),
        title=r["title"],
        url=reverse("web:riskinfo_detail", args=[r["id"]]),
        source=kind,
        source_label=KIND_LABELS.get(kind, kind),
        severity=severity,
        severity_label=severity_label,
        colour=colour,
        detail=_record_detail(kind, details, r["signals"], r["severity_hint"]),
        dated=r["occurred_at"] is not None,
    )


def _record_detail(kind: str, details: object, signals: object, severity: int | None) -> str:
    """What a reader wants to know of a record at a glance, by source."""
    d: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    fields: tuple[tuple[str, str], ...] = DETAIL_FIELDS.get(kind, ())
    parts = [f"{label}：{d[key]}" for key, label in fields if d.get(key) not in (None, "", [])]
    if kind == SourceKind.SPOT_CHECK:
        failed = failed_items_of(d, signals)
        if failed:
            parts.append(f"不合格项目：{'、'.join(failed)}")
    elif kind == SourceKind.INJURY and severity:
        parts.append(f"伤害程度{severity}级")
    if not parts and isinstance(signals, list):
        parts = [str(s) for s in signals]
    return "；".join(parts)[:300]


def _warning_entry(w: WarningRow) -> TimelineEntry:
    return TimelineEntry(
        when=w.when,
        kind="warning",
        kind_label=OTHER_KINDS["warning"],
        title=w.title,
        url=w.url,
        source="warning",
        source_label=OTHER_KINDS["warning"],
        severity=w.level,
        severity_label=w.level_label,
        colour=w.colour,
        detail=w.status_label,
    )


def _task_entry(t: TaskRow) -> TimelineEntry:
    return TimelineEntry(
        when=t.created_at,
        kind="disposal",
        kind_label=OTHER_KINDS["disposal"],
        title=f"处置任务下达：{t.warning_title}（{t.district}）",
        url=t.url,
        source="disposal",
        source_label="处置任务",
        detail=t.status_label,
    )


def _outcome_entry(o: OutcomeRow) -> TimelineEntry:
    return TimelineEntry(
        when=o.recorded_at,
        kind="disposal",
        kind_label=OTHER_KINDS["disposal"],
        title=f"处置结果：{o.outcome_label}",
        url=o.url,
        source="disposal",
        source_label="企业处置结果",
        severity="adverse" if o.adverse else "",
        severity_label="不利结论" if o.adverse else "",
        detail=(f"罚没金额 {o.penalty_amount} 元；" if Decimal(o.penalty_amount) else "")
        + f"依据预警：{o.warning_title}",
    )


def _lab_entry(t: LinkRow) -> TimelineEntry:
    return TimelineEntry(
        when=t.when,
        kind="lab",
        kind_label=OTHER_KINDS["lab"],
        title=f"抽样任务：{t.title}",
        url=t.url,
        source="lab",
        source_label="抽样任务",
        detail=t.status_label,
    )


def _lead_entry(x: LinkRow) -> TimelineEntry:
    return TimelineEntry(
        when=x.when,
        kind="lab",
        kind_label=OTHER_KINDS["lab"],
        title=f"违法线索：{x.title}",
        url=x.url,
        source="lab",
        source_label="违法线索",
        severity="adverse",
        severity_label="检验不合格",
        detail=x.status_label,
    )


def _case_entry(c: LinkRow) -> TimelineEntry:
    return TimelineEntry(
        when=c.when,
        kind="case",
        kind_label=OTHER_KINDS["case"],
        title=f"评估任务立项：{c.title}",
        url=c.url,
        source="case",
        source_label=OTHER_KINDS["case"],
        detail=c.status_label,
    )


def _event_entry(e: LinkRow) -> TimelineEntry:
    return TimelineEntry(
        when=e.when,
        kind="event",
        kind_label=OTHER_KINDS["event"],
        title=f"风险事件：{e.title}",
        url=e.url,
        source="event",
        source_label=OTHER_KINDS["event"],
        detail=e.status_label,
    )


# ------------------------------------------------------------------------------ warnings…
def _warnings(enterprise: Enterprise, user: Any, limit: int) -> Section:
    """Warnings resting on its records, or sent to it (风险警示 to the enterprise)."""
    qs = visible_warnings(user).filter(pk__in=_warning_ids(enterprise))
    qs = qs.order_by("-created_at", "-id")
    rows = [
        WarningRow(
            id=w.pk,
            title=w.title,
            level=w.level,
            level_label=WarningLevel(w.level).label,
            colour=WarningLevel(w.level).colour,
            status=w.status,
            status_label=w.get_status_display(),
            when=w.published_at or w.created_at,
            url=reverse("web:warning_detail", args=[w.pk]),
        )
        for w in qs[:limit]
    ]
    return Section(rows, len(rows) if len(rows) < limit else qs.count())


def _warning_ids(enterprise: Enterprise) -> QuerySet[Any]:
    return Warning.objects.filter(
        Q(risk_infos__enterprise=enterprise) | Q(recipients__enterprise=enterprise)
    ).values("pk")


def _tasks(enterprise: Enterprise, user: Any, limit: int) -> Section:
    """Disposal tasks of those warnings, and tasks that recorded an outcome for it."""
    ids = _warning_ids(enterprise)
    with_outcome = EnterpriseOutcome.objects.filter(enterprise=enterprise).values("task_id")
    qs = (
        scope_queryset(user, DisposalTask.objects.all())
        .filter(Q(warning_id__in=ids) | Q(pk__in=with_outcome))
        .select_related("district", "warning")
        .annotate(n_reports=Count("feedback"))
        .order_by("-created_at", "-id")
    )
    rows = [
        TaskRow(
            id=t.pk,
            warning_title=t.warning.title,
            district=t.district.name,
            status=t.status,
            status_label=t.get_status_display(),
            due_at=t.due_at,
            created_at=t.created_at,
            reports=t.n_reports,
            url=reverse("web:task_detail", args=[t.pk]),
        )
        for t in qs[:limit]
    ]
    return Section(rows, len(rows) if len(rows) < limit else qs.count())


def _feedback_qs(enterprise: Enterprise, user: Any) -> QuerySet[Feedback]:
    ids = _warning_ids(enterprise)
    with_outcome = EnterpriseOutcome.objects.filter(enterprise=enterprise).values("feedback_id")
    return Feedback.objects.filter(
        Q(task__warning_id__in=ids) | Q(pk__in=with_outcome),
        task__in=scope_queryset(user, DisposalTask.objects.all()).values("pk"),
    )


def _feedback_entries(enterprise: Enterprise, user: Any, wanted: int) -> list[TimelineEntry]:
    rows = (
        _feedback_qs(enterprise, user)
        .select_related("task__district")
        .order_by("-submitted_at", "-id")[:wanted]
    )
    return [
        TimelineEntry(
            when=f.submitted_at,
            kind="disposal",
            kind_label=OTHER_KINDS["disposal"],
            title=f"处置报告（{f.task.district.name}）",
            url=reverse("web:task_detail", args=[f.task_id]),
            source="disposal",
            source_label="处置报告",
            detail=(f.findings or f.measures)[:200],
        )
        for f in rows
    ]


def _feedback_count(enterprise: Enterprise, user: Any) -> int:
    return _feedback_qs(enterprise, user).count()


def _outcomes(enterprise: Enterprise, user: Any, limit: int) -> Section:
    qs = (
        scope_queryset(user, EnterpriseOutcome.objects.all(), "task__district")
        .filter(enterprise=enterprise)
        .select_related("warning")
        .order_by("-recorded_at", "-id")
    )
    rows = [
        OutcomeRow(
            id=o.pk,
            outcome=o.outcome,
            outcome_label=o.get_outcome_display(),
            adverse=EnterpriseOutcomeKind(o.outcome).adverse,
            penalty_amount=str(o.penalty_amount),
            warning_title=o.warning.title,
            recorded_at=o.recorded_at,
            url=reverse("web:task_detail", args=[o.task_id]),
        )
        for o in qs[:limit]
    ]
    return Section(rows, len(rows) if len(rows) < limit else qs.count())


def _section(qs: QuerySet[Any], row: Any, limit: int) -> Section:
    rows = [row(x) for x in qs[:limit]]
    return Section(rows, len(rows) if len(rows) < limit else qs.count())


def _lab_tasks(enterprise: Enterprise, user: Any, limit: int) -> Section:
    qs = scope_queryset(user, SamplingTask.objects.filter(enterprise=enterprise)).order_by(
        "-created_at", "-id"
    )
    return _section(
        qs,
        lambda t: LinkRow(
            t.pk,
            f"{t.code} {t.title}",
            t.get_status_display(),
            t.created_at,
            reverse("labs:task_detail", args=[t.pk]),
        ),
        limit,
    )


def _leads(enterprise: Enterprise, user: Any, limit: int) -> Section:
    qs = (
        scope_queryset(user, ViolationLead.objects.filter(enterprise=enterprise))
        .select_related("sample")
        .order_by("-flagged_at", "-id")
    )
    return _section(
        qs,
        lambda x: LinkRow(
            x.pk,
            f"{x.code} {x.summary[:60]}",
            x.get_status_display(),
            x.flagged_at,
            reverse("labs:lead_detail", args=[x.pk]),
        ),
        limit,
    )


def _events(enterprise: Enterprise, user: Any, limit: int) -> Section:
    """Its events; a district officer sees those of the district or with an item in it (as
    on the events pages)."""
    qs = Event.objects.filter(enterprise=enterprise).select_related(
        "product_category", "hazard", "enterprise", "district"
    )
    if not user.is_city_wide:
        in_district = RiskInfo.objects.filter(district_id=user.district_id).values("event_id")
        qs = qs.filter(Q(district_id=user.district_id) | Q(pk__in=in_district))
    qs = qs.order_by("-first_seen", "-id")
    return _section(
        qs,
        lambda e: LinkRow(
            e.pk,
            e.title,
            f"{e.item_count} 条信息",
            e.first_seen,
            reverse("web:event_detail", args=[e.pk]),
        ),
        limit,
    )


def _cases(enterprise: Enterprise, user: Any, limit: int) -> Section:
    on_records = AssessmentCase.objects.filter(risk_infos__enterprise=enterprise).values("pk")
    qs = (
        scope_queryset(user, AssessmentCase.objects.all())
        .filter(Q(enterprise=enterprise) | Q(pk__in=on_records))
        .order_by("-opened_at", "-id")
    )

    def row(c: AssessmentCase) -> LinkRow:
        state = c.get_status_display()
        if c.final_level:
            state += f" · {RiskLevel(c.final_level).label}"
        return LinkRow(
            c.pk, f"{c.code} {c.title}", state, c.opened_at, reverse("web:case_detail", args=[c.pk])
        )

    return _section(qs, row, limit)


@dataclass(frozen=True)
class ForeignAlertRow:
    """A foreign alert (境外通报) matched to the enterprise, with how it was matched."""

    id: int
    alert_number: str
    origin_label: str
    when: date | None
    product_name: str
    category_zh: str
    risk_types_zh: str
    hazard_zh: str
    made_in_china: bool
    match_state: str
    match_state_label: str
    method_label: str
    confidence: float
    url: str


def foreign_alerts(enterprise: Enterprise, user: Any, limit: int = SECTION_LIMIT) -> Section:
    """Foreign alerts whose candidate firm is ``enterprise`` (auto-confirmed, confirmed or
    waiting for review; rejected ones are left out), newest first. The enterprise's profile
    is already limited to who may see it (``_check_access``)."""
    from django.urls import NoReverseMatch

    from pqrisk.foreign.choices import MatchState
    from pqrisk.foreign.models import ForeignMatch

    if not may_view_profiles(user):
        return Section([], 0)
    qs = (
        ForeignMatch.objects.filter(enterprise=enterprise)
        .exclude(state=MatchState.REJECTED)
        .select_related("alert")
        .order_by(F("alert__alert_date").desc(nulls_last=True), "-alert_id")
    )
    if not user.is_city_wide and enterprise.district_id != user.district_id:
        qs = qs.none()

    def row(m: ForeignMatch) -> ForeignAlertRow:
        a = m.alert
        try:
            url = reverse("web:foreign_detail", args=[a.pk])
        except NoReverseMatch:
            url = ""
        return ForeignAlertRow(
            id=a.pk,
            alert_number=a.alert_number,
            origin_label=a.get_origin_display(),
            when=a.alert_date,
            product_name=a.product_name,
            category_zh=a.category_zh,
            risk_types_zh=a.risk_types_zh,
            hazard_zh=a.hazard_zh,
            made_in_china=a.made_in_china,
            match_state=m.state,
            match_state_label=m.get_state_display(),
            method_label=m.get_method_display(),
            confidence=m.confidence,
            url=url,
        )

    return _section(qs, row, limit)


# ------------------------------------------------------------------------------ the graph
def graph_summary(enterprise: Enterprise, user: Any) -> GraphSummary:
    """The enterprise's neighbours in the knowledge graph (what the user may see), counted
    by type, and the graph's suggestions of what else to look at."""
    from pqrisk.graph import services as graph
    from pqrisk.graph.views import detail_url

    node = f"enterprise:{enterprise.pk}"
    url = f"{reverse('graph:page')}?node={node}"
    try:
        near = graph.neighbourhood_for(user, node, 1, GRAPH_NEIGHBOURS)
        advice = graph.suggestions_for(user, node, limit=GRAPH_SUGGESTIONS)
    except UnknownNode:
        return GraphSummary(node, url, False, "该企业尚未进入知识图谱（图谱定时重建，稍后再试）。")
    except (BadQuery, PermissionDenied) as exc:
        return GraphSummary(node, url, False, getattr(exc, "message_zh", str(exc)))
    others = [n for n in near["nodes"] if n["id"] != node]
    counts = Counter(n["type_label"] for n in others)
    centre: dict[str, Any] = next((n for n in near["nodes"] if n["id"] == node), {})
    return GraphSummary(
        node=node,
        url=url,
        in_graph=True,
        degree=int(centre.get("degree", len(others))),
        counts=counts.most_common(),
        neighbours=[
            GraphNeighbour(
                n["id"], n["label"], n["type"], n["type_label"], detail_url(n["id"]) or ""
            )
            for n in others[:GRAPH_LISTED]
        ],
        suggestions=[
            GraphSuggestion(s["label"], s["type_label"], s["reason"], detail_url(s["node"]) or "")
            for s in advice["suggestions"]
        ],
        truncated=bool(near.get("truncated")),
    )


# ------------------------------------------------------------------------------ data quality
def _data_quality(
    enterprise: Enterprise,
    user: Any,
    all_records: QuerySet[RiskInfo],
    records: QuerySet[RiskInfo],
) -> DataQuality:
    counted = records.exclude(status=RiskInfoStatus.DUPLICATE)
    methods: Counter[str] = Counter()
    for r in (
        counted.annotate(method=KT("tags__enterprise_match__method"))
        .values("method")
        .annotate(n=Count("id"))
        .order_by()
    ):
        methods[r["method"] or ""] += r["n"]
    by_uscc = methods.get(MatchMethod.USCC.value, 0)
    by_name = sum(n for m, n in methods.items() if m in BY_NAME)
    manual = methods.get("manual", 0)
    unrecorded = sum(n for m, n in methods.items() if m not in MATCH_LABELS or m == "")
    rows = [
        MatchCount(m, MATCH_LABELS.get(m, m or MATCH_LABELS[""]), n, m in BY_NAME)
        for m, n in sorted(methods.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    name_only = [
        AmbiguousRecord(
            r["id"],
            r["title"],
            r["enterprise_name"],
            reverse("web:riskinfo_detail", args=[r["id"]]),
        )
        for r in counted.filter(tags__enterprise_match__method__in=list(BY_NAME))
        .order_by("-id")
        .values("id", "title", "enterprise_name")[:SECTION_LIMIT]
    ]

    given: Counter[str] = Counter()
    for r in (
        counted.annotate(given=KeyTextTransform("enterprise_uscc", "raw_item__payload"))
        .values("given")
        .annotate(n=Count("id"))
        .order_by()
    ):
        code = str(r["given"] or "").strip().upper()
        given["conflict" if code and code != enterprise.uscc else "ok"] += r["n"]

    variants = [
        (r["enterprise_name"], r["n"])
        for r in counted.exclude(enterprise_name="")
        .exclude(enterprise_name=enterprise.name)
        .values("enterprise_name")
        .annotate(n=Count("id"))
        .order_by("-n", "enterprise_name")[:NAME_VARIANTS]
    ]
    facts = records.aggregate(
        total=Count("id"),
        undated=Count("id", filter=Q(occurred_at__isnull=True)),
        duplicates=Count("id", filter=Q(status=RiskInfoStatus.DUPLICATE)),
    )
    hidden = all_records.count() - facts["total"]
    ambiguous = _ambiguous_records(enterprise, user)
    gaps = [
        label
        for label, value in (
            ("地址", enterprise.address),
            ("法定代表人", enterprise.legal_representative),
            ("企业类型", enterprise.kind),
            ("规模", enterprise.scale),
            ("成立日期", enterprise.established),
        )
        if not value
    ]
    total = sum(methods.values())
    notes: list[str] = []
    if total:
        notes.append(
            f"共 {total} 条记录：按统一社会信用代码匹配 {by_uscc} 条，仅按名称匹配 {by_name} 条，"
            f"人工关联 {manual} 条，未记录匹配方式 {unrecorded} 条。"
        )
    else:
        notes.append("暂无匹配到本企业的记录。")
    if by_name:
        notes.append(
            f"{by_name} 条记录仅按企业名称匹配（原始记录未提供统一社会信用代码），"
            "可能误配同名或相近名称的企业，使用前请核对。"
        )
    if unrecorded:
        notes.append(f"{unrecorded} 条记录未记录匹配方式（人工关联或早期数据），来源无法核验。")
    if given["conflict"]:
        notes.append(
            f"{given['conflict']} 条记录所载统一社会信用代码与登记信息（{enterprise.uscc}）不一致，"
            "请核实是否误配。"
        )
    if variants:
        names = "、".join(f"{n}（{c}条）" for n, c in variants)
        notes.append(f"记录中的企业名称与登记名称不同：{names}。")
    if ambiguous:
        notes.append(
            f"另有 {len(ambiguous)} 条记录的企业名称对应多家登记企业（含本企业），未自动匹配，"
            "需人工确认。"
        )
    if facts["undated"]:
        notes.append(f"{facts['undated']} 条记录无发生时间，时间线按入库时间排列。")
    if facts["duplicates"]:
        notes.append(f"{facts['duplicates']} 条重复信息未计入统计和时间线。")
    if hidden > 0:
        notes.append(f"另有 {hidden} 条记录属于其他区，按权限不予显示。")
    if gaps:
        notes.append(f"企业登记信息缺少：{'、'.join(gaps)}。")
    return DataQuality(
        records=total,
        by_uscc=by_uscc,
        by_name_only=by_name,
        manual=manual,
        unrecorded=unrecorded,
        methods=rows,
        name_only_records=name_only,
        ambiguous=ambiguous,
        uscc_conflicts=given["conflict"],
        name_variants=variants,
        undated=facts["undated"],
        duplicates=facts["duplicates"],
        hidden_other_districts=max(0, hidden),
        register_gaps=gaps,
        notes=notes,
    )


def _ambiguous_records(enterprise: Enterprise, user: Any) -> list[AmbiguousRecord]:
    """Unmatched records whose enterprise name fits several registered enterprises, this
    one among them (screening does not guess between namesakes)."""
    brand = parse_company(enterprise.name).brand
    if len(brand) < 2:
        return []
    rows = list(
        scope_queryset(user, RiskInfo.objects.filter(enterprise__isnull=True))
        .filter(
            tags__enterprise_match__method=MatchMethod.AMBIGUOUS.value,
            tags__enterprise_match__name__icontains=brand,
        )
        .annotate(named=KT("tags__enterprise_match__name"))
        .order_by("-id")
        .values("id", "title", "named")[:AMBIGUOUS_SCANNED]
    )
    if not rows:
        return []
    namesakes = Enterprise.objects.filter(name__contains=brand).values_list("pk", "name", "uscc")
    matcher = CompanyMatcher(namesakes[:AMBIGUOUS_REGISTER])
    out = []
    for r in rows:
        match = matcher.match(str(r["named"] or ""))
        if match.method == MatchMethod.AMBIGUOUS and enterprise.pk in match.candidates:
            out.append(
                AmbiguousRecord(
                    r["id"], r["title"], r["named"], reverse("web:riskinfo_detail", args=[r["id"]])
                )
            )
    return out
