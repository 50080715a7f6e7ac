"""Normalised text: markup, width, zero-width characters and spacing removed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.text.normalize import fingerprint_text, normalize_text, strip_html


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  电动自行车\n\n  起火  ", "电动自行车 起火"),
        ("ＬＥＤ台灯　蓝光超标", "LED台灯 蓝光超标"),  # full-width letters and space
        ("１２３ｋｇ", "123kg"),
        ("<p>儿童<b>玩具</b></p><p>小零件</p>", "儿童玩具 小零件"),
        ("a<br>b", "a b"),
        ("x&nbsp;&amp;&lt;5&gt;&#x4E2D;", "x &<5>中"),
        ("&lt;b&gt;转义的标记也去掉&lt;/b&gt;", "转义的标记也去掉"),
        ("&amp;lt;p&amp;gt;双重转义&amp;lt;/p&amp;gt;", "双重转义"),
        ("<script>alert(1)</script><style>p{}</style>正文", "正文"),
        ("<!-- 注释 -->正文", "正文"),
        ("零\u200b宽\u200d字\ufeff符\u00ad", "零宽字符"),
        ("3 < 5 且 5 > 3", "3 < 5 且 5 > 3"),
        ("<![if 未闭合", "<![if 未闭合"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_chinese_is_kept_and_nfkc_applied() -> None:
    assert normalize_text("上海市市场监督管理局，（通报）") == "上海市市场监督管理局,(通报)"


def test_strip_html_leaves_plain_text_alone() -> None:
    assert strip_html("纯文本") == "纯文本"


def test_fingerprint() -> None:
    assert fingerprint_text("【通报】", "Ｈｅｌｌｏ， 世界！★") == "通报hello世界"
    assert fingerprint_text("标题", "<p>正文</p>") == fingerprint_text("标题", "正文")


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text())
def test_normalized_text_has_no_extra_whitespace(text: str) -> None:
    clean = normalize_text(text)
    assert clean == clean.strip()
    assert "  " not in clean
    assert "\u200b" not in clean and "\ufeff" not in clean


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)))
def test_chinese_text_survives(text: str) -> None:
    assert normalize_text(text) == text
