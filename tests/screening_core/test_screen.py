"""``Screener`` and ``pqrisk screen``: one output per input, bad items with a Chinese error,
reposts pointing to the first report, reports of one incident in one event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pqrisk.cli import main
from pqrisk.core.screening.screen import MAX_TEXT_CHARS, Screener

KETTLE = (
    "2026年3月5日，浦东新区消费者反映，购买的上海华东电器有限公司生产的华东牌电热水壶"
    "（型号：HD-1500）使用时漏电，一名3岁儿童手部被电击，送医急诊。消费者要求商家召回"
    "同批次产品并赔偿损失，同时请求市场监管部门依法调查处理。"
)


def item(item_id: str, text: str = KETTLE, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "text": text, "source": "media", "published_at": "2026-03-06", **extra}


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


def test_a_report_is_structured_with_evidence(screener: Screener) -> None:
    (r,) = Screener(extractor=screener.extractor).screen([item("a1", title="电热水壶漏电")])
    assert r["error"] is None and r["duplicate_of"] is None
    assert r["relevant"] is True and r["category"] and "electric_shock" in r["hazards"]
    assert r["enterprises"] == ["上海华东电器有限公司"] and "华东" in r["brands"]
    assert r["models"] == ["HD-1500"] and r["region"]["code"] == "310115"
    assert r["severity_hint"] == 2  # 送医急诊
    for e in r["evidence"]:
        assert r["text"][e["start"] : e["end"]] == e["text"]
    assert {e["field"] for e in r["evidence"]} >= {"product", "hazard", "enterprise", "model"}


def test_a_repost_points_to_the_first_report_and_joins_its_event(screener: Screener) -> None:
    s = Screener(extractor=screener.extractor)
    first, repost, again = s.screen(
        [
            item("a1"),
            item("a2", "转发：" + KETTLE.replace("，", ", ") + "（责任编辑：张三）"),
            item("a3", "原标题：热水壶漏电\n" + KETTLE),
        ]
    )
    assert repost["duplicate_of"] == again["duplicate_of"] == "a1"
    assert first["event_id"] == repost["event_id"] == again["event_id"] is not None


def test_bad_items_get_a_chinese_error_and_the_run_goes_on(screener: Screener) -> None:
    s = Screener(extractor=screener.extractor)
    results = list(
        s.screen(
            [
                {"text": KETTLE},
                item("e1", ""),
                item("e2", "长" * (MAX_TEXT_CHARS + 1)),
                item("e3", "\x00\x01\x02\x7f" * 100),
                item("e4", "😀🔥👍"),
                item("e5", 12345),
                "not an object",  # type: ignore[list-item]
                ValueError("第7行不是合法的JSON"),
                item("ok"),
            ]
        )
    )
    errors = [r.get("error") for r in results]
    assert errors[:-1] == [
        "缺少编号（id）",
        "正文（text）为空",
        f"正文过长（{MAX_TEXT_CHARS + 1:,} 个字符，上限 {MAX_TEXT_CHARS:,}）",
        "内容疑似二进制数据，不是文字",
        "没有可识别的文字（只有表情或符号）",
        "正文（text）应为文本",
        "每行应为一个JSON对象",
        "无法读取：第7行不是合法的JSON",
    ]
    assert results[-1]["error"] is None and results[-1]["id"] == "ok"


def test_one_id_with_two_texts_is_an_error_not_a_silent_overwrite(screener: Screener) -> None:
    s = Screener(extractor=screener.extractor)
    first, same, other = s.screen([item("x"), item("x"), item("x", "充电宝充电时起火冒烟。" * 5)])
    assert first["error"] is None and same["error"] is None
    assert other["error"] == "同一编号（id）对应了不同的内容"


def test_templated_sources_are_matched_exactly_only(screener: Screener) -> None:
    s = Screener(extractor=screener.extractor)
    _, b = s.screen(
        [
            item("p1", KETTLE, source="penalty"),
            item("p2", KETTLE.replace("HD-1500", "HD-1600"), source="penalty"),
        ]
    )
    assert b["duplicate_of"] is None


def write_jsonl(path: Path, rows: list[Any]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False))
            fh.write("\n")


def test_the_cli_writes_one_line_per_input_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, [item("c1"), "{broken", item("c2", "转发：" + KETTLE), {"id": "c3"}])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["screen", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "条/秒" in result.output
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["c1", None, "c2", "c3"]
    assert rows[1]["line"] == 2 and "JSON" in rows[1]["error"]
    assert rows[2]["duplicate_of"] == "c1"
    for key in ("id", "duplicate_of", "event_id", "relevant", "relevance_score", "category"):
        assert key in rows[0]
    for key in ("hazards", "enterprises", "brands", "region", "evidence"):
        assert key in rows[0]


def test_the_cli_reads_gbk_and_keeps_state_between_runs(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_bytes(json.dumps(item("g1"), ensure_ascii=False).encode("gbk") + b"\n")
    state = tmp_path / "state"
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    assert runner.invoke(main, ["screen", str(first), "-o", str(out), "--state", str(state)])
    assert json.loads(out.read_text("utf-8"))["enterprises"] == ["上海华东电器有限公司"]
    second = tmp_path / "second.jsonl"
    write_jsonl(second, [item("g2", "转发：" + KETTLE)])
    result = runner.invoke(main, ["screen", str(second), "-o", str(out), "--state", str(state)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text("utf-8"))["duplicate_of"] == "g1"


def test_a_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["screen", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1 and "文件不存在" in result.output
