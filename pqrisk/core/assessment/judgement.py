"""Risk-judgement model (风险研判模型): a graded suggestion for a case, with its reasons.

A case (its items, or an event's items, as they stood at one moment ``as_of``) is reduced to
plain facts (:class:`CaseFacts`); the facts give named features (:data:`FEATURES`, each with
its Chinese label and how it is computed); a linear ordinal scorer trained with scikit-learn
turns the features into a score, per-level probabilities and a level; hard rules from the
guidance (:data:`RULES`) then raise or cap that level where the guidance demands. The output
(:class:`Judgement`) lists every feature's contribution to the score, sorted by size and
explained in Chinese, the rules that fired and the model version.

The scorer is a cumulative-logit (proportional-odds) model on the scale "medium or below" <
high < serious, fitted as one logistic regression on the "extended binary" data set (Li &
Lin 2007, "Ordinal regression by extended binary classification"): every example appears
once per threshold ("high or above?", "serious?") with the same feature weights and one
intercept per threshold. So there is one score ``s = Σ wᵢ·zᵢ`` (``zᵢ`` the feature
standardised on the training data), ``logit P(≥ high) = s − θ_high`` and
``logit P(serious) = s − θ_serious``. Each feature's contribution is ``wᵢ·zᵢ``: the
contributions add up exactly to the score, measured from an average training case (z = 0).
Below the high threshold the level is the case's matrix level (the highest level of its
items' own risk-matrix assessments, 系统初评), capped at medium: the matrix grades routine
cases, the scorer decides what to escalate.

Every weight is constrained to be ≥ 0 (a feature whose fitted weight is negative is dropped
and the model refitted), so more injuries, sources or history never lower the score; the
rules are monotone too (caps apply only when nobody is hurt).

Training data (see ``scripts/train_judgement.py`` and docs/assessment.md): events of the
demo generator labelled from its ground truth (derived labels, see :func:`derived_level`),
the US CPSC recall files in shared/data for the hazard calibration (:func:`cpsc_calibration`),
and expert overrides exported from the platform (:func:`examples_from_overrides`).

Loading a model unpickles it: load only files this project wrote.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from pqrisk.core.levels import RiskLevel
from pqrisk.core.modelfile import (
    check_sklearn_version,
    read_model_file,
    unpickle,
    write_model_file,
)

FORMAT = "pqrisk-judgement-model"
FORMAT_VERSION = 1
MODEL_DIR = Path(__file__).parent / "data"
MODEL_PATH = MODEL_DIR / "judgement.joblib"

# Levels from low to serious: the ordinal scale of the model (index = rank − 1).
LEVELS: tuple[RiskLevel, ...] = tuple(sorted(RiskLevel, key=lambda lv: lv.rank))

# ----------------------------------------------------------------------------- settings
# Evidence that the defect exists, by source kind: the step-1 probabilities of the system's
# first assessment (pqrisk.assessment.services.DEFECT_PROBABILITY, project defaults).
SOURCE_CREDIBILITY: dict[str, float] = {
    "spot_check": 1.0,
    "recall": 1.0,
    "penalty": 0.5,
    "injury": 0.5,
    "foreign_recall": 0.5,
    "station": 0.3,
    "complaint": 0.1,
    "licensing": 0.1,
    "media": 0.05,
}
UNKNOWN_SOURCE_CREDIBILITY = 0.1
SOURCE_LABELS: dict[str, str] = {
    "spot_check": "监督抽查",
    "recall": "缺陷召回",
    "penalty": "行政处罚",
    "injury": "伤害监测",
    "foreign_recall": "境外召回通报",
    "station": "监测站报送",
    "complaint": "投诉举报",
    "licensing": "生产许可",
    "media": "网络舆情",
}
# Severity assumed when the hazard is unknown (as the first assessment does).
DEFAULT_HAZARD_SEVERITY = 2
# Hazards of default severity ≥ 2 are safety hazards; severity 1 (quality nonconformity,
# EMC, environment) are not (hazards.csv).
SAFETY_SEVERITY = 2
# Severity 4 of EU 2019/417 / GB/T 22760-2020: fatal or > 10 % permanent disability.
FATAL_SEVERITY = 4
# Our windows: trend compares the last 14 days with the 14 before; the product-family
# failure count looks back one year.
TREND_DAYS = 14
FAMILY_WINDOW_DAYS = 365
# PRISM scope (METHODS §1): > 1,000,000 units in use raise even a low risk to high;
# 500,000–1,000,000 raise low to medium.
SCOPE_HIGH_UNITS = 1_000_000
SCOPE_MEDIUM_UNITS = 500_000
# One expert override counts as this many generated examples in training (our choice: an
# expert's reasoned judgement on a real case is worth more than a derived label).
OVERRIDE_WEIGHT = 5.0
# Indicator columns of the thresholds are multiplied by this in the stacked design so that
# scikit-learn's L2 penalty (which covers every coefficient) barely touches the thresholds.
THRESHOLD_COLUMN_SCALE = 10.0


class JudgementError(ValueError):
    """A model, input or training set that cannot be used; ``message_zh`` is for the user."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


class ModelVersionError(JudgementError):
    """The file is not a judgement model of this format, or another scikit-learn wrote it."""


# ----------------------------------------------------------------------------- facts


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class ItemFacts:
    """What the judgement needs from one piece of risk information."""

    id: int
    source_kind: str
    when: datetime | None = None
    duplicate: bool = False  # a near/exact duplicate (e.g. a repost) of another item
    hazard_severity: int | None = None  # default severity of the item's hazard
    severity_hint: int | None = None  # 1–4 from the text or the injury report
    victims: int = 0  # people hurt or killed, as the text counts them
    units: int | None = None  # units concerned (recall, text)
    reposts: int = 0  # media: reposts of the story
    failed_check: bool = False  # spot check concluded 不合格
    # Level of the item's own assessment (the system's first assessment, 系统初评, or a later
    # one), for risk signals; None for other items.
    first_level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["when"] = self.when.isoformat() if self.when else None
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemFacts:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["when"] = _dt(values.get("when"))
        return cls(**values)


