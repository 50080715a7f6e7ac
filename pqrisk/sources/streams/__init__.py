"""The internal data streams and the ``details`` each one carries.

One module per stream declares its fields (Chinese header, canonical key, type, whether
required) and a ``validate_details`` that maps the headers, converts the values and rejects
bad ones. ``STREAMS`` finds the module for a source kind; sources without a module
(station, foreign_recall) keep their details as received.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from . import complaint, injury, licensing, media, penalty, recall, spot_check
from .base import KIND_LABELS, Field


class StreamModule(Protocol):
    SOURCE: str
    LABEL: str
    FIELDS: tuple[Field, ...]
    FIELD_MAP: dict[str, str]
    REQUIRED: tuple[str, ...]

    def validate_details(self, details: Mapping[str, Any]) -> dict[str, Any]: ...


STREAMS: dict[str, StreamModule] = {
    m.SOURCE: m for m in (licensing, spot_check, penalty, complaint, injury, recall, media)
}


def field_table(source: str) -> str:
    """The Markdown table of a stream's details fields, as docs/sources.md shows it."""
    lines = [
        "| 中文表头 | 键 | 类型 | 必填 | 说明 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in STREAMS[source].FIELDS:
        kind = KIND_LABELS[f.kind]
        if f.kind in ("choice", "int", "number"):
            kind += f"（{f.expectation()}）"
        lines.append(
            f"| {' / '.join(f.headers)} | `{f.key}` | {kind} | {'是' if f.required else '否'}"
            f" | {f.note} |"
        )
    return "\n".join(lines)


def field_tables() -> str:
    """Every stream's table under its Chinese name (``python -m pqrisk.sources.streams``)."""
    return "\n\n".join(
        f"### {m.LABEL}（`{source}`）\n\n{field_table(source)}" for source, m in STREAMS.items()
    )
