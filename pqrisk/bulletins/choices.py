"""Bulletin kinds, states and sections (《产品质量安全资讯》).

The workflow is an explicit transition table on the core's ``StateMachine``: analysts draft
and submit, the city supervisor (市局监管处) returns or publishes; publication freezes it.
"""

from __future__ import annotations

from django.db import models

from pqrisk.core.workflow import (
    ANALYST,
    CITY_ADMIN,
    CITY_SUPERVISOR,
    SYSTEM,
    StateMachine,
    Transition,
)


class BulletinKind(models.TextChoices):
    WEEKLY = "weekly", "周刊"
    MONTHLY = "monthly", "月刊"
    THEMATIC = "thematic", "专刊"


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    IN_REVIEW = "in_review", "待审核"
    PUBLISHED = "published", "已发布"


# Who drafts, edits and submits: the assessment centre and the city bureau (and the
# scheduled job that drafts the weekly and monthly issues). Who returns and publishes: the
# city bureau's supervision division.
DRAFTER_ROLES = frozenset({ANALYST, CITY_SUPERVISOR, CITY_ADMIN})
PUBLISHER_ROLES = frozenset({CITY_SUPERVISOR, CITY_ADMIN})

BULLETIN_MACHINE = StateMachine(
    "bulletin",
    states=dict(BulletinStatus.choices),
    initial=BulletinStatus.DRAFT.value,
    transitions=(
        Transition("submit", "draft", "in_review", "提交审核", DRAFTER_ROLES | {SYSTEM}),
        Transition("return", "in_review", "draft", "退回修改", PUBLISHER_ROLES),
        Transition("publish", "in_review", "published", "审核发布", PUBLISHER_ROLES),
    ),
)
EDITABLE_STATES = (BulletinStatus.DRAFT.value, BulletinStatus.IN_REVIEW.value)

# The sections of an issue, in order: (key, heading). Each has a text a person may edit and
# the period's data (tables, charts) that the documents lay out after the text.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "本期概况"),
    ("warnings", "新发布预警"),
    ("risks", "重点风险"),
    ("signals", "风险信号"),
    ("disposal", "处置结果"),
    ("tips", "消费提示"),
)
SECTION_HEADINGS = dict(SECTIONS)

# Audit actions on a bulletin as users read them.
ACTION_LABELS = {
    "create": "起草资讯",
    "edit": "修改资讯内容",
    "regenerate": "重新生成数据",
    **BULLETIN_MACHINE.actions,
}
