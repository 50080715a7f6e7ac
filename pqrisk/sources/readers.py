"""Read files of records: JSONL, JSON, CSV and Excel, in UTF-8, GBK/GB18030 or UTF-16.

Each reader yields ``Entry`` values: the location (file and line), the raw text of that
entry (kept for quarantine) and either the parsed object or a ``RecordRejected``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from charset_normalizer import from_bytes

from .records import RecordRejected, json_text

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
# A JSON array is parsed whole, so its size is capped well below MAX_FILE_BYTES (use JSONL).
MAX_JSON_BYTES = 50 * 1024 * 1024
# The encoding of a text file is decided from its first block; the rest is then streamed.
DETECT_BLOCK = 64 * 1024
ASCII_SCAN_BYTES = 16 * 1024 * 1024

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


def detect_encoding(head: bytes, *, complete: bool = False) -> str:
    """The encoding of a text file from its first block: BOM, UTF-8, GB18030 or the detector.

    ``complete`` says the block is the whole file; otherwise a multi-byte character cut at
    the end of the block is not held against an encoding.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise RecordRejected(
            "encoding",
            "文件含有二进制内容，不是文本文件",
            "binary content (NUL bytes) in text file",
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    best = from_bytes(head).best()
    if best is None:
        raise RecordRejected(
            "encoding",
            "文件编码无法识别（支持UTF-8、GBK/GB18030、UTF-16）",
            "undetectable text encoding",
        )
    return str(best.encoding)


def decode_bytes(data: bytes) -> str:
    """Decode text in UTF-8 (with or without BOM), GB18030/GBK or what the detector finds."""
    encoding = detect_encoding(data[:DETECT_BLOCK], complete=len(data) <= DETECT_BLOCK)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise RecordRejected(
            "encoding",
            f"文件中有无法按 {encoding} 解码的字节（第{exc.start}字节处）",
            f"undecodable bytes for {encoding} at offset {exc.start}",
        ) from exc


# Bytes that cannot be decoded become lone surrogates U+DC00..U+DCFF (one per byte), which no
# valid decoding produces; a line holding one is quarantined with reason "encoding".
_BAD_BYTES = "pqrisk-bad-bytes"


def _mark_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(_BAD_BYTES, _mark_bad_bytes)
_BAD_CHAR = re.compile("[\udc00-\udcff]")


def has_bad_bytes(text: str) -> bool:
    """Whether ``text`` holds bytes a reader could not decode (marked as lone surrogates)."""
    return _BAD_CHAR.search(text) is not None


def _show_bad_bytes(text: str) -> str:
    """The text with each undecodable byte shown as \\xNN (storable in any database)."""
    return _BAD_CHAR.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def _encoding_error(where: str, raw: str, encoding: str) -> Entry:
    return Entry(
        where,
        _show_bad_bytes(raw),
        RecordRejected(
            "encoding",
            f"{where} 含有无法按 {encoding} 解码的字节（已隔离该行，其余内容照常接收）",
            f"undecodable bytes for {encoding} at {where}",
        ),
    )


def open_text(path: Path, *, newline: str | None = None) -> tuple[io.TextIOWrapper, str]:
    """Open a text file for streaming in the encoding detected from its first block.

    Raises RecordRejected for a binary file or an undetectable encoding. Undecodable bytes
    further on become marks (see ``_mark_bad_bytes``), so one bad line does not stop the file.
    """
    raw = path.open("rb")
    try:
        head = raw.read(DETECT_BLOCK + 1)
        encoding = detect_encoding(head[:DETECT_BLOCK], complete=len(head) <= DETECT_BLOCK)
        if encoding == "utf-8" and head.isascii() and len(head) > DETECT_BLOCK:
            encoding = _detect_past_ascii(raw) or encoding
        raw.seek(0)
    except BaseException:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors=_BAD_BYTES, newline=newline), encoding


def open_input(path: Path) -> TextIO:
    """A text file opened as ``open_text`` does, or standard input for ``-`` (read whole and
    decoded the same way). Raises FileNotFoundError with a Chinese message for a missing file
    and RecordRejected for binary content or an undetectable encoding."""
    if str(path) == "-":
        return io.StringIO(decode_bytes(sys.stdin.buffer.read()))
    if not path.exists():
        raise FileNotFoundError(f"文件不存在：{path}")
    return open_text(path)[0]


def _detect_past_ascii(raw: BinaryIO) -> str | None:
    """For a file whose first block is plain ASCII: the encoding of its first non-ASCII text.

    Scans on (up to ASCII_SCAN_BYTES) for the first byte above 0x7F, which starts a character
    in any supported encoding, and detects from a block starting there.
    """
    raw.seek(0)
    offset = 0
    while offset < ASCII_SCAN_BYTES and (block := raw.read(DETECT_BLOCK)):
        found = _NON_ASCII.search(block)
        if found:
            raw.seek(offset + found.start())
            sample = raw.read(DETECT_BLOCK + 1)
            try:
                return detect_encoding(sample[:DETECT_BLOCK], complete=len(sample) <= DETECT_BLOCK)
            except RecordRejected:
                return None  # undecidable here: keep UTF-8 and quarantine bad lines
        offset += len(block)
    return None


_NON_ASCII = re.compile(b"[\\x80-\\xff]")


