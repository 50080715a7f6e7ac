"""Segmentation with jieba and a domain user dictionary."""

from __future__ import annotations

import pytest

from pqrisk.core.text.segment import (
    BRAND,
    DEFAULT_FREQUENCY,
    ENTERPRISE,
    PRODUCT,
    Segmenter,
    UserWord,
    build_user_dictionary,
    user_dictionary_text,
)


def test_user_dictionary_is_a_pure_function_of_the_lists() -> None:
    words = build_user_dictionary(
        products=["电动自行车", "电热水壶", "Ｘ"],  # one character: jieba cannot use it
        hazards=["起火", "电动自行车"],  # listed as a product already
        brands=["暖小象", "蓝 月亮"],  # a space inside: jieba cannot keep it whole
        enterprises=["上海橙岚实业有限公司"],
    )
    assert words == [
        UserWord("电动自行车", DEFAULT_FREQUENCY, PRODUCT),
        UserWord("电热水壶", DEFAULT_FREQUENCY, PRODUCT),
        UserWord("起火", DEFAULT_FREQUENCY, "hazard"),
        UserWord("暖小象", DEFAULT_FREQUENCY, BRAND),
        UserWord("上海橙岚实业有限公司", DEFAULT_FREQUENCY, ENTERPRISE),
    ]
    assert build_user_dictionary(products=["电热水壶", "电动自行车"])[0].word == "电动自行车"
    assert user_dictionary_text(words[:1]) == f"电动自行车 {DEFAULT_FREQUENCY} product\n"


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    words = build_user_dictionary(
        products=["电动自行车", "电暖器"], hazards=["邻苯二甲酸酯"], brands=["暖小象"]
    )
    return Segmenter(words)


def test_domain_words_stay_whole(segmenter: Segmenter) -> None:
    assert segmenter.cut("闵行区一辆电动自行车充电时起火") == [
        "闵行区", "一辆", "电动自行车", "充电", "时", "起火",
    ]  # fmt: skip
    assert "邻苯二甲酸酯" in segmenter.cut("儿童玩具检出邻苯二甲酸酯超标")


def test_tokens_have_offsets(segmenter: Segmenter) -> None:
    text = "暖小象牌 电暖器起火"
    tokens = segmenter.tokens(text)
    assert ("暖小象", 0, 3) in tokens and ("电暖器", 5, 8) in tokens
    assert all(text[s:e] == w for w, s, e in tokens)


def test_initialisation_is_lazy_quiet_and_measured(capfd: pytest.CaptureFixture[str]) -> None:
    s = Segmenter(["测试词语"], hmm=False)
    assert s.init_seconds is None
    seconds = s.warm_up()
    assert seconds > 0 and s.init_seconds == seconds
    assert s.cut("测试词语") == ["测试词语"]
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
