"""`pqrisk signals evaluate` and `pqrisk signals detect`, through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from pqrisk.core.signals.series_io import counts_to_csv
from pqrisk.signals_cli import signals


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(signals, list(args), input=stdin)


def weekly_csv(weeks: int = 30, spike: int | None = 25) -> str:
    dates = np.datetime64("2024-01-01") + np.arange(weeks) * np.timedelta64(7, "D")
    base = np.array([[3, 4, 2, 5, 3, 4, 3] * (weeks // 7 + 1)][0][:weeks], dtype=float)
    other = base + 10
    if spike is not None:
        base = base.copy()
        base[spike] = 40
    return counts_to_csv(["玩具-江苏", "电动车-浦东"], dates, np.vstack([base, other]))


def test_evaluate_prints_a_table_and_a_final_json_line() -> None:
    result = run(
        "evaluate", "--series", "30", "--weeks", "280", "--seed", "1", "--methods", "C2,cusum"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "检出率" in lines[1] and "误报率" in lines[1]
    last = json.loads(lines[-1])
    assert set(last) == {"C2", "cusum", "mean3sd"}
    assert set(last["C2"]) == {"pod", "false_alarm_rate", "median_delay"}
    again = run(
        "evaluate", "--series", "30", "--weeks", "280", "--seed", "1", "--methods", "C2,cusum"
    )
    assert json.loads(again.output.strip().splitlines()[-1]) == last


def test_evaluate_refuses_an_unknown_method() -> None:
    result = run("evaluate", "--methods", "C9")
    assert result.exit_code != 0
    assert "C9" in result.output


def test_detect_writes_one_row_per_series_and_period(tmp_path: Path) -> None:
    src = tmp_path / "counts.csv"
    src.write_text(weekly_csv(), encoding="utf-8")
    out = tmp_path / "alarms.csv"
    result = run("detect", str(src), "--method", "C1", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2 * 30
    assert set(rows[0]) >= {"series", "date", "count", "statistic", "threshold", "alarm", "status"}
    assert {r["status"] for r in rows[:7]} == {"insufficient_baseline"}
    assert rows[0]["status_zh"] == "基线不足"
    alarms = [(r["series"], r["date"]) for r in rows if r["alarm"] == "1"]
    assert alarms == [("玩具-江苏", "2024-06-24")]
    assert "报警 1 个" in result.output


def test_detect_reads_stdin_and_runs_several_methods() -> None:
    result = run("detect", "-", "--method", "C2,C3,cusum", "--alarms-only", stdin=weekly_csv())
    assert result.exit_code == 0, result.output
    starts = ("series", "玩具", "电动")
    body = [line for line in result.output.splitlines() if line.startswith(starts)]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert rows and all(r["alarm"] == "1" for r in rows)
    assert {r["method"] for r in rows} <= {"C2", "C3", "cusum"}


GOOD = "series,date,count\na,2024-01-01,1\na,2024-01-08,2\nb,2024-01-01,3\nb,2024-01-08,4\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("a,2024-01-08,2", "a,2024-01-08,-2"), "第 3 行：计数为负数"),
        (GOOD.replace("a,2024-01-08,2", "a,2024-01-08,"), "第 3 行：序列 a 2024-01-08 的计数缺失"),
        (GOOD.replace("a,2024-01-08,2", "a,2024-01-08,两"), "第 3 行：计数“两”不是数字"),
        (GOOD.replace("a,2024-01-08,2", "a,2024-01-08,nan"), "第 3 行：计数“nan”不是有限数值"),
        (
            "series,date,count\na,2024-01-08,1\na,2024-01-01,2\n",
            "第 3 行：序列 a 的日期 2024-01-01 早于第 2 行的 2024-01-08",
        ),
        (GOOD + "b,2024-01-08,5\n", "第 6 行：序列 b 的日期 2024-01-08 重复（第 5 行已有）"),
        (GOOD.replace("a,2024-01-08,2", "a,2024-13-08,2"), "第 3 行：日期“2024-13-08”无法识别"),
        (GOOD.replace("b,2024-01-08,4\n", ""), "序列 b 缺少 2024-01-08 的计数"),
        (GOOD + "a,2024-01-20,1\nb,2024-01-20,1\n", "日期间隔不一致"),
        ("series,day,count\na,2024-01-01,1\n", "第 1 行：表头缺少列 date"),
        ("", "文件为空"),
        ("series,date,count\n", "没有数据行"),
        ("series,date,count\na,2024-01-01\n", "第 2 行：列数不足"),
    ],
)
def test_bad_input_exits_non_zero_with_the_line_named(
    tmp_path: Path, text: str, message: str
) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(text, encoding="utf-8")
    result = run("detect", str(src), "--method", "C1")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_too_short_series_get_insufficient_baseline_not_alarms(tmp_path: Path) -> None:
    src = tmp_path / "short.csv"
    src.write_text(GOOD, encoding="utf-8")
    result = run("detect", str(src), "--method", "noufaily,C3")
    assert result.exit_code == 0, result.output
    assert "insufficient_baseline" in result.output
    assert ",1,alarm," not in result.output


def test_missing_file_and_non_utf8_are_clear_errors(tmp_path: Path) -> None:
    assert "文件不存在" in run("detect", str(tmp_path / "nope.csv")).output
    src = tmp_path / "gbk.csv"
    src.write_bytes("series,date,count\n玩具,2024-01-01,1\n".encode("gbk"))
    result = run("detect", str(src))
    assert result.exit_code != 0
    assert "UTF-8" in result.output


def test_daily_series_are_read_as_daily(tmp_path: Path) -> None:
    dates = np.datetime64("2024-03-01") + np.arange(12)
    counts = np.array([[2, 3, 2, 4, 3, 2, 3, 2, 3, 25, 2, 3]], dtype=float)
    src = tmp_path / "daily.csv"
    src.write_text(counts_to_csv(["儿童座椅"], dates, counts), encoding="utf-8")
    result = run("detect", str(src), "-m", "C1,farrington", "--alarms-only")
    assert result.exit_code == 0, result.output
    assert "儿童座椅,2024-03-10,25,C1," in result.output
    assert "Farrington 灵活法：1 个序列 × 12 期，报警 0 个，基线不足 12 个" in result.output
