"""Meeting kinds, states, participant roles and the meeting workflow (会商研判).

The workflow is a transition table of the domain core's ``StateMachine``: planned → held →
closed, or cancelled before it is closed. Who may convene and act is the assessment centre
and the city bureau, the same roles that conclude an assessment case.
"""

from __future__ import annotations

from django.db import models

from pqrisk.core.levels import RiskLevel, WarningLevel, WarningMode
from pqrisk.core.workflow import ANALYST, CITY_ADMIN, CITY_SUPERVISOR, StateMachine, Transition

RISK_LEVEL_CHOICES = RiskLevel.choices()
WARNING_LEVEL_CHOICES = WarningLevel.choices()
WARNING_MODE_CHOICES = WarningMode.choices()


class MeetingKind(models.TextChoices):
    THEMATIC = "thematic", "专题会商"
    COMPREHENSIVE = "comprehensive", "综合会商"
    # For a risk that may cause major harm or social impact: convened at once, with fewer
    # participants (see services.quorum_problem).
    URGENT = "urgent", "紧急会商"


class MeetingStatus(models.TextChoices):
    """States of ``MEETING_MACHINE`` (labels from there)."""

    PLANNED = "planned", "已召集"
    HELD = "held", "已召开"
    CLOSED = "closed", "已结束"
    CANCELLED = "cancelled", "已取消"


OPEN_STATUSES = (MeetingStatus.PLANNED.value, MeetingStatus.HELD.value)


class ParticipantRole(models.TextChoices):
    CHAIR = "chair", "主持"
    ATTENDEE = "attendee", "参会"
    EXPERT = "expert", "专家"
    RECORDER = "recorder", "记录"


class Attendance(models.TextChoices):
    INVITED = "invited", "已邀请"
    PRESENT = "present", "出席"
    ABSENT = "absent", "缺席"
    EXCUSED = "excused", "请假"


_CONVENERS = frozenset({ANALYST, CITY_SUPERVISOR, CITY_ADMIN})

MEETING_MACHINE = StateMachine(
    "meeting",
    states={s.value: s.label for s in MeetingStatus},
    initial=MeetingStatus.PLANNED.value,
    transitions=(
        Transition("hold", "planned", "held", "召开会议", _CONVENERS),
        # Closing applies the decisions (services.close_meeting); it has its own checks.
        Transition("close", "held", "closed", "结束会议", _CONVENERS),
        Transition("cancel", "planned", "cancelled", "取消会议", _CONVENERS),
        Transition("cancel", "held", "cancelled", "取消会议", _CONVENERS),
    ),
)

# Audit actions of this app as users read them.
ACTION_LABELS = {
    "convene": "召集会商",
    "hold": "召开会议",
    "close": "结束会议",
    "cancel": "取消会议",
    "add_agenda": "列入议程",
    "remove_agenda": "移出议程",
    "add_participant": "添加参会人员",
    "set_attendance": "登记出席",
    "record_minutes": "记录纪要",
    "record_decision": "记录会商决定",
}
