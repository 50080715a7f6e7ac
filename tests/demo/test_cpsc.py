"""CPSC legacy recalls: every line becomes a record or a ValueError naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pqrisk.sources.cpsc import iter_cpsc_legacy, parse_cpsc_legacy_line

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LINE = {
    "organization": "CPSC",
    "recall_number": "14014",
    "recall_date": "2013-11-05",
    "recall_url": "http://www.cpsc.gov/en/Recalls/2014/x/",
    "manufacturers": ["Ryobi"],
    "product_types": ["Adapter/Power Supply/Charger/Battery"],
    "descriptions": ["Ryobi battery chargers"],
    "upcs": None,
    "hazards": ["Fire & Fire-Related Burn"],
    "countries": ["China"],
}


def test_a_line_becomes_a_foreign_recall() -> None:
    rec = parse_cpsc_legacy_line(json.dumps(LINE))
    assert rec["source"] == "foreign_recall"
    assert rec["external_id"] == "CPSC-14014"
    assert rec["occurred_at"] == "2013-11-05"
    assert rec["title"] == "Ryobi battery chargers"
    assert rec["enterprise_name"] == "Ryobi"
    assert rec["details"]["made_in_china"] is True
    assert rec["details"]["hazards_en"] == ["Fire & Fire-Related Burn"]
    assert rec["details"]["upcs"] == []


def test_null_date_and_lists_are_tolerated() -> None:
    line = dict(LINE, recall_date=None, descriptions=None, countries=None)
    rec = parse_cpsc_legacy_line(json.dumps(line))
    assert rec["occurred_at"] is None
    assert rec["title"] == "Adapter/Power Supply/Charger/Battery"
    assert rec["details"]["made_in_china"] is False


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"recall_date": "2013-01-01"}), "missing recall_number"),
        (json.dumps(dict(LINE, hazards=3)), "'hazards'"),
    ],
)
def test_malformed_lines_are_reported_with_the_line_number(
    tmp_path: Path, line: str, reason: str
) -> None:
    path = tmp_path / "cpsc.jsonl"
    path.write_text(json.dumps(LINE) + "\n\n" + line + "\n", encoding="utf-8")
    results = list(iter_cpsc_legacy(path))
    assert isinstance(results[0], dict)
    error = results[1]
    assert isinstance(error, ValueError)
    assert "line 3" in str(error) and reason in str(error)


def test_the_real_file_parses() -> None:
    path = DATA / "cpsc_recalls_legacy.jsonl"
    if not path.exists():
        pytest.skip("shared data not available")
    results = list(iter_cpsc_legacy(path))
    parsed = [r for r in results if isinstance(r, dict)]
    errors = [r for r in results if isinstance(r, ValueError)]
    assert len(parsed) + len(errors) == 3153
    assert len(errors) == 0
    assert len({r["external_id"] for r in parsed}) == len(parsed)
    assert sum(r["details"]["made_in_china"] for r in parsed) > 1000
