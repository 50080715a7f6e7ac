"""docs/sources.md shows the same fields the code checks."""

from __future__ import annotations

from pathlib import Path

from pqrisk.sources.streams import STREAMS, field_tables

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text(encoding="utf-8")


def test_every_header_and_key_is_documented() -> None:
    for module in STREAMS.values():
        for header, key in module.FIELD_MAP.items():
            assert header in DOC, header
            assert f"`{key}`" in DOC, key


def test_the_field_tables_are_the_generated_ones() -> None:
    # Regenerate with: python -m pqrisk.sources.streams
    assert field_tables() in DOC
