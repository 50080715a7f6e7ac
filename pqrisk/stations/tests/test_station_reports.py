"""A station's push: read as UTF-8 JSON or kept in quarantine with a Chinese reason, refused
with a Retry-After when it comes too often, and scored by what its reports turn out to be."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.screening.models import RiskInfo
from pqrisk.stations import quality, services
from pqrisk.stations.models import MonitoringStation
from pqrisk.stations.services import day_bounds, refresh_station_scores, register_station

from .reports import URL, record

pytestmark = pytest.mark.django_db


def push(token: str, body: bytes | dict[str, Any]) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return Client().post(
        URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.fixture
def lab(alice: User) -> tuple[MonitoringStation, str]:
    return register_station(name="上海市质检院监测站", kind="lab", user=alice)


# ---------------------------------------------------------------- reading the body


def test_a_good_push_and_the_same_push_again(lab: tuple[MonitoringStation, str]) -> None:
    _, token = lab
    first = push(token, {"records": [record("L-1"), record("L-2")]})
    assert first.status_code == 200, first.content
    assert (first.json()["accepted"], first.json()["duplicates"]) == (2, 0)
    again = push(token, {"records": [record("L-1"), record("L-2")]})
    assert again.status_code == 200
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 2)
    assert "重复提交 2 条" in again.json()["summary"]
    assert RawItem.objects.count() == 2


def test_a_gbk_body_is_refused_in_chinese_and_kept_in_quarantine(
    lab: tuple[MonitoringStation, str],
) -> None:
    station, token = lab
    text = json.dumps({"records": [record("G-1")]}, ensure_ascii=False)
    r = push(token, text.encode("gbk"))
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "请求体不是有效的UTF-8编码" in detail and "疑似GBK/GB18030编码" in detail
    assert "隔离区" in detail
    held = QuarantinedItem.objects.get()
    assert held.reason == "encoding"
    assert held.content == text, "decoded in the encoding it was sent in: readable, and exact"
    assert held.batch is not None and held.batch.station == station
    assert f"批次 {held.batch.pk}" in detail
    assert not RawItem.objects.exists()
    # A person can tell the station what went wrong, and the corrected push is accepted.
    assert push(token, text.encode()).status_code == 200


def test_bytes_in_no_known_encoding_are_kept_as_escapes(lab: tuple[MonitoringStation, str]) -> None:
    _, token = lab
    r = push(token, b'{"records": [\xff\xfe\x00\x81]}')
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"]
    held = QuarantinedItem.objects.get()
    assert held.reason == "encoding" and "\\xff" in held.content


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"records": [{"title": "\xe7\x94\xb5"', "请求体不是有效的JSON（第1行第"),
        (b'{"records": [{"title": NaN}]}', "请求体不是有效的JSON"),
        (b"[]", '"records" 为记录数组'),
        (b'{"records": "H-1"}', '"records" 为记录数组'),
        (b"", "请求体不是有效的JSON"),
    ],
)
def test_a_malformed_body_is_refused_in_chinese_and_kept_in_quarantine(
    lab: tuple[MonitoringStation, str], body: bytes, expected: str
) -> None:
    station, token = lab
    r = push(token, body)
    assert r.status_code == 400
    assert expected in r.json()["detail"], r.json()["detail"]
    held = QuarantinedItem.objects.get()
    assert held.reason == "malformed" and held.content == body.decode()
    assert held.batch is not None and held.batch.station == station
    assert held.batch.quarantined == 1


def test_a_byte_order_mark_is_tolerated(lab: tuple[MonitoringStation, str]) -> None:
    _, token = lab
    body = "\ufeff" + json.dumps({"records": [record("B-1")]}, ensure_ascii=False)
    assert push(token, body.encode()).json()["accepted"] == 1


def test_an_unreadable_body_counts_against_the_quota(alice: User) -> None:
    _, token = register_station(name="小型检测所", kind="lab", user=alice, daily_quota=1)
    assert push(token, b"{oops").status_code == 400
    r = push(token, b"{oops")
    assert r.status_code == 429 and "每日最多1条" in r.json()["detail"]
    assert QuarantinedItem.objects.count() == 1


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_big_to_read_is_refused_in_chinese(lab: tuple[MonitoringStation, str]) -> None:
    _, token = lab
    r = push(token, {"records": [record(f"X-{i}") for i in range(20)]})
    assert r.status_code == 413 and "请求体过大" in r.json()["detail"]


def test_the_api_documentation_still_shows_the_body(alice: User) -> None:
    c = Client()
    c.force_login(alice)
    schema = c.get("/api/openapi.json").json()
    body = schema["paths"]["/api/intake/station-reports"]["post"]["requestBody"]
    assert "records" in body["content"]["application/json"]["schema"]["properties"]


# ---------------------------------------------------------------- Retry-After


def test_too_many_calls_are_told_when_to_come_back(
    lab: tuple[MonitoringStation, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = lab
    monkeypatch.setattr(services, "RATE_LIMIT_PER_MINUTE", 1)
    assert "Retry-After" not in push(token, {"records": [record("R-1")]})
    r = push(token, {"records": [record("R-2")]})
    assert r.status_code == 429
    wait = int(r["Retry-After"])
    assert 1 <= wait <= 60
    assert f"请{wait}秒后再试" in r.json()["detail"]


def test_a_station_may_have_its_own_rate_limit(alice: User) -> None:
    _, token = register_station(
        name="某电商平台", kind="ecommerce", user=alice, rate_limit_per_minute=2
    )
    codes = [push(token, {"records": [record(f"E-{i}")]}).status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_a_spent_quota_is_told_when_it_resets(alice: User) -> None:
    _, token = register_station(name="小型检测所", kind="lab", user=alice, daily_quota=1)
    assert push(token, {"records": [record("Q-1")]}).status_code == 200
    r = push(token, {"records": [record("Q-2")]})
    now = timezone.now()
    assert r.status_code == 429
    _, midnight = day_bounds(now)
    assert abs(int(r["Retry-After"]) - (midnight - now).total_seconds()) <= 2


def test_the_quota_resets_at_midnight_shanghai_time(alice: User) -> None:
    station, _ = register_station(name="小型检测所", kind="lab", user=alice, daily_quota=1)
    at = timezone.localtime(timezone.now()).replace(hour=23, minute=59, second=20, microsecond=0)
    with pytest.raises(services.StationRefused) as info:
        services.receive_station_report(station, [record("Q-1"), record("Q-2")], now=at)
    assert (info.value.status, info.value.retry_after) == (429, 40)


# ---------------------------------------------------------------- quality score


def _confirm(station: MonitoringStation, n: int, status: str) -> None:
    for item in RawItem.objects.filter(station=station).order_by("id")[:n]:
        RiskInfo.objects.create(
            raw_item=item,
            source_kind=item.source_kind,
            status=status,
            title=item.payload["title"],
            content_hash=item.payload_hash,
        )


def test_the_score_rises_as_reports_are_confirmed_and_falls_with_duplicates(alice: User) -> None:
    useful, useful_token = register_station(name="有用站", kind="hospital", user=alice)
    noisy, noisy_token = register_station(name="噪声站", kind="hospital", user=alice)
    repeat, repeat_token = register_station(name="重复站", kind="hospital", user=alice)
    four = [record(f"C-{i}") for i in range(4)]
    for token in (useful_token, noisy_token, repeat_token):
        assert push(token, {"records": four}).json()["accepted"] == 4
    now = timezone.now() + timedelta(minutes=1)
    before = refresh_station_scores(now)
    assert before[useful.pk] == before[noisy.pk] == before[repeat.pk]

    # Later, two of 有用站's four reports prove to be real risks; 噪声站's turn out noise.
    _confirm(useful, 1, "assessed")
    RiskInfo.objects.create(
        raw_item=RawItem.objects.filter(station=useful).order_by("id")[1],
        source_kind="station",
        status="warned",
        title="已纳入预警",
        content_hash="-",
    )
    _confirm(noisy, 4, "noise")
    after = refresh_station_scores(now)
    gained = round(after[useful.pk] - before[useful.pk], 1)
    assert gained == round(100 * quality.WEIGHT_CONFIRMED * 2 / 4, 1)  # 10 points
    assert after[noisy.pk] == before[noisy.pk]
    useful.refresh_from_db()
    assert float(useful.score) == after[useful.pk]

    # 重复站 sends the same four again: half of what it submitted is duplicates.
    assert push(repeat_token, {"records": four}).json()["duplicates"] == 4
    latest = refresh_station_scores(now)
    lost = round(before[repeat.pk] - latest[repeat.pk], 1)
    assert lost == round(100 * quality.WEIGHT_NO_DUPLICATES * 4 / 8, 1)  # 7.5 points
    assert latest[repeat.pk] < latest[noisy.pk] < latest[useful.pk]
    assert IngestBatch.objects.filter(station=repeat).count() == 2


# ---------------------------------------------------------------- the sample bodies

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "station"


def test_the_sample_pushes_good_duplicate_malformed_and_gbk(
    lab: tuple[MonitoringStation, str],
) -> None:
    """samples/station holds what a station may send; each is answered as documented."""
    _, token = lab
    good = (SAMPLES / "good.json").read_bytes()
    first = push(token, good)
    assert first.status_code == 200, first.content
    assert (first.json()["accepted"], first.json()["quarantined"]) == (3, 0)
    again = push(token, good)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 3)

    broken = push(token, (SAMPLES / "bad.json").read_bytes())
    assert broken.status_code == 400 and "JSON" in broken.json()["detail"]
    one_bad = push(token, (SAMPLES / "bad_record.json").read_bytes())
    assert one_bad.status_code == 200
    assert (one_bad.json()["duplicates"], one_bad.json()["quarantined"]) == (1, 1)
    assert QuarantinedItem.objects.filter(reason="unknown_district").count() == 1

    gbk = push(token, (SAMPLES / "gbk.json").read_bytes())
    assert gbk.status_code == 400 and "GBK" in gbk.json()["detail"]
    assert QuarantinedItem.objects.filter(reason="encoding").count() == 1
    assert RawItem.objects.count() == 3
