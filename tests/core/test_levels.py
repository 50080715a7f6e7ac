"""Every level and kind carries its label, meaning, colour and rank, and Django choices."""

from __future__ import annotations

import re
from enum import Enum

import pytest

from pqrisk.core.levels import (
    Attention,
    DisposalRoute,
    RiskLevel,
    Scope,
    WarningLevel,
    WarningMode,
)

ALL = (RiskLevel, WarningLevel, WarningMode, Scope, Attention, DisposalRoute)
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("enum", ALL)
def test_choices_are_value_label_pairs_in_declaration_order(enum: type[Enum]) -> None:
    choices = enum.choices()  # type: ignore[attr-defined]
    assert choices == [(m.value, m.label) for m in enum]  # type: ignore[attr-defined]
    assert len({v for v, _ in choices}) == len(choices)


@pytest.mark.parametrize("enum", ALL)
def test_labels_and_meanings_are_chinese(enum: type[Enum]) -> None:
    for member in enum:
        assert HAN.search(member.label), member  # type: ignore[attr-defined]
        assert HAN.search(member.meaning), member  # type: ignore[attr-defined]


@pytest.mark.parametrize("enum", ALL)
def test_members_are_their_values(enum: type[Enum]) -> None:
    for member in enum:
        assert member == member.value
        assert str(member) == member.value
        assert f"{member}" == member.value
        assert enum(member.value) is member


def test_risk_levels() -> None:
    assert RiskLevel.choices() == [
        ("serious", "严重风险"),
        ("high", "高风险"),
        ("medium", "中风险"),
        ("low", "低风险"),
    ]
    ranks = [m.rank for m in RiskLevel]
    assert ranks == sorted(ranks, reverse=True)
    assert len(set(ranks)) == 4


@pytest.mark.parametrize("enum", [RiskLevel, WarningLevel])
def test_levels_have_hex_colours(enum: type[RiskLevel] | type[WarningLevel]) -> None:
    for member in enum:
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", member.colour)
    assert len({m.colour for m in enum}) == len(enum)


def test_warning_levels() -> None:
    assert WarningLevel.choices() == [
        ("red", "红色预警"),
        ("orange", "橙色预警"),
        ("yellow", "黄色预警"),
        ("green", "绿色预警"),
    ]
    assert [m.rank for m in WarningLevel] == [4, 3, 2, 1]
    assert WarningLevel.RED.issuer == "city"
    assert WarningLevel.ORANGE.issuer == "city"
    assert WarningLevel.YELLOW.issuer == "district"
    assert WarningLevel.GREEN.issuer == "district"
    assert [m.publish_within_hours for m in WarningLevel] == [2, 12, 24, 72]
    assert (
        WarningLevel.RED.disposal == WarningLevel.ORANGE.disposal == "市局统一组织立即开展应急处置"
    )
    assert WarningLevel.YELLOW.disposal == "区局处置，处置完成后24小时内书面报告市局"
    assert WarningLevel.GREEN.disposal.startswith("持续跟踪监测")


def test_warning_modes_name_their_audience() -> None:
    assert [(m.value, m.label, m.audience) for m in WarningMode] == [
        ("internal_notice", "风险通报", "监管部门"),
        ("industry_warning", "风险警示", "生产经营者"),
        ("consumer_advisory", "风险提示", "消费者"),
    ]


def test_scope_attention_and_routes() -> None:
    assert Scope.choices() == [
        ("city", "全市"),
        ("multi_district", "多区"),
        ("district", "单区"),
        ("enterprise", "单个企业"),
    ]
    assert Scope.CITY.rank > Scope.MULTI_DISTRICT.rank > Scope.DISTRICT.rank > Scope.ENTERPRISE.rank
    assert Attention.choices() == [("normal", "一般"), ("high", "较高"), ("very_high", "很高")]
    assert Attention.VERY_HIGH.rank > Attention.HIGH.rank > Attention.NORMAL.rank
    assert [m.label for m in DisposalRoute] == [
        "监督检查",
        "通报认证机构",
        "执法查处",
        "缺陷召回监管",
        "标准反馈",
        "长三角共享",
        "持续监测",
    ]
