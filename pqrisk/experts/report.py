"""The expert assessment's section of a case's report (``pqrisk.assessment.report``)."""

from __future__ import annotations

from pqrisk.assessment.models import AssessmentCase
from pqrisk.core.assessment.matrix import format_probability
from pqrisk.core.levels import RiskLevel

from .models import ExpertDraw, ExpertRating, RatingRound


def _level(value: str) -> str:
    return RiskLevel(value).label if value else "—"


def expert_rows(case: AssessmentCase) -> list[str | list[list[str]]]:
    """The draw, each round's ratings and aggregate; nothing when no expert was drawn."""
    draw = ExpertDraw.objects.filter(case=case).first()
    if draw is None:
        return []
    rows: list[str | list[list[str]]] = [
        f"随机抽取专家 {draw.size} 人（随机种子 {draw.seed}，专业相符 {draw.pool_size} 人，"
        f"回避 {len(draw.excluded)} 人）。"
    ]
    for row in draw.excluded:
        reasons = "；".join(r.get("text", "") for r in row.get("reasons", []))
        rows.append(f"回避：{row.get('name', '')}（{reasons}）")
    for rnd in RatingRound.objects.filter(case=case).order_by("number"):
        ratings = ExpertRating.objects.filter(round=rnd).select_related("member__expert")
        rows.append(f"第{rnd.number}轮评估：")
        rows.append(
            [["专家", "严重程度", "发生概率", "认定等级", "处置建议"]]
            + [
                [
                    r.member.expert.name,
                    f"{r.severity}级",
                    format_probability(r.probability),
                    _level(r.stated_level or r.computed_level),
                    r.suggestions or "—",
                ]
                for r in ratings
            ]
        )
        summary = rnd.summary or {}
        if summary.get("level"):
            rows.append(
                f"汇总：专家评估等级{_level(summary['level'])}，伤害严重程度中位数"
                f"{summary.get('severity', '—')}级"
                + ("；意见分歧较大" if summary.get("divided") else "")
            )
            for reason in summary.get("delphi_reasons") or []:
                rows.append(f"分歧：{reason}")
    return rows
