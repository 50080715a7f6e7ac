"""Polling: files dropped in the inbox are loaded once and moved out with a note saying what
became of them; export URLs are fetched with their validators kept, so an unchanged export
is not loaded again; a broken file or URL never stops the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import override_settings

from pqrisk.audit.models import AuditEvent
from pqrisk.foreign.models import ForeignAlert, ForeignFeedState
from pqrisk.foreign.polling import configured_urls, poll_inbox, poll_once, poll_url
from pqrisk.foreign.tasks import poll_foreign
from pqrisk.intake.models import IngestBatch, RawItem

from .conftest import SG_CSV, SG_JSON, Export, ExportServer

pytestmark = pytest.mark.django_db


def test_inbox_files_are_loaded_once_and_moved_with_a_note(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SG_CSV, inbox / "week12.csv")
    shutil.copy(SG_JSON, inbox / "week13.json")
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")
    (inbox / "empty.csv").write_text("Alert number,Product\n,\n", encoding="utf-8")
    (inbox / "week14.csv.part").write_text("Alert number,Product\nA1,Ke", encoding="utf-8")
    outcomes = {o.where: o for o in poll_inbox(inbox)}
    assert outcomes["week12.csv"].accepted == 10 and outcomes["week12.csv"].state == "ok"
    assert outcomes["week13.json"].accepted == 2
    assert outcomes["notes.docx"].state == "error"
    assert outcomes["empty.csv"].state == "error"  # nothing could be accepted
    # everything was moved out but the file still being copied in
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["week14.csv.part"]
    processed = inbox / "processed"
    assert (processed / "week12.csv").exists()
    note = (processed / "week12.csv.result.txt").read_text(encoding="utf-8")
    assert "接收 10 条" in note and "隔离 3 条" in note
    failed = inbox / "failed"
    assert "不支持的文件类型" in (failed / "notes.docx.result.txt").read_text(encoding="utf-8")
    assert (failed / "empty.csv").exists()
    # the same export dropped again: repeats only, and the name does not clash
    shutil.copy(SG_CSV, inbox / "week12.csv")
    (again,) = poll_inbox(inbox)
    assert (again.accepted, again.duplicates) == (0, 11)
    assert len(list(processed.glob("week12*.csv"))) == 2
    assert RawItem.objects.filter(source_kind="foreign_recall").count() == 12


def test_a_missing_inbox_is_reported_not_raised(tmp_path: Path) -> None:
    (o,) = poll_inbox(tmp_path / "nowhere")
    assert o.state == "error" and "不存在" in o.message_zh


def test_an_export_url_is_loaded_then_skipped_while_unchanged(
    export_server: ExportServer,
) -> None:
    url = export_server.serve("/exports/alerts.csv", Export(SG_CSV.read_bytes(), etag='"v1"'))
    first = poll_url(url)
    assert (first.state, first.accepted) == ("ok", 10)
    state = ForeignFeedState.objects.get()
    assert state.etag == '"v1"' and state.last_batch is not None
    second = poll_url(url)
    assert second.state == "unchanged"
    assert export_server.seen[-1] == ("/exports/alerts.csv", '"v1"')  # the validator went back
    # a server without validators: the digest of the body decides
    url2 = export_server.serve("/alerts.json", Export(SG_JSON.read_bytes()))
    assert poll_url(url2).accepted == 2
    assert poll_url(url2).state == "unchanged"
    assert IngestBatch.objects.count() == 2
    assert AuditEvent.objects.filter(action="foreign_poll", to_state="ok").count() == 2


def test_a_failing_url_is_kept_on_its_state(export_server: ExportServer) -> None:
    missing = export_server.base + "/gone.csv"
    outcome = poll_url(missing)
    assert outcome.state == "error" and "404" in outcome.message_zh
    state = ForeignFeedState.objects.get()
    assert state.last_status == "error" and "404" in state.last_error
    assert poll_url("ftp://example.org/x.csv").state == "error"


def test_settings_configure_the_poll_and_the_task_processes(
    export_server: ExportServer, tmp_path: Path
) -> None:
    url = export_server.serve("/a.json", Export(SG_JSON.read_bytes()))
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(SG_CSV, inbox / "a.csv")
    with override_settings(PQRISK_FOREIGN_INBOX=str(inbox), PQRISK_FOREIGN_URLS=f"{url}, "):
        assert configured_urls() == [url]
        from pqrisk.celery import app

        counts = app.tasks[poll_foreign.name].delay().get()
    assert counts["accepted"] == 12 and counts["failed"] == 0
    assert ForeignAlert.objects.count() == 12  # processing followed the poll
    assert poll_once(tmp_path / "empty-inbox", []) == {
        "sources": 1,
        "failed": 1,
        "unchanged": 0,
        "accepted": 0,
        "duplicates": 0,
        "quarantined": 0,
    }
