"""Choices of lab sampling. Verdicts, comparisons and screening results carry their labels and
colours in the domain core (``pqrisk.core.assessment.lab``); the workflow states come from its
transition tables, so no label is written twice."""

from django.db import models

from pqrisk.core.assessment.lab import (
    LAB_TASK_MACHINE,
    LEAD_MACHINE,
    Comparison,
    Screening,
    Verdict,
)

VERDICT_CHOICES = Verdict.choices()
COMPARISON_CHOICES = Comparison.choices()
SCREENING_CHOICES = Screening.choices()


class TaskStatus(models.TextChoices):
    """States of ``LAB_TASK_MACHINE`` (labels from there)."""

    PLANNED = "planned", LAB_TASK_MACHINE.states["planned"]
    PURCHASED = "purchased", LAB_TASK_MACHINE.states["purchased"]
    SENT_TO_LAB = "sent_to_lab", LAB_TASK_MACHINE.states["sent_to_lab"]
    TESTED = "tested", LAB_TASK_MACHINE.states["tested"]
    CLOSED = "closed", LAB_TASK_MACHINE.states["closed"]
    CANCELLED = "cancelled", LAB_TASK_MACHINE.states["cancelled"]


class LeadStatus(models.TextChoices):
    """States of ``LEAD_MACHINE`` (labels from there)."""

    NEW = "new", LEAD_MACHINE.states["new"]
    REFERRED = "referred", LEAD_MACHINE.states["referred"]
    CLOSED = "closed", LEAD_MACHINE.states["closed"]


class PurchaseChannel(models.TextChoices):
    """Where the product is bought, as a consumer would buy it (模拟消费者购买)."""

    ECOMMERCE = "ecommerce", "电商平台"
    LIVESTREAM = "livestream", "直播/社交电商"
    STORE = "store", "实体店"
    MARKET = "market", "批发市场"
    OTHER = "other", "其他"


ONLINE_CHANNELS = frozenset({PurchaseChannel.ECOMMERCE, PurchaseChannel.LIVESTREAM})


class CustodyKind(models.TextChoices):
    """Steps of a sample's chain of custody (样品流转)."""

    RECEIVED = "received", "收货"
    SEALED = "sealed", "封样"
    HANDOVER = "handover", "交接"
    SHIPPED = "shipped", "寄送"
    LAB_RECEIVED = "lab_received", "实验室收样"
    RETAINED = "retained", "留样/备样"
    RETURNED = "returned", "退样"


# Steps that put the sample on its way to the lab: the task becomes 已送检.
TO_LAB = frozenset({CustodyKind.SHIPPED, CustodyKind.LAB_RECEIVED})


class ResultSource(models.TextChoices):
    MANUAL = "manual", "手工录入"
    FILE = "file", "文件导入"


# What a person reads for the audit actions of this app.
ACTION_LABELS = {
    "create_task": "创建抽样任务",
    "purchase": "登记购买",
    "send": "送检",
    "test": "录入检验结果",
    "close": "办结",
    "cancel": "撤销",
    "add_sample": "登记样品",
    "custody": "样品流转",
    "results": "录入检验结果",
    "rapid_test": "快检",
    "flag_lead": "生成违法线索",
    "add_items": "补充不合格项目",
    "refer": "移送执法",
    "lab_result": "添加检验结果证据",
    "quarantine": "检验结果文件存入隔离区",
}

# A suggestion only, for the enforcement officer to check: the Product Quality Law requires
# industrial products that may endanger health or safety to meet the national and industry
# standards that protect them (art. 13) and punishes producing or selling products that do
# not (art. 49); the E-Commerce Law holds online sellers to the same safety requirements
# (art. 13).
LEGAL_BASIS_SUGGESTION = (
    "《中华人民共和国产品质量法》第十三条、第四十九条"
    "（生产、销售不符合保障人体健康和人身、财产安全的国家标准、行业标准的产品）"
)
ONLINE_LEGAL_BASIS_SUGGESTION = (
    "；《中华人民共和国电子商务法》第十三条（电子商务经营者销售的商品应当符合保障人身、"
    "财产安全的要求）"
)
