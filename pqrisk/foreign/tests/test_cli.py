"""`pqrisk foreign load/poll/process/match` from the shell (click objects, mounted by
pqrisk/cli.py), and the wiring of the tasks: every task routed, polling scheduled."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.conf import settings

from pqrisk.foreign.cli import COMMANDS
from pqrisk.foreign.models import ForeignAlert
from pqrisk.intake.models import RawItem

from .conftest import SG_CSV, SG_JSON

pytestmark = pytest.mark.django_db
CMD = {c.name: c for c in COMMANDS}


def run(name: str, *args: str) -> Any:
    return CliRunner().invoke(CMD[name], list(args), catch_exceptions=False)


def test_the_commands_are_there() -> None:
    assert set(CMD) == {"load", "poll", "process", "match"}


def test_load_then_process_then_match(firms: dict[str, Any]) -> None:
    out = run("load", str(SG_CSV), "--format", "safety-gate-csv")
    assert out.exit_code == 0, out.output
    assert "接收 10 条，重复提交 1 条，隔离 3 条" in out.output
    assert "隔离区" in out.output and "pqrisk foreign process" in out.output
    again = run("load", str(SG_CSV))
    assert "接收 0 条，重复提交 11 条" in again.output and again.exit_code == 0
    done = run("process", "--limit", "5")
    assert "标注入库 5 条" in done.output
    rest = run("process")
    assert "标注入库 5 条" in rest.output
    assert ForeignAlert.objects.count() == 10
    matched = run("match")
    assert matched.exit_code == 0 and "已关联企业 1 条" in matched.output


def test_load_with_process_and_bad_files(tmp_path: Path, firms: dict[str, Any]) -> None:
    out = run("load", str(SG_JSON), "--process")
    assert "标注入库 2 条" in out.output
    missing = CliRunner().invoke(CMD["load"], [str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and "文件不存在" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("Alert number,Product\n,Kettle\n", encoding="utf-8")
    refused = CliRunner().invoke(CMD["load"], [str(bad)])
    assert refused.exit_code == 1 and "隔离 1 条" in refused.output
    wrong = CliRunner().invoke(CMD["load"], [str(bad), "--format", "xml"])
    assert wrong.exit_code == 2


def test_poll_an_inbox(tmp_path: Path) -> None:
    shutil.copy(SG_JSON, tmp_path / "a.json")
    out = run("poll", "--inbox", str(tmp_path))
    assert out.exit_code == 0 and "a.json" in out.output and "接收 2 条" in out.output
    assert RawItem.objects.count() == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("poll", "--inbox", str(empty))
    assert nothing.exit_code == 0 and "没有待采集的文件或地址" in nothing.output


def test_tasks_are_routed_and_polling_is_scheduled() -> None:
    import pqrisk.foreign.tasks  # noqa: F401  (registers the tasks)
    from pqrisk.celery import app

    for name in ("pqrisk.foreign.tasks.process_foreign", "pqrisk.foreign.tasks.poll_foreign"):
        assert name in app.tasks
    routes = settings.CELERY_TASK_ROUTES
    assert routes["pqrisk.foreign.tasks.process_foreign"] == {"queue": "screen"}
    assert routes["pqrisk.foreign.tasks.poll_foreign"] == {"queue": "schedule"}
    beat = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("pqrisk.foreign")
    ]
    assert [e["task"] for e in beat] == ["pqrisk.foreign.tasks.poll_foreign"]


def test_the_docs_name_every_command_format_and_setting() -> None:
    from pqrisk.foreign.services import FORMATS

    doc = (Path(__file__).resolve().parents[3] / "docs" / "foreign.md").read_text(encoding="utf-8")
    for name in CMD:
        assert f"pqrisk foreign {name}" in doc, name
    for fmt in FORMATS:
        assert f"`{fmt}`" in doc, fmt
    for setting in ("PQRISK_FOREIGN_INBOX", "PQRISK_FOREIGN_URLS", 'PQRISK_POLICY["foreign"]'):
        assert setting in doc, setting
    assert "foreign_tagging.md" in doc
