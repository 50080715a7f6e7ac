"""Disposal pages: the district restriction, the overdue board, feedback with attachments,
reassignment, recall progress and the tracking list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.models import DisposalTask, TrackingItem
from pqrisk.disposal.services import act_on_task, add_route
from pqrisk.reference.models import District
from pqrisk.warnings.services import approve_warning
from pqrisk.web.tests import factories

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def tasks(alice: Any) -> dict[str, DisposalTask]:
    jd = approve_warning(
        factories.warning(
            factories.risk_info(JIADING, title="嘉定儿童座椅夹伤"), WarningLevel.YELLOW
        ),
        alice,
    )
    pd = approve_warning(
        factories.warning(factories.risk_info(PUDONG, title="浦东电热水壶漏电"), WarningLevel.RED),
        alice,
    )
    return {
        "jd": DisposalTask.objects.get(warning=jd),
        "pd": DisposalTask.objects.get(warning=pd),
    }


def test_a_district_officer_sees_and_acts_on_its_own_tasks_only(bob, tasks) -> None:
    c = client_for(bob)
    jd = tasks["jd"]
    route = jd.route_items.first()
    assert route is not None
    for url in (
        reverse("web:task_detail", args=[jd.pk]),
        reverse("web:task_route", args=[jd.pk, route.pk]),
    ):
        assert c.get(url).status_code == 404, url
    for url in (
        reverse("web:task_action", args=[jd.pk, "start"]),
        reverse("web:task_feedback", args=[jd.pk]),
        reverse("web:task_reassign", args=[jd.pk]),
        reverse("web:task_route_result", args=[jd.pk, route.pk]),
    ):
        assert c.post(url, {"measures": "x", "result": "x"}).status_code == 404, url
    html = c.get(reverse("web:task_list")).content.decode()
    assert "浦东电热水壶漏电" in html and "嘉定儿童座椅夹伤" not in html
    assert c.get(reverse("web:task_detail", args=[tasks["pd"].pk])).status_code == 200


def test_the_overdue_board_is_the_city_bureaus(alice, bob, tasks) -> None:
    DisposalTask.objects.filter(pk=tasks["jd"].pk).update(
        due_at=timezone.now() - timedelta(hours=5)
    )
    assert client_for(bob).get(reverse("web:disposal_overdue")).status_code == 403
    html = client_for(alice).get(reverse("web:disposal_overdue")).content.decode()
    assert "逾期督办看板" in html and "嘉定儿童座椅夹伤" in html
    assert "嘉定区：" in html


def test_feedback_with_an_attachment_through_the_page(charlie, tasks) -> None:
    c = client_for(charlie)
    task = tasks["jd"]
    act_on_task(task, "start", charlie)
    response = c.post(
        reverse("web:task_feedback", args=[task.pk]),
        {
            "measures": "对3家企业开展监督检查",
            "enterprises_checked": "3",
            "products_removed": "40",
            "penalties": "1",
            "penalty_amount": "20000",
            "warning_advice": "keep",
            "attachments": [SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff")],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "书面处置报告已提交" in html and "现场照片.jpg" in html
    task.refresh_from_db()
    assert task.status == "reported"
    attachment = task.feedback.get().attachments.get()
    download = c.get(reverse("web:task_attachment", args=[task.pk, attachment.pk]))
    assert download.status_code == 200


def test_the_city_reassigns_through_the_page(alice, tasks) -> None:
    c = client_for(alice)
    task = tasks["jd"]
    pudong = District.objects.get(code=PUDONG)
    response = c.post(
        reverse("web:task_reassign", args=[task.pk]),
        {"district": pudong.pk, "reason": "企业注册地在浦东"},
        follow=True,
    )
    html = response.content.decode()
    assert "任务已改派至浦东新区" in html and "改派记录" in html
    task.refresh_from_db()
    assert task.district == pudong


def test_recall_progress_page(alice, tasks) -> None:
    task = tasks["pd"]
    item = task.route_items.filter(route="recall").first() or add_route(task, "recall", alice)
    c = client_for(alice)
    response = c.post(
        reverse("web:task_recall_progress", args=[task.pk, item.pk]),
        {"units_in_use": "2000", "units_recovered": "500", "note": "第一周"},
        follow=True,
    )
    html = response.content.decode()
    assert "召回进度已记录" in html and "25.0%" in html


def test_green_warnings_are_on_the_tracking_list(alice, bob, charlie) -> None:
    warning = approve_warning(
        factories.warning(factories.risk_info(PUDONG, title="浦东插线板温升"), WarningLevel.GREEN),
        alice,
    )
    item = TrackingItem.objects.get(warning=warning)
    assert "浦东插线板温升" in client_for(bob).get(reverse("web:tracking_list")).content.decode()
    assert (
        "浦东插线板温升"
        not in client_for(charlie).get(reverse("web:tracking_list")).content.decode()
    )
    assert (
        client_for(charlie).get(reverse("web:tracking_detail", args=[item.pk])).status_code == 404
    )
    response = client_for(bob).post(
        reverse("web:tracking_check", args=[item.pk]),
        {"finding": "未见新增投诉", "conclusion": "end"},
        follow=True,
    )
    assert "跟踪检查已记录" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "ended"


def test_the_api_lists_routed_actions_within_the_district(bob, charlie, tasks) -> None:
    response = client_for(charlie).get(f"/api/tasks/{tasks['jd'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert any(r["unit"].startswith("嘉定区") for r in body["route_items"])
    assert body["escalation_level"] == 0
    assert client_for(bob).get(f"/api/tasks/{tasks['jd'].pk}").status_code == 404
