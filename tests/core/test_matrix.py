"""The PRISM / EU 2019/417 risk matrix (METHODS §1), cell by cell and by its properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.assessment.matrix import (
    PROBABILITY_BANDS,
    AssessmentInput,
    InvalidAssessment,
    ScenarioStep,
    StepFlip,
    assess,
    escalate_for_scope,
    format_probability,
    matrix_level,
    probability_band,
)
from pqrisk.core.levels import Attention, RiskLevel

S, H, M, L = RiskLevel.SERIOUS, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW
# METHODS.md §1, copied by hand from the table (not from the module).
TABLE = {
    1: "H M M L L L L L",
    2: "S S S H M L L L",
    3: "S S S S H M L L",
    4: "S S S S S H M L",
}
LETTER = {"S": S, "H": H, "M": M, "L": L}
# A probability inside each band: 0.9, 0.2, 0.05, 0.005, ...
INSIDE_BAND = (0.9, 0.2, 0.05, 0.005, 5e-4, 5e-5, 5e-6, 5e-7)

probabilities = st.floats(min_value=0, max_value=1, exclude_min=True, allow_nan=False)
severities = st.integers(min_value=1, max_value=4)
units = st.none() | st.integers(min_value=0, max_value=10**8)
levels = st.sampled_from(list(RiskLevel))


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
@pytest.mark.parametrize("band", range(8))
def test_all_32_cells(severity: int, band: int) -> None:
    expected = LETTER[TABLE[severity].split()[band]]
    assert probability_band(INSIDE_BAND[band]) == band
    assert matrix_level(severity, INSIDE_BAND[band]) is expected


def test_bands_and_labels() -> None:
    assert [b.label for b in PROBABILITY_BANDS] == [
        ">1/2",
        ">1/10",
        ">1/100",
        ">1/1,000",
        ">1/10,000",
        ">1/100,000",
        ">1/1,000,000",
        "≤1/1,000,000",
    ]


@pytest.mark.parametrize(
    ("p", "band"),
    [
        (1.0, 0),
        (0.5000001, 0),
        (0.5, 1),  # ">1/2" is strictly greater
        (0.1, 2),
        (0.1 * 0.1, 3),  # 0.010000000000000002 counts as 1/100
        (1 / 1000, 4),
        (1e-6, 7),
        (1.0000001e-6, 6),
        (1e-300, 7),
    ],
)
def test_band_boundaries(p: float, band: int) -> None:
    assert probability_band(p) == band


@pytest.mark.parametrize("p", [0.0, -0.1, 1.0000001, 2.0, float("nan"), float("inf")])
def test_probability_outside_0_1_is_rejected(p: float) -> None:
    with pytest.raises(ValueError, match="概率"):
        probability_band(p)


@pytest.mark.parametrize("severity", [0, 5, -1])
def test_severity_outside_1_4_is_rejected(severity: int) -> None:
    with pytest.raises(ValueError, match="严重程度"):
        matrix_level(severity, 0.5)


@pytest.mark.parametrize(
    ("level", "units", "expected"),
    [
        (L, None, L),
        (L, 100_000, L),
        (M, 100_000, M),
        (L, 100_001, M),
        (M, 500_000, H),
        (H, 500_000, H),
        (H, 500_001, S),
        (L, 1_000_000, M),
        (M, 1_000_000, H),
        (L, 1_000_001, H),
        (M, 1_000_001, S),
        (H, 1_000_001, S),
        (S, 10**9, S),
    ],
)
def test_scope_escalation_table(level: RiskLevel, units: int | None, expected: RiskLevel) -> None:
    assert escalate_for_scope(level, units) is expected


@given(severities, severities, probabilities)
def test_monotone_in_severity(a: int, b: int, p: float) -> None:
    lo, hi = sorted((a, b))
    assert matrix_level(lo, p).rank <= matrix_level(hi, p).rank


@given(severities, probabilities, probabilities)
def test_monotone_in_probability(severity: int, p: float, q: float) -> None:
    lo, hi = sorted((p, q))
    assert probability_band(lo) >= probability_band(hi)
    assert matrix_level(severity, lo).rank <= matrix_level(severity, hi).rank


@given(levels, units)
def test_scope_escalation_never_lowers(level: RiskLevel, n: int | None) -> None:
    assert escalate_for_scope(level, n).rank >= level.rank


@given(levels, st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=10**8))
def test_scope_escalation_monotone_in_units(level: RiskLevel, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert escalate_for_scope(level, lo).rank <= escalate_for_scope(level, hi).rank


@st.composite
def steps(draw: st.DrawFn) -> ScenarioStep:
    values = sorted(draw(st.lists(probabilities, min_size=3, max_size=3)))
    low = draw(st.sampled_from([None, values[0]]))
    high = draw(st.sampled_from([None, values[2]]))
    return ScenarioStep("情景", values[1], low, high)


@given(severities, st.lists(steps(), min_size=1, max_size=6), units, st.booleans())
def test_assessment_brackets_uncertainty(
    severity: int, scenario: list[ScenarioStep], n: int | None, vulnerable: bool
) -> None:
    inp = AssessmentInput(severity, tuple(scenario), exposed_units=n, vulnerable_users=vulnerable)
    r = assess(inp)
    assert 0 < r.probability_low <= r.probability <= r.probability_high <= 1
    assert r.level_low.rank <= r.level.rank <= r.level_high.rank
    assert r.level.rank >= r.base_level.rank
    assert r.base_level is matrix_level(severity, r.probability)
    assert r.level is escalate_for_scope(r.base_level, n)
    assert r.uncertainty_changes_level == (r.level_low != r.level or r.level_high != r.level)
    assert r.explanation[-1] == f"风险等级：{r.level.label}"


def test_assessment_story() -> None:
    """A heater: fatal fire, 1/250 per unit, 1.2 million in use."""
    inp = AssessmentInput(
        severity=4,
        steps=(
            ScenarioStep("产品存在过热缺陷", 0.5, 0.2, 1.0, "监督抽查不合格"),
            ScenarioStep("过热引燃周围物品并致死", 0.008, 0.004, 0.02),
        ),
        exposed_units=1_200_000,
        attention=Attention.VERY_HIGH,
    )
    r = assess(inp)
    assert r.probability == pytest.approx(1 / 250)
    assert r.band == 3
    assert r.base_level is S and r.level is S
    assert r.level_low is S and r.level_high is S
    assert not r.uncertainty_changes_level
    assert r.explanation[0] == "伤害严重程度：4级（致死或>10%永久残疾）"
    assert "发生概率：1/250（>1/1,000）" in r.explanation
    assert any("社会关注度：很高" in line for line in r.explanation)


def test_scope_escalation_is_explained() -> None:
    inp = AssessmentInput(2, (ScenarioStep("步骤", 5e-5),), exposed_units=1_200_000)
    r = assess(inp)
    assert r.base_level is L and r.level is H
    assert "使用数量120万件，风险等级由低风险上调为高风险" in r.explanation


def test_medium_escalated_to_serious_explained() -> None:
    r = assess(AssessmentInput(4, (ScenarioStep("步骤", 5e-6),), exposed_units=1_200_000))
    assert "使用数量120万件，风险等级由中风险上调为严重风险" in r.explanation


def test_uncertainty_that_changes_the_level_is_reported() -> None:
    r = assess(AssessmentInput(3, (ScenarioStep("步骤", 5e-4, 5e-5, 5e-3),)))
    assert (r.level_low, r.level, r.level_high) == (M, H, S)
    assert r.uncertainty_changes_level
    assert any("不确定性可能改变风险等级" in line for line in r.explanation)


def test_tiny_products_do_not_underflow() -> None:
    r = assess(AssessmentInput(4, tuple(ScenarioStep("步骤", 1e-200) for _ in range(3))))
    assert r.probability > 0 and r.band == 7 and r.level is L


@pytest.mark.parametrize(
    "make",
    [
        lambda: ScenarioStep("步骤", 0.0),
        lambda: ScenarioStep("步骤", 0.5, low=0.6),
        lambda: ScenarioStep("步骤", 0.5, high=0.4),
        lambda: ScenarioStep("步骤", 0.5, high=1.5),
        lambda: AssessmentInput(2, ()),
        lambda: AssessmentInput(5, (ScenarioStep("步骤", 0.5),)),
        lambda: AssessmentInput(2, (ScenarioStep("步骤", 0.5),), exposed_units=-1),
        lambda: AssessmentInput(2, (ScenarioStep("步骤", 0.5),), evidence_quality="great"),
    ],
)
def test_bad_input_gets_a_chinese_message(make: object) -> None:
    with pytest.raises(InvalidAssessment) as info:
        make()  # type: ignore[operator]
    assert info.value.message_zh
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("p", "text"),
    [(1.0, "1/1"), (0.5, "1/2"), (0.004, "1/250"), (1 / 1200, "1/1,200"), (0.3, "1/3.33")],
)
def test_format_probability(p: float, text: str) -> None:
    assert format_probability(p) == text


# Colour-flip sensitivity: which steps alone, moved to one end of their range, change the level.


def test_step_2_low_end_alone_lowers_the_level() -> None:
    r = assess(
        AssessmentInput(
            3,
            (
                ScenarioStep("儿童接触到小零件", 0.5, 0.4, 0.6),
                ScenarioStep("吞咽导致窒息", 5e-4, 5e-5, 8e-4),
            ),
        )
    )
    assert r.level is H
    assert r.flip_steps == (StepFlip(2, "吞咽导致窒息", "low", pytest.approx(2.5e-5), M),)
    assert "敏感步骤：步骤2（吞咽导致窒息）取下限时风险等级变为中风险" in r.explanation
    assert r.explanation[-1] == "风险等级：高风险"


def test_no_step_flips_when_ranges_are_narrow() -> None:
    r = assess(
        AssessmentInput(
            3, (ScenarioStep("步骤1", 0.5, 0.45, 0.55), ScenarioStep("步骤2", 5e-4, 4e-4, 6e-4))
        )
    )
    assert r.flip_steps == ()
    assert not r.uncertainty_changes_level
    assert not any(line.startswith("敏感步骤") for line in r.explanation)


def test_flips_on_both_ends_are_named_in_order() -> None:
    r = assess(AssessmentInput(3, (ScenarioStep("步骤1", 5e-4, 5e-5, 5e-3),)))
    assert [(f.step, f.end, f.level) for f in r.flip_steps] == [(1, "low", M), (1, "high", S)]
    assert (
        "敏感步骤：步骤1取下限时风险等级变为中风险；步骤1取上限时风险等级变为严重风险"
        in r.explanation
    )


def test_level_changed_only_by_steps_together_is_explained() -> None:
    # Each step alone keeps 1/4,000 above 1/10,000; both at their low ends give 1/11,111.
    r = assess(
        AssessmentInput(3, (ScenarioStep("步骤1", 0.05, 0.03), ScenarioStep("步骤2", 5e-3, 3e-3)))
    )
    assert r.uncertainty_changes_level and r.level_low is M
    assert r.flip_steps == ()
    assert any("多个步骤同时取范围端点时才会改变" in line for line in r.explanation)


def test_flips_compare_levels_after_scope_escalation() -> None:
    # 1/200,000 is medium for severity 4, serious with 1.2 million units; at its high end the
    # matrix says high, which escalates to serious too, so only the low end flips (low → high).
    r = assess(
        AssessmentInput(4, (ScenarioStep("步骤", 5e-6, 5e-7, 2e-5),), exposed_units=1_200_000)
    )
    assert r.level is S
    assert [(f.end, f.level) for f in r.flip_steps] == [("low", H)]


@given(severities, st.lists(steps(), min_size=1, max_size=6), units)
def test_flip_steps_lie_within_the_uncertainty(
    severity: int, scenario: list[ScenarioStep], n: int | None
) -> None:
    r = assess(AssessmentInput(severity, tuple(scenario), exposed_units=n))
    if not r.uncertainty_changes_level:
        assert r.flip_steps == ()
    for f in r.flip_steps:
        assert f.level is not r.level
        assert r.level_low.rank <= f.level.rank <= r.level_high.rank
        # Monotone: a lower end can only lower the level, a higher end only raise it.
        assert (f.level.rank < r.level.rank) == (f.end == "low")
        step = scenario[f.step - 1]
        assert f.description == step.description
        assert r.probability_low <= f.probability <= r.probability_high
    assert len({(f.step, f.end) for f in r.flip_steps}) == len(r.flip_steps)


def test_steps_typed_one_per_line_are_read_with_ranges_and_evidence() -> None:
    from pqrisk.core.assessment.matrix import parse_probability, parse_steps

    steps = parse_steps(
        "产品存在缺陷 | 1 | 0.5 | 1 | 抽检\n\n使用中出现危险｜1/10\n导致伤害 | 0.5%"
    )
    assert [s.probability for s in steps] == [1.0, 0.1, 0.005]
    assert (steps[0].low, steps[0].high, steps[0].evidence) == (0.5, 1.0, "抽检")
    assert steps[1].low is None and steps[1].description == "使用中出现危险"
    assert parse_probability(" 1/250 ", "概率") == 0.004
    for bad, message in (
        ("", "至少需要一个步骤"),
        ("只有描述", "第1行"),
        ("缺陷 | 一半", "应为数字"),
    ):
        with pytest.raises(InvalidAssessment, match=message):
            parse_steps(bad)
