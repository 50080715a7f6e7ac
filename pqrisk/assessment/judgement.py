"""Risk judgement of a case (风险研判): the model's graded suggestion and experts' overrides.

``case_facts`` reads a case's items and the context around them (enterprise history,
product-family spot checks, trend) from the database into the core's plain
``CaseFacts``; ``suggest`` runs the shipped model (``pqrisk.core.assessment.judgement``) and
stores its suggestion in ``case.model_suggestion``; ``override`` keeps an expert's change of
the suggestion, with the reason and the facts, as a ``JudgementOverride`` — the training data
of the next model version (``override_rows`` / ``export_overrides`` →
``scripts/train_judgement.py --overrides``). Both are audited.

``demo_examples`` builds the labelled training examples of a demo database (events of the
demo generator against its ground truth); ``scripts/train_judgement.py`` runs it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any, Protocol

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.core.assessment.judgement import (
    CaseFacts,
    ItemFacts,
    Judgement,
    JudgementError,
    JudgementModel,
    apply_rules,
    context_windows,
    count_in_window,
    default_model,
    derived_level,
    snapshot_index,
)
from pqrisk.core.assessment.matrix import assess
from pqrisk.core.levels import RiskLevel
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import Event, RiskInfo

from .cases import CaseError
from .choices import CaseStatus
from .models import Assessment, AssessmentCase, JudgementOverride
from .services import first_assessment_input

# Who may ask for and change the model's suggestion.
JUDGEMENT_ROLES = (Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN, Role.EXPERT)
# Risk information that counts as a risk signal for the trend (not noise, duplicates or
# foreign reference items).
SIGNAL_STATUSES = (
    RiskInfoStatus.PENDING_ASSESSMENT,
    RiskInfoStatus.ASSESSED,
    RiskInfoStatus.WARNED,
)
CLASS_CODE_LENGTH = 4  # product class (类别) of the catalogue: family 2, class 4, product 6
CLOSED = (CaseStatus.CONCLUDED, CaseStatus.CANCELLED)

Rows = list[tuple[int, datetime]]


# ----------------------------------------------------------------------------- facts


def item_when(info: RiskInfo) -> datetime:
    return info.occurred_at or info.screened_at


def first_levels(infos: Iterable[RiskInfo], *, stored: bool = True) -> dict[int, str]:
    """The level of each risk signal's own assessment (non-duplicate items that are risk
    signals): its latest stored assessment, else the system's first assessment (系统初评)
    computed now. ``stored=False`` skips the look-up (a demo database has none)."""
    wanted = [i for i in infos if i.duplicate_of_id is None and i.status in SIGNAL_STATUSES]
    levels: dict[int, str] = {}
    if stored and wanted:
        rows = (
            Assessment.objects.filter(risk_info__in=wanted)
            .order_by("risk_info_id", "created_at", "id")
            .values_list("risk_info_id", "level")
        )
        levels.update(rows)  # the latest of each item wins
    for info in wanted:
        if info.pk not in levels:
            levels[info.pk] = assess(first_assessment_input(info)).level.value
    return levels


def item_facts(info: RiskInfo, first_level: str | None = None) -> ItemFacts:
    """The core's view of one screened item (its raw item's details give units and reposts)."""
    tags: dict[str, Any] = info.tags if isinstance(info.tags, dict) else {}
    payload: dict[str, Any] = info.raw_item.payload if info.raw_item_id else {}
    details: dict[str, Any] = payload.get("details") or {}
    if not isinstance(details, dict):
        details = {}
    units = [n for n in (_positive(tags.get("units")), _positive(details.get("units"))) if n]
    reposts = _positive(details.get("reposts")) if info.source_kind == "media" else None
    return ItemFacts(
        id=info.pk,
        source_kind=info.source_kind,
        when=item_when(info),
        duplicate=info.duplicate_of_id is not None,
        hazard_severity=info.hazard.default_severity if info.hazard_id and info.hazard else None,
        severity_hint=info.severity_hint,
        victims=_positive(tags.get("victims")) or 0,
        units=max(units) if units else None,
        reposts=reposts or 0,
        failed_check=info.source_kind == "spot_check" and bool(info.signals),
        first_level=first_level,
    )


def _positive(value: Any) -> int | None:
    """A positive count as stored in tags or details, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


class History(Protocol):
    """Where the context rows (id, when) of a case come from: the database, one case at a
    time (``DatabaseHistory``), or all rows in memory for training (``MemoryHistory``).
    Both return rows for a key; the core's ``count_in_window`` windows and counts them."""

    def penalties(self, enterprise_id: int, end: datetime) -> Rows: ...

    def failed_checks(self, enterprise_id: int, end: datetime) -> Rows: ...

    def class_failures(self, class_code: str, start: datetime, end: datetime) -> Rows: ...

    def signal_items(
        self, category_id: int, hazard_id: int, start: datetime, end: datetime
    ) -> Rows: ...


