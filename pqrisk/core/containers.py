"""Check a zip container (xlsx, docx, zip) before anything unpacks it: no zip bombs.

A few kilobytes of zip can expand to gigabytes (a member of zeros compresses about 1000:1,
and overlapping members multiply that), so a reader that opens an uploaded workbook must
first read the central directory and refuse the file when it holds too many members, when
the members add up to more than a workbook of real data ever does, when one member expands
far beyond what text compresses to, when members overlap, or when archives nest too deep.
The limits are our own choice, sized well above the bureau's largest real workbooks.

Declared sizes can be trusted as upper bounds: Python's ``zipfile`` (which openpyxl and
python-docx read through) stops a member at its declared size and fails its CRC if the data
goes on. No Django here.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO

ZIP_MAGIC = b"PK\x03\x04"
MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
# XML of spreadsheets compresses up to ~100:1 when very repetitive; zeros reach ~1000:1.
MAX_RATIO = 200
# Below this a member's ratio does not matter: it cannot expand to anything harmful.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_DEPTH = 2  # a workbook may embed a workbook; nothing deeper
# A nested archive is read into memory to be checked: only small ones.
MAX_NESTED_BYTES = 16 * 1024 * 1024
_LOCAL_HEADER = 30  # fixed part of a zip local file header (APPNOTE 4.3.7)
# What reading a damaged or encrypted archive raises; ContainerRefused is not among them.
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    EOFError,
    OSError,
    RuntimeError,
)


class ContainerRefused(ValueError):
    """A container that must not be unpacked; ``message_zh`` is what the user reads.

    ``kind`` is ``too_large`` (members, total size, ratio) or ``malformed`` (overlapping
    members, archives nested too deep), as intake names its quarantine reasons.
    """

    def __init__(self, message_zh: str, message_en: str, kind: str = "too_large") -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.kind = kind


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = MAX_MEMBERS
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: int = MAX_RATIO
    max_depth: int = MAX_DEPTH


def check_zip(source: str | Path | bytes | IO[bytes], limits: ZipLimits | None = None) -> int:
    """Refuse (ContainerRefused) a zip container that would expand beyond ``limits``.

    Returns the total declared uncompressed size. A file that is not a zip at all passes:
    the reader that opens it next says what is wrong with it in its own words.
    """
    limits = limits or ZipLimits()
    fileobj: IO[bytes] | str | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(fileobj) as archive:
            return _check(archive, limits, depth=1, budget=limits.max_total_bytes)
    except _UNREADABLE:
        return 0
    finally:
        if not isinstance(source, bytes | str | Path):
            source.seek(0)


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _check(archive: zipfile.ZipFile, limits: ZipLimits, *, depth: int, budget: int) -> int:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ContainerRefused(
            f"压缩文件含有{len(members)}个成员，超过上限{limits.max_members}个，疑似压缩炸弹，"
            "已拒绝解压",
            f"{len(members)} members exceed {limits.max_members}",
        )
    total = sum(m.file_size for m in members)
    if total > budget:
        raise ContainerRefused(
            f"压缩文件解压后共{_mib(total)}，超过上限{_mib(limits.max_total_bytes)}，"
            "疑似压缩炸弹，已拒绝解压",
            f"uncompressed total {total} exceeds {budget}",
        )
    for m in members:
        if m.file_size > RATIO_FLOOR_BYTES and m.file_size > limits.max_ratio * max(
            m.compress_size, 1
        ):
            ratio = m.file_size // max(m.compress_size, 1)
            raise ContainerRefused(
                f"压缩文件中的“{_shown(m.filename)}”压缩比为{ratio}:1，超过上限"
                f"{limits.max_ratio}:1，疑似压缩炸弹，已拒绝解压",
                f"member {m.filename!r} ratio {ratio} exceeds {limits.max_ratio}",
            )
    _check_overlap(members)
    for m in members:
        if m.file_size < len(ZIP_MAGIC) or m.is_dir():
            continue
        try:
            with archive.open(m) as fh:
                nested = fh.read(len(ZIP_MAGIC)) == ZIP_MAGIC
        except _UNREADABLE:
            continue  # a damaged member: the reader that opens it next says so
        if not nested:
            continue
        if depth >= limits.max_depth or m.file_size > MAX_NESTED_BYTES:
            raise ContainerRefused(
                f"压缩文件中嵌套了压缩文件“{_shown(m.filename)}”（层数或大小超过上限），已拒绝解压",
                f"nested archive {m.filename!r} at depth {depth + 1}",
                "malformed",
            )
        try:
            inner = io.BytesIO(archive.read(m))
            with zipfile.ZipFile(inner) as nested_archive:
                total += _check(nested_archive, limits, depth=depth + 1, budget=budget - total)
        except _UNREADABLE:
            continue
    return total


def _check_overlap(members: list[zipfile.ZipInfo]) -> None:
    """Members whose data share bytes: the trick that makes a small zip expand without end."""
    spans = sorted((m.header_offset, _end_of(m), m.filename) for m in members)
    for (_, end, name), (next_start, _, next_name) in pairwise(spans):
        if next_start < end:
            raise ContainerRefused(
                f"压缩文件的成员“{_shown(name)}”与“{_shown(next_name)}”的数据相互重叠，"
                "疑似压缩炸弹，已拒绝解压",
                f"members {name!r} and {next_name!r} overlap",
                "malformed",
            )


def _end_of(m: zipfile.ZipInfo) -> int:
    # The local header repeats the name; its extra field may differ from the central one, so
    # it is not counted: an overlap of real data still shows, without false alarms.
    try:
        name_length = len(m.orig_filename.encode("utf-8" if m.flag_bits & 0x800 else "cp437"))
    except UnicodeEncodeError:
        name_length = len(m.orig_filename.encode("utf-8"))
    return m.header_offset + _LOCAL_HEADER + name_length + m.compress_size


def _shown(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "…"
