"""The demo generator: deterministic, valid codes, one record schema, findable events."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from pqrisk.core.uscc import is_valid_uscc
from pqrisk.demo.generator import SOURCES, DemoDataset, generate, load_taxonomy, resolve_scenarios
from pqrisk.sources.records import COMMON_KEYS as RECORD_KEYS
from tests.demo.stub import stub_taxonomy

COMMON_KEYS = set(RECORD_KEYS)
START = date(2025, 12, 1)
DAYS = 365


@pytest.fixture(scope="module")
def small() -> DemoDataset:
    return generate(
        seed=7, n_enterprises=150, start=START, days=DAYS, scale=0.1, taxonomy=stub_taxonomy()
    )


def _files(ds: DemoDataset, directory: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in ds.write(directory).items()}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    kwargs = {"n_enterprises": 80, "days": 120, "scale": 0.05, "taxonomy": stub_taxonomy()}
    first = _files(generate(seed=1, **kwargs), tmp_path / "a")  # type: ignore[arg-type]
    again = _files(generate(seed=1, **kwargs), tmp_path / "b")  # type: ignore[arg-type]
    other = _files(generate(seed=2, **kwargs), tmp_path / "c")  # type: ignore[arg-type]
    assert first == again
    assert first["enterprises"] != other["enterprises"]
    assert set(first) == {"enterprises", "ground_truth", *SOURCES}


def test_enterprises_have_valid_unique_codes(small: DemoDataset) -> None:
    codes = [e["uscc"] for e in small.enterprises]
    assert all(is_valid_uscc(c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert len({e["name"] for e in small.enterprises}) == len(codes)
    assert {e["kind"] for e in small.enterprises} <= {"生产企业", "销售企业", "电商平台经营者"}
    assert {e["scale"] for e in small.enterprises} <= {"大型", "中型", "小型", "微型"}


def test_every_record_has_the_common_schema_and_sits_in_the_window(small: DemoDataset) -> None:
    end = START + timedelta(days=DAYS)
    ids: Counter[tuple[str, str]] = Counter()
    for rec in small.records:
        assert set(rec) == COMMON_KEYS
        assert rec["source"] in SOURCES
        assert START <= date.fromisoformat(rec["occurred_at"][:10]) < end
        assert rec["title"] and rec["text"] and rec["product_name"]
        ids[(rec["source"], rec["external_id"])] += 1
    assert max(ids.values()) == 1
    assert {rec["source"] for rec in small.records} == set(SOURCES)


def test_spot_check_fail_rate_is_plausible(small: DemoDataset) -> None:
    checks = small.by_source()["spot_check"]
    failed = [c for c in checks if c["details"]["conclusion"] == "不合格"]
    assert 0.06 < len(failed) / len(checks) < 0.2
    for c in failed:
        bad = [i["name"] for i in c["details"]["items"] if i["result"] == "不合格"]
        assert bad == c["details"]["failed_items"]


def test_events_point_at_existing_records(small: DemoDataset) -> None:
    ids = {rec["external_id"] for rec in small.records}
    assert len(small.events) >= 6
    for ev in small.events:
        assert ev["record_ids"] and set(ev["record_ids"]) <= ids
        assert ev["start_day"] <= ev["end_day"]


def test_reposts_point_to_an_earlier_media_item(small: DemoDataset) -> None:
    media = {rec["external_id"]: rec for rec in small.by_source()["media"]}
    assert small.duplicates
    assert {d["kind"] for d in small.duplicates} == {"exact", "near"}
    for dup in small.duplicates:
        rep, orig = media[dup["external_id"]], media[dup["duplicate_of"]]
        assert orig["external_id"] < rep["external_id"]
        assert orig["occurred_at"] <= rep["occurred_at"]
        if dup["kind"] == "exact":
            assert rep["text"] == orig["text"]


def test_ground_truth_file_lists_events_and_duplicates(small: DemoDataset, tmp_path: Path) -> None:
    paths = small.write(tmp_path)
    truth = json.loads(paths["ground_truth"].read_text(encoding="utf-8"))
    assert [e["event_id"] for e in truth["events"]] == [e["event_id"] for e in small.events]
    assert len(truth["duplicates"]) == len(small.duplicates)
    lines = paths["complaint"].read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["source"] == "complaint"


def test_scenarios_resolve_against_the_real_catalogue() -> None:
    try:
        taxonomy = load_taxonomy()
    except (ImportError, FileNotFoundError) as exc:  # catalogue not installed in this checkout
        pytest.skip(f"taxonomy not available: {exc}")
    resolved = resolve_scenarios(taxonomy)
    assert all(len(leaf.code) == 6 for leaf in resolved.values())
