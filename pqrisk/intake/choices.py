from django.db import models


class SourceKind(models.TextChoices):
    """Where a piece of risk information came from (guidance tasks 1 and 2)."""

    LICENSING = "licensing", "生产许可"
    SPOT_CHECK = "spot_check", "监督抽查"
    PENALTY = "penalty", "行政处罚"
    COMPLAINT = "complaint", "投诉举报"
    INJURY = "injury", "伤害监测"
    RECALL = "recall", "缺陷召回"
    MEDIA = "media", "网络舆情"
    STATION = "station", "监测站报送"
    FOREIGN_RECALL = "foreign_recall", "境外召回通报"


class QuarantineReason(models.TextChoices):
    MALFORMED = "malformed", "格式错误"
    ENCODING = "encoding", "编码无法识别"
    MISSING_FIELD = "missing_field", "缺少必填字段"
    INVALID_USCC = "invalid_uscc", "统一社会信用代码无效"
    UNKNOWN_DISTRICT = "unknown_district", "行政区无法识别"
    UNKNOWN_SOURCE = "unknown_source", "来源类型无法识别"
    TOO_LARGE = "too_large", "内容超长"
    INVALID_VALUE = "invalid_value", "字段取值无效"


class QuarantineResolution(models.TextChoices):
    """What became of a quarantined record; an open one has none yet."""

    REPLAYED = "replayed", "已重新导入"
    DISMISSED = "dismissed", "不予处理"


# The audit state of a quarantined record not yet resolved ("open" is a disposal task's state).
QUARANTINE_OPEN = "quarantined"
QUARANTINE_STATE_LABELS = {QUARANTINE_OPEN: "待处理", **dict(QuarantineResolution.choices)}
# Audit actions on quarantined records, as users read them.
QUARANTINE_ACTION_LABELS = {
    "quarantine_replay": "更正后重新导入",
    "quarantine_replay_rejected": "重新导入未通过",
    "quarantine_dismiss": "不予处理",
}
