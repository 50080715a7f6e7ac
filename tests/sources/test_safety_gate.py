"""EU Safety Gate exports become foreign-recall records: every header spelling we know, one
record per alert, bad rows quarantined with their reason, nothing lost, and the same export
loaded twice stores nothing new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.sources.records import RecordRejected
from pqrisk.sources.safety_gate import (
    fold_header,
    iter_safety_gate_csv,
    iter_safety_gate_json,
    parse_alert_date,
    parse_safety_gate_alert,
)

DATA = Path(__file__).resolve().parents[2] / "pqrisk" / "foreign" / "tests" / "data"
CSV = DATA / "safety_gate_alerts.csv"
JSON = DATA / "safety_gate_alerts.json"


def records(entries: list) -> list[dict]:
    return [e.value for e in entries if not isinstance(e.value, RecordRejected)]


def rejected(entries: list) -> list[RecordRejected]:
    return [e.value for e in entries if isinstance(e.value, RecordRejected)]


def test_header_spellings_fold_to_one_field() -> None:
    row = {
        "Alert number": "A12/1/24",
        "Type / number of model": "X-1",
        "Measures adopted by notifying country": "Withdrawal",
        "Danger": "Small parts can detach.",
        "Notifying Country": "Germany",
    }
    rec = parse_safety_gate_alert(row)
    d = rec["details"]
    assert fold_header("Type / number of model") == "type number of model"
    assert (rec["external_id"], rec["model"], d["measures"]) == ("SG-A12/1/24", "X-1", "Withdrawal")
    assert (d["risk_description"], d["notifying_country"]) == ("Small parts can detach.", "Germany")
    snake = parse_safety_gate_alert(
        {"alert_number": "A12/1/24", "risk_description": "Small parts can detach."}
    )
    assert snake["external_id"] == rec["external_id"]


def test_the_csv_export_gives_one_record_per_alert_and_keeps_the_english() -> None:
    entries = list(iter_safety_gate_csv(CSV))
    good = records(entries)
    assert len(entries) == 14  # data rows of the file: nothing is dropped
    assert len(good) == 11 and len(rejected(entries)) == 3
    rabbit = good[0]
    assert rabbit["source"] == "foreign_recall"
    assert rabbit["external_id"] == "SG-A12/00123/24"
    assert rabbit["occurred_at"] == "2024-03-05"  # dd/mm/yyyy, as Safety Gate writes dates
    assert rabbit["title"] == "Soft toy – Plush rabbit"  # "Product" and "Name" both kept
    assert (rabbit["brand"], rabbit["model"]) == ("Happy Bunny", "HB-2024")
    d = rabbit["details"]
    assert d["origin"] == "safety_gate"
    assert d["barcodes"] == ["6901234567892"]
    assert d["country_of_origin"] == "China" and d["notifying_country"] == "Germany"
    assert d["risk_description"].startswith("The eyes of the toy can easily detach")
    assert d["measures"] == "Withdrawal of the product from the market"
    hk = next(r for r in good if r["external_id"] == "SG-A12/00140/24")
    assert hk["details"]["risk_type"] == "Electric shock, Fire"  # tagging splits it


def test_bad_rows_are_rejected_with_a_reason_a_person_can_act_on() -> None:
    reasons = {(r.reason, r.message_zh) for r in rejected(list(iter_safety_gate_csv(CSV)))}
    assert (
        "missing_field",
        "缺少通报编号（Alert number），无法识别是哪一条Safety Gate通报",
    ) in reasons
    assert ("malformed", "第13行的列数多于表头") in reasons
    assert any(r == "missing_field" and m.startswith("通报 A12/00220/24 没有") for r, m in reasons)


def test_a_malformed_date_keeps_the_alert_with_the_date_unknown() -> None:
    bib = next(r for r in records(list(iter_safety_gate_csv(CSV))) if "Baby bib" in r["title"])
    assert bib["occurred_at"] is None
    assert bib["details"]["date_raw"] == "31/02/2024"
    assert "通报日期无法识别" in bib["details"]["date_error"]
    assert parse_alert_date("2024-03-05T10:00:00Z") == ("2024-03-05", "")
    assert parse_alert_date("5 March 2024") == ("2024-03-05", "")
    assert parse_alert_date("")[0] is None and parse_alert_date("")[1] == ""


def test_the_json_export_reads_nested_and_open_data_shapes() -> None:
    entries = list(iter_safety_gate_json(JSON))
    good = records(entries)
    assert [r["external_id"] for r in good] == ["SG-A12/01001/24", "SG-A12/01002/24"]
    slime, dryer = good
    assert slime["details"]["notifying_country"] == "Ireland"  # {"name": …, "code": …}
    assert slime["details"]["barcodes"] == ["4712345678900"]
    assert slime["details"]["risk_type"] == "Chemical"
    assert slime["model"] == "GS-12" and slime["occurred_at"] == "2024-04-02"
    assert dryer["details"]["product_category"] == "Electrical appliances and equipment"
    assert [r.reason for r in rejected(entries)] == ["missing_field"]


def test_broken_json_and_json_lines(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"alerts": [', encoding="utf-8")
    (only,) = list(iter_safety_gate_json(broken))
    assert isinstance(only.value, RecordRejected) and only.value.reason == "malformed"
    lines = tmp_path / "alerts.jsonl"
    lines.write_text(
        json.dumps({"alert_number": "A1", "product_name": "Kettle"})
        + "\nnot json\n"
        + json.dumps({"alert_number": "A2", "risk_description": "Fire"})
        + "\n",
        encoding="utf-8",
    )
    entries = list(iter_safety_gate_json(lines))
    assert [e.value["external_id"] for e in entries if isinstance(e.value, dict)] == [
        "SG-A1",
        "SG-A2",
    ]
    assert [e.value.reason for e in entries if isinstance(e.value, RecordRejected)] == ["malformed"]


def test_a_five_megabyte_description_is_refused_alone(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    huge = "x" * (5 * 1024 * 1024)
    path.write_text(
        "Alert number,Product,Description,Danger\n"
        f"A1,Kettle,{huge},Fire\n"
        "A2,Toaster,Two slots,The toaster can overheat.\n",
        encoding="utf-8",
    )
    entries = list(iter_safety_gate_csv(path))
    assert len(entries) == 2
    assert isinstance(entries[0].value, RecordRejected)
    assert entries[0].value.reason == "too_large"
    assert entries[1].value["external_id"] == "SG-A2"


@pytest.mark.django_db
def test_loading_the_same_export_twice_stores_nothing_new() -> None:
    from pqrisk.foreign.services import ingest_foreign_file

    first = ingest_foreign_file(CSV)
    assert (first.accepted, first.duplicates, first.quarantined) == (10, 1, 3)
    assert first.accepted + first.duplicates + first.quarantined == 14
    again = ingest_foreign_file(CSV)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 11, 3)
    assert RawItem.objects.filter(source_kind="foreign_recall").count() == 10
    assert QuarantinedItem.objects.count() == 6  # each submission's bad rows are kept
    item = RawItem.objects.get(external_id="SG-A12/00200/24")
    assert item.payload["occurred_at"] is None
    assert item.payload["details"]["date_raw"] == "31/02/2024"


@pytest.mark.django_db
def test_a_five_megabyte_json_description_is_quarantined_not_lost(tmp_path: Path) -> None:
    from pqrisk.foreign.services import ingest_foreign_file

    path = tmp_path / "huge.json"
    path.write_text(
        json.dumps(
            [
                {"alert_number": "A1", "product_name": "Kettle", "description": "x" * 5_000_000},
                {"alert_number": "A2", "product_name": "Toaster", "risk": "Fire"},
            ]
        ),
        encoding="utf-8",
    )
    result = ingest_foreign_file(path)
    assert (result.accepted, result.quarantined) == (1, 1)
    q = QuarantinedItem.objects.get()
    assert q.reason == "too_large" and "过大" in q.message


def test_the_same_table_saved_as_excel(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Alert number", "Date", "Product", "Danger", "Country of origin"])
    sheet.append(["A12/9/24", "05/03/2024", "Kettle", "The kettle can overheat.", "China"])
    sheet.append([None, "06/03/2024", "Toaster", "Fire.", "China"])
    path = tmp_path / "alerts.xlsx"
    book.save(path)
    entries = list(iter_safety_gate_csv(path))
    assert [r["external_id"] for r in records(entries)] == ["SG-A12/9/24"]
    assert [r.reason for r in rejected(entries)] == ["missing_field"]


@given(
    st.dictionaries(
        st.sampled_from(
            ["Alert number", "alert_number", "Product", "Danger", "Date", "Brand", "x", "fields"]
        ),
        st.one_of(
            st.text(max_size=30),
            st.none(),
            st.integers(),
            st.lists(st.text(max_size=5), max_size=3),
            st.dictionaries(st.sampled_from(["name", "code", "brand"]), st.text(max_size=5)),
        ),
        max_size=6,
    )
)
def test_any_row_is_a_record_or_a_rejection_never_a_crash(row: dict) -> None:
    try:
        rec = parse_safety_gate_alert(row)
    except RecordRejected as exc:
        assert exc.reason in ("missing_field", "too_large", "malformed") and exc.message_zh
    else:
        assert rec["external_id"].startswith("SG-") and len(rec["external_id"]) > 3
        assert rec["source"] == "foreign_recall"
