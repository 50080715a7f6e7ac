"""The canonical record every source is turned into, and its validation.

A record is a JSON object with the common keys below and a ``details`` object whose keys
depend on the source (see docs/sources.md). Validation takes plain values and returns a
``Record`` or raises ``RecordRejected`` carrying a reason code, a Chinese message for users
and an English message for logs; the caller quarantines rejected input, never drops it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from pqrisk.core.uscc import InvalidUSCC, parse_uscc

SOURCE_KINDS = (
    "licensing",
    "spot_check",
    "penalty",
    "complaint",
    "injury",
    "recall",
    "media",
    "station",
    "foreign_recall",
)
COMMON_KEYS = (
    "source",
    "external_id",
    "occurred_at",
    "title",
    "text",
    "enterprise_uscc",
    "enterprise_name",
    "district",
    "product_name",
    "product_code",
    "brand",
    "model",
    "details",
)
# Limits that keep one bad record from filling the database (our own choice).
MAX_EXTERNAL_ID = 120
MAX_TITLE = 300
MAX_TEXT = 50_000
MAX_RECORD_BYTES = 512 * 1024
MAX_DEPTH = 32  # levels of objects and arrays in one record


class RecordRejected(ValueError):
    """A record that cannot be accepted; ``reason`` is an intake QuarantineReason value."""

    def __init__(self, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Record:
    source: str
    external_id: str
    title: str
    text: str
    occurred_at: str | None = None
    enterprise_uscc: str | None = None
    enterprise_name: str = ""
    district_code: str | None = None
    product_name: str = ""
    product_code: str | None = None
    brand: str = ""
    model: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any]:
        """What is stored as the raw item: the record as received, normalised keys only."""
        return {
            "source": self.source,
            "external_id": self.external_id,
            "occurred_at": self.occurred_at,
            "title": self.title,
            "text": self.text,
            "enterprise_uscc": self.enterprise_uscc,
            "enterprise_name": self.enterprise_name,
            "district": self.district_code,
            "product_name": self.product_name,
            "product_code": self.product_code,
            "brand": self.brand,
            "model": self.model,
            "details": self.details,
        }


def without_nul(value: Any) -> Any:
    """Drop NUL characters, which PostgreSQL cannot store in text or JSON, at any depth."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    return value


def loads_json(text: str, **kwargs: Any) -> Any:
    """``json.loads``, with nesting too deep for Python's stack refused as bad JSON.

    ``[[[[…`` a few thousand deep raises RecursionError, which no caller expects from a
    parser: it becomes the JSONDecodeError every reader already turns into a quarantine.
    """
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError("嵌套层数过深", text[:1000], 0) from None


