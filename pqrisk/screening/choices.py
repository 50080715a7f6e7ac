from django.db import models


class RiskInfoStatus(models.TextChoices):
    """Where a screened item stands in the loop."""

    DUPLICATE = "duplicate", "重复信息"
    NOISE = "noise", "无风险信号"
    REFERENCE = "reference", "境外参考信息"
    PENDING_ASSESSMENT = "pending_assessment", "待评估"
    ASSESSED = "assessed", "已评估"
    WARNED = "warned", "已纳入预警"
