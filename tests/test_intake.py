"""Bad input gets a clear error and loses nothing: everything rejected is in quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client

from pqrisk.cli import main
from pqrisk.core.uscc import complete_uscc
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_file, ingest_objects

pytestmark = pytest.mark.django_db

GOOD_USCC = complete_uscc("91310115MA1H00001")


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


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows),
        encoding="utf-8",
    )
    return path


def test_invalid_uscc_is_quarantined_with_a_chinese_reason() -> None:
    bad = GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1")
    result = ingest_objects([record("C-1", enterprise_uscc=bad)], source_label="t")
    assert (result.accepted, result.quarantined) == (0, 1)
    q = QuarantinedItem.objects.get()
    assert q.reason == "invalid_uscc"
    assert "校验位" in q.message
    assert "C-1" in q.content


def test_unknown_district_is_quarantined() -> None:
    ingest_objects([record("C-2", district="火星区")], source_label="t")
    q = QuarantinedItem.objects.get()
    assert q.reason == "unknown_district"
    assert "火星区" in q.message


def test_district_short_names_and_codes_resolve() -> None:
    result = ingest_objects(
        [
            record("C-3", district="浦东"),
            record("C-4", district="310115"),
            record("C-5", district="临港新片区"),
        ],
        source_label="t",
    )
    assert result.accepted == 3


def test_duplicate_submission_is_counted_not_stored_twice() -> None:
    ingest_objects([record("C-6")], source_label="t")
    again = ingest_objects([record("C-6")], source_label="t")
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 1, 0)
    assert RawItem.objects.filter(external_id="C-6").count() == 1


def test_reused_id_with_new_content_is_kept_in_quarantine() -> None:
    ingest_objects([record("C-7")], source_label="t")
    changed = ingest_objects([record("C-7", text="内容被修改")], source_label="t")
    assert changed.quarantined == 1
    assert "内容被修改" in QuarantinedItem.objects.get().content


def test_huge_text_is_rejected_as_too_large() -> None:
    ingest_objects([record("C-8", text="漏电" * 40_000)], source_label="t")
    assert QuarantinedItem.objects.get().reason == "too_large"


def test_raw_items_cannot_be_modified() -> None:
    ingest_objects([record("C-9")], source_label="t")
    item = RawItem.objects.get()
    item.payload = {"changed": True}
    with pytest.raises(ValueError):
        item.save()


def test_malformed_jsonl_lines_are_quarantined_and_good_lines_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl", [record("J-1"), "{not json", "[1, 2]", record("J-2")]
    )
    result = ingest_file(path)
    assert (result.accepted, result.quarantined) == (2, 2)
    reasons = sorted(QuarantinedItem.objects.values_list("reason", flat=True))
    assert reasons == ["malformed", "malformed"]
    assert QuarantinedItem.objects.filter(content="{not json", location="mixed.jsonl:2").exists()


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "complaints.csv"
    rows = [
        "编号,日期,标题,内容,所属区,统一社会信用代码,投诉渠道",
        f"G-1,2026/03/05,充电宝起火,充电宝充电时冒烟起火,闵行区,{GOOD_USCC},12315",
    ]
    path.write_bytes("\n".join(rows).encode("gbk"))
    result = ingest_file(path, source="complaint")
    assert result.accepted == 1, QuarantinedItem.objects.values_list("message", flat=True)
    payload = RawItem.objects.get().payload
    assert payload["title"] == "充电宝起火"
    assert payload["district"] == "310112"
    assert payload["details"]["投诉渠道"] == "12315"


def test_cli_reports_a_malformed_file_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("{oops\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest", str(path)])
    assert out.exit_code == 1
    assert "隔离 1 条" in out.output
    assert QuarantinedItem.objects.get().location == "broken.jsonl:1"


def test_cli_rejects_an_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 binary\x00\x01")
    out = CliRunner().invoke(main, ["ingest", str(path)])
    assert out.exit_code == 1
    assert QuarantinedItem.objects.get().reason in ("malformed", "encoding")


def test_api_requires_login_and_a_role(eve, dana) -> None:
    body = {"records": [record("A-1")]}
    anonymous = Client()
    assert (
        anonymous.post("/api/intake/records", body, content_type="application/json").status_code
        == 401
    )
    c = Client()
    c.force_login(eve)
    assert c.post("/api/intake/records", body, content_type="application/json").status_code == 403
    c.force_login(dana)
    r = c.post("/api/intake/records", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["accepted"] == 1


def test_station_reports_with_its_token_only() -> None:
    from pqrisk.stations.models import MonitoringStation

    station = MonitoringStation(name="上海市质检院监测站", kind="lab")
    token = station.issue_token()
    station.save()
    body = {"records": [record("S-1")]}
    c = Client()
    bad = c.post(
        "/api/intake/station-reports",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer wrong-token-value",
    )
    assert bad.status_code == 401
    ok = c.post(
        "/api/intake/station-reports",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert ok.status_code == 200, ok.content
    item = RawItem.objects.get()
    assert item.source_kind == "station" and item.station == station
    assert item.external_id == f"S{station.pk}-S-1"


def test_nul_characters_are_dropped_so_any_database_stores_the_record() -> None:
    result = ingest_objects(
        [record("N-1", text="漏电\x00冒烟", details={"k\x00": "v\x00"})], source_label="t"
    )
    assert result.accepted == 1
    payload = RawItem.objects.get().payload
    assert payload["text"] == "漏电冒烟"
    assert payload["details"] == {"k": "v"}


def test_a_reissued_station_token_replaces_the_old_one() -> None:
    from pqrisk.audit.models import AuditEvent
    from pqrisk.stations.models import MonitoringStation
    from pqrisk.stations.services import issue_station_token

    station = MonitoringStation.objects.create(name="某电商平台监测站", kind="ecommerce")
    old = issue_station_token(station)
    new = issue_station_token(station)
    body = {"records": [record("T-1")]}
    c = Client()
    post = "/api/intake/station-reports"
    auth = {"content_type": "application/json"}
    assert c.post(post, body, HTTP_AUTHORIZATION=f"Bearer {old}", **auth).status_code == 401
    assert c.post(post, body, HTTP_AUTHORIZATION=f"Bearer {new}", **auth).status_code == 200
    assert AuditEvent.objects.filter(action="issue_token").count() == 2
    assert old not in str(list(AuditEvent.objects.values_list("message", flat=True)))
