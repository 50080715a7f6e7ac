"""The pqrisk-exchange file format (version 1), without Django: envelope, header, records.

A file is a JSON envelope ``{"format": "pqrisk-exchange", "version": 1, "producer": {...},
"generated_at": ..., "filters": {...}, "records": [...]}``, or its JSONL variant: the envelope
without ``records`` on the first line, then one record per line, so that large exports stream.
Each record is the canonical record (``Record.as_payload``) plus optional screening ``tags``
that importers may ignore. docs/exchange.md describes every field.

Identifiers: a record keeps its producer's ``external_id``; on import, ids of any producer but
ourselves get the producer's code as a prefix (``CODE:id``), so that two regulators' "C-1" stay
two records while the same file imported twice is recognised, record by record, as duplicates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pqrisk.sources.records import COMMON_KEYS, MAX_EXTERNAL_ID, SOURCE_KINDS, RecordRejected

FORMAT_NAME = "pqrisk-exchange"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
TAGS_KEY = "tags"
# Letters, digits, "-" and "_": the code becomes part of stored ids, after which comes ":".
PRODUCER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
ID_SEPARATOR = ":"
MAX_PRODUCER_NAME = 100
MAX_CONTACT = 200
DATE_FIELDS = {"occurred": "发生日期", "received": "接收日期"}
FILE_FORMATS = ("json", "jsonl")


def _rejected(message_zh: str, message_en: str) -> RecordRejected:
    return RecordRejected("malformed", message_zh, message_en)


@dataclass(frozen=True)
class Producer:
    """Who wrote a file: an organisation's name, its agreed short code and a contact."""

    name: str
    code: str
    contact: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "contact": self.contact}


def parse_producer(value: Any) -> Producer:
    """The ``producer`` object of a header, or RecordRejected with a Chinese message."""
    if not isinstance(value, Mapping):
        raise _rejected(
            "文件头缺少提供方信息（producer 应为含 name、code 的对象）",
            "header has no producer object",
        )
    name, code, contact = (value.get(k) for k in ("name", "code", "contact"))
    if not isinstance(name, str) or not name.strip():
        raise _rejected("文件头缺少提供方名称（producer.name）", "producer.name missing")
    if not isinstance(code, str) or not PRODUCER_CODE.fullmatch(code.strip()):
        raise _rejected(
            f"提供方代码（producer.code）无效：{str(code)[:40] if code else '（空）'}"
            "（应为1至32位字母、数字、“-”或“_”，以字母或数字开头）",
            f"invalid producer.code {code!r}",
        )
    if contact is not None and not isinstance(contact, str):
        raise _rejected("提供方联系方式（producer.contact）应为文本", "producer.contact not text")
    return Producer(
        name=name.strip()[:MAX_PRODUCER_NAME],
        code=code.strip(),
        contact=(contact or "").strip()[:MAX_CONTACT],
    )


@dataclass(frozen=True)
class ExportFilters:
    """What an export selects; written into the header so a reader knows what the file holds.

    ``date_field`` says whether ``since``/``until`` (inclusive days) apply to the record's
    occurrence date or to the day the bureau received it. ``district`` is a district code.
    """

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    date_field: str = "occurred"
    district: str | None = None

    def check(self) -> None:
        """Raise InvalidFilters (with a Chinese message) for a selection that cannot be made."""
        unknown = [s for s in self.sources if s not in SOURCE_KINDS]
        if unknown:
            raise InvalidFilters(f"来源类型无法识别：{'、'.join(unknown)}")
        if self.date_field not in DATE_FIELDS:
            raise InvalidFilters(
                f"日期依据应为 occurred（发生日期）或 received（接收日期）：{self.date_field}"
            )
        if self.since and self.until and self.since > self.until:
            raise InvalidFilters(f"起始日期 {self.since} 晚于截止日期 {self.until}")

    def as_header(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "date_field": self.date_field,
            "district": self.district,
        }


