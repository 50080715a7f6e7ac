"""Expert assessment of the heater-fire case: only the drawn experts rate; three ratings are
aggregated into the case's expert level; a wide spread calls for a second (Delphi) round; the
final level combines the model's suggestion, the matrix and the experts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from pqrisk.assessment.choices import AssessmentMethod
from pqrisk.assessment.services import first_assessment_input, save_assessment
from pqrisk.audit.models import AuditEvent
from pqrisk.experts.models import DrawnExpert, ExpertRating, RatingRound
from pqrisk.experts.services import (
    ExpertError,
    aggregate_round,
    case_steps,
    conclude_from_experts,
    draw_experts,
    respond_to_draw,
    start_next_round,
    submit_rating,
)

from .conftest import expert_user

pytestmark = pytest.mark.django_db

HIGH = (3, 0.5, 0.1, 0.01)  # 1/2,000 at severity 3 → 高风险
MEDIUM = (3, 0.1, 0.1, 0.01)  # 1/10,000 → 中风险
LOW = (2, 0.1, 0.1, 0.01)  # 1/10,000 at severity 2 → 低风险


def steps(case: Any, *ps: Any) -> list[dict[str, Any]]:
    return [
        {"description": s["description"], "probability": p, "evidence": ""}
        for s, p in zip(case_steps(case), ps, strict=True)
    ]


def drawn(case: Any, dana: Any, n: int = 3) -> list[DrawnExpert]:
    draw = draw_experts(case, dana, size=n, seed=7)
    return list(draw.members.select_related("expert__user").order_by("position"))


def rate(case: Any, member: DrawnExpert, values: tuple[Any, ...], **extra: Any) -> ExpertRating:
    severity, *ps = values
    return submit_rating(
        case, member.expert.user, severity=severity, steps=steps(case, *ps), **extra
    )


def test_only_drawn_experts_rate_the_case(dana: Any, case: Any, panel: list[Any]) -> None:
    first, second, third = drawn(case, dana)
    not_drawn = next(e for e in panel if e.pk not in {m.expert_id for m in (first, second, third)})
    for outsider, message in (
        (not_drawn.user, "您不是本评估任务抽取的专家"),
        (expert_user("olga"), "您不是本评估任务抽取的专家"),
        (dana, "只有本任务抽取的专家可以评分"),
    ):
        with pytest.raises(PermissionDenied, match=message):
            submit_rating(case, outsider, severity=3, steps=steps(case, *HIGH[1:]))
    replacement = respond_to_draw(third, third.expert.user, accept=False, reason="回避")
    with pytest.raises(PermissionDenied, match="已拒绝参加"):
        rate(case, third, HIGH)
    assert not ExpertRating.objects.exists()

    rating = rate(case, first, HIGH, suggestions="责令企业召回", comment="")
    assert (rating.computed_level, rating.level, rating.round.number) == ("high", "high", 1)
    assert rating.explanation[-1] == "风险等级：高风险"
    first.refresh_from_db()
    assert first.status == "accepted"  # rating is accepting
    assert replacement is not None
    rate(case, replacement, MEDIUM)  # the replacement rates in the declined expert's place


def test_three_ratings_make_the_experts_level_and_conclude_the_case(
    dana: Any, case: Any, panel: list[Any]
) -> None:
    first, second, third = drawn(case, dana)
    rate(case, first, HIGH)
    rate(case, second, HIGH)
    with pytest.raises(ExpertError, match="至少需要3份专家评分"):
        aggregate_round(case, dana)
    rate(case, third, MEDIUM, comment="缺陷尚待检验确认")

    rnd = aggregate_round(case, dana)
    case.refresh_from_db()
    assert case.expert_level == "high" and case.status == "expert_review"
    summary = rnd.summary
    assert (summary["level"], summary["n"], summary["severity"]) == ("high", 3, 3)
    assert not summary["delphi"] and not summary["next_round"]
    assert summary["spread"]["distinct_levels"] == 2 and summary["spread"]["level_span"] == 1
    assert [d["name"] for d in summary["dissent"]] == [third.expert.name]
    assert summary["dissent"][0]["comment"] == "缺陷尚待检验确认"
    with pytest.raises(PermissionDenied):
        aggregate_round(case, first.expert.user)  # experts do not aggregate

    conclude_from_experts(case, dana)
    case.refresh_from_db()
    assert (case.status, case.final_level, case.expert_level) == ("concluded", "high", "high")
    assert case.conclusion_rule.startswith("定级规则：以专家评估等级为准")
    assert "本任务：专家评估高风险，模型研判建议无，风险矩阵评估无" in case.conclusion_rule
    assert "经1轮专家评估（3名专家）" in case.conclusion
    assert AuditEvent.objects.filter(action="expert_aggregate", object_id=str(case.pk)).exists()
    assert AuditEvent.objects.filter(action="conclude", object_id=str(case.pk)).exists()
    with pytest.raises(ExpertError, match="已结论"):
        rate(case, first, MEDIUM)


def test_a_wide_spread_calls_for_a_second_round(dana: Any, case: Any, panel: list[Any]) -> None:
    first, second, third = drawn(case, dana)
    rate(case, first, LOW)
    rate(case, second, HIGH)
    rate(case, third, MEDIUM)
    rnd = aggregate_round(case, dana)
    assert rnd.summary["delphi"] and rnd.summary["next_round"]
    assert "从低风险到高风险" in rnd.summary["delphi_reasons"][0]
    case.refresh_from_db()
    assert case.expert_level == "medium"
    with pytest.raises(ExpertError, match="须先开展第二轮评估"):
        conclude_from_experts(case, dana)

    second_round = start_next_round(case, dana)
    assert second_round.number == 2 and "从低风险到高风险" in second_round.reason
    rnd.refresh_from_db()
    case.refresh_from_db()
    assert rnd.closed_at is not None and case.expert_level == ""
    # after reading the anonymous summary the experts come closer
    rate(case, first, MEDIUM, comment="参考上一轮汇总后调整")
    rate(case, second, HIGH)
    rate(case, third, MEDIUM)
    assert ExpertRating.objects.filter(round=second_round).count() == 3
    assert ExpertRating.objects.filter(round=rnd).count() == 3  # round 1 kept as it was
    again = aggregate_round(case, dana)
    assert again.number == 2 and not again.summary["delphi"]
    conclude_from_experts(case, dana)
    case.refresh_from_db()
    assert (case.status, case.final_level) == ("concluded", "medium")
    assert "经2轮专家评估" in case.conclusion


def test_still_divided_after_the_second_round_goes_to_consultation(
    dana: Any, case: Any, panel: list[Any]
) -> None:
    members = drawn(case, dana)
    for rnd_number in (1, 2):
        for member, values in zip(members, (LOW, HIGH, MEDIUM), strict=True):
            rate(case, member, values)
        rnd = aggregate_round(case, dana)
        if rnd_number == 1:
            start_next_round(case, dana)
    assert rnd.summary["divided"] and not rnd.summary["next_round"]
    with pytest.raises(ExpertError, match="须提交会商"):
        start_next_round(case, dana)
    with pytest.raises(ExpertError, match=r"须会商研判.*经2轮评估仍分歧较大"):
        conclude_from_experts(case, dana)
    case.refresh_from_db()
    assert case.status == "expert_review" and case.final_level == ""


def test_no_second_round_without_a_reason(dana: Any, case: Any, panel: list[Any]) -> None:
    for member in drawn(case, dana):
        rate(case, member, HIGH)
    with pytest.raises(ExpertError, match="请先汇总"):
        start_next_round(case, dana)
    aggregate_round(case, dana)
    with pytest.raises(ExpertError, match="无须开展下一轮"):
        start_next_round(case, dana)
    assert RatingRound.objects.filter(case=case).count() == 1


def test_experts_two_levels_from_the_model_call_for_a_consultation(
    dana: Any, case: Any, panel: list[Any]
) -> None:
    case.model_suggestion = {"level": "low", "model_version": "test"}
    case.save(update_fields=["model_suggestion"])
    for member in drawn(case, dana):
        rate(case, member, HIGH)
    aggregate_round(case, dana)
    with pytest.raises(ExpertError, match="专家评估高风险与模型研判建议低风险相差2级"):
        conclude_from_experts(case, dana)
    case.refresh_from_db()
    assert case.status == "expert_review" and case.expert_level == "high"


def test_the_final_level_names_model_matrix_and_experts(
    dana: Any, case: Any, panel: list[Any]
) -> None:
    info = case.risk_infos.get()
    matrix = save_assessment(
        info, first_assessment_input(info), method=AssessmentMethod.MATRIX_MANUAL, user=dana
    )
    assert matrix.level == "medium"
    case.matrix_assessment = matrix
    case.model_suggestion = {"level": "medium"}
    case.save(update_fields=["matrix_assessment", "model_suggestion"])
    assert [s["description"] for s in case_steps(case)] == [s["description"] for s in matrix.steps]
    for member in drawn(case, dana):
        rate(case, member, HIGH)
    aggregate_round(case, dana)
    conclude_from_experts(case, dana, conclusion="专家一致认为高风险，建议责令召回")
    case.refresh_from_db()
    assert case.final_level == "high" and case.conclusion == "专家一致认为高风险，建议责令召回"
    assert "专家评估高风险，模型研判建议中风险，风险矩阵评估中风险。结论等级：高风险。" in (
        case.conclusion_rule
    )


@pytest.mark.parametrize(
    ("severity", "ps", "extra", "message"),
    [
        (5, (0.5, 0.1, 0.01), {}, "伤害严重程度应为1至4级，实际为5"),
        ("三", (0.5, 0.1, 0.01), {}, "伤害严重程度应为1至4级的整数"),
        (3, (0, 0.1, 0.01), {}, "概率应大于0且不超过1"),
        (3, (1.5, 0.1, 0.01), {}, "概率应大于0且不超过1"),
        (3, ("很可能", 0.1, 0.01), {}, "无法识别的概率"),
        (3, ("", "", ""), {}, "请填写情景步骤“产品存在缺陷”的概率"),
        (3, (0.5, 0.1, 0.01), {"stated_level": "serious"}, "与矩阵等级（高风险）不同，请说明理由"),
        (3, (0.5, 0.1, 0.01), {"stated_level": "purple"}, "未知的风险等级"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_saved(
    dana: Any, case: Any, panel: list[Any], severity: Any, ps: Any, extra: Any, message: str
) -> None:
    first = drawn(case, dana, n=1)[0]
    with pytest.raises(ExpertError, match=message):
        submit_rating(case, first.expert.user, severity=severity, steps=steps(case, *ps), **extra)
    with pytest.raises(ExpertError, match="伤害情景至少需要一个步骤"):
        submit_rating(case, first.expert.user, severity=3, steps=[])
    first.refresh_from_db()
    assert first.status == "drawn"
    assert not ExpertRating.objects.exists()
    assert not AuditEvent.objects.filter(action__in=("rate", "accept_draw")).exists()


def test_a_stated_level_needs_a_reason_and_counts(dana: Any, case: Any, panel: list[Any]) -> None:
    first = drawn(case, dana, n=1)[0]
    rating = rate(case, first, HIGH, stated_level="serious", level_reason="涉及儿童，伤害后果更重")
    assert (rating.computed_level, rating.stated_level, rating.level) == (
        "high",
        "serious",
        "serious",
    )
    same = rate(case, first, HIGH, stated_level="high")  # the same as the matrix: no reason
    assert same.pk == rating.pk and same.stated_level == "" and same.level == "high"


def test_a_revised_rating_asks_for_a_new_aggregate(dana: Any, case: Any, panel: list[Any]) -> None:
    members = drawn(case, dana)
    for member in members:
        rate(case, member, HIGH)
    aggregate_round(case, dana)
    rate(case, members[0], MEDIUM, comment="重新考虑后下调")
    assert AuditEvent.objects.filter(action="revise_rating").count() == 1
    rnd = RatingRound.objects.get(case=case)
    assert rnd.aggregated_at is None and rnd.summary["level"] == "high"
    with pytest.raises(ExpertError, match="请先汇总第1轮"):
        conclude_from_experts(case, dana)
    assert aggregate_round(case, dana).summary["dissent"][0]["level"] == "medium"
