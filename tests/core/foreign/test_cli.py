"""`pqrisk foreign tag` through click's CliRunner on the command object itself."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.foreign.cli import tag
from pqrisk.core.foreign.csvio import OUTPUT_COLUMNS

FIRST_SEVEN = [
    "id",
    "risk_types",
    "hazards",
    "category",
    "catalogue_code",
    "made_in_china",
    "error",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, data: bytes | str, *args: str) -> tuple[int, list[dict[str, str]], str]:
    source = tmp_path / "in.csv"
    if isinstance(data, str):
        data = data.encode("utf-8")
    source.write_bytes(data)
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(tag, [str(source), "-o", str(target), *args])
    rows: list[dict[str, str]] = []
    if target.exists():
        with target.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames is not None
            assert reader.fieldnames[:7] == FIRST_SEVEN
            assert list(reader.fieldnames) == list(OUTPUT_COLUMNS)
            rows = list(reader)
    return result.exit_code, rows, result.output


ALERTS = (
    "id,product_name,product_description,brand,model,product_category,risk_type,"
    "risk_description,country_of_origin,notification_date\n"
    'A-1,Soft toy,Plush teddy bear,Cuddly,TB-1,toys,Choking,"Small parts can detach. A child may '
    'put them in the mouth and choke.",PRC,2024-01-31\n'
    'A-2,Hooded sweatshirt,Children\'s hoodie,KidsWear,HS-2,"clothing, textiles and fashion items",'
    'Strangulation,"The hood has drawstrings; a child can be strangled.",Hong Kong SAR,31/02/2024\n'
    "A-3,Electric kettle,,Boil,K-3,electrical appliances and equipment,Electric shock,"
    '"The kettle can overheat and catch fire.",Taiwan,not a date\n'
)


def test_one_row_per_input_in_order_with_the_contract_columns(tmp_path: Path) -> None:
    code, rows, output = run(tmp_path, ALERTS)
    assert code == 0, output
    assert [r["id"] for r in rows] == ["A-1", "A-2", "A-3"]
    a1, a2, a3 = rows
    assert a1["risk_types"] == "Choking" and a1["category"] == "toys"
    assert a1["made_in_china"] == "true" and a1["country"] == "China"
    assert a1["catalogue_code"] == "040102" and "choking" in a1["hazards"].split(";")
    assert a2["risk_types"] == "Strangulation" and a2["made_in_china"] == "false"
    assert a2["country"] == "Hong Kong"
    assert a3["made_in_china"] == "false" and a3["country"] == "Taiwan"
    # Given "Electric shock" is not in the text; the fire is.
    assert a3["risk_types"] == "Fire"
    assert "Electric shock" in a3["disagreement"] and "Fire" in a3["disagreement"]
    assert all(r["error"] == "" for r in rows)  # a malformed date column is ignored


def test_missing_columns_are_allowed(tmp_path: Path) -> None:
    code, rows, _ = run(tmp_path, "risk_description\nRisk of fire\nchoking hazard\n")
    assert code == 0
    # Without an id column the output id is the record number.
    assert [(r["id"], r["risk_types"]) for r in rows] == [("1", "Fire"), ("2", "Choking")]
    assert all(r["category"] == "" and r["made_in_china"] == "false" for r in rows)


def test_wrong_column_count_is_a_row_error_and_nothing_is_lost(tmp_path: Path) -> None:
    data = (
        "id,product_name,risk_description\n"
        "B-1,Toy,choking hazard\n"
        "B-2,only two\n"
        "B-3,Lamp,fire,extra\n"
        "B-4,Heater,fire hazard\n"
    )
    code, rows, _ = run(tmp_path, data)
    assert code == 0
    assert [r["id"] for r in rows] == ["B-1", "B-2", "B-3", "B-4"]
    assert rows[1]["error"].startswith("列数不符") and rows[1]["risk_types"] == ""
    assert rows[2]["error"].startswith("列数不符")
    assert rows[0]["error"] == rows[3]["error"] == ""
    assert rows[3]["risk_types"] == "Fire"


def test_non_english_empty_unknown_country_and_unknown_category(tmp_path: Path) -> None:
    data = (
        "id,product_name,product_description,risk_description,country_of_origin,product_category\n"
        "C-1,儿童玩具,毛绒玩具,产品含有小零件，儿童可能吞咽导致窒息。,中国,toys\n"
        "C-2,,,,,\n"
        "C-3,Toy,,choking hazard,Atlantis,spaceships\n"
        "C-4,Toy,,choking hazard,unknown,\n"
    )
    code, rows, _ = run(tmp_path, data)
    assert code == 0
    c1, c2, c3, c4 = rows
    assert c1["made_in_china"] == "true" and "不是英文" in c1["error"]
    assert c2 == {**c2, "risk_types": "", "category": "", "made_in_china": "false", "error": ""}
    assert "Atlantis" in c3["error"] and "spaceships" in c3["error"]
    assert c3["category"] == "toys" and c3["country"] == ""
    assert c4["error"] == "" and c4["country"] == "" and c4["made_in_china"] == "false"


def test_five_megabyte_description_is_cut_not_fatal(tmp_path: Path) -> None:
    huge = "This plush toy is soft. " * (5_000_000 // 24)
    data = (
        "id,product_name,product_description,risk_description\n"
        f'D-1,Toy,"{huge}",choking hazard\n'
        "D-2,Lamp,,fire\n"
    )
    started = time.perf_counter()
    code, rows, _ = run(tmp_path, data)
    elapsed = time.perf_counter() - started
    assert code == 0
    assert [r["id"] for r in rows] == ["D-1", "D-2"]
    assert "product_description" in rows[0]["error"]
    assert rows[0]["category"] == "toys" and rows[0]["risk_types"] == "Choking"
    assert elapsed < 20  # generous: cut to 20,000 characters, the row costs milliseconds


def test_undecodable_bytes_are_replaced_with_a_row_error(tmp_path: Path) -> None:
    data = (
        b"id,product_name,risk_description\n"
        + b"E-1,Toy,choking hazard\n"
        + b"E-2,Lamp \xff\xfe,fire hazard\n"
        + b"E-3,Heater,electric shock\n"
    )
    code, rows, _ = run(tmp_path, data)
    assert code == 0
    assert [r["id"] for r in rows] == ["E-1", "E-2", "E-3"]
    assert rows[1]["error"] and rows[1]["risk_types"] == "Fire"
    assert rows[0]["error"] == rows[2]["error"] == ""


def test_utf8_bom_and_utf8_sig(tmp_path: Path) -> None:
    data = "\ufeffid,risk_description\nF-1,fire hazard\n"
    for encoding in ("utf-8", "utf-8-sig"):
        code, rows, _ = run(tmp_path, data, "--encoding", encoding)
        assert code == 0
        assert rows == [{**rows[0], "id": "F-1", "risk_types": "Fire"}]


def test_other_encodings_get_a_clear_error(tmp_path: Path) -> None:
    code, _rows, output = run(tmp_path, "id\n1\n", "--encoding", "gbk")
    assert code != 0 and "utf-8" in output and "gbk" in output
    utf16 = "id,risk_description\n1,fire\n".encode("utf-16")
    code, _rows, output = run(tmp_path, utf16)
    assert code != 0 and "UTF-16" in output


def test_empty_file_gives_the_header_only(tmp_path: Path) -> None:
    code, rows, _ = run(tmp_path, "")
    assert code == 0 and rows == []
    code, rows, _ = run(tmp_path, "id,risk_description\n")
    assert code == 0 and rows == []


def test_output_to_stdout(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", "id,risk_description\nG-1,fire hazard\n")
    result = CliRunner().invoke(tag, [str(source), "-o", "-"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["risk_types"]) for r in rows] == [("G-1", "Fire")]


def test_formula_like_ids_are_neutralised(tmp_path: Path) -> None:
    code, rows, _ = run(tmp_path, 'id,risk_description\n"=HYPERLINK(""x"")",fire\n')
    assert code == 0
    assert rows[0]["id"].startswith("'=")


def test_missing_input_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(tag, [str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code != 0
    assert "无法打开输入文件" in result.output


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_batching_does_not_change_the_output(tmp_path: Path, batch: int) -> None:
    from pqrisk.core.foreign.csvio import tag_csv
    from pqrisk.core.foreign.tagging import ForeignTagger

    data = ALERTS.encode() + b"A-4,bad row\n"
    outputs = []
    for size in (batch, 512):
        out = io.StringIO()
        tag_csv(io.BytesIO(data), out, tagger=ForeignTagger.default(), batch_size=size)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\r\n") == 5


_cell = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cell, _cell, _cell), max_size=12))
def test_any_csv_gives_one_row_per_record_in_order(rows: list[tuple[str, str, str]]) -> None:
    from pqrisk.core.foreign.csvio import tag_csv
    from pqrisk.core.foreign.tagging import ForeignTagger

    source = io.StringIO()
    writer = csv.writer(source)
    writer.writerow(["id", "product_name", "risk_description", "country_of_origin"])
    ids = [f"R{i}" for i in range(len(rows))]
    for row_id, (name, risk, country) in zip(ids, rows, strict=True):
        writer.writerow([row_id, name, risk, country])
    out = io.StringIO()
    stats = tag_csv(
        io.BytesIO(source.getvalue().encode("utf-8")), out, tagger=ForeignTagger(model=None)
    )
    result = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [r["id"] for r in result] == ids
    assert stats.rows == len(rows)
    assert all(r["made_in_china"] in {"true", "false"} for r in result)


def test_input_from_stdin() -> None:
    result = CliRunner().invoke(tag, ["-", "-o", "-"], input="id,risk_description\nH-1,choking\n")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [(r["id"], r["risk_types"]) for r in rows] == [("H-1", "Choking")]