def _originals() -> QuerySet[RiskInfo]:
    return RiskInfo.objects.filter(duplicate_of__isnull=True)


def _failed_checks() -> QuerySet[RiskInfo]:
    # A spot check is a failure when screening gave it a signal (监督抽查不合格…).
    return _originals().filter(source_kind="spot_check").exclude(signals=[])


# An item's time: when it happened, else when it was screened (as ``item_when``).
WHEN = Coalesce("occurred_at", "screened_at")


def _until(end: datetime) -> Q:
    return Q(occurred_at__lte=end) | Q(occurred_at__isnull=True, screened_at__lte=end)


def _after(start: datetime) -> Q:
    return Q(occurred_at__gt=start) | Q(occurred_at__isnull=True, screened_at__gt=start)


def _rows(qs: QuerySet[RiskInfo]) -> Rows:
    return [(rid, when) for rid, when in qs.values_list("id", WHEN)]


class DatabaseHistory:
    """Context rows of one case, queried with the window it needs."""

    def penalties(self, enterprise_id: int, end: datetime) -> Rows:
        qs = _originals().filter(_until(end), source_kind="penalty", enterprise_id=enterprise_id)
        return _rows(qs)

    def failed_checks(self, enterprise_id: int, end: datetime) -> Rows:
        return _rows(_failed_checks().filter(_until(end), enterprise_id=enterprise_id))

    def class_failures(self, class_code: str, start: datetime, end: datetime) -> Rows:
        qs = _failed_checks().filter(
            _after(start), _until(end), product_category__code__startswith=class_code
        )
        return _rows(qs)

    def signal_items(
        self, category_id: int, hazard_id: int, start: datetime, end: datetime
    ) -> Rows:
        qs = _originals().filter(
            _after(start),
            _until(end),
            product_category_id=category_id,
            hazard_id=hazard_id,
            status__in=SIGNAL_STATUSES,
        )
        return _rows(qs)


class MemoryHistory:
    """Every context row of the database, loaded once (training on a whole demo year)."""

    def __init__(self) -> None:
        self.by_penalty: dict[int, Rows] = defaultdict(list)
        self.by_failed: dict[int, Rows] = defaultdict(list)
        self.by_class: dict[str, Rows] = defaultdict(list)
        self.by_signal: dict[tuple[int, int], Rows] = defaultdict(list)
        penalties = _originals().filter(source_kind="penalty", enterprise__isnull=False)
        for rid, when, ent in penalties.values_list("id", WHEN, "enterprise_id"):
            self.by_penalty[ent].append((rid, when))
        for rid, when, ent, code in _failed_checks().values_list(
            "id", WHEN, "enterprise_id", "product_category__code"
        ):
            if ent is not None:
                self.by_failed[ent].append((rid, when))
            if code:
                self.by_class[code[:CLASS_CODE_LENGTH]].append((rid, when))
        signal_qs = _originals().filter(
            status__in=SIGNAL_STATUSES, product_category__isnull=False, hazard__isnull=False
        )
        for rid, when, cat, hazard in signal_qs.values_list(
            "id", WHEN, "product_category_id", "hazard_id"
        ):
            self.by_signal[(cat, hazard)].append((rid, when))

    def penalties(self, enterprise_id: int, end: datetime) -> Rows:
        return self.by_penalty.get(enterprise_id, [])

    def failed_checks(self, enterprise_id: int, end: datetime) -> Rows:
        return self.by_failed.get(enterprise_id, [])

    def class_failures(self, class_code: str, start: datetime, end: datetime) -> Rows:
        return self.by_class.get(class_code, [])

    def signal_items(
        self, category_id: int, hazard_id: int, start: datetime, end: datetime
    ) -> Rows:
        return self.by_signal.get((category_id, hazard_id), [])


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def build_facts(
    infos: Sequence[RiskInfo],
    *,
    history: History,
    hazard: HazardType | None = None,
    category: ProductCategory | None = None,
    enterprise_id: int | None = None,
    as_of: datetime | None = None,
    levels: dict[int, str] | None = None,
) -> CaseFacts:
    """The facts of a case made of ``infos``: the hazard, category and enterprise given (the
    case's or event's), else the most common among the items; ``as_of`` the latest item;
    ``levels`` the items' own assessment levels (``first_levels`` when not given)."""
    infos = list(infos)
    if levels is None:
        levels = first_levels(infos)
    if hazard is None:
        hazard = _most_common(i.hazard for i in infos if i.hazard_id)
    if category is None:
        category = _most_common(i.product_category for i in infos if i.product_category_id)
    if enterprise_id is None:
        enterprise_id = _most_common(i.enterprise_id for i in infos)
    end = as_of or max((item_when(i) for i in infos), default=timezone.now())
    w = context_windows(end)
    own = frozenset(i.pk for i in infos)
    penalties = failed = family = recent = prior = 0
    if enterprise_id is not None:
        penalties = count_in_window(history.penalties(enterprise_id, end), end, exclude=own)
        failed = count_in_window(history.failed_checks(enterprise_id, end), end, exclude=own)
    if category is not None:
        code = category.code[:CLASS_CODE_LENGTH]
        rows = history.class_failures(code, w.family_start, end)
        family = count_in_window(rows, end, start=w.family_start, exclude=own)
        if hazard is not None:
            rows = history.signal_items(category.pk, hazard.pk, w.prior_start, end)
            recent = count_in_window(rows, end, start=w.recent_start)
            prior = count_in_window(rows, w.recent_start, start=w.prior_start)
    return CaseFacts(
        items=tuple(item_facts(i, levels.get(i.pk)) for i in infos),
        hazard_code=hazard.code if hazard else None,
        hazard_severity=hazard.default_severity if hazard else None,
        vulnerable_users=bool(category and category.vulnerable_users),
        enterprise_penalties=penalties,
        enterprise_failed_checks=failed,
        family_failures_12m=family,
        items_last_14d=recent,
        items_prior_14d=prior,
        as_of=end,
    )


