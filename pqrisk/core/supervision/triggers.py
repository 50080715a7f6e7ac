"""Trigger-based supervision (触发式监管; 国市监信发〔2022〕6号; METHODS §4).

A firm with no visible risk (grade A, or not graded yet) is not sampled often; instead an
event about it or about what it makes triggers an inspection. The rules:

- ``complaint_cluster``: ``cluster_size`` or more complaints or injury reports about the firm
  within ``cluster_days`` days (applies to every grade: it is the firm's own record);
- ``failed_elsewhere``: a failed spot check of a product category the firm makes, at another
  enterprise, within ``lookback_days``;
- ``category_warning``: a published warning in a category the firm makes, within
  ``lookback_days``;
- ``supplier_recall``: a recall by an enterprise named as the firm's supplier, within
  ``lookback_days``.

Each trigger event has a key built from the rule, the firm and the record that fired it, so
running the rules again over the same data yields the same keys and the store creates
nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from .grading import Grade


class Rule(StrEnum):
    COMPLAINT_CLUSTER = "complaint_cluster"
    FAILED_ELSEWHERE = "failed_elsewhere"
    CATEGORY_WARNING = "category_warning"
    SUPPLIER_RECALL = "supplier_recall"

    @property
    def label(self) -> str:
        return RULE_LABELS[self]


RULE_LABELS = {
    Rule.COMPLAINT_CLUSTER: "投诉举报集中出现",
    Rule.FAILED_ELSEWHERE: "同类产品在其他企业抽查不合格",
    Rule.CATEGORY_WARNING: "所产产品类别发布风险预警",
    Rule.SUPPLIER_RECALL: "供应商实施缺陷召回",
}


@dataclass(frozen=True)
class TriggerSettings:
    """Our choices: three complaints in 30 days is more than the background of a small firm;
    events older than 90 days are the next regular plan's business, not a trigger."""

    cluster_size: int = 3
    cluster_days: int = 30
    lookback_days: int = 90
    # Grades counted as "no visible risk" for the rules about others' records.
    quiet_grades: frozenset[str] = frozenset({Grade.A.value})
    due_days: int = 30  # the inspection task's due date after the trigger


@dataclass(frozen=True)
class FirmFacts:
    id: int
    name: str
    grade: str | None  # None: not graded yet (counts as no visible risk)
    categories: frozenset[int] = frozenset()
    suppliers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class EventFact:
    """A record that may fire a rule: ``kind`` complaint, injury, failed_spot_check, recall
    or warning; ``enterprise_id`` the firm it is about (warnings: none)."""

    ref: str
    kind: str
    occurred_on: date
    title: str
    enterprise_id: int | None = None
    category_id: int | None = None
    category_name: str = ""


@dataclass(frozen=True)
class TriggerEvent:
    rule: Rule
    key: str
    enterprise_id: int
    description: str
    occurred_on: date
    evidence: dict[str, Any] = field(default_factory=dict)


def complaint_clusters(
    events: Sequence[EventFact], settings: TriggerSettings
) -> list[tuple[EventFact, list[EventFact]]]:
    """Clusters of one firm's complaints, greedy from the earliest: a cluster starts at a
    record and takes the records within ``cluster_days``; the next search starts after it.
    Records added later than a cluster do not change it (same key on every run)."""
    ordered = sorted(events, key=lambda e: (e.occurred_on, e.ref))
    out: list[tuple[EventFact, list[EventFact]]] = []
    i = 0
    while i < len(ordered):
        start = ordered[i]
        end = start.occurred_on + timedelta(days=settings.cluster_days - 1)
        members = [e for e in ordered[i:] if e.occurred_on <= end]
        if len(members) >= settings.cluster_size:
            out.append((start, members))
            i += len(members)
        else:
            i += 1
    return out


def _quiet(firm: FirmFacts, settings: TriggerSettings) -> bool:
    return firm.grade is None or firm.grade in settings.quiet_grades


def evaluate(
    firms: Iterable[FirmFacts],
    events: Iterable[EventFact],
    *,
    today: date,
    settings: TriggerSettings | None = None,
) -> list[TriggerEvent]:
    """Every trigger event the rules find; keys are stable across runs."""
    settings = settings or TriggerSettings()
    firm_list = list(firms)
    since = today - timedelta(days=settings.lookback_days)
    by_firm: dict[int, list[EventFact]] = defaultdict(list)
    failed: list[EventFact] = []
    warnings: list[EventFact] = []
    recalls_by_firm: dict[int, list[EventFact]] = defaultdict(list)
    for e in events:
        if e.kind in ("complaint", "injury") and e.enterprise_id is not None:
            by_firm[e.enterprise_id].append(e)
        elif e.occurred_on < since:
            continue
        elif e.kind == "failed_spot_check":
            failed.append(e)
        elif e.kind == "warning":
            warnings.append(e)
        elif e.kind == "recall" and e.enterprise_id is not None:
            recalls_by_firm[e.enterprise_id].append(e)
    out: list[TriggerEvent] = []
    for firm in firm_list:
        for start, members in complaint_clusters(by_firm.get(firm.id, []), settings):
            if members[-1].occurred_on < since:
                continue
            out.append(
                TriggerEvent(
                    rule=Rule.COMPLAINT_CLUSTER,
                    key=f"{Rule.COMPLAINT_CLUSTER}:{firm.id}:{start.ref}",
                    enterprise_id=firm.id,
                    description=(
                        f"{start.occurred_on.isoformat()}起{settings.cluster_days}天内"
                        f"收到投诉举报/伤害报告{len(members)}件"
                    ),
                    occurred_on=members[-1].occurred_on,
                    evidence={"records": [m.ref for m in members]},
                )
            )
        if not _quiet(firm, settings):
            continue
        for e in failed:
            if e.enterprise_id == firm.id or e.category_id not in firm.categories:
                continue
            out.append(
                TriggerEvent(
                    rule=Rule.FAILED_ELSEWHERE,
                    key=f"{Rule.FAILED_ELSEWHERE}:{firm.id}:{e.ref}",
                    enterprise_id=firm.id,
                    description=f"同类产品（{e.category_name}）在其他企业监督抽查不合格：{e.title}",
                    occurred_on=e.occurred_on,
                    evidence={"records": [e.ref], "category": e.category_id},
                )
            )
        for e in warnings:
            if e.category_id not in firm.categories:
                continue
            out.append(
                TriggerEvent(
                    rule=Rule.CATEGORY_WARNING,
                    key=f"{Rule.CATEGORY_WARNING}:{firm.id}:{e.ref}",
                    enterprise_id=firm.id,
                    description=f"所产产品类别（{e.category_name}）发布风险预警：{e.title}",
                    occurred_on=e.occurred_on,
                    evidence={"records": [e.ref], "category": e.category_id},
                )
            )
        for supplier in sorted(firm.suppliers):
            for e in recalls_by_firm.get(supplier, []):
                out.append(
                    TriggerEvent(
                        rule=Rule.SUPPLIER_RECALL,
                        key=f"{Rule.SUPPLIER_RECALL}:{firm.id}:{e.ref}",
                        enterprise_id=firm.id,
                        description=f"供应商实施缺陷召回：{e.title}",
                        occurred_on=e.occurred_on,
                        evidence={"records": [e.ref], "supplier": supplier},
                    )
                )
    return out
