"""Exchange with other regulators: what goes out, what comes in, and what is kept."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from types import GeneratorType
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.exchange import services
from pqrisk.exchange.format import ExportFilters, InvalidFilters
from pqrisk.exchange.services import export_records, import_exchange, start_export
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_objects
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.services import screen_pending
from pqrisk.web.tests.factories import assessment

from .conftest import SAMPLES, stored

pytestmark = pytest.mark.django_db

FOREIGN = {"name": "江苏省市场监督管理局", "code": "JSAMR", "contact": ""}


def export_file(path: Path, filters: ExportFilters | None = None, **kwargs: Any) -> Path:
    fmt = "json" if path.suffix == ".json" else "jsonl"
    with path.open("w", encoding="utf-8") as fh:
        export_records(filters or ExportFilters(), fh, fmt=fmt, **kwargs)
    return path


def exported(filters: ExportFilters | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """The records of a JSONL export (the header line dropped)."""
    out = StringIO()
    export_records(filters or ExportFilters(), out, **kwargs)
    return [json.loads(line) for line in out.getvalue().split("\n")[1:-1]]


def empty_the_database() -> None:
    RawItem.objects.all().delete()
    IngestBatch.objects.all().delete()


def envelope(records: list[Any], **header: Any) -> dict[str, Any]:
    return {
        "format": "pqrisk-exchange",
        "version": 1,
        "producer": {"name": "上海市消费者权益保护委员会", "code": "SHXBW"},
        **header,
        "records": records,
    }


def complaint(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "complaint",
        "external_id": external_id,
        "occurred_at": "2026-08-15",
        "title": "电热水壶使用时漏电",
        "text": "消费者反映购买的电热水壶烧水时手柄处有麻感，怀疑漏电，要求退货。",
        "district": "徐汇区",
        **extra,
    }


# ---------------------------------------------------------------- round trip and ids


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_records_of_every_source_come_back_the_same_in_a_clean_database(
    sample_records: int, tmp_path: Path, fmt: str
) -> None:
    # A line separator inside a text must not split a JSONL line.
    ingest_objects([complaint("C-2028", text="第一行\u2028第二行\x85第三行")], source_label="t")
    before = stored()
    assert len({source for source, _ in before}) == 7
    path = export_file(tmp_path / f"all.{fmt}")

    empty_the_database()
    result = import_exchange(path)

    assert result.rejected is None and result.complete
    assert (result.ingest.accepted, result.ingest.quarantined) == (len(before), 0)
    assert result.declared == result.read == len(before)
    assert stored() == before  # our own file: same ids, same canonical records


def test_importing_the_same_file_twice_stores_nothing_new() -> None:
    first = import_exchange(SAMPLES / "exchange" / "good.json")
    assert (first.ingest.accepted, first.ingest.quarantined) == (3, 0)
    again = import_exchange(SAMPLES / "exchange" / "good.json")
    assert (again.ingest.accepted, again.ingest.duplicates, again.ingest.quarantined) == (0, 3, 0)
    assert RawItem.objects.count() == 3
    # The JSONL variant holds the same records: nothing new either.
    jsonl = import_exchange(SAMPLES / "exchange" / "good.jsonl")
    assert (jsonl.ingest.accepted, jsonl.ingest.duplicates) == (0, 3)


def test_ids_of_another_producer_get_its_code_and_the_producer_is_named() -> None:
    result = import_exchange(SAMPLES / "exchange" / "good.json")
    assert result.producer is not None and result.producer.code == "SHXBW"
    ids = sorted(RawItem.objects.values_list("external_id", flat=True))
    assert ids == ["SHXBW:XBW-2026-0815", "SHXBW:XBW-2026-0822", "SHXBW:XBW-2026-0830"]
    item = RawItem.objects.get(external_id="SHXBW:XBW-2026-0815")
    assert item.source_name == "交换文件 good.json（上海市消费者权益保护委员会，SHXBW）"
    assert "tags" not in item.payload["details"]  # the producer's tags are not ours
    batch = IngestBatch.objects.get(pk=result.ingest.batch_id)
    event = AuditEvent.objects.get(action="ingest", object_id=str(batch.pk))
    assert "上海市消费者权益保护委员会" in event.message


def test_the_same_id_from_another_regulator_is_a_second_record_not_a_clash(
    sample_records: int, tmp_path: Path, settings: Any
) -> None:
    settings.PQRISK_EXCHANGE_PRODUCER = FOREIGN
    theirs = export_file(tmp_path / "jiangsu.jsonl", ExportFilters(sources=("complaint",)))
    settings.PQRISK_EXCHANGE_PRODUCER = None  # back to being ourselves

    result = import_exchange(theirs)
    again = import_exchange(theirs)

    assert (result.ingest.accepted, result.ingest.quarantined) == (6, 0)
    assert (again.ingest.accepted, again.ingest.duplicates) == (0, 6)
    assert RawItem.objects.count() == sample_records + 6
    ours = RawItem.objects.filter(source_kind="complaint").exclude(external_id__contains=":")
    for item in ours:
        twin = RawItem.objects.get(external_id=f"JSAMR:{item.external_id}")
        assert twin.payload == {**item.payload, "external_id": twin.external_id}


# ---------------------------------------------------------------- files not accepted


def test_a_file_of_an_unsupported_version_is_kept_whole_in_quarantine() -> None:
    path = SAMPLES / "exchange" / "bad_version.json"
    result = import_exchange(path)

    assert result.rejected is not None
    assert (result.ingest.accepted, result.ingest.quarantined) == (0, 1)
    assert RawItem.objects.count() == 0
    q = QuarantinedItem.objects.get()
    assert q.reason == "malformed" and q.location == "bad_version.json"
    assert q.message.startswith("不支持的交换格式版本：2（本平台支持版本 1）")
    assert q.content == path.read_text(encoding="utf-8")  # nothing lost
    assert "交换文件未被接受" in result.summary_zh and "隔离区" in result.summary_zh


def test_a_file_of_another_format_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "gb-exchange", "version": 1, "records": []}))
    result = import_exchange(path)
    assert result.rejected is not None
    q = QuarantinedItem.objects.get()
    assert "不是 pqrisk-exchange 交换文件（format 为 gb-exchange）" in q.message


def test_every_line_of_a_jsonl_file_with_a_bad_header_is_kept_in_quarantine(
    tmp_path: Path,
) -> None:
    lines = [{**envelope([]), "version": 3}, complaint("C-1"), complaint("C-2")]
    del lines[0]["records"]
    path = tmp_path / "v3.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")

    result = import_exchange(path)

    assert (result.ingest.accepted, result.ingest.quarantined) == (0, 3)
    kept = {q.location: q for q in QuarantinedItem.objects.all()}
    assert set(kept) == {"v3.jsonl:1", "v3.jsonl:2", "v3.jsonl:3"}
    assert kept["v3.jsonl:1"].message.startswith("不支持的交换格式版本：3")
    assert kept["v3.jsonl:2"].message.startswith("交换文件未被接受，本行随文件保存在隔离区")
    assert '"C-2"' in kept["v3.jsonl:3"].content


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.jsonl", "", "交换文件为空"),
        ("broken.json", '{"format": "pqrisk-exchange", ', "文件不是合法的JSON"),
        ("broken.jsonl", "{not json\n", "第1行（文件头）无法读取"),
        ("records.csv", "来源类型,编号\n", "交换文件应为 .json 或 .jsonl 文件"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    tmp_path: Path, name: str, content: str, words: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = import_exchange(path)
    assert result.rejected is not None and words in result.rejected.message_zh
    assert QuarantinedItem.objects.get().content.rstrip("\n") == content.rstrip("\n")


def test_a_bad_record_in_a_good_envelope_is_quarantined_and_the_others_kept(
    tmp_path: Path,
) -> None:
    records = [
        complaint("C-1"),
        "这不是一条记录",
        complaint("C-3", enterprise_uscc="91310112MA1G0A3K5D"),
        complaint("C-4", tags={"risk_level": "high"}),
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(envelope(records, record_count=4), ensure_ascii=False), "utf-8")

    result = import_exchange(path)

    assert (result.ingest.accepted, result.ingest.quarantined) == (2, 2)
    assert sorted(RawItem.objects.values_list("external_id", flat=True)) == [
        "SHXBW:C-1",
        "SHXBW:C-4",
    ]
    kept = {q.location: q for q in QuarantinedItem.objects.all()}
    assert kept["mixed.json#2"].reason == "malformed"
    assert (
        kept["mixed.json#3"].reason == "invalid_uscc" and "校验位" in kept["mixed.json#3"].message
    )
    assert '"C-3"' in kept["mixed.json#3"].content  # as the producer sent it


def test_a_file_shorter_than_its_header_says_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(envelope([complaint("C-1")], record_count=5)), "utf-8")
    result = import_exchange(path)
    assert result.ingest.accepted == 1 and not result.complete
    assert "文件头声明 5 条，实际读到 1 条" in result.summary_zh


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_gbk_encoded_exchange_file_is_read(tmp_path: Path, suffix: str) -> None:
    text = (SAMPLES / "exchange" / f"good{suffix}").read_text(encoding="utf-8")
    path = tmp_path / f"gbk{suffix}"
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    result = import_exchange(path)

    assert (result.ingest.accepted, result.ingest.quarantined) == (3, 0)
    item = RawItem.objects.get(external_id="SHXBW:XBW-2026-0822")
    assert item.payload["title"] == "儿童外套帽绳过长"
    assert result.producer is not None and result.producer.name == "上海市消费者权益保护委员会"


# ---------------------------------------------------------------- what an export holds


def test_screened_records_carry_their_tags_and_the_latest_risk_level(sample_records: int) -> None:
    screen_pending()
    info = RiskInfo.objects.filter(product_category__isnull=False).first()
    assert info is not None
    assessment(info)
    ingest_objects([complaint("C-new")], source_label="t")  # not yet screened

    records = {(r["source"], r["external_id"]): r for r in exported()}

    tags = records[(info.source_kind, info.raw_item.external_id)]["tags"]
    assert tags["product_category"] == info.product_category.code  # type: ignore[union-attr]
    assert tags["risk_level"] == "high"
    assert "tags" not in records[("complaint", "C-new")]
    unassessed = [r for r in records.values() if "tags" in r and r["tags"]["risk_level"] is None]
    assert len(unassessed) == sample_records - 1


def test_an_export_selects_by_source_and_occurrence_date(sample_records: int) -> None:
    records = exported(ExportFilters(sources=("injury", "recall")))
    assert {r["source"] for r in records} == {"injury", "recall"} and len(records) == 12

    dates = sorted(p["occurred_at"][:10] for p in stored().values() if p["occurred_at"])
    since, until = dates[5], dates[-6]
    selected = exported(ExportFilters(since=_day(since), until=_day(until), date_field="occurred"))
    expected = [d for d in dates if since <= d <= until]
    assert sorted(r["occurred_at"][:10] for r in selected) == expected


def test_an_export_selects_by_day_of_receipt(sample_records: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    old = RawItem.objects.filter(source_kind="penalty")
    old.update(received_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()
    recent = exported(ExportFilters(since=today, until=today, date_field="received"))
    assert len(recent) == sample_records - 6
    assert "penalty" not in {r["source"] for r in recent}


def test_an_export_by_district_takes_the_district_screening_settled_on(
    sample_records: int,
) -> None:
    screen_pending()
    pudong = set(
        RiskInfo.objects.filter(district__code="310115").values_list(
            "raw_item__external_id", flat=True
        )
    )
    assert pudong
    records = exported(ExportFilters(district="浦东新区"))
    assert {r["external_id"] for r in records} == pudong


def test_impossible_selections_are_refused_before_anything_is_written() -> None:
    with pytest.raises(InvalidFilters, match="行政区无法识别：火星区"):
        exported(ExportFilters(district="火星区"))
    with pytest.raises(InvalidFilters, match="导出格式应为 json 或 jsonl"):
        start_export(ExportFilters(), fmt="xml")
    assert not AuditEvent.objects.filter(action="export").exists()


# ---------------------------------------------------------------- who may export what


def test_a_district_officer_exports_only_their_own_district(sample_records: int, bob: User) -> None:
    screen_pending()
    out = StringIO()
    export = export_records(ExportFilters(), out, user=bob)

    header = json.loads(out.getvalue().split("\n")[0])
    records = [json.loads(line) for line in out.getvalue().split("\n")[1:-1]]
    pudong = RiskInfo.objects.filter(district__code="310115")
    assert header["filters"]["district"] == "310115"
    assert header["record_count"] == export.count == len(records) == pudong.count() > 0
    assert {r["external_id"] for r in records} == {i.raw_item.external_id for i in pudong}

    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.district.code) == (bob, "310115")  # type: ignore[union-attr]
    assert (event.object_type, event.object_id) == ("exchange.export", export.export_id)
    assert event.detail["record_count"] == len(records)


def test_a_district_officer_may_not_ask_for_another_district(
    sample_records: int, bob: User
) -> None:
    with pytest.raises(PermissionDenied, match="只能导出本区（浦东新区）"):
        start_export(ExportFilters(district="嘉定区"), user=bob)
    assert (
        start_export(ExportFilters(district="浦东"), user=bob).header["filters"]["district"]
        == "310115"
    )


def test_a_city_user_exports_every_district(sample_records: int, alice: User) -> None:
    assert start_export(ExportFilters(), user=alice).count == sample_records


def test_someone_without_a_role_may_not_export(sample_records: int, eve: User) -> None:
    with pytest.raises(PermissionDenied):
        start_export(ExportFilters(), user=eve)
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_ready_queryset_is_still_scoped_to_the_user(sample_records: int, charlie: User) -> None:
    screen_pending()
    export = start_export(RawItem.objects.all(), user=charlie)
    jiading = RiskInfo.objects.filter(district__code="310114").count()
    assert export.count == jiading > 0


# ---------------------------------------------------------------- streaming


def test_an_export_streams_rows_a_chunk_at_a_time(
    sample_records: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int | None] = []
    real = QuerySet.iterator

    def spy(self: QuerySet[Any], chunk_size: int | None = None) -> Any:
        sizes.append(chunk_size)
        return real(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    monkeypatch.setattr(services, "EXPORT_CHUNK", 5)
    export = start_export(ExportFilters())
    chunks = export.chunks()

    assert isinstance(chunks, GeneratorType)
    assert sizes == []  # nothing fetched until the file is written
    head = next(chunks)
    assert json.loads(head)["record_count"] == sample_records
    assert len(list(chunks)) == sample_records
    assert sizes == [5]


def test_an_export_is_the_records_stored_when_it_started(sample_records: int) -> None:
    export = start_export(ExportFilters())
    ingest_objects([complaint("C-late")], source_label="t")
    lines = "".join(export.chunks()).split("\n")[1:-1]
    assert len(lines) == export.count == sample_records
    assert "C-late" not in "".join(lines)


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)
