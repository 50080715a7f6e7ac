"""Text classifiers for screening: train, predict, save and load, and the classify commands."""

from __future__ import annotations

import csv
import dataclasses
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import sklearn
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from pqrisk.cli import main
from pqrisk.core.screening.classify import (
    CATEGORY_MODEL,
    EMPTY_TEXT_ZH,
    IRRELEVANT,
    RELEVANCE_MODEL,
    RELEVANT,
    CharNgramCounts,
    ClassifierConfig,
    ClassifierError,
    ModelVersionError,
    RelevanceModel,
    TextClassifier,
    cross_validate,
    prepare,
    recall_threshold,
)
from pqrisk.demo.noise import noise_items, word_salad

RISK_TEXTS = [
    "电热水壶烧水时外壳带电，手一碰就发麻",
    "充电宝在包里突然冒烟起火",
    "儿童玩具小零件脱落，孩子差点误吞",
    "电动自行车电池充电时起火，烧毁楼道",
    "取暖器倾倒后没有断电，引燃了被子",
    "插线板发热烧焦，冒出黑烟",
]
OTHER_TEXTS = [
    "周末去公园野餐，天气很好",
    "新开的面包店可颂很好吃",
    "地铁新线路下个月开通",
    "社区举办中秋游园会，居民踊跃参加",
    "今天和朋友去看了一场电影",
    "图书馆推出夜间开放服务",
]
TEXTS = RISK_TEXTS + OTHER_TEXTS
LABELS = [RELEVANT] * len(RISK_TEXTS) + [IRRELEVANT] * len(OTHER_TEXTS)
# Small data: every n-gram counts, words included so jieba is exercised.
TINY = ClassifierConfig(char_ngrams=(1, 2), word_ngrams=(1, 1), head_chars=None, min_df=1)


@pytest.fixture(scope="module")
def binary() -> TextClassifier:
    return TextClassifier.fit(
        TEXTS,
        LABELS,
        TINY,
        task="relevance",
        label_names={RELEVANT: "风险", IRRELEVANT: "无关"},
        positive_label=RELEVANT,
        threshold=0.5,
        cv_folds=3,
    )


def test_fit_predicts_the_training_texts_and_keeps_its_metadata(binary: TextClassifier) -> None:
    assert binary.predict_labels(TEXTS) == LABELS
    meta = binary.metadata
    assert meta.labels == (IRRELEVANT, RELEVANT)
    assert meta.rows == 12 and meta.skipped_rows == 0
    assert meta.rows_per_label == {IRRELEVANT: 6, RELEVANT: 6}
    assert meta.sklearn_version == sklearn.__version__
    assert len(meta.training) == 1 and len(meta.training[0].sha256) == 64
    assert meta.cv is not None and meta.cv.folds == 3
    assert sum(map(sum, meta.cv.confusion)) == 12
    assert binary.label_name(RELEVANT) == "风险"


def test_scores_are_probabilities_of_the_predicted_label(binary: TextClassifier) -> None:
    proba = binary.predict_proba(["插座冒烟起火了", "公园里的花开了"])
    assert proba.shape == (2, 2)
    assert proba.sum(axis=1) == pytest.approx([1.0, 1.0])
    for p, row in zip(binary.predict(["插座冒烟起火了", "公园里的花开了"]), proba, strict=True):
        assert p.score == pytest.approx(row[binary.labels.index(p.label)])


def test_a_binary_threshold_decides_the_positive_label(binary: TextClassifier) -> None:
    strict = binary.with_threshold(1.0)
    assert {p.label for p in strict.predict(RISK_TEXTS)} == {IRRELEVANT}
    lenient = binary.with_threshold(0.0)
    assert {p.label for p in lenient.predict(OTHER_TEXTS)} == {RELEVANT}


def test_empty_texts_get_no_prediction_and_say_why(binary: TextClassifier) -> None:
    out = binary.predict(["", "   ", "<p></p>", "充电宝冒烟起火"])
    assert [p.label for p in out[:3]] == ["", "", ""]
    assert {p.error for p in out[:3]} == {EMPTY_TEXT_ZH}
    assert out[3].label == RELEVANT and out[3].error == ""


