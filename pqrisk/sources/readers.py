"""Read files of records: JSONL, JSON, CSV and Excel, in UTF-8, GBK/GB18030 or UTF-16.

Each reader yields ``Entry`` values: the location (file and line), the raw text of that
entry (kept for quarantine) and either the parsed object or a ``RecordRejected``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from .records import RecordRejected

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024

# Chinese (and English) column headers of bureau spreadsheets → canonical keys.
HEADER_ALIASES: dict[str, str] = {
    "来源类型": "source",
    "来源": "source",
    "编号": "external_id",
    "来源编号": "external_id",
    "记录编号": "external_id",
    "日期": "occurred_at",
    "发生日期": "occurred_at",
    "发生时间": "occurred_at",
    "时间": "occurred_at",
    "标题": "title",
    "正文": "text",
    "内容": "text",
    "描述": "text",
    "统一社会信用代码": "enterprise_uscc",
    "信用代码": "enterprise_uscc",
    "企业名称": "enterprise_name",
    "企业": "enterprise_name",
    "所属区": "district",
    "行政区": "district",
    "区": "district",
    "产品名称": "product_name",
    "产品": "product_name",
    "产品代码": "product_code",
    "品牌": "brand",
    "商标": "brand",
    "型号": "model",
    "型号规格": "model",
}


@dataclass(frozen=True)
class Entry:
    location: str
    raw: str
    value: Any  # a dict, or a RecordRejected


def decode_bytes(data: bytes) -> str:
    """Decode text in UTF-8 (with or without BOM), GB18030/GBK or what the detector finds."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:65536]:
        raise RecordRejected(
            "encoding",
            "文件含有二进制内容，不是文本文件",
            "binary content (NUL bytes) in text file",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise RecordRejected(
            "encoding",
            "文件编码无法识别（支持UTF-8、GBK/GB18030、UTF-16）",
            "undetectable text encoding",
        )
    return str(best)


def _canonical_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            continue
        name = str(key).strip()
        canonical = HEADER_ALIASES.get(name, name if name in _CANONICAL else None)
        if isinstance(value, str):
            value = value.strip()
        if canonical:
            out[canonical] = value
        elif value not in (None, ""):
            details[name] = value
    if details:
        out["details"] = details
    return out


_CANONICAL = frozenset(HEADER_ALIASES.values()) | {"details"}


def read_jsonl(text: str, name: str) -> Iterator[Entry]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        if len(line.encode()) > MAX_LINE_BYTES:
            yield Entry(
                where,
                line[:2000],
                RecordRejected("too_large", "单行超过1 MB", "line exceeds 1 MiB"),
            )
            continue
        try:
            yield Entry(where, line, json.loads(line))
        except json.JSONDecodeError as exc:
            yield Entry(
                where,
                line,
                RecordRejected(
                    "malformed",
                    f"第{number}行不是合法的JSON：{exc.msg}（第{exc.colno}列）",
                    f"invalid JSON at line {number}: {exc}",
                ),
            )


def read_json(text: str, name: str) -> Iterator[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Entry(
            name,
            text[:100_000],
            RecordRejected(
                "malformed",
                f"文件不是合法的JSON：{exc.msg}（第{exc.lineno}行）",
                f"invalid JSON: {exc}",
            ),
        )
        return
    items = data.get("records") if isinstance(data, dict) else data
    if not isinstance(items, list):
        yield Entry(
            name,
            text[:100_000],
            RecordRejected(
                "malformed",
                "JSON文件应为记录数组，或含 records 数组的对象",
                "JSON is neither a list nor an object with 'records'",
            ),
        )
        return
    for index, item in enumerate(items, start=1):
        yield Entry(f"{name}#{index}", json.dumps(item, ensure_ascii=False, default=str), item)


def read_csv(text: str, name: str) -> Iterator[Entry]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        yield Entry(name, text[:2000], RecordRejected("malformed", "CSV文件没有表头", "no header"))
        return
    for row in reader:
        where = f"{name}:{reader.line_num}"
        raw = json.dumps(row, ensure_ascii=False)
        if None in row:
            yield Entry(
                where,
                raw,
                RecordRejected(
                    "malformed",
                    f"第{reader.line_num}行的列数多于表头",
                    f"row {reader.line_num} has more cells than the header",
                ),
            )
            continue
        yield Entry(where, raw, _canonical_row(row))


def read_xlsx(path: Path) -> Iterator[Entry]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        yield Entry(
            path.name,
            "",
            RecordRejected(
                "malformed", f"Excel文件无法打开：{type(exc).__name__}", f"bad xlsx: {exc}"
            ),
        )
        return
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        yield Entry(path.name, "", RecordRejected("malformed", "Excel工作表没有表头", "no header"))
        return
    names = [str(h).strip() if h is not None else "" for h in header]
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        row = {n: v for n, v in zip(names, values, strict=False) if n}
        raw = json.dumps(row, ensure_ascii=False, default=str)
        yield Entry(f"{path.name}:{number}", raw, _canonical_row(row))
    book.close()


def read_path(path: Path) -> Iterator[Entry]:
    """Read records from a file, choosing the reader by its suffix."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        yield Entry(
            path.name,
            "",
            RecordRejected(
                "too_large",
                f"文件过大（{size // 1024 // 1024} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB）",
                "file too large",
            ),
        )
        return
    if suffix in (".xlsx", ".xlsm"):
        yield from read_xlsx(path)
        return
    data = path.read_bytes()
    try:
        text = decode_bytes(data)
    except RecordRejected as exc:
        yield Entry(path.name, data[:100_000].decode("latin-1"), exc)
        return
    if suffix in (".jsonl", ".ndjson"):
        yield from read_jsonl(text, path.name)
    elif suffix == ".json":
        yield from read_json(text, path.name)
    elif suffix in (".csv", ".tsv", ".txt"):
        yield from read_csv(text, path.name)
    else:
        yield Entry(
            path.name,
            text[:100_000],
            RecordRejected(
                "malformed",
                f"不支持的文件类型：{suffix or '（无扩展名）'}（支持 .jsonl .json .csv .xlsx）",
                f"unsupported file type {suffix!r}",
            ),
        )
