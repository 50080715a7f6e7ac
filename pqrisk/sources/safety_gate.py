"""EU Safety Gate (formerly RAPEX) alerts as foreign-recall records.

Safety Gate exports come as CSV (the weekly report tables, the portal's "export") or JSON
(the portal's API, open-data mirrors that wrap each alert in ``fields``). Their headers vary
in spelling ("Alert number" / "alert_number" / "Reference", "Danger" / "Risk" / "Risk
description", "Type / number of model"…); ``HEADERS`` maps every spelling we know, after
folding case and punctuation, to one field. Each alert becomes the canonical record of the
intake side with ``source="foreign_recall"`` and ``external_id="SG-<alert number>"``, so that
loading the same export twice stores nothing new. The English fields are kept as given in
``details``; tagging (pqrisk.core.foreign.tagging) maps them to our terms later.

Bad rows never stop a file: a row without an alert number, or without any product or risk
text, is a ``RecordRejected`` with its reason, which intake keeps in quarantine. A date that
cannot be read does not reject the alert (an alert about a dangerous product matters more
than its date): the record keeps ``occurred_at`` empty and ``details["date_raw"]`` /
``details["date_error"]`` say what was given and why it was not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .readers import (
    MAX_JSON_BYTES,
    Entry,
    has_bad_bytes,
    open_text,
    read_csv,
    read_xlsx,
)
from .records import RecordRejected, json_text, loads_json

SOURCE = "foreign_recall"
ORIGIN = "safety_gate"
ID_PREFIX = "SG-"

# Header spellings (folded by ``fold_header``) → field. Kept as data so a new export's
# spelling is one line here.
HEADERS: dict[str, str] = {}
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "alert_number": (
        "alert number",
        "alert no",
        "alert nr",
        "alert",
        "alert id",
        "reference",
        "reference number",
        "notification number",
        "rapex number",
        "case number",
        "external id",
    ),
    "date": (
        "date",
        "alert date",
        "notification date",
        "date of notification",
        "publication date",
        "published",
        "date published",
        "alert submission date",
        "submission date",
        "occurred at",
    ),
    "notifying_country": (
        "notifying country",
        "notifying member state",
        "notifying state",
        "reporting country",
        "notified by",
    ),
    "country_of_origin": (
        "country of origin",
        "origin",
        "origin country",
        "country of manufacture",
        "made in",
    ),
    "product_category": ("product category", "category", "product type", "product group"),
    "product_name": ("product", "product name", "name", "name of product", "title"),
    "product_description": (
        "description",
        "product description",
        "description of the product",
        "product details",
        "product info",
        "text",
        "packaging description",
    ),
    "brand": ("brand", "brand name", "trademark", "trade mark"),
    "model": (
        "type number of model",
        "type of model",
        "model",
        "model number",
        "model type",
        "type model",
        "model type number",
    ),
    "barcode": ("barcode", "barcodes", "bar code", "ean", "ean code", "gtin", "upc", "upc code"),
    "batch": ("batch number", "batch", "batch lot", "lot", "lot number"),
    "risk_type": ("risk type", "risk types", "type of risk", "risk category", "risk level type"),
    "risk_description": (
        "danger",
        "risk",
        "risk description",
        "description of the risk",
        "hazard",
        "hazard description",
        "technical defect",
    ),
    "measures": (
        "measures adopted by notifying country",
        "measures",
        "measures taken",
        "measures adopted",
        "measures taken by notifying country",
        "compulsory measures",
        "voluntary measures",
        "measures adopted by economic operators",
        "measures ordered by public authorities",
    ),
    "manufacturer": ("manufacturer", "producer", "manufacturer name", "company"),
    "url": ("url", "link", "alert url", "web link"),
    "alert_type": ("alert type", "type of alert", "alert category", "level"),
    "counterfeit": ("counterfeit",),
}
for _field, _names in _SPELLINGS.items():
    for _name in _names:
        HEADERS[_name] = _field

# Fields whose several columns are joined (with this separator) rather than the first one
# kept: an export with both "Compulsory measures" and "Voluntary measures", or both
# "Product" (the kind, "Soft toy") and "Name" ("Plush rabbit"). Other second columns for a
# field are kept in ``details["extra"]``.
JOINED = {"measures": "; ", "barcode": "; ", "product_name": " – "}
MAX_ALERT_NUMBER = 100  # "SG-" + number within intake's 120-character external id
_FOLD = re.compile(r"[^0-9a-z]+")
_BARCODE = re.compile(r"\d{8,14}")
_DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d %B %Y", "%d %b %Y")


def fold_header(name: str) -> str:
    """A header as looked up: lower case, punctuation and spacing folded to single spaces
    ("Type / number of model" → "type number of model", "alert_number" → "alert number")."""
    return _FOLD.sub(" ", str(name).casefold()).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, Mapping):
        # {"name": "Germany", "code": "DE"} and the like: the first textual value.
        for key in ("name", "value", "label", "en", "text", "description"):
            if isinstance(value.get(key), str):
                return str(value[key]).strip()
        return json_text(value)
    return str(value).strip()


# Keys of a small object that is one value ({"name": "Germany", "code": "DE"}), not a group.
VALUE_KEYS = frozenset({"name", "value", "code", "label", "text", "en", "id", "iso", "iso2"})
_PART = "\x1f"  # joins the keys of a nested value in ``flatten``


def _is_group(value: Mapping[str, Any]) -> bool:
    """Whether a nested object groups fields ("product": {"name", "brand", …}) rather than
    spelling one value ("notifying_country": {"name", "code"})."""
    return any(fold_header(k) not in VALUE_KEYS and fold_header(k) in HEADERS for k in value)


def flatten(obj: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested groups of a JSON alert as flat names ("product": {"brand": …} → "product"
    + "brand", looked up as "product brand" and then as "brand"); an open-data record's
    ``fields`` object is the alert itself."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{_PART}{key}" if prefix else str(key)
        wrapper = str(key).casefold() in ("fields", "record", "alert")
        if isinstance(value, Mapping) and depth < 3 and (wrapper or _is_group(value)):
            for k, v in flatten(value, "" if wrapper else name, depth + 1).items():
                out.setdefault(k, v)
        else:
            out[name] = value
    return out


def _field_of(name: str) -> str | None:
    found = HEADERS.get(fold_header(name.replace(_PART, " ")))
    if found is None and _PART in name:
        found = HEADERS.get(fold_header(name.rsplit(_PART, 1)[-1]))
    return found


def parse_alert_date(text: str) -> tuple[str | None, str]:
    """(ISO date, "") for a date Safety Gate writes (dd/mm/yyyy, dd.mm.yyyy, ISO date or
    date-time, "12 March 2024"), else (None, the reason in Chinese)."""
    text = text.strip()
    if not text:
        return None, ""
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return datetime.fromisoformat(iso).date().isoformat(), ""
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10]).isoformat(), ""
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat(), ""
        except ValueError:
            continue
    return None, f"通报日期无法识别：{text[:40]}（应为 日/月/年 如 05/03/2024，或 2024-03-05）"


def _fields(row: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The known fields of a row (first non-empty column wins, ``JOINED`` ones joined) and
    the columns we do not know, kept as they were."""
    fields: dict[str, str] = {}
    extra: dict[str, Any] = {}
    for name, value in row.items():
        if name is None:
            continue
        field = _field_of(str(name))
        text = _text(value)
        if field is None:
            if text:
                extra[str(name).replace(_PART, ".")] = value
            continue
        if not text:
            continue
        if not fields.get(field):
            fields[field] = text
        elif field in JOINED:
            fields[field] = f"{fields[field]}{JOINED[field]}{text}"
        else:
            extra[str(name).replace(_PART, ".")] = value  # a second spelling: kept as given
    return fields, extra


