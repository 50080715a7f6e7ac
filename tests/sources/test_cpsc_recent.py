"""The recent CPSC recalls table (CSV) becomes foreign-recall records beside the legacy JSON
Lines export: the same ``CPSC-<recall number>`` ids, the firm and its country read out of the
manufacturer cell, brand and model out of the description, bad rows rejected with a reason."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from pqrisk.sources.cpsc import (
    CPSCLineError,
    iter_cpsc_legacy,
    iter_cpsc_recent,
    parse_cpsc_recent_row,
)

SHARED = Path(os.environ.get("PQRISK_SHARED_DATA", "/work/shared/data"))
HEADER = (
    "recall_id,recall_number,title,description,remedy,manufacturer,hazards,recall_date,url,"
    "captured_at"
)
KETTLE = (
    "1,26100,Kettle Recalled Due to Burn Hazard,A kettle.,Refund,,Hot water can spill.,2026-01-05,,"
)


def write(tmp_path: Path, *rows: str, name: str = "recent.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_row_becomes_a_record_with_firm_country_brand_and_model() -> None:
    rec = parse_cpsc_recent_row(
        {
            "recall_id": "10733",
            "recall_number": "26432",
            "title": (
                "Children's Tower Stools Recalled Due to Risk of Entrapment; Imported by "
                "TOETOL HOME"
            ),
            "description": (
                "This recall involves TOETOL HOME-branded children's tower stools, model "
                "DETD0001. UPC 6901234567892."
            ),
            "remedy": "Refund",
            "manufacturer": "Shenzhen Danya Tech Co., Ltd. d/b/a Evajoy, of China",
            "hazards": "The recalled tower stools can collapse or tip over while in use.",
            "recall_date": "2026-04-23",
            "url": "https://www.cpsc.gov/Recalls/2026/x",
            "captured_at": "2026-04-27T23:05:46Z",
        }
    )
    d = rec["details"]
    assert (rec["source"], rec["external_id"], rec["occurred_at"]) == (
        "foreign_recall",
        "CPSC-26432",
        "2026-04-23",
    )
    assert (rec["brand"], rec["model"]) == ("TOETOL HOME", "DETD0001")
    assert d["importer"] == "TOETOL HOME"
    assert d["manufacturers"] == ["Shenzhen Danya Tech Co., Ltd."]
    assert d["trade_names"] == ["Evajoy"]
    assert d["countries"] == ["China"] and d["made_in_china"] is True
    assert d["upcs"] == ["6901234567892"]
    assert d["remedy"] == "Refund" and d["origin"] == "cpsc"
    assert rec["text"].endswith("tip over while in use.")


def test_us_places_and_recalling_firms() -> None:
    rec = parse_cpsc_recent_row(
        {
            "recall_number": "26001",
            "title": "Acme Toys Recalls Stacking Cups Due to Choking Hazard",
            "manufacturer": "Joly's LLC, of Orlando, Florida",
            "hazards": "Small parts can detach.",
        }
    )
    d = rec["details"]
    assert d["countries"] == ["United States"] and d["made_in_china"] is False
    assert d["recalling_firm"] == "Acme Toys"
    assert rec["occurred_at"] is None and "date_error" not in d


def test_bad_rows_are_rejected_and_the_rest_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        KETTLE,
        "2,,No Number Recalled,Text.,Refund,,Hazard.,2026-01-05,,",
        "3,26101,,,,,,2026-01-05,,",
        "4,26102,Heater Recalled Due to Fire Hazard,A heater.,Refund,,Overheats.,05/01/2026,,",
        "5,26103,Too,many,cells,,,,,,,extra",
    )
    values = list(iter_cpsc_recent(path))
    assert len(values) == 5  # nothing dropped
    good = [v for v in values if isinstance(v, dict)]
    bad = [v for v in values if isinstance(v, CPSCLineError)]
    assert [g["external_id"] for g in good] == ["CPSC-26100", "CPSC-26102"]
    assert len(good) + len(bad) == 5
    assert sorted(b.reason for b in bad) == ["malformed", "missing_field", "missing_field"]
    assert all(b.line_no for b in bad)
    heater = good[1]
    assert heater["occurred_at"] is None  # kept, with its date unknown
    assert heater["details"]["recall_date_raw"] == "05/01/2026"
    assert "召回日期无法识别" in heater["details"]["date_error"]


def test_a_file_that_is_not_text_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x00\x01\x02\x03" * 100)
    (only,) = list(iter_cpsc_recent(path))
    assert isinstance(only, CPSCLineError) and only.reason == "encoding"


@pytest.mark.skipif(not (SHARED / "cpsc_recalls_recent.csv").exists(), reason="shared data absent")
def test_the_shared_recent_file_reads_whole_and_shares_ids_with_the_legacy_reader() -> None:
    values = list(iter_cpsc_recent(SHARED / "cpsc_recalls_recent.csv"))
    with (SHARED / "cpsc_recalls_recent.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(values) == len(rows) == 289
    good = [v for v in values if isinstance(v, dict)]
    assert len(good) == 289
    assert len({g["external_id"] for g in good}) == 289
    assert sum(g["details"]["made_in_china"] for g in good) >= 30
    legacy = next(v for v in iter_cpsc_legacy(SHARED / "cpsc_recalls_legacy.jsonl"))
    assert isinstance(legacy, dict) and legacy["external_id"].startswith("CPSC-")


@pytest.mark.django_db
def test_loading_the_recent_csv_twice_counts_repeats(tmp_path: Path) -> None:
    from pqrisk.foreign.services import detect_format, ingest_foreign_file

    buf = io.StringIO()
    buf.write(HEADER + "\n")
    buf.write(KETTLE + "\n")
    buf.write("2,,No Number,Text.,Refund,,Hazard.,2026-01-05,,\n")
    path = tmp_path / "recent.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    assert detect_format(path) == "cpsc-csv"
    first = ingest_foreign_file(path)
    assert (first.accepted, first.duplicates, first.quarantined) == (1, 0, 1)
    again = ingest_foreign_file(path)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 1, 1)
