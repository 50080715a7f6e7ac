"""Exact de-duplication of reposts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.screening.dedup import content_hash, dedup_exact
from pqrisk.core.text.normalize import normalize_text

TITLE = "某品牌电动自行车电池起火"
TEXT = "近日，浦东新区发生一起电动自行车充电时电池起火事故，所幸无人员伤亡。"
FULL_WIDTH = str.maketrans({"，": ",", "。": ".", "！": "!", "（": "(", "）": ")"})

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
words = st.text(alphabet=cjk | st.sampled_from("abcXYZ0123456789"), min_size=1, max_size=6)
punct = st.sampled_from(["，", "。", ",", ".", "！", "!", "、", "：", ":"])


def test_hash_is_sha256_hex() -> None:
    h = content_hash(TITLE, TEXT)
    assert len(h) == 64 and int(h, 16) >= 0


def test_reposts_are_duplicates_of_the_first() -> None:
    items = [
        (TITLE, TEXT),
        ("另一条", "无关内容"),
        (f"<h1>{TITLE}</h1>", f"<p>{TEXT}</p>"),
        (TITLE, TEXT.translate(FULL_WIDTH)),
        (f" {TITLE} ", TEXT.replace("，", "， ")),
        ("另一条", "无关内容"),
        (TITLE, TEXT + "更新"),
    ]
    assert dedup_exact(items) == [None, None, 0, 0, 0, 1, None]


def test_different_texts_differ() -> None:
    assert content_hash(TITLE, TEXT) != content_hash(TITLE, TEXT.replace("浦东", "嘉定"))


@given(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=20))
def test_dedup_points_to_the_first_equal_item(items: list[tuple[str, str]]) -> None:
    out = dedup_exact(items)
    assert len(out) == len(items)
    hashes = [content_hash(*item) for item in items]
    for i, j in enumerate(out):
        if j is None:
            assert hashes[i] not in hashes[:i]
        else:
            assert j < i and hashes[j] == hashes[i] and out[j] is None
            assert hashes.index(hashes[i]) == j


@given(st.text(), st.text())
def test_hash_is_idempotent_under_normalisation(title: str, text: str) -> None:
    assert content_hash(normalize_text(title), normalize_text(text)) == content_hash(title, text)


@given(st.lists(st.tuples(words, punct), min_size=1, max_size=10), st.data())
def test_reposts_differing_in_whitespace_width_and_tags_hash_the_same(
    parts: list[tuple[str, str]], data: st.DataObject
) -> None:
    original = "".join(w + p for w, p in parts)
    spaced = "".join(
        w + data.draw(st.sampled_from(["", " ", "\n", "\u3000"])) + p for w, p in parts
    )
    full_width = original.translate(FULL_WIDTH)
    tagged = "".join(
        data.draw(st.sampled_from(["", "<p>", "<b>", "</span>", "<br/>"])) + w + p for w, p in parts
    )
    h = content_hash("标题", original)
    assert content_hash("标题", spaced) == h
    assert content_hash("标题", full_width) == h
    assert content_hash("<b>标题</b>", tagged) == h
