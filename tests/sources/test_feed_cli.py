"""`pqrisk ingest-feed`: a downloaded RSS/Atom file becomes media records; junk is quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pqrisk.cli import main
from pqrisk.intake.models import QuarantinedItem, RawItem

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "media"


def test_feed_file_is_ingested_once() -> None:
    first = CliRunner().invoke(main, ["ingest-feed", str(SAMPLES / "feed_rss.xml")])
    assert first.exit_code == 0, first.output
    n = RawItem.objects.filter(source_kind="media").count()
    assert n > 0
    again = CliRunner().invoke(main, ["ingest-feed", str(SAMPLES / "feed_rss.xml")])
    assert "接收 0 条" in again.output
    assert RawItem.objects.count() == n


def test_not_a_feed_is_quarantined(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xml"
    junk.write_text("这不是订阅文件", encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest-feed", str(junk)])
    assert out.exit_code == 1
    assert QuarantinedItem.objects.get().location == "junk.xml"
