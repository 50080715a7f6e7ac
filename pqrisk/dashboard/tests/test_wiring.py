"""The beat task exists under the name the schedule uses; the map file is the districts'."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pqrisk.celery import app

ROOT = Path(__file__).resolve().parents[3]


def test_refresh_task_is_registered() -> None:
    import pqrisk.dashboard.tasks  # noqa: F401

    assert "pqrisk.dashboard.tasks.refresh_summaries" in app.tasks


def test_map_features_are_the_sixteen_districts() -> None:
    geo = json.loads((ROOT / "pqrisk/web/static/geo/shanghai.json").read_text("utf-8"))
    with (ROOT / "pqrisk/taxonomy/data/districts.csv").open(encoding="utf-8") as fh:
        districts = {r["code"]: r["name"] for r in csv.DictReader(fh) if r["kind"] == "district"}
    assert {ft["id"]: ft["properties"]["name"] for ft in geo["features"]} == districts
    for ft in geo["features"]:
        assert ft["geometry"]["type"] in ("Polygon", "MultiPolygon")
