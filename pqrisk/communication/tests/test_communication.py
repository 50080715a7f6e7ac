"""Risk communication records (风险交流): alice (city supervisor) logs a media briefing about
the kettle warning and an expert's popular-science piece; bob (Pudong) and charlie (Jiading)
read the log but not each other's risks; eve (no role) reads nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import JIADING, PUDONG
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.models import AuditEvent
from pqrisk.communication.choices import ActivityKind
from pqrisk.communication.models import CommunicationActivity
from pqrisk.communication.services import (
    CommunicationError,
    activities_for,
    record_activity,
    update_activity,
)
from pqrisk.reference.models import District, ProductCategory
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def risks(db: Any) -> dict[str, Any]:
    pudong = f.warning(f.risk_info(PUDONG, title="浦东电热水壶漏电"), title="浦东电热水壶预警")
    jiading = f.warning(f.risk_info(JIADING, title="嘉定充电宝起火"), title="嘉定充电宝预警")
    case = AssessmentCase.objects.create(
        code="PG-2026-0099",
        title="嘉定充电宝评估",
        district=District.objects.get(code=JIADING),
    )
    return {
        "pudong": pudong,
        "jiading": jiading,
        "case": case,
        "category": ProductCategory.objects.order_by("code").first(),
    }


def _briefing(alice: Any, risks: dict[str, Any], **data: Any) -> CommunicationActivity:
    fields = {
        "kind": ActivityKind.MEDIA_BRIEFING,
        "title": "电热水壶和充电宝消费风险新闻发布会",
        "held_on": date(2026, 4, 2),
        "participants": "市局新闻发言人\n评估中心专家",
        "audience": "媒体",
        "summary": "通报近期风险并提示消费者。",
        **data,
    }
    links = {
        "warnings": [risks["pudong"], risks["jiading"]],
        "cases": [risks["case"]],
        "product_categories": [risks["category"]],
    }
    return record_activity(alice, fields, links)


def test_the_city_logs_an_activity_linked_to_its_risks_and_it_is_audited(
    alice: Any, risks: dict[str, Any]
) -> None:
    activity = _briefing(alice, risks)
    assert set(activity.warnings.all()) == {risks["pudong"], risks["jiading"]}
    assert list(activities_for(risks["pudong"])) == [activity]
    assert list(activities_for(risks["case"])) == [activity]
    assert list(activities_for(risks["category"])) == [activity]
    event = AuditEvent.objects.get(object_type="communication.communicationactivity")
    assert event.action == "create" and event.actor == alice


def test_an_edit_names_what_changed_and_nothing_changed_is_not_audited(
    alice: Any, risks: dict[str, Any]
) -> None:
    activity = _briefing(alice, risks)
    changed = update_activity(
        activity, alice, {"title": "新闻发布会（更正）"}, {"warnings": [risks["pudong"]]}
    )
    assert changed == ["标题", "关联预警"]
    assert update_activity(activity, alice, {"title": "新闻发布会（更正）"}) == []
    messages = list(AuditEvent.objects.filter(action="update").values_list("message", flat=True))
    assert messages == ["修改了标题、关联预警"]


def test_a_district_officer_may_not_record(bob: Any, risks: dict[str, Any]) -> None:
    with pytest.raises(CommunicationError, match="只有市局"):
        record_activity(bob, {"kind": "other", "title": "x", "held_on": date(2026, 1, 1)})
    client = login(Client(), bob)
    assert client.get(reverse("web:communication_new")).status_code == 403


def test_activities_for_refuses_what_cannot_be_linked(alice: Any) -> None:
    with pytest.raises(TypeError):
        activities_for(alice)


def test_the_form_records_an_interview_with_an_attachment(
    alice: Any, risks: dict[str, Any]
) -> None:
    client = login(Client(), alice)
    new = reverse("web:communication_new")
    form = client.get(f"{new}?warning={risks['pudong'].pk}").content.decode()
    assert f'<option value="{risks["pudong"].pk}" selected' in form
    response = client.post(
        new,
        {
            "kind": ActivityKind.INTERVIEW,
            "title": "电视台采访：电热水壶如何安全使用",
            "held_on": "2026-04-05",
            "participants": "评估中心专家",
            "audience": "公众",
            "summary": "讲解漏电风险。",
            "link": "https://example.org/news/1",
            "warnings": [risks["pudong"].pk],
            "product_categories": [risks["category"].pk],
            "attachment": SimpleUploadedFile("采访提纲.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
    )
    activity = CommunicationActivity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:communication_detail", args=[activity.pk])
    assert activity.created_by == alice and activity.attachment_name == "采访提纲.pdf"
    assert "采访提纲" not in activity.attachment.name  # stored under a random name
    download: Any = client.get(reverse("web:communication_attachment", args=[activity.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    detail = client.get(reverse("web:communication_detail", args=[activity.pk])).content.decode()
    assert "电视台采访" in detail and risks["pudong"].title in detail and "登记风险交流" in detail


def test_a_bad_attachment_is_refused_with_a_reason_and_nothing_is_saved(
    alice: Any, risks: dict[str, Any]
) -> None:
    client = login(Client(), alice)
    response = client.post(
        reverse("web:communication_new"),
        {
            "kind": ActivityKind.OTHER,
            "title": "宣传活动",
            "held_on": "2026-04-05",
            "attachment": SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream"),
        },
    )
    assert response.status_code == 200
    assert "格式不支持" in response.content.decode()
    assert not CommunicationActivity.objects.exists()


def test_everyone_with_a_page_role_reads_but_a_district_sees_only_its_own_risks(
    alice: Any, bob: Any, charlie: Any, eve: Any, risks: dict[str, Any]
) -> None:
    activity = _briefing(alice, risks)
    detail = reverse("web:communication_detail", args=[activity.pk])
    html = login(Client(), bob).get(detail).content.decode()
    assert activity.title in html
    assert risks["pudong"].title in html
    assert risks["jiading"].title not in html and risks["case"].title not in html
    assert reverse("web:communication_edit", args=[activity.pk]) not in html
    html = login(Client(), charlie).get(detail).content.decode()
    assert risks["jiading"].title in html and risks["case"].title in html
    assert risks["pudong"].title not in html
    assert login(Client(), eve).get(detail).status_code == 403
    assert Client().get(detail).status_code == 302  # to the login page
    edit = reverse("web:communication_edit", args=[activity.pk])
    assert login(Client(), bob).post(edit, {"title": "改"}).status_code == 403


def test_the_list_filters_by_kind_keyword_category_and_dates(
    alice: Any, bob: Any, risks: dict[str, Any]
) -> None:
    _briefing(alice, risks)
    record_activity(
        alice,
        {
            "kind": ActivityKind.POPULAR_SCIENCE,
            "title": "专家科普：充电宝怎么选",
            "held_on": date(2026, 5, 1),
        },
    )
    client = login(Client(), bob)
    url = reverse("web:communication_list")
    everything = client.get(url).content.decode()
    assert "新闻发布会" in everything and "充电宝怎么选" in everything
    only_science = client.get(f"{url}?kind=popular_science").content.decode()
    assert "充电宝怎么选" in only_science and "电热水壶和充电宝消费风险" not in only_science
    assert "充电宝怎么选" not in client.get(f"{url}?q=发布会").content.decode()
    by_category = client.get(f"{url}?category={risks['category'].pk}").content.decode()
    assert "新闻发布会" in by_category and "充电宝怎么选" not in by_category
    in_may = client.get(f"{url}?since=2026-05-01&until=2026-05-31").content.decode()
    assert "充电宝怎么选" in in_may and "电热水壶和充电宝消费风险" not in in_may
