from django.db import models


class StationKind(models.TextChoices):
    LAB = "lab", "检验检测机构"
    ASSOCIATION = "association", "行业协会"
    ECOMMERCE = "ecommerce", "电商平台"
    LEADING_ENTERPRISE = "leading_enterprise", "龙头企业"
    HOSPITAL = "hospital", "医疗机构"


class StationStatus(models.TextChoices):
    ACTIVE = "active", "在用"
    SUSPENDED = "suspended", "暂停"
    REVOKED = "revoked", "撤销"
