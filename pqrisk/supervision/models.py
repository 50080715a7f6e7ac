"""Supervision by risk (信用风险分级分类监管, issue 10 parts 3–7): product risk levels, credit
grades with history, spot-check plans, trigger events with their inspection tasks, measures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pqrisk.core.supervision.grading import Grade

from .choices import GRADE_CHOICES, MEASURE_CHOICES, RULE_CHOICES, TIER_CHOICES, InspectionStatus


class ProductRiskLevel(models.Model):
    """A product category's risk tier (产品风险等级) from assessments and statistical signals."""

    product_category = models.OneToOneField(
        "reference.ProductCategory",
        on_delete=models.CASCADE,
        related_name="risk_level",
        verbose_name="产品类别",
    )
    tier = models.CharField("风险等级", max_length=20, choices=TIER_CHOICES, db_index=True)
    reasons = models.JSONField("依据", default=list, blank=True)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        ordering = ["product_category__code"]
        verbose_name = verbose_name_plural = "产品风险等级"

    def __str__(self) -> str:
        return f"{self.product_category} · {self.get_tier_display()}"


class CreditGrade(models.Model):
    """An enterprise's credit-risk grade as computed once; the newest is ``is_current``, the
    others are its history. ``explanation`` lists every contribution (they sum to ``score``)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="credit_grades",
        verbose_name="企业",
    )
    district = models.ForeignKey(
        "reference.District",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="所属区",
    )
    grade = models.CharField("信用风险等级", max_length=1, choices=GRADE_CHOICES, db_index=True)
    score = models.DecimalField("风险得分", max_digits=9, decimal_places=2)
    explanation = models.JSONField("分级说明", default=dict)
    inputs_version = models.CharField("输入版本", max_length=32)
    policy_version = models.CharField("规则版本", max_length=32)
    # The newest record time considered: records newer than this call for a regrade.
    records_until = models.DateTimeField("记录截至", null=True, blank=True)
    is_current = models.BooleanField("当前等级", default=True, db_index=True)
    computed_at = models.DateTimeField("计算时间", db_index=True)
    # The last time the inputs were checked and found unchanged (no new history row).
    checked_at = models.DateTimeField("核对时间")

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = verbose_name_plural = "企业信用风险等级"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(is_current=True), name="one_current_grade"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.grade}"

    @property
    def level(self) -> Grade:
        """The grade with its label, colour and policy."""
        return Grade(self.grade)

    @property
    def contributions(self) -> list[dict[str, object]]:
        return list(self.explanation.get("contributions", []))


class SpotCheckPlan(models.Model):
    """A differentiated spot-check plan (差异化抽查计划, 双随机) for a period."""

    title = models.CharField("计划名称", max_length=200)
    period_start = models.DateField("计划开始")
    period_end = models.DateField("计划结束")
    budget = models.PositiveIntegerField("抽查样本数")
    seed = models.BigIntegerField("随机种子")
    population = models.JSONField("各等级企业数", default=dict)
    allocation = models.JSONField("各等级抽查数", default=dict)
    rates = models.JSONField("各等级抽查比例", default=dict)
    district_shares = models.JSONField("各区分配", default=dict)
    draw = models.JSONField("抽取记录", default=dict)
    notes = models.JSONField("说明", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="制定人",
    )
    created_at = models.DateTimeField("制定时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "抽查计划"

    def __str__(self) -> str:
        return self.title


class PlanEntry(models.Model):
    """An enterprise drawn into a plan, with the products to sample and why (Chinese)."""

    plan = models.ForeignKey(
        SpotCheckPlan, on_delete=models.CASCADE, related_name="entries", verbose_name="抽查计划"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name="企业"
    )
    district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="所属区"
    )
    grade = models.CharField("信用风险等级", max_length=1, choices=GRADE_CHOICES)
    position = models.PositiveIntegerField("随机排序位次")
    rank_key = models.CharField("排序键（SHA-256）", max_length=64)
    products = models.JSONField("抽检产品", default=list)
    reasons = models.JSONField("抽取理由", default=list)

    class Meta:
        ordering = ["plan", "grade", "district__code", "position"]
        verbose_name = verbose_name_plural = "抽查计划对象"
        constraints = [
            models.UniqueConstraint(fields=["plan", "enterprise"], name="one_entry_per_firm")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.enterprise}"

    @property
    def level(self) -> Grade:
        return Grade(self.grade)


class SupervisionTrigger(models.Model):
    """A trigger event (触发事件) of a rule for an enterprise; ``event_key`` is unique so a
    re-run of the rules never records an event twice."""

    rule = models.CharField("触发规则", max_length=30, choices=RULE_CHOICES, db_index=True)
    event_key = models.CharField("事件键", max_length=200, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="supervision_triggers",
        verbose_name="企业",
    )
    district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="所属区"
    )
    description = models.CharField("说明", max_length=500)
    evidence = models.JSONField("证据", default=dict)
    occurred_on = models.DateField("事件日期")
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "触发事件"

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_rule_display()}"


class InspectionTask(models.Model):
    """A supervision inspection (监督检查) triggered by one event: exactly one per trigger."""

    trigger = models.OneToOneField(
        SupervisionTrigger,
        on_delete=models.CASCADE,
        related_name="task",
        verbose_name="触发事件",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="inspection_tasks",
        verbose_name="企业",
    )
    district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="所属区"
    )
    reason = models.CharField("检查事由", max_length=500)
    due_date = models.DateField("完成期限")
    status = models.CharField(
        "状态",
        max_length=20,
        choices=InspectionStatus.choices,
        default=InspectionStatus.OPEN,
        db_index=True,
    )
    result = models.TextField("检查结果", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        ordering = ["status", "due_date", "-id"]
        verbose_name = verbose_name_plural = "触发检查任务"

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.reason}"


class SupervisionMeasure(models.Model):
    """A measure decided for an enterprise (约谈、列异列严、提高检查频次、责令整改 …)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="supervision_measures",
        verbose_name="企业",
    )
    district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, related_name="+", verbose_name="所属区"
    )
    kind = models.CharField("监管措施", max_length=30, choices=MEASURE_CHOICES)
    grade = models.CharField("决定时等级", max_length=1, choices=GRADE_CHOICES, blank=True)
    legal_basis = models.TextField("法律依据")
    note = models.TextField("说明", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="决定人",
    )
    decided_on = models.DateField("决定日期")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = verbose_name_plural = "监管措施"

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_kind_display()}"
