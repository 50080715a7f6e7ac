"""Uploaded file names never reach the filesystem as paths.

``../../etc/passwd``, ``..\\..\\x``, absolute paths, NUL, very long names and Unicode tricks
(right-to-left override, full-width slashes, zero-width characters) go to every upload
service: intake (service and page), lab results (accepted and refused), warning photos,
communication attachments and disposal feedback attachments. Files are stored under
generated names inside their own folder; the sender's name is kept only as sanitised
metadata.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pqrisk.core.filenames import MAX_NAME, UNNAMED, display_name, safe_suffix
from pqrisk.intake.models import IngestBatch, QuarantinedItem

HOSTILE_NAMES = (
    "../../etc/passwd",
    "..\\..\\windows\\system32\\x.csv",
    "/etc/cron.d/evil.csv",
    "C:\\Users\\Public\\x.csv",
    "evil\x00.csv",
    "a" * 5000 + ".csv",
    "\u202egnp.csv",  # shows as "vsc.png" reversed
    "．．／．．／etc／passwd.csv",  # full-width dots and slashes
    "\u200b\ufeff.csv",
    "<img src=x onerror=alert(1)>.csv",
)
# Django's UploadedFile itself refuses these names (SuspiciousFileOperation): only the
# function that shows names sees them.
REFUSED_BY_DJANGO = ("..", ".", "")


def _is_harmless(name: str) -> bool:
    return (
        0 < len(name) <= MAX_NAME
        and "/" not in name
        and "\\" not in name
        and name not in (".", "..")
        and not any(unicodedata.category(c)[0] == "C" for c in name)
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES + REFUSED_BY_DJANGO)
def test_display_names_are_harmless(name: str) -> None:
    shown = display_name(name)
    assert _is_harmless(shown), repr(shown)
    assert safe_suffix(name) in ("csv", "bin")


@given(st.text(max_size=300))
def test_any_name_becomes_a_harmless_one(name: str) -> None:
    shown = display_name(name)
    assert _is_harmless(shown)
    suffix = safe_suffix(name)
    assert suffix.isascii() and suffix.isalnum() and len(suffix) <= 8


def test_a_name_with_nothing_left_is_unnamed() -> None:
    assert display_name("../..") == display_name("\u202e") == display_name(None) == UNNAMED


def _inside(stored: str, folder: str) -> bool:
    path = PurePosixPath(stored)
    return str(path).startswith(folder + "/") and ".." not in path.parts and not path.is_absolute()


# ---------------------------------------------------------------- intake


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_intake_upload_keeps_the_name_as_harmless_metadata(name: str, dana: Any) -> None:
    from pqrisk.intake.services import ingest_upload

    upload = SimpleUploadedFile("x.csv", "编号,标题,内容\nF-1,标题,正文\n".encode())
    upload.name = name  # as a caller could set it, past Django's own cleaning
    result = ingest_upload(upload, "complaint", dana)
    batch = IngestBatch.objects.get(pk=result.batch_id)
    assert _is_harmless(batch.source_label)
    assert result.accepted + result.quarantined == 1


@pytest.mark.django_db
def test_intake_page_upload_with_hostile_names(dana: Any) -> None:
    client = Client()
    client.force_login(dana)
    for name in HOSTILE_NAMES:
        data = io.BytesIO("编号,标题,内容\nP-1,标题,正文\n".encode())
        data.name = name
        response = client.post(reverse("web:intake"), {"file": data, "source": "complaint"})
        # A name beyond Django's multipart header limit is refused whole (400), unread.
        assert response.status_code in (200, 302) or len(name) > 1000, name
        assert "<img src=x" not in response.content.decode()
    labels = list(IngestBatch.objects.values_list("source_label", flat=True))
    assert labels and all(_is_harmless(label) for label in labels)


# ---------------------------------------------------------------- labs


@pytest.mark.django_db
def test_lab_results_files_are_stored_under_generated_names(
    dana: Any, settings: Any, tmp_path: Path
) -> None:
    from pqrisk.labs import services
    from pqrisk.labs.results_file import ResultsRejected
    from pqrisk.labs.tests.builders import HEADER, LAB, bought_task, sealed_sample, to_lab, today

    settings.MEDIA_ROOT = tmp_path / "media"
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana)
    task.refresh_from_db()
    good = f"{HEADER}\n{sample.code},铅,GB 6675.4-2014,,≤90,mg/kg,12,合格\n".encode()
    upload = SimpleUploadedFile("r.csv", good)
    upload.name = "..\\..\\结果\u202e.csv"
    batch = services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    assert _inside(batch.file.name, "labs/results")
    for name in ("../../etc/passwd.csv", "..\\..\\x.csv", "..\\..", "/abs/x.csv"):
        refused = SimpleUploadedFile("r.csv", b"\xff\xfe\x00garbage")
        refused.name = name
        with pytest.raises(ResultsRejected):
            services.import_results(task, refused, dana, lab=LAB, tested_on=today())
    for kept in QuarantinedItem.objects.filter(source_kind="lab_results"):
        parsed: Any = kept.parsed
        assert _inside(parsed["file"], f"quarantine/labs/{task.code}")
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert stored and all(p.resolve().is_relative_to(tmp_path / "media") for p in stored)


# ---------------------------------------------------------------- photos and attachments


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_warning_photos_get_generated_names(alice: Any, settings: Any, tmp_path: Path) -> None:
    from pqrisk.warnings import identification as ident
    from pqrisk.web.tests import factories as f

    settings.MEDIA_ROOT = tmp_path / "media"
    from pqrisk.warnings.choices import WarningMode

    warning = f.warning(
        f.risk_info("310115"), status="draft", modes=(WarningMode.CONSUMER_ADVISORY,)
    )
    for name in ("../../etc/passwd.png", "..\\..\\x.png", "/abs/x.png", "\u202egnp.exe"):
        upload = SimpleUploadedFile("p.png", _png())
        upload.name = name
        photo = ident.add_photo(warning, alice, upload, "说明")
        assert _inside(photo.image.name, "warnings/photos"), photo.image.name
        assert "passwd" not in photo.image.name and "gnp" not in photo.image.name


@pytest.mark.django_db
def test_communication_attachments_keep_a_harmless_name(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    from pqrisk.communication.services import record_activity

    settings.MEDIA_ROOT = tmp_path / "media"
    for i, name in enumerate(("..\\..\\提纲\u202efdp.pdf", "../../x.pdf", "a" * 500 + ".pdf")):
        upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4 test")
        upload.name = name
        activity = record_activity(
            alice,
            {"kind": "interview", "title": f"采访{i}", "held_on": date(2026, 4, 5)},
            attachment=upload,
        )
        assert _inside(activity.attachment.name, "communication")
        assert _is_harmless(activity.attachment_name)
        assert activity.attachment_name.endswith(".pdf")


@pytest.mark.django_db
def test_disposal_feedback_attachments_keep_a_harmless_name(
    alice: Any, charlie: Any, settings: Any, tmp_path: Path
) -> None:
    from pqrisk.core.levels import WarningLevel
    from pqrisk.disposal.models import DisposalTask, FeedbackAttachment
    from pqrisk.disposal.services import act_on_task, submit_feedback
    from pqrisk.warnings.services import approve_warning
    from pqrisk.web.tests import factories

    settings.MEDIA_ROOT = tmp_path / "media"
    warning = factories.warning(factories.risk_info("310114"), level=WarningLevel.YELLOW)
    task = DisposalTask.objects.get(warning=approve_warning(warning, alice))
    act_on_task(task, "start", charlie)
    uploads = []
    for name in ("..\\..\\笔录\u202efdp.pdf", "../../etc/x.pdf", "\u200b.pdf"):
        upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4 test")
        upload.name = name
        uploads.append(upload)
    submit_feedback(task, charlie, measures="检查", attachments=uploads)
    kept = list(FeedbackAttachment.objects.all())
    assert len(kept) == 3
    for attachment in kept:
        assert _inside(attachment.file.name, "disposal/feedback"), attachment.file.name
        assert _is_harmless(attachment.name) and "\u202e" not in attachment.name
