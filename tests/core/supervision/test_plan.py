"""The differentiated spot-check plan: rate bands, the budget exactly, the seed reproduces."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from math import ceil

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pqrisk.core.assessment.draw import rank_key
from pqrisk.core.supervision.grading import Grade, SupervisionError
from pqrisk.core.supervision.plan import (
    RATE_BANDS,
    PlanFirm,
    district_shares,
    feasible_range,
    grade_bounds,
    make_plan,
)

DISTRICTS = ("310101", "310104", "310114", "310115")


def firms_from(spec: list[tuple[Grade, str]]) -> list[PlanFirm]:
    return [
        PlanFirm(id=i + 1, name=f"企业{i + 1}", grade=g, district=d, products=("电热水壶",))
        for i, (g, d) in enumerate(spec)
    ]


populations = st.lists(
    st.tuples(st.sampled_from(list(Grade)), st.sampled_from(DISTRICTS)), max_size=120
).map(firms_from)
seeds = st.integers(0, 10**12 - 1)


@st.composite
def feasible(draw: st.DrawFn) -> tuple[list[PlanFirm], int, int]:
    firms = draw(populations)
    population = Counter(f.grade for f in firms)
    low, high = feasible_range(population)
    return firms, draw(st.integers(low, high)), draw(seeds)


@given(feasible())
def test_every_grade_in_its_band_and_the_budget_exact(
    case: tuple[list[PlanFirm], int, int],
) -> None:
    firms, budget, seed = case
    plan = make_plan(firms, budget, seed)
    assert len(plan.entries) == budget
    assert sum(plan.allocation.values()) == budget
    drawn = Counter(e.grade for e in plan.entries)
    for g in Grade:
        n = plan.population[g.value]
        assert drawn[g] == plan.allocation[g.value]
        if n == 0:
            assert drawn[g] == 0
            continue
        lo, hi = RATE_BANDS[g]
        fits = grade_bounds(g, n)[2]
        rate = Fraction(drawn[g], n)
        if fits:
            assert lo <= rate <= hi, (g, drawn[g], n)
        else:  # no whole count in the band: the least count reaching its lower bound
            assert drawn[g] == ceil(lo * n)
            assert any(g.value in note for note in plan.notes)
    assert len({e.firm_id for e in plan.entries}) == budget
    grade_of = {f.id: f.grade for f in firms}
    assert all(grade_of[e.firm_id] is e.grade for e in plan.entries)


@given(feasible())
def test_the_seed_reproduces_the_plan(case: tuple[list[PlanFirm], int, int]) -> None:
    firms, budget, seed = case
    first = make_plan(firms, budget, seed)
    again = make_plan(list(reversed(firms)), budget, seed)
    assert [e.firm_id for e in first.entries] == [e.firm_id for e in again.entries]
    assert first.to_json() == again.to_json()
    for e in first.entries:
        assert e.rank_key == rank_key(seed, e.firm_id)


@given(feasible())
def test_districts_share_each_grade_in_proportion(case: tuple[list[PlanFirm], int, int]) -> None:
    firms, budget, seed = case
    plan = make_plan(firms, budget, seed)
    for g in Grade:
        share = plan.district_shares[g.value]
        assert sum(share.values()) == plan.allocation[g.value]
        members = Counter(f.district for f in firms if f.grade is g)
        n = plan.allocation[g.value]
        total = sum(members.values())
        for d, k in share.items():
            quota = Fraction(n * members[d], total)
            assert quota - 1 < k < quota + 1
            assert k <= members[d]


@given(populations, seeds)
def test_a_budget_outside_the_bands_is_refused(firms: list[PlanFirm], seed: int) -> None:
    low, high = feasible_range(Counter(f.grade for f in firms))
    assume(low > 0)
    with pytest.raises(SupervisionError, match="可行范围"):
        make_plan(firms, low - 1, seed)
    with pytest.raises(SupervisionError, match="可行范围"):
        make_plan(firms, high + 1, seed)


def test_the_rest_of_the_budget_goes_to_the_riskiest_grades_first() -> None:
    spec = [(Grade.A, "310115")] * 100 + [(Grade.B, "310115")] * 40
    spec += [(Grade.C, "310114")] * 10 + [(Grade.D, "310101")] * 5
    plan = make_plan(firms_from(spec), 20, seed=42)
    # least: A 0, B 2, C 3 (21 % of 10 → 2.1 → 3), D 4 (61 % of 5 → 3.05 → 4) = 9; 11 left:
    # D +1 to 5 (its all), C +3 to 6 (60 %), B +6 to 8 (20 %), and the last one to A.
    assert plan.allocation == {"A": 1, "B": 8, "C": 6, "D": 5}
    assert plan.rates_json() == {"A": "1.0", "B": "20.0", "C": "60.0", "D": "100.0"}
    why = next(e for e in plan.entries if e.grade is Grade.C).reasons
    assert any("随机种子42" in r for r in why)


def test_small_group_noted() -> None:
    plan = make_plan(firms_from([(Grade.C, "310115")]), 1, seed=1)
    assert plan.allocation["C"] == 1
    assert "C类企业仅1户" in plan.notes[0]


def test_bad_inputs() -> None:
    with pytest.raises(SupervisionError):
        make_plan([], 0, seed=-1)
    with pytest.raises(SupervisionError):
        make_plan(firms_from([(Grade.A, "310115")]) * 2, 0, seed=1)
    assert district_shares({"a": 3, "b": 1}, 4) == {"a": 3, "b": 1}
