"""Fuzzing the parsers that need no database: arbitrary bytes, text and structures in, parsed
records or the documented error with a Chinese message out, never another exception.

Covered: the JSONL/JSON/CSV/Excel readers of intake (text and files), encoding detection,
record validation (every stream's details), the API body reader, the feed parser wrapper,
the CPSC reader, the lab results file reader and the exchange file format.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pqrisk.intake.body import _body_from
from pqrisk.sources.readers import (
    Entry,
    decode_bytes,
    read_csv,
    read_json,
    read_jsonl,
    read_path,
)
from pqrisk.sources.records import Record, RecordRejected, json_bytes, validate_record

from .strategies import (
    JSON_VALUES,
    NASTY,
    NOISY_MACHINE,
    TEXT,
    assert_chinese,
    encoded_text,
    records,
)

FEW = settings(max_examples=120, suppress_health_check=NOISY_MACHINE)
SOME = settings(max_examples=60, suppress_health_check=NOISY_MACHINE)


def resolve(value: str) -> str | None:
    return {"浦东新区": "310115", "310115": "310115", "嘉定": "310114"}.get(value)


def check_entries(entries: list[Entry]) -> None:
    for entry in entries:
        assert isinstance(entry.location, str) and isinstance(entry.raw, str)
        if isinstance(entry.value, RecordRejected):
            assert_chinese(entry.value.message_zh)
        else:
            check_record(entry.value)


def check_record(obj: Any) -> None:
    """What intake does next with a parsed value: validate it; accept or refuse in Chinese."""
    try:
        rec = validate_record(obj, resolve, "complaint")
    except RecordRejected as exc:
        assert_chinese(exc.message_zh)
        return
    assert isinstance(rec, Record)
    json_bytes(rec.as_payload(), sort_keys=True)


# ---------------------------------------------------------------- intake readers (text)

LINES = st.lists(st.one_of(TEXT, JSON_VALUES.map(json.dumps), records().map(json.dumps)))


@FEW
@given(LINES)
@example(["[" * 50_000])
@example(['{"records": ' + "[" * 3000 + "]" * 3000 + "}"])
def test_jsonl_reader(lines: list[str]) -> None:
    check_entries(list(read_jsonl("\n".join(lines), "f.jsonl")))


@FEW
@given(st.one_of(TEXT, JSON_VALUES.map(json.dumps), st.lists(records()).map(json.dumps)))
@example("[" * 50_000)
def test_json_reader(text: str) -> None:
    check_entries(list(read_json(text, "f.json")))


CSV_ROWS = st.lists(st.lists(st.one_of(TEXT, NASTY), max_size=8), max_size=8)


@FEW
@given(CSV_ROWS, st.sampled_from([",", "\t", ";"]))
@example([["编号", "标题"], ['"未闭合', "x"]], ",")
@example([["编号", "标题"], ["A-1", "超" * 200_000]], ",")
def test_csv_reader(rows: list[list[str]], delimiter: str) -> None:
    header = ["编号", "日期", "标题", "内容", "所属区"]
    text = "\r\n".join(delimiter.join(row) for row in [header, *rows])
    check_entries(list(read_csv(text, "f.csv")))


# ---------------------------------------------------------------- files and encodings


@FEW
@given(st.one_of(st.binary(max_size=3000), encoded_text()))
def test_decode_bytes(data: bytes) -> None:
    try:
        assert isinstance(decode_bytes(data), str)
    except RecordRejected as exc:
        assert_chinese(exc.message_zh)


@FEW
@given(
    st.one_of(st.binary(max_size=3000), encoded_text(), encoded_text(LINES.map("\n".join))),
    st.sampled_from([".jsonl", ".json", ".csv", ".tsv", ".txt", ".xlsx", ".exe", ""]),
)
def test_read_path_on_any_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    check_entries(list(read_path(path)))


def _workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def storable(value: Any) -> Any:  # what a spreadsheet program can have written
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value.encode("utf-8", "replace").decode())
        return value

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "日期", "标题", "内容", "所属区"])
    for row in rows:
        sheet.append([storable(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@SOME
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(), st.floats(), TEXT), max_size=6), max_size=6
    ),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=16),
)
def test_excel_reader_on_workbooks_and_damaged_ones(
    tmp_path: Path, rows: list[list[Any]], at: int, junk: bytes
) -> None:
    data = _workbook(rows)
    for variant in (data, data[: at % len(data)], data[:at] + junk + data[at + len(junk) :]):
        path = tmp_path / f"{uuid.uuid4().hex}.xlsx"
        path.write_bytes(variant)
        check_entries(list(read_path(path)))


# ---------------------------------------------------------------- records and bodies


@FEW
@given(records())
def test_record_validation(obj: Any) -> None:
    check_record(obj)


@FEW
@given(
    st.one_of(
        st.binary(max_size=500),
        encoded_text(),
        st.builds(
            lambda r, s: json.dumps({"source": s, "records": r}),
            st.lists(records(), max_size=4),
            st.one_of(st.none(), TEXT, st.integers()),
        ).map(str.encode),
    )
)
@example(b'{"records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
@example(b'{"records": [NaN]}')
def test_api_body_reader(raw: bytes) -> None:
    try:
        body = _body_from(raw, reads_source=True)
    except RecordRejected as exc:
        assert_chinese(exc.message_zh)
        return
    for obj in body.records:
        check_record(obj)


# ---------------------------------------------------------------- feeds, CPSC, labs, exchange

FEED_TEMPLATES = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{0}</title>'
    "<item><title>{1}</title><link>{2}</link><description>{3}</description>"
    "<pubDate>{4}</pubDate><guid>{0}</guid></item></channel></rss>",
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>{0}</title><entry><title>{1}</title>'
    '<link href="{2}"/><summary type="html">{3}</summary><updated>{4}</updated><id>{0}</id>'
    "</entry></feed>",
)


@SOME
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(
            lambda t, parts: t.format(*parts).encode("utf-8", "surrogatepass"),
            st.sampled_from(FEED_TEMPLATES),
            st.lists(TEXT, min_size=5, max_size=5),
        ),
    )
)
def test_feed_parser(data: bytes) -> None:
    from pqrisk.sources.media import feed_entries

    check_entries(feed_entries(data, "https://news.example.cn/rss", "订阅源"))


CPSC_LINE = st.fixed_dictionaries(
    {},
    optional={
        "recall_number": st.one_of(TEXT, st.integers(), st.none()),
        "recall_date": st.one_of(TEXT, st.none(), st.integers()),
        "recall_url": JSON_VALUES,
        "descriptions": st.one_of(st.lists(TEXT), TEXT, st.none(), JSON_VALUES),
        "manufacturers": st.one_of(st.lists(TEXT), st.none(), JSON_VALUES),
        "countries": st.one_of(st.lists(TEXT), st.none()),
        "hazards": JSON_VALUES,
    },
)


@FEW
@given(st.lists(st.one_of(CPSC_LINE.map(json.dumps).map(str.encode), st.binary(max_size=60))))
def test_cpsc_reader(tmp_path: Path, lines: list[bytes]) -> None:
    from pqrisk.sources.cpsc import iter_cpsc_legacy

    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(b"\n".join(lines))
    for value in iter_cpsc_legacy(path):
        if isinstance(value, ValueError):
            assert str(value)
        else:
            check_record(value)


LAB_HEADER = "样品编号,检验项目,标准,技术要求,限值,单位,实测值,判定"


@FEW
@given(
    st.one_of(
        st.binary(max_size=1000),
        st.lists(st.lists(TEXT, max_size=9), max_size=6).map(
            lambda rows: "\n".join([LAB_HEADER, *(",".join(r) for r in rows)]).encode(
                "utf-8", "surrogatepass"
            )
        ),
    ),
    st.sampled_from(["结果.csv", "结果.xlsx", "结果.txt", "结果.pdf", "..\\结果.csv"]),
)
def test_lab_results_reader(data: bytes, name: str) -> None:
    from pqrisk.labs.results_file import ResultsRejected, read_results_file

    try:
        read_results_file(name, data)
    except ResultsRejected as exc:
        assert_chinese(exc.message_zh)


@FEW
@given(JSON_VALUES, st.booleans())
def test_exchange_header_and_records(obj: Any, with_records: bool) -> None:
    from pqrisk.exchange.format import incoming_record, parse_header

    for parse in (
        lambda: parse_header(obj, with_records=with_records),
        lambda: incoming_record(obj, "JS-SCJG", "SH-SCJG"),
    ):
        try:
            parse()
        except RecordRejected as exc:
            assert_chinese(exc.message_zh)


def test_excel_reader_on_a_sheet_damaged_past_its_first_rows(tmp_path: Path) -> None:
    """openpyxl reads a sheet lazily: damage deep in it shows only while rows are read."""
    import zipfile

    from pqrisk.labs.results_file import ResultsRejected, read_results_file

    data = bytearray(
        _workbook([[f"E-{i}", "2026-03-05", "标题", "正文" * 30, "浦东新区"] for i in range(3000)])
    )
    sheet = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    middle = sheet.header_offset + 30 + len(sheet.filename) + sheet.compress_size // 2
    for offset in range(middle, middle + 64, 8):
        damaged = bytearray(data)
        damaged[offset : offset + 8] = b"\xff" * 8
        path = tmp_path / f"{offset}.xlsx"
        path.write_bytes(bytes(damaged))
        entries = list(read_path(path))
        check_entries(entries)
        assert isinstance(entries[-1].value, RecordRejected)
        with pytest.raises(ResultsRejected) as exc:
            read_results_file("结果.xlsx", bytes(damaged))
        assert_chinese(exc.value.message_zh)
