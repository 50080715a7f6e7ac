from django.db import models


class StationKind(models.TextChoices):
    LAB = "lab", "检验检测机构"
    ASSOCIATION = "association", "行业协会"
    ECOMMERCE = "ecommerce", "电商平台"
    LEADING_ENTERPRISE = "leading_enterprise", "龙头企业"
    HOSPITAL = "hospital", "医疗机构"


class StationStatus(models.TextChoices):
    """A station is managed dynamically: suspended ones may be resumed, retired ones not."""

    ACTIVE = "active", "在用"
    SUSPENDED = "suspended", "暂停"
    RETIRED = "retired", "撤销"


# What a station whose status is not active is told when it calls the API (HTTP 403).
REFUSAL_BY_STATUS = {
    StationStatus.SUSPENDED: "监测站已暂停报送，请联系市局",
    StationStatus.RETIRED: "监测站已撤销，不能再报送；如有疑问请联系市局",
}

# Allowed status changes, with the verb a person reads on the button.
STATUS_TRANSITIONS: dict[str, dict[str, str]] = {
    StationStatus.ACTIVE: {StationStatus.SUSPENDED: "暂停", StationStatus.RETIRED: "撤销"},
    StationStatus.SUSPENDED: {StationStatus.ACTIVE: "恢复", StationStatus.RETIRED: "撤销"},
    StationStatus.RETIRED: {},
}

# Audit actions of this app, as the station page shows them.
ACTION_LABELS = {
    "register_station": "登记监测站",
    "set_status": "变更状态",
    "issue_token": "签发接口令牌",
    "revoke_token": "作废接口令牌",
    "stale": "超期未报送",
}