@dataclass(frozen=True)
class CaseFacts:
    """A case as plain data: its items and the context counted around it at ``as_of``.

    The context counts exclude the case's own items where they would count the same
    evidence twice (enterprise history, product-family failures)."""

    items: tuple[ItemFacts, ...]
    hazard_code: str | None = None
    hazard_severity: int | None = None
    vulnerable_users: bool = False
    enterprise_penalties: int = 0  # the enterprise's earlier penalties (行政处罚)
    enterprise_failed_checks: int = 0  # the enterprise's earlier failed spot checks
    family_failures_12m: int = 0  # failed spot checks of the product class, last 12 months
    items_last_14d: int = 0  # risk items of this product and hazard, last 14 days
    items_prior_14d: int = 0  # … the 14 days before
    as_of: datetime | None = None

    # -- derived counts (over the case's non-duplicate items unless said otherwise)
    @property
    def originals(self) -> tuple[ItemFacts, ...]:
        return tuple(i for i in self.items if not i.duplicate)

    @property
    def severity(self) -> int:
        return self.hazard_severity or DEFAULT_HAZARD_SEVERITY

    @property
    def source_kinds(self) -> tuple[str, ...]:
        return tuple(sorted({i.source_kind for i in self.originals}))

    @property
    def injuries(self) -> int:
        """People hurt: one per injury report (or the count it gives), plus the victims
        other items count."""
        return sum(
            max(1, i.victims) if i.source_kind == "injury" else i.victims for i in self.originals
        )

    @property
    def deaths(self) -> int:
        """Items reporting a fatal (or > 10 % disabling, severity 4) harm."""
        return sum(1 for i in self.originals if (i.severity_hint or 0) >= FATAL_SEVERITY)

    @property
    def safety_check_failures(self) -> int:
        """Failed spot checks whose hazard is a safety hazard (default severity ≥ 2)."""
        return sum(
            1
            for i in self.originals
            if i.failed_check and (i.hazard_severity or 0) >= SAFETY_SEVERITY
        )

    @property
    def max_severity_hint(self) -> int:
        return max((i.severity_hint or 0 for i in self.originals), default=0)

    @property
    def max_credibility(self) -> float:
        return max(
            (
                SOURCE_CREDIBILITY.get(i.source_kind, UNKNOWN_SOURCE_CREDIBILITY)
                for i in self.originals
            ),
            default=0.0,
        )

    @property
    def matrix_level(self) -> RiskLevel | None:
        """The highest level the items' own (matrix) assessments give, if any."""
        levels = [RiskLevel(i.first_level) for i in self.originals if i.first_level]
        return max(levels, key=lambda lv: lv.rank) if levels else None

    @property
    def routine_level(self) -> RiskLevel:
        """The level of a case the scorer does not escalate: its items' matrix level, at most
        medium (medium when no item has been assessed)."""
        return routine_level(self.matrix_level)

    @property
    def max_units(self) -> int:
        return max((i.units or 0 for i in self.items), default=0)

    @property
    def media_items(self) -> int:
        """Media items including reposts (duplicates)."""
        return sum(1 for i in self.items if i.source_kind == "media")

    @property
    def reposts(self) -> int:
        return sum(i.reposts for i in self.items if i.source_kind == "media")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["items"] = [i.to_dict() for i in self.items]
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseFacts:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["items"] = tuple(ItemFacts.from_dict(i) for i in data.get("items") or ())
        values["as_of"] = _dt(values.get("as_of"))
        return cls(**values)


def snapshot_index(n: int) -> int:
    """A demo event of ``n`` items (in time order) is judged as it stood when item
    ``n // 2`` (0-based) arrived: a little over half of its items, mid-way through an
    incident. Our choice: a case is opened while an event grows, not after it ends, and an
    event's first items are often older background reports that it later absorbed."""
    return n // 2


def routine_level(matrix: RiskLevel | None) -> RiskLevel:
    if matrix is None or matrix.rank > RiskLevel.MEDIUM.rank:
        return RiskLevel.MEDIUM
    return matrix


def count_in_window(
    rows: Iterable[tuple[int, datetime]],
    end: datetime,
    *,
    start: datetime | None = None,
    exclude: frozenset[int] = frozenset(),
) -> int:
    """Rows (id, when) with ``start < when <= end`` (no lower bound without ``start``),
    leaving out the ids in ``exclude``. The one place context counts are windowed."""
    return sum(
        1
        for rid, when in rows
        if rid not in exclude and when <= end and (start is None or when > start)
    )


class Windows(NamedTuple):
    """The context windows at ``end``: each count takes ``start < when <= end`` (the prior
    trend window ends where the recent one starts)."""

    end: datetime
    family_start: datetime  # product-family failures: the last 365 days
    recent_start: datetime  # trend: the last 14 days …
    prior_start: datetime  # … and the 14 before


def context_windows(as_of: datetime) -> Windows:
    return Windows(
        end=as_of,
        family_start=as_of - timedelta(days=FAMILY_WINDOW_DAYS),
        recent_start=as_of - timedelta(days=TREND_DAYS),
        prior_start=as_of - timedelta(days=2 * TREND_DAYS),
    )


