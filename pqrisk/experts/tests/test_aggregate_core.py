"""Aggregating expert ratings, the Delphi rule and the final-level rule
(pqrisk.core.assessment.experts). No database."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.assessment.experts import (
    OWN_SCENARIO,
    DelphiPolicy,
    Rating,
    aggregate,
    final_level,
    log_median,
    needs_next_round,
    ordinal_iqr,
    parse_probability,
    rate,
    ratings_required,
    upper_median,
)
from pqrisk.core.assessment.matrix import InvalidAssessment, ScenarioStep
from pqrisk.core.levels import RiskLevel

S, H, M, L = RiskLevel.SERIOUS, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW
STEPS = ("产品存在缺陷", "缺陷导致危险状态", "危险状态导致伤害")


def rating(
    i: int,
    severity: int,
    *ps: float,
    stated: RiskLevel | None = None,
    steps: tuple[str, ...] = STEPS,
    comment: str = "",
) -> Rating:
    return Rating(
        i,
        f"专家{i}",
        severity,
        tuple(ScenarioStep(d, p) for d, p in zip(steps, ps, strict=True)),
        stated_level=stated,
        comment=comment,
    )


# ---------------------------------------------------------------- medians


def test_log_median() -> None:
    assert log_median([0.1, 0.001, 0.01]) == pytest.approx(0.01)
    # even count: the geometric mean of the middle two, not the arithmetic one (0.0505)
    assert log_median([0.1, 0.001]) == pytest.approx(0.01)
    with pytest.raises(InvalidAssessment):
        log_median([])
    with pytest.raises(InvalidAssessment):
        log_median([0.0])


def test_upper_median_and_iqr() -> None:
    assert upper_median([2, 3, 4]) == 3
    assert upper_median([2, 3]) == 3  # an even split goes to the safer side
    assert ordinal_iqr([1, 2, 2, 3]) == 1
    assert ordinal_iqr([2, 2, 2]) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.001", 0.001), ("1/1000", 0.001), ("1/1,000", 0.001), ("0.1%", 0.001), ("1e-3", 0.001)],
)
def test_probabilities_as_assessors_write_them(text: str, value: float) -> None:
    assert parse_probability(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["0", "1.5", "-0.1", "abc", "1/0", "", "nan", "150%"])
def test_bad_probabilities_are_refused_in_chinese(text: str) -> None:
    with pytest.raises(InvalidAssessment, match="概率"):
        parse_probability(text)


# ---------------------------------------------------------------- aggregation


def test_three_close_ratings() -> None:
    ratings = [
        rating(1, 3, 0.5, 0.1, 0.01),  # 1/2,000 → 3 × >1/10,000 → high
        rating(2, 3, 0.5, 0.1, 0.01),
        rating(3, 3, 0.1, 0.1, 0.01, stated=M, comment="缺陷尚未经检验确认"),
    ]
    agg = aggregate(ratings)
    assert agg.severity == 3 and agg.steps_shared
    assert [s.probability for s in agg.steps] == pytest.approx([0.5, 0.1, 0.01])
    assert agg.input_level is H and agg.level is H
    assert agg.spread.level_span == 1 and agg.spread.distinct_levels == 2
    assert not agg.delphi
    (dissent,) = agg.dissent
    assert (dissent.expert_id, dissent.level, dissent.gap) == (3, M, -1)
    assert dissent.comment == "缺陷尚未经检验确认"
    assert agg.to_json()["level"] == "high"


def test_levels_two_steps_apart_call_for_a_second_round() -> None:
    ratings = [
        rating(1, 2, 0.1, 0.1, 0.05),  # 1/2,000 → 2 × >1/10,000 → medium
        rating(2, 2, 0.1, 0.1, 0.05, stated=L),
        rating(3, 2, 0.1, 0.1, 0.05, stated=H),
    ]
    agg = aggregate(ratings)
    assert agg.level is M and agg.spread.level_span == 2
    assert agg.delphi and "从低风险到高风险" in agg.delphi_reasons[0]
    assert needs_next_round(agg.delphi, 1) and not needs_next_round(agg.delphi, 2)


def test_a_step_a_hundredfold_apart_calls_for_a_second_round() -> None:
    agg = aggregate(
        [
            rating(1, 1, 0.5, 0.5, 0.5),
            rating(2, 1, 0.005, 0.5, 0.5, stated=H),  # keep the levels together
            rating(3, 1, 0.05, 0.5, 0.5),
        ]
    )
    assert agg.spread.step_log10[0] == pytest.approx(2)
    assert agg.delphi and any("情景步骤1" in r for r in agg.delphi_reasons)


def test_a_tenfold_difference_is_tolerated() -> None:
    agg = aggregate([rating(1, 2, 0.1, 0.1, 0.1), rating(2, 2, 0.01, 0.1, 0.1, stated=H)])
    assert agg.spread.step_log10[0] == pytest.approx(1)
    assert not agg.delphi


def test_severity_two_apart_calls_for_a_second_round() -> None:
    agg = aggregate(
        [rating(1, 2, 0.5, 0.5, 0.5, stated=S), rating(2, 4, 0.5, 0.5, 0.5)],
        policy=DelphiPolicy(max_level_span=3),
    )
    assert [r for r in agg.delphi_reasons if "严重程度" in r]


def test_own_steps_aggregate_the_scenario_probability() -> None:
    own = ("缺陷存在", "儿童接触", "吞咽", "窒息")
    agg = aggregate(
        [
            rating(1, 4, 0.1, 0.1, 0.01),  # 1e-4
            rating(2, 4, 0.1, 0.1, 0.1, 0.01, steps=own),  # 1e-5
            rating(3, 4, 0.1, 0.1, 0.1),  # 1e-3
        ]
    )
    assert not agg.steps_shared and agg.steps[0].description == OWN_SCENARIO
    assert agg.probability == pytest.approx(1e-4)
    assert agg.spread.step_log10 == ()


def test_the_exposed_units_escalate_like_the_matrix() -> None:
    ratings = [rating(i, 2, 0.1, 0.1, 0.05) for i in (1, 2, 3)]  # medium
    assert aggregate(ratings).level is M
    assert aggregate(ratings, exposed_units=2_000_000).level is S  # >1M: M → S


def test_bad_input() -> None:
    with pytest.raises(InvalidAssessment):
        aggregate([])
    with pytest.raises(InvalidAssessment, match="同一专家"):
        aggregate([rating(1, 2, 0.1, 0.1, 0.1), rating(1, 2, 0.1, 0.1, 0.1)])


def test_ratings_required() -> None:
    assert ratings_required(5) == 3 and ratings_required(2) == 2 and ratings_required(0) == 1


levels = st.sampled_from(list(RiskLevel))
probabilities = st.floats(min_value=1e-9, max_value=1.0, allow_nan=False)
ratings_strategy = st.lists(
    st.tuples(
        st.integers(1, 4),
        st.tuples(probabilities, probabilities, probabilities),
        st.none() | levels,
    ),
    min_size=1,
    max_size=9,
)


def _ratings(raw: list[tuple[int, tuple[float, float, float], RiskLevel | None]]) -> list[Rating]:
    return [rating(i, sev, *ps, stated=lv) for i, (sev, ps, lv) in enumerate(raw, start=1)]


@given(ratings_strategy)
def test_the_aggregate_lies_within_the_experts(raw: list[Any]) -> None:
    ratings = _ratings(raw)
    agg = aggregate(ratings)
    stated = [r.stated_level or rate(r.severity, r.steps).level for r in ratings]
    assert min(lv.rank for lv in stated) <= agg.level.rank <= max(lv.rank for lv in stated)
    assert min(r.severity for r in ratings) <= agg.severity <= max(r.severity for r in ratings)
    for i, s in enumerate(agg.steps):
        values = [r.steps[i].probability for r in ratings]
        assert min(values) * (1 - 1e-9) <= s.probability <= max(values) * (1 + 1e-9)
    assert {d.expert_id for d in agg.dissent} == {
        r.expert_id for r, lv in zip(ratings, stated, strict=True) if lv is not agg.level
    }
    assert agg.delphi == bool(agg.delphi_reasons)


@given(ratings_strategy, st.randoms())
def test_the_order_of_the_ratings_does_not_matter(raw: list[Any], rnd: random.Random) -> None:
    ratings = _ratings(raw)
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    a, b = aggregate(ratings), aggregate(shuffled)
    assert (a.level, a.severity, a.input_level, a.delphi) == (
        b.level,
        b.severity,
        b.input_level,
        b.delphi,
    )
    assert [s.probability for s in a.steps] == pytest.approx([s.probability for s in b.steps])


@given(st.integers(1, 4), st.tuples(probabilities, probabilities, probabilities), st.integers(1, 7))
def test_unanimous_experts_agree_with_the_matrix(
    severity: int, ps: tuple[float, float, float], n: int
) -> None:
    agg = aggregate([rating(i, severity, *ps) for i in range(n)])
    alone = rate(severity, [ScenarioStep(d, p) for d, p in zip(STEPS, ps, strict=True)])
    assert agg.level is agg.input_level is alone.level
    assert [s.probability for s in agg.steps] == list(ps)
    assert not agg.delphi and agg.dissent == () and agg.spread.level_span == 0


# ---------------------------------------------------------------- the final level


def test_experts_decide_when_they_are_close_to_model_and_matrix() -> None:
    d = final_level(experts=H, model=M, matrix=H)
    assert (d.level, d.consultation_required, d.basis) == (H, False, "experts")
    assert d.rule.startswith("定级规则：以专家评估等级为准")
    assert (
        "本任务：专家评估高风险，模型研判建议中风险，风险矩阵评估高风险。结论等级：高风险。"
        in d.rule
    )


def test_two_levels_from_the_model_or_the_matrix_call_for_a_consultation() -> None:
    d = final_level(experts=H, model=L, matrix=H)
    assert d.consultation_required and d.level is H
    assert d.reasons == ("专家评估高风险与模型研判建议低风险相差2级",)
    assert "须会商" in d.rule
    assert final_level(experts=L, matrix=S).reasons == (
        "专家评估低风险与风险矩阵评估严重风险相差3级",
    )


def test_a_panel_still_divided_calls_for_a_consultation() -> None:
    d = final_level(experts=M, model=M, matrix=M, experts_divided=True)
    assert d.consultation_required and "经2轮评估仍分歧较大" in d.reasons[0]


def test_without_experts_the_matrix_then_the_model() -> None:
    assert final_level(experts=None, model=L, matrix=M).basis == "matrix"
    assert final_level(experts=None, model=L).level is L
    assert final_level(experts=None, model=L, matrix=H).consultation_required
    with pytest.raises(InvalidAssessment, match="无法确定结论等级"):
        final_level(experts=None)


@given(levels, st.none() | levels, st.none() | levels, st.booleans())
def test_the_final_rule(
    experts: RiskLevel, model: RiskLevel | None, matrix: RiskLevel | None, divided: bool
) -> None:
    d = final_level(experts=experts, model=model, matrix=matrix, experts_divided=divided)
    assert d.level is experts
    far = any(o is not None and abs(o.rank - experts.rank) >= 2 for o in (model, matrix))
    assert d.consultation_required == (far or divided)
    assert d.rule.startswith("定级规则：")
