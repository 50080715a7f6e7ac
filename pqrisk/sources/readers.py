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

from pqrisk.core.containers import ContainerRefused, check_zip

from .records import RecordRejected, json_text, loads_json

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
    if b"\x00" in head and (utf16 := _utf16_without_bom(head, complete)):
        return utf16
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


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _utf16_without_bom(head: bytes, complete: bool) -> str | None:
    """``utf-16-le``/``-be`` for UTF-16 text saved without a byte-order mark, else None.

    Such text has a NUL in every other byte wherever it holds ASCII (digits, commas, line
    ends), on one side only; and it decodes strictly to text without control characters.
    Binary files fail one test or the other and are still refused as binary.
    """
    n = len(head) - len(head) % 2
    if n < 4:
        return None
    zeros_even, zeros_odd = head[0:n:2].count(0), head[1:n:2].count(0)
    for encoding, many, few in (
        ("utf-16-le", zeros_odd, zeros_even),
        ("utf-16-be", zeros_even, zeros_odd),
    ):
        if many * 10 < n // 2 or few * 8 > many:
            continue
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return encoding
    return None


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
            yield Entry(where, line, loads_json(line))
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
        data = loads_json(text)
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


def sniff_dialect(sample: str, *, strict: bool = False) -> type[csv.Dialect]:
    """Excel's CSV rules with the delimiter (comma, tab or semicolon) the sample shows.

    Only the delimiter is taken from ``csv.Sniffer``: from a head without quotes it also
    concludes that quotes are not doubled, and a later cell with ``""`` in it (as Excel and
    WPS write a quote) would then break its row and shift the cells of the rest. ``strict``
    makes a quote left open at the end of the file an error instead of one last cell that
    swallows every row after it.
    """
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","

    class Sniffed(csv.excel):
        pass

    Sniffed.delimiter = delimiter
    Sniffed.strict = strict
    return Sniffed


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
    dialect = sniff_dialect(sample, strict=True)
    tape = _Tape(chain(head, source))
    reader = csv.DictReader(tape, dialect=dialect)
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
        tape.rewind()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number = tape.lines_read
            where = f"{name}:{number}"
            if "field limit" in str(exc):
                # One cell beyond the limit: the reader stops at that line and goes on with
                # the next, so only this row is quarantined.
                yield Entry(
                    where,
                    _show_bad_bytes(tape.text()[:2000]),
                    RecordRejected(
                        "too_large",
                        f"第{number}行有单元格超过{csv.field_size_limit() // 1024} KB",
                        f"CSV cell beyond the field limit at line {number}",
                    ),
                )
                continue
            # The reader cannot resynchronise (e.g. an unterminated quote): what is left of the
            # file is kept as it is, up to MAX_LINE_BYTES characters.
            rest = tape.text()
            for line in tape.lines:
                rest += line
                if len(rest) >= MAX_LINE_BYTES:
                    break
            kept = (
                "其后内容已原样保存在隔离区"
                if len(rest) < MAX_LINE_BYTES
                else "其后内容的前1 MB已保存在隔离区"
            )
            yield Entry(
                where,
                _show_bad_bytes(rest[:MAX_LINE_BYTES]),
                RecordRejected(
                    "malformed",
                    f"第{number}行起CSV格式错误，无法继续逐行读取，{kept}：{exc}",
                    f"CSV error at line {number}: {exc}",
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


class _Tape:
    """The lines a CSV reader takes, remembered since the last row: what a bad row was."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.lines_read = 0
        self._since: list[str] = []
        self._size = 0

    def __iter__(self) -> _Tape:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.lines_read += 1
        if self._size < MAX_LINE_BYTES:
            self._since.append(line)
            self._size += len(line)
        return line

    def rewind(self) -> None:
        self._since.clear()
        self._size = 0

    def text(self) -> str:
        return "".join(self._since)


def read_xlsx(path: Path) -> Iterator[Entry]:
    from openpyxl import load_workbook

    try:
        check_zip(path)  # before openpyxl unpacks anything: no zip bombs
    except ContainerRefused as exc:
        yield Entry(path.name, "", RecordRejected(exc.kind, exc.message_zh, exc.message_en))
        return
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
    number = 1
    try:
        if not book.worksheets:
            yield Entry(
                path.name, "", RecordRejected("malformed", "Excel文件没有工作表", "no sheet")
            )
            return
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            yield Entry(
                path.name, "", RecordRejected("malformed", "Excel工作表没有表头", "no header")
            )
            return
        names = [str(h).strip() if h is not None else "" for h in header]
        for number, values in enumerate(rows, start=2):
            if values is None or all(v in (None, "") for v in values):
                continue
            row = {n: v for n, v in zip(names, values, strict=False) if n}
            raw = json_text(row)
            yield Entry(f"{path.name}:{number}", raw, _canonical_row(row))
    except Exception as exc:  # the sheet is read lazily: damage deep in it shows only here
        yield Entry(
            f"{path.name}:{number + 1}",
            "",
            RecordRejected(
                "malformed",
                f"Excel文件第{number + 1}行起已损坏，无法继续读取（{type(exc).__name__}），"
                "此前各行已照常处理",
                f"damaged xlsx from row {number + 1}: {exc}",
            ),
        )
    finally:
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