class InvalidFilters(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass(frozen=True)
class ExchangeHeader:
    """A checked header: who produced the file and what it says about itself."""

    version: int
    producer: Producer
    generated_at: str | None
    export_id: str | None
    filters: dict[str, Any]
    record_count: int | None


def build_header(
    producer: Producer,
    *,
    generated_at: datetime,
    filters: ExportFilters,
    export_id: str,
    record_count: int,
) -> dict[str, Any]:
    """The envelope of a file without its records (the first line of the JSONL variant)."""
    return {
        "format": FORMAT_NAME,
        "version": VERSION,
        "producer": producer.as_dict(),
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "export_id": export_id,
        "filters": filters.as_header(),
        "record_count": record_count,
    }


def parse_header(obj: Any, *, with_records: bool) -> ExchangeHeader:
    """Check an envelope (JSON variant, ``with_records``) or a JSONL first line.

    Raises RecordRejected with a Chinese message a person can act on: not our format, a
    version this platform does not read, or a header without a usable producer.
    """
    if not isinstance(obj, Mapping):
        raise _rejected(
            "不是 pqrisk-exchange 交换文件：文件内容应为一个JSON对象（文件头）",
            "exchange envelope is not a JSON object",
        )
    name = obj.get("format")
    if name != FORMAT_NAME:
        shown = str(name)[:40] if name is not None else "（缺失）"
        raise _rejected(
            f"不是 pqrisk-exchange 交换文件（format 为 {shown}）",
            f"unknown exchange format {name!r}",
        )
    version = obj.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        supported = "、".join(str(v) for v in SUPPORTED_VERSIONS)
        raise _rejected(
            f"不支持的交换格式版本：{str(version)[:20] if version is not None else '（缺失）'}"
            f"（本平台支持版本 {supported}），请提供方按版本 {VERSION} 重新导出",
            f"unsupported exchange version {version!r}",
        )
    producer = parse_producer(obj.get("producer"))
    records = obj.get("records")
    if with_records and not isinstance(records, list):
        raise _rejected("交换文件缺少记录数组（records 应为数组）", "envelope has no records array")
    if not with_records and records is not None:
        raise _rejected(
            "JSONL 交换文件的第1行应为不含 records 的文件头，记录应从第2行起每行一条",
            "JSONL header line carries records",
        )
    filters = obj.get("filters")
    count = obj.get("record_count")
    generated_at, export_id = obj.get("generated_at"), obj.get("export_id")
    return ExchangeHeader(
        version=version,
        producer=producer,
        generated_at=generated_at if isinstance(generated_at, str) else None,
        export_id=export_id[:40] if isinstance(export_id, str) else None,
        filters=dict(filters) if isinstance(filters, Mapping) else {},
        record_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


def exchange_record(payload: Mapping[str, Any], tags: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored canonical payload as a record of the file: common keys in order, then tags."""
    record = {key: payload.get(key) for key in COMMON_KEYS}
    if tags:
        record[TAGS_KEY] = dict(tags)
    return record


def scoped_external_id(external_id: str, producer_code: str, own_code: str) -> str:
    """The id a record of ``producer_code`` is stored under here (see the module docstring)."""
    if producer_code == own_code:
        return external_id
    scoped = f"{producer_code}{ID_SEPARATOR}{external_id}"
    if len(scoped) > MAX_EXTERNAL_ID:
        raise RecordRejected(
            "too_large",
            f"加上提供方代码前缀后来源编号超过{MAX_EXTERNAL_ID}个字符：{scoped[:60]}…",
            f"scoped external_id {scoped[:60]!r} exceeds {MAX_EXTERNAL_ID}",
        )
    return scoped


def incoming_record(obj: Any, producer_code: str, own_code: str) -> Any:
    """A record of a file as intake takes it: tags dropped (ours come from our own screening)
    and the id scoped to its producer. Anything not an object is left to intake to reject."""
    if not isinstance(obj, Mapping):
        return obj
    record = {k: v for k, v in obj.items() if k != TAGS_KEY}
    external_id = record.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if isinstance(external_id, str) and external_id.strip():
        record["external_id"] = scoped_external_id(external_id.strip(), producer_code, own_code)
    return record


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def jsonl_chunks(header: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The JSONL variant, a line at a time: the header, then one record per line."""
    yield _dumps(header) + "\n"
    for record in records:
        yield _dumps(record) + "\n"


def json_chunks(header: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The JSON variant, written as it goes: header keys, then the records one per line."""
    head = _dumps({**header, "records": []})
    # The envelope ends with the empty records array; the records are written into it.
    yield head[: -len("[]}")] + "[\n"
    first = True
    for record in records:
        yield ("" if first else ",\n") + _dumps(record)
        first = False
    yield "\n]}\n"


def file_chunks(
    fmt: str, header: Mapping[str, Any], records: Iterable[Mapping[str, Any]]
) -> Iterator[str]:
    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown exchange file format {fmt!r}")
    return jsonl_chunks(header, records) if fmt == "jsonl" else json_chunks(header, records)
