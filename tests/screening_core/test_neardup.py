"""Near-duplicate de-duplication: reposts found, strangers left alone, the first seen wins."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.screening import neardup
from pqrisk.core.screening.neardup import (
    IndexParameterError,
    IndexVersionError,
    NearDupIndex,
    choose_bands,
    fingerprint_codes,
    shingle_hashes,
)
from pqrisk.core.text.normalize import clean_text, fingerprint_text, normalize_text

STORY = (
    "浦东新区一小区内发生一起电动自行车充电时电池起火事件。据居民王女士介绍，家中的某品牌"
    "电动自行车在楼道充电时突然冒烟起火，楼道墙面被熏黑，邻居都吓坏了，消防员到场后才把火扑灭。"
    "记者联系了销售商家，对方表示将配合调查。当地市场监管部门已介入调查，目前涉事产品已被下架。"
    "专家提醒，消费者应通过正规渠道购买有3C标志的产品，不要在楼道和室内为电动自行车充电。"
)
COMPLAINT = (
    "我于3月5日在某电商平台购买了一款儿童玩具，孩子玩耍时小零件脱落，差点误吞，吓坏了全家。"
    "联系商家要求处理，客服一直推诿不处理。希望监管部门核查处理，要求退货退款并赔偿损失。"
)
RECALL = (
    "某公司召回部分电热水壶。该批次产品壶体与底座连接处绝缘不良，使用中可能导致触电。"
    "消费者可联系经销商免费更换底座，召回范围为2025年8月至10月生产的产品，共计一万二千余台。"
)
HALF_WIDTH = str.maketrans({"，": ",", "。": ".", "：": ":", "（": "(", "）": ")"})

_rng = random.Random(20261126)
# 600 characters of varied Chinese for shift tests: every 5-gram occurs once.
POOL = "".join(chr(0x4E00 + _rng.randrange(6000)) for _ in range(600))


def exact_jaccard(a: str, b: str, k: int = 5) -> float:
    fa, fb = fingerprint_text("", a), fingerprint_text("", b)
    sa = {fa[i : i + k] for i in range(len(fa) - k + 1)}
    sb = {fb[i : i + k] for i in range(len(fb) - k + 1)}
    return len(sa & sb) / len(sa | sb)


@pytest.fixture
def index() -> NearDupIndex:
    idx = NearDupIndex()
    assert idx.check_and_add("orig", STORY) is None
    assert idx.check_and_add("other", COMPLAINT) is None
    return idx


@pytest.mark.parametrize(
    "repost",
    [
        "转发：" + STORY,
        "原标题：" + STORY,
        "【转载】" + STORY + "（责任编辑：张三）",
        "//@市民热线: 大家注意 " + STORY,
        STORY + "来源：新民晚报",
        STORY.translate(HALF_WIDTH),
        STORY.replace("，", "， ").replace("。", "。\n"),
        "".join(f"<p>{s}。</p>" for s in STORY.split("。") if s),
        "浦东新区ー小区" + STORY[7:],  # a look-alike character
    ],
)
def test_reposts_with_boilerplate_spacing_width_and_markup_are_found(
    index: NearDupIndex, repost: str
) -> None:
    match = index.check_and_add("repost", repost)
    assert match is not None
    assert match.duplicate_of == "orig"
    assert match.similarity >= index.threshold


def test_an_edited_repost_is_a_near_duplicate_with_its_estimated_similarity(
    index: NearDupIndex,
) -> None:
    edited = STORY.replace("目前涉事产品已被下架。", "").replace("王女士", "李女士")
    true_j = exact_jaccard(STORY, edited)
    assert 0.8 < true_j < 0.9
    match = index.check_and_add("edited", edited)
    assert match is not None and not match.exact
    assert match.duplicate_of == "orig" and match.nearest == "orig"
    assert abs(match.similarity - true_j) < 0.1


def test_unrelated_texts_and_another_recall_are_not_duplicates(index: NearDupIndex) -> None:
    assert index.check_and_add("recall", RECALL) is None
    other_story = (
        STORY.replace("电动自行车", "电暖器").replace("楼道", "卧室").replace("充电", "取暖")
    )
    assert exact_jaccard(STORY, other_story) < 0.65  # the same frame, another product
    assert index.check_and_add("other-story", other_story) is None
    assert len(index) == 4


# Three overlapping windows: A~B and B~C at J = 0.82, A~C at J = 0.66.
A, B, C = POOL[0:300], POOL[30:330], POOL[60:360]


def test_a_chain_points_to_the_first_seen_item() -> None:
    assert exact_jaccard(A, B) > 0.8 and exact_jaccard(B, C) > 0.8 and exact_jaccard(A, C) < 0.7
    idx = NearDupIndex(threshold=0.75)
    assert idx.check_and_add("A", A) is None
    mb = idx.check_and_add("B", B)
    assert mb is not None and mb.duplicate_of == "A"
    mc = idx.check_and_add("C", C)
    assert mc is not None
    assert mc.duplicate_of == "A" and mc.nearest == "B"
    # An exact copy of C joins the same cluster, through C.
    md = idx.check_and_add("D", "转发：" + C)
    assert md is not None and md.exact and md.duplicate_of == "A" and md.nearest == "C"


def test_an_item_matching_two_clusters_joins_the_older_one() -> None:
    idx = NearDupIndex(threshold=0.75)
    assert idx.check_and_add("A", A) is None
    assert idx.check_and_add("C", C) is None  # not similar enough to A: a cluster of its own
    match = idx.check_and_add("B", B)  # similar to both
    assert match is not None and match.duplicate_of == "A"


def test_query_answers_without_adding(index: NearDupIndex) -> None:
    match = index.query("转发：" + STORY)
    assert match is not None and match.duplicate_of == "orig" and match.exact
    assert index.query(RECALL) is None
    assert len(index) == 2 and "recall" not in index


def test_short_texts_are_deduplicated_exactly_only() -> None:
    idx = NearDupIndex()
    assert idx.check_and_add("s1", "产品质量差，要求退货。") is None
    exact = idx.check_and_add("s2", "产品质量差,要求退货!")
    assert exact is not None and exact.exact and exact.duplicate_of == "s1"
    assert idx.check_and_add("s3", "产品质量差，要求换货。") is None
    # Empty fingerprints (only punctuation or nothing) are never duplicates.
    assert idx.check_and_add("e1", "") is None
    assert idx.check_and_add("e2", "！！！……") is None
    assert idx.check_and_add("e3", "") is None
    assert len(idx) == 6


def test_the_same_id_gets_the_same_answer_and_another_text_is_an_error(
    index: NearDupIndex,
) -> None:
    first = index.check_and_add("repost", "转发：" + STORY)
    assert index.check_and_add("repost", "转发：" + STORY) == first
    assert index.check_and_add("orig", STORY) is None
    assert len(index) == 3
    with pytest.raises(ValueError, match="different text"):
        index.check_and_add("orig", COMPLAINT)


def test_cleaned_text_gives_the_same_answers_as_raw_text() -> None:
    texts = ["【转发】" + STORY, STORY.translate(HALF_WIDTH), COMPLAINT, RECALL, "短文本"]
    raw, clean = NearDupIndex(), NearDupIndex()
    for i, text in enumerate(texts):
        assert raw.check_and_add(str(i), text) == clean.check_and_add(
            str(i), clean_text(text), cleaned=True
        )


def test_many_at_once_equals_one_at_a_time() -> None:
    items = [(f"p{i}", POOL[i * 20 : i * 20 + 200]) for i in range(20)]
    items += [("s", STORY), ("r", "转发：" + STORY), ("x", ""), ("p3", POOL[60:260])]
    # Long texts are hashed in pieces: 15,000 characters, and a copy with a new ending.
    items += [("long", POOL * 25), ("long2", POOL * 24 + STORY), ("after", COMPLAINT)]
    one, many = NearDupIndex(), NearDupIndex()
    answers = many.check_and_add_many(items)
    assert answers == [one.check_and_add(i, t) for i, t in items]
    assert many.duplicate_of("long2") == "long" and many.duplicate_of("after") is None


def test_minhash_is_datasketchs_minhash_of_the_shingle_hashes() -> None:
    from datasketch import MinHash

    idx = NearDupIndex()
    for text in (STORY, POOL * 30):  # one block, and a long text hashed in pieces
        codes = fingerprint_codes(text)
        reference = MinHash(num_perm=idx.num_perm, seed=neardup.SEED, hashfunc=lambda h: h)
        reference.update_batch(shingle_hashes(codes, idx.shingle).tolist())
        lean = idx.minhash(text)
        assert np.array_equal(lean.hashvalues, reference.hashvalues)
        assert lean.jaccard(reference) == 1.0


@given(st.text(max_size=80))
def test_fingerprint_codes_follow_fingerprint_text(text: str) -> None:
    clean = normalize_text(text)
    expected = [ord(ch) for ch in fingerprint_text("", clean)]
    assert fingerprint_codes(clean, cleaned=True).tolist() == expected


def test_bands_make_a_pair_at_the_threshold_a_likely_candidate() -> None:
    for threshold in (0.5, 0.7, 0.8, 0.9):
        bands, rows = choose_bands(threshold, 128)
        assert bands * rows <= 128
        assert 1 - (1 - threshold**rows) ** bands >= neardup.BAND_RECALL
    assert NearDupIndex().params()["bands"] == 25


def test_save_and_load_continue_with_identical_answers(tmp_path: Path) -> None:
    first = [(f"p{i}", POOL[i * 15 : i * 15 + 250]) for i in range(15)]
    first += [("s", STORY), ("c", COMPLAINT), ("short", "质量差"), ("empty", "")]
    later = [("r", "转发：" + STORY), ("p20", POOL[300:550]), ("short2", "质量差！"), ("x", RECALL)]
    later += [("p1", POOL[15:265])]
    kept = NearDupIndex()
    kept.check_and_add_many(first)
    path = tmp_path / "index" / "neardup.npz"
    kept.save(path)
    loaded = NearDupIndex.load(path, threshold=0.7, num_perm=128, shingle=5)
    assert len(loaded) == len(kept) and loaded.params() == kept.params()
    assert [loaded.duplicate_of(i) for i, _ in first] == [kept.duplicate_of(i) for i, _ in first]
    assert loaded.check_and_add_many(later) == kept.check_and_add_many(later)
    loaded.save(path)  # overwrite in place
    again = NearDupIndex.load_or_new(path)
    assert len(again) == len(first) + len(later) - 1  # p1 was indexed already
    assert [again.duplicate_of(i) for i, _ in later] == [kept.duplicate_of(i) for i, _ in later]


def test_loading_with_other_parameters_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "neardup.npz"
    NearDupIndex().save(path)
    with pytest.raises(IndexParameterError, match=r"threshold 0\.7 \(asked 0\.8\)"):
        NearDupIndex.load(path, threshold=0.8)
    with pytest.raises(IndexParameterError, match="num_perm 128"):
        NearDupIndex.load_or_new(path, num_perm=64)


def test_loading_another_version_or_another_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "neardup.npz"
    NearDupIndex().save(path)
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    meta = bytes(arrays["meta"]).decode().replace('"version": 1', '"version": 99')
    arrays["meta"] = np.frombuffer(meta.encode(), dtype=np.uint8)
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    with pytest.raises(IndexVersionError, match="version 99"):
        NearDupIndex.load(old)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an index")
    with pytest.raises(IndexVersionError, match="not a near-duplicate index"):
        NearDupIndex.load(junk)


def test_the_index_stays_under_4_kb_per_item() -> None:
    rng = random.Random(5)
    items = [(f"i{n}", "".join(rng.choice(POOL) for _ in range(300))) for n in range(3000)]
    idx = NearDupIndex()
    idx.check_and_add_many(items)
    assert idx.bytes_per_item() < 4096


texts = st.sampled_from(
    [STORY, "转发：" + STORY, COMPLAINT, RECALL, POOL[:200], POOL[40:240], "短"]
)
calls = st.lists(st.tuples(st.sampled_from("abcdefgh"), texts), max_size=25)


@settings(max_examples=60, deadline=None)
@given(calls)
def test_check_and_add_is_idempotent_and_never_points_to_itself(
    seq: list[tuple[str, str]],
) -> None:
    idx = NearDupIndex()
    seen: dict[str, tuple[str, object]] = {}
    order: list[str] = []
    for item_id, text in seq:
        # An id names one text; texts that differ only in boilerplate or punctuation are one.
        if item_id in seen and not np.array_equal(
            fingerprint_codes(seen[item_id][0]), fingerprint_codes(text)
        ):
            with pytest.raises(ValueError):
                idx.check_and_add(item_id, text)
            continue
        match = idx.check_and_add(item_id, text)
        if item_id in seen:
            assert match == seen[item_id][1]
            continue
        seen[item_id] = (text, match)
        order.append(item_id)
        if match is not None:
            assert match.duplicate_of != item_id and match.nearest != item_id
            assert match.duplicate_of in order[:-1] and idx.duplicate_of(match.duplicate_of) is None
    assert len(idx) == len(order)
