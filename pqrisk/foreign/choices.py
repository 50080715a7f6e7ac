"""Choices of the foreign-alert app (境外通报): each value carries its Chinese label and the
colour the pages show it in."""

from __future__ import annotations

from django.db import models


class AlertOrigin(models.TextChoices):
    SAFETY_GATE = "safety_gate", "欧盟Safety Gate"
    CPSC = "cpsc", "美国CPSC"


class AlertStatus(models.TextChoices):
    """Where an alert stands: tagged and waiting for matching, matched to a local firm, a
    candidate waiting for a reviewer, no local firm found, or an assessment case opened."""

    PENDING = "pending", "待处理"
    MATCHED = "matched", "已关联企业"
    REVIEW = "review", "待人工复核"
    NO_MATCH = "no_match", "无本地关联"
    CASE_OPENED = "case_opened", "已立案"


ALERT_STATUS_COLOURS = {
    AlertStatus.PENDING: "#8c8c8c",
    AlertStatus.MATCHED: "#d4380d",
    AlertStatus.REVIEW: "#d48806",
    AlertStatus.NO_MATCH: "#389e0d",
    AlertStatus.CASE_OPENED: "#1d39c4",
}


class MatchState(models.TextChoices):
    """A candidate firm for an alert: confirmed by the rules (confidence at or above the
    auto-confirm threshold), waiting for a reviewer, or decided by one."""

    AUTO_CONFIRMED = "auto_confirmed", "自动确认"
    PENDING = "pending", "待复核"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已驳回"


MATCH_STATE_COLOURS = {
    MatchState.AUTO_CONFIRMED: "#d4380d",
    MatchState.PENDING: "#d48806",
    MatchState.CONFIRMED: "#cf1322",
    MatchState.REJECTED: "#8c8c8c",
}
ACCEPTED_STATES = (MatchState.AUTO_CONFIRMED, MatchState.CONFIRMED)
OPEN_STATES = (MatchState.AUTO_CONFIRMED, MatchState.PENDING)


class MatchMethod(models.TextChoices):
    """What a candidate rests on, strongest first (base confidences in matching.py)."""

    BARCODE = "barcode", "商品条码一致"
    MODEL_BRAND = "model_brand", "型号与品牌一致"
    NAME_EXACT = "name_exact", "企业名称（含英文名）一致"
    MODEL = "model", "型号一致（品牌未知）"
    BRAND_ALIAS = "brand_alias", "品牌为企业品牌或别名"
    FUZZY_NAME = "fuzzy_name", "制造商名称相近"


class AliasKind(models.TextChoices):
    BRAND = "brand", "品牌（英文/外文）"
    ENGLISH_NAME = "english_name", "企业英文名称"
    PINYIN = "pinyin", "拼音名称"


class PollState(models.TextChoices):
    NEW = "new", "尚未采集"
    OK = "ok", "正常"
    UNCHANGED = "unchanged", "无更新"
    ERROR = "error", "失败"


# Audit actions of this app, as users read them.
ACTION_LABELS = {
    "foreign_tagged": "境外通报标注入库",
    "foreign_status": "境外通报状态变更",
    "foreign_match_auto": "自动关联本地企业",
    "foreign_match_pending": "候选企业待复核",
    "foreign_match_confirm": "确认关联企业",
    "foreign_match_reject": "驳回关联企业",
    "foreign_match_drop": "候选企业不再成立",
    "foreign_alias_add": "添加企业别名",
    "foreign_alias_remove": "删除企业别名",
    "foreign_raise": "境外通报转为本地风险信息",
    "foreign_lower": "撤回境外通报转入的风险信息",
    "foreign_case": "境外通报已立案评估",
    "foreign_poll": "采集境外通报",
}
