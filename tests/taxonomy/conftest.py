"""Shared fixtures: the read-only reference data in ../shared/data next to the repository."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def safety_gate(shared_data: Path) -> dict[str, list[str]]:
    """Safety Gate values by kind: "risk_type" and "product_category"."""
    values: dict[str, list[str]] = {}
    with (shared_data / "safety_gate_taxonomy.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            values.setdefault(row["kind"], []).append(row["value"])
    return values


@pytest.fixture(scope="session")
def cpsc_legacy_labels(shared_data: Path) -> set[str]:
    labels: set[str] = set()
    with (shared_data / "cpsc_recalls_legacy.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            labels.update(json.loads(line).get("hazards") or [])
    return labels


@pytest.fixture(scope="session")
def neiss_product_codes(shared_data: Path) -> set[str]:
    path = shared_data / "neiss_codes" / "product_codes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"] for row in csv.DictReader(handle)}
