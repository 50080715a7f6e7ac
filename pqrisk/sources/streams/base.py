"""The shape of a stream's ``details``: which Chinese headers map to which keys, and how
each value is checked and converted.

A stream module declares its fields once (``FIELDS``); its ``FIELD_MAP``, ``REQUIRED`` and
``validate_details`` all come from that declaration, and so does the table in
docs/sources.md, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pqrisk.sources.records import RecordRejected, parse_when

Kind = Literal["text", "date", "datetime", "int", "number", "choice", "list", "items", "url"]

KIND_LABELS: dict[str, str] = {
    "text": "文本",
    "date": "日期",
    "datetime": "日期时间",
    "int": "整数",
    "number": "数值",
    "choice": "选项",
    "list": "列表",
    "items": "检验项目列表",
    "url": "网址",
}
# Separators people use between list entries in one spreadsheet cell.
LIST_SEPARATORS = re.compile(r"[、，,;；\n]+")
ITEM_SEPARATORS = re.compile(r"[;；\n]+")
_NUMBER = re.compile(r"^(?P<num>[+-]?\d+(?:\.\d+)?)\s*(?P<unit>\S*)$")
# Units written after a number in a cell, and what they multiply it by.
UNIT_FACTORS: dict[str, int] = {"万元": 10_000, "万": 10_000}
MAX_SHOWN = 40


@dataclass(frozen=True)
class Field:
    """One details field: its Chinese column header, canonical key and type."""

    header: str
    key: str
    kind: Kind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    units: tuple[str, ...] = ()
    note: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)

    @property
    def name_zh(self) -> str:
        return f"{self.header}（{self.key}）"

    def expectation(self) -> str:
        """What a good value looks like, in Chinese, for error messages and the docs."""
        if self.kind == "choice":
            return "、".join(self.choices)
        if self.kind in ("int", "number"):
            bounds = ""
            if self.minimum is not None and self.maximum is not None:
                bounds = f"{self.minimum:g}–{self.maximum:g}的"
            elif self.minimum is not None:
                bounds = f"不小于{self.minimum:g}的"
            return bounds + ("整数" if self.kind == "int" else "数值")
        return {
            "date": "日期，如 2026-03-05",
            "datetime": "日期时间，如 2026-03-05T14:30:00",
            "list": "列表，或以“、”“，”“；”分隔的文本",
            "items": "列表，或“项目:结果;项目:结果”形式的文本",
            "url": "以 http:// 或 https:// 开头的网址",
        }.get(self.kind, "文本")


@dataclass(frozen=True)
class Stream:
    """An internal data stream (生产许可, 监督抽查, …) and the fields of its details."""

    source: str
    label: str
    fields: tuple[Field, ...]
    checks: tuple[Callable[[dict[str, Any]], None], ...] = ()

    @property
    def field_map(self) -> dict[str, str]:
        return {h: f.key for f in self.fields for h in f.headers}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    @cached_property
    def _names(self) -> dict[str, Field]:
        """Every name a field may arrive under: its key, header and aliases."""
        return {name: f for f in self.fields for name in (f.key, *f.headers)}

    def validate(self, details: Mapping[str, Any]) -> dict[str, Any]:
        """Details with Chinese headers mapped to keys and values converted; raises
        RecordRejected (missing_field / invalid_value) naming the field and the value."""
        given = {str(k).strip(): v for k, v in details.items()}
        out = {k: v for k, v in given.items() if k not in self._names}
        for f in self.fields:
            value = _first_present(given, (f.key, *f.headers))
            if value is None:
                if f.required:
                    raise RecordRejected(
                        "missing_field",
                        f"{self.label}记录缺少必填字段：{f.name_zh}",
                        f"{self.source}: missing required field {f.key}",
                    )
                continue
            out[f.key] = convert(f, value)
        for check in self.checks:
            check(out)
        return out


def _first_present(given: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """The first non-empty value under any of ``names`` (the key before the headers)."""
    for name in names:
        value = given.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, "", [], {}):
            return value
    return None


def invalid(f: Field, value: Any, why: str = "") -> RecordRejected:
    shown = str(value)
    if len(shown) > MAX_SHOWN:
        shown = shown[: MAX_SHOWN - 1] + "…"
    reason = why or f"应为{f.expectation()}"
    return RecordRejected(
        "invalid_value",
        f"{f.name_zh}的值无效：{shown}（{reason}）",
        f"invalid value for {f.key}: {shown!r}",
    )


def convert(f: Field, value: Any) -> Any:
    """The value of field ``f`` in its canonical type, or RecordRejected."""
    if f.kind == "text":
        return _scalar_text(f, value)
    if f.kind == "choice":
        text = _scalar_text(f, value)
        if text not in f.choices:
            raise invalid(f, value)
        return text
    if f.kind in ("date", "datetime"):
        try:
            when = parse_when(_scalar_text(f, value))
        except RecordRejected as exc:
            raise invalid(f, value) from exc
        return when[:10] if f.kind == "date" and when else when
    if f.kind in ("int", "number"):
        return _number(f, value)
    if f.kind == "list":
        return _list(f, value)
    if f.kind == "items":
        return _items(f, value)
    if f.kind == "url":
        text = _scalar_text(f, value)
        if not text.startswith(("http://", "https://")) or " " in text:
            raise invalid(f, value)
        return text
    raise AssertionError(f"unknown field kind {f.kind}")


def _scalar_text(f: Field, value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise invalid(f, value, "应为文本")


def _number(f: Field, value: Any) -> int | float:
    if isinstance(value, bool):
        raise invalid(f, value)
    if isinstance(value, int | float):
        number: float = value
    else:
        text = _scalar_text(f, value).replace(",", "").replace("，", "").replace(" ", "")
        match = _NUMBER.match(text)
        if not match or (match["unit"] and match["unit"] not in f.units):
            raise invalid(f, value)
        number = float(match["num"]) * UNIT_FACTORS.get(match["unit"], 1)
    if f.kind == "int" and number != int(number):
        raise invalid(f, value)
    if (f.minimum is not None and number < f.minimum) or (
        f.maximum is not None and number > f.maximum
    ):
        raise invalid(f, value)
    if number == int(number):
        return int(number)
    return round(number, 4)


def _list(f: Field, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [_scalar_text(f, v) for v in value if v not in (None, "")]
    return [part.strip() for part in LIST_SEPARATORS.split(_scalar_text(f, value)) if part.strip()]


def _items(f: Field, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list | tuple):
        rows: list[dict[str, Any]] = []
        for item in value:
            if isinstance(item, Mapping) and _first_present(item, ("name",)) is not None:
                rows.append({str(k): v for k, v in item.items()})
            elif isinstance(item, str) and item.strip():
                rows.append(_item_from_text(item))
            else:
                raise invalid(f, item, "每个检验项目应有名称 name")
        return rows
    return [_item_from_text(p) for p in ITEM_SEPARATORS.split(_scalar_text(f, value)) if p.strip()]


def _item_from_text(text: str) -> dict[str, Any]:
    parts = re.split(r"[:：]", text.strip(), maxsplit=1)
    return {"name": parts[0].strip(), "result": parts[1].strip() if len(parts) > 1 else ""}
