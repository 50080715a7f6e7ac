"""Each stream's details: Chinese headers become keys, values get their types, bad values
are rejected with a Chinese message that names the field and the value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.sources.readers import HEADER_ALIASES
from pqrisk.sources.records import SOURCE_KINDS, RecordRejected, validate_record
from pqrisk.sources.streams import STREAMS


def validate(source: str, details: dict[str, Any]) -> dict[str, Any]:
    return STREAMS[source].validate_details(details)


def rejected(source: str, details: dict[str, Any]) -> RecordRejected:
    with pytest.raises(RecordRejected) as info:
        validate(source, details)
    return info.value


def test_every_internal_stream_has_a_module() -> None:
    assert set(STREAMS) == set(SOURCE_KINDS) - {"station", "foreign_recall"}
    for source, module in STREAMS.items():
        assert source == module.SOURCE
        assert set(module.REQUIRED) <= set(module.FIELD_MAP.values())


def test_no_stream_header_is_taken_by_a_common_field() -> None:
    # A header the readers map to a common key never reaches the details.
    for module in STREAMS.values():
        assert not set(module.FIELD_MAP) & set(HEADER_ALIASES), module.SOURCE


def test_licence_headers_map_to_keys() -> None:
    details = validate(
        "licensing",
        {"许可证编号": "沪XK16-204-00123", "有效期起": "2026/03/05", "有效期至": "2031年3月4日",
         "变更类型": "发证"},
    )  # fmt: skip
    assert details == {
        "licence_no": "沪XK16-204-00123",
        "valid_from": "2026-03-05",
        "valid_to": "2031-03-04",
        "action": "发证",
    }


def test_a_licence_that_ends_before_it_starts_is_rejected() -> None:
    exc = rejected(
        "licensing",
        {"licence_no": "沪XK16-204-1", "action": "变更", "valid_from": "2026-03-05",
         "valid_to": "2021-03-04"},
    )  # fmt: skip
    assert exc.reason == "invalid_value"
    assert "有效期至" in exc.message_zh


def test_spot_check_items_and_failed_items_are_parsed_from_text() -> None:
    details = validate(
        "spot_check",
        {
            "检验项目": "过充电保护:不合格;外部短路：合格；标志",
            "检验结论": "不合格",
            "不合格项目": "过充电保护、热滥用,标志；外部短路",
            "检验机构": "上海市质量监督检验技术研究院",
        },
    )
    assert details["items"] == [
        {"name": "过充电保护", "result": "不合格"},
        {"name": "外部短路", "result": "合格"},
        {"name": "标志", "result": ""},
    ]
    assert details["failed_items"] == ["过充电保护", "热滥用", "标志", "外部短路"]
    assert details["lab"] == "上海市质量监督检验技术研究院"


def test_a_conclusion_other_than_pass_or_fail_is_rejected() -> None:
    exc = rejected("spot_check", {"检验结论": "基本合格"})
    assert exc.reason == "invalid_value"
    assert "检验结论" in exc.message_zh and "基本合格" in exc.message_zh


def test_a_passed_check_with_failed_items_contradicts_itself() -> None:
    exc = rejected("spot_check", {"conclusion": "合格", "failed_items": ["甲醛含量"]})
    assert "甲醛含量" in exc.message_zh


def test_penalty_amounts_accept_yuan_and_wan() -> None:
    assert validate("penalty", {"案件编号": "X1", "罚没金额": "12,000元"})["amount_yuan"] == 12000
    assert validate("penalty", {"case_no": "X1", "amount_yuan": "1.2万元"})["amount_yuan"] == 12000
    assert validate("penalty", {"case_no": "X1", "amount_yuan": 350.5})["amount_yuan"] == 350.5
    assert rejected("penalty", {"case_no": "X1", "amount_yuan": "-5"}).reason == "invalid_value"


def test_a_missing_required_field_names_it() -> None:
    exc = rejected("penalty", {"违法行为": "销售不合格产品"})
    assert exc.reason == "missing_field"
    assert "案件编号" in exc.message_zh


def test_complaint_channel_must_be_known() -> None:
    assert validate("complaint", {"投诉渠道": "12315"}) == {"channel": "12315"}
    exc = rejected("complaint", {"投诉渠道": "微信"})
    assert "投诉渠道" in exc.message_zh and "微信" in exc.message_zh


def test_injury_severity_must_be_one_to_four() -> None:
    details = validate("injury", {"严重程度": "3级", "病例权重": "22.4", "医院": "上海市儿童医院"})
    assert details == {"severity": 3, "case_weight": 22.4, "hospital": "上海市儿童医院"}
    exc = rejected("injury", {"严重程度": 7})
    assert exc.reason == "invalid_value"
    assert "严重程度" in exc.message_zh and "7" in exc.message_zh
    assert rejected("injury", {"医院": "上海市儿童医院"}).reason == "missing_field"


@given(st.integers())
def test_severity_is_accepted_exactly_from_one_to_four(grade: int) -> None:
    if 1 <= grade <= 4:
        assert validate("injury", {"severity": str(grade)})["severity"] == grade
    else:
        assert rejected("injury", {"severity": grade}).reason == "invalid_value"


def test_recall_units_must_be_a_count() -> None:
    assert (
        validate("recall", {"召回编号": "沪市监召〔2026〕3号", "数量": "1,200件"})["units"] == 1200
    )
    exc = rejected("recall", {"召回编号": "沪市监召〔2026〕3号", "数量": "很多"})
    assert "数量" in exc.message_zh and "很多" in exc.message_zh
    assert rejected("recall", {"recall_no": "R", "units": 2.5}).reason == "invalid_value"


def test_media_url_and_time_are_checked() -> None:
    details = validate(
        "media",
        {"网址": "https://weibo.com/1/abc", "站点": "微博", "发布时间": "2026-11-20 09:30:00"},
    )
    assert details == {
        "url": "https://weibo.com/1/abc",
        "site": "微博",
        "published_at": "2026-11-20T09:30:00",
    }
    assert "网址" in rejected("media", {"网址": "weibo.com/1/abc"}).message_zh
    assert "发布时间" in rejected("media", {"发布时间": "昨天下午"}).message_zh


def test_unknown_keys_are_kept_and_validation_is_idempotent() -> None:
    raw = {"严重程度": "2", "处置": "门诊", "备注": "家长陪同"}
    once = validate("injury", raw)
    assert once["备注"] == "家长陪同"
    assert validate("injury", once) == once


def test_validate_record_keeps_the_headers_as_received_and_adds_keys() -> None:
    rec = validate_record(
        {"source": "recall", "external_id": "R-1", "title": "召回", "details": {
            "召回编号": "沪市监召〔2026〕3号", "数量": "300台"}},
        lambda v: None,
    )  # fmt: skip
    assert rec.details["units"] == 300
    assert rec.details["数量"] == "300台"
    assert rec.details["recall_no"] == "沪市监召〔2026〕3号"


def test_stations_and_foreign_recalls_keep_their_details_unchecked() -> None:
    rec = validate_record(
        {"source": "station", "external_id": "S-1", "title": "报送", "details": {"severity": 9}},
        lambda v: None,
    )
    assert rec.details == {"severity": 9}


def test_every_demo_record_validates() -> None:
    from pqrisk.demo.generator import generate

    dataset = generate(n_enterprises=80, days=45, scale=0.3)
    problems = []
    for rec in dataset.records:
        try:
            validate_record(rec, lambda v: v)
        except RecordRejected as exc:
            problems.append((rec["source"], exc.message_zh))
    assert {r["source"] for r in dataset.records} >= set(STREAMS)
    assert problems == []
