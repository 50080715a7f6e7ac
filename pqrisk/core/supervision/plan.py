"""Differentiated spot-check plan (差异化抽查计划, 双随机; 国市监信发〔2022〕6号; METHODS §4).

Given a period's budget (number of samples, one sample per drawn enterprise) and the graded
enterprises, the plan is made in three steps, each recorded:

1. **Per grade.** Each grade's count ``n`` must give a sampling rate ``n / N`` inside its
   band (``RATE_BANDS``: A ≤ 5 %, B 5–20 %, C 21–60 %, D 61–100 %). Every grade starts at the
   least count its band allows; the rest of the budget goes to the grades from the riskiest
   down (D, C, B, A), each up to the most its band allows. A budget outside the sum of the
   least and the most counts is refused with the feasible range. A grade too small for its
   band to contain a whole number (three B firms: 5 %–20 % of 3 is 0.15–0.6) is sampled at the
   least count reaching the band's lower bound (here 1), and the plan says so: the lower
   bound is the minimum intensity the guidance asks for, and exceeding an upper bound on a
   handful of firms is the safe side.
2. **Per district.** Within a grade, districts share its count in proportion to their number
   of firms of that grade (largest remainders, ties by district code).
3. **Draw.** Within each grade and district, the firms are put in the seeded SHA-256 order of
   ``pqrisk.core.assessment.draw`` (``sha256("<seed>:<id>")``) and the first ones are drawn:
   anyone can recompute the draw from the recorded seed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from typing import Any

from pqrisk.core.assessment.draw import SEED_BOUND, new_seed, rank_key, seeded_order

from .grading import Grade, SupervisionError

__all__ = ["RATE_BANDS", "SEED_BOUND", "Plan", "PlanFirm", "make_plan", "new_seed"]

# Sampling rate bands per class (国市监信发〔2022〕6号; METHODS §4), as exact fractions.
RATE_BANDS: Mapping[Grade, tuple[Fraction, Fraction]] = {
    Grade.A: (Fraction(0), Fraction(5, 100)),
    Grade.B: (Fraction(5, 100), Fraction(20, 100)),
    Grade.C: (Fraction(21, 100), Fraction(60, 100)),
    Grade.D: (Fraction(61, 100), Fraction(1)),
}
RISK_ORDER = (Grade.D, Grade.C, Grade.B, Grade.A)


@dataclass(frozen=True)
class PlanFirm:
    """A graded enterprise as the plan sees it; ``products`` its categories, riskiest first;
    ``triggers`` open trigger descriptions (shown as reasons, not used in the draw)."""

    id: int
    name: str
    grade: Grade
    district: str
    products: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    score: str = ""


@dataclass(frozen=True)
class Entry:
    firm_id: int
    name: str
    grade: Grade
    district: str
    position: int  # 1-based place in its group's seeded order
    rank_key: str
    products: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    budget: int
    seed: int
    population: dict[str, int]  # firms per grade
    allocation: dict[str, int]  # samples per grade
    bounds: dict[str, tuple[int, int]]
    district_shares: dict[str, dict[str, int]]  # grade → district → samples
    entries: tuple[Entry, ...]
    draw: dict[str, list[int]] = field(default_factory=dict)  # "grade:district" → seeded order
    notes: tuple[str, ...] = ()

    def rate(self, grade: Grade) -> Fraction | None:
        n = self.population.get(grade.value, 0)
        return Fraction(self.allocation.get(grade.value, 0), n) if n else None

    def rates_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for g in Grade:
            r = self.rate(g)
            out[g.value] = None if r is None else str(_percent(r))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "seed": self.seed,
            "population": self.population,
            "allocation": self.allocation,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "rates": self.rates_json(),
            "district_shares": self.district_shares,
            "draw": self.draw,
            "notes": list(self.notes),
        }


def _percent(r: Fraction) -> Decimal:
    return (Decimal(r.numerator) * 100 / Decimal(r.denominator)).quantize(Decimal("0.1"))


def band_text(grade: Grade) -> str:
    lo, hi = RATE_BANDS[grade]
    return f"{_percent(lo)}%–{_percent(hi)}%"


def grade_bounds(grade: Grade, n: int) -> tuple[int, int, bool]:
    """Least and most samples for ``n`` firms of ``grade``, and whether the band holds a whole
    number (when not, both are the least count reaching the lower bound)."""
    if n == 0:
        return 0, 0, True
    lo, hi = RATE_BANDS[grade]
    least, most = ceil(lo * n), floor(hi * n)
    if least <= most:
        return least, most, True
    return least, least, False


def allocate(population: Mapping[Grade, int], budget: int) -> tuple[dict[Grade, int], list[str]]:
    """Samples per grade: each band's least count, then the rest riskiest grade first."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise SupervisionError(f"抽查样本数应为非负整数，实际为{budget!r}")
    notes: list[str] = []
    bounds: dict[Grade, tuple[int, int]] = {}
    for g in Grade:
        n = population.get(g, 0)
        least, most, fits = grade_bounds(g, n)
        bounds[g] = (least, most)
        if not fits:
            notes.append(
                f"{g.value}类企业仅{n}户，整数抽查户数无法使比例落在{band_text(g)}之间，"
                f"按达到下限的最少户数抽取{least}户"
            )
    low = sum(b[0] for b in bounds.values())
    high = sum(b[1] for b in bounds.values())
    if budget < low:
        raise SupervisionError(
            f"抽查样本数{budget}不足：按各类抽查比例下限至少需要{low}个样本（可行范围{low}–{high}）"
        )
    if budget > high:
        raise SupervisionError(
            f"抽查样本数{budget}超过各类抽查比例上限之和{high}，多出的样本无法分配"
            f"（可行范围{low}–{high}）"
        )
    counts = {g: bounds[g][0] for g in Grade}
    rest = budget - low
    for g in RISK_ORDER:
        add = min(rest, bounds[g][1] - counts[g])
        counts[g] += add
        rest -= add
    return counts, notes


