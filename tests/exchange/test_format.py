"""The exchange format without a database: headers, ids, and files written as they go."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.exchange.format import (
    ExportFilters,
    InvalidFilters,
    Producer,
    build_header,
    exchange_record,
    file_chunks,
    incoming_record,
    parse_header,
    scoped_external_id,
)
from pqrisk.sources.records import COMMON_KEYS, RecordRejected

PRODUCER = Producer(name="上海市消费者权益保护委员会", code="SHXBW", contact="投诉部")


def header(**changes: Any) -> dict[str, Any]:
    head = build_header(
        PRODUCER,
        generated_at=datetime(2026, 9, 1, 9, 30),
        filters=ExportFilters(sources=("complaint",), since=date(2026, 8, 1)),
        export_id="20260901093000-5c1e2a",
        record_count=2,
    )
    return {**head, **changes}


def rejection(obj: Any, *, with_records: bool = True) -> RecordRejected:
    with pytest.raises(RecordRejected) as caught:
        parse_header(obj, with_records=with_records)
    return caught.value


def test_a_good_header_is_read_back_as_written() -> None:
    parsed = parse_header({**header(), "records": []}, with_records=True)
    assert parsed.version == 1
    assert parsed.producer == PRODUCER
    assert parsed.record_count == 2
    assert parsed.export_id == "20260901093000-5c1e2a"
    assert parsed.filters["sources"] == ["complaint"]
    assert parsed.filters["since"] == "2026-08-01"


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_a_version_we_do_not_read_is_refused_in_chinese(version: Any) -> None:
    exc = rejection({**header(version=version), "records": []})
    assert exc.reason == "malformed"
    assert "不支持的交换格式版本" in exc.message_zh
    assert "本平台支持版本 1" in exc.message_zh


@pytest.mark.parametrize("name", ["pqrisk-export", None, 1])
def test_another_format_is_refused_in_chinese(name: Any) -> None:
    exc = rejection({**header(format=name), "records": []})
    assert "不是 pqrisk-exchange 交换文件" in exc.message_zh


def test_a_list_is_not_an_envelope() -> None:
    assert "应为一个JSON对象" in rejection([{"source": "complaint"}]).message_zh


@pytest.mark.parametrize(
    ("producer", "words"),
    [
        (None, "缺少提供方信息"),
        ({"code": "SHXBW"}, "缺少提供方名称"),
        ({"name": "消保委", "code": "SH XBW"}, "提供方代码（producer.code）无效：SH XBW"),
        ({"name": "消保委", "code": "消保委"}, "提供方代码"),
        ({"name": "消保委", "code": "A" * 33}, "1至32位"),
    ],
)
def test_a_header_needs_a_usable_producer(producer: Any, words: str) -> None:
    assert words in rejection({**header(producer=producer), "records": []}).message_zh


def test_the_json_envelope_needs_records_and_the_jsonl_header_must_not_carry_them() -> None:
    assert "records 应为数组" in rejection(header()).message_zh
    exc = rejection({**header(), "records": []}, with_records=False)
    assert "第1行应为不含 records 的文件头" in exc.message_zh
    assert parse_header(header(), with_records=False).producer.code == "SHXBW"


def test_ids_of_other_producers_are_prefixed_ours_are_kept() -> None:
    assert scoped_external_id("C-1", "SHAMR", "SHAMR") == "C-1"
    assert scoped_external_id("C-1", "SHXBW", "SHAMR") == "SHXBW:C-1"
    with pytest.raises(RecordRejected) as caught:
        scoped_external_id("C" * 115, "SHXBW", "SHAMR")
    assert caught.value.reason == "too_large"
    assert "加上提供方代码前缀后来源编号超过120个字符" in caught.value.message_zh


def test_an_incoming_record_loses_its_tags_and_gets_a_scoped_id() -> None:
    record = {"source": "complaint", "external_id": 815, "title": "t", "tags": {"x": 1}}
    assert incoming_record(record, "SHXBW", "SHAMR") == {
        "source": "complaint",
        "external_id": "SHXBW:815",
        "title": "t",
    }
    # What intake must reject itself is passed through untouched.
    assert incoming_record("不是对象", "SHXBW", "SHAMR") == "不是对象"
    assert incoming_record({"external_id": ""}, "SHXBW", "SHAMR") == {"external_id": ""}


def test_filters_that_cannot_be_met_are_refused_in_chinese() -> None:
    with pytest.raises(InvalidFilters, match="来源类型无法识别：weibo"):
        ExportFilters(sources=("complaint", "weibo")).check()
    with pytest.raises(InvalidFilters, match="晚于截止日期"):
        ExportFilters(since=date(2026, 3, 2), until=date(2026, 3, 1)).check()
    with pytest.raises(InvalidFilters, match="日期依据"):
        ExportFilters(date_field="published").check()


texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
records = st.lists(
    st.fixed_dictionaries(
        {k: texts for k in COMMON_KEYS if k != "details"},
        optional={"details": st.dictionaries(texts, texts | st.integers(), max_size=3)},
    ),
    max_size=5,
)


@given(records=records)
def test_both_variants_hold_exactly_the_header_and_the_records(
    records: list[dict[str, Any]],
) -> None:
    head = header(record_count=len(records))
    whole = json.loads("".join(file_chunks("json", head, iter(records))))
    assert whole == {**head, "records": records}
    # Split on "\n" only, as the JSONL reader does: JSON escapes \n and \r in strings, and
    # other line separators (U+0085, U+2028) may stand unescaped inside a record.
    lines = "".join(file_chunks("jsonl", head, iter(records))).split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == [head, *records]
    assert parse_header(whole, with_records=True).record_count == len(records)


def test_a_record_of_the_file_has_the_common_keys_in_order_then_the_tags() -> None:
    payload = {"details": {}, "source": "injury", "external_id": "I-1", "title": "t"}
    out = exchange_record(payload, {"risk_level": "high"})
    assert list(out) == [*COMMON_KEYS, "tags"]
    assert out["tags"] == {"risk_level": "high"} and out["text"] is None
    assert "tags" not in exchange_record(payload, None)
