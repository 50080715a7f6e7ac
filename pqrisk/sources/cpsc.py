"""US CPSC recalls (legacy API export) as foreign-recall records.

One line of ``cpsc_recalls_legacy.jsonl`` holds one recall as returned by the old CPSC
recalls API: ``recall_number``, ``recall_date``, ``recall_url`` and lists (or nulls) of
``manufacturers``, ``product_types``, ``descriptions``, ``upcs``, ``hazards`` and
``countries``. We turn each into the canonical record schema of the intake side with
``source="foreign_recall"``; the English text is kept as is, tagging maps it later.

A malformed line is never dropped: the iterator yields a ``ValueError`` naming the line so
that the caller can quarantine it with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