def district_shares(firms_by_district: Mapping[str, int], n: int) -> dict[str, int]:
    """``n`` samples shared by the districts in proportion to their firms (largest
    remainders, ties by district code); no district gets more than it has firms."""
    total = sum(firms_by_district.values())
    if n > total:
        raise SupervisionError(f"抽取户数{n}超过企业数{total}")
    if total == 0:
        return {}
    quotas = {d: Fraction(n * c, total) for d, c in firms_by_district.items()}
    shares = {d: floor(q) for d, q in quotas.items()}
    left = n - sum(shares.values())
    by_remainder = sorted(quotas, key=lambda d: (-(quotas[d] - shares[d]), d))
    for d in by_remainder[:left]:
        shares[d] += 1
    return {d: shares[d] for d in sorted(shares)}


def make_plan(
    firms: Sequence[PlanFirm], budget: int, seed: int, *, products_per_firm: int = 1
) -> Plan:
    """The plan for ``firms`` within ``budget`` samples, drawn with ``seed`` (reproducible)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_BOUND:
        raise SupervisionError(f"随机种子应为0至{SEED_BOUND - 1}之间的整数，实际为{seed!r}")
    ids = [f.id for f in firms]
    if len(set(ids)) != len(ids):
        raise SupervisionError("参与抽取的企业中有重复")
    by_grade: dict[Grade, list[PlanFirm]] = defaultdict(list)
    for f in firms:
        by_grade[Grade(f.grade)].append(f)
    population = {g: len(by_grade[g]) for g in Grade}
    counts, notes = allocate(population, budget)
    shares: dict[str, dict[str, int]] = {}
    draw_record: dict[str, list[int]] = {}
    entries: list[Entry] = []
    for g in RISK_ORDER:
        group = by_grade[g]
        per_district = Counter(f.district for f in group)
        share = district_shares(per_district, counts[g])
        shares[g.value] = share
        rate = Fraction(counts[g], len(group)) if group else None
        for district in sorted(per_district):
            members = {f.id: f for f in group if f.district == district}
            order = seeded_order(members, seed)
            draw_record[f"{g.value}:{district}"] = order
            for position, firm_id in enumerate(order[: share.get(district, 0)], start=1):
                f = members[firm_id]
                reasons = [
                    f"信用风险等级{g.label}" + (f"（得分{f.score}）" if f.score else ""),
                    f"{g.value}类抽查比例{_percent(rate)}%（规定{band_text(g)}）"
                    if rate is not None
                    else "",
                    f"本区{g.value}类{per_district[district]}户中按随机种子{seed}排序第{position}位",
                    *(f"触发：{t}" for t in f.triggers),
                ]
                entries.append(
                    Entry(
                        firm_id=f.id,
                        name=f.name,
                        grade=g,
                        district=district,
                        position=position,
                        rank_key=rank_key(seed, f.id),
                        products=f.products[:products_per_firm],
                        reasons=tuple(r for r in reasons if r),
                    )
                )
    return Plan(
        budget=budget,
        seed=seed,
        population={g.value: population[g] for g in Grade},
        allocation={g.value: counts[g] for g in Grade},
        bounds={g.value: grade_bounds(g, population[g])[:2] for g in Grade},
        district_shares=shares,
        entries=tuple(entries),
        draw=draw_record,
        notes=tuple(notes),
    )


def feasible_range(population: Mapping[Grade, int]) -> tuple[int, int]:
    """Least and most budget a plan for this population can take."""
    low = high = 0
    for g in Grade:
        least, most, _ = grade_bounds(g, population.get(g, 0))
        low += least
        high += most
    return low, high
