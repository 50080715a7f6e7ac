"""`pqrisk assess`: the risk matrix from the shell, one JSON object, no database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

import pqrisk.cli
from pqrisk.cli import main

# METHODS.md §1, by hand: rows severity 1–4, columns the 8 bands.
TABLE = {
    1: "H M M L L L L L",
    2: "S S S H M L L L",
    3: "S S S S H M L L",
    4: "S S S S S H M L",
}
LEVEL = {"S": "serious", "H": "high", "M": "medium", "L": "low"}
INSIDE_BAND = ("0.9", "0.2", "0.05", "0.005", "5e-4", "5e-5", "5e-6", "5e-7")
KEYS = {
    "probability",
    "probability_text",
    "band",
    "band_index",
    "level",
    "escalated_level",
    "low_level",
    "high_level",
    "probability_low",
    "probability_high",
    "uncertainty_changes_level",
    "flip_steps",
    "explanation",
}


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("pqrisk assess must not set up Django or a database")

    monkeypatch.setattr(pqrisk.cli, "_setup", refuse)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["assess", *args])


def assess_json(*args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_fatal_harm_at_one_in_a_hundred_is_serious() -> None:
    out = assess_json("--severity", "4", "--steps", "0.1,0.1")
    assert set(out) == KEYS
    assert out["probability"] == 0.01
    assert out["probability_text"] == "1/100"
    # The bands are "> 1/N": exactly 1/100 is not above 1/100, so it falls in ">1/1,000".
    assert (out["band"], out["band_index"]) == (">1/1,000", 3)
    assert out["level"] == out["escalated_level"] == "serious"
    assert out["low_level"] == out["high_level"] == "serious"
    assert out["flip_steps"] == [] and out["uncertainty_changes_level"] is False
    assert out["explanation"][-1] == "风险等级：严重风险"


def test_just_above_one_in_a_hundred() -> None:
    out = assess_json("--severity", "2", "--steps", "0.2,0.06")
    assert (out["band"], out["band_index"], out["level"]) == (">1/100", 2, "serious")


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
@pytest.mark.parametrize("band", range(8))
def test_every_cell_of_the_matrix(severity: int, band: int) -> None:
    out = assess_json("--severity", str(severity), "--steps", INSIDE_BAND[band])
    assert out["band_index"] == band
    assert out["level"] == LEVEL[TABLE[severity].split()[band]]


def test_fractions_and_chinese_commas_are_accepted() -> None:
    out = assess_json("--severity", "4", "--steps", "1/2，1/125")
    assert out["probability"] == 0.004 and out["probability_text"] == "1/250"


@pytest.mark.parametrize(
    ("units", "level", "escalated"),
    [
        ("2000000", "low", "high"),
        ("2,000,000", "low", "high"),
        ("300000", "low", "medium"),
        ("100000", "low", "low"),
    ],
)
def test_units_in_use_escalate_the_level(units: str, level: str, escalated: str) -> None:
    out = assess_json("--severity", "2", "--steps", "5e-5", "--units", units)
    assert (out["level"], out["escalated_level"]) == (level, escalated)


def test_vulnerable_users_are_recorded() -> None:
    out = assess_json("--severity", "2", "--steps", "0.01", "--vulnerable")
    assert any("易受伤害群体" in line for line in out["explanation"])


def test_ranges_and_flip_steps() -> None:
    out = assess_json("--severity", "3", "--steps", "0.5,5e-4", "--ranges", "0.4:0.6,5e-5:8e-4")
    assert (out["level"], out["low_level"], out["high_level"]) == ("high", "medium", "high")
    assert out["probability_low"] == 2e-5 and out["probability_high"] == 4.8e-4
    assert out["uncertainty_changes_level"] is True
    assert out["flip_steps"] == [
        {"step": 2, "description": "步骤2", "end": "low", "probability": 2.5e-5, "level": "medium"}
    ]
    assert "敏感步骤：步骤2取下限时风险等级变为中风险" in out["explanation"]


def test_a_step_without_range_is_left_empty() -> None:
    out = assess_json("--severity", "3", "--steps", "0.5,5e-4", "--ranges", ",5e-5:")
    assert out["probability_low"] == 2.5e-5 and out["probability_high"] == 2.5e-4
    assert [f["step"] for f in out["flip_steps"]] == [2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--severity", "5", "--steps", "0.1"], "伤害严重程度应为1至4级，实际为5"),
        (["--severity", "0", "--steps", "0.1"], "伤害严重程度应为1至4级"),
        (["--severity", "四", "--steps", "0.1"], "伤害严重程度应为1至4的整数"),
        (["--severity", "2.5", "--steps", "0.1"], "伤害严重程度应为1至4的整数"),
        (["--severity", "2", "--steps", "1.5"], "概率应大于0且不超过1，实际为1.5"),
        (["--severity", "2", "--steps", "0"], "概率应大于0且不超过1"),
        (["--severity", "2", "--steps", "-0.1"], "概率应大于0且不超过1"),
        (["--severity", "2", "--steps", "nan"], "概率应大于0且不超过1"),
        (["--severity", "2", "--steps", "0.1,abc"], "步骤2的概率应为数字"),
        (["--severity", "2", "--steps", "1/0"], "步骤1的概率应为数字"),
        (["--severity", "2", "--steps", "0.1,"], "步骤2的概率为空"),
        (["--severity", "2", "--steps", "0.1", "--units", "很多"], "使用数量应为非负整数"),
        (["--severity", "2", "--steps", "0.1", "--units", "-5"], "使用数量不能为负数"),
        (
            ["--severity", "2", "--steps", "0.1,0.2", "--ranges", "0.05:0.2"],
            "--ranges 有1个范围，--steps 有2个概率",
        ),
        (["--severity", "2", "--steps", "0.1", "--ranges", "0.05"], "应写成 下限:上限"),
        (["--severity", "2", "--steps", "0.1", "--ranges", "0.2:0.3"], "概率下限0.2大于估计值"),
        (["--severity", "2", "--steps", "0.1", "--ranges", "0.05:x"], "概率上限应为数字"),
    ],
)
def test_bad_input_exits_2_with_a_chinese_message(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_documented_in_docs() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "assessment.md").read_text(encoding="utf-8")
    assert "pqrisk assess" in doc
    for key in KEYS:
        assert f"`{key}`" in doc
