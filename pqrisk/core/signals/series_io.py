"""Count series from and to CSV (columns ``series,date,count``), with line-precise errors.

Rules: one header line naming the three columns; dates as YYYY-MM-DD, equally spaced by one
day or one week; within a series the rows are in ascending date order with no date twice;
every series covers the same dates (write 0 for a period without cases); counts are
non-negative numbers. The first broken rule stops the read with a SeriesInputError whose
Chinese message names the line (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from pqrisk.core.safe_export import neutralise
from pqrisk.core.signals.temporal import (
    STATUS_CODES,
    STATUS_LABELS_ZH,
    Detection,
    SeriesInputError,
    periods_per_year,
)

COLUMNS = ("series", "date", "count")
OUTPUT_COLUMNS = (
    "series",
    "date",
    "count",
    "method",
    "expected",
    "statistic",
    "threshold",
    "alarm",
    "status",
    "status_zh",
)


@dataclass(frozen=True)
class CountTable:
    names: list[str]
    dates: NDArray[np.datetime64]
    counts: NDArray[np.float64]  # (series, periods)
    ppy: int


def read_counts(stream: TextIO) -> CountTable:
    """Parse and check a ``series,date,count`` CSV into a dense series × dates table."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise SeriesInputError("文件为空：第 1 行应为表头 series,date,count") from None
    except csv.Error as exc:
        raise SeriesInputError(f"第 1 行：CSV 格式错误（{exc}）") from None
    cols = [c.strip().lstrip("\ufeff").lower() for c in header]
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise SeriesInputError(
            f"第 1 行：表头缺少列 {', '.join(missing)}（须有 series,date,count 三列）"
        )
    i_series, i_date, i_count = (cols.index(c) for c in COLUMNS)
    width = max(i_series, i_date, i_count) + 1

    rows: dict[str, list[tuple[date, float, int]]] = {}
    seen: dict[tuple[str, date], int] = {}
    line = 1
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) < width:
                raise SeriesInputError(f"第 {line} 行：列数不足（应有 series,date,count）")
            name = record[i_series].strip()
            if not name:
                raise SeriesInputError(f"第 {line} 行：序列名为空")
            day = _parse_date(record[i_date].strip(), line)
            value = _parse_count(record[i_count].strip(), line, name, day)
            key = (name, day)
            if key in seen:
                raise SeriesInputError(
                    f"第 {line} 行：序列 {name} 的日期 {day} 重复（第 {seen[key]} 行已有）"
                )
            series_rows = rows.setdefault(name, [])
            if series_rows and day < series_rows[-1][0]:
                prev = series_rows[-1]
                raise SeriesInputError(
                    f"第 {line} 行：序列 {name} 的日期 {day} 早于第 {prev[2]} 行的 {prev[0]}"
                    "（每个序列须按日期升序排列）"
                )
            seen[key] = line
            series_rows.append((day, value, line))
    except csv.Error as exc:
        raise SeriesInputError(f"第 {reader.line_num} 行：CSV 格式错误（{exc}）") from None
    if not rows:
        raise SeriesInputError("文件中没有数据行")

    all_dates = sorted({d for series_rows in rows.values() for d, _, _ in series_rows})
    dates = np.array(all_dates, dtype="datetime64[D]")
    ppy = periods_per_year(dates)
    index = {d: i for i, d in enumerate(all_dates)}
    names = list(rows)
    counts = np.zeros((len(names), len(all_dates)))
    for r, name in enumerate(names):
        series_rows = rows[name]
        if len(series_rows) != len(all_dates):
            have = {d for d, _, _ in series_rows}
            gap = next(d for d in all_dates if d not in have)
            raise SeriesInputError(
                f"序列 {name} 缺少 {gap} 的计数（所有序列须覆盖相同的日期，"
                f"共 {len(all_dates)} 期；无病例的时期请填 0）"
            )
        for d, value, _ in series_rows:
            counts[r, index[d]] = value
    return CountTable(names, dates, counts, ppy)


def _parse_date(text: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SeriesInputError(f"第 {line} 行：日期“{text}”无法识别（应为 YYYY-MM-DD）") from None


def _parse_count(text: str, line: int, name: str, day: date) -> float:
    if not text:
        raise SeriesInputError(f"第 {line} 行：序列 {name} {day} 的计数缺失（无病例请填 0）")
    try:
        value = float(text)
    except ValueError:
        raise SeriesInputError(f"第 {line} 行：计数“{text}”不是数字（序列 {name}）") from None
    if not math.isfinite(value):
        raise SeriesInputError(f"第 {line} 行：计数“{text}”不是有限数值（序列 {name}）")
    if value < 0:
        raise SeriesInputError(f"第 {line} 行：计数为负数（{text}，序列 {name}）")
    return value


def write_detections(
    out: TextIO, table: CountTable, detections: Iterable[Detection], *, only_alarms: bool = False
) -> int:
    """One row per series × evaluated period × method; returns the number of rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    n = 0
    day_text = [str(d) for d in table.dates]
    for det in detections:
        for s, name in enumerate(table.names):
            for j in range(det.status.shape[1]):
                code = int(det.status[s, j])
                if only_alarms and not det.alarm[s, j]:
                    continue
                t = det.first + j
                writer.writerow(
                    (
                        neutralise(name),  # a series name is the user's text, opened in Excel
                        day_text[t],
                        _num(table.counts[s, t]),
                        det.method,
                        _num(det.expected[s, j], 4),
                        _num(det.statistic[s, j], 4),
                        _num(det.threshold[s, j], 4),
                        int(bool(det.alarm[s, j])),
                        STATUS_CODES[code],
                        STATUS_LABELS_ZH[code],
                    )
                )
                n += 1
    return n


def _num(x: float, digits: int = 6) -> str:
    if not math.isfinite(x):
        return ""
    r = round(float(x), digits)
    return str(int(r)) if r == int(r) else f"{r:.{digits}f}".rstrip("0")


def counts_to_csv(names: list[str], dates: Iterable[object], counts: NDArray[np.float64]) -> str:
    """The inverse of read_counts, for tests and examples."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    day_text = [str(d) for d in dates]
    for s, name in enumerate(names):
        for t, d in enumerate(day_text):
            writer.writerow((name, d, _num(counts[s, t])))
    return buf.getvalue()
