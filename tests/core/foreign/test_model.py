"""The JSON linear model: same answers as scikit-learn, loads offline from the shipped file."""

from __future__ import annotations

import json
import socket
from importlib import resources

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from pqrisk.core.foreign import model as model_module
from pqrisk.core.foreign.model import (
    MODEL_FILE,
    ForeignModel,
    LinearTextModel,
    ModelFileError,
    load_shipped_model,
    ngrams,
)
from pqrisk.core.foreign.rules import vocabulary
from pqrisk.core.foreign.tagging import ForeignTagger
from pqrisk.core.foreign.train import _linear

TEXTS = [
    "plush toy with small parts, a child may choke",
    "teddy bear plush toy, eyes detach",
    "electric kettle overheats and catches fire",
    "kettle cord insulation fails, electric shock",
    "hoodie with drawstrings can strangle a child",
    "children's jacket with hood cords",
] * 3
LABELS = ["toys", "toys", "electrical", "electrical", "clothing", "clothing"] * 3


def test_ngrams_match_scikit_learn() -> None:
    text = "The USB-C charger's cable can overheat, overheat!"
    analyzer = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    assert ngrams(text, 2) == analyzer(text)


def test_pure_python_inference_equals_scikit_learn() -> None:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    x = vectorizer.fit_transform(TEXTS)
    classifier = LogisticRegression(C=4.0, max_iter=1000).fit(x, LABELS)
    linear = _linear(
        vectorizer,
        list(classifier.classes_),
        classifier.coef_,
        classifier.intercept_,
        multilabel=False,
        threshold=0.0,
    )
    # Through JSON and back, as shipped.
    linear = LinearTextModel.from_json(json.loads(json.dumps(linear.to_json())))
    probe = ["a plush toy that may choke a child", "kettle fire", "drawstrings on a hoodie hood"]
    expected = classifier.predict_proba(vectorizer.transform(probe))
    got = np.array([linear.scores(text) for text in probe])
    # Weights below the pruning limit and 5-decimal rounding are the only differences.
    assert np.allclose(got, expected, atol=0.02)
    assert list(classifier.predict(vectorizer.transform(probe))) == [
        next(iter(linear.predict(text))) for text in probe
    ]


def test_shipped_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    model = load_shipped_model()
    assert model is not None
    path = resources.files("pqrisk.core.foreign").joinpath("data", MODEL_FILE)
    assert path.is_file()
    with path.open("rb") as handle:
        raw = handle.read()
    assert len(raw) < 3_000_000
    assert model.metadata["trained_on"]
    risk_types, categories = vocabulary()
    for part in (model.risk, model.category):
        if part is not None:
            assert set(part.classes) <= set(risk_types) | set(categories)


def test_the_model_fills_in_where_the_rules_find_nothing() -> None:
    model = load_shipped_model()
    assert model is not None and model.risk is not None
    tagger = ForeignTagger(model=model)
    # Cut before the hazard is named: no rule fires, the model reads the product words.
    text = (
        "The recalled bed rails violate the mandatory standard for adult portable bed rails "
        "because when the bed rails are attached"
    )
    rules_only = ForeignTagger(model=None).tag({"risk_description": text})
    assert rules_only.supported_risk_types() == ()
    tags = tagger.tag({"risk_description": text})
    assert tags.supported_risk_types()
    assert all(t.source == "model" and 0 < t.score <= 1 for t in tags.risk_types)
    # Where a rule fires, the model adds nothing.
    fire = tagger.tag({"risk_description": "The heater can catch fire."})
    assert [(t.value, t.source) for t in fire.risk_types] == [("Fire", "rule")]


def test_wrong_format_is_refused() -> None:
    with pytest.raises(ModelFileError):
        ForeignModel.from_json({"format": "something-else", "format_version": 1})
    with pytest.raises(ModelFileError):
        LinearTextModel.from_json({"classes": ["a"]})


def test_missing_model_file_means_rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_module, "MODEL_FILE", "no_such_model.json")
    assert load_shipped_model() is None
