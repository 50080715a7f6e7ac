"""Bureau staff submit records through the API: a body that cannot be read is refused in
Chinese and kept whole in quarantine, exactly as a station's is.

dana (评估中心) and bob (浦东 district officer) may submit; eve, with no role, may not, and
what she sends is not kept.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.intake.body import MAX_RECORDS
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem

pytestmark = pytest.mark.django_db

URL = "/api/intake/records"


def record(external_id: str, **extra: object) -> dict[str, object]:
    return {
        "source": "complaint",
        "external_id": external_id,
        "occurred_at": "2026-03-05",
        "title": "电热水壶漏电",
        "text": "消费者反映购买的电热水壶使用时漏电，手部有麻感。",
        "district": "浦东新区",
        **extra,
    }


def submit(user: User | None, body: bytes | dict[str, Any]) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    c = Client()
    if user is not None:
        c.force_login(user)
    return c.post(URL, data, content_type="application/json")


def kept() -> QuarantinedItem:
    """The one quarantined item: the body, kept whole in a batch of its own."""
    held = QuarantinedItem.objects.select_related("batch").get()
    assert held.location == "接口提交（请求体）"
    assert held.batch is not None and held.batch.quarantined == 1
    return held


# ---------------------------------------------------------------- good bodies as before


def test_a_good_body_is_ingested_as_before(dana: User) -> None:
    r = submit(dana, {"records": [record("A-1"), record("A-2", district="火星区")]})
    assert r.status_code == 200, r.content
    out = r.json()
    assert set(out) == {"batch_id", "accepted", "duplicates", "quarantined", "summary"}
    assert (out["accepted"], out["quarantined"]) == (1, 1)
    assert QuarantinedItem.objects.get().reason == "unknown_district"
    assert IngestBatch.objects.get(pk=out["batch_id"]).submitted_by == dana


def test_the_body_may_name_the_source_of_its_records(bob: User) -> None:
    bare = {k: v for k, v in record("P-1").items() if k != "source"}
    r = submit(bob, {"source": "complaint", "records": [bare]})
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert RawItem.objects.get().source_kind == "complaint"


def test_a_record_that_is_not_an_object_is_quarantined_alone(dana: User) -> None:
    r = submit(dana, {"records": [record("O-1"), "O-2"]})
    assert r.status_code == 200
    assert (r.json()["accepted"], r.json()["quarantined"]) == (1, 1)
    assert QuarantinedItem.objects.get().reason == "malformed"


# ---------------------------------------------------------------- bad bodies, kept


def test_malformed_json_is_refused_in_chinese_and_kept(dana: User) -> None:
    body = b'{"records": [{"title": "\xe7\x94\xb5"'
    r = submit(dana, body)
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert detail.startswith("请求体不是有效的JSON（第1行第"), detail
    held = kept()
    assert (held.reason, held.content) == ("malformed", body.decode())
    assert f"原始内容已保存在隔离区（批次 {held.batch_id}）" in detail
    assert detail.endswith("请更正后重新提交")
    assert held.batch is not None and held.batch.submitted_by == dana
    assert not RawItem.objects.exists()


def test_a_gbk_body_is_refused_in_chinese_and_kept_readable(bob: User) -> None:
    text = json.dumps({"records": [record("G-1")]}, ensure_ascii=False)
    r = submit(bob, text.encode("gbk"))
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "请求体不是有效的UTF-8编码" in detail and "疑似GBK/GB18030编码" in detail
    held = kept()
    assert held.reason == "encoding"
    assert held.content == text, "decoded in the encoding it was sent in: readable, and exact"
    assert f"原始内容已按GBK/GB18030解码保存在隔离区（批次 {held.batch_id}）" in detail
    # bob is told what went wrong, and the body sent again as UTF-8 is accepted.
    assert submit(bob, text.encode()).json()["accepted"] == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[]", '"records" 为记录数组'),
        (b'{"items": []}', '"records" 为记录数组'),
        (b'{"records": "R-1"}', '"records" 为记录数组'),
        (b'{"source": 5, "records": []}', '"source" 应为来源类型的文字代码'),
        (b'{"records": [{"title": NaN}]}', "请求体不是有效的JSON"),
        (b"", "请求体不是有效的JSON"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_in_chinese_and_kept(
    dana: User, body: bytes, expected: str
) -> None:
    r = submit(dana, body)
    assert r.status_code == 400
    assert expected in r.json()["detail"], r.json()["detail"]
    held = kept()
    assert (held.reason, held.content) == ("malformed", body.decode())


def test_too_many_records_are_refused_and_kept_for_splitting(dana: User) -> None:
    body = json.dumps(
        {"source": "complaint", "records": [record(f"M-{i}") for i in range(MAX_RECORDS + 1)]},
        ensure_ascii=False,
    ).encode()
    r = submit(dana, body)
    assert r.status_code == 413
    detail = r.json()["detail"]
    assert detail.startswith(f"单次最多提交{MAX_RECORDS}条记录，本次{MAX_RECORDS + 1}条"), detail
    assert detail.endswith("请分批提交")
    held = kept()
    assert (held.reason, held.source_kind) == ("too_large", "complaint")
    assert held.content == body.decode()
    assert f"批次 {held.batch_id}" in detail
    assert not RawItem.objects.exists()


def test_keeping_a_body_is_audited(dana: User) -> None:
    submit(dana, b"{oops")
    held = kept()
    event = AuditEvent.objects.get(action="ingest")
    assert event.object_id == str(held.batch_id) and event.actor == dana
    assert "隔离 1" in event.message


# ---------------------------------------------------------------- refused, nothing kept


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_big_to_read_is_refused_in_chinese(dana: User) -> None:
    r = submit(dana, {"records": [record(f"X-{i}") for i in range(20)]})
    assert r.status_code == 413
    assert r.json()["detail"] == "请求体过大，请减少每次提交的记录条数，分批提交"
    assert not QuarantinedItem.objects.exists() and not IngestBatch.objects.exists()


def test_who_may_not_submit_has_nothing_kept(eve: User) -> None:
    assert submit(None, b"{oops").status_code == 401
    assert submit(eve, b"{oops").status_code == 403
    assert not QuarantinedItem.objects.exists() and not IngestBatch.objects.exists()


def test_the_api_documentation_still_shows_the_body(dana: User) -> None:
    c = Client()
    c.force_login(dana)
    post = c.get("/api/openapi.json").json()["paths"][URL]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"source", "records"} <= set(schema["properties"])
    assert {"200", "400", "413"} <= set(post["responses"])
