"""The loop's automatic steps in order: screen → assess → propose warnings → warning and
disposal clocks.

Each step is idempotent, so running the pipeline twice does no harm and a crashed run can be
started again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pqrisk.assessment.services import assess_pending
from pqrisk.disposal.services import check_deadlines
from pqrisk.enterprises.matching import match_pending
from pqrisk.screening.services import screen_pending
from pqrisk.warnings.services import check_publication_deadlines, propose_pending

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class PipelineReport:
    screened: dict[str, int]
    assessed: dict[str, int]
    proposals: dict[str, int]
    escalated: int
    reminders: int = 0  # publication reminders sent for approved warnings
    matched: dict[str, int] | None = None  # record → enterprise/product matching

    def lines_zh(self) -> list[str]:
        from pqrisk.core.levels import RiskLevel
        from pqrisk.screening.choices import RiskInfoStatus

        screened = "，".join(
            f"{RiskInfoStatus(k).label} {v}" for k, v in self.screened.items() if v
        )
        assessed = "，".join(f"{RiskLevel(k).label} {v}" for k, v in self.assessed.items())
        matched = self.matched or {}
        return [
            f"筛查：{screened or '无新信息'}",
            f"企业与产品匹配：{matched.get('records', 0)} 条，"
            f"确认企业 {matched.get('enterprise_accepted', 0)}、"
            f"产品 {matched.get('product_accepted', 0)}，"
            f"待复核 {matched.get('enterprise_pending', 0) + matched.get('product_pending', 0)}",
            f"评估：{assessed or '无待评估信息'}",
            f"预警建议：新增 {self.proposals.get('new', 0)} 条，"
            f"并入已有预警 {self.proposals.get('joined', 0)} 条",
            f"预警发布提醒：{self.reminders} 条",
            f"处置督办：{self.escalated} 项",
        ]


def run_pipeline(progress: Progress | None = None) -> PipelineReport:
    def step(name: str) -> Callable[[int], None] | None:
        return (lambda n: progress(name, n)) if progress else None

    screened = screen_pending(progress=step("screen"))
    # Links to enterprises and products are final before assessment and warnings.
    matched = match_pending()
    assessed = assess_pending(progress=step("assess"))
    proposals = propose_pending()
    reminders = sum(check_publication_deadlines().values())
    escalated = check_deadlines()
    return PipelineReport(screened, assessed, proposals, escalated, reminders, matched)
