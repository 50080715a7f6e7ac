"""Expert choices. Availability, match modes and avoidance rules live in the domain core
(``pqrisk.core.assessment.draw``) with their Chinese labels."""

from django.db import models

from pqrisk.core.assessment.draw import Availability, MatchMode, Rule

AVAILABILITY_CHOICES = [(a.value, a.label) for a in Availability]
MATCH_CHOICES = [(m.value, m.label) for m in MatchMode]
RULE_CHOICES = [(r.value, r.label) for r in Rule]


class DrawnStatus(models.TextChoices):
    """A drawn expert: drawn → accepted, or declined (with a reason) → replaced by the next
    expert in the draw's seeded order (stays "declined" when the reserve is used up)."""

    DRAWN = "drawn", "已抽取，待确认"
    ACCEPTED = "accepted", "已接受"
    DECLINED = "declined", "已拒绝"
    REPLACED = "replaced", "已拒绝，已替补"


# Panel members who may rate: drawn and not declined.
ACTIVE_STATUSES = (DrawnStatus.DRAWN, DrawnStatus.ACCEPTED)

# Audit actions of this app, as the pages name them.
ACTION_LABELS = {
    "register_expert": "登记专家",
    "update_expert": "修改专家信息",
    "expert_draw": "抽取专家",
    "accept_draw": "接受抽取",
    "decline_draw": "拒绝抽取",
    "replace_expert": "替补专家",
    "rate": "提交专家评分",
    "revise_rating": "修改专家评分",
    "expert_aggregate": "汇总专家评估",
    "start_round": "开展下一轮评估",
}
