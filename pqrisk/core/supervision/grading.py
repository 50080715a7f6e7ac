"""Enterprise credit-risk grade (信用风险分级, 国市监信发〔2022〕6号; METHODS §4), explained.

An enterprise's score is the sum of points, one contribution per fact that produced it: the
highest risk tier of the product categories it makes, and each record matched to it (failed
spot checks, penalties, recalls, complaints, injuries, media events, licence actions, warnings
that involve it, disposal outcomes). A record's points are

    base weight × recency factor × match confidence

rounded to 0.01 point (``Decimal``, half up), and the score is the exact sum of the rounded
contributions, so the table a user reads always adds up to the score shown. A record matched
by name only (not by USCC) counts with the confidence of its match method, shown in its row.

The score maps to A (low risk) … D (high risk) through ``Thresholds``. Every weight is a
field of ``Weights`` (defaults below, each with why), overridable per deployment through the
``PQRISK_SUPERVISION`` setting. All points are non-negative, so adding a record can never
improve a grade (tested as a property).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from pqrisk.core.levels import _Meaningful

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class SupervisionError(ValueError):
    """Bad input to grading, planning or triggers; ``message_zh`` says why, for the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


class Grade(_Meaningful):
    """Credit-risk class (国市监信发〔2022〕6号): A low … D high; ``meaning`` is the policy."""

    A = ("A", "A类（信用风险低）", "#2e7d32", 1, "以触发式监管为主，抽查比例不高于5%")
    B = ("B", "B类（信用风险一般）", "#f9a825", 2, "按常规比例抽查，抽查比例5%–20%")
    C = ("C", "C类（信用风险较高）", "#e65100", 3, "提高抽查比例和频次，抽查比例21%–60%")
    D = ("D", "D类（信用风险高）", "#b71c1c", 4, "重点监管，抽查比例61%–100%，依法约谈、列异列严")


class ProductTier(_Meaningful):
    """Risk level of a product category (issue 10 part 3): from assessments and signals."""

    SERIOUS = ("serious", "严重风险", "#b71c1c", 4, "评估结论为严重风险")
    HIGH = ("high", "高风险", "#e65100", 3, "评估结论为高风险，或存在待审核的统计信号")
    MEDIUM_LOW = ("medium_low", "中低风险", "#f9a825", 2, "评估结论为中风险或低风险")
    NONE = ("none", "未发现明显风险", "#607d8b", 1, "无评估结论，也无统计信号")


class RecordKind(StrEnum):
    """A kind of record that counts towards the score; ``label`` is what users read."""

    FAILED_SPOT_CHECK = "failed_spot_check"
    PENALTY = "penalty"
    RECALL = "recall"
    COMPLAINT = "complaint"
    INJURY = "injury"
    MEDIA = "media"
    LICENCE_REVOKED = "licence_revoked"
    WARNING = "warning"
    OUTCOME_COMPLIANT = "outcome_compliant"
    OUTCOME_RECTIFIED = "outcome_rectified"
    OUTCOME_REMOVED = "outcome_removed"
    OUTCOME_RECALLED = "outcome_recalled"
    OUTCOME_PENALISED = "outcome_penalised"
    OUTCOME_CASE_OPENED = "outcome_case_opened"

    @property
    def label(self) -> str:
        return RECORD_LABELS[self]


RECORD_LABELS = {
    RecordKind.FAILED_SPOT_CHECK: "监督抽查不合格",
    RecordKind.PENALTY: "行政处罚",
    RecordKind.RECALL: "缺陷召回",
    RecordKind.COMPLAINT: "投诉举报",
    RecordKind.INJURY: "伤害监测病例",
    RecordKind.MEDIA: "网络舆情",
    RecordKind.LICENCE_REVOKED: "生产许可证吊销/注销",
    RecordKind.WARNING: "涉及风险预警",
    RecordKind.OUTCOME_COMPLIANT: "处置检查未发现问题",
    RecordKind.OUTCOME_RECTIFIED: "处置：责令整改",
    RecordKind.OUTCOME_REMOVED: "处置：下架/停止销售",
    RecordKind.OUTCOME_RECALLED: "处置：实施召回",
    RecordKind.OUTCOME_PENALISED: "处置：行政处罚",
    RecordKind.OUTCOME_CASE_OPENED: "处置：立案调查",
}

# Contributions that are not records: the products' tier and the licence status.
PRODUCT_TIER = "product_tier"
UNLICENSED = "unlicensed"


