"""The decision rule of lab results and rapid tests (pqrisk.core.assessment.lab): no Django."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.assessment.lab import (
    LAB_TASK_MACHINE,
    LEAD_MACHINE,
    Comparison,
    LabValueError,
    Limit,
    Screening,
    Verdict,
    judge,
    parse_limit,
    parse_measured,
    parse_verdict,
    same_item,
    screen,
)
from pqrisk.core.workflow import TransitionNotAllowed

D = Decimal


def verdict(limit: str, measured: object, lab: str = "", u: str | None = None) -> Verdict:
    return judge(
        parse_limit(limit),
        parse_measured(measured),
        lab_verdict=parse_verdict(lab),
        uncertainty=D(u) if u else None,
    ).verdict


@pytest.mark.parametrize(
    ("text", "comparison", "low", "high", "shown"),
    [
        ("≤0.5", Comparison.LE, None, D("0.5"), "≤0.5"),
        ("<=0.5", Comparison.LE, None, D("0.5"), "≤0.5"),
        ("不大于 0.5", Comparison.LE, None, D("0.5"), "≤0.5"),
        ("＜０.５", Comparison.LT, None, D("0.5"), "<0.5"),
        ("≥1500", Comparison.GE, D("1500"), None, "≥1500"),
        ("不低于2", Comparison.GE, D("2"), None, "≥2"),
        (">7", Comparison.GT, D("7"), None, ">7"),
        ("0.5~1.0", Comparison.RANGE, D("0.5"), D("1.0"), "0.5~1.0"),
        ("0.5-1.0", Comparison.RANGE, D("0.5"), D("1.0"), "0.5~1.0"),
        ("220±10", Comparison.RANGE, D("210"), D("230"), "210~230"),
        ("不得检出", Comparison.NOT_DETECTED, None, None, "不得检出"),
        ("", Comparison.QUALITATIVE, None, None, "定性要求"),
        ("—", Comparison.QUALITATIVE, None, None, "定性要求"),
    ],
)
def test_limits_are_read_as_standards_write_them(
    text: str, comparison: Comparison, low: Decimal | None, high: Decimal | None, shown: str
) -> None:
    limit = parse_limit(text)
    assert (limit.comparison, limit.low, limit.high) == (comparison, low, high)
    assert limit.describe() == shown


@pytest.mark.parametrize(
    ("text", "says"),
    [("0.5", "缺少比较符号"), ("≤abc", "无法识别"), ("1.0~0.5", "下限大于上限"), ("0.5mg", "单位")],
)
def test_a_limit_that_cannot_be_read_is_refused_not_guessed(text: str, says: str) -> None:
    with pytest.raises(LabValueError) as exc:
        parse_limit(text)
    assert says in exc.value.message_zh


def test_measured_values_exact_censored_not_detected_and_text() -> None:
    assert parse_measured("0.32").value == D("0.32")
    assert parse_measured(0.1).value == D("0.1")  # an Excel float, read as written
    assert parse_measured("1,200").value == D("1200")
    assert (parse_measured("<0.01").bound, parse_measured("<0.01").value) == ("<", D("0.01"))
    assert parse_measured(">1000").bound == ">"
    assert parse_measured("未检出").not_detected and parse_measured("ND").not_detected
    nd = parse_measured("未检出（<0.01）")
    assert nd.not_detected and nd.value == D("0.01")
    assert not parse_measured("无破损").is_numeric
    with pytest.raises(LabValueError):
        parse_measured("  ")


def test_simple_acceptance_on_the_limit_conforms_and_above_fails() -> None:
    # Full-value comparison (GB/T 8170-2008 §4.3): no rounding to the limit's digits.
    assert verdict("≤0.5", "0.5") is Verdict.PASS
    assert verdict("≤0.5", "0.50001") is Verdict.FAIL
    assert verdict("<0.5", "0.5") is Verdict.FAIL
    assert verdict("≥1500", "1500") is Verdict.PASS
    assert verdict(">7", "7") is Verdict.FAIL
    assert verdict("0.5~1.0", "1.0") is Verdict.PASS
    assert verdict("0.5~1.0", "0.49") is Verdict.FAIL
    assert verdict("220±10", "231") is Verdict.FAIL


def test_uncertainty_marks_a_borderline_result_but_does_not_move_the_verdict() -> None:
    j = judge(parse_limit("≤0.5"), parse_measured("0.45"), uncertainty=D("0.1"))
    assert j.verdict is Verdict.PASS and j.near_limit and "临界" in j.reason_zh
    j = judge(parse_limit("≤0.5"), parse_measured("0.55"), uncertainty=D("0.1"))
    assert j.verdict is Verdict.FAIL and j.near_limit
    assert not judge(parse_limit("≤0.5"), parse_measured("0.2"), uncertainty=D("0.1")).near_limit


def test_censored_results_are_intervals() -> None:
    assert verdict("≤0.5", "<0.5") is Verdict.PASS
    assert verdict("≤0.5", "<0.6") is Verdict.NOT_JUDGED
    assert verdict("≤0.5", "未检出") is Verdict.PASS
    assert verdict("≥2", "未检出") is Verdict.FAIL
    assert verdict("≤0.5", ">0.5") is Verdict.FAIL
    assert verdict("≥2", ">2") is Verdict.PASS
    assert verdict("≥2", ">1") is Verdict.NOT_JUDGED
    # The numbers cannot decide: the lab's verdict is taken.
    assert verdict("≤0.5", "<0.6", lab="合格") is Verdict.PASS


def test_not_detected_limits() -> None:
    assert verdict("不得检出", "未检出") is Verdict.PASS
    assert verdict("不得检出", "<0.01") is Verdict.PASS
    assert verdict("不得检出", "0.3") is Verdict.FAIL


def test_qualitative_requirements_take_the_labs_verdict_which_must_be_given() -> None:
    assert verdict("", "无破损", lab="合格") is Verdict.PASS
    assert verdict("", "缺少警示标识", lab="不符合") is Verdict.FAIL
    assert verdict("/", "仅报告", lab="不判定") is Verdict.NOT_JUDGED
    with pytest.raises(LabValueError, match="须给出判定"):
        verdict("", "无破损")


def test_a_text_value_against_a_numeric_limit_is_an_error() -> None:
    with pytest.raises(LabValueError, match="不是数字"):
        verdict("≤0.5", "合格")


def test_a_lab_verdict_that_contradicts_the_numbers_is_refused() -> None:
    assert verdict("≤0.5", "0.8", lab="不合格") is Verdict.FAIL
    with pytest.raises(LabValueError, match="不一致"):
        verdict("≤0.5", "0.8", lab="合格")
    with pytest.raises(LabValueError, match="无法识别"):
        parse_verdict("也许")


@given(
    limit=st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False),
    value=st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False),
)
def test_upper_and_lower_limits_mirror_each_other(limit: Decimal, value: Decimal) -> None:
    upper = judge(Limit(Comparison.LE, high=limit), parse_measured(str(value))).verdict
    assert upper is (Verdict.PASS if value <= limit else Verdict.FAIL)
    lower = judge(Limit(Comparison.GE, low=limit), parse_measured(str(value))).verdict
    assert lower is (Verdict.PASS if value >= limit else Verdict.FAIL)


@given(
    value=st.decimals(min_value=0, max_value=200, places=2, allow_nan=False),
    u=st.decimals(min_value=0, max_value=20, places=2, allow_nan=False),
)
def test_a_wider_uncertainty_never_turns_suspect_into_a_firm_screening(
    value: Decimal, u: Decimal
) -> None:
    limit = parse_limit("≤90")
    narrow = screen(limit, parse_measured(str(value)), uncertainty=u).result
    wide = screen(limit, parse_measured(str(value)), uncertainty=u * 2).result
    if narrow is Screening.SUSPECT:
        assert wide is Screening.SUSPECT
    # and the screening agrees with the lab verdict of the value itself when it is firm
    lab = judge(limit, parse_measured(str(value))).verdict
    if narrow is Screening.POSITIVE:
        assert lab is Verdict.FAIL
    if narrow is Screening.NEGATIVE:
        assert lab is Verdict.PASS


def test_rapid_screening_uses_the_uncertainty_and_the_detection_limit() -> None:
    limit = parse_limit("≤90")
    assert screen(limit, parse_measured("150"), uncertainty=D("15")).result is Screening.POSITIVE
    assert screen(limit, parse_measured("85"), uncertainty=D("10")).result is Screening.SUSPECT
    assert screen(limit, parse_measured("60"), uncertainty=D("10")).result is Screening.NEGATIVE
    assert screen(limit, parse_measured("95")).result is Screening.POSITIVE  # U unknown: 0
    low = screen(parse_limit("≤1"), parse_measured("0.3"), detection_limit=D("0.5"))
    assert low.result is Screening.NEGATIVE  # below the detection limit, itself below 1
    # A method that cannot see down to the threshold cannot clear a sample.
    blind = screen(parse_limit("≤0.1"), parse_measured("0.3"), detection_limit=D("0.5"))
    assert blind.result is Screening.SUSPECT
    assert screen(limit, parse_measured("阳性")).result is Screening.POSITIVE
    assert Screening.POSITIVE.needs_lab_test and Screening.SUSPECT.needs_lab_test
    assert not Screening.NEGATIVE.needs_lab_test
    with pytest.raises(LabValueError):
        screen(limit, parse_measured("偏高"))
    with pytest.raises(LabValueError, match="阈值"):
        screen(parse_limit(""), parse_measured("95"))


def test_verdicts_and_screenings_carry_labels_and_colours() -> None:
    assert Verdict.FAIL.label == "不合格" and Verdict.FAIL.colour.startswith("#")
    assert Screening.POSITIVE.label == "阳性"
    assert ("pass", "合格") in Verdict.choices()


def test_same_item_ignores_spacing_and_width() -> None:
    assert same_item("铅 (Pb)", "铅(Pb)") and same_item("ＰＢ", "pb")
    assert not same_item("铅", "镉")


def test_workflows() -> None:
    assert LAB_TASK_MACHINE.reachable() == set(LAB_TASK_MACHINE.states)
    assert LAB_TASK_MACHINE.apply("planned", "purchase", {"analyst"}).target == "purchased"
    with pytest.raises(TransitionNotAllowed):
        LAB_TASK_MACHINE.apply("tested", "cancel", {"analyst"})  # results exist: close it
    with pytest.raises(TransitionNotAllowed):
        LAB_TASK_MACHINE.apply("tested", "close", {"district_officer"})
    assert LEAD_MACHINE.apply("referred", "close", {"district_officer"}).target == "closed"
    with pytest.raises(TransitionNotAllowed):
        LEAD_MACHINE.apply("new", "refer", {"district_officer"})
