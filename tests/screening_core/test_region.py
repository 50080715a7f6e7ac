"""Regions named in texts: the gazetteer built from companynameparser's place list."""

from __future__ import annotations

import pytest

from pqrisk.core.text.region import (
    CITY,
    DISTRICT,
    PROVINCE,
    Region,
    RegionFinder,
    find_regions,
    load_gazetteer,
)
from pqrisk.taxonomy.loader import load_districts


def region_of(text: str) -> str | None:
    region = find_regions(text).region
    return region.path if region else None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("上海市闵行区一居民家中", "上海市/闵行区"),
        ("家住闵行的王先生", "上海市/闵行区"),  # Shanghai's short district names
        ("浦东新区一小区", "上海市/浦东新区"),
        ("浙江义乌生产的玩具", "浙江省/金华市/义乌市"),  # a manufacturing town
        ("杭州一家工厂", "浙江省/杭州市"),
        ("广西某企业", "广西壮族自治区"),
        ("延边产品", "吉林省/延边朝鲜族自治州"),
        ("吉林一家工厂", "吉林省"),  # the province rather than the city
        # Shared district names: the other places named decide, then the home city.
        ("舟山市普陀区一居民", "浙江省/舟山市/普陀区"),
        ("普陀区一小区", "上海市/普陀区"),
        ("朝阳区", None),
        # Roads named after places, and words that contain a place name.
        ("在南京东路买的", None),
        ("延安中路", None),
        ("四川北路", None),
        ("黄浦江边", None),
        ("宁德时代电池", None),
        ("大理石台面", None),
        ("北京时间3月5日", None),
        ("开封后发现", None),  # 开封 "to unseal"
        ("卢湾区", "上海市/黄浦区"),  # merged in 2011
        ("临港新片区", "上海市/临港新片区"),
    ],
)
def test_regions(text: str, path: str | None) -> None:
    assert region_of(text) == path


def test_shanghai_districts_carry_their_codes() -> None:
    by_name = {r.district: r for r, _ in load_gazetteer()[0] if r.province == "上海市"}
    for district in load_districts():
        assert by_name[district.name].code == district.code


def test_mentions_and_unresolved_candidates() -> None:
    result = find_regions("鼓楼区和上海闵行")
    first, second, third = result.mentions
    assert (first.text, first.region) == ("鼓楼区", None)
    assert len(first.candidates) == 4
    assert (second.text, second.start, second.end) == ("上海", 4, 6)
    assert third.region is not None and third.region.level == DISTRICT
    assert result.region == third.region
    assert result.ambiguous == (first,)


def test_region_helpers() -> None:
    district = Region(DISTRICT, "上海市", "上海市", "闵行区", "310112")
    city = Region(CITY, "浙江省", "杭州市")
    province = Region(PROVINCE, "上海市")
    assert (district.name, district.path) == ("闵行区", "上海市/闵行区")
    assert city.path == "浙江省/杭州市"
    assert district.within(province) and not district.within(city)
    assert district.within(district)


def test_a_custom_gazetteer_and_home() -> None:
    a = Region(DISTRICT, "甲省", "乙市", "新区")
    b = Region(DISTRICT, "丙省", "丁市", "新区")
    finder = RegionFinder([(a, ("新区",)), (b, ("新区",))], home_province="丙省")
    assert finder.find("新区").region == b
    assert RegionFinder([]).find("新区").region is None
