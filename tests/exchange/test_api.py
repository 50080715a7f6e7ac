"""The exchange endpoints: who may call them, what they stream, what they refuse."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

import pytest
from django.test import Client

from pqrisk.accounts.models import User
from pqrisk.exchange import api
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.services import screen_pending

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db

EXPORT = "/api/exchange/export"
IMPORT = "/api/exchange/import"


def client(user: User | None = None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def streamed(response: Any) -> bytes:
    assert response.streaming  # sent as it is written, not built whole first
    return b"".join(response.streaming_content)


def lines(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in streamed(response).decode("utf-8").split("\n")[:-1]]


def test_a_city_user_downloads_every_record_as_jsonl(sample_records: int, alice: User) -> None:
    response = client(alice).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response["Content-Disposition"]
    header, *records = lines(response)
    assert header["format"] == "pqrisk-exchange" and header["version"] == 1
    assert header["producer"]["code"] == "SHAMR"
    assert header["record_count"] == len(records) == sample_records


def test_the_json_variant_and_filters_are_taken_from_the_query(
    sample_records: int, dana: User
) -> None:
    response = client(dana).get(
        EXPORT, {"format": "json", "source": ["injury", "recall"], "since": "2026-01-01"}
    )
    assert response.status_code == 200
    whole = json.loads(streamed(response))
    assert whole["filters"]["sources"] == ["injury", "recall"]
    assert {r["source"] for r in whole["records"]} == {"injury", "recall"}


def test_a_district_officer_downloads_only_their_district(sample_records: int, bob: User) -> None:
    screen_pending()
    header, *records = lines(client(bob).get(EXPORT))
    pudong = RiskInfo.objects.filter(district__code="310115")
    assert header["filters"]["district"] == "310115"
    assert {r["external_id"] for r in records} == {i.raw_item.external_id for i in pudong}

    other = client(bob).get(EXPORT, {"district": "310114"})
    assert other.status_code == 403
    assert "只能导出本区（浦东新区）" in other.json()["detail"]


def test_anonymous_and_roleless_callers_are_refused(eve: User) -> None:
    assert client().get(EXPORT).status_code == 401
    assert client().post(IMPORT, {}, content_type="application/json").status_code == 401
    assert client(eve).get(EXPORT).status_code == 403
    refused = client(eve).post(IMPORT, {}, content_type="application/json")
    assert refused.status_code == 403 and "需要以下角色之一" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"source": "weibo"}, "来源类型无法识别：weibo"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "晚于截止日期"),
        ({"district": "火星区"}, "行政区无法识别"),
        ({"format": "xml"}, "导出格式应为 json 或 jsonl"),
        ({"by": "published"}, "日期依据"),
    ],
)
def test_impossible_selections_get_a_400_in_chinese(
    alice: User, query: dict[str, str], words: str
) -> None:
    response = client(alice).get(EXPORT, query)
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_an_uploaded_file_is_imported_under_its_name(alice: User) -> None:
    upload = BytesIO((SAMPLES / "exchange" / "good.json").read_bytes())
    upload.name = "消保委-2026-08.json"
    response = client(alice).post(IMPORT, {"file": upload})

    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["accepted"], out["quarantined"], out["producer_code"]) == (3, 0, "SHXBW")
    assert (out["declared"], out["read"]) == (3, 3)
    item = RawItem.objects.get(external_id="SHXBW:XBW-2026-0815")
    assert item.source_name.startswith("交换文件 消保委-2026-08.json")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("good.json", "application/json"), ("good.jsonl", "application/x-ndjson")],
)
def test_a_file_sent_as_the_body_is_imported_and_twice_stores_nothing_new(
    dana: User, name: str, content_type: str
) -> None:
    body = (SAMPLES / "exchange" / name).read_bytes()
    first = client(dana).post(IMPORT, body, content_type=content_type)
    again = client(dana).post(IMPORT, body, content_type=content_type)
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted"] == 3
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 3)
    assert RawItem.objects.count() == 3


def test_a_file_of_an_unsupported_version_gets_422_and_is_kept(bob: User) -> None:
    body = (SAMPLES / "exchange" / "bad_version.json").read_bytes()
    response = client(bob).post(IMPORT, body, content_type="application/json")

    assert response.status_code == 422
    out = response.json()
    assert "不支持的交换格式版本：2" in out["detail"]
    assert out["quarantined"] == 1 and out["accepted"] == 0
    assert QuarantinedItem.objects.get(batch_id=out["batch_id"]).content == body.decode()
    assert RawItem.objects.count() == 0


def test_a_file_over_the_limit_gets_413_in_chinese(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "MAX_IMPORT_BYTES", 1000)
    body = (SAMPLES / "exchange" / "good.json").read_bytes()
    assert len(body) > 1000
    as_body = client(alice).post(IMPORT, body, content_type="application/json")
    upload = BytesIO(body)
    upload.name = "good.json"
    as_file = client(alice).post(IMPORT, {"file": upload})
    for response in (as_body, as_file):
        assert response.status_code == 413
        assert "pqrisk import-exchange" in response.json()["detail"]
    assert RawItem.objects.count() == QuarantinedItem.objects.count() == 0


def test_a_form_without_a_file_is_told_what_to_send(alice: User) -> None:
    response = client(alice).post(IMPORT, {"other": "x"})
    assert response.status_code == 400
    assert "file 字段" in response.json()["detail"]
