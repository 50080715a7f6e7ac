"""Forms of the meeting pages; each feeds one service function."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from pqrisk.accounts.models import User
from pqrisk.assessment.models import AssessmentCase
from pqrisk.web.forms import PlainForm

from .choices import (
    RISK_LEVEL_CHOICES,
    WARNING_LEVEL_CHOICES,
    WARNING_MODE_CHOICES,
    Attendance,
    MeetingKind,
    MeetingStatus,
    ParticipantRole,
)
from .services import MEETING_ROLES, agenda_candidates

ANY = [("", "全部")]


def convener_users() -> QuerySet[User]:
    """People who may chair: the assessment centre and the city bureau."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.label for r in MEETING_ROLES])
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name}（{obj.role_labels}）"


class MeetingFilter(PlainForm):
    q = forms.CharField(label="关键词", required=False, max_length=100)
    kind = forms.ChoiceField(label="会商类型", required=False, choices=ANY + MeetingKind.choices)
    status = forms.ChoiceField(label="状态", required=False, choices=ANY + MeetingStatus.choices)

    def __init__(self, data: Any) -> None:
        super().__init__(data or None)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = "会议编号或名称"

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(code__icontains=data["q"]) | Q(title__icontains=data["q"]))
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        return qs


class ConveneForm(PlainForm):
    kind = forms.ChoiceField(label="会商类型", choices=MeetingKind.choices)
    title = forms.CharField(label="会议名称", max_length=200)
    scheduled_at = forms.DateTimeField(
        label="召开时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="紧急会商可不填，即刻召开",
    )
    place = forms.CharField(label="地点", max_length=200, required=False)
    online = forms.BooleanField(label="线上会议", required=False)
    chair = UserChoiceField(
        label="主持人",
        queryset=User.objects.none(),
        required=False,
        empty_label="本人",
    )
    urgent_reason = forms.CharField(
        label="紧急事由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="紧急会商必填：该风险可能造成的重大危害或社会影响",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = convener_users()  # type: ignore[attr-defined]


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.title}（{obj.get_status_display()}）"


class AgendaCaseForm(PlainForm):
    case = CaseChoiceField(
        label="评估任务",
        queryset=AssessmentCase.objects.none(),
        help_text="评估中、专家评估或会商研判中且未列入其他未结束会商的任务",
    )
    presenter = forms.CharField(label="汇报人", max_length=100, required=False)
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = agenda_candidates()  # type: ignore[attr-defined]


class AgendaSignalForm(PlainForm):
    description = forms.CharField(
        label="风险信号", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    basis = forms.CharField(
        label="信号依据", max_length=300, required=False, help_text="如检测方法、时间、范围"
    )
    presenter = forms.CharField(label="汇报人", max_length=100, required=False)


class ParticipantForm(PlainForm):
    participant_user = UserChoiceField(
        label="平台用户",
        queryset=User.objects.none(),
        required=False,
        empty_label="（非平台用户，填写姓名）",
    )
    name = forms.CharField(label="姓名", max_length=100, required=False)
    organisation = forms.CharField(label="部门/单位", max_length=200, required=False)
    role = forms.ChoiceField(
        label="会议角色",
        choices=[c for c in ParticipantRole.choices if c[0] != ParticipantRole.CHAIR],
    )
    attendance = forms.ChoiceField(
        label="出席情况", choices=Attendance.choices, initial=Attendance.INVITED
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant_user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")


class AttendanceForm(PlainForm):
    attendance = forms.ChoiceField(label="出席情况", choices=Attendance.choices)


class MinutesForm(PlainForm):
    minutes = forms.CharField(label="会议纪要", widget=forms.Textarea(attrs={"rows": 8}))
    minutes_file = forms.FileField(label="纪要文件", required=False)


class DecisionForm(PlainForm):
    level = forms.ChoiceField(label="研判风险等级", choices=RISK_LEVEL_CHOICES)
    conclusion = forms.CharField(label="研判结论", widget=forms.Textarea(attrs={"rows": 4}))
    warning_level = forms.ChoiceField(
        label="预警等级",
        required=False,
        choices=[("", "不预警"), *WARNING_LEVEL_CHOICES],
        help_text="决定预警时生成预警草稿，由预警流程审批发布；红色、橙色预警由市局发布",
    )
    modes = forms.MultipleChoiceField(
        label="预警方式",
        required=False,
        choices=WARNING_MODE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选则按该预警等级的默认方式",
    )
    measures = forms.CharField(
        label="处置措施", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owners = forms.CharField(label="责任部门/单位", max_length=300, required=False)
    deadline = forms.DateField(
        label="完成时限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    dissent = forms.CharField(
        label="不同意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(PlainForm):
    reason = forms.CharField(
        label="取消原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