@dataclass(frozen=True)
class Weights:
    """Points per fact. Our choices (METHODS §4 gives classes and rates, not weights): a
    failed spot check or a penalty is a finding by the bureau itself and weighs most; a
    recall is an admitted defect; complaints and media are unverified and weigh little each,
    with a cap so that a noisy month cannot make a firm D alone. Disposal outcomes weigh by
    what was found: a rectification less than a penalty; a clean inspection adds nothing."""

    product_tier: Mapping[str, int] = field(
        default_factory=lambda: {"serious": 30, "high": 20, "medium_low": 8, "none": 0}
    )
    records: Mapping[str, int] = field(
        default_factory=lambda: {
            RecordKind.FAILED_SPOT_CHECK: 25,
            RecordKind.PENALTY: 20,
            RecordKind.RECALL: 15,
            RecordKind.COMPLAINT: 3,
            RecordKind.INJURY: 8,
            RecordKind.MEDIA: 2,
            RecordKind.LICENCE_REVOKED: 30,
            RecordKind.WARNING: 10,
            RecordKind.OUTCOME_COMPLIANT: 0,
            RecordKind.OUTCOME_RECTIFIED: 5,
            RecordKind.OUTCOME_REMOVED: 8,
            RecordKind.OUTCOME_RECALLED: 10,
            RecordKind.OUTCOME_PENALISED: 20,
            RecordKind.OUTCOME_CASE_OPENED: 15,
        }
    )
    # Most points all records of one kind may give together (unverified kinds only).
    caps: Mapping[str, int] = field(
        default_factory=lambda: {RecordKind.COMPLAINT: 15, RecordKind.MEDIA: 10}
    )
    # Making a licence-managed product (生产许可证管理) without a licence on the register.
    unlicensed: int = 15
    # Recency (percent of the weight) by the record's age in days: up to 365 days full
    # weight, then half, then a quarter; older than three years the record no longer counts
    # (shown with 0 points so that the reader sees it was considered).
    recency: tuple[tuple[int, int], ...] = ((365, 100), (730, 50), (1095, 25))
    # Confidence (percent) by how the record was matched to the enterprise (the screening
    # match methods, ``tags.enterprise_match.method``); a method not listed counts fully
    # (a record linked by a person). An explicit confidence on the match wins.
    match_confidence: Mapping[str, int] = field(
        default_factory=lambda: {"uscc": 100, "exact": 80, "normalized": 70, "brand": 50}
    )

    def __post_init__(self) -> None:
        for name, value in [*self.product_tier.items(), *self.records.items()]:
            if value < 0:
                raise SupervisionError(f"权重不能为负数：{name}={value}")
        if self.unlicensed < 0:
            raise SupervisionError(f"权重不能为负数：unlicensed={self.unlicensed}")
        days = [d for d, _ in self.recency]
        if days != sorted(days) or any(not 0 <= p <= 100 for _, p in self.recency):
            raise SupervisionError("时效系数应按天数递增，百分比在0至100之间")
        for method, pct in self.match_confidence.items():
            if not 0 <= pct <= 100:
                raise SupervisionError(f"匹配置信度应在0至100之间：{method}={pct}")

    def record_weight(self, kind: str) -> int:
        return int(self.records.get(kind, 0))

    def recency_percent(self, age_days: int) -> int:
        for limit, pct in self.recency:
            if age_days <= limit:
                return pct
        return 0

    def confidence_percent(self, method: str, explicit: int | None = None) -> int:
        if explicit is not None:
            return max(0, min(100, explicit))
        return int(self.match_confidence.get(method, 100))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["records"] = {str(k): v for k, v in self.records.items()}
        data["caps"] = {str(k): v for k, v in self.caps.items()}
        data["recency"] = [list(r) for r in self.recency]
        return data

    def version(self) -> str:
        """A short fingerprint of the weights and thresholds in force (history rows keep it)."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Thresholds:
    """Lowest score of B, C and D (below ``b`` is A). Our choice: a firm making only
    medium/low-risk products with no record (8 points) is A; high-risk products alone (20) are
    B; serious-risk products (30) plus one recent failed spot check (25) reach C; D takes
    several findings by the bureau within two years."""

    b: Decimal = Decimal(10)
    c: Decimal = Decimal(35)
    d: Decimal = Decimal(65)

    def __post_init__(self) -> None:
        if not Decimal(0) < self.b < self.c < self.d:
            raise SupervisionError("分级阈值应满足 0 < B < C < D")

    def grade(self, score: Decimal) -> Grade:
        if score >= self.d:
            return Grade.D
        if score >= self.c:
            return Grade.C
        if score >= self.b:
            return Grade.B
        return Grade.A

    def to_json(self) -> dict[str, str]:
        return {"B": str(self.b), "C": str(self.c), "D": str(self.d)}


@dataclass(frozen=True)
class GradingPolicy:
    weights: Weights = field(default_factory=Weights)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def version(self) -> str:
        text = json.dumps(
            {"w": self.weights.to_json(), "t": self.thresholds.to_json()}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def policy_from(overrides: Mapping[str, Any] | None) -> GradingPolicy:
    """The policy with ``overrides`` (``PQRISK_SUPERVISION['weights']`` and ``['thresholds']``)
    applied over the defaults; unknown keys are refused, not ignored."""
    overrides = dict(overrides or {})
    weights = Weights()
    w = dict(overrides.get("weights") or {})
    known = {f.name for f in fields(Weights)}
    unknown = set(w) - known
    if unknown:
        raise SupervisionError(f"未知的权重设置：{'、'.join(sorted(unknown))}")
    merged: dict[str, Any] = {}
    for name, value in w.items():
        current = getattr(weights, name)
        if isinstance(current, Mapping):
            merged[name] = {**current, **value}
        elif name == "recency":
            merged[name] = tuple(tuple(x) for x in value)
        else:
            merged[name] = value
    weights = replace(weights, **merged)
    t = dict(overrides.get("thresholds") or {})
    thresholds = Thresholds(
        **{k.lower(): Decimal(str(v)) for k, v in t.items() if k.lower() in ("b", "c", "d")}
    )
    return GradingPolicy(weights, thresholds)


@dataclass(frozen=True)
class Record:
    """One record matched to the enterprise, as grading sees it. ``ref`` says where it is
    (``riskinfo:12``, ``warning:3``, ``outcome:7``); ``match`` how it was matched to the
    enterprise (a screening match method; empty: linked directly)."""

    kind: RecordKind
    ref: str
    title: str
    occurred_on: date
    match: str = ""
    confidence: int | None = None  # percent, when the matcher gave one


@dataclass(frozen=True)
class CategoryTier:
    code: str
    name: str
    tier: ProductTier
    licensed: bool = False  # the category is under production licence management


@dataclass(frozen=True)
class EnterpriseFacts:
    enterprise_id: int
    name: str
    licensed: bool
    categories: tuple[CategoryTier, ...] = ()
    records: tuple[Record, ...] = ()


@dataclass(frozen=True)
class Contribution:
    """One row of the explanation: what, how much it weighs and why."""

    key: str  # record kind, ``product_tier`` or ``unlicensed``
    label: str
    ref: str
    title: str
    occurred_on: date | None
    base: int
    recency_pct: int
    confidence_pct: int
    match: str
    points: Decimal
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ref": self.ref,
            "title": self.title,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "base": self.base,
            "recency_pct": self.recency_pct,
            "confidence_pct": self.confidence_pct,
            "match": self.match,
            "points": str(self.points),
            "note": self.note,
        }


@dataclass(frozen=True)
class Explanation:
    enterprise_id: int
    score: Decimal
    grade: Grade
    contributions: tuple[Contribution, ...]
    thresholds: Thresholds
    policy_version: str
    as_of: date
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "score": str(self.score),
            "grade": self.grade.value,
            "grade_label": self.grade.label,
            "thresholds": self.thresholds.to_json(),
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "contributions": [c.to_json() for c in self.contributions],
            "notes": list(self.notes),
        }


MATCH_LABELS = {
    "uscc": "统一社会信用代码",
    "exact": "名称一致（仅名称）",
    "normalized": "规范化名称一致（仅名称）",
    "brand": "字号一致（仅名称）",
}


def _points(base: int, recency: int, confidence: int) -> Decimal:
    raw = Decimal(base) * Decimal(recency) * Decimal(confidence) / (HUNDRED * HUNDRED)
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


def explain(
    facts: EnterpriseFacts, *, today: date, policy: GradingPolicy | None = None
) -> Explanation:
    """The enterprise's score, grade and every contribution (summing exactly to the score)."""
    policy = policy or GradingPolicy()
    w = policy.weights
    rows: list[Contribution] = []
    notes: list[str] = []
    if facts.categories:
        worst = max(facts.categories, key=lambda c: (c.tier.rank, c.code))
        base = int(w.product_tier.get(worst.tier.value, 0))
        rows.append(
            Contribution(
                key=PRODUCT_TIER,
                label="产品风险等级",
                ref=f"category:{worst.code}",
                title=f"{worst.name}：{worst.tier.label}（所产产品类别中最高）",
                occurred_on=None,
                base=base,
                recency_pct=100,
                confidence_pct=100,
                match="",
                points=Decimal(base).quantize(CENT),
            )
        )
    else:
        notes.append("企业未登记主要产品，产品风险等级未计分")
    needs_licence = [c for c in facts.categories if c.licensed]
    if needs_licence and not facts.licensed and w.unlicensed:
        names = "、".join(c.name for c in needs_licence[:3])
        rows.append(
            Contribution(
                key=UNLICENSED,
                label="许可证状态",
                ref="enterprise",
                title=f"生产许可证管理产品（{names}），登记信息中无生产许可证",
                occurred_on=None,
                base=w.unlicensed,
                recency_pct=100,
                confidence_pct=100,
                match="",
                points=Decimal(w.unlicensed).quantize(CENT),
            )
        )
    used: dict[str, Decimal] = {}
    for r in sorted(facts.records, key=lambda r: (r.occurred_on, r.ref), reverse=True):
        base = w.record_weight(r.kind)
        age = max(0, (today - r.occurred_on).days)
        recency = w.recency_percent(age)
        confidence = w.confidence_percent(r.match, r.confidence)
        points = _points(base, recency, confidence)
        note = ""
        if recency == 0:
            note = "已超过计分期限"
        cap = w.caps.get(r.kind)
        if cap is not None:
            room = max(Decimal(0), Decimal(cap) - used.get(r.kind, Decimal(0)))
            if points > room:
                points = room
                note = f"同类记录累计已达上限{cap}分"
            used[r.kind] = used.get(r.kind, Decimal(0)) + points
        if confidence < 100:
            how = MATCH_LABELS.get(r.match, r.match or "人工关联")
            note = "；".join(x for x in (note, f"按{how}匹配，置信度{confidence}%") if x)
        rows.append(
            Contribution(
                key=r.kind.value,
                label=r.kind.label,
                ref=r.ref,
                title=r.title,
                occurred_on=r.occurred_on,
                base=base,
                recency_pct=recency,
                confidence_pct=confidence,
                match=r.match,
                points=points,
                note=note,
            )
        )
    score = sum((c.points for c in rows), Decimal(0)).quantize(CENT)
    if not facts.records:
        notes.append("未发现与该企业匹配的风险记录")
    return Explanation(
        enterprise_id=facts.enterprise_id,
        score=score,
        grade=policy.thresholds.grade(score),
        contributions=tuple(rows),
        thresholds=policy.thresholds,
        policy_version=policy.version(),
        as_of=today,
        notes=tuple(notes),
    )


