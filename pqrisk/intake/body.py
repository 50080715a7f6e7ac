"""Read the records of an API call from its body: UTF-8 JSON ``{"records": [...]}``.

Both doors that take records as a JSON body (bureau staff at ``POST /api/intake/records``,
monitoring stations at ``POST /api/intake/station-reports``) read it here rather than through
a schema, because a generic parse error would answer in English and keep nothing. A body that
cannot be read is kept whole in quarantine in a batch of its own (reason "encoding" for bytes
that are not UTF-8, "malformed" for anything else, "too_large" for more records than a call
may carry) and refused with a Chinese message naming that batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.db import transaction

from pqrisk.sources.readers import Entry, detect_encoding
from pqrisk.sources.records import RecordRejected, loads_json

from .services import ingest_entries

# Records per call: a batch a person can still read through when it goes wrong.
MAX_RECORDS = 1000


@dataclass(frozen=True)
class RecordsBody:
    """A readable body: its records, and the source kind it names for them, if any."""

    records: list[Any]
    source: str | None = None


class BodyRejected(RecordRejected):
    """A body refused whole and kept in quarantine in batch ``batch_id``. ``status`` is the HTTP
    status to answer (400, or 413 for too many records); ``message_zh`` says what is wrong and
    where the body is kept, and the caller adds what to do next in its users' words."""

    def __init__(self, rejected: RecordRejected, *, status: int, batch_id: int, kept: str) -> None:
        super().__init__(
            rejected.reason,
            f"{rejected.message_zh}。{kept}（批次 {batch_id}）",
            rejected.message_en,
        )
        self.status = status
        self.batch_id = batch_id


def read_records_body(
    raw: bytes,
    *,
    source_label: str,
    default_source: str | None = None,
    user: Any = None,
    station: Any = None,
    max_records: int | None = None,
    reads_source: bool = True,
    before_keeping: Callable[[], object] | None = None,
) -> RecordsBody:
    """The records of a body, or BodyRejected once the body is kept in quarantine.

    ``source_label`` names the batch the body is kept in, as for any ingest; ``user`` and
    ``station`` are who sent it. ``reads_source`` False ignores the body's own ``"source"``
    (a station's records are always its own). ``before_keeping`` runs in the transaction
    that keeps the body, before anything is written: an exception from it (a station's spent
    quota) refuses the call with nothing kept."""
    try:
        body = _body_from(raw, reads_source)
    except RecordRejected as exc:
        _keep(raw, exc, 400, source_label, default_source, user, station, before_keeping)
    if max_records is not None and len(body.records) > max_records:
        too_many = RecordRejected(
            "too_large",
            f"单次最多提交{max_records}条记录，本次{len(body.records)}条",
            f"{len(body.records)} records in one call, at most {max_records}",
        )
        source = body.source or default_source
        _keep(raw, too_many, 413, source_label, source, user, station, before_keeping)
    return body


def _keep(
    raw: bytes,
    rejected: RecordRejected,
    status: int,
    source_label: str,
    source: str | None,
    user: Any,
    station: Any,
    before_keeping: Callable[[], object] | None,
) -> NoReturn:
    text, decoded_as = _body_text(raw)
    with transaction.atomic():
        if before_keeping is not None:
            before_keeping()
        result = ingest_entries(
            [Entry(f"{source_label}（请求体）", text, rejected)],
            source_label=source_label,
            default_source=source,
            user=user,
            station=station,
        )
    kept = f"原始内容已按{decoded_as}解码保存在隔离区" if decoded_as else "原始内容已保存在隔离区"
    raise BodyRejected(rejected, status=status, batch_id=result.batch_id, kept=kept)


def _body_from(raw: bytes, reads_source: bool) -> RecordsBody:
    try:
        # JSON is UTF-8 (RFC 8259); a byte-order mark is tolerated, as many Windows tools add one.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guess = _guess_encoding(raw)
        raise RecordRejected(
            "encoding",
            f"请求体不是有效的UTF-8编码（第{exc.start + 1}字节起无法解码"
            + (f"，疑似{guess}编码" if guess else "")
            + "），请以UTF-8编码提交JSON",
            f"body is not UTF-8 at byte {exc.start}",
        ) from None
    try:
        body = loads_json(text, parse_constant=_no_constant)
    except ValueError as exc:
        where = (
            f"（第{exc.lineno}行第{exc.colno}列附近）"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise RecordRejected(
            "malformed",
            f"请求体不是有效的JSON{where}，请检查括号、引号和逗号",
            f"body is not JSON: {exc}",
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise RecordRejected(
            "malformed",
            '请求体应为JSON对象，其中 "records" 为记录数组，例如 {"records": [{…}, {…}]}',
            "body is not an object with a records array",
        )
    if not reads_source:
        return RecordsBody(body["records"])
    source = body.get("source")
    if source is not None and not isinstance(source, str):
        raise RecordRejected(
            "malformed",
            '请求体中的 "source" 应为来源类型的文字代码，例如 "complaint"',
            "body source is not a string",
        )
    return RecordsBody(body["records"], source or None)


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them.
    raise ValueError(f"{name} is not JSON")


def _guess_encoding(raw: bytes) -> str:
    """The encoding the body looks like, in the words users know (GBK rather than gb18030)."""
    try:
        encoding = detect_encoding(raw[:65536], complete=len(raw) <= 65536)
    except RecordRejected:
        return ""
    if encoding.lower().replace("-", "") in ("gb18030", "gbk", "gb2312"):
        return "GBK/GB18030"
    return encoding.upper() if encoding.lower() not in ("utf8", "utf-8", "utf-8-sig") else ""


def _body_text(raw: bytes) -> tuple[str, str]:
    """The body as text for the quarantine, and the encoding used if not UTF-8. Decoded
    strictly in the encoding it seems to be in, it stays readable and its bytes recoverable;
    if none fits, bytes that are not UTF-8 are written \\xNN."""
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    guess = _guess_encoding(raw)
    if guess:
        try:
            return raw.decode("gb18030" if guess.startswith("GBK") else guess), guess
        except (UnicodeDecodeError, LookupError):
            pass
    return raw.decode("utf-8", "backslashreplace"), ""
