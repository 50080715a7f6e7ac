"""The intake page: bureau staff upload files; bad rows are shown with their reasons."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem

pytestmark = pytest.mark.django_db


def _jsonl(*rows: object) -> bytes:
    return "\n".join(
        r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows
    ).encode()


GOOD = {
    "source": "complaint",
    "external_id": "UP-1",
    "title": "电暖器过热",
    "text": "电暖器使用时外壳过热，有焦味。",
    "district": "浦东新区",
}


def test_district_officer_uploads_and_sees_rejected_rows(bob) -> None:
    c = Client()
    c.force_login(bob)
    upload = SimpleUploadedFile(
        "投诉.jsonl",
        _jsonl(GOOD, "{bad json", {**GOOD, "external_id": "UP-2", "district": "火星区"}),
    )
    r = c.post("/intake/", {"file": upload, "source": ""})
    assert r.status_code == 200
    page = r.content.decode()
    assert "接收 1 条" in page and "隔离 2 条" in page
    assert "行政区无法识别" in page and "不是合法的JSON" in page
    assert RawItem.objects.get().external_id == "UP-1"
    assert QuarantinedItem.objects.count() == 2
    assert IngestBatch.objects.get().submitted_by == bob


def test_wrong_file_type_is_refused_with_a_reason(bob) -> None:
    c = Client()
    c.force_login(bob)
    r = c.post("/intake/", {"file": SimpleUploadedFile("a.pdf", b"%PDF"), "source": ""})
    assert "不支持的文件类型" in r.content.decode()
    assert not IngestBatch.objects.exists()


def test_upload_needs_a_role_that_may_submit(eve) -> None:
    c = Client()
    c.force_login(eve)
    r = c.post("/intake/", {"file": SimpleUploadedFile("a.jsonl", _jsonl(GOOD))})
    assert r.status_code == 403
    assert not RawItem.objects.exists()


def test_upload_requires_csrf(bob) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(bob)
    r = c.post("/intake/", {"file": SimpleUploadedFile("a.jsonl", _jsonl(GOOD))})
    assert r.status_code == 403
