"""The product catalogue is a well-formed three-level tree that points at real outside codes."""

from __future__ import annotations

import pytest

from pqrisk.taxonomy.loader import (
    CODE_LENGTH,
    LEVEL_CLASS,
    LEVEL_FAMILY,
    LEVEL_PRODUCT,
    load_products,
    product_by_code,
    product_path,
)

FAMILIES = {
    "01": "家用电器",
    "02": "电线电缆",
    "03": "电动自行车及电池",
    "04": "儿童用品及玩具",
    "05": "纺织服装",
    "06": "燃气器具",
    "07": "建筑和装饰装修材料",
    "08": "文具及学生用品",
    "09": "化工产品及日用化学品",
    "10": "劳动防护用品",
    "11": "照明电器",
    "12": "家具",
    "13": "食品相关产品",
    "14": "电子及信息产品",
    "15": "五金工具及机械",
    "16": "消防产品",
    "17": "车辆及配件",
    "18": "体育及休闲用品",
    "19": "鞋类及箱包",
    "20": "电器附件及电源（插头插座、充电器、移动电源）",
}


def test_codes_are_unique() -> None:
    codes = [product.code for product in load_products()]
    assert len(codes) == len(set(codes))


def test_families_are_the_agreed_twenty() -> None:
    families = {p.code: p.name for p in load_products() if p.level == LEVEL_FAMILY}
    assert families == FAMILIES


def test_every_code_has_the_length_and_digits_of_its_level() -> None:
    for product in load_products():
        assert product.level in (LEVEL_FAMILY, LEVEL_CLASS, LEVEL_PRODUCT)
        assert len(product.code) == CODE_LENGTH[product.level], product
        assert product.code.isdigit(), product


def test_every_parent_exists_one_level_up_and_prefixes_the_code() -> None:
    for product in load_products():
        if product.level == LEVEL_FAMILY:
            assert product.parent_code == "", product
            continue
        parent = product_by_code(product.parent_code)
        assert parent is not None, f"{product.code} has no parent {product.parent_code}"
        assert parent.level == product.level - 1, product
        assert product.code.startswith(parent.code), product


def test_every_family_and_class_has_children() -> None:
    parents = {product.parent_code for product in load_products()}
    for product in load_products():
        if product.level != LEVEL_PRODUCT:
            assert product.code in parents, f"{product.code} {product.name} has no children"


def test_every_product_has_keywords_without_duplicates() -> None:
    for product in load_products():
        if product.is_leaf:
            assert product.keywords, product
        assert len(product.keywords) == len(set(product.keywords)), product


def test_names_are_unique_among_products() -> None:
    names = [p.name for p in load_products() if p.is_leaf]
    assert len(names) == len(set(names))


def test_group_flags_hold_for_every_product_below() -> None:
    products = load_products()
    for group in products:
        if group.is_leaf:
            continue
        leaves = [p for p in products if p.is_leaf and p.code.startswith(group.code)]
        assert group.ccc == all(p.ccc for p in leaves), group
        assert group.licensed == all(p.licensed for p in leaves), group
        assert group.vulnerable_users == all(p.vulnerable_users for p in leaves), group


def test_children_products_are_flagged_for_vulnerable_users() -> None:
    family = product_by_code("04")
    assert family is not None and family.vulnerable_users


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("电动自行车", "电瓶车"),
        ("电动自行车", "电单车"),
        ("电动自行车用锂离子蓄电池", "锂电池"),
        ("电热水壶", "电水壶"),
        ("移动电源", "充电宝"),
    ],
)
def test_leaf_keywords_cover_everyday_words(name: str, keyword: str) -> None:
    (product,) = [p for p in load_products() if p.is_leaf and p.name == name]
    assert keyword in product.keywords


def test_product_path_runs_from_family_to_leaf() -> None:
    path = product_path("030101")
    assert [p.code for p in path] == ["03", "0301", "030101"]
    assert path[-1].name == "电动自行车"
    assert [p.code for p in product_path("03")] == ["03"]


def test_product_path_rejects_unknown_codes() -> None:
    with pytest.raises(KeyError, match="999999"):
        product_path("999999")


def test_every_neiss_code_exists(neiss_product_codes: set[str]) -> None:
    for product in load_products():
        for code in product.neiss_codes:
            assert code in neiss_product_codes, f"{product.code} {product.name}: NEISS {code}"


def test_every_safety_gate_category_exists(safety_gate: dict[str, list[str]]) -> None:
    categories = set(safety_gate["product_category"])
    for product in load_products():
        if product.safety_gate_category:
            assert product.safety_gate_category in categories, product


def test_every_safety_gate_category_maps_to_the_catalogue(
    safety_gate: dict[str, list[str]],
) -> None:
    used = {p.safety_gate_category for p in load_products()}
    assert set(safety_gate["product_category"]) - used == set()