def inputs_version(facts: EnterpriseFacts, policy: GradingPolicy, today: date) -> str:
    """Fingerprint of what a grade was computed from: records, categories and policy. Two
    computations with the same version give the same grade (no new history row needed)."""
    data = {
        "policy": policy.version(),
        "licensed": facts.licensed,
        "categories": sorted((c.code, c.tier.value, c.licensed) for c in facts.categories),
        "records": sorted(
            (r.ref, r.kind.value, r.occurred_on.isoformat(), r.match, r.confidence)
            for r in facts.records
        ),
        # Recency changes with time: the year-band of each record's age is part of the input.
        "ages": sorted(
            policy.weights.recency_percent((today - r.occurred_on).days) for r in facts.records
        ),
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def product_tier(
    assessed_levels: Iterable[str], open_signals: int, *, signal_tier: ProductTier | None = None
) -> ProductTier:
    """A category's tier: the highest assessed level (serious → serious, high → high, medium
    or low → medium-low); an open statistical signal with no assessment counts as high
    (``signal_tier``) until the assessment centre concludes."""
    levels = set(assessed_levels)
    if "serious" in levels:
        return ProductTier.SERIOUS
    if "high" in levels:
        return ProductTier.HIGH
    if open_signals:
        return signal_tier or ProductTier.HIGH
    if levels & {"medium", "low"}:
        return ProductTier.MEDIUM_LOW
    return ProductTier.NONE