# ----------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class HazardCalibration:
    """P(a US CPSC recall of this hazard is described as a risk of death), per hazard,
    smoothed towards the pooled share of hazards of the same default severity (empirical
    Bayes with ``strength`` pseudo-recalls)."""

    shares: dict[str, float]
    by_severity: dict[int, float]
    counts: dict[str, tuple[int, int]]  # hazard → (recalls naming death, recalls)
    strength: float
    sources: tuple[dict[str, Any], ...] = ()

    def share(self, hazard_code: str | None, severity: int) -> float:
        if hazard_code and hazard_code in self.shares:
            return self.shares[hazard_code]
        return self.by_severity.get(severity, self.by_severity.get(DEFAULT_HAZARD_SEVERITY, 0.5))

    def to_dict(self) -> dict[str, Any]:
        return {
            "shares": self.shares,
            "by_severity": {str(k): v for k, v in self.by_severity.items()},
            "counts": {k: list(v) for k, v in self.counts.items()},
            "strength": self.strength,
            "sources": list(self.sources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HazardCalibration:
        return cls(
            shares=dict(data["shares"]),
            by_severity={int(k): float(v) for k, v in data["by_severity"].items()},
            counts={k: (int(v[0]), int(v[1])) for k, v in data["counts"].items()},
            strength=float(data["strength"]),
            sources=tuple(data.get("sources") or ()),
        )


# The pooled share of a severity class is pulled towards these shares by CLASS_STRENGTH
# pseudo-recalls (our choices, ordered like the severity scale); a class with no recalls gets
# them as they are.
FALLBACK_FATAL_SHARE = {1: 0.05, 2: 0.15, 3: 0.4, 4: 0.75}
CLASS_STRENGTH = 20.0
_DEATH_RE = re.compile(r"\bdeath\b|\bdeaths\b|\bfatal", re.IGNORECASE)
_DUE_TO_RE = re.compile(r"\b(?:due to|from)\b(.*)$", re.IGNORECASE)


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cpsc_calibration(
    recent_csv: str | os.PathLike[str], *, strength: float = 5.0
) -> HazardCalibration:
    """Hazard calibration from ``cpsc_recalls_recent.csv`` (shared/data).

    The CPSC words its recall titles "… Due to Risk of Serious Injury or Death from X";
    the share of a hazard's recalls so worded is a real regulator's view of how likely
    the hazard is to kill. Hazards are read from the title's "due to / from …" part (and the
    hazard statement if that names none) with the taxonomy's English keywords."""
    from pqrisk.taxonomy.loader import hazards_for_text_en, load_hazards

    severity = {h.code: h.default_severity for h in load_hazards()}
    counts: dict[str, list[int]] = {}
    rows = 0
    with open(recent_csv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            title = row.get("title") or ""
            part = _DUE_TO_RE.search(title)
            codes = hazards_for_text_en(part.group(1) if part else title)
            codes = codes or hazards_for_text_en(row.get("hazards") or "")
            death = bool(_DEATH_RE.search(title))
            rows += 1
            for code in codes:
                c = counts.setdefault(code, [0, 0])
                c[0] += death
                c[1] += 1
    pooled: dict[int, list[int]] = {}
    for code, (d, n) in counts.items():
        p = pooled.setdefault(severity.get(code, DEFAULT_HAZARD_SEVERITY), [0, 0])
        p[0] += d
        p[1] += n
    # A severity class's pooled share, itself pulled towards the fallback (a class with one
    # recall says little), then kept ordered with the severity scale.
    by_severity: dict[int, float] = {}
    for s, fallback in sorted(FALLBACK_FATAL_SHARE.items()):
        d, n = pooled.get(s, [0, 0])
        by_severity[s] = (d + CLASS_STRENGTH * fallback) / (n + CLASS_STRENGTH)
    running = 0.0
    for s in sorted(by_severity):
        running = max(running, by_severity[s])
        by_severity[s] = running
    shares = {}
    for code, sev in severity.items():
        d, n = counts.get(code, [0, 0])
        prior = by_severity[sev]
        shares[code] = round((d + strength * prior) / (n + strength), 4)
    return HazardCalibration(
        shares=shares,
        by_severity={k: round(v, 4) for k, v in by_severity.items()},
        counts={k: (v[0], v[1]) for k, v in sorted(counts.items())},
        strength=strength,
        sources=(
            {
                "name": Path(recent_csv).name,
                "sha256": sha256_file(recent_csv),
                "rows": rows,
            },
        ),
    )


def neutral_calibration() -> HazardCalibration:
    """No recall data: every hazard gets the fallback share of its severity."""
    return HazardCalibration(
        shares={}, by_severity=dict(FALLBACK_FATAL_SHARE), counts={}, strength=0.0
    )


# ----------------------------------------------------------------------------- features


def _log1p(x: float) -> float:
    return math.log1p(max(x, 0.0))


def _ident(x: float) -> float:
    return float(x)


def _log10_1p(x: float) -> float:
    return math.log10(1 + max(x, 0.0))


def _trend_raw(f: CaseFacts, _c: HazardCalibration) -> float:
    return math.log((f.items_last_14d + 1) / (f.items_prior_14d + 1))


@dataclass(frozen=True)
class Feature:
    """A named feature: ``raw`` computes the plain value from the facts, ``transform`` the
    model input from it, ``describe`` the Chinese text of the raw value."""

    name: str
    label: str
    how: str
    raw: Callable[[CaseFacts, HazardCalibration], float]
    transform: Callable[[float], float]
    describe: Callable[[float], str]


def _n(unit: str) -> Callable[[float], str]:
    return lambda v: f"{int(v)}{unit}"


FEATURES: tuple[Feature, ...] = (
    Feature(
        "hazard_severity",
        "危害严重程度",
        "主要危害的默认严重程度（1–4级，hazards.csv；未识别危害按2级）",
        lambda f, c: f.severity,
        _ident,
        lambda v: f"{int(v)}级",
    ),
    Feature(
        "hazard_fatal_share",
        "危害致死可能性",
        "美国CPSC召回中同类危害被表述为“可致死”的比例（共享召回数据校准，按严重程度平滑）",
        lambda f, c: c.share(f.hazard_code, f.severity),
        _ident,
        lambda v: f"{v:.0%}",
    ),
    Feature(
        "reported_severity",
        "报告伤害程度",
        "各条信息中伤害程度提示的最高级别（0为未提及）",
        lambda f, c: f.max_severity_hint,
        _ident,
        lambda v: f"{int(v)}级" if v else "未提及",
    ),
    Feature(
        "source_credibility",
        "来源可信度",
        "各条信息来源可信度的最高值（监督抽查、召回1.0；处罚、伤害监测0.5；投诉0.1；舆情0.05）",
        lambda f, c: f.max_credibility,
        _ident,
        lambda v: f"{v:.2f}",
    ),
    Feature(
        "independent_sources",
        "独立来源数",
        "去重后信息的来源类型数",
        lambda f, c: len(f.source_kinds),
        _ident,
        _n("类"),
    ),
    Feature(
        "item_count",
        "信息条数",
        "去重后的信息条数（取对数）",
        lambda f, c: len(f.originals),
        _log1p,
        _n("条"),
    ),
    Feature(
        "injuries",
        "伤害人数",
        "伤害监测病例数加其他信息中写明的伤亡人数（取对数）",
        lambda f, c: f.injuries,
        _log1p,
        _n("人"),
    ),
    Feature(
        "deaths",
        "致死或严重致残",
        "伤害程度为4级（致死或严重致残）的信息条数（取对数）",
        lambda f, c: f.deaths,
        _log1p,
        _n("条"),
    ),
    Feature(
        "safety_check_failures",
        "安全项目抽检不合格",
        "本案中涉及安全危害的监督抽查不合格批次（取对数）",
        lambda f, c: f.safety_check_failures,
        _log1p,
        _n("批次"),
    ),
    Feature(
        "units",
        "涉及数量",
        "召回或信息中写明的涉及产品数量（取以10为底的对数）",
        lambda f, c: f.max_units,
        _log10_1p,
        lambda v: f"{int(v):,}件" if v else "未知",
    ),
    Feature(
        "enterprise_penalties",
        "企业既往处罚",
        "涉及企业此前的行政处罚（不含本案信息，取对数）",
        lambda f, c: f.enterprise_penalties,
        _log1p,
        _n("次"),
    ),
    Feature(
        "enterprise_failed_checks",
        "企业既往抽检不合格",
        "涉及企业此前的监督抽查不合格（不含本案信息，取对数）",
        lambda f, c: f.enterprise_failed_checks,
        _log1p,
        _n("次"),
    ),
    Feature(
        "family_failures_12m",
        "同类产品近12个月抽检不合格",
        "同一产品类别（目录前4位）近12个月的监督抽查不合格（不含本案信息，取对数）",
        lambda f, c: f.family_failures_12m,
        _log1p,
        _n("批次"),
    ),
    Feature(
        "media_items",
        "媒体报道",
        "网络舆情条数，含转载（取对数）",
        lambda f, c: f.media_items,
        _log1p,
        _n("条"),
    ),
    Feature(
        "media_reposts",
        "转发量",
        "网络舆情的转发数之和（取对数）",
        lambda f, c: f.reposts,
        _log1p,
        _n("次"),
    ),
    Feature(
        "trend",
        "近期趋势",
        "同产品同危害的风险信息：近14天条数与此前14天条数之比的对数（(近+1)/(前+1)）",
        _trend_raw,
        _ident,
        lambda v: f"近14天为此前14天的{math.exp(v):.1f}倍",
    ),
    Feature(
        "vulnerable_users",
        "面向脆弱人群",
        "产品类别面向儿童、老年人等易受伤害群体（是为1）",
        lambda f, c: 1.0 if f.vulnerable_users else 0.0,
        _ident,
        lambda v: "是" if v else "否",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


def raw_features(facts: CaseFacts, calibration: HazardCalibration) -> dict[str, float]:
    return {f.name: float(f.raw(facts, calibration)) for f in FEATURES}


def feature_values(facts: CaseFacts, calibration: HazardCalibration) -> dict[str, float]:
    """The model inputs of ``facts``, by feature name."""
    return {f.name: round(float(f.transform(f.raw(facts, calibration))), 6) for f in FEATURES}


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """A hard rule: a ``floor`` raises the level to at least ``level``, a ``cap`` lowers it
    to at most ``level``, when ``applies`` holds."""

    code: str
    label: str
    kind: str  # "floor" or "cap"
    level: RiskLevel
    source: str
    applies: Callable[[CaseFacts], bool]


@dataclass(frozen=True)
class RuleHit:
    code: str
    label: str
    kind: str
    level: RiskLevel
    source: str
    changed: bool  # the rule changed the level

    @property
    def text(self) -> str:
        effect = "已据此调整等级" if self.changed else "模型等级已满足"
        return f"{self.label}（{effect}；依据：{self.source}）"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "kind": self.kind,
            "level": self.level.value,
            "level_label": self.level.label,
            "source": self.source,
            "changed": self.changed,
        }


def _single_unverified(f: CaseFacts) -> bool:
    originals = f.originals
    return (
        len(originals) == 1
        and originals[0].source_kind in ("complaint", "media")
        and f.injuries == 0
        and f.deaths == 0
    )


RULES: tuple[Rule, ...] = (
    # Caps first, then floors: a floor always wins over a cap.
    Rule(
        "non_safety",
        "非安全项目且无人受伤：最高中风险",
        "cap",
        RiskLevel.MEDIUM,
        "风险矩阵1级严重程度只在发生概率>1/2时为高风险；标识、性能等非安全项目不合格"
        "（默认严重程度1级的危害）在无人受伤时不定为高风险（项目规则）",
        lambda f: f.severity < SAFETY_SEVERITY and f.injuries == 0 and f.deaths == 0,
    ),
    Rule(
        "single_unverified",
        "仅一条未核实的投诉或舆情且无人受伤：最高中风险",
        "cap",
        RiskLevel.MEDIUM,
        "与系统初评的风险矩阵一致：单条投诉、舆情的缺陷概率默认为0.1、0.05，"
        "即使4级伤害，矩阵也只到中风险；证据质量低（METHODS §1）",
        _single_unverified,
    ),
    Rule(
        "death",
        "出现致死或严重致残（4级）伤害：至少高风险",
        "floor",
        RiskLevel.HIGH,
        "EU 2019/417 / GB/T 22760-2020 严重程度4级：伤害已经发生，矩阵4级行在发生概率"
        ">1/100,000时即为高风险及以上",
        lambda f: f.deaths > 0,
    ),
    Rule(
        "confirmed_defect_with_injury",
        "安全项目抽检不合格且已有人受伤：至少高风险",
        "floor",
        RiskLevel.HIGH,
        "缺陷经检验确认（情景第一步概率为1）且伤害已经发生（EU 2019/417 伤害情景）",
        lambda f: f.safety_check_failures > 0 and f.injuries > 0,
    ),
    Rule(
        "scope_over_1m",
        "涉及数量超过100万件：至少高风险",
        "floor",
        RiskLevel.HIGH,
        "PRISM 按影响范围上调：超过100万件时低风险上调为高风险（METHODS §1）",
        lambda f: f.max_units > SCOPE_HIGH_UNITS,
    ),
    Rule(
        "scope_over_500k",
        "涉及数量超过50万件：至少中风险",
        "floor",
        RiskLevel.MEDIUM,
        "PRISM 按影响范围上调：50万–100万件时低风险上调为中风险（METHODS §1）",
        lambda f: f.max_units > SCOPE_MEDIUM_UNITS,
    ),
)


def apply_rules(level: RiskLevel, facts: CaseFacts) -> tuple[RiskLevel, tuple[RuleHit, ...]]:
    """The level after the hard rules, and the rules that fired (in order)."""
    hits: list[RuleHit] = []
    for rule in RULES:
        if not rule.applies(facts):
            continue
        before = level
        too_high = rule.kind == "cap" and level.rank > rule.level.rank
        too_low = rule.kind == "floor" and level.rank < rule.level.rank
        if too_high or too_low:
            level = rule.level
        hits.append(
            RuleHit(rule.code, rule.label, rule.kind, rule.level, rule.source, level != before)
        )
    return level, tuple(hits)


# ----------------------------------------------------------------------------- labels

# Derived labels of demo events (our choices, see derived_level and docs/assessment.md).
INCIDENT_MIN_RECORDS = 5
INCIDENT_MIN_SHARE = 0.5
SERIOUS_MIN_RECORDS = 10


def derived_level(
    *,
    incident_records: int,
    incident_share: float,
    hazard_severity: int,
    matrix_level: RiskLevel | None,
) -> RiskLevel:
    """The derived label of a demo event (before the hard rules), from the generator's
    ground truth. Not an expert's grade; see docs/assessment.md.

    - An event holding at least ``INCIDENT_MIN_RECORDS`` records of one injected incident,
      or at least two and then at least half of its records, is that incident: **serious**
      when the hazard's default severity is 4 and the event holds at least
      ``SERIOUS_MIN_RECORDS`` of its records, otherwise **high**.
    - Any other event is background (ordinary reports, no incident by construction): the
      highest level the risk matrix gives its items in the system's first assessment,
      capped at **medium**. So is a single record split off an incident: nothing in one
      record shows the incident."""
    if incident_records >= INCIDENT_MIN_RECORDS or (
        incident_records >= 2 and incident_share >= INCIDENT_MIN_SHARE
    ):
        if hazard_severity >= FATAL_SEVERITY and incident_records >= SERIOUS_MIN_RECORDS:
            return RiskLevel.SERIOUS
        return RiskLevel.HIGH
    return routine_level(matrix_level)


# ----------------------------------------------------------------------------- training data


@dataclass(frozen=True)
class Example:
    """One labelled case: its facts (or, for old overrides, only its feature values)."""

    level: RiskLevel
    facts: CaseFacts | None = None
    values: dict[str, float] | None = None
    group: str = ""  # examples of one group are kept together in cross-validation
    weight: float = 1.0
    key: str = ""

    def inputs(self, calibration: HazardCalibration) -> dict[str, float]:
        if self.facts is not None:
            return feature_values(self.facts, calibration)
        return dict(self.values or {})


def examples_from_overrides(
    rows: Iterable[tuple[Mapping[str, Any], str]], *, weight: float = OVERRIDE_WEIGHT
) -> list[Example]:
    """Training examples from expert overrides: rows of (the ``features`` stored with a
    ``JudgementOverride``, the level the expert set).

    The stored features hold the case's facts (``facts``) and the model inputs at the time
    (``values``). The facts are preferred — the current model recomputes its features from
    them, so an override stays usable when features change; the values are the fallback
    (a feature they lack gets the training mean, i.e. no contribution). Rows with an unknown
    level are skipped."""
    out: list[Example] = []
    for n, (stored, level) in enumerate(rows):
        try:
            lv = RiskLevel(level)
        except ValueError:
            continue
        facts = None
        if isinstance(stored.get("facts"), Mapping):
            try:
                facts = CaseFacts.from_dict(stored["facts"])
            except (TypeError, ValueError, KeyError):
                facts = None
        values = stored.get("values") if isinstance(stored.get("values"), Mapping) else None
        if facts is None and values is None:
            continue
        out.append(
            Example(
                lv,
                facts=facts,
                values={k: float(v) for k, v in (values or {}).items()},
                group="override",
                weight=weight,
                key=f"override:{n}",
            )
        )
    return out


def sha256_examples(examples: Sequence[Example], calibration: HazardCalibration) -> str:
    """A digest of the model inputs and labels of ``examples``."""
    digest = hashlib.sha256()
    for e in examples:
        row = e.inputs(calibration)
        digest.update(
            json.dumps([e.level.value, e.weight, [row.get(n) for n in FEATURE_NAMES]]).encode()
        )
    return digest.hexdigest()


# ----------------------------------------------------------------------------- the model

# The scorer's ordinal scale: routine (low or medium: the matrix decides which), high,
# serious. Index in this tuple = the class the scorer is fitted on.
SCALE: tuple[str, ...] = ("routine", RiskLevel.HIGH.value, RiskLevel.SERIOUS.value)
SCALE_LABELS = {"routine": "中风险及以下", "high": RiskLevel.HIGH.label, "serious": "严重风险"}


def scale_index(level: RiskLevel) -> int:
    if level == RiskLevel.SERIOUS:
        return 2
    if level == RiskLevel.HIGH:
        return 1
    return 0


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class Contribution:
    name: str
    label: str
    raw: float  # the plain value (people, items, days…)
    value: float  # the model input computed from it
    contribution: float  # weight × standardised value; the contributions sum to the score
    shown: str  # the plain value as users read it
    text: str  # one Chinese line: feature, value, effect

    def to_dict(self) -> dict[str, Any]:
        # "value" is what users read (the case page and report show it); "input" the number.
        return {
            "name": self.name,
            "label": self.label,
            "value": self.shown,
            "raw": self.raw,
            "input": self.value,
            "contribution": round(self.contribution, 4),
            "text": self.text,
        }


@dataclass(frozen=True)
class Judgement:
    """The model's graded suggestion for one case."""

    level: RiskLevel  # after the hard rules
    model_level: RiskLevel  # from the score (and the matrix for routine cases)
    score: float  # Σ contributions; logit P(≥ high) = score − θ_high
    thresholds: dict[str, float]  # θ_high, θ_serious
    probabilities: dict[str, float]  # by level value, from the score alone
    contributions: tuple[Contribution, ...]  # sorted by |contribution|, largest first
    rules: tuple[RuleHit, ...]
    version: str
    values: dict[str, float]
    facts: CaseFacts
    matrix_level: RiskLevel | None  # highest level of the items' own assessments

    @property
    def explanation(self) -> tuple[str, ...]:
        """Chinese lines: the score, the biggest reasons, the rules, the level."""
        p_high = self.probabilities["high"] + self.probabilities["serious"]
        lines = [
            f"模型评分 {self.score:+.2f}（高风险阈值 {self.thresholds['high']:+.2f}，"
            f"严重风险阈值 {self.thresholds['serious']:+.2f}）；"
            f"高风险及以上的概率 {p_high:.0%}，严重风险的概率 {self.probabilities['serious']:.0%}"
        ]
        if self.model_level.rank <= RiskLevel.MEDIUM.rank:
            matrix = self.matrix_level.label if self.matrix_level else "无"
            lines.append(
                f"评分未达高风险阈值：按各条信息风险矩阵评估的最高等级（{matrix}）定级，"
                f"最高中风险 → {self.model_level.label}"
            )
        lines += [c.text for c in self.contributions if abs(c.contribution) >= 0.05]
        lines += [f"规则：{hit.text}" for hit in self.rules]
        lines.append(f"研判建议：{self.level.label}（模型版本 {self.version}）")
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "level_label": self.level.label,
            "model_level": self.model_level.value,
            "matrix_level": self.matrix_level.value if self.matrix_level else None,
            "score": round(self.score, 4),
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "contributions": [c.to_dict() for c in self.contributions],
            # Lines users read (the case page and report print them as they are) …
            "rules": [h.text for h in self.rules],
            # … and the same rules as data.
            "rule_hits": [h.to_dict() for h in self.rules],
            "version": self.version,
            "features": self.values,
            "facts": self.facts.to_dict(),
            "explanation": list(self.explanation),
        }


@dataclass(frozen=True)
class JudgementMetadata:
    version: str
    created_at: str
    sklearn_version: str
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]  # per feature, on the standardised scale (0 = dropped)
    thresholds: tuple[float, ...]  # θ_high, θ_serious
    dropped: tuple[str, ...]  # features whose fitted weight was negative (set to 0)
    params: dict[str, float]  # C, level_weight_power
    calibration: dict[str, Any]
    training: tuple[dict[str, Any], ...]  # name, sha256, rows
    rows: int
    rows_per_level: dict[str, int]
    cv: dict[str, Any] = field(default_factory=dict)
    label_scheme: str = ""
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgementMetadata:
        d = dict(data)
        for key in ("features", "means", "scales", "weights", "thresholds", "dropped", "training"):
            d[key] = tuple(d[key])
        return cls(**d)


def _now() -> str:
    # SOURCE_DATE_EPOCH (reproducible-builds.org): a rebuilt model can carry a fixed date.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.isoformat(timespec="seconds")


def _design(
    examples: Sequence[Example], calibration: HazardCalibration
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X model inputs, y scale index 0–2, weights)."""
    rows = [e.inputs(calibration) for e in examples]
    x = np.array([[r.get(n, np.nan) for n in FEATURE_NAMES] for r in rows], dtype=float)
    y = np.array([scale_index(e.level) for e in examples], dtype=int)
    w = np.array([e.weight for e in examples], dtype=float)
    return x, y, w


def _level_weights(y: np.ndarray, w: np.ndarray, power: float) -> np.ndarray:
    """Per-example weights that give rarer classes more say: (N / (K·n_k))^power."""
    totals = {k: w[y == k].sum() for k in np.unique(y)}
    n = w.sum()
    scale = {k: (n / (len(totals) * t)) ** power for k, t in totals.items()}
    return w * np.array([scale[k] for k in y])


@dataclass(frozen=True)
class FittedScorer:
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    thresholds: np.ndarray
    dropped: tuple[str, ...]
    estimator: LogisticRegression  # fitted on the stacked data (see the module docstring)


def fit_scorer(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, *, c: float, power: float
) -> FittedScorer:
    """Fit the ordinal scorer on ``x`` (rows × FEATURES; NaN → the column mean), ``y`` scale
    indices and example weights ``w``, every feature weight constrained to be ≥ 0."""
    col_mean = np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0)
    col_mean = np.where(np.isnan(col_mean), 0.0, col_mean)
    x = np.where(np.isnan(x), col_mean, x)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    z = (x - means) / scales
    sw = _level_weights(y, w, power)
    n, p = z.shape
    k_thresholds = len(SCALE) - 1
    stacked = np.vstack([z] * k_thresholds)
    indicators = np.zeros((n * k_thresholds, k_thresholds - 1))
    for k in range(1, k_thresholds):
        indicators[k * n : (k + 1) * n, k - 1] = THRESHOLD_COLUMN_SCALE
    target = np.concatenate([(y > k).astype(int) for k in range(k_thresholds)])
    weights = np.concatenate([sw] * k_thresholds)
    active = list(range(p))
    dropped: list[int] = []
    while True:
        design = np.hstack([stacked[:, active], indicators])
        model = LogisticRegression(C=c, max_iter=2000, tol=1e-6)
        model.fit(design, target, sample_weight=weights)
        coef = model.coef_[0]
        negative = [active[i] for i in range(len(active)) if coef[i] < 0]
        if not negative:
            break
        dropped += negative
        active = [j for j in active if j not in negative]
    full = np.zeros(p)
    full[active] = coef[: len(active)]
    b = float(model.intercept_[0])
    d = [0.0, *(float(v) * THRESHOLD_COLUMN_SCALE for v in coef[len(active) :])]
    thresholds = np.maximum.accumulate(np.array([-(b + dk) for dk in d]))
    names = tuple(FEATURE_NAMES[j] for j in sorted(dropped))
    return FittedScorer(means, scales, full, thresholds, names, model)


class JudgementModel:
    """The trained scorer and its metadata; ``judge`` gives a :class:`Judgement`."""

    def __init__(
        self, metadata: JudgementMetadata, estimator: LogisticRegression | None = None
    ) -> None:
        if tuple(metadata.features) != FEATURE_NAMES or len(metadata.thresholds) != len(SCALE) - 1:
            raise ModelVersionError(
                "the model's features are not this code's features: retrain it",
                "模型文件的特征与当前程序不一致，请用 scripts/train_judgement.py 重新训练",
            )
        self.metadata = metadata
        self.estimator = estimator
        self.calibration = HazardCalibration.from_dict(metadata.calibration)
        self._means = np.array(metadata.means)
        self._scales = np.array(metadata.scales)
        self._weights = np.array(metadata.weights)
        self.thresholds = {"high": metadata.thresholds[0], "serious": metadata.thresholds[1]}

    @property
    def version(self) -> str:
        return self.metadata.version

    # -- scoring
    def values(self, facts: CaseFacts) -> dict[str, float]:
        return feature_values(facts, self.calibration)

    def score_values(self, values: Mapping[str, float]) -> tuple[float, np.ndarray]:
        """(score, per-feature contributions) for model inputs by name; a missing value
        counts as the training mean (no contribution)."""
        x = np.array([values.get(n, self._means[i]) for i, n in enumerate(FEATURE_NAMES)])
        contributions = self._weights * (x - self._means) / self._scales
        return float(contributions.sum()), contributions

    def level_for_score(self, score: float, routine: RiskLevel = RiskLevel.MEDIUM) -> RiskLevel:
        """Serious or high from the thresholds the score reaches; below them ``routine`` (the
        case's matrix level, at most medium)."""
        if score >= self.thresholds["serious"]:
            return RiskLevel.SERIOUS
        if score >= self.thresholds["high"]:
            return RiskLevel.HIGH
        return routine

    def probabilities(
        self, score: float, routine: RiskLevel = RiskLevel.MEDIUM
    ) -> dict[str, float]:
        """P(serious), P(high) and P(neither), the last given to ``routine``."""
        serious = _sigmoid(score - self.thresholds["serious"])
        at_least_high = max(serious, _sigmoid(score - self.thresholds["high"]))
        out = {lv.value: 0.0 for lv in LEVELS}
        out[RiskLevel.SERIOUS.value] = serious
        out[RiskLevel.HIGH.value] = at_least_high - serious
        out[routine.value] = 1.0 - at_least_high
        return out

    def judge(self, facts: CaseFacts) -> Judgement:
        values = self.values(facts)
        raw = raw_features(facts, self.calibration)
        score, contributions = self.score_values(values)
        routine = facts.routine_level
        model_level = self.level_for_score(score, routine)
        level, hits = apply_rules(model_level, facts)
        items = []
        for i, feat in enumerate(FEATURES):
            c = float(contributions[i])
            shown = feat.describe(raw[feat.name])
            if self._weights[i] == 0:
                text = f"{feat.label}：{shown}（本版本模型未采用）"
            else:
                sign = "升高" if c > 0 else "降低" if c < 0 else "不影响"
                text = f"{feat.label}：{shown}（{sign}评分 {c:+.2f}）"
            items.append(
                Contribution(
                    feat.name, feat.label, raw[feat.name], values[feat.name], c, shown, text
                )
            )
        items.sort(key=lambda c: (-abs(c.contribution), c.name))
        return Judgement(
            level=level,
            model_level=model_level,
            score=score,
            thresholds=dict(self.thresholds),
            probabilities=self.probabilities(score, routine),
            contributions=tuple(items),
            rules=hits,
            version=self.version,
            values=values,
            facts=facts,
            matrix_level=facts.matrix_level,
        )

    # -- training
    @classmethod
    def fit(
        cls,
        examples: Sequence[Example],
        calibration: HazardCalibration,
        *,
        c: float = 1.0,
        power: float = 1.0,
        training: Sequence[Mapping[str, Any]] = (),
        cv: Mapping[str, Any] | None = None,
        label_scheme: str = "",
        notes: str = "",
    ) -> JudgementModel:
        if not examples:
            raise JudgementError("no training examples", "没有训练样本")
        x, y, w = _design(examples, calibration)
        if len(np.unique(y)) < len(SCALE):
            raise JudgementError(
                "training needs examples of every class (medium or below, high, serious)",
                "训练样本须包含中风险及以下、高风险、严重风险三类",
            )
        fitted = fit_scorer(x, y, w, c=c, power=power)
        created = _now()
        data_digest = sha256_examples(examples, calibration)
        digest = hashlib.sha256(
            json.dumps(
                [
                    data_digest,
                    [round(float(v), 8) for v in fitted.weights],
                    [round(float(v), 8) for v in fitted.thresholds],
                    c,
                    power,
                ]
            ).encode()
        ).hexdigest()
        counts = Counter(e.level.value for e in examples)
        metadata = JudgementMetadata(
            version=f"judgement-{created[:10].replace('-', '')}-{digest[:8]}",
            created_at=created,
            sklearn_version=sklearn.__version__,
            features=FEATURE_NAMES,
            means=tuple(round(float(v), 8) for v in fitted.means),
            scales=tuple(round(float(v), 8) for v in fitted.scales),
            weights=tuple(round(float(v), 8) for v in fitted.weights),
            thresholds=tuple(round(float(v), 8) for v in fitted.thresholds),
            dropped=fitted.dropped,
            params={"C": c, "level_weight_power": power},
            calibration=calibration.to_dict(),
            training=tuple(dict(t) for t in training)
            or ({"name": "memory", "sha256": data_digest, "rows": len(examples)},),
            rows=len(examples),
            rows_per_level={lv.value: counts.get(lv.value, 0) for lv in LEVELS},
            cv=dict(cv or {}),
            label_scheme=label_scheme,
            notes=notes,
        )
        return cls(metadata, fitted.estimator)

    # -- persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model atomically; the metadata is plain values beside the pickled
        estimator, so ``load`` checks it before unpickling any scikit-learn object."""
        write_model_file(
            path,
            fmt=FORMAT,
            version=FORMAT_VERSION,
            metadata=self.metadata.to_dict(),
            estimator=self.estimator,
            key="estimator",
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] = MODEL_PATH) -> JudgementModel:
        """Read a model written by ``save``. A file written by another scikit-learn version
        is refused before its estimator is unpickled: retrain with this version."""
        try:
            raw, blob = read_model_file(
                path,
                fmt=FORMAT,
                version=FORMAT_VERSION,
                key="estimator",
                what_zh="风险研判模型",
                error=ModelVersionError,
            )
        except FileNotFoundError:
            raise ModelVersionError(
                f"no judgement model at {path}: run scripts/train_judgement.py",
                f"风险研判模型文件 {path} 不存在，请运行 scripts/train_judgement.py 训练",
            ) from None
        metadata = JudgementMetadata.from_dict(raw)
        check_sklearn_version(
            metadata.sklearn_version,
            path,
            what_zh="风险研判模型",
            retrain_en="retrain it with scripts/train_judgement.py",
            retrain_zh="请用 scripts/train_judgement.py 重新训练",
            error=ModelVersionError,
        )
        return cls(metadata, unpickle(blob))

    def describe_zh(self) -> list[str]:
        m = self.metadata
        lines = [
            f"模型版本：{m.version}（{m.created_at}，scikit-learn {m.sklearn_version}）",
            f"训练样本：{m.rows} 条；"
            + "，".join(f"{RiskLevel(k).label} {v}" for k, v in m.rows_per_level.items()),
            "训练数据：" + "；".join(f"{t['name']}（{t.get('rows', '?')} 条）" for t in m.training),
        ]
        if m.cv:
            lines.append(
                f"交叉验证（{m.cv.get('scheme', '')}）：macro-F1 {m.cv.get('macro_f1', 0):.3f}，"
                f"不含规则 {m.cv.get('macro_f1_without_rules', 0):.3f}"
            )
        lines.append(
            f"阈值：高风险 {m.thresholds[0]:+.2f}，严重风险 {m.thresholds[1]:+.2f}；"
            f"C={m.params.get('C')}，少数类权重指数 {m.params.get('level_weight_power')}"
        )
        weights = sorted(zip(m.features, m.weights, strict=True), key=lambda t: -t[1])
        lines.append(
            "特征权重（标准化后）："
            + "，".join(f"{FEATURE_BY_NAME[n].label} {w:.2f}" for n, w in weights)
        )
        if m.dropped:
            lines.append(
                "拟合权重为负、按单调约束未采用的特征："
                + "、".join(FEATURE_BY_NAME[n].label for n in m.dropped)
            )
        return lines


@cache
def default_model() -> JudgementModel:
    """The shipped model (``pqrisk/core/assessment/data/judgement.joblib``), loaded once."""
    return JudgementModel.load(MODEL_PATH)


# ----------------------------------------------------------------------------- evaluation


def macro_f1(
    truth: Sequence[RiskLevel], predicted: Sequence[RiskLevel]
) -> tuple[float, dict[str, dict[str, float]]]:
    """Macro-F1 over the levels present in ``truth``, and per-level precision/recall/F1."""
    per: dict[str, dict[str, float]] = {}
    for lv in LEVELS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == lv and p == lv)
        n_true = sum(1 for t in truth if t == lv)
        n_pred = sum(1 for p in predicted if p == lv)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[lv.value] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": float(n_true),
            "predicted": float(n_pred),
        }
    present = [per[lv.value]["f1"] for lv in LEVELS if per[lv.value]["support"]]
    return (sum(present) / len(present) if present else 0.0), per


def confusion(truth: Sequence[RiskLevel], predicted: Sequence[RiskLevel]) -> list[list[int]]:
    """Rows: true level low…serious; columns: predicted level low…serious."""
    index = {lv: i for i, lv in enumerate(LEVELS)}
    m = [[0] * len(LEVELS) for _ in LEVELS]
    for t, p in zip(truth, predicted, strict=True):
        m[index[t]][index[p]] += 1
    return m


def predict_levels(
    model: JudgementModel, examples: Sequence[Example], *, rules: bool = True
) -> list[RiskLevel]:
    """The suggested level of each example (with or without the hard rules)."""
    out = []
    for e in examples:
        score, _ = model.score_values(e.inputs(model.calibration))
        routine = e.facts.routine_level if e.facts is not None else RiskLevel.MEDIUM
        level = model.level_for_score(score, routine)
        if rules and e.facts is not None:
            level, _ = apply_rules(level, e.facts)
        out.append(level)
    return out


def cross_validate(
    examples: Sequence[Example],
    calibration: HazardCalibration,
    *,
    c: float,
    power: float,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Out-of-fold macro-F1 (with and without the rules). Examples are split by ``group``
    when there are at least two groups (leave one group out, e.g. one demo seed), else into
    ``folds`` stratified folds; overrides are never held out."""
    groups = sorted({e.group for e in examples if e.group != "override"})
    if len(groups) >= 2:
        splits = [[i for i, e in enumerate(examples) if e.group == g] for g in groups]
        scheme = f"留一组（{len(groups)} 组：{'、'.join(groups)}）"
    else:
        rng = np.random.default_rng(seed)
        by_level: dict[RiskLevel, list[int]] = {}
        for i, e in enumerate(examples):
            if e.group != "override":
                by_level.setdefault(e.level, []).append(i)
        splits = [[] for _ in range(folds)]
        for members in by_level.values():
            for j, i in enumerate(rng.permutation(members)):
                splits[j % folds].append(int(i))
        scheme = f"{folds} 折分层"
    truth: list[RiskLevel] = []
    with_rules: list[RiskLevel] = []
    without: list[RiskLevel] = []
    for test in splits:
        held = set(test)
        train = [e for i, e in enumerate(examples) if i not in held]
        if len({scale_index(e.level) for e in train}) < len(SCALE) or not test:
            continue
        model = JudgementModel.fit(train, calibration, c=c, power=power)
        part = [examples[i] for i in test]
        truth += [e.level for e in part]
        with_rules += predict_levels(model, part, rules=True)
        without += predict_levels(model, part, rules=False)
    f1, per = macro_f1(truth, with_rules)
    f1_plain, _ = macro_f1(truth, without)
    return {
        "scheme": scheme,
        "macro_f1": round(f1, 4),
        "macro_f1_without_rules": round(f1_plain, 4),
        "per_level": {k: {m: round(v, 4) for m, v in d.items()} for k, d in per.items()},
        "confusion": confusion(truth, with_rules),
        "C": c,
        "level_weight_power": power,
    }
