"""Districts: the 16 Shanghai districts plus 临港新片区, found by full or short name."""

from __future__ import annotations

import pytest

from pqrisk.taxonomy.loader import district_by_name, load_districts


def test_seventeen_districts_with_unique_six_digit_codes() -> None:
    districts = load_districts()
    assert len(districts) == 17
    codes = [d.code for d in districts]
    assert len(set(codes)) == 17
    assert all(len(code) == 6 and code.isdigit() and code.startswith("31") for code in codes)


def test_lingang_is_the_only_special_area() -> None:
    special = [d for d in load_districts() if d.kind == "special_area"]
    assert [(d.code, d.name) for d in special] == [("310199", "临港新片区")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("浦东新区", "310115"),
        ("浦东", "310115"),
        ("浦东区", "310115"),
        ("上海市浦东新区", "310115"),
        (" 黄浦区 ", "310101"),
        ("徐汇", "310104"),
        ("310151", "310151"),
        ("临港", "310199"),
        ("临港新片区", "310199"),
        ("中国(上海)自由贸易试验区临港新片区", "310199"),
        ("闸北区", "310106"),
        ("南汇", "310115"),
    ],
)
def test_district_by_name(text: str, code: str) -> None:
    district = district_by_name(text)
    assert district is not None and district.code == code


@pytest.mark.parametrize("text", ["", "北京市", "浦", "杭州市西湖区"])
def test_unknown_names_give_none(text: str) -> None:
    assert district_by_name(text) is None


def test_every_full_and_short_name_round_trips() -> None:
    for district in load_districts():
        assert district_by_name(district.name) == district
        assert district_by_name(district.short_name) == district
