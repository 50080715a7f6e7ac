"""The meeting pages, as the bureau's people use them: alice convenes and closes through the
forms; bob (a district officer) gets 403; an expert reads but may not act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.meetings.models import Meeting
from pqrisk.meetings.services import convene_meeting
from pqrisk.warnings.models import Warning

from .helpers import assessing_case, soon

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return response.content.decode()


def test_a_meeting_through_the_pages(alice: Any, dana: Any) -> None:
    case = assessing_case(dana)
    c = client_for(alice)
    assert c.get(reverse("meetings:meeting_list")).status_code == 200
    page = c.get(reverse("meetings:meeting_new") + "?kind=urgent")
    assert page.status_code == 200 and "紧急事由" in text(page)

    r = c.post(
        reverse("meetings:meeting_new"),
        {
            "kind": "thematic",
            "title": "取暖器起火风险专题会商",
            "scheduled_at": soon().strftime("%Y-%m-%dT%H:%M"),
            "place": "市局三楼会议室",
        },
    )
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "meetings:meeting_detail", args=[meeting.pk]
    )
    detail = c.get(r["Location"])
    assert meeting.code in text(detail) and case.code in text(detail)  # offered for the agenda

    def post(name: str, data: dict[str, Any], *args: Any) -> Any:
        return c.post(reverse(f"meetings:{name}", args=[meeting.pk, *args]), data, follow=True)

    post("agenda_add_case", {"agenda-case": case.pk, "agenda-presenter": "dana"})
    item = meeting.agenda.get()
    chair = meeting.participants.get()
    post("participant_attendance", {"attendance": "present"}, chair.pk)
    post(
        "participant_add",
        {
            "participant-participant_user": dana.pk,
            "participant-role": "attendee",
            "participant-attendance": "present",
        },
    )
    post(
        "participant_add",
        {
            "participant-name": "王建国",
            "participant-organisation": "质检院",
            "participant-role": "expert",
            "participant-attendance": "present",
        },
    )
    r = post("meeting_action", {}, "close")
    assert "会议尚未召开" in text(r)
    post("meeting_action", {}, "hold")
    r = post("meeting_action", {}, "close")
    assert "会议纪要尚未记录" in text(r)
    post("minutes", {"minutes-minutes": "与会专家一致认为起火风险高。"})

    decision_url = reverse("meetings:decision_edit", args=[meeting.pk, item.pk])
    assert c.get(decision_url).status_code == 200
    r = c.post(decision_url, {"level": "high", "conclusion": "高风险", "warning_level": "orange"})
    assert r.status_code == 200 and "须写明：处置措施" in text(r)  # the form stays filled
    r = c.post(
        decision_url,
        {
            "level": "high",
            "conclusion": "高风险",
            "warning_level": "orange",
            "modes": ["internal_notice", "industry_warning"],
            "measures": "监督检查并督促召回",
            "owners": "浦东新区市场监管局",
            "deadline": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert r.status_code == 302

    r = post("meeting_action", {}, "close")
    assert "会议当前状态：已结束" in text(r)
    warning = Warning.objects.get()
    assert reverse("web:warning_detail", args=[warning.pk]) in text(r)
    assert warning.modes == ["internal_notice", "industry_warning"]
    assert "已结论" in text(r)


def test_district_officers_and_strangers_stay_out(alice: Any, bob: Any) -> None:
    meeting = convene_meeting(
        alice, kind="comprehensive", title="三月综合会商", scheduled_at=soon(), online=True
    )
    urls = [
        reverse("meetings:meeting_list"),
        reverse("meetings:meeting_new"),
        reverse("meetings:meeting_detail", args=[meeting.pk]),
    ]
    for url in urls:
        assert Client().get(url).status_code == 302  # to the login page
        assert client_for(bob).get(url).status_code == 403
    r = client_for(bob).post(reverse("meetings:meeting_action", args=[meeting.pk, "hold"]))
    assert r.status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == "planned"


def test_an_expert_reads_but_does_not_act(alice: Any) -> None:
    erin = make_user("erin", Role.EXPERT)
    meeting = convene_meeting(
        alice, kind="thematic", title="专题会商", scheduled_at=soon(), place="会议室"
    )
    c = client_for(erin)
    detail = c.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
    assert detail.status_code == 200 and "召开会议" not in text(detail)
    assert c.get(reverse("meetings:meeting_new")).status_code == 403
    r = c.post(reverse("meetings:meeting_action", args=[meeting.pk, "hold"]), follow=True)
    assert "需要以下角色之一" in text(r)
    meeting.refresh_from_db()
    assert meeting.status == "planned"
    assert c.post(reverse("meetings:meeting_action", args=[meeting.pk, "fly"])).status_code == 404
