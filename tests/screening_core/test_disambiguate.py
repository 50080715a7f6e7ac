"""Semantic disambiguation: 苹果 the brand or the fruit, 电池 of an e-bike or of a toy, and
mentions left open (never guessed) when the cues are absent or conflict."""

from __future__ import annotations

import pytest

from pqrisk.core.screening.disambiguate import (
    AMBIGUOUS,
    BRAND,
    CONTEXT,
    DOCUMENT,
    NONE,
    OTHER,
    PRODUCT,
    RESOLVED,
    DisambiguationTableError,
    Disambiguator,
    disambiguate,
    load_table,
    parse_table,
)
from pqrisk.core.screening.extract import extract
from pqrisk.taxonomy.loader import product_by_code


def senses(text: str) -> list[tuple[str, str, str | None]]:
    """(term, status, sense key) for every mention."""
    return [(r.term, r.status, r.sense.key if r.sense else None) for r in disambiguate(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 苹果: the phone brand, the fruit, or open.
        ("我的苹果手机充电时突然冒烟", [("苹果", RESOLVED, "apple_brand")]),
        ("iPhone用户反映苹果售后不给换机", [("苹果", RESOLVED, "apple_brand")]),
        ("超市买了两斤苹果,回家发现苹果烂了",
         [("苹果", RESOLVED, "apple_fruit"), ("苹果", RESOLVED, "apple_fruit")]),
        ("果园里的苹果树打了农药", [("苹果", RESOLVED, "apple_fruit")]),
        ("苹果又出问题了", [("苹果", AMBIGUOUS, None)]),
        # Both senses cued equally: conflicting, so left open.
        ("苹果的屏幕上沾了果汁", [("苹果", AMBIGUOUS, None)]),
        # 小米: the brand or the grain.
        ("小米充电宝在包里鼓包", [("小米", RESOLVED, "xiaomi_brand")]),
        ("早上喝了小米粥", [("小米", RESOLVED, "millet")]),
        ("家里的小米和大米都发霉了", [("小米", RESOLVED, "millet")]),
        ("小米怎么样", [("小米", AMBIGUOUS, None)]),
        # 电池: whose battery?
        ("电动车电池在楼道里起火", [("电池", RESOLVED, "ebike_battery")]),
        ("孩子玩具里的电池被误吞", [("电池", RESOLVED, "toy_battery")]),
        ("手机电池鼓包", [("电池", RESOLVED, "phone_battery")]),
        ("电池起火", [("电池", AMBIGUOUS, None)]),
        # Brands that are ordinary words.
        ("商家老板说不退货", [("老板", RESOLVED, "boss")]),
        ("老板牌油烟机漏电", [("老板", RESOLVED, "robam_brand")]),
        ("这里的风景很美的", [("美的", RESOLVED, "beautiful")]),
        ("美的空调漏水", [("美的", RESOLVED, "midea_brand")]),
        ("公牛插座烧焦了", [("公牛", RESOLVED, "bull_brand")]),
        ("小熊玩偶的眼睛脱落", [("小熊", RESOLVED, "teddy_bear")]),
        ("电动车头盔不合格", [("头盔", RESOLVED, "ebike_helmet")]),
        ("工地安全帽和头盔", [("头盔", RESOLVED, "hard_hat")]),
        ("头盔质量差", [("头盔", AMBIGUOUS, None)]),
        # 华为 is not ambiguous: not in the table.
        ("华为手机", []),
    ],
)  # fmt: skip
def test_senses(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert senses(text) == expected


def test_two_mentions_of_one_term_are_resolved_each_by_its_own_context() -> None:
    resolutions = disambiguate("他用苹果手机拍了一斤苹果")
    assert [(r.start, r.end, r.sense.key if r.sense else None) for r in resolutions] == [
        (2, 4, "apple_brand"),
        (10, 12, "apple_fruit"),
    ]


def test_cues_say_why() -> None:
    (r,) = disambiguate("我的苹果手机充电时突然冒烟")
    assert r.basis == CONTEXT
    assert [(c.word, c.start, c.end, c.weight) for c in r.cues] == [
        ("手机", 4, 6, 3),  # right after the term
        ("充电", 6, 8, 1),  # in the window
    ]
    assert dict(r.scores) == {"apple_brand": 4, "apple_fruit": 0}


def test_cues_far_away_count_only_when_the_window_has_none() -> None:
    far = "。" * 20
    (r,) = disambiguate(f"苹果又出事了{far}用户称充电时手机发烫")
    assert (r.status, r.sense and r.sense.key, r.basis) == (RESOLVED, "apple_brand", DOCUMENT)
    (r,) = disambiguate(f"苹果又出事了{far}没有任何线索")
    assert (r.status, r.basis) == (AMBIGUOUS, NONE)
    assert {s.key for s in r.candidates} == {"apple_brand", "apple_fruit"}


def test_an_ambiguous_mention_lists_the_senses_that_scored() -> None:
    (r,) = disambiguate("苹果的屏幕上沾了果汁")
    assert r.sense is None
    assert {s.key for s in r.candidates} == {"apple_brand", "apple_fruit"}
    assert {c.word for c in r.cues} == {"屏幕", "果汁"}


def test_latin_cues_are_case_insensitive_and_start_a_word() -> None:
    assert senses("新买的苹果IPHONE发烫") == [("苹果", RESOLVED, "apple_brand")]
    assert senses("苹果 xiphone") == [("苹果", AMBIGUOUS, None)]


# --- the table --------------------------------------------------------------------------------


def test_packaged_table_is_valid_and_its_codes_exist() -> None:
    specs = load_table()
    assert {"苹果", "小米", "电池", "充电器", "头盔", "老板"} <= {s.term for s in specs}
    for spec in specs:
        kinds = {s.kind for s in spec.senses}
        assert kinds <= {PRODUCT, BRAND, OTHER}
        for sense in spec.senses:
            if sense.kind == PRODUCT:
                assert product_by_code(sense.code) is not None, (spec.term, sense.code)
            if sense.kind == BRAND:
                assert sense.brand


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[[term]]\nterm='苹果'\n[[term.sense]]\nkey='a'\nkind='other'", "two senses"),
        ("[[term]]\nterm = 'x'\n[[term.sense]]\nkey='a'\nkind='product'\n"
         "[[term.sense]]\nkey='b'\nkind='other'", "needs a code"),
        ("[[term]]\nterm = 'x'\n[[term.sense]]\nkey='a'\nkind='thing'", "kind must be"),
        ("[[term]]\nterm = 'x'\n[[term.sense]]\nkey='a'\nkind='other'\ncues='手机'\n"
         "[[term.sense]]\nkey='b'\nkind='other'", "list of non-empty strings"),
        ("[[term]]\nterm='x'\n[[term.sense]]\nkey='a'\nkind='other'\n[[term.sense]]\n"
         "key='b'\nkind='other'\n[[term]]\nterm='x'", "listed twice"),
        ("term = [", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_malformed_table_is_refused_with_a_clear_message(source: str, message: str) -> None:
    with pytest.raises(DisambiguationTableError, match=message):
        parse_table(source)


def test_a_custom_table() -> None:
    table = parse_table(
        """
        window = 4
        [[term]]
        term = "长城"
        [[term.sense]]
        key = "car"
        kind = "brand"
        brand = "长城"
        cues = ["汽车"]
        [[term.sense]]
        key = "wall"
        kind = "other"
        cues = ["八达岭"]
        """
    )
    d = Disambiguator(table)
    assert d.terms == frozenset({"长城"})
    assert [r.sense and r.sense.key for r in d.resolve("长城汽车召回")] == ["car"]
    # 汽车 is outside the 4-character window, and counts only as a document cue.
    (r,) = d.resolve("长城,很多很多年以后的汽车")
    assert r.basis == DOCUMENT


# --- in extraction ----------------------------------------------------------------------------


def test_extraction_uses_resolved_senses_and_marks_the_rest() -> None:
    x = extract("我的苹果手机充电时冒烟。另外,超市买的一斤苹果也烂了")
    assert x.brands == ("苹果",)
    assert "140101" in x.products  # 手机
    sense = x.evidence_for("sense")
    assert [(e.value, e.text) for e in sense] == [("apple_fruit", "苹果")]

    x = extract("电池起火了")
    assert not x.products
    (amb,) = x.ambiguous
    assert (amb.value, amb.text) == ("电池", "电池")
    assert "电动自行车用锂离子蓄电池" in amb.note


def test_a_resolved_product_sense_is_a_product_with_its_cues_as_evidence() -> None:
    x = extract("电动车的电池在楼道里起火")
    assert x.products == ("030101", "030102", "03")
    (ev,) = [e for e in x.evidence_for("product") if e.value == "030102"]
    assert (ev.text, ev.start, ev.end) == ("电池", 4, 6)
    assert ev.note == "电动自行车用锂离子蓄电池（依据：电动车、楼道）"


def test_conflicting_cues_leave_the_second_mention_open() -> None:
    # 手机 and 充电 (brand, 1 each) against 斤 right before it (fruit, 3): 3 < 2 × 2 + 1.
    (_, second) = disambiguate("我的苹果手机充电时冒烟,买的一斤苹果也烂了")
    assert second.status == AMBIGUOUS
    assert dict(second.scores) == {"apple_brand": 2, "apple_fruit": 3}


def test_a_longer_catalogue_term_wins_over_the_ambiguous_word_inside_it() -> None:
    x = extract("纽扣电池被孩子误吞")
    assert x.products == ("200403",)
    assert not x.resolutions
