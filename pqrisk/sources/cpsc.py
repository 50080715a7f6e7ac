"""US CPSC recalls (legacy API export and the recent CSV table) as foreign-recall records.

One line of ``cpsc_recalls_legacy.jsonl`` holds one recall as returned by the old CPSC
recalls API: ``recall_number``, ``recall_date``, ``recall_url`` and lists (or nulls) of
``manufacturers``, ``product_types``, ``descriptions``, ``upcs``, ``hazards`` and
``countries``. We turn each into the canonical record schema of the intake side with
``source="foreign_recall"``; the English text is kept as is, tagging maps it later.

``iter_cpsc_recent`` reads the CSV shape of ``cpsc_recalls_recent.csv`` the same way (see
the section below); both give ``external_id="CPSC-<recall number>"``.

A malformed line is never dropped: the iterator yields a ``ValueError`` naming the line so
that the caller can quarantine it with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .records import loads_json

SOURCE = "foreign_recall"


class CPSCLineError(ValueError):
    """A line of the CPSC export that cannot become a record; keeps the raw line."""

    def __init__(
        self, message: str, line_no: int | None, raw: str, reason: str = "malformed"
    ) -> None:
        super().__init__(message)
        self.line_no = line_no
        self.raw = raw
        self.reason = reason  # an intake quarantine reason


def _where(line_no: int | None) -> str:
    return f"line {line_no}" if line_no is not None else "CPSC line"


def _str_list(value: Any, field: str, line_no: int | None, raw: str) -> list[str]:
    """The source has lists, nulls and the odd bare string; normalise to a list of str."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise CPSCLineError(
            f"{_where(line_no)}: field {field!r} must be a list of strings or null, "
            f"got {type(value).__name__}",
            line_no,
            raw,
        )
    out: list[str] = []
    for item in value:
        if item is None:
            continue
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return out


def parse_cpsc_legacy_line(line: str, line_no: int | None = None) -> dict[str, Any]:
    """Parse one JSON line into a canonical record; raise ``ValueError`` if it is malformed."""
    raw = line.rstrip("\r\n")
    try:
        obj = loads_json(raw)
    except json.JSONDecodeError as exc:
        raise CPSCLineError(f"{_where(line_no)}: not valid JSON ({exc.msg})", line_no, raw) from exc
    if not isinstance(obj, dict):
        raise CPSCLineError(
            f"{_where(line_no)}: expected a JSON object, got {type(obj).__name__}", line_no, raw
        )
    recall_number = obj.get("recall_number")
    if recall_number is None or not str(recall_number).strip():
        raise CPSCLineError(f"{_where(line_no)}: missing recall_number", line_no, raw)
    recall_number = str(recall_number).strip()

    recall_date = obj.get("recall_date")
    if recall_date is not None and not isinstance(recall_date, str):
        raise CPSCLineError(
            f"{_where(line_no)}: recall_date must be a string or null, "
            f"got {type(recall_date).__name__}",
            line_no,
            raw,
        )
    occurred_at = (recall_date or "").strip()[:10] or None

    descriptions = _str_list(obj.get("descriptions"), "descriptions", line_no, raw)
    product_types = _str_list(obj.get("product_types"), "product_types", line_no, raw)
    manufacturers = _str_list(obj.get("manufacturers"), "manufacturers", line_no, raw)
    hazards = _str_list(obj.get("hazards"), "hazards", line_no, raw)
    countries = _str_list(obj.get("countries"), "countries", line_no, raw)
    upcs = _str_list(obj.get("upcs"), "upcs", line_no, raw)

    title = (descriptions or product_types or [f"CPSC recall {recall_number}"])[0]
    url = obj.get("recall_url")
    return {
        "source": SOURCE,
        "external_id": f"CPSC-{recall_number}",
        "occurred_at": occurred_at,
        "title": title,
        "text": "\n".join(descriptions),
        "enterprise_uscc": None,
        "enterprise_name": "; ".join(manufacturers) or None,
        "district": None,
        "product_name": "; ".join(product_types),
        "product_code": None,
        "brand": None,
        "model": None,
        "details": {
            "recall_number": recall_number,
            "url": url if isinstance(url, str) else None,
            "countries": countries,
            "hazards_en": hazards,
            "product_types_en": product_types,
            "manufacturers": manufacturers,
            "upcs": upcs,
            "made_in_china": any(c.casefold() == "china" for c in countries),
        },
    }


def iter_cpsc_legacy(path: Path) -> Iterator[dict[str, Any] | ValueError]:
    """Yield a record per non-blank line, or the ``ValueError`` explaining why it was rejected."""
    with Path(path).open("rb") as fh:
        for line_no, data in enumerate(fh, start=1):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                # One line in another encoding (or binary) is quarantined, not the whole file.
                yield CPSCLineError(
                    f"{_where(line_no)}: not valid UTF-8 (byte {exc.start + 1})",
                    line_no,
                    data.decode("utf-8", "backslashreplace").rstrip("\r\n"),
                    reason="encoding",
                )
                continue
            if not line.strip():
                continue
            try:
                yield parse_cpsc_legacy_line(line, line_no)
            except ValueError as exc:
                yield exc


