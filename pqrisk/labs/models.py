"""Lab sampling (实验室风险评估, Shanghai guidance task 6).

A sampling task (抽样任务) buys a product the way a consumer would (mystery shopping: the
platform or shop, the order and its receipt), seals what was bought as samples (样品), follows
each sample hand to hand to the lab (样品流转记录), and records the lab's results item by item
(检验项目) and any rapid tests (快检). A failed item raises a violation lead (违法线索) for
enforcement, and the results become evidence of the assessment case the task serves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from pqrisk.core.assessment.lab import Screening

from .choices import (
    COMPARISON_CHOICES,
    SCREENING_CHOICES,
    VERDICT_CHOICES,
    CustodyKind,
    LeadStatus,
    PurchaseChannel,
    ResultSource,
    TaskStatus,
)


class SamplingTask(models.Model):
    """A sampling task (抽样任务): what to buy, where and how it was bought, and which lab
    tests it. Its states are ``pqrisk.core.assessment.lab.LAB_TASK_MACHINE``."""

    code = models.CharField("任务编号", max_length=30, unique=True)
    title = models.CharField("任务名称", max_length=200)
    status = models.CharField(
        "状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.PLANNED, db_index=True
    )
    case = models.ForeignKey(
        "assessment.AssessmentCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
        verbose_name="评估任务",
    )
    product_category = models.ForeignKey(
        "reference.ProductCategory",
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
        verbose_name="产品类别",
    )
    product_name = models.CharField("产品名称", max_length=200, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
        verbose_name="生产企业",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
        verbose_name="所属区",
    )
    requirements = models.TextField("抽样要求", blank=True)
    # How it is (to be) bought: planned when the task is created, confirmed at purchase.
    channel = models.CharField("购买渠道", max_length=20, choices=PurchaseChannel.choices)
    platform = models.CharField("电商平台", max_length=100, blank=True)
    shop_name = models.CharField("店铺名称", max_length=200, blank=True)
    shop_url = models.URLField("店铺网址", max_length=500, blank=True)
    shop_address = models.CharField("店铺地址", max_length=300, blank=True)
    # The purchase (模拟消费者购买).
    purchased_on = models.DateField("购买日期", null=True, blank=True)
    order_number = models.CharField("订单号", max_length=100, blank=True)
    price = models.DecimalField(
        "单价（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    quantity = models.PositiveIntegerField("购买数量", null=True, blank=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="购买人",
    )
    buyer_account = models.CharField(
        "购买账号/收货人", max_length=100, blank=True, help_text="以消费者身份购买时使用的账号"
    )
    purchase_record = models.FileField(
        "购买凭证", upload_to="labs/purchases/%Y/%m/", blank=True, max_length=300
    )
    purchase_note = models.TextField("购买说明", blank=True)
    lab = models.CharField("承检机构", max_length=200, blank=True)
    due_on = models.DateField("完成期限", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "抽样任务"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def where_bought(self) -> str:
        """Platform and shop, or the store, as one line."""
        parts = [self.platform, self.shop_name] if self.platform else [self.shop_name]
        return " · ".join(p for p in parts if p) or self.get_channel_display()


class Sample(models.Model):
    """A sample (样品): one sealed unit (or set) bought for the task; its code is printed on
    the seal and is what the lab reports against."""

    task = models.ForeignKey(
        SamplingTask, on_delete=models.PROTECT, related_name="samples", verbose_name="抽样任务"
    )
    code = models.CharField("样品编号", max_length=40, unique=True)
    name = models.CharField("样品名称", max_length=200)
    brand = models.CharField("品牌", max_length=100, blank=True)
    model = models.CharField("型号规格", max_length=100, blank=True)
    batch = models.CharField("批号", max_length=100, blank=True)
    produced_on = models.DateField("生产日期", null=True, blank=True)
    manufacturer_name = models.CharField("标称生产者", max_length=200, blank=True)
    seal_number = models.CharField("封条编号", max_length=60)
    quantity = models.PositiveIntegerField("样品数量", default=1)
    condition = models.CharField("收货时状态", max_length=300, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["task", "code"]
        verbose_name = verbose_name_plural = "样品"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CustodyEntry(models.Model):
    """One hand-over in a sample's chain of custody (样品流转记录). Rows are only ever added:
    the chain is evidence, a mistake is corrected by a further entry with a note."""

    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, related_name="custody", verbose_name="样品"
    )
    kind = models.CharField("环节", max_length=20, choices=CustodyKind.choices)
    at = models.DateTimeField("交接时间")
    from_party = models.CharField("交出方", max_length=200)
    to_party = models.CharField("接收方", max_length=200)
    location = models.CharField("地点", max_length=300, blank=True)
    seal_intact = models.BooleanField("封条完好", default=True)
    note = models.CharField("说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="记录人",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "样品流转记录"

    def __str__(self) -> str:
        return f"{self.sample.code} {self.get_kind_display()} {self.from_party} → {self.to_party}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("custody entries are append-only")
        super().save(*args, **kwargs)


class ResultBatch(models.Model):
    """Results recorded together: one lab report entered by hand or one imported file."""

    task = models.ForeignKey(
        SamplingTask,
        on_delete=models.PROTECT,
        related_name="result_batches",
        verbose_name="抽样任务",
    )
    source = models.CharField("录入方式", max_length=10, choices=ResultSource.choices)
    lab = models.CharField("检验机构", max_length=200)
    report_number = models.CharField("检验报告编号", max_length=100, blank=True)
    file = models.FileField("结果文件", upload_to="labs/results/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    rows = models.PositiveIntegerField("项目数", default=0)
    evidence = models.ForeignKey(
        "assessment.CaseEvidence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="评估证据",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = verbose_name_plural = "检验结果批次"

    def __str__(self) -> str:
        return f"{self.task.code} {self.get_source_display()} {self.rows}项"


class TestItem(models.Model):
    """One test item of a sample (检验项目): the requirement of a standard clause, the value
    measured and the verdict (``pqrisk.core.assessment.lab.judge``)."""

    __test__ = False  # not a pytest test class, whatever its name

    batch = models.ForeignKey(
        ResultBatch, on_delete=models.PROTECT, related_name="items", verbose_name="结果批次"
    )
    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, related_name="test_items", verbose_name="样品"
    )
    name = models.CharField("检验项目", max_length=200)
    standard = models.CharField("检验依据（标准条款）", max_length=200)
    requirement = models.TextField("技术要求", blank=True)
    comparison = models.CharField("限值类型", max_length=20, choices=COMPARISON_CHOICES)
    limit_text = models.CharField("限值", max_length=100, blank=True)
    unit = models.CharField("单位", max_length=40, blank=True)
    measured_text = models.CharField("实测值", max_length=200)
    measured_value = models.FloatField("实测数值", null=True, blank=True)
    uncertainty = models.FloatField("扩展不确定度U", null=True, blank=True)
    lab_verdict = models.CharField("实验室判定", max_length=20, blank=True)
    verdict = models.CharField("判定", max_length=20, choices=VERDICT_CHOICES, db_index=True)
    verdict_reason = models.CharField("判定说明", max_length=500, blank=True)
    near_limit = models.BooleanField("临界结果", default=False)
    lab = models.CharField("检验机构", max_length=200)
    tested_on = models.DateField("检验日期")
    row_number = models.PositiveIntegerField("文件行号", null=True, blank=True)

    class Meta:
        ordering = ["sample", "id"]
        verbose_name = verbose_name_plural = "检验项目"

    def __str__(self) -> str:
        return f"{self.sample.code} {self.name}：{self.get_verdict_display()}"

    @property
    def limit_shown(self) -> str:
        return self.limit_text or "—"


class RapidTest(models.Model):
    """A rapid test (快检) on a sample or on site: a screening, never a verdict. A positive or
    suspect one needs a lab test of the same item (``confirmed_by``)."""

    task = models.ForeignKey(
        SamplingTask, on_delete=models.PROTECT, related_name="rapid_tests", verbose_name="抽样任务"
    )
    sample = models.ForeignKey(
        Sample,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rapid_tests",
        verbose_name="样品",
    )
    location = models.CharField("检测地点", max_length=300, blank=True, help_text="现场快检时填写")
    item = models.CharField("检测项目", max_length=200)
    method = models.CharField("检测方法", max_length=200)
    instrument = models.CharField("仪器/试剂", max_length=200, blank=True)
    comparison = models.CharField("阈值类型", max_length=20, choices=COMPARISON_CHOICES)
    limit_text = models.CharField("筛查阈值", max_length=100, blank=True)
    unit = models.CharField("单位", max_length=40, blank=True)
    result_text = models.CharField("结果", max_length=200)
    result_value = models.FloatField("结果数值", null=True, blank=True)
    uncertainty = models.FloatField("扩展不确定度U", null=True, blank=True)
    coverage_factor = models.FloatField("包含因子k", null=True, blank=True)
    detection_limit = models.FloatField("检出限", null=True, blank=True)
    screening = models.CharField("筛查结论", max_length=20, choices=SCREENING_CHOICES)
    screening_reason = models.CharField("筛查说明", max_length=500, blank=True)
    confirmed_by = models.ForeignKey(
        TestItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="confirms",
        verbose_name="确认检验项目",
    )
    tested_at = models.DateTimeField("检测时间")
    tested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="检测人",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["tested_at", "id"]
        verbose_name = verbose_name_plural = "快检记录"

    def __str__(self) -> str:
        return f"{self.item} {self.result_text}：{self.get_screening_display()}"

    @property
    def needs_lab_test(self) -> bool:
        """Positive or suspect, and no lab test of the item yet (后续须实验室检验确认)."""
        return Screening(self.screening).needs_lab_test and self.confirmed_by_id is None


class ViolationLead(models.Model):
    """A violation lead (违法线索) raised by failed test items of one sample, for enforcement.
    Its states are ``pqrisk.core.assessment.lab.LEAD_MACHINE``."""

    code = models.CharField("线索编号", max_length=30, unique=True)
    task = models.ForeignKey(
        SamplingTask, on_delete=models.PROTECT, related_name="leads", verbose_name="抽样任务"
    )
    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, related_name="leads", verbose_name="样品"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violation_leads",
        verbose_name="涉及企业",
    )
    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violation_leads",
        verbose_name="所属区",
    )
    failed_items = models.ManyToManyField(TestItem, related_name="leads", verbose_name="不合格项目")
    rapid_tests = models.ManyToManyField(
        RapidTest, blank=True, related_name="leads", verbose_name="相关快检"
    )
    summary = models.TextField("线索摘要")
    legal_basis = models.TextField(
        "建议法律依据", blank=True, help_text="供执法部门参考，须核实后适用"
    )
    status = models.CharField(
        "状态", max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW, db_index=True
    )
    referred_to = models.CharField("移送单位", max_length=200, blank=True)
    referred_at = models.DateTimeField("移送时间", null=True, blank=True)
    outcome = models.TextField("办理结果", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    flagged_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        verbose_name = verbose_name_plural = "违法线索"

    def __str__(self) -> str:
        return f"{self.code} {self.sample.code}"
