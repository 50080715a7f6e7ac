"""Cells of spreadsheet and CSV exports that a spreadsheet program cannot run as formulas.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by
Excel, WPS and LibreOffice as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``,
``@SUM(...)``), so text that came from outside (a complaint, a firm's name, a media title)
could run or leak data on the desk of whoever opens the export. Following the OWASP advice
on CSV injection (https://owasp.org/www-community/attacks/CSV_Injection), such text gets a
leading apostrophe, which spreadsheets show as text. Real numbers are left alone: ``-3`` as an
int or float stays a number, and a text cell holding just a number (``"-3.5"``) stays as is,
since no program reads it as a formula.

openpyxl stores a ``str`` starting with ``=`` as a formula, so every export goes through here:
``neutralise`` for one value, ``safe_row`` for a row, ``SafeCsvWriter``/``SafeDictWriter`` for
the ``csv`` module. No Django here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

# OWASP's list; the full-width forms are what a Chinese input method types, and WPS takes
# ＝ as = when a cell is edited.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
ESCAPE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program could read ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text)


def neutralise(value: Any) -> Any:
    """``value`` as it may be written to a cell: formula-like text prefixed with ``'``."""
    if isinstance(value, str) and is_formula_like(value):
        return ESCAPE + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def safe_mapping(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: neutralise(v) for k, v in row.items()}


class SafeCsvWriter:
    """``csv.writer`` whose rows are neutralised; the header is ours and written the same way."""

    def __init__(self, out: Any, *args: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, *args, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose values are neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow(safe_mapping(rowdict))

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def neutralise_workbook(book: Any) -> Any:
    """Neutralise every text cell of an openpyxl workbook in place (just before saving).

    For exports that build their sheets cell by cell: openpyxl has already taken formula-like
    text as a formula, and assigning the neutralised text makes it a string cell again.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and is_formula_like(cell.value):
                    cell.value = ESCAPE + cell.value
    return book
