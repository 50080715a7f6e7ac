from django.db import models


class SignalKind(models.TextChoices):
    TEMPORAL = "temporal", "时间序列异常"
    DISPROPORTIONALITY = "disproportionality", "比例失衡"
    SPATIAL = "spatial", "时空聚集"


class SignalStatus(models.TextChoices):
    NEW = "new", "待审核"
    DISMISSED = "dismissed", "已排除"
    CASED = "cased", "已转评估"


class Granularity(models.TextChoices):
    DAY = "day", "日"
    WEEK = "week", "周"


# Sources counted in the series (METHODS §5/§6; issue 9): each separately and combined ("").
SERIES_SOURCES = ("complaint", "injury", "media", "spot_check")
COMBINED = ""
