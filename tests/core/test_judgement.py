"""The risk-judgement model's core: features, contributions, rules, monotonicity, files."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import joblib
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.assessment.judgement import (
    FEATURE_NAMES,
    FEATURES,
    MODEL_PATH,
    OVERRIDE_WEIGHT,
    RULES,
    CaseFacts,
    Example,
    ItemFacts,
    JudgementModel,
    ModelVersionError,
    apply_rules,
    count_in_window,
    cpsc_calibration,
    default_model,
    derived_level,
    examples_from_overrides,
    feature_values,
    macro_f1,
    neutral_calibration,
    predict_levels,
    snapshot_index,
)
from pqrisk.core.levels import RiskLevel

S, H, M, L = RiskLevel.SERIOUS, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def item(n: int, kind: str = "complaint", **fields: Any) -> ItemFacts:
    values: dict[str, Any] = {"when": T0 + timedelta(hours=n), "hazard_severity": 4}
    values.update(fields)
    return ItemFacts(id=n, source_kind=kind, **values)


def facts(*items: ItemFacts, **fields: Any) -> CaseFacts:
    values: dict[str, Any] = {"hazard_code": "fire", "hazard_severity": 4, "as_of": T0}
    values.update(fields)
    return CaseFacts(items=items, **values)


def incident(n_complaints: int = 12, n_injuries: int = 4) -> CaseFacts:
    """A growing cluster: complaints, injury reports, a failed spot check, media."""
    items = [item(i, "complaint", first_level="medium") for i in range(n_complaints)]
    items += [
        item(100 + i, "injury", severity_hint=3, first_level="high") for i in range(n_injuries)
    ]
    items += [item(200, "spot_check", failed_check=True, first_level="high")]
    items += [item(300, "media", reposts=40, first_level="medium")]
    return facts(*items, items_last_14d=len(items), items_prior_14d=1, enterprise_failed_checks=1)


# ----------------------------------------------------------------------------- features


def test_every_feature_has_a_chinese_label_and_an_explanation() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    for f in FEATURES:
        assert f.label and any("\u4e00" <= ch <= "\u9fff" for ch in f.label)
        assert f.how


def test_features_are_computed_from_the_facts() -> None:
    f = incident(n_complaints=3, n_injuries=2)
    values = feature_values(f, neutral_calibration())
    assert set(values) == set(FEATURE_NAMES)
    assert values["item_count"] == pytest.approx(math.log1p(3 + 2 + 1 + 1))
    assert values["injuries"] == pytest.approx(math.log1p(2))
    assert values["independent_sources"] == 4  # complaint, injury, spot check, media
    assert values["source_credibility"] == 1.0  # the spot check
    assert values["safety_check_failures"] == pytest.approx(math.log1p(1))
    assert values["media_reposts"] == pytest.approx(math.log1p(40))
    assert values["trend"] == pytest.approx(math.log(8 / 2))
    assert values["reported_severity"] == 3


def test_duplicates_count_for_media_attention_not_as_independent_items() -> None:
    story = item(1, "media", reposts=5)
    repost = item(2, "media", duplicate=True, reposts=2)
    f = facts(story, repost)
    assert len(f.originals) == 1 and f.media_items == 2 and f.reposts == 7


def test_injury_reports_and_victims_counted_in_the_text_add_up() -> None:
    f = facts(item(1, "injury"), item(2, "injury", victims=3), item(3, "media", victims=2))
    assert f.injuries == 1 + 3 + 2


def test_context_counts_are_windowed_in_one_place() -> None:
    rows = [(1, T0 - timedelta(days=20)), (2, T0 - timedelta(days=5)), (3, T0), (4, T0)]
    assert count_in_window(rows, T0) == 4
    assert count_in_window(rows, T0, start=T0 - timedelta(days=14)) == 3
    assert count_in_window(rows, T0, exclude=frozenset({3, 4})) == 2
    assert count_in_window(rows, T0 - timedelta(days=1)) == 2


def test_facts_survive_a_round_trip_through_json_values() -> None:
    f = incident()
    assert CaseFacts.from_dict(f.to_dict()) == f


# ----------------------------------------------------------------------------- the shipped model


def test_the_shipped_model_loads_without_network_and_says_what_it_was_trained_on() -> None:
    model = default_model()
    meta = model.metadata
    assert MODEL_PATH.stat().st_size < 100_000
    assert meta.version.startswith("judgement-") and len(meta.version) <= 40
    assert meta.sklearn_version == sklearn.__version__
    names = " ".join(t["name"] for t in meta.training)
    assert "demo generator seed" in names and "cpsc_recalls_recent.csv" in names
    assert all(len(t["sha256"]) == 64 for t in meta.training)
    assert meta.cv["macro_f1"] > 0 and meta.label_scheme
    assert all(w >= 0 for w in meta.weights)
    assert meta.thresholds[0] <= meta.thresholds[1]


def test_contributions_add_up_to_the_score_and_explain_the_probabilities() -> None:
    model = default_model()
    j = model.judge(incident())
    assert sum(c.contribution for c in j.contributions) == pytest.approx(j.score)
    p_at_least_high = j.probabilities["high"] + j.probabilities["serious"]
    logit = math.log(p_at_least_high / (1 - p_at_least_high))
    assert logit == pytest.approx(j.score - j.thresholds["high"], abs=1e-6)
    assert sum(j.probabilities.values()) == pytest.approx(1.0)
    sizes = [abs(c.contribution) for c in j.contributions]
    assert sizes == sorted(sizes, reverse=True)
    assert j.explanation[-1].startswith(f"研判建议：{j.level.label}")
    d = j.to_dict()
    assert d["level"] == j.level.value and d["version"] == model.version
    assert {c["name"] for c in d["contributions"]} == set(FEATURE_NAMES)
    assert all(isinstance(c["value"], str) for c in d["contributions"])  # as users read it


def test_a_growing_incident_is_high_or_serious_and_a_lone_complaint_is_not() -> None:
    model = default_model()
    assert model.judge(incident(n_complaints=30, n_injuries=8)).level.rank >= H.rank
    lone = facts(item(1, "complaint", first_level="medium"))
    j = model.judge(lone)
    assert j.level == M and j.model_level == M


def test_below_the_high_threshold_the_level_is_the_items_matrix_level_capped_at_medium() -> None:
    model = default_model()
    low = facts(item(1, "complaint", first_level="low", hazard_severity=1), hazard_severity=1)
    assert model.judge(low).level == L
    matrix_high = facts(item(1, "complaint", first_level="high"))
    assert model.judge(matrix_high).model_level == M
    assert model.judge(facts(item(1, "complaint"))).model_level == M  # no assessment: medium


# ----------------------------------------------------------------------------- rules


def _codes(f: CaseFacts, level: RiskLevel = L) -> tuple[RiskLevel, set[str]]:
    got, hits = apply_rules(level, f)
    return got, {h.code for h in hits}


def test_a_death_makes_it_at_least_high() -> None:
    got, codes = _codes(facts(item(1, "injury", severity_hint=4)))
    assert got == H and "death" in codes
    assert apply_rules(S, facts(item(1, "injury", severity_hint=4)))[0] == S  # never lowered


def test_a_failed_safety_check_with_injuries_makes_it_at_least_high() -> None:
    f = facts(item(1, "spot_check", failed_check=True), item(2, "injury"))
    got, codes = _codes(f)
    assert got == H and "confirmed_defect_with_injury" in codes
    # A failed check of a non-safety item (labels, severity 1) does not fire it.
    label_only = facts(
        item(1, "spot_check", failed_check=True, hazard_severity=1), item(2, "injury")
    )
    assert "confirmed_defect_with_injury" not in _codes(label_only)[1]


def test_units_in_use_raise_the_floor_as_prism_does() -> None:
    assert _codes(facts(item(1, "recall", units=1_200_000)))[0] == H
    assert _codes(facts(item(1, "recall", units=600_000)))[0] == M
    assert _codes(facts(item(1, "recall", units=90_000)))[0] == L


def test_caps_hold_a_single_unverified_report_and_non_safety_items_at_medium() -> None:
    got, codes = _codes(facts(item(1, "media")), S)
    assert got == M and codes == {"single_unverified"}
    quality = facts(item(1, "spot_check", failed_check=True, hazard_severity=1), hazard_severity=1)
    got, codes = _codes(quality, H)
    assert got == M and "non_safety" in codes
    # With an injury neither cap applies.
    assert _codes(facts(item(1, "complaint", victims=1)), S)[0] == S


def test_every_rule_names_its_source_in_chinese() -> None:
    assert {r.kind for r in RULES} == {"floor", "cap"}
    for r in RULES:
        assert r.label and r.source
    j = default_model().judge(facts(item(1, "injury", severity_hint=4)))
    assert any("致死" in line for line in j.to_dict()["rules"])


# ----------------------------------------------------------------------------- monotonicity

counts = st.integers(min_value=0, max_value=30)


@settings(max_examples=60, deadline=None)
@given(
    complaints=counts,
    injuries=counts,
    more=st.integers(min_value=1, max_value=20),
    victims=st.integers(min_value=0, max_value=5),
    failed=st.booleans(),
    severity=st.integers(min_value=1, max_value=4),
)
def test_more_injuries_never_lower_the_suggestion(
    complaints: int, injuries: int, more: int, victims: int, failed: bool, severity: int
) -> None:
    model = default_model()

    def case(n_injuries: int, extra_victims: int) -> CaseFacts:
        items = [item(i, "complaint", hazard_severity=severity) for i in range(complaints)]
        items += [
            item(100 + i, "injury", hazard_severity=severity, first_level="medium")
            for i in range(n_injuries)
        ]
        if failed:
            items.append(item(500, "spot_check", failed_check=True, hazard_severity=severity))
        if items:
            items[0] = replace(items[0], victims=items[0].victims + extra_victims)
        return facts(*items, hazard_severity=severity)

    before, after = model.judge(case(injuries, 0)), model.judge(case(injuries + more, victims))
    assert after.level.rank >= before.level.rank
    assert after.score >= before.score - 1e-9


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(
        [
            "enterprise_penalties",
            "enterprise_failed_checks",
            "family_failures_12m",
            "items_last_14d",
        ]
    ),
    base=counts,
    more=st.integers(min_value=1, max_value=50),
)
def test_more_history_never_lowers_the_score(name: str, base: int, more: int) -> None:
    model = default_model()
    f = incident(n_complaints=2, n_injuries=1)
    smaller: dict[str, Any] = {name: base}
    larger: dict[str, Any] = {name: base + more}
    low, high = replace(f, **smaller), replace(f, **larger)
    assert model.judge(high).score >= model.judge(low).score - 1e-9


# ----------------------------------------------------------------------------- labels, training


def _label(records: int, share: float, severity: int, matrix: RiskLevel) -> RiskLevel:
    return derived_level(
        incident_records=records,
        incident_share=share,
        hazard_severity=severity,
        matrix_level=matrix,
    )


def test_derived_labels_follow_the_documented_scheme() -> None:
    assert _label(20, 0.9, 4, H) == S
    assert _label(20, 0.9, 3, H) == H  # a severity-3 hazard: high
    assert _label(6, 0.2, 4, M) == H  # part of an incident in a larger event
    assert _label(2, 1.0, 4, M) == H  # a small split-off part
    # One record split off an incident, and background: the matrix level capped at medium.
    assert _label(1, 1.0, 4, S) == M
    assert _label(0, 0.0, 4, L) == L
    assert snapshot_index(1) == 0 and snapshot_index(2) == 1 and snapshot_index(9) == 4


def _training_set() -> list[Example]:
    out = []
    for n in range(30):
        out.append(Example(M, facts=facts(item(n, "complaint", first_level="medium")), group="a"))
        out.append(Example(L, facts=facts(item(n, "media", first_level="low")), group="a"))
    for n in range(6):
        out.append(Example(H, facts=incident(n_complaints=4 + n, n_injuries=1), group="a"))
        out.append(Example(S, facts=incident(n_complaints=20 + n, n_injuries=6), group="a"))
    return out


def test_a_model_trains_saves_and_loads_with_the_same_judgement(tmp_path: Path) -> None:
    examples = _training_set()
    model = JudgementModel.fit(examples, neutral_calibration(), c=1.0, power=0.5)
    assert all(w >= 0 for w in model.metadata.weights)
    path = tmp_path / "judgement.joblib"
    model.save(path)
    again = JudgementModel.load(path)
    f = incident(n_complaints=22, n_injuries=6)
    assert again.judge(f).to_dict() == model.judge(f).to_dict()
    f1, _ = macro_f1([e.level for e in examples], predict_levels(again, examples))
    assert f1 > 0.9


def test_a_model_from_another_scikit_learn_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.joblib"
    JudgementModel.fit(_training_set(), neutral_calibration()).save(path)
    payload = joblib.load(path)
    payload["metadata"]["sklearn_version"] = "0.24.2"
    joblib.dump(payload, path)
    with pytest.raises(ModelVersionError, match=r"scikit-learn 0\.24\.2") as exc:
        JudgementModel.load(path)
    assert "重新训练" in exc.value.message_zh and sklearn.__version__ in exc.value.message_zh


def test_a_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelVersionError) as exc:
        JudgementModel.load(tmp_path / "none.joblib")
    assert "train_judgement" in exc.value.message_zh
    joblib.dump({"something": "else"}, tmp_path / "x.joblib")
    with pytest.raises(ModelVersionError, match="not a pqrisk-judgement-model"):
        JudgementModel.load(tmp_path / "x.joblib")


def test_overrides_become_weighted_training_examples() -> None:
    f = incident()
    rows = [
        ({"facts": f.to_dict(), "values": {"item_count": 9.0}}, "serious"),
        ({"values": {"item_count": 1.0}}, "low"),
        ({"facts": f.to_dict()}, "purple"),  # not a level: skipped
        ({}, "high"),  # nothing to learn from: skipped
    ]
    out = examples_from_overrides(rows)
    assert [e.level for e in out] == [S, L]
    assert out[0].facts == f and out[1].facts is None and out[1].values == {"item_count": 1.0}
    assert all(e.weight == OVERRIDE_WEIGHT and e.group == "override" for e in out)
    # An override's missing features count as the training mean: no contribution.
    _, contributions = default_model().score_values(out[1].inputs(neutral_calibration()))
    assert sum(1 for c in contributions if c != 0) <= 1


def test_the_cpsc_calibration_smooths_towards_the_severity_class(tmp_path: Path) -> None:
    csv_path = tmp_path / "recent.csv"
    csv_path.write_text(
        "title,hazards\n"
        "Heaters Recalled Due to Risk of Serious Injury or Death from Fire Hazard,\n"
        "Chargers Recalled Due to Fire Hazard,\n"
        "Chargers Recalled Due to Fire and Burn Hazards,\n"
        "Dolls Recalled Due to Risk of Serious Injury or Death from Choking Hazard,\n",
        encoding="utf-8",
    )
    cal = cpsc_calibration(csv_path, strength=2.0)
    assert cal.counts["fire"] == (1, 3) and cal.counts["choking"] == (1, 1)
    assert cal.share("choking", 4) > cal.share("fire", 4)
    assert 0 < cal.share("fire", 4) < 1
    assert cal.share("unknown", 2) == cal.by_severity[2]
    assert list(cal.by_severity.values()) == sorted(cal.by_severity.values())
    assert cal.sources[0]["rows"] == 4 and len(cal.sources[0]["sha256"]) == 64
