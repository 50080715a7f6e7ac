"""The screening form of a text: 繁→简, URLs and repost/news-page boilerplate removed."""

from __future__ import annotations

import re
import unicodedata
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from pqrisk.core.text.normalize import (
    _BOILERPLATE_INLINE,
    _FOOTER,
    _INLINE_STARTS,
    _nfkc,
    _sub_where,
    clean_text,
    normalize_text,
    remove_boilerplate,
    remove_urls,
    strip_html,
)
from pqrisk.core.text.numbers import parse_number, parse_quantity
from pqrisk.core.text.simplify import (
    has_traditional,
    simplify,
    to_simplified,
    traditional_only_characters,
)

# --- traditional → simplified --------------------------------------------------------------


def test_traditional_text_becomes_simplified() -> None:
    assert (
        clean_text("上海市閔行區一輛電動自行車充電時起火，造成三名兒童受傷。")
        == "上海市闵行区一辆电动自行车充电时起火,造成三名儿童受伤。"
    )


def test_phrases_take_precedence_over_characters() -> None:
    # 乾 alone is 干 (乾燥 → 干燥), but 乾隆 and 乾坤 keep it; 頭髮 is 头发.
    assert to_simplified("乾燥的頭髮，乾隆年間，乾坤") == "干燥的头发，乾隆年间，乾坤"


def test_simplified_text_is_never_touched() -> None:
    # 乾, 於 and 著 are valid simplified characters: without a traditional-only character the
    # converter does not run, so 於 the surname and 乾坤 stay.
    text = "於先生说乾坤未定,著名品牌的电热水壶"
    assert not has_traditional(text)
    assert simplify(text) == text
    assert clean_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("电动车", False), ("電動車", True), ("hello", False), ("", False), ("後來", True)],
)
def test_has_traditional(text: str, expected: bool) -> None:
    assert has_traditional(text) is expected


def test_traditional_only_characters_exclude_shared_ones() -> None:
    chars = traditional_only_characters()
    assert {"電", "閔", "區", "後"} <= chars
    assert not {"乾", "於", "电", "后"} & chars


S2T, T2S = OpenCC("s2t"), OpenCC("t2s")  # the reference (slow: ~1 ms per sentence)
SENTENCES = (
    "消费者反映购买的电暖器插头发烫冒烟,险些起火。",
    "市场监管部门对该批次儿童玩具进行抽查,发现邻苯二甲酸酯超标。",
    "一辆电动自行车在楼道充电时电池起火,造成两人受伤。",
    "记者联系了销售商家,对方表示将配合调查,涉事产品已经下架。",
    "专家提醒,发现产品存在安全隐患应立即停止使用并联系厂家。",
    "乾隆年间的干燥天气,头发和发展,后来的皇后只有一只猫。",
)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_same_result_as_opencc(sentence: str) -> None:
    traditional = S2T.convert(sentence)
    assert has_traditional(traditional)
    assert to_simplified(traditional) == T2S.convert(traditional)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4).map("".join))
def test_round_trip_of_simplified_text(text: str) -> None:
    traditional = S2T.convert(text)
    assert to_simplified(traditional) == T2S.convert(traditional)