def _header_names(keys: Iterable[Any]) -> dict[Any, tuple[str, str | None]]:
    """For each column header: its stripped name and the canonical key it maps to, if any."""
    names: dict[Any, tuple[str, str | None]] = {}
    for key in keys:
        if key is not None:
            name = str(key).strip()
            names[key] = (name, HEADER_ALIASES.get(name, name if name in _CANONICAL else None))
    return names


def _canonical_row(
    row: dict[str, Any], headers: dict[Any, tuple[str, str | None]] | None = None
) -> dict[str, Any]:
    """A row keyed by column header as a record: known headers to keys, the rest details."""
    headers = headers if headers is not None else _header_names(row)
    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            continue
        name, canonical = headers.get(key) or _header_names([key])[key]
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


def _lines(source: str | TextIO) -> TextIO:
    return io.StringIO(source, newline=None) if isinstance(source, str) else source


def read_jsonl(source: str | TextIO, name: str, encoding: str = "utf-8") -> Iterator[Entry]:
    """One record per line, read line by line from a text stream (or a string)."""
    stream = _lines(source)
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        where = f"{name}:{number}"
        if len(line) > MAX_LINE_BYTES and not line.endswith("\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith("\n"):
                pass  # skip the rest of an over-long line without holding it
            yield Entry(
                where,
                _show_bad_bytes(line[:2000]),
                RecordRejected("too_large", "单行超过1 MB", "line exceeds 1 MiB"),
            )
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if has_bad_bytes(line):
            yield _encoding_error(where, line, encoding)
            continue
        if len(line) * 4 > MAX_LINE_BYTES and len(line.encode()) > MAX_LINE_BYTES:
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
    """A JSON array of records (or an object with ``records``); held in memory whole."""
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
    del data, text
    for index, item in enumerate(items, start=1):
        yield Entry(f"{name}#{index}", json_text(item), item)


def read_csv(source: str | TextIO, name: str, encoding: str = "utf-8") -> Iterator[Entry]:
    """Rows of a CSV/TSV file with a header, read row by row from a text stream."""
    if isinstance(source, str):
        source = io.StringIO(source, newline="")
    head: list[str] = []
    size = 0
    while size < 4096 and (line := source.readline()):
        head.append(line)
        size += len(line)
    sample = "".join(head)[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(chain(head, source), dialect=dialect)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        yield Entry(name, sample[:2000], RecordRejected("malformed", "CSV表头无法解析", str(exc)))
        return
    if not fieldnames:
        yield Entry(
            name, sample[:2000], RecordRejected("malformed", "CSV文件没有表头", "no header")
        )
        return
    if any(has_bad_bytes(f) for f in fieldnames):
        yield _encoding_error(f"{name}:1", ",".join(fieldnames), encoding)
        return
    headers = _header_names(fieldnames)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader cannot resynchronise (e.g. an unterminated quote): keep what is left.
            where = f"{name}:{reader.line_num}"
            yield Entry(
                where,
                "",
                RecordRejected(
                    "malformed",
                    f"第{reader.line_num}行起CSV格式错误，其后内容无法读取：{exc}",
                    f"CSV error at line {reader.line_num}: {exc}",
                ),
            )
            return
        where = f"{name}:{reader.line_num}"
        raw = json_text(row)
        if has_bad_bytes(raw):
            yield _encoding_error(where, raw, encoding)
            continue
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
        yield Entry(where, raw, _canonical_row(row, headers))


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
        raw = json_text(row)
        yield Entry(f"{path.name}:{number}", raw, _canonical_row(row))
    book.close()


def read_path(path: Path) -> Iterator[Entry]:
    """Read records from a file, choosing the reader by its suffix; text is streamed."""
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
    if suffix not in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt"):
        with path.open("rb") as fh:
            head = fh.read(100_000)
        yield Entry(
            path.name,
            head.decode("utf-8", errors="replace"),
            RecordRejected(
                "malformed",
                f"不支持的文件类型：{suffix or '（无扩展名）'}（支持 .jsonl .json .csv .xlsx）",
                f"unsupported file type {suffix!r}",
            ),
        )
        return
    if suffix == ".json" and size > MAX_JSON_BYTES:
        yield Entry(
            path.name,
            "",
            RecordRejected(
                "too_large",
                f"JSON数组文件过大（{size // 1024 // 1024} MB，上限 "
                f"{MAX_JSON_BYTES // 1024 // 1024} MB），请改用每行一条记录的 JSONL 文件",
                f"JSON array file of {size} bytes exceeds {MAX_JSON_BYTES}; use JSONL",
            ),
        )
        return
    try:
        stream, encoding = open_text(
            path, newline="" if suffix in (".csv", ".tsv", ".txt") else None
        )
    except RecordRejected as exc:
        with path.open("rb") as fh:
            yield Entry(path.name, fh.read(100_000).decode("latin-1"), exc)
        return
    with stream:
        if suffix in (".jsonl", ".ndjson"):
            yield from read_jsonl(stream, path.name, encoding)
        elif suffix == ".json":
            text = stream.read()
            if has_bad_bytes(text):
                yield _encoding_error(path.name, text[:100_000], encoding)
                return
            yield from read_json(text, path.name)
        else:
            yield from read_csv(stream, path.name, encoding)