# ------------------------------------------------------------------ the recent CSV shape
# ``cpsc_recalls_recent.csv`` (a scraper's table of cpsc.gov recalls): one row per recall with
# ``recall_id, recall_number, title, description, remedy, manufacturer, hazards, recall_date,
# url, captured_at``. The free text is cut short by the source (title 140, description 200,
# remedy 60, manufacturer and hazards 120 characters), so what the title and manufacturer say
# about the firm and its country is read out of them here, and the rest is left to tagging.

RECENT_REQUIRED = ("recall_number",)
# "Acme Toys Recalls …", "… Recalled Due to …; Imported by X", "… Manufactured by X",
# "Sold Exclusively on Amazon by X".
_RECALLING_FIRM = re.compile(r"^(?P<firm>.+?)\s+Recalls\s+", re.I)
_BY_FIRM = re.compile(
    r";\s*(?:Imported|Manufactured|Distributed|Sold(?: Exclusively)?(?: on [\w.]+)?)\s+by\s+"
    r"(?P<firm>[^;]+)",
    re.I,
)
_BRANDED = re.compile(r"[-\s]branded\b")
_BRAND_WORD = re.compile(r"^(?:[A-Z0-9][\w'.+!]*|&|\+|and|de|of)$")
_MODEL = re.compile(
    r"\bmodels?(?:\s+(?:numbers?|nos?\.?|#))?\s*:?\s+"
    r"(?P<model>(?=[A-Z\-./]*\d)[A-Z0-9][A-Z0-9\-./]{2,30})",
    re.I,
)
_UPC = re.compile(
    r"\b(?:UPC|EAN|GTIN)s?(?:\s+(?:codes?|numbers?))?\s*:?\s*(?P<code>\d[\d ]{7,16}\d)"
)
# "X Co., Ltd., of China" / "Y LLC, of Orlando, Florida" / "Z, doing business as W, of China"
_OF_PLACE = re.compile(r",?\s+of\s+(?P<place>[A-Z][^;]*)$")
_DBA = re.compile(r",?\s+(?:doing business as|d/b/a|dba)\s+(?P<dba>[^,;]+)", re.I)