def barcodes_of(text: str) -> list[str]:
    """The digit runs of a barcode column (EAN/GTIN/UPC: 8–14 digits), in order, unique."""
    return list(dict.fromkeys(_BARCODE.findall(text.replace(" ", "")))) if text else []


def parse_safety_gate_alert(row: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """One alert (a CSV row or a JSON object) as a canonical record; RecordRejected if it
    has no alert number or says nothing about a product or a risk."""
    if not isinstance(row, Mapping):
        raise RecordRejected(
            "malformed",
            f"{where} 每条通报应为一个JSON对象（键值对）".strip(),
            f"{where}: alert is not an object",
        )
    fields, extra = _fields(flatten(row))
    number = " ".join(fields.get("alert_number", "").split())
    if not number:
        raise RecordRejected(
            "missing_field",
            "缺少通报编号（Alert number），无法识别是哪一条Safety Gate通报",
            "missing alert number",
        )
    if len(number) > MAX_ALERT_NUMBER:
        raise RecordRejected(
            "too_large",
            f"通报编号超过{MAX_ALERT_NUMBER}个字符",
            "alert number too long",
        )
    name = fields.get("product_name", "")
    description = fields.get("product_description", "")
    risk = fields.get("risk_description", "")
    if not (name or description or risk or fields.get("product_category")):
        raise RecordRejected(
            "missing_field",
            f"通报 {number} 没有产品名称、产品描述、产品类别或风险描述，无从判断",
            f"alert {number} has no product or risk text",
        )
    date_raw = fields.get("date", "")
    occurred, date_error = parse_alert_date(date_raw)
    title = name or " ".join(
        x for x in (fields.get("brand", ""), fields.get("product_category", "")) if x
    )
    details: dict[str, Any] = {
        "origin": ORIGIN,
        "alert_number": number,
        "date_raw": date_raw,
        "notifying_country": fields.get("notifying_country", ""),
        "country_of_origin": fields.get("country_of_origin", ""),
        "product_category": fields.get("product_category", ""),
        "product_name": name,
        "product_description": description,
        "brand": fields.get("brand", ""),
        "model": fields.get("model", ""),
        "barcodes": barcodes_of(fields.get("barcode", "")),
        "batch": fields.get("batch", ""),
        "risk_type": fields.get("risk_type", ""),
        "risk_description": risk,
        "measures": fields.get("measures", ""),
        "manufacturer": fields.get("manufacturer", ""),
        "url": fields.get("url", ""),
        "alert_type": fields.get("alert_type", ""),
        "made_in_china": None,  # decided by tagging, from the origin and the text
    }
    if date_error:
        details["date_error"] = date_error
    if extra:
        details["extra"] = extra
    return {
        "source": SOURCE,
        "external_id": f"{ID_PREFIX}{number}",
        "occurred_at": occurred,
        "title": title or f"Safety Gate {number}",
        "text": "\n".join(x for x in (description, risk) if x),
        "enterprise_uscc": None,
        "enterprise_name": fields.get("manufacturer") or None,
        "district": None,
        "product_name": name,
        "product_code": None,
        "brand": fields.get("brand") or None,
        "model": fields.get("model") or None,
        "details": details,
    }


def _as_entry(entry: Entry) -> Entry:
    """A reader's entry with its row turned into an alert record (or its rejection)."""
    if isinstance(entry.value, RecordRejected):
        return entry
    value = entry.value
    if isinstance(value, Mapping):
        # read_csv maps a few headers to intake's canonical keys and keeps the rest in
        # ``details``: put the row back together under its own headers.
        inner = value.get("details")
        row = {k: v for k, v in value.items() if k != "details"}
        if isinstance(inner, Mapping):
            row = {**inner, **row}
        value = row
    try:
        return Entry(entry.location, entry.raw, parse_safety_gate_alert(value, entry.location))
    except RecordRejected as exc:
        return Entry(entry.location, entry.raw, exc)


def iter_safety_gate_csv(path: Path) -> Iterator[Entry]:
    """Alerts of a Safety Gate table export: CSV (comma, semicolon or tab; UTF-8, UTF-16,
    GB18030), or the same table saved as an Excel workbook (.xlsx, first sheet)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        for entry in read_xlsx(path):
            yield _as_entry(entry)
        return
    try:
        stream, encoding = open_text(path, newline="")
    except RecordRejected as exc:
        with path.open("rb") as fh:
            yield Entry(path.name, fh.read(100_000).decode("latin-1"), exc)
        return
    with stream:
        for entry in read_csv(stream, path.name, encoding):
            yield _as_entry(entry)


# Keys under which JSON exports put their list of alerts.
LIST_KEYS = ("records", "alerts", "results", "data", "items", "notifications")


def iter_safety_gate_json(path: Path) -> Iterator[Entry]:
    """Alerts of a Safety Gate JSON export: a list of alerts, or an object holding one under
    ``records`` / ``alerts`` / ``results`` / ``data`` / ``items``; also JSON Lines."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        yield Entry(
            path.name,
            "",
            RecordRejected(
                "too_large",
                f"JSON文件过大（{size // 1024 // 1024} MB，"
                f"上限 {MAX_JSON_BYTES // 1024 // 1024} MB）",
                f"JSON file of {size} bytes exceeds {MAX_JSON_BYTES}",
            ),
        )
        return
    try:
        stream, encoding = open_text(path)
    except RecordRejected as exc:
        with path.open("rb") as fh:
            yield Entry(path.name, fh.read(100_000).decode("latin-1"), exc)
        return
    with stream:
        text = stream.read()
    if has_bad_bytes(text):
        yield Entry(
            path.name,
            text[:100_000].encode("utf-8", "backslashreplace").decode(),
            RecordRejected(
                "encoding", f"文件含有无法按 {encoding} 解码的字节", f"undecodable {encoding}"
            ),
        )
        return
    try:
        data = loads_json(text)
    except json.JSONDecodeError as exc:
        if path.suffix.lower() in (".jsonl", ".ndjson") or "\n{" in text:
            yield from _json_lines(text, path.name)
            return
        yield Entry(
            path.name,
            text[:100_000],
            RecordRejected(
                "malformed",
                f"文件不是合法的JSON：{exc.msg}（第{exc.lineno}行）",
                f"invalid JSON: {exc}",
            ),
        )
        return
    items = _alert_list(data)
    if items is None:
        yield Entry(
            path.name,
            text[:100_000],
            RecordRejected(
                "malformed",
                "JSON文件应为通报数组，或含 records / alerts / results 数组的对象",
                "no list of alerts in the JSON",
            ),
        )
        return
    for index, item in enumerate(items, start=1):
        where = f"{path.name}#{index}"
        raw = json_text(item)
        try:
            yield Entry(where, raw, parse_safety_gate_alert(item, where))
        except RecordRejected as exc:
            yield Entry(where, raw, exc)


def _alert_list(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for key in LIST_KEYS:
            if isinstance(data.get(key), list):
                return list(data[key])
        if any(HEADERS.get(fold_header(k)) == "alert_number" for k in data):
            return [data]  # a single alert
    return None


def _json_lines(text: str, name: str) -> Iterator[Entry]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            obj = loads_json(line)
        except json.JSONDecodeError as exc:
            yield Entry(
                where,
                line,
                RecordRejected(
                    "malformed",
                    f"第{number}行不是合法的JSON：{exc.msg}",
                    f"invalid JSON at line {number}",
                ),
            )
            continue
        try:
            yield Entry(where, line, parse_safety_gate_alert(obj, where))
        except RecordRejected as exc:
            yield Entry(where, line, exc)
