"""Consultation meetings (会商研判): agenda, participants, minutes and a decision per case.

A meeting's decisions conclude its cases and, when a warning colour is decided, leave a
warning draft for the warning step (``services.close_meeting``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import (
    OPEN_STATUSES,
    RISK_LEVEL_CHOICES,
    WARNING_LEVEL_CHOICES,
    Attendance,
    MeetingKind,
    MeetingStatus,
    ParticipantRole,
)


class Meeting(models.Model):
    """A thematic, comprehensive (periodic) or urgent consultation meeting."""

    code = models.CharField("会议编号", max_length=30, unique=True)
    kind = models.CharField("会商类型", max_length=20, choices=MeetingKind.choices)
    title = models.CharField("会议名称", max_length=200)
    scheduled_at = models.DateTimeField("召开时间")
    place = models.CharField("地点", max_length=200, blank=True)
    online = models.BooleanField("线上会议", default=False)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主持人",
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=MeetingStatus.choices,
        default=MeetingStatus.PLANNED,
        db_index=True,
    )
    urgent_reason = models.TextField("紧急事由（可能造成的重大危害或社会影响）", blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    minutes_file = models.FileField("纪要文件", upload_to="meetings/%Y/%m/", blank=True)
    cancel_reason = models.TextField("取消原因", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="召集人",
    )
    created_at = models.DateTimeField("召集时间", auto_now_add=True)
    held_at = models.DateTimeField("召开登记时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = verbose_name_plural = "会商会议"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_urgent(self) -> bool:
        return self.kind == MeetingKind.URGENT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AgendaItem(models.Model):
    """One item on a meeting's agenda: an assessment case, or a signal to discuss (described
    in JSON until the signals app exists)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name="会商会议"
    )
    order = models.PositiveSmallIntegerField("顺序")
    case = models.ForeignKey(
        "assessment.AssessmentCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_items",
        verbose_name="评估任务",
    )
    signal = models.JSONField("风险信号", default=dict, blank=True)
    presenter = models.CharField("汇报人", max_length=100, blank=True)
    notes = models.TextField("说明", blank=True)
    # True while the meeting is planned or held: a case sits on one open meeting at most.
    is_open = models.BooleanField("会议进行中", default=True)

    class Meta:
        ordering = ["meeting", "order", "id"]
        verbose_name = verbose_name_plural = "会商议程"
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_open=True, case__isnull=False),
                name="meetings_case_on_one_open_meeting",
                violation_error_message="该评估任务已列入另一次未结束的会商",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting.code} 议程{self.order}"

    @property
    def subject(self) -> str:
        if self.case_id is not None and self.case is not None:
            return f"{self.case.code} {self.case.title}"
        return str(self.signal.get("description", "风险信号"))


class Participant(models.Model):
    """Someone at the meeting: a platform user or anyone named (experts, departments), with
    their role in the meeting and whether they attended."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name="会商会议"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="平台用户",
    )
    name = models.CharField("姓名", max_length=100)
    organisation = models.CharField("部门/单位", max_length=200, blank=True)
    role = models.CharField("会议角色", max_length=20, choices=ParticipantRole.choices)
    attendance = models.CharField(
        "出席情况", max_length=20, choices=Attendance.choices, default=Attendance.INVITED
    )

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = verbose_name_plural = "参会人员"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="meetings_user_once_per_meeting",
                violation_error_message="该用户已在参会名单中",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class Decision(models.Model):
    """The meeting's decision on one case: the concluded risk level and, if any, the warning
    colour and modes, measures, who acts and by when; dissent is kept on record."""

    agenda_item = models.OneToOneField(
        AgendaItem, on_delete=models.CASCADE, related_name="decision", verbose_name="议程"
    )
    level = models.CharField("研判风险等级", max_length=20, choices=RISK_LEVEL_CHOICES)
    conclusion = models.TextField("研判结论")
    warning_level = models.CharField(
        "建议预警等级（空为不预警）", max_length=10, choices=WARNING_LEVEL_CHOICES, blank=True
    )
    modes = models.JSONField("预警方式", default=list, blank=True)
    measures = models.TextField("处置措施", blank=True)
    owners = models.CharField("责任部门/单位", max_length=300, blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    dissent = models.TextField("不同意见", blank=True)
    warning = models.ForeignKey(
        "warnings.Warning",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_decisions",
        verbose_name="生成的预警草稿",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="记录人",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now=True)

    class Meta:
        ordering = ["agenda_item__meeting", "agenda_item__order", "id"]
        verbose_name = verbose_name_plural = "会商决定"

    def __str__(self) -> str:
        return f"{self.agenda_item}: {self.get_level_display()}"
