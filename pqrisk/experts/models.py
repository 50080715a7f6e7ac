"""The expert library (专家库), random draws of experts for assessment cases and the experts'
ratings, round by round (Delphi).

Rows change only through ``pqrisk.experts.services``, which audits every change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pqrisk.assessment.choices import RISK_LEVEL_CHOICES
from pqrisk.core.assessment.draw import Availability

from .choices import AVAILABILITY_CHOICES, MATCH_CHOICES, DrawnStatus

# The catalogue level of a product family (pqrisk.taxonomy.loader.LEVEL_FAMILY).
FAMILY_LEVEL = 1


class Expert(models.Model):
    """An expert of the library: who they are, what they know, when they can serve and what
    might bias them. ``user`` is their login (role 专家), linked once they have one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
        verbose_name="登录账户",
    )
    name = models.CharField("姓名", max_length=50)
    organisation = models.CharField("所在单位", max_length=200)
    title = models.CharField("职称", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=50, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    product_families = models.ManyToManyField(
        "reference.ProductCategory",
        blank=True,
        related_name="experts",
        limit_choices_to={"level": FAMILY_LEVEL},
        verbose_name="熟悉的产品大类",
    )
    hazards = models.ManyToManyField(
        "reference.HazardType", blank=True, related_name="experts", verbose_name="熟悉的危害类型"
    )
    disciplines = models.JSONField("专业方向", default=list, blank=True)
    availability = models.CharField(
        "可参加情况",
        max_length=20,
        choices=AVAILABILITY_CHOICES,
        default=Availability.ACTIVE.value,
        db_index=True,
    )
    unavailable_until = models.DateField("暂不可参加至", null=True, blank=True)
    employer = models.CharField(
        "任职或兼职单位", max_length=200, blank=True, help_text="与所在单位不同时填写"
    )
    conflict_enterprises = models.ManyToManyField(
        "enterprises.Enterprise",
        blank=True,
        related_name="conflicted_experts",
        verbose_name="曾任职或提供服务的企业",
    )
    conflict_declaration = models.TextField("利益冲突声明", blank=True)
    note = models.TextField("备注", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = verbose_name_plural = "专家"

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation}）"


class ExpertDraw(models.Model):
    """One random draw of experts for a case: the criteria, the seed that makes it
    reproducible, the pool, the experts excluded with the rule that excluded each, the seeded
    order of the eligible experts (the reserve for replacements) and the replacements made."""

    case = models.ForeignKey(
        "assessment.AssessmentCase",
        on_delete=models.PROTECT,
        related_name="expert_draws",
        verbose_name="评估任务",
    )
    size = models.PositiveSmallIntegerField("抽取人数")
    match = models.CharField("匹配方式", max_length=20, choices=MATCH_CHOICES)
    criteria = models.JSONField("抽取条件", default=dict)
    seed = models.CharField("随机种子", max_length=20)
    pool_size = models.PositiveIntegerField("专业匹配人数")
    order = models.JSONField("抽取顺序", default=list, help_text="合格专家按随机种子排列的编号")
    excluded = models.JSONField("回避专家", default=list)
    notes = models.JSONField("说明", default=list, blank=True)
    replacements = models.JSONField("替补记录", default=list, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="抽取人",
    )
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = verbose_name_plural = "专家抽取"

    def __str__(self) -> str:
        return f"{self.case.code} 专家抽取 #{self.pk}"


class DrawnExpert(models.Model):
    """An expert drawn for a case, in the place the seed gave them."""

    draw = models.ForeignKey(
        ExpertDraw, on_delete=models.CASCADE, related_name="members", verbose_name="专家抽取"
    )
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="draws", verbose_name="专家"
    )
    position = models.PositiveSmallIntegerField("抽取顺位")
    status = models.CharField(
        "状态", max_length=20, choices=DrawnStatus.choices, default=DrawnStatus.DRAWN
    )
    decline_reason = models.TextField("拒绝理由", blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
        verbose_name="替补对象",
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="确认人",
    )
    responded_at = models.DateTimeField("确认时间", null=True, blank=True)
    created_at = models.DateTimeField("抽中时间", auto_now_add=True)

    class Meta:
        ordering = ["draw", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "expert"], name="experts_one_place_per_draw")
        ]
        verbose_name = verbose_name_plural = "抽中专家"

    def __str__(self) -> str:
        return f"{self.expert.name}（第{self.position}顺位）"

    @property
    def active(self) -> bool:
        return self.status in (DrawnStatus.DRAWN, DrawnStatus.ACCEPTED)


class RatingRound(models.Model):
    """A round of expert rating of a case: round 1 opens with the draw, round 2 (Delphi) when
    the first round's spread calls for it. The aggregate of the round is kept in ``summary``."""

    case = models.ForeignKey(
        "assessment.AssessmentCase",
        on_delete=models.CASCADE,
        related_name="rating_rounds",
        verbose_name="评估任务",
    )
    number = models.PositiveSmallIntegerField("轮次")
    reason = models.TextField("开展原因", blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发起人",
    )
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    summary = models.JSONField("汇总结果", default=dict, blank=True)
    aggregated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="汇总人",
    )
    aggregated_at = models.DateTimeField(
        "汇总时间", null=True, blank=True, help_text="汇总后又有评分提交或修改时清空，须重新汇总"
    )

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="experts_one_round_number")
        ]
        verbose_name = verbose_name_plural = "专家评估轮次"

    def __str__(self) -> str:
        return f"{self.case.code} 第{self.number}轮"

    @property
    def open(self) -> bool:
        return self.closed_at is None


class ExpertRating(models.Model):
    """One expert's rating of a case in one round."""

    round = models.ForeignKey(
        RatingRound, on_delete=models.CASCADE, related_name="ratings", verbose_name="轮次"
    )
    member = models.ForeignKey(
        DrawnExpert, on_delete=models.PROTECT, related_name="ratings", verbose_name="抽中专家"
    )
    severity = models.PositiveSmallIntegerField("伤害严重程度（1-4）")
    steps = models.JSONField("伤害情景步骤", default=list)
    probability = models.FloatField("发生概率")
    computed_level = models.CharField("矩阵等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    stated_level = models.CharField(
        "专家认定等级", max_length=20, choices=RISK_LEVEL_CHOICES, blank=True
    )
    level_reason = models.TextField("认定等级理由", blank=True)
    suggestions = models.TextField("处置建议", blank=True)
    comment = models.TextField("不同意见/说明", blank=True)
    explanation = models.JSONField("评估说明", default=list)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="提交人",
    )
    submitted_at = models.DateTimeField("提交时间", auto_now=True)

    class Meta:
        ordering = ["round", "member__position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "member"], name="experts_one_rating_per_round")
        ]
        verbose_name = verbose_name_plural = "专家评分"

    def __str__(self) -> str:
        return f"{self.member.expert.name} 第{self.round.number}轮"

    @property
    def level(self) -> str:
        """The expert's level: the one they stated, else the matrix's."""
        return self.stated_level or self.computed_level