# --- URLs, boilerplate, structure -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("详见https://www.samr.gov.cn/zw/abc.html?id=1。", "详见 。"),
        ("点此 http://t.cn/A6abcd 查看", "点此 查看"),
        ("官网www.example.com/recall说明", "官网 说明"),
        ("邮箱不是网址:a@b.cn", "邮箱不是网址:a@b.cn"),
    ],
)
def test_urls_are_removed(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert remove_urls("没有链接") == "没有链接"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # Reposts: the markers go, the comments stay.
        ("转发微博", ""),
        ("转发:避雷!6月28日买的断路器起火!!", "避雷!6月28日买的断路器起火!!"),
        ("【转发】电热毯自燃", "电热毯自燃"),
        ("好可怕//@张三:转发微博//@李四: 电动车电池鼓包了", "好可怕 电动车电池鼓包了"),
        ("太吓人了 O网页链接 展开全文", "太吓人了"),
        ("回复@王五:已经报警了", "已经报警了"),
        # News pages: labels with their short values.
        ("充电宝自燃。(责任编辑:王五)", "充电宝自燃。"),
        ("充电宝自燃。【来源:新民晚报】", "充电宝自燃。"),
        ("来源:澎湃新闻 充电宝自燃", "充电宝自燃"),
        ("原标题:充电宝自燃 正文", "充电宝自燃 正文"),
        # Footers: from the trigger's sentence to the end when short.
        (
            "闵行区一辆电动车起火。免责声明:本文转自网络,如有侵权请联系删除。点击上方蓝字关注我们",
            "闵行区一辆电动车起火。",
        ),
        ("电暖器冒烟。长按二维码关注公众号,获取更多资讯", "电暖器冒烟。"),
        # Content that only looks like boilerplate stays.
        ("消费者应关注产品标识和3C标志。", "消费者应关注产品标识和3C标志。"),
        ("问题来源:网购", "问题来源:网购"),
        ("商家转账退款", "商家转账退款"),
    ],
)
def test_boilerplate_is_removed(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_boilerplate_lines_of_a_news_page_go_whole() -> None:
    page = (
        "<p>原标题：上海一電動車起火 3人受傷</p>"
        "<p>新民晚報訊（記者 張三）昨日，閔行區一輛電動自行車充電時起火。</p>"
        "<p>（責任編輯：王五）</p><p>來源：新民晚報</p>"
    )
    assert clean_text(page) == "新民晚报讯(记者 张三)昨日,闵行区一辆电动自行车充电时起火。"


def test_a_long_text_loses_only_the_footer_sentence() -> None:
    body = "电动自行车在楼道充电时起火。" * 30
    text = body + "欢迎转发分享。" + body
    assert clean_text(text) == clean_text(body + body)


def test_strip_html_can_keep_lines() -> None:
    assert strip_html("<p>一</p><p>二</p>", block_separator="\n") == "\n一\n\n二\n"
    assert strip_html("<p>一</p><p>二</p>") == " 一  二 "


def test_remove_boilerplate_without_triggers_is_identity() -> None:
    text = "电热水壶壶身外壁温度很高,烫伤了孩子。"
    assert remove_boilerplate(text) is text


def test_clean_text_flags_turn_steps_off() -> None:
    raw = "電池 http://t.cn/x 转发微博"
    assert clean_text(raw, simplified=False, urls=False, boilerplate=False) == raw
    assert clean_text(raw) == "电池"


def test_normalize_text_keeps_its_contract() -> None:
    # Content hashes depend on normalize_text: it converts nothing and removes nothing.
    assert normalize_text("電池　转发微博 http://t.cn/x") == "電池 转发微博 http://t.cn/x"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("3", 3),
        ("1.2万", 12_000),
        ("3,000", 3_000),
        ("三", 3),
        ("两", 2),
        ("十二", 12),
        ("二十", 20),
        ("两百零五", 205),
        ("两万五千", 25_000),
        ("二〇二六", 2026),
        ("1.5亿", 150_000_000),
        ("三五十", None),
        ("abc", None),
    ],
)
def test_parse_number(token: str, value: float | None) -> None:
    assert parse_number(token) == value


@pytest.mark.parametrize(
    ("token", "value", "approximate"),
    [("十余", 10, True), ("20多", 20, True), ("近百", 100, True), ("上千", 1000, True),
     ("3万余", 30_000, True), ("十余万", 100_000, True), ("三", 3, False)],
)  # fmt: skip
def test_parse_quantity(token: str, value: int, approximate: bool) -> None:
    quantity = parse_quantity(token)
    assert quantity is not None
    assert (quantity.value, quantity.approximate) == (value, approximate)


# --- properties ------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "电動車", "起火", "转发微博", "//@张三:", "原标题:", "\n", "来源:新民晚报", " ",
        "(责任编辑:王五)", "http://t.cn/A6", "免责声明", "。", "<p>", "</p>", "&amp;",
        "点击关注", "１２３", "ＬＥＤ", "\u200b", "转", "发", "微", "博", "：", "!",
    ]
)  # fmt: skip
texts = st.one_of(st.text(), st.lists(FRAGMENTS, max_size=25).map("".join))


@given(texts)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(texts)
def test_clean_text_has_no_extra_whitespace_urls_or_traditional(text: str) -> None:
    clean = clean_text(text)
    assert clean == clean.strip()
    assert "  " not in clean and "\n" not in clean
    assert "http://" not in clean
    assert not has_traditional(clean)


@given(st.text())
def test_fast_nfkc_equals_unicodedata(text: str) -> None:
    assert _nfkc(text) == unicodedata.normalize("NFKC", text)


@given(st.text(alphabet="，：（）！？；　ＡＢ１２ａ电池Å\u0301\u30ab\u3099"))
def test_fast_nfkc_equals_unicodedata_on_wide_text(text: str) -> None:
    assert _nfkc(text) == unicodedata.normalize("NFKC", text)


