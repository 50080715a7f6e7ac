"""Registering a station from the web: alice (市局监管处) fills in the form, sees the token
once and the station can report with it; bob (a district officer) cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import District
from pqrisk.stations.models import MonitoringStation
from pqrisk.stations.services import register_station

pytestmark = pytest.mark.django_db
NEW = "/stations/new/"
PUDONG = "310115"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "仁济医院伤害监测点",
        "kind": "hospital",
        "contact": "张医生 021-12345678",
        "district": str(District.objects.get(code=PUDONG).pk),
        "allowed_sources": ["injury", "complaint"],
        "expected_interval_hours": "24",
        "daily_quota": "200",
        "rate_limit_per_minute": "10",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def logged_in(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def token_from(messages: list[str]) -> str:
    (text,) = [m for m in messages if "只显示这一次" in m]
    return text.rsplit("：", 1)[1]


def test_alice_registers_a_station_whose_token_reports(alice: User) -> None:
    c = logged_in(alice)
    listing = c.get("/stations/").content.decode()
    assert NEW in listing and "登记监测站" in listing
    assert c.get(NEW).status_code == 200

    r = c.post(NEW, form(), follow=True)
    assert r.status_code == 200
    station = MonitoringStation.objects.get()
    assert r.redirect_chain[-1][0] == f"/stations/{station.pk}/"
    assert (station.kind, station.district.code, station.contact) == (  # type: ignore[union-attr]
        "hospital",
        PUDONG,
        "张医生 021-12345678",
    )
    assert station.allowed_sources == ["injury", "complaint"]
    assert (station.expected_interval_hours, station.daily_quota) == (24, 200)
    assert station.rate_limit_per_minute == 10 and station.registered_by == alice
    page = r.content.decode()
    assert "请立即复制" in page and "每分钟调用上限" in page

    token = token_from([str(m) for m in r.context["messages"]])
    assert station.check_token(token)
    event = AuditEvent.objects.get(action="register_station")
    assert event.actor == alice and token not in event.message

    # Shown once: the station's page does not show it again.
    assert token not in c.get(f"/stations/{station.pk}/").content.decode()

    report = Client().post(
        "/api/intake/station-reports",
        {
            "records": [
                {
                    "source": "injury",
                    "external_id": "RJ-1",
                    "occurred_at": "2026-03-05",
                    "title": "儿童电动滑板车刹车失灵致摔伤",
                    "district": "浦东新区",
                }
            ]
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert report.status_code == 200, report.content
    assert RawItem.objects.get().station == station


def test_optional_fields_may_be_left_empty(alice: User) -> None:
    r = logged_in(alice).post(
        NEW, form(district="", allowed_sources=None, rate_limit_per_minute="")
    )
    assert r.status_code == 302
    station = MonitoringStation.objects.get()
    assert station.district is None and station.allowed_sources == []
    assert station.rate_limit_per_minute is None


def test_bob_a_district_officer_gets_403(bob: User) -> None:
    c = logged_in(bob)
    assert c.get(NEW).status_code == 403
    assert c.post(NEW, form()).status_code == 403
    assert not MonitoringStation.objects.exists()


def test_dana_the_analyst_sees_the_network_but_cannot_register(dana: User) -> None:
    c = logged_in(dana)
    assert NEW not in c.get("/stations/").content.decode()
    assert c.get(NEW).status_code == 403
    assert c.post(NEW, form()).status_code == 403
    assert not MonitoringStation.objects.exists()


def test_anonymous_is_sent_to_login() -> None:
    r = Client().get(NEW)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_an_invalid_form_is_shown_again_with_chinese_errors(alice: User) -> None:
    register_station(name="仁济医院伤害监测点", kind="hospital", user=alice)
    r = logged_in(alice).post(
        NEW,
        form(kind="spaceship", contact="", daily_quota="0", allowed_sources=["station"]),
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert errors["name"] == ["已有名为“仁济医院伤害监测点”的监测站，请换一个名称"]
    assert "选择一个有效的选项" in errors["kind"][0]
    assert errors["contact"] == ["这个字段是必填项。"]
    assert "1" in errors["daily_quota"][0]
    assert "station" in errors["allowed_sources"][0]
    page = r.content.decode()
    assert "已有名为" in page and "这个字段是必填项" in page
    assert MonitoringStation.objects.count() == 1


def test_registering_needs_the_csrf_token(alice: User) -> None:
    c = logged_in(alice, csrf=True)
    assert c.post(NEW, form()).status_code == 403
    assert not MonitoringStation.objects.exists()
    csrf = c.get(NEW).cookies["csrftoken"].value
    assert c.post(NEW, {**form(), "csrfmiddlewaretoken": csrf}).status_code == 302
    assert MonitoringStation.objects.count() == 1