def _case_infos(case: AssessmentCase) -> list[RiskInfo]:
    return list(
        case.risk_infos.select_related("raw_item", "hazard", "product_category").order_by(
            "occurred_at", "id"
        )
    )


def case_facts(case: AssessmentCase, history: History | None = None) -> CaseFacts:
    """The facts of ``case`` as the database holds them now."""
    event: Event | None = case.event
    return build_facts(
        _case_infos(case),
        history=history or DatabaseHistory(),
        hazard=case.hazard or (event.hazard if event else None),
        category=case.product_category or (event.product_category if event else None),
        enterprise_id=case.enterprise_id or (event.enterprise_id if event else None),
    )


# ----------------------------------------------------------------------------- services


def _model(model: JudgementModel | None) -> JudgementModel:
    if model is not None:
        return model
    try:
        return default_model()
    except JudgementError as exc:
        raise CaseError(exc.message_zh) from exc


def suggest(
    case: AssessmentCase, user: Any = None, *, model: JudgementModel | None = None
) -> Judgement:
    """Run the risk-judgement model on ``case``, store its suggestion in
    ``case.model_suggestion`` and audit it. ``user`` None: the system asks."""
    if user is not None:
        require_role(user, *JUDGEMENT_ROLES)
    if case.status in CLOSED:
        raise CaseError(f"评估任务{CaseStatus(case.status).label}，不能再进行模型研判")
    if not case.risk_infos.exists():
        raise CaseError("评估任务没有关联风险信息，模型无法研判；请先关联风险信息或风险事件")
    judgement = _model(model).judge(case_facts(case))
    with transaction.atomic():
        old = (case.model_suggestion or {}).get("level", "")
        when = timezone.localtime().isoformat()
        case.model_suggestion = {**judgement.to_dict(), "generated_at": when}
        case.save(update_fields=["model_suggestion"])
        audit(
            "suggest",
            case,
            actor=user,
            from_state=old,
            to_state=judgement.level.value,
            message=f"模型研判建议：{judgement.level.label}（模型 {judgement.version}）",
            detail={
                "level": judgement.level.value,
                "model_level": judgement.model_level.value,
                "score": round(judgement.score, 4),
                "rules": [h.code for h in judgement.rules],
                "version": judgement.version,
            },
        )
    return judgement


