"""Hazard types: every outside label maps, and English recall statements are tagged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.taxonomy.loader import (
    hazards_for_cpsc,
    hazards_for_safety_gate,
    hazards_for_text_en,
    load_hazards,
)


def test_codes_are_unique_identifiers() -> None:
    codes = [hazard.code for hazard in load_hazards()]
    assert len(codes) == len(set(codes))
    assert all(code.isidentifier() and code.islower() for code in codes)


def test_every_hazard_has_a_name_keywords_and_a_severity_from_one_to_four() -> None:
    for hazard in load_hazards():
        assert hazard.name and hazard.description, hazard.code
        assert hazard.keywords, hazard.code
        assert 1 <= hazard.default_severity <= 4, hazard.code


def test_the_agreed_core_hazards_are_present() -> None:
    codes = {hazard.code for hazard in load_hazards()}
    assert {
        "electric_shock",
        "fire",
        "burns",
        "choking",
        "suffocation",
        "strangulation",
        "mechanical",
        "cuts",
        "falls",
        "entrapment",
        "chemical",
        "microbiological",
        "noise",
        "radiation",
        "environment",
        "explosion",
        "drowning",
        "injury_other",
        "damage_to_sight",
        "health_risk",
        "poisoning",
    } <= codes


def test_every_safety_gate_risk_type_is_mapped(safety_gate: dict[str, list[str]]) -> None:
    unmapped = [r for r in safety_gate["risk_type"] if not hazards_for_safety_gate(r)]
    assert unmapped == []


def test_safety_gate_values_used_are_spelled_as_in_the_source(
    safety_gate: dict[str, list[str]],
) -> None:
    risk_types = set(safety_gate["risk_type"])
    for hazard in load_hazards():
        assert set(hazard.safety_gate_risk_types) <= risk_types, hazard.code


def test_every_cpsc_legacy_label_is_mapped(cpsc_legacy_labels: set[str]) -> None:
    assert sorted(label for label in cpsc_legacy_labels if not hazards_for_cpsc(label)) == []


def test_cpsc_labels_used_occur_in_the_legacy_recalls(cpsc_legacy_labels: set[str]) -> None:
    for hazard in load_hazards():
        assert set(hazard.cpsc_hazards) <= cpsc_legacy_labels, hazard.code


def test_cpsc_lookup_ignores_case_and_spacing() -> None:
    assert hazards_for_cpsc("Fire & Fire-Related Burn") == ["fire"]
    assert hazards_for_cpsc("  fire &  FIRE-related burn ") == ["fire"]
    assert hazards_for_cpsc("Carbon Monoxide (CO)") == ["poisoning"]
    assert hazards_for_cpsc("no such label") == []


@given(st.sampled_from(["Choking", "Electrocution/Electric Shock", "Magnet Ingestion"]))
def test_cpsc_lookup_is_the_same_for_any_casing(label: str) -> None:
    assert hazards_for_cpsc(label.upper()) == hazards_for_cpsc(label.lower()) != []


def test_safety_gate_lookup() -> None:
    assert hazards_for_safety_gate("Electric shock") == ["electric_shock"]
    assert hazards_for_safety_gate("smoke inhalation") == ["fire"]
    assert hazards_for_safety_gate("Unknown") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The battery can overheat, posing fire and burn hazards",
            {"fire", "burns"},
        ),
        (
            "The pressure washers lack an integral ground-fault circuit-interrupter (GFCI)",
            {"electric_shock"},
        ),
        ("The recalled dressers can tip over, posing tip-over and entrapment hazards", None),
        ("The toy contains loose magnets posing an ingestion hazard", {"ingestion"}),
        ("A drawstring in the hood of the recalled jackets", {"strangulation"}),
        ("The recalled kayak paddles can break during use, posing a drowning hazard.", None),
    ],
)
def test_english_statements_are_tagged(text: str, expected: set[str] | None) -> None:
    codes = set(hazards_for_text_en(text))
    if expected is None:
        assert codes, text
    else:
        assert expected <= codes, codes


def test_english_tagging_respects_word_boundaries() -> None:
    assert "fire" not in hazards_for_text_en("A gas fireplace insert")
    assert "chemical" not in hazards_for_text_en("The crack can lead to a failure")


@given(st.text())
def test_english_tagging_accepts_any_text(text: str) -> None:
    codes = hazards_for_text_en(text)
    assert len(codes) == len(set(codes))