def _manufacturers(text: str) -> list[dict[str, str]]:
    """Each firm of a CPSC manufacturer cell: its name, trade name (d/b/a) and place."""
    firms: list[dict[str, str]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        place = ""
        found = _OF_PLACE.search(part)
        if found:
            place = found.group("place").strip().rstrip(".")
            part = part[: found.start()].strip().rstrip(",")
        dba = ""
        trade = _DBA.search(part)
        if trade:
            dba = trade.group("dba").strip()
            part = part[: trade.start()].strip().rstrip(",")
        firms.append({"name": part.strip().rstrip(","), "dba": dba, "place": place})
    return firms


US_STATES = frozenset(
    [
        "alabama",
        "alaska",
        "arizona",
        "arkansas",
        "california",
        "colorado",
        "connecticut",
        "delaware",
        "florida",
        "georgia",
        "hawaii",
        "idaho",
        "illinois",
        "indiana",
        "iowa",
        "kansas",
        "kentucky",
        "louisiana",
        "maine",
        "maryland",
        "massachusetts",
        "michigan",
        "minnesota",
        "mississippi",
        "missouri",
        "montana",
        "nebraska",
        "nevada",
        "new_hampshire",
        "new_jersey",
        "new_mexico",
        "new_york",
        "north_carolina",
        "north_dakota",
        "ohio",
        "oklahoma",
        "oregon",
        "pennsylvania",
        "rhode_island",
        "south_carolina",
        "south_dakota",
        "tennessee",
        "texas",
        "utah",
        "vermont",
        "virginia",
        "washington",
        "west_virginia",
        "wisconsin",
        "wyoming",
        "district_of_columbia",
        "puerto_rico",
    ]
)


def _country_of(place: str) -> str:
    """The country a CPSC place names: its last comma part ("Tianjin, China" → "China",
    "Hunan of China" → "China"); a US state ("Orlando, Florida") is the United States."""
    if not place:
        return ""
    last = place.rsplit(",", 1)[-1].strip()
    last = last.rsplit(" of ", 1)[-1].strip()
    if last.casefold().replace(" ", "_") in US_STATES:
        return "United States"
    return last


def _brand_before_branded(text: str) -> str:
    """ "This recall involves AMZCMJ DGD-branded stools" → "AMZCMJ DGD": the capitalised
    words just before "-branded", up to four."""
    found = _BRANDED.search(text)
    if not found:
        return ""
    words = text[: found.start()].split()
    kept: list[str] = []
    for word in reversed(words[-5:]):
        if not _BRAND_WORD.match(word):
            break
        kept.insert(0, word)
    while kept and kept[0] in ("&", "+", "and", "de", "of"):
        kept.pop(0)
    return " ".join(kept).strip(" ,.'")


def parse_cpsc_recent_row(row: dict[str, Any], where: str = "") -> dict[str, Any]:
    """One row of the recent CSV as a canonical record; ``CPSCLineError`` if it has no
    recall number or no text at all."""
    raw = json.dumps(row, ensure_ascii=False, default=str)
    values = {
        str(k).strip().casefold(): ("" if v is None else str(v).strip())
        for k, v in row.items()
        if k is not None
    }
    number = values.get("recall_number", "")
    if not number:
        raise CPSCLineError(f"{where}: missing recall_number", None, raw, reason="missing_field")
    title = values.get("title", "")
    description = values.get("description", "")
    hazards = values.get("hazards", "")
    if not (title or description or hazards):
        raise CPSCLineError(
            f"{where}: recall {number} has no title, description or hazards",
            None,
            raw,
            reason="missing_field",
        )
    recall_date = values.get("recall_date", "")
    occurred_at: str | None = None
    date_error = ""
    if recall_date:
        try:
            occurred_at = (
                datetime.fromisoformat(recall_date.replace("Z", "+00:00")).date().isoformat()
            )
        except ValueError:
            date_error = f"召回日期无法识别：{recall_date[:40]}（应为 2026-03-05）"
    manufacturer = values.get("manufacturer", "")
    firms = _manufacturers(manufacturer)
    firm = _RECALLING_FIRM.match(title)
    by = _BY_FIRM.search(title)
    branded = _brand_before_branded(description)
    model = _MODEL.search(description)
    upcs = [m.group("code").replace(" ", "") for m in _UPC.finditer(description)]
    countries = list(dict.fromkeys(c for c in (_country_of(f["place"]) for f in firms) if c))
    names = [f["name"] for f in firms if f["name"]]
    details: dict[str, Any] = {
        "origin": "cpsc",
        "recall_number": number,
        "recall_id": values.get("recall_id", ""),
        "url": values.get("url") or None,
        "recall_date_raw": recall_date,
        "captured_at": values.get("captured_at", ""),
        "title_en": title,
        "description_en": description,
        "remedy": values.get("remedy", ""),
        "hazards_en": [hazards] if hazards else [],
        "manufacturer_raw": manufacturer,
        "manufacturers": names,
        "trade_names": [f["dba"] for f in firms if f["dba"]],
        "manufacturer_places": [f["place"] for f in firms if f["place"]],
        "countries": countries,
        "country_of_origin": "; ".join(countries),
        "recalling_firm": firm.group("firm").strip() if firm else "",
        "importer": by.group("firm").strip() if by else "",
        "upcs": list(dict.fromkeys(upcs)),
        "made_in_china": any(c.casefold() == "china" for c in countries),
    }
    if date_error:
        details["date_error"] = date_error
    return {
        "source": SOURCE,
        "external_id": f"CPSC-{number}",
        "occurred_at": occurred_at,
        "title": title or description[:60] or f"CPSC recall {number}",
        "text": "\n".join(x for x in (description, hazards) if x),
        "enterprise_uscc": None,
        "enterprise_name": "; ".join(names) or None,
        "district": None,
        "product_name": "",
        "product_code": None,
        "brand": branded or None,
        "model": model.group("model").strip().rstrip(".") if model else None,
        "details": details,
    }


def iter_cpsc_recent(path: Path) -> Iterator[dict[str, Any] | ValueError]:
    """Yield a record per row of the recent CSV, or the ``ValueError`` (a ``CPSCLineError``
    with the intake quarantine reason) that explains why the row was rejected. Encoding,
    delimiter, quoting and cell-size problems are handled by the common CSV reader."""
    from .readers import open_text, read_csv
    from .records import RecordRejected

    path = Path(path)
    try:
        stream, encoding = open_text(path, newline="")
    except RecordRejected as exc:
        yield CPSCLineError(f"{path.name}: {exc.message_zh}", None, "", reason=exc.reason)
        return
    with stream:
        for entry in read_csv(stream, path.name, encoding):
            line_no = _line_of(entry.location)
            if isinstance(entry.value, RecordRejected):
                yield CPSCLineError(entry.value.message_zh, line_no, entry.raw, entry.value.reason)
                continue
            row = dict(entry.value)
            # read_csv files a few headers under intake's canonical keys and the rest under
            # ``details``; the CPSC columns all land in details except none: undo it anyway.
            inner = row.pop("details", None)
            if isinstance(inner, dict):
                row = {**inner, **row}
            try:
                yield parse_cpsc_recent_row(row, entry.location)
            except CPSCLineError as exc:
                exc.line_no, exc.raw = line_no, entry.raw
                yield exc


def _line_of(location: str) -> int | None:
    tail = location.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None