# --- the fast boilerplate scans give the answers of the plain regular expressions -----------


def _first_chars(items: object) -> tuple[set[str], bool]:
    """The characters a match of a parsed pattern can begin with, and whether it can be
    empty; AssertionError for a pattern that could begin with any character."""
    c = sre_constants
    chars: set[str] = set()
    for op, av in items:  # type: ignore[attr-defined]
        if op is c.LITERAL:
            first, empty = {chr(av)}, False
        elif op is c.IN:
            first, empty = set(), False
            for kind, value in av:
                assert kind in (c.LITERAL, c.RANGE), f"unbounded first character: {kind}"
                lo, hi = (value, value) if kind is c.LITERAL else value
                first |= {chr(i) for i in range(lo, hi + 1)}
        elif op is c.BRANCH:
            parts = [_first_chars(alternative) for alternative in av[1]]
            first = set().union(*(p[0] for p in parts))
            empty = any(p[1] for p in parts)
        elif op is c.SUBPATTERN:
            first, empty = _first_chars(av[3])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            first, empty = _first_chars(av[2])
            empty = empty or av[0] == 0
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            first, empty = set(), True  # zero width
        else:
            raise AssertionError(f"unbounded first character: {op}")
        chars |= first
        if not empty:
            return chars, False
    return chars, True


def test_inline_rules_can_only_begin_at_their_start_characters() -> None:
    parsed = sre_parser.parse(_BOILERPLATE_INLINE.pattern, _BOILERPLATE_INLINE.flags)
    first, empty = _first_chars(parsed)
    assert not empty and parsed.getwidth()[0] > 0
    for ch in first:
        for variant in {ch, ch.lower(), ch.upper()}:
            assert _INLINE_STARTS.fullmatch(variant), variant
    assert _INLINE_STARTS.flags & re.IGNORECASE == _BOILERPLATE_INLINE.flags & re.IGNORECASE


BOILERPLATE_PIECES = st.sampled_from(
    [
        "转发微博", "//@张三:", "回复@李四:", "Repost", "repost", "REPOST", "O网页链接",
        "l网页链接", "网页链接", "展开全文", "查看原图", "点击阅读原文", "【转发】", "[转载]",
        "转发:", "转:",
        "(责任编辑:王五)", "【编辑:张三 李四】", " 审核:赵六", "来源:新民晚报", "(来源:澎湃新闻)",
        "新闻来源: 人民网 ", "原标题:", "原标题 :", "免责声明", "版权归原作者", "本文转自网络",
        "未经授权不得转载", "点击上方蓝字关注我们", "长按识别二维码", "扫码关注", "关注我们",
        "欢迎转发", "更多精彩请关注", "电动车", "起火", "。", ",", " ", "\n", "(", "[", "【", "a",
        "x", "来", "转", "发", "编", "原", "文", "R", "o",
    ]
)  # fmt: skip
boilerplate_texts = st.lists(BOILERPLATE_PIECES, max_size=30).map("".join)


@settings(max_examples=500)
@given(st.one_of(boilerplate_texts, st.text()))
def test_inline_removal_equals_the_plain_substitution(text: str) -> None:
    assert _sub_where(_BOILERPLATE_INLINE, _INLINE_STARTS, " ", text) == (
        _BOILERPLATE_INLINE.sub(" ", text)
    )


# The footer rule as first written: one group for the four verbs.
_GROUPED_FOOTER = re.compile(
    r"免责声明|版权声明|版权归原作者|如有侵权|侵删|本文(?:转载|转自|来源于|来自网络)|转载请注明"
    r"|未经(?:授权|许可)[^。\n]{0,8}(?:转载|使用)"
    r"|(?:点击|长按|扫描|扫码)[^。\n]{0,8}(?:关注|二维码)"
    r"|关注(?:我们|公众号)|欢迎(?:关注|转发|分享)|更多(?:资讯|精彩)[^。\n]{0,4}关注"
)


@settings(max_examples=500)
@given(st.one_of(boilerplate_texts, st.text()))
def test_footer_rule_finds_what_the_grouped_rule_finds(text: str) -> None:
    assert [m.span() for m in _FOOTER.finditer(text)] == [
        m.span() for m in _GROUPED_FOOTER.finditer(text)
    ]


def test_sub_where_keeps_look_behind_and_start_anchors() -> None:
    pattern = re.compile(r"(?:^|(?<=,))转:")
    starts = re.compile("转")
    for text in ("转:一,转:二 转:三", "a转:", ",转:", ""):
        assert _sub_where(pattern, starts, "_", text) == pattern.sub("_", text)