def test_rows_without_text_or_label_are_skipped_and_counted() -> None:
    model = TextClassifier.fit(
        [*TEXTS, "", "有文本没标签"], [*LABELS, RELEVANT, ""], TINY, cv_folds=0
    )
    assert model.metadata.rows == 12 and model.metadata.skipped_rows == 2
    assert model.metadata.cv is None


def test_one_label_is_not_enough() -> None:
    with pytest.raises(ClassifierError) as err:
        TextClassifier.fit(RISK_TEXTS, [RELEVANT] * len(RISK_TEXTS), TINY, cv_folds=0)
    assert "两个类别" in err.value.message_zh


def test_save_and_load_keep_predictions_and_metadata(
    binary: TextClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "m.joblib"
    binary.save(path)
    loaded = TextClassifier.load(path)
    assert loaded.metadata == binary.metadata
    probe = ["燃气灶漏气", "周末爬山", "", "插座冒烟"]
    assert loaded.predict(probe) == binary.predict(probe)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_model_from_another_sklearn_version_is_refused(
    binary: TextClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "old.joblib"
    old = dataclasses.replace(binary.metadata, sklearn_version="0.24.2")
    TextClassifier(binary.pipeline, old).save(path)
    with pytest.raises(ModelVersionError) as err:
        TextClassifier.load(path)
    assert "0.24.2" in str(err.value) and sklearn.__version__ in str(err.value)
    assert "重新训练" in err.value.message_zh
    # The metadata is still readable, to say what the file is.
    assert TextClassifier.read_metadata(path)[0].sklearn_version == "0.24.2"


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.joblib"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelVersionError):
        TextClassifier.load(path)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5))
def test_every_text_gets_one_answer(binary: TextClassifier, texts: list[str]) -> None:
    out = binary.predict(texts)
    assert len(out) == len(texts)
    for text, p in zip(texts, out, strict=True):
        assert (p.label == "") == (prepare(text) == "")
        assert p.label in ("", *binary.labels)


def test_cross_validation_reports_out_of_fold_figures() -> None:
    report = cross_validate(TINY, TEXTS, LABELS, folds=3)
    assert report.folds == 3 and len(report.macro_f1_folds) == 3
    assert 0.0 <= report.macro_f1 <= 1.0
    assert set(report.per_class_f1) == {IRRELEVANT, RELEVANT}


def test_recall_threshold_keeps_the_asked_share_of_positives() -> None:
    scores = [i / 100 for i in range(1, 101)]
    assert recall_threshold(scores, 0.9) == pytest.approx(0.11)
    assert recall_threshold(scores, 0.5, cap=0.3) == 0.3
    assert recall_threshold([], 0.99) == 0.5


def test_relevance_model_wants_risk_and_other_labels(binary: TextClassifier) -> None:
    relevance = RelevanceModel(binary, threshold=0.5)
    judged = relevance.judge(["电热水壶漏电", "", "周末去公园"])
    assert judged[0].relevant and not judged[1].relevant and judged[1].score == 0.0
    other = TextClassifier.fit(TEXTS, ["a"] * 6 + ["b"] * 6, TINY, cv_folds=0)
    with pytest.raises(ClassifierError):
        RelevanceModel(other)


def test_demo_noise_is_deterministic() -> None:
    assert noise_items(7, 20) == noise_items(7, 20)
    assert word_salad(7, 5) == word_salad(7, 5)
    assert not any("起火" in t for t in word_salad(7, 50, exclude=frozenset({"起火", "火"})))


# --------------------------------------------------------------------------- shipped models


@pytest.mark.skipif(not RELEVANCE_MODEL.exists(), reason="shipped relevance model not built")
def test_the_shipped_relevance_model_tells_a_risk_from_everyday_news() -> None:
    model = RelevanceModel.load()
    assert model.classifier.metadata.sklearn_version == sklearn.__version__
    risk, other = model.judge(
        [
            "消费者投诉：购买的电动自行车锂电池在楼道充电时起火，烧毁了两辆车，要求赔偿。",
            "本周六上午，区文化馆举办少儿书法比赛，共有两百名小学生参加。",
        ]
    )
    assert risk.relevant and not other.relevant


