"""Read a lab's results file: CSV (UTF-8, GBK/GB18030 or UTF-16) or Excel, one test item a
row, with Chinese headers (docs/labs.md "导入文件格式").

Only reading happens here: every row comes back as text as written, with its row number, for
``services.import_results`` to validate as a whole before anything is saved.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pqrisk.core.containers import ContainerRefused, check_zip
from pqrisk.sources.readers import decode_bytes, sniff_dialect
from pqrisk.sources.records import RecordRejected

MAX_RESULTS_FILE_BYTES = 5 * 1024 * 1024
MAX_RESULT_ROWS = 5000
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")

# The columns, as the lab writes them; 判定, 扩展不确定度 and 检验日期 may be left out.
REQUIRED_COLUMNS = ("样品编号", "检验项目", "标准", "技术要求", "限值", "单位", "实测值")
OPTIONAL_COLUMNS = ("判定", "扩展不确定度", "检验日期")
# Other names labs use for the same columns.
COLUMN_ALIASES = {
    "样品编码": "样品编号",
    "样品号": "样品编号",
    "检测项目": "检验项目",
    "项目": "检验项目",
    "项目名称": "检验项目",
    "检验依据": "标准",
    "标准条款": "标准",
    "标准编号": "标准",
    "依据标准": "标准",
    "标准要求": "技术要求",
    "要求": "技术要求",
    "标准限值": "限值",
    "限量": "限值",
    "计量单位": "单位",
    "检验结果": "实测值",
    "检测结果": "实测值",
    "测定值": "实测值",
    "结果": "实测值",
    "单项判定": "判定",
    "单项结论": "判定",
    "结论": "判定",
    "不确定度": "扩展不确定度",
    "U": "扩展不确定度",
    "检测日期": "检验日期",
}


@dataclass(frozen=True)
class RowError:
    """One problem of an import: its row (None for the file), its column and what to do."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else ""
        column = f"“{self.column}”" if self.column else ""
        return f"{where}{column}：{self.message}" if where or column else self.message


class ResultsRejected(Exception):
    """Results not recorded, nothing saved; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        rows = {e.row for e in errors if e.row is not None}
        self.message_zh = (
            f"检验结果未保存：{len(rows)}行有错误，共{len(errors)}处，请更正后重新导入"
            if rows
            else f"检验结果未保存：{errors[0]}"
            if len(errors) == 1
            else f"检验结果未保存：共{len(errors)}处错误"
        )
        # The first few errors in the text too, for the shell and the logs.
        shown = "；".join(str(e) for e in errors[:5]) + ("……" if len(errors) > 5 else "")
        super().__init__(f"{self.message_zh}（{shown}）")


@dataclass(frozen=True)
class ResultRow:
    """A row of results as read, cells untouched except trimmed (numbers may be numbers)."""

    row: int | None
    sample_code: str
    name: str
    standard: str
    requirement: str
    limit: str
    unit: str
    measured: Any
    verdict: str = ""
    uncertainty: Any = None
    tested_on: Any = None


def _header(name: Any) -> str:
    text = unicodedata.normalize("NFKC", str(name or "")).strip().replace(" ", "")
    return COLUMN_ALIASES.get(text, text)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value


def _text(value: Any) -> str:
    value = _cell(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows_from_table(header: list[Any], body: list[tuple[int, list[Any]]]) -> list[ResultRow]:
    names = [_header(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ResultsRejected(
            [
                RowError(
                    None,
                    "",
                    f"缺少列：{'、'.join(missing)}。表头应为 {'、'.join(REQUIRED_COLUMNS)}"
                    f"（可另加 {'、'.join(OPTIONAL_COLUMNS)}）",
                )
            ]
        )
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise ResultsRejected([RowError(None, "", f"表头中有重复的列：{'、'.join(twice)}")])
    index = {n: i for i, n in enumerate(names) if n}
    rows: list[ResultRow] = []
    for number, values in body:
        if all(_cell(v) == "" for v in values):
            continue

        def get(column: str, values: list[Any] = values) -> Any:
            i = index.get(column)
            return _cell(values[i]) if i is not None and i < len(values) else ""

        rows.append(
            ResultRow(
                row=number,
                sample_code=_text(get("样品编号")),
                name=_text(get("检验项目")),
                standard=_text(get("标准")),
                requirement=_text(get("技术要求")),
                limit=_text(get("限值")),
                unit=_text(get("单位")),
                measured=get("实测值"),
                verdict=_text(get("判定")),
                uncertainty=get("扩展不确定度"),
                tested_on=get("检验日期"),
            )
        )
    if not rows:
        raise ResultsRejected([RowError(None, "", "文件中没有检验结果行")])
    if len(rows) > MAX_RESULT_ROWS:
        raise ResultsRejected(
            [RowError(None, "", f"一次最多导入{MAX_RESULT_ROWS}行，本文件有{len(rows)}行")]
        )
    return rows


def _read_csv(data: bytes) -> list[ResultRow]:
    try:
        text = decode_bytes(data)
    except RecordRejected as exc:
        raise ResultsRejected([RowError(None, "", exc.message_zh)]) from None
    sample = text[:4096]
    reader = csv.reader(io.StringIO(text, newline=""), sniff_dialect(sample))
    try:
        header = next(reader, None)
        if not header:
            raise ResultsRejected([RowError(None, "", "文件为空或没有表头")])
        body: list[tuple[int, list[Any]]] = []
        for values in reader:
            body.append((reader.line_num, list(values)))
    except csv.Error as exc:
        raise ResultsRejected(
            [RowError(reader.line_num, "", f"CSV格式错误，无法读取：{exc}")]
        ) from None
    return _rows_from_table(header, body)


def _read_xlsx(data: bytes) -> list[ResultRow]:
    from openpyxl import load_workbook

    try:
        check_zip(data)  # before openpyxl unpacks anything: no zip bombs
    except ContainerRefused as exc:
        raise ResultsRejected([RowError(None, "", exc.message_zh)]) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ResultsRejected(
            [RowError(None, "", f"Excel文件无法打开（{type(exc).__name__}）")]
        ) from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header or all(h in (None, "") for h in header):
            raise ResultsRejected([RowError(None, "", "Excel第一个工作表没有表头")])
        body = [(number, list(values)) for number, values in enumerate(rows, start=2)]
    except ResultsRejected:
        raise
    except Exception as exc:  # the sheet is read lazily: damage deep in it shows only here
        raise ResultsRejected(
            [RowError(None, "", f"Excel文件已损坏，无法读取（{type(exc).__name__}）")]
        ) from None
    finally:
        book.close()
    return _rows_from_table(list(header), body)


def read_results_file(name: str, data: bytes) -> list[ResultRow]:
    """The rows of a results file, or ResultsRejected for a file that cannot be read."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ResultsRejected(
            [
                RowError(
                    None, "", f"不支持的文件类型：{suffix or '（无扩展名）'}，请上传 .csv 或 .xlsx"
                )
            ]
        )
    if len(data) > MAX_RESULTS_FILE_BYTES:
        mib = 1024 * 1024
        raise ResultsRejected(
            [RowError(None, "", f"文件过大（上限 {MAX_RESULTS_FILE_BYTES // mib} MB）")]
        )
    if not data.strip():
        raise ResultsRejected([RowError(None, "", "文件为空")])
    return _read_xlsx(data) if suffix in (".xlsx", ".xlsm") else _read_csv(data)
