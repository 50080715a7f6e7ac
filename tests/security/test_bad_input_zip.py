"""Zip bombs are refused before anything unpacks them, with a Chinese reason, into quarantine.

The bombs are built here, in chunks (memory stays low): one member of zeros compressing
about 1000:1, members sharing one stream of data (a file of ~64 KB declaring GBs), and
archives nested in archives. They go to every import that opens a zip container: intake's
Excel reader (the intake page, the CLI) and the lab results import.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from pqrisk.core.containers import ContainerRefused, ZipLimits, check_zip
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_file, ingest_upload

MIB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def zeros_zip(member_mib: int, name: str = SHEET) -> bytes:
    """A zip with one member of ``member_mib`` MiB of zeros, written a MiB at a time."""
    buf = io.BytesIO()
    chunk = b"\0" * MIB
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(name, "w") as member,
    ):
        for _ in range(member_mib):
            member.write(chunk)
    return buf.getvalue()


def overlapping_zip(copies: int, member_mib: int) -> bytes:
    """``copies`` central-directory entries all pointing at one member's data (the
    overlapping-files bomb): the file stays the size of one member, its content multiplies."""
    data = zeros_zip(member_mib)
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[eocd + 12 : eocd + 20])
    entry = data[cd_offset : cd_offset + cd_size]
    name_len = struct.unpack("<H", entry[28:30])[0]
    entries = []
    for i in range(copies):
        name = f"xl/worksheets/sheet{i + 1}.xml".encode()
        entries.append(entry[:28] + struct.pack("<H", len(name)) + entry[30:46] + name)
        entries[-1] += entry[46 + name_len :]
    directory = b"".join(entries)
    end = data[eocd : eocd + 8] + struct.pack("<HHII", copies, copies, len(directory), cd_offset)
    return data[:cd_offset] + directory + end + data[eocd + 20 : eocd + 22]


def nested_zip(depth: int, inner: bytes) -> bytes:
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(f"level{level}.zip", inner)
        inner = buf.getvalue()
    return inner


def real_workbook(rows: int = 50) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "日期", "标题", "内容", "所属区"])
    for i in range(rows):
        sheet.append([f"W-{i}", "2026-03-05", "电热水壶漏电", "消费者反映漏电" * 20, "浦东新区"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- the check itself


def test_a_real_workbook_passes() -> None:
    assert 0 < check_zip(real_workbook()) < MIB


def test_a_member_of_zeros_is_refused_by_its_ratio() -> None:
    bomb = zeros_zip(64)
    assert len(bomb) < 100 * 1024
    with pytest.raises(ContainerRefused) as exc:
        check_zip(bomb)
    assert "压缩比" in exc.value.message_zh and "压缩炸弹" in exc.value.message_zh
    assert exc.value.kind == "too_large"


def test_a_few_kilobytes_declaring_gigabytes_are_refused_by_the_total() -> None:
    bomb = overlapping_zip(copies=40, member_mib=64)  # 2.5 GiB declared
    assert len(bomb) < 100 * 1024
    with pytest.raises(ContainerRefused) as exc:
        check_zip(bomb)
    assert "解压后共" in exc.value.message_zh


def test_overlapping_members_below_every_size_limit_are_refused() -> None:
    bomb = overlapping_zip(copies=3, member_mib=0)
    with pytest.raises(ContainerRefused) as exc:
        check_zip(bomb)
    assert "重叠" in exc.value.message_zh and exc.value.kind == "malformed"


def test_too_many_members_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(30):
            archive.writestr(f"m{i}.xml", b"<x/>")
    with pytest.raises(ContainerRefused) as exc:
        check_zip(buf.getvalue(), ZipLimits(max_members=20))
    assert "30个成员" in exc.value.message_zh


def test_archives_nested_too_deep_and_nested_bombs_are_refused() -> None:
    with pytest.raises(ContainerRefused) as exc:
        check_zip(nested_zip(3, real_workbook(1)))
    assert "嵌套" in exc.value.message_zh
    with pytest.raises(ContainerRefused) as exc:
        check_zip(nested_zip(1, zeros_zip(32)))
    assert "压缩比" in exc.value.message_zh


def test_what_is_not_a_zip_is_left_to_its_reader() -> None:
    assert check_zip(b"not a zip at all") == 0
    stream = io.BytesIO(real_workbook(1))
    check_zip(stream)
    assert stream.tell() == 0  # the reader that follows starts at the beginning


# ---------------------------------------------------------------- through the imports


BOMBS = {
    "ratio": lambda: zeros_zip(64),
    "overlap": lambda: overlapping_zip(copies=40, member_mib=64),
    "nested": lambda: nested_zip(3, real_workbook(1)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_intake_quarantines_a_bomb_disguised_as_a_workbook(
    kind: str, tmp_path: Path, dana: Any
) -> None:
    data = BOMBS[kind]()
    upload = SimpleUploadedFile("月报.xlsx", data)
    by_page = ingest_upload(upload, "complaint", dana)
    path = tmp_path / "月报.xlsx"
    path.write_bytes(data)
    by_cli = ingest_file(path, source="complaint")
    for result in (by_page, by_cli):
        assert (result.accepted, result.duplicates, result.quarantined) == (0, 0, 1)
        item = QuarantinedItem.objects.get(batch_id=result.batch_id)
        assert item.reason in ("too_large", "malformed")
        assert "已拒绝解压" in item.message
    assert not RawItem.objects.exists()


@pytest.mark.django_db
def test_a_real_workbook_is_still_imported(tmp_path: Path, dana: Any) -> None:
    result = ingest_upload(SimpleUploadedFile("月报.xlsx", real_workbook(50)), "complaint", dana)
    assert (result.accepted, result.quarantined) == (50, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_lab_results_import_refuses_a_bomb_and_keeps_it_in_quarantine(
    kind: str, dana: Any, settings: Any, tmp_path: Path
) -> None:
    from pqrisk.labs import services
    from pqrisk.labs.results_file import ResultsRejected
    from pqrisk.labs.tests.builders import LAB, bought_task, sealed_sample, to_lab, today

    settings.MEDIA_ROOT = tmp_path / "media"
    task = bought_task(dana)
    to_lab(sealed_sample(task, dana), dana)
    task.refresh_from_db()
    upload = SimpleUploadedFile("../../结果.xlsx", BOMBS[kind]())
    with pytest.raises(ResultsRejected) as exc:
        services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    assert "已拒绝解压" in exc.value.message_zh
    (kept,) = QuarantinedItem.objects.filter(source_kind="lab_results")
    assert "已拒绝解压" in kept.message
    stored: Any = kept.parsed
    assert stored["file"].startswith(f"quarantine/labs/{task.code}/")
    assert ".." not in stored["file"]


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.django_db
def test_a_decompression_bomb_photo_is_refused_in_chinese(alice: Any) -> None:
    from pqrisk.core.levels import WarningMode
    from pqrisk.warnings import identification as ident
    from pqrisk.warnings.services import WarningError
    from pqrisk.web.tests import factories as f

    warning = f.warning(
        f.risk_info("310115"), status="draft", modes=(WarningMode.CONSUMER_ADVISORY,)
    )
    bomb = SimpleUploadedFile("kettle.png", _png_declaring(100_000, 100_000))
    with pytest.raises(WarningError, match="像素过多"):
        ident.add_photo(warning, alice, bomb, "外观")
    assert not warning.photos.exists()
