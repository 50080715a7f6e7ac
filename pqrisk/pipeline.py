"""The loop's automatic steps in order: screen → assess → propose warnings → warning and
disposal clocks.

Each step is idempotent, so running the pipeline twice does no harm and a crashed run can be
started again.

Two ways through, one for time and one for certainty (both run by beat, see
``pqrisk.settings.celery_settings``):

- ``run_pipeline`` sweeps everything: every item not yet screened or matched, whatever its
  id, then assessment, proposals and the clocks. Every few minutes.
- ``screen_new`` and ``advance`` are the short path, every few seconds: screening looks only
  above where its last runs ended, and ``advance`` takes at most ``ADVANCE_LIMIT`` screened
  items through matching, assessment and proposals, so a proposal follows its evidence
  within seconds however long the backlog. Each runs once per database at a time and is
  skipped, not queued, while another holds it; so screening (one worker) and the steps
  after it (another) run side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pqrisk.assessment.services import assess_pending
from pqrisk.dbstats import refresh_statistics
from pqrisk.disposal.services import check_deadlines
from pqrisk.enterprises.matching import match_pending
from pqrisk.foreign.services import process_pending as process_foreign
from pqrisk.screening.index import database_lock
from pqrisk.screening.services import screen_pending
from pqrisk.warnings.services import check_publication_deadlines, propose_pending

Progress = Callable[[str, int], None]

# Screened items one ``advance`` run takes through matching and assessment: a run of this
# size takes a few seconds, so proposals are made every few seconds under load.
ADVANCE_LIMIT = 2000
_ADVANCE_LOCK = 0x707172616476  # "pqradv": one advance run per database at a time


@dataclass(frozen=True)
class PipelineReport:
    screened: dict[str, int]
    assessed: dict[str, int]
    proposals: dict[str, int]
    escalated: int
    reminders: int = 0  # publication reminders sent for approved warnings
    matched: dict[str, int] | None = None  # record → enterprise/product matching
    foreign: dict[str, int] | None = None  # foreign alerts tagged, matched, raised

    def lines_zh(self) -> list[str]:
        from pqrisk.core.levels import RiskLevel
        from pqrisk.screening.choices import RiskInfoStatus

        screened = "，".join(
            f"{RiskInfoStatus(k).label} {v}" for k, v in self.screened.items() if v
        )
        assessed = "，".join(f"{RiskLevel(k).label} {v}" for k, v in self.assessed.items())
        matched = self.matched or {}
        foreign = self.foreign or {}
        return [
            f"筛查：{screened or '无新信息'}",
            f"企业与产品匹配：{matched.get('records', 0)} 条，"
            f"确认企业 {matched.get('enterprise_accepted', 0)}、"
            f"产品 {matched.get('product_accepted', 0)}，"
            f"待复核 {matched.get('enterprise_pending', 0) + matched.get('product_pending', 0)}",
            f"境外通报：标注 {foreign.get('tagged', 0)} 条，"
            f"关联本地企业 {foreign.get('status_matched', 0)} 条，"
            f"待人工复核 {foreign.get('status_review', 0)} 条",
            f"评估：{assessed or '无待评估信息'}",
            f"预警建议：新增 {self.proposals.get('new', 0)} 条，"
            f"并入已有预警 {self.proposals.get('joined', 0)} 条",
            f"预警发布提醒：{self.reminders} 条",
            f"处置督办：{self.escalated} 项",
        ]


def run_pipeline(progress: Progress | None = None) -> PipelineReport:
    def step(name: str) -> Callable[[int], None] | None:
        return (lambda n: progress(name, n)) if progress else None

    refresh_statistics()
    screened = screen_pending(progress=step("screen"))
    # Links to enterprises and products are final before assessment and warnings.
    matched = match_pending()
    foreign = process_foreign()
    assessed = assess_pending(progress=step("assess"))
    proposals = propose_pending()
    reminders = sum(check_publication_deadlines().values())
    escalated = check_deadlines()
    return PipelineReport(screened, assessed, proposals, escalated, reminders, matched, foreign)


def advance(limit: int = ADVANCE_LIMIT) -> dict[str, int] | None:
    """The steps after screening for at most ``limit`` new items: match, assess, propose.
    None when another run holds the lock. ``more`` is 1 when items are left for the next
    run; ``*_ms`` are the CPU milliseconds of each step (for the load benchmark)."""
    with database_lock(_ADVANCE_LOCK, "advance.lock", wait=False) as held:
        if not held:
            return None
        out: dict[str, int] = {}
        clock = time.process_time()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.process_time()
            out[f"{name}_ms"] = round(1000 * (now - clock))
            clock = now

        # As the tables grow the planner needs new statistics (autovacuum may be off or
        # behind): the hot tables changed by a fifth since their last analysis are analysed.
        analysed = refresh_statistics()
        lap("analyse")
        matched = match_pending(limit, sweep=False)
        foreign = process_foreign(limit)
        lap("match")
        assessed = assess_pending(limit=limit)
        lap("assess")
        proposals = propose_pending()
        lap("propose")
    out.update(
        analysed=len(analysed),
        matched=matched.get("records", 0),
        foreign=foreign.get("tagged", 0),
        assessed=sum(assessed.values()),
        new=proposals.get("new", 0),
        joined=proposals.get("joined", 0),
    )
    out["more"] = int(out["matched"] >= limit or out["assessed"] >= limit)
    return out
