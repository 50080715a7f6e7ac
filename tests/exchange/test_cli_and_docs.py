"""The shell commands and the documentation of the exchange format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pqrisk.audit.models import AuditEvent
from pqrisk.cli import main
from pqrisk.exchange.format import parse_header
from pqrisk.intake.models import RawItem
from pqrisk.sources.records import COMMON_KEYS

from .conftest import SAMPLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "exchange.md").read_text(encoding="utf-8")
pytestmark = pytest.mark.django_db


def test_export_writes_the_selection_and_import_exchange_reads_it(
    sample_records: int, tmp_path: Path
) -> None:
    out = tmp_path / "complaints.jsonl"
    runner = CliRunner()
    exported = runner.invoke(main, ["export", "--out", str(out), "--source", "complaint"])
    assert exported.exit_code == 0, exported.output
    assert "已导出 6 条记录" in exported.output
    assert not out.with_name(out.name + ".part").exists()
    header = json.loads(out.read_text(encoding="utf-8").split("\n")[0])
    assert header["filters"]["sources"] == ["complaint"] and header["record_count"] == 6
    event = AuditEvent.objects.get(action="export")
    assert event.actor_label == "命令行" and event.object_id == header["export_id"]

    imported = runner.invoke(main, ["import-exchange", str(out)])
    assert imported.exit_code == 0, imported.output
    assert "接收 0 条，重复提交 6 条" in imported.output
    assert RawItem.objects.count() == sample_records


def test_export_refuses_a_name_that_does_not_match_the_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--out", str(tmp_path / "x.json"), "--format", "jsonl"]
    )
    assert result.exit_code != 0 and "应以 .jsonl 结尾" in result.output


def test_export_refuses_an_unknown_district(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--out", str(tmp_path / "x.jsonl"), "--district", "火星区"]
    )
    assert result.exit_code != 0 and "行政区无法识别：火星区" in result.output


def test_import_exchange_fails_loudly_on_a_file_it_does_not_accept() -> None:
    result = CliRunner().invoke(
        main, ["import-exchange", str(SAMPLES / "exchange" / "bad_version.json")]
    )
    assert result.exit_code == 1
    assert "不支持的交换格式版本：2" in result.output and "隔离区" in result.output


def test_every_field_of_the_format_is_documented() -> None:
    for key in (*COMMON_KEYS, "format", "version", "producer", "generated_at", "export_id"):
        assert f"`{key}`" in DOC, key
    for key in ("filters", "record_count", "records", "tags", "risk_level", "hazards"):
        assert f"`{key}`" in DOC, key
    for name in ("good.json", "good.jsonl", "bad_version.json"):
        assert (SAMPLES / "exchange" / name).exists()
        assert f"samples/exchange/{name}" in DOC


def test_the_example_in_the_documentation_is_a_valid_file() -> None:
    (example,) = re.findall(r"```json\n(.*?)```", DOC, flags=re.S)
    envelope = json.loads(example)
    assert parse_header(envelope, with_records=True).producer.code == "SHXBW"
    assert envelope["records"] and set(COMMON_KEYS) <= set(envelope["records"][0])
