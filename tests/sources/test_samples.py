"""The sample files of every stream go through the same intake a bureau's file does: good
files are accepted whole, bad rows go to quarantine with a Chinese reason, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_file
from pqrisk.sources.streams import STREAMS

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SOURCES = sorted(STREAMS)
# What each bad.csv gets wrong beyond row 4 having too many cells: (reason, words in message).
BAD_ROWS: dict[str, list[tuple[str, str]]] = {
    "licensing": [("missing_field", "许可证编号"), ("invalid_value", "暂停")],
    "spot_check": [("invalid_value", "待定"), ("missing_field", "检验结论")],
    "penalty": [("invalid_value", "若干"), ("missing_field", "案件编号")],
    "complaint": [("invalid_value", "微信"), ("invalid_uscc", "校验位")],
    "injury": [("invalid_value", "严重程度（severity）的值无效：7"), ("invalid_value", "病例权重")],
    "recall": [("invalid_value", "数量（units）的值无效：很多"), ("missing_field", "召回编号")],
    "media": [("invalid_value", "网址"), ("invalid_value", "昨天下午")],
}


def quarantine_messages() -> list[str]:
    return list(QuarantinedItem.objects.values_list("message", flat=True))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("name", "rows"), [("good.csv", 8), ("good.jsonl", 6), ("gbk.csv", 5)])
def test_good_samples_are_accepted_whole(source: str, name: str, rows: int) -> None:
    result = ingest_file(SAMPLES / source / name, source=source)
    assert (result.accepted, result.quarantined) == (rows, 0), quarantine_messages()
    assert RawItem.objects.filter(source_kind=source).count() == rows


@pytest.mark.parametrize("source", SOURCES)
def test_ingesting_a_file_twice_stores_nothing_new(source: str) -> None:
    path = SAMPLES / source / "good.csv"
    first = ingest_file(path, source=source)
    again = ingest_file(path, source=source)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, first.accepted, 0)
    assert RawItem.objects.count() == first.accepted


@pytest.mark.parametrize("source", SOURCES)
def test_bad_rows_are_quarantined_and_good_rows_kept(source: str) -> None:
    result = ingest_file(SAMPLES / source / "bad.csv", source=source)
    assert (result.accepted, result.quarantined) == (2, 3)
    kept = sorted(i[-3:] for i in RawItem.objects.values_list("external_id", flat=True))
    assert kept == ["B01", "B02"]
    broken = QuarantinedItem.objects.get(location="bad.csv:4")
    assert broken.reason == "malformed" and "列数多于表头" in broken.message
    others = QuarantinedItem.objects.exclude(pk=broken.pk).order_by("location")
    found = [(q.reason, q.message) for q in others]
    for (reason, words), (got_reason, message) in zip(BAD_ROWS[source], found, strict=True):
        assert got_reason == reason, message
        assert words in message
    assert all(q.content for q in others), "the rejected row is kept verbatim"


@pytest.mark.parametrize("source", SOURCES)
def test_gbk_file_keeps_its_chinese(source: str) -> None:
    ingest_file(SAMPLES / source / "gbk.csv", source=source)
    item = RawItem.objects.order_by("external_id").first()
    assert item is not None
    text = (SAMPLES / source / "gbk.csv").read_bytes().decode("gbk")
    assert item.payload["title"] in text
    assert item.payload["district"].startswith("3101")


def test_csv_cells_become_typed_details() -> None:
    ingest_file(SAMPLES / "spot_check" / "good.csv", source="spot_check")
    ingest_file(SAMPLES / "injury" / "good.csv", source="injury")
    ingest_file(SAMPLES / "recall" / "good.csv", source="recall")
    check = RawItem.objects.filter(source_kind="spot_check").first()
    assert check is not None
    details = check.payload["details"]
    assert details["conclusion"] in ("合格", "不合格")
    assert isinstance(details["items"], list) and details["items"][0]["name"]
    assert details["检验结论"] == details["conclusion"]
    for item in RawItem.objects.filter(source_kind="injury"):
        assert item.payload["details"]["severity"] in (1, 2, 3, 4)
    for item in RawItem.objects.filter(source_kind="recall"):
        assert isinstance(item.payload["details"]["units"], int)
