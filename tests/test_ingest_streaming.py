"""Files are streamed: encoding from the first block, bad bytes cost one line, memory is flat."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from pqrisk.core.uscc import complete_uscc
from pqrisk.intake import services
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_file
from pqrisk.sources import readers
from pqrisk.sources.readers import DETECT_BLOCK, detect_encoding, read_path

pytestmark = pytest.mark.django_db

GOOD_USCC = complete_uscc("91310115MA1H00001")
HEADER = "编号,日期,标题,内容,所属区,统一社会信用代码,投诉渠道\n"


def record(external_id: str, **extra: object) -> dict[str, object]:
    return {
        "source": "complaint",
        "external_id": external_id,
        "occurred_at": "2026-03-05",
        "title": "电热水壶漏电",
        "text": "消费者反映购买的电热水壶使用时漏电，手部有麻感，要求退换并赔偿。",
        "district": "浦东新区",
        **extra,
    }


def jsonl_line(external_id: str, **extra: object) -> bytes:
    return json.dumps(record(external_id, **extra), ensure_ascii=False).encode() + b"\n"


@pytest.mark.parametrize(("encoding", "expected"), [("gbk", "gb18030"), ("utf-8", "utf-8")])
def test_a_chinese_character_cut_by_the_detection_block_decodes_right(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    data = HEADER.encode(encoding)
    number = 0
    while len(data) < DETECT_BLOCK - 2000:
        number += 1
        row = f"F-{number},2026-03-05,充电宝起火,充电宝充电时冒烟起火{'，烫手' * 100},闵行区,"
        data += f"{row}{GOOD_USCC},12315\n".encode(encoding)
    start = "G-last,2026-03-05,充电宝起火,".encode(encoding)
    pad = DETECT_BLOCK - 1 - len(data) - len(start)  # 漏 starts on the block's last byte
    last = f"G-last,2026-03-05,充电宝起火,{'x' * pad}漏电起火,闵行区,{GOOD_USCC},12315\n"
    data += last.encode(encoding)
    assert data[DETECT_BLOCK - 1 : DETECT_BLOCK + 1] == "漏".encode(encoding)[:2]
    assert len(data) > DETECT_BLOCK
    path = tmp_path / "complaints.csv"
    path.write_bytes(data)

    assert detect_encoding(data[:DETECT_BLOCK]) == expected
    result = ingest_file(path, source="complaint")
    assert (result.accepted, result.quarantined) == (number + 1, 0)
    assert RawItem.objects.get(external_id="G-last").payload["text"].endswith("x漏电起火")


def test_a_bad_byte_sequence_in_a_utf8_jsonl_quarantines_only_that_line(tmp_path: Path) -> None:
    lines = [jsonl_line(f"J-{i}") for i in range(1, 401)]
    bad_number = 300  # well past the first block, so the file is detected as UTF-8
    lines[bad_number - 1] = lines[bad_number - 1].replace("漏电".encode(), b"\xff\xfe\xc3(")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(lines))
    assert sum(map(len, lines[: bad_number - 1])) > DETECT_BLOCK

    result = ingest_file(path)
    assert (result.accepted, result.quarantined) == (399, 1)
    q = QuarantinedItem.objects.get()
    assert (q.reason, q.location) == ("encoding", f"mixed.jsonl:{bad_number}")
    assert "\\xff\\xfe\\xc3" in q.content and f"J-{bad_number}" in q.content
    assert not RawItem.objects.filter(external_id=f"J-{bad_number}").exists()


def test_a_bad_byte_sequence_in_a_gbk_csv_quarantines_only_that_row(tmp_path: Path) -> None:
    rows = [HEADER.encode("gbk")]
    for i in range(1, 1201):
        rows.append(
            f"C-{i},2026-03-05,电吹风过热,使用时外壳发烫有焦糊味,徐汇区,{GOOD_USCC},12345\n".encode(
                "gbk"
            )
        )
    rows[1100] = rows[1100].replace("焦糊".encode("gbk"), b"\xff\xff")
    path = tmp_path / "complaints.csv"
    path.write_bytes(b"".join(rows))
    assert sum(map(len, rows[:1100])) > DETECT_BLOCK

    result = ingest_file(path, source="complaint")
    assert (result.accepted, result.quarantined) == (1199, 1)
    q = QuarantinedItem.objects.get()
    assert (q.reason, q.location) == ("encoding", "complaints.csv:1101")
    assert "C-1100" in q.content and "\\xff\\xff" in q.content


def test_a_gbk_file_that_starts_with_a_plain_ascii_block_is_read_as_gbk(tmp_path: Path) -> None:
    # JSON escapes keep the first lines ASCII; the encoding shows only after the first block.
    ascii_lines = [json.dumps(record(f"E-{i}")).encode() + b"\n" for i in range(1, 301)]
    assert sum(map(len, ascii_lines)) > DETECT_BLOCK
    gbk_lines = [
        json.dumps(record(f"K-{i}"), ensure_ascii=False).encode("gbk") + b"\n" for i in range(3)
    ]
    path = tmp_path / "late.jsonl"
    path.write_bytes(b"".join(ascii_lines + gbk_lines))

    result = ingest_file(path)
    assert (result.accepted, result.quarantined) == (303, 0)
    assert RawItem.objects.get(external_id="K-2").payload["title"] == "电热水壶漏电"


def test_a_json_array_over_the_limit_is_refused_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps([record(f"A-{i}") for i in range(50)], ensure_ascii=False))
    monkeypatch.setattr(readers, "MAX_JSON_BYTES", 1000)
    (entry,) = list(read_path(path))
    assert isinstance(entry.value, readers.RecordRejected)
    assert entry.value.reason == "too_large"
    assert "JSONL" in entry.value.message_zh


def _ingest_peak(path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        result = ingest_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    lines = path.read_bytes().count(b"\n")
    assert result.accepted == lines
    return peak


def test_memory_is_flat_in_the_size_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "CHUNK", 500)
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_bytes(b"".join(jsonl_line(f"S-{i}") for i in range(5_000)))
    large.write_bytes(b"".join(jsonl_line(f"L-{i}") for i in range(50_000)))

    small_peak = _ingest_peak(small)
    large_peak = _ingest_peak(large)
    assert large_peak < 3 * small_peak, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 2, (large_peak, large.stat().st_size)


def test_the_same_file_twice_counts_duplicates_and_stores_nothing_new(tmp_path: Path) -> None:
    path = tmp_path / "twice.jsonl"
    path.write_bytes(b"".join(jsonl_line(f"D-{i}") for i in range(1, 121)))
    first = ingest_file(path)
    second = ingest_file(path)
    assert (first.accepted, first.duplicates, first.quarantined) == (120, 0, 0)
    assert (second.accepted, second.duplicates, second.quarantined) == (0, 120, 0)
    assert RawItem.objects.count() == 120


def test_reingest_is_idempotent_and_a_changed_record_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "again.jsonl"
    lines = [jsonl_line(f"R-{i}") for i in range(1, 51)]
    path.write_bytes(b"".join(lines))
    ingest_file(path)
    stored = dict(RawItem.objects.values_list("external_id", "payload_hash"))

    lines[9] = jsonl_line("R-10", text="内容被修改：使用时冒烟起火")
    path.write_bytes(b"".join(lines))
    again = ingest_file(path)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 49, 1)
    assert dict(RawItem.objects.values_list("external_id", "payload_hash")) == stored
    q = QuarantinedItem.objects.get()
    assert q.location == "again.jsonl:10" and "内容被修改" in q.content
    # Stored payloads read back as they were validated, whatever the database.
    item = RawItem.objects.get(external_id="R-1")
    assert item.payload["district"] == "310115"
    assert item.payload_hash == services.payload_hash(item.payload)