@transaction.atomic
def override(case: AssessmentCase, user: Any, *, level: str, reason: str) -> JudgementOverride:
    """An expert's change of the model's suggestion, with the reason: stored with the
    case's facts and the model version (training data of the next version) and audited."""
    require_role(user, *JUDGEMENT_ROLES)
    suggestion = case.model_suggestion or {}
    if not suggestion.get("level"):
        raise CaseError("该评估任务还没有模型研判建议，请先运行模型研判")
    if case.status in CLOSED:
        raise CaseError(f"评估任务{CaseStatus(case.status).label}，不能再改定研判建议")
    try:
        new = RiskLevel(level)
    except ValueError:
        raise CaseError(f"未知的风险等级：{level}") from None
    if not reason.strip():
        raise CaseError("改定模型研判建议须填写理由")
    old = RiskLevel(suggestion["level"])
    if new == old:
        raise CaseError(f"改定等级与模型建议相同（{old.label}），无需改定")
    row = JudgementOverride.objects.create(
        case=case,
        model_version=str(suggestion.get("version", ""))[:40],
        suggested_level=old.value,
        level=new.value,
        reason=reason.strip(),
        features={"values": suggestion.get("features") or {}, "facts": suggestion.get("facts")},
        user=user,
    )
    audit(
        "override",
        case,
        actor=user,
        from_state=old.value,
        to_state=new.value,
        message=f"改定模型研判建议：{old.label} → {new.label}；理由：{row.reason}",
        detail={"override": row.pk, "model_version": row.model_version},
    )
    return row


def override_rows() -> list[tuple[dict[str, Any], str]]:
    """(stored features, level set by the expert) of every override, oldest first: the rows
    ``pqrisk.core.assessment.judgement.examples_from_overrides`` turns into training data."""
    return [
        (o.features if isinstance(o.features, dict) else {}, o.level)
        for o in JudgementOverride.objects.order_by("created_at", "id")
    ]


def export_overrides(out: IO[str]) -> int:
    """Write every override as one JSON line (``features``, ``level``, ``reason``,
    ``model_version``, ``suggested_level``, ``case``) for ``scripts/train_judgement.py
    --overrides``; returns the number written."""
    n = 0
    for o in JudgementOverride.objects.select_related("case").order_by("created_at", "id"):
        out.write(
            json.dumps(
                {
                    "features": o.features,
                    "level": o.level,
                    "suggested_level": o.suggested_level,
                    "model_version": o.model_version,
                    "reason": o.reason,
                    "case": o.case.code,
                    "created_at": o.created_at.isoformat(),
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        n += 1
    return n


# ----------------------------------------------------------------------------- demo labels


def demo_examples(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Labelled examples of the screened demo database against ``ground_truth.json``.

    One example per stored event, judged as it stood when its item ``snapshot_index(n)``
    arrived, and one per risk-signal item in no event. Each row holds
    the facts, the derived label (``derived_level`` then the hard rules), the reference
    level of the per-item first assessment (highest over the case's items) and the incident
    it belongs to. Items carry their first-assessment level (``first_levels``)."""
    incident_of = {rid: e["event_id"] for e in truth["events"] for rid in e["record_ids"]}
    history = MemoryHistory()
    infos = list(
        RiskInfo.objects.select_related("raw_item", "hazard", "product_category").order_by("id")
    )
    by_event: dict[int, list[RiskInfo]] = defaultdict(list)
    lone: list[RiskInfo] = []
    for info in infos:
        if info.event_id:
            by_event[info.event_id].append(info)
        elif info.duplicate_of_id is None and info.status in SIGNAL_STATUSES:
            lone.append(info)
    events = Event.objects.in_bulk(list(by_event))
    levels = first_levels(infos, stored=False)
    rows: list[dict[str, Any]] = []
    cases: list[tuple[str, list[RiskInfo], Event | None]] = [
        (f"event:{eid}", members, events[eid]) for eid, members in sorted(by_event.items())
    ]
    cases += [(f"item:{i.pk}", [i], None) for i in lone]
    for key, members, event in cases:
        members.sort(key=lambda i: (item_when(i), i.pk))
        as_of = item_when(members[snapshot_index(len(members))])
        snapshot = [i for i in members if item_when(i) <= as_of]
        facts = build_facts(
            snapshot,
            history=history,
            hazard=event.hazard if event else None,
            category=event.product_category if event else None,
            enterprise_id=event.enterprise_id if event else None,
            as_of=as_of,
            levels=levels,
        )
        originals = [i for i in members if i.duplicate_of_id is None]
        incidents = Counter(
            incident_of[i.raw_item.external_id]
            for i in originals
            if i.raw_item.external_id in incident_of
        )
        incident, n_incident = incidents.most_common(1)[0] if incidents else (None, 0)
        matrix = facts.matrix_level
        derived = derived_level(
            incident_records=n_incident,
            incident_share=n_incident / len(originals) if originals else 0.0,
            hazard_severity=facts.severity,
            matrix_level=matrix,
        )
        label, hits = apply_rules(derived, facts)
        rows.append(
            {
                "key": key,
                "facts": facts.to_dict(),
                "label": label.value,
                "derived": derived.value,
                "rules": [h.code for h in hits if h.changed],
                "matrix": matrix.value if matrix else None,
                "incident": incident,
                "incident_records": n_incident,
                "items": len(members),
            }
        )
    return rows
