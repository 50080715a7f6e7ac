"""Stream a CSV of foreign alerts through the tagger: one output row per input row, in order.

The contract of ``pqrisk foreign tag`` (docs/foreign_tagging.md):

- input columns, any subset in any order: ``id, product_name, product_description, brand,
  model, product_category, risk_type, risk_description, country_of_origin``; other columns
  (dates, URLs …) are ignored; header names are matched case- and space-insensitively;
- output columns ``id,risk_types,hazards,category,catalogue_code,made_in_china,error``
  then ``country,disagreement``; lists are joined with ``;``; ``made_in_china`` is
  ``true``/``false``; an unknown category, code or country is the empty string;
- ``risk_types`` and ``category`` are what the text supports (``ForeignTags.supported_*``):
  a given label the text does not support is left out and named in ``disagreement``;
- a row that cannot be read (wrong number of columns, broken quoting) gets its ``id`` (when
  it can be found) and the reason in ``error``, nothing else; a row with bytes that are not
  UTF-8 is tagged with those bytes replaced by U+FFFD and says so in ``error``; a field over
  ``MAX_FIELD_CHARS`` is cut for tagging and says so in ``error``. No row is dropped; blank
  lines are not rows.

Rows are read and written as they come (in batches of ``BATCH_SIZE`` for the tagger), so
memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from pqrisk.core.csvlimit import csv_field_limit
from pqrisk.core.foreign.tagging import FIELDS, ForeignTagger, ForeignTags
from pqrisk.core.safe_export import safe_row

OUTPUT_COLUMNS = (
    "id",
    "risk_types",
    "hazards",
    "category",
    "catalogue_code",
    "made_in_china",
    "error",
    "country",
    "disagreement",
)
SUPPORTED_ENCODINGS = ("utf-8", "utf-8-sig")
BATCH_SIZE = 512
# The csv module refuses fields over 128 KiB by default; a 5 MB description is a real
# (if broken) export, so it is read whole and cut by the tagger instead.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
LIST_SEPARATOR = ";"
MESSAGE_SEPARATOR = "；"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class InputEncodingError(ValueError):
    """The file is not in an encoding the CLI reads; the message is for the user (Chinese)."""


class InputFormatError(ValueError):
    """The file cannot be read as CSV at all (its header is broken)."""


def check_encoding(name: str) -> str:
    """The canonical name of a supported encoding, or InputEncodingError."""
    key = name.strip().lower().replace("_", "-")
    key = {"utf8": "utf-8", "utf8-sig": "utf-8-sig"}.get(key, key)
    if key not in SUPPORTED_ENCODINGS:
        raise InputEncodingError(
            f"不支持的编码“{name}”：只能读取 utf-8 或 utf-8-sig 文件，"
            "请先转换为 UTF-8（例如 iconv -f GBK -t UTF-8 输入.csv > 输出.csv）"
        )
    return key


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


class _Lines:
    """Physical lines decoded one by one; remembers whether the last ones had bad bytes."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bad_bytes = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for line in self._raw:
            if first:
                first = False
                if line.startswith(_UTF16_BOMS):
                    raise InputEncodingError(
                        "输入文件是 UTF-16 编码：只能读取 utf-8 或 utf-8-sig 文件，请另存为 UTF-8"
                    )
                if line.startswith(_BOM):
                    line = line[len(_BOM) :]
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_bytes = True
                yield line.decode("utf-8", errors="replace")


@dataclass
class TagStats:
    rows: int = 0
    rows_with_error: int = 0


def _join(values: list[str]) -> str:
    return LIST_SEPARATOR.join(values)


def output_row(row_id: str, tags: ForeignTags | None, errors: list[str]) -> list[str]:
    """The output cells for one input row (``tags`` None: the row could not be read)."""
    if tags is None:
        return [row_id, "", "", "", "", "false", MESSAGE_SEPARATOR.join(errors), "", ""]
    category = tags.supported_category()
    return [
        row_id,
        _join([t.value for t in tags.supported_risk_types()]),
        _join([t.value for t in tags.hazards]),
        category.value if category else "",
        tags.catalogue_code.value if tags.catalogue_code else "",
        "true" if tags.made_in_china else "false",
        MESSAGE_SEPARATOR.join([*errors, *tags.errors]),
        tags.country.value if tags.country else "",
        MESSAGE_SEPARATOR.join(tags.disagreements),
    ]


def tag_csv(
    raw: BinaryIO,
    out: TextIO,
    *,
    tagger: ForeignTagger | None = None,
    batch_size: int = BATCH_SIZE,
) -> TagStats:
    """Read alerts from ``raw`` (UTF-8 bytes), write one tagged row per alert to ``out``."""
    with csv_field_limit(CSV_FIELD_LIMIT):  # for this file only (see pqrisk.core.csvlimit)
        return _tag_csv(raw, out, tagger or ForeignTagger.default(), batch_size)


def _tag_csv(raw: BinaryIO, out: TextIO, tagger: ForeignTagger, batch_size: int) -> TagStats:
    lines = _Lines(raw)
    reader = csv.reader(iter(lines))
    # CRLF (RFC 4180): the csv module then also quotes cells holding a bare "\r".
    writer = csv.writer(out, lineterminator="\r\n")
    stats = TagStats()
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputFormatError(f"表头无法解析（{exc}）") from None
    writer.writerow(OUTPUT_COLUMNS)
    if header is None:
        return stats
    keys = [_header_key(name) for name in header]
    columns = {name: keys.index(name) for name in FIELDS if name in keys}
    id_index = columns.get("id")
    # (id, fields to tag or None, read errors)
    pending: list[tuple[str, dict[str, str] | None, list[str]]] = []

    def flush() -> None:
        to_tag = [fields for _id, fields, _errors in pending if fields is not None]
        results = iter(tagger.tag_many(to_tag)) if to_tag else iter(())
        for row_id, fields, errors in pending:
            tags = next(results) if fields is not None else None
            cells = output_row(row_id, tags, errors)
            if cells[6]:
                stats.rows_with_error += 1
            writer.writerow(safe_row(cells))
        pending.clear()

    number = 0
    while True:
        lines.bad_bytes = False
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            pending.append(("", None, [f"第 {number} 条记录无法解析（{exc}），未标注"]))
            stats.rows += 1
            continue
        if not cells:
            continue  # a blank line is not a record
        number += 1
        stats.rows += 1
        errors: list[str] = []
        row_id = cells[id_index] if id_index is not None and id_index < len(cells) else ""
        if id_index is None:
            row_id = str(number)
        if lines.bad_bytes:
            errors.append("含有不是 UTF-8 的字节，已替换为 � 后标注")
        if len(cells) != len(header):
            errors.append(f"列数不符：表头 {len(header)} 列，本行 {len(cells)} 列，未标注")
            pending.append((row_id, None, errors))
        else:
            fields = {name: cells[index] for name, index in columns.items()}
            pending.append((row_id, fields, errors))
        if len(pending) >= batch_size:
            flush()
    flush()
    return stats
