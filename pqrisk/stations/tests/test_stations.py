"""Monitoring stations: managed by the city bureau, refused when not active, held to a quota."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.intake.models import IngestBatch, RawItem
from pqrisk.stations import services
from pqrisk.stations.models import MonitoringStation
from pqrisk.stations.services import (
    find_stale_stations,
    issue_station_token,
    refresh_station_scores,
    register_station,
    revoke_station_token,
    set_station_status,
)

from .reports import URL, record

pytestmark = pytest.mark.django_db


def post(token: str, records: list[dict[str, object]]) -> Any:
    return Client().post(
        URL,
        {"records": records},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def hospital(alice: User) -> tuple[MonitoringStation, str]:
    return register_station(name="仁济医院伤害监测点", kind="hospital", user=alice)


def test_alice_registers_a_station_that_reports_and_is_remembered(
    hospital: tuple[MonitoringStation, str],
) -> None:
    station, token = hospital
    r = post(token, [record("H-1")])
    assert r.status_code == 200, r.content
    item = RawItem.objects.get()
    assert item.source_kind == "station" and item.station == station
    assert item.payload["details"]["reported_source"] == "injury"
    station.refresh_from_db()
    assert station.last_report_at is not None
    assert AuditEvent.objects.filter(action="register_station", actor__username="alice").exists()


def test_a_suspended_station_is_told_to_call_the_bureau(
    alice: User, hospital: tuple[MonitoringStation, str]
) -> None:
    station, token = hospital
    set_station_status(station, "suspended", alice, "数据质量核查")
    r = post(token, [record("H-1")])
    assert r.status_code == 403
    assert r.json()["detail"] == "监测站已暂停报送，请联系市局"
    assert not RawItem.objects.exists()
    set_station_status(station, "active", alice, "核查完毕")
    assert post(token, [record("H-1")]).status_code == 200


def test_a_retired_station_is_refused(alice: User, hospital: tuple[MonitoringStation, str]) -> None:
    station, token = hospital
    set_station_status(station, "retired", alice, "合作协议到期")
    r = post(token, [record("H-1")])
    assert r.status_code == 403 and "撤销" in r.json()["detail"]
    with pytest.raises(ValueError):
        set_station_status(station, "active", alice, "恢复")


def test_a_rotated_token_replaces_the_old_and_a_revoked_one_works_no_more(
    alice: User, hospital: tuple[MonitoringStation, str]
) -> None:
    station, old = hospital
    new = issue_station_token(station, alice)
    assert post(old, [record("H-1")]).status_code == 401
    assert post(new, [record("H-1")]).status_code == 200
    revoke_station_token(station, alice)
    assert post(new, [record("H-2")]).status_code == 401
    assert AuditEvent.objects.filter(action="revoke_token").count() == 1


def test_a_token_writes_only_as_its_own_station(alice: User) -> None:
    mine, token = register_station(name="某电商平台监测站", kind="ecommerce", user=alice)
    other, _ = register_station(name="某行业协会监测站", kind="association", user=alice)
    r = post(token, [record("X-1", station=other.pk, station_id=other.pk)])
    assert r.status_code == 200
    item = RawItem.objects.get()
    assert item.station == mine and item.batch is not None and item.batch.station == mine
    assert item.external_id == f"S{mine.pk}-X-1"
    assert not other.items.exists()


def test_a_station_may_claim_only_its_allowed_source_kinds(alice: User) -> None:
    _, token = register_station(
        name="瑞金医院", kind="hospital", user=alice, allowed_sources=["injury"]
    )
    r = post(token, [record("A-1"), record("A-2", source="penalty")])
    assert r.json()["accepted"] == 1 and r.json()["quarantined"] == 1


def test_the_daily_quota_is_kept_and_nothing_beyond_it_stored(alice: User) -> None:
    _, token = register_station(name="小型检测所", kind="lab", user=alice, daily_quota=3)
    assert post(token, [record("Q-1"), record("Q-2")]).status_code == 200
    r = post(token, [record("Q-3"), record("Q-4")])
    assert r.status_code == 429
    assert "每日最多3条" in r.json()["detail"] and "重置" in r.json()["detail"]
    assert RawItem.objects.count() == 2
    assert post(token, [record("Q-3")]).status_code == 200
    assert post(token, [record("Q-5")]).status_code == 429
    assert RawItem.objects.count() == 3


def test_too_many_calls_a_minute_are_refused(
    hospital: tuple[MonitoringStation, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = hospital
    monkeypatch.setattr(services, "RATE_LIMIT_PER_MINUTE", 3)
    codes = [post(token, [record(f"R-{i}")]).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert RawItem.objects.count() == 3


def test_status_changes_are_audited_and_refused_to_a_district_officer(
    alice: User, bob: User, hospital: tuple[MonitoringStation, str]
) -> None:
    station, _ = hospital
    with pytest.raises(PermissionDenied):
        set_station_status(station, "suspended", bob, "想停就停")
    with pytest.raises(PermissionDenied):
        issue_station_token(station, bob)
    with pytest.raises(PermissionDenied):
        register_station(name="区里自建站", kind="lab", user=bob)
    set_station_status(station, "suspended", alice, "连续报送重复数据")
    event = AuditEvent.objects.get(action="set_status")
    assert (event.from_state, event.to_state) == ("active", "suspended")
    assert "连续报送重复数据" in event.message and event.actor == alice
    with pytest.raises(ValueError):
        set_station_status(station, "retired", alice, "  ")


def test_stale_stations_are_found_and_flagged_once_per_interval(alice: User) -> None:
    now = timezone.now()
    silent, _ = register_station(name="沉默站", kind="lab", user=alice, expected_interval_hours=24)
    fresh, _ = register_station(name="活跃站", kind="lab", user=alice, expected_interval_hours=24)
    register_station(name="新登记站", kind="lab", user=alice, expected_interval_hours=24)
    paused, _ = register_station(name="暂停站", kind="lab", user=alice, expected_interval_hours=24)
    set_station_status(paused, "suspended", alice, "整改")
    old = now - timedelta(days=3)
    MonitoringStation.objects.filter(pk__in=[silent.pk, fresh.pk, paused.pk]).update(
        registered_at=old
    )
    MonitoringStation.objects.filter(pk=fresh.pk).update(last_report_at=now - timedelta(hours=2))
    assert [s.name for s in find_stale_stations(now)] == ["沉默站"]
    find_stale_stations(now + timedelta(hours=1))
    assert AuditEvent.objects.filter(action="stale").count() == 1
    # A day on: 沉默站 again, 活跃站 and 新登记站 now too; the suspended one never.
    assert [s.name for s in find_stale_stations(now + timedelta(hours=25))] == [
        "新登记站",
        "沉默站",
        "活跃站",
    ]
    assert AuditEvent.objects.filter(action="stale").count() == 4


def test_scores_reward_useful_reports(alice: User) -> None:
    good, good_token = register_station(name="优质站", kind="lab", user=alice)
    register_station(name="闲置站", kind="lab", user=alice)
    assert post(good_token, [record("G-1"), record("G-2")]).status_code == 200
    assert post(good_token, [record("G-1")]).json()["duplicates"] == 1
    scores = refresh_station_scores()
    assert scores[good.pk] > min(scores.values())
    assert all(0 <= s <= 100 for s in scores.values())
    good.refresh_from_db()
    assert float(good.score) == scores[good.pk]
    assert IngestBatch.objects.filter(station=good).count() == 2


def test_the_beat_task_runs_detection_and_scoring(hospital: tuple[MonitoringStation, str]) -> None:
    from pqrisk.stations.tasks import check_stations

    result = check_stations.apply().get()
    assert result == {"stale": [], "scored": 1}


# ---------------------------------------------------------------- pages


def test_station_pages_are_for_the_city(
    alice: User, bob: User, hospital: tuple[MonitoringStation, str]
) -> None:
    station, _ = hospital
    MonitoringStation.objects.filter(pk=station.pk).update(
        registered_at=timezone.now() - timedelta(days=30)
    )
    c = Client()
    c.force_login(alice)
    listing = c.get("/stations/")
    assert listing.status_code == 200
    assert "已超期未报送" in listing.content.decode()
    detail = c.get(f"/stations/{station.pk}/")
    assert detail.status_code == 200
    assert station.token_prefix in detail.content.decode()
    assert "登记监测站" in detail.content.decode()
    c.force_login(bob)
    assert c.get("/stations/").status_code == 403
    assert c.get(f"/stations/{station.pk}/").status_code == 403
    assert c.post(f"/stations/{station.pk}/token/").status_code == 403


def test_alice_suspends_and_reissues_from_the_page_with_csrf(
    alice: User, hospital: tuple[MonitoringStation, str]
) -> None:
    station, old = hospital
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    url = f"/stations/{station.pk}/status/"
    assert strict.post(url, {"status": "suspended", "reason": "核查"}).status_code == 403
    station.refresh_from_db()
    assert station.status == "active"

    page = strict.get(f"/stations/{station.pk}/")
    csrf = page.cookies["csrftoken"].value
    r = strict.post(
        url, {"status": "suspended", "reason": "核查", "csrfmiddlewaretoken": csrf}, follow=True
    )
    assert r.status_code == 200
    station.refresh_from_db()
    assert station.status == "suspended"
    assert "变更状态" in r.content.decode()

    r = strict.post(
        f"/stations/{station.pk}/token/",
        {"action": "issue", "csrfmiddlewaretoken": csrf},
        follow=True,
    )
    station.refresh_from_db()
    shown = [str(m) for m in r.context["messages"]]
    assert any(station.token_prefix in m for m in shown)
    assert post(old, [record("H-1")]).status_code == 401