@pytest.mark.skipif(not CATEGORY_MODEL.exists(), reason="shipped category model not built")
def test_the_shipped_category_model_knows_dairy_and_fakes() -> None:
    model = TextClassifier.load(CATEGORY_MODEL)
    dairy, fake = model.predict_labels(
        [
            "婴幼儿配方奶粉抽检不合格2012.06.29广东奶粉乳粉婴儿配方奶粉蛋白质不达标",
            "警方捣毁制售假冒名酒窝点2011.03.10河南假酒假冒伪劣白酒商标侵权",
        ]
    )
    assert (dairy, fake) == ("3", "0")
    assert model.metadata.label_names["3"] == "乳制品"


# --------------------------------------------------------------------------- fast char n-grams


def _same(a: object, b: object) -> bool:
    return (
        a.shape == b.shape  # type: ignore[attr-defined]
        and a.dtype == b.dtype  # type: ignore[attr-defined]
        and np.array_equal(a.indptr, b.indptr)  # type: ignore[attr-defined]
        and np.array_equal(a.indices, b.indices)  # type: ignore[attr-defined]
        and np.array_equal(a.data, b.data)  # type: ignore[attr-defined]
    )


def _fitted(**options: object) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(analyzer="char", **options)  # type: ignore[arg-type]
    odd = ["ΣΑΣ Ab  C\n\tD", "𠀀电池𠀀", "起火起火"]  # case, whitespace, astral, repeats
    return vectorizer.fit([*TEXTS, *odd, *word_salad(3, 40)])


@cache
def _shipped_relevance() -> TextClassifier:
    return TextClassifier.load(RELEVANCE_MODEL)


SCREENING_TEXTS = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from([*"电动车电池充电起火烧伤儿童玩具ABab", *" \n，𠀀Σ", "  "]),
            max_size=60,
        ).map("".join),
    ),
    max_size=8,
)


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 3)},
        {"ngram_range": (2, 3), "lowercase": False},
        {"ngram_range": (1, 1)},
        {"ngram_range": (3, 3), "binary": True, "sublinear_tf": True},
    ],
)
def test_char_counts_equal_scikit_learns(options: dict[str, object]) -> None:
    vectorizer = _fitted(**options)
    counter = CharNgramCounts.for_vectorizer(vectorizer)
    assert counter is not None
    odd = ["", "   ", "电池  电池\n\n电池", "起火起火起火", "ΑΣ Σ", "𠀀x"]
    texts = [*TEXTS, *odd, *word_salad(5, 300)]
    for size in (1, 7, len(texts)):
        batch = texts[:size]
        assert _same(counter.counts(batch), vectorizer._count_vocab(batch, fixed_vocab=True)[1])
        assert _same(counter.transform(batch), vectorizer.transform(batch))
        assert type(counter.transform(batch)) is type(vectorizer.transform(batch))


@settings(max_examples=60, deadline=None)
@given(SCREENING_TEXTS)
def test_char_counts_equal_scikit_learns_on_any_text(texts: list[str]) -> None:
    vectorizer = _fitted(ngram_range=(1, 3))
    counter = CharNgramCounts.for_vectorizer(vectorizer)
    assert counter is not None
    assert _same(counter.counts(texts), vectorizer._count_vocab(texts, fixed_vocab=True)[1])


def test_other_vectorizers_keep_scikit_learns_counting() -> None:
    assert CharNgramCounts.for_vectorizer(_fitted(ngram_range=(1, 4))) is None
    assert CharNgramCounts.for_vectorizer(_fitted(preprocessor=str.upper)) is None
    assert CharNgramCounts.for_vectorizer(_fitted(strip_accents="unicode")) is None
    words = TfidfVectorizer(analyzer="word").fit(["电池 起火", "玩具 脱落"])
    assert CharNgramCounts.for_vectorizer(words) is None