def nesting_depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), counted without recursion up to ``limit``+1."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def json_bytes(obj: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``obj`` (dates ISO, other unknown types as ``str``).

    orjson does the work; what it refuses (integers beyond 64 bits, lone surrogates) goes
    through the standard library, which keeps surrogates as escapes for the caller to find.
    """
    try:
        return orjson.dumps(
            obj,
            default=str,
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS if sort_keys else 0,
        )
    except orjson.JSONEncodeError:
        text = json.dumps(
            obj, ensure_ascii=False, default=str, sort_keys=sort_keys, separators=(",", ":")
        )
        return text.encode("utf-8", "surrogatepass")


def json_text(obj: Any) -> str:
    """``json_bytes`` as text, for keeping a raw entry readable."""
    try:
        return json_bytes(obj).decode("utf-8", "surrogatepass")
    except RecursionError:  # nested beyond the stack: validation refuses it by its depth
        return json.dumps(f"（嵌套层数过深的{type(obj).__name__}，无法显示）", ensure_ascii=False)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    raise RecordRejected(
        "invalid_value", f"字段值应为文本，实际为{type(value).__name__}", "expected a text value"
    )


def parse_when(value: Any) -> str | None:
    """An ISO date or date-time from the forms bureau files use; None for an empty value."""
    text = _text(value)
    if not text:
        return None
    candidates = (text, text.replace("/", "-"), text.replace(" ", "T"))
    for candidate in candidates:
        try:
            return datetime.fromisoformat(candidate).isoformat()
        except ValueError:
            pass
        try:
            return date.fromisoformat(candidate).isoformat()
        except ValueError:
            pass
    for fmt in ("%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    raise RecordRejected(
        "invalid_value",
        f"日期格式无法识别：{text[:40]}（应为 2026-03-05 或 2026年3月5日）",
        f"unparseable date {text[:40]!r}",
    )


def validate_record(
    obj: Any,
    resolve_district: Callable[[str], str | None],
    default_source: str | None = None,
) -> Record:
    """Check one incoming object and return it as a Record, or raise RecordRejected.

    ``resolve_district`` maps a code or a Chinese district name to a district code. The
    details are checked by the source's stream module (pqrisk.sources.streams).
    """
    from .streams import STREAMS  # the stream modules import RecordRejected from here

    if not isinstance(obj, Mapping):
        raise RecordRejected(
            "malformed", "每条记录应为一个JSON对象（键值对）", "record is not a JSON object"
        )
    if nesting_depth(obj, MAX_DEPTH) > MAX_DEPTH:
        # Deeper than any real record, and deep enough to exhaust the serialisers' stacks.
        raise RecordRejected(
            "malformed",
            f"记录嵌套层数超过{MAX_DEPTH}层，无法接收",
            f"record nests deeper than {MAX_DEPTH} levels",
        )
    dumped = json_bytes(obj)
    if b"\\u0000" in dumped:  # JSON writes NUL as \u0000; rare, so strip only when present
        obj = without_nul(obj)
        dumped = json_bytes(obj)
    size = len(dumped)
    if size > MAX_RECORD_BYTES:
        raise RecordRejected(
            "too_large",
            f"单条记录过大（{size // 1024} KB，上限 {MAX_RECORD_BYTES // 1024} KB）",
            f"record of {size} bytes exceeds {MAX_RECORD_BYTES}",
        )
    source = _text(obj.get("source")) or (default_source or "")
    if source not in SOURCE_KINDS:
        raise RecordRejected(
            "unknown_source",
            f"来源类型无法识别：{source or '（空）'}",
            f"unknown source kind {source!r}",
        )
    external_id = _text(obj.get("external_id"))
    if not external_id:
        raise RecordRejected("missing_field", "缺少来源编号（external_id）", "missing external_id")
    if len(external_id) > MAX_EXTERNAL_ID:
        raise RecordRejected(
            "too_large", f"来源编号超过{MAX_EXTERNAL_ID}个字符", "external_id too long"
        )
    title = _text(obj.get("title"))
    text = _text(obj.get("text"))
    if not title and not text:
        raise RecordRejected("missing_field", "标题和正文不能同时为空", "missing title and text")
    if len(text) > MAX_TEXT:
        raise RecordRejected(
            "too_large",
            f"正文超过{MAX_TEXT}个字符（{len(text)}）",
            f"text of {len(text)} characters exceeds {MAX_TEXT}",
        )
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    uscc_raw = _text(obj.get("enterprise_uscc"))
    uscc: str | None = None
    if uscc_raw:
        try:
            uscc = parse_uscc(uscc_raw).code
        except InvalidUSCC as exc:
            raise RecordRejected("invalid_uscc", exc.message_zh, exc.message_en) from exc
    district_raw = _text(obj.get("district"))
    district_code: str | None = None
    if district_raw:
        district_code = resolve_district(district_raw)
        if district_code is None:
            raise RecordRejected(
                "unknown_district",
                f"行政区无法识别：{district_raw[:40]}（应为上海市16个区或临港新片区）",
                f"unknown district {district_raw[:40]!r}",
            )
    details = obj.get("details") or {}
    if not isinstance(details, Mapping):
        raise RecordRejected("malformed", "details 字段应为JSON对象", "details is not an object")
    extra = {k: v for k, v in obj.items() if k not in COMMON_KEYS}
    received = {**extra, **dict(details)}
    stream = STREAMS.get(source)
    # The raw item keeps the details as received (Chinese headers included) and adds the
    # canonical keys in their checked types, which is what screening reads.
    checked = {**received, **stream.validate_details(received)} if stream else received
    return Record(
        source=source,
        external_id=external_id,
        title=title or text[:60],
        text=text,
        occurred_at=parse_when(obj.get("occurred_at")),
        enterprise_uscc=uscc,
        enterprise_name=_text(obj.get("enterprise_name"))[:200],
        district_code=district_code,
        product_name=_text(obj.get("product_name"))[:200],
        product_code=_text(obj.get("product_code")) or None,
        brand=_text(obj.get("brand"))[:100],
        model=_text(obj.get("model"))[:100],
        details=checked,
    )
