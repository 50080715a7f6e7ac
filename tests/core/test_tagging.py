"""Keyword tagging of products, hazards and districts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.screening.tagging import KeywordTagger, Tags, Vocabulary

PRODUCTS = [
    Vocabulary("bicycle", ("自行车",), level=2),
    Vocabulary("e_bike", ("电动自行车", "电动车"), level=3),
    Vocabulary("vehicle", ("车辆",), level=1),
    Vocabulary("led_lamp", ("LED台灯", "led"), level=3),
    Vocabulary("toy", ("玩具", "儿童玩具"), level=2),
]
HAZARDS = [
    Vocabulary("fire", ("起火", "着火", "火灾")),
    Vocabulary("battery", ("电池鼓包",)),
    Vocabulary("small_parts", ("小零件",)),
]
DISTRICTS = [
    Vocabulary("310115", ("浦东新区", "浦东")),
    Vocabulary("310114", ("嘉定区", "嘉定")),
]
TAGGER = KeywordTagger(products=PRODUCTS, hazards=HAZARDS, districts=DISTRICTS)


def test_a_story() -> None:
    tags = TAGGER.tag("浦东新区一辆电动自行车充电时起火，现场另有自行车着火，火灾原因待查。")
    assert tags.products == ("e_bike", "bicycle")
    assert tags.hazards == ("fire",)
    assert tags.districts == ("310115",)
    assert ("district", "310115", "浦东新区") in tags.matches
    assert ("district", "310115", "浦东") not in tags.matches  # inside 浦东新区


def test_longer_match_of_the_same_kind_wins() -> None:
    tags = TAGGER.tag("电动自行车")
    assert tags.products == ("e_bike",)
    assert tags.matches == (("product", "e_bike", "电动自行车"),)


def test_more_specific_product_first_even_with_fewer_hits() -> None:
    tags = TAGGER.tag("车辆、车辆、车辆和一辆电动车")
    assert tags.products == ("e_bike", "vehicle")


def test_hazards_by_hits_then_term_length() -> None:
    tags = TAGGER.tag("玩具有小零件，电池鼓包，小零件脱落")
    assert tags.hazards == ("small_parts", "battery")
    assert TAGGER.tag("电池鼓包，小零件").hazards == ("battery", "small_parts")


def test_text_and_terms_are_normalised_and_lower_cased() -> None:
    assert TAGGER.tag("ｌｅｄ台灯蓝光").products == ("led_lamp",)
    assert TAGGER.tag("<p>LED台灯</p>").products == ("led_lamp",)
    assert TAGGER.tag("嘉\u200b定区的玩具").districts == ("310114",)


def test_latin_terms_match_whole_words_only() -> None:
    assert TAGGER.tag("ledger and sled").products == ()
    assert TAGGER.tag("一盏led灯").products == ("led_lamp",)


def test_same_term_in_two_kinds_tags_both() -> None:
    tagger = KeywordTagger(
        products=[Vocabulary("heater", ("取暖器",))],
        hazards=[Vocabulary("heat", ("取暖器",))],
        districts=[],
    )
    tags = tagger.tag("取暖器")
    assert tags.products == ("heater",) and tags.hazards == ("heat",)


def test_empty_vocabularies_and_texts() -> None:
    empty = KeywordTagger(products=[], hazards=[Vocabulary("x", ("", "  "))], districts=[])
    assert empty.tag("任何文本") == Tags((), (), (), ())
    assert TAGGER.tag("") == Tags((), (), (), ())


texts = st.lists(
    st.sampled_from(["电动自行车", "自行车", "起火", "浦东", "嘉定区", "玩具", "，", "的", " "]),
    max_size=30,
).map("".join)


@given(texts)
def test_tags_properties(text: str) -> None:
    tags = TAGGER.tag(text)
    for kind, codes in (("product", tags.products), ("hazard", tags.hazards)):
        assert len(set(codes)) == len(codes)
        assert set(codes) == {code for k, code, _ in tags.matches if k == kind}
    assert len(set(tags.matches)) == len(tags.matches)
    for _, _, term in tags.matches:
        assert term.lower() in text.lower()
    if "电动自行车" in text and "自行车" not in text.replace("电动自行车", ""):
        assert "bicycle" not in tags.products
    assert TAGGER.tag(text) == tags


def test_the_product_mentioned_most_and_first_comes_first() -> None:
    tagger = KeywordTagger(
        products=[
            Vocabulary("heater", ("取暖器",), level=3),
            Vocabulary("charger", ("手机充电器",), level=3),
        ],
        hazards=HAZARDS,
        districts=[],
    )
    text = "取暖器外壳过热起火，当时旁边还插着手机充电器；该取暖器购于去年。"
    assert tagger.tag(text).products == ("heater", "charger")
    assert tagger.tag("手机充电器起火，旁边的取暖器也被烧坏").products == ("charger", "heater")