def test_a_union_of_features_is_predicted_by_scikit_learn(binary: TextClassifier) -> None:
    texts = ["充电宝冒烟", "面包很好吃", ""]
    expected = binary.pipeline.predict_proba([prepare(t) for t in texts])
    assert np.array_equal(binary.predict_proba(texts), expected)
    assert binary._counter is None  # char and word n-grams: not the fast path


@pytest.mark.skipif(not RELEVANCE_MODEL.exists(), reason="shipped relevance model not built")
@settings(max_examples=30, deadline=None)
@given(SCREENING_TEXTS)
def test_the_shipped_relevance_model_predicts_as_scikit_learn_does(texts: list[str]) -> None:
    model = _shipped_relevance()
    texts = [*texts, *RISK_TEXTS, *OTHER_TEXTS, *word_salad(9, 50)]
    prepared = [prepare(t, model.metadata.config.head_chars) for t in texts]
    expected = model.pipeline.predict_proba(prepared)
    assert np.array_equal(model.predict_proba(texts), expected)  # bit for bit
    assert isinstance(model._counter, CharNgramCounts)


# --------------------------------------------------------------------------- command line


def _write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_trains_and_predicts(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    _write_csv(train, [{"内容": t, "类别": lab} for t, lab in zip(TEXTS, LABELS, strict=True)])
    model = tmp_path / "m.joblib"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "classify", "train", "--data", str(train), "--text-col", "内容",
            "--label-col", "类别", "--model", str(model), "--cv-folds", "3",
            "--label-name", f"{RELEVANT}=风险", "--positive-label", RELEVANT,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "交叉验证" in result.output and model.exists()

    todo = tmp_path / "todo.csv"
    # GBK, as bureau spreadsheets are often saved; an empty row; an id column kept as is.
    _write_csv(
        todo,
        [
            {"编号": "1", "内容": "插线板冒烟起火"},
            {"编号": "2", "内容": ""},
            {"编号": "3", "内容": "周末去公园野餐"},
        ],
        encoding="gbk",
    )
    out = tmp_path / "pred.csv"
    result = runner.invoke(
        main,
        ["classify", "predict", "--model", str(model), "--data", str(todo),
         "--text-col", "内容", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _read_csv(out)
    assert list(rows[0]) == ["编号", "内容", "pred", "pred_name", "score", "error"]
    assert [r["编号"] for r in rows] == ["1", "2", "3"]
    assert (rows[0]["pred"], rows[0]["pred_name"]) == (RELEVANT, "风险")
    assert (rows[2]["pred"], rows[2]["pred_name"]) == (IRRELEVANT, IRRELEVANT)
    assert 0.5 <= float(rows[0]["score"]) <= 1.0
    assert (rows[1]["pred"], rows[1]["score"], rows[1]["error"]) == ("", "", EMPTY_TEXT_ZH)
    assert "空文本 1 条" in result.output


def test_cli_names_a_missing_column_and_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    _write_csv(data, [{"正文": "插线板冒烟", "label": RELEVANT}])
    result = CliRunner().invoke(
        main, ["classify", "train", "--data", str(data), "--model", str(tmp_path / "m.joblib")]
    )
    assert result.exit_code == 2
    assert "没有列 text" in result.output and "正文" in result.output
    assert not (tmp_path / "m.joblib").exists()


def test_cli_predict_refuses_a_model_of_another_sklearn(
    binary: TextClassifier, tmp_path: Path
) -> None:
    model = tmp_path / "old.joblib"
    TextClassifier(
        binary.pipeline, dataclasses.replace(binary.metadata, sklearn_version="0.1")
    ).save(model)
    data = tmp_path / "d.csv"
    _write_csv(data, [{"text": "插线板冒烟"}])
    result = CliRunner().invoke(
        main, ["classify", "predict", "--model", str(model), "--data", str(data), "-o", "-"]
    )
    assert result.exit_code == 1
    assert "重新训练" in result.output
