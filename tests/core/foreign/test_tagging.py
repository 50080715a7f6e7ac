"""The foreign-alert tagger on Safety Gate and CPSC style sentences, written for these tests."""

from __future__ import annotations

import json

import pytest

from pqrisk.core.foreign.rules import canonical_category, canonical_risk_type, vocabulary
from pqrisk.core.foreign.tagging import (
    GIVEN_UNSUPPORTED_SCORE,
    MAX_FIELD_CHARS,
    ForeignTagger,
    ForeignTags,
)


@pytest.fixture(scope="module")
def rules_only() -> ForeignTagger:
    return ForeignTagger(model=None)


@pytest.fixture(scope="module")
def tagger() -> ForeignTagger:
    return ForeignTagger.default()


def risk_values(tags: ForeignTags) -> set[str]:
    return {t.value for t in tags.supported_risk_types()}


SAFETY_GATE_SENTENCES = [
    (
        "The product contains an excessive amount of the phthalate bis(2-ethylhexyl) phthalate "
        "(DEHP) (measured value: up to 24 % by weight). This phthalate may harm the health of "
        "children, causing possible damage to the reproductive system.",
        {"Chemical"},
    ),
    (
        "Small parts can easily detach from the toy. A young child may put them in the mouth "
        "and choke.",
        {"Choking"},
    ),
    (
        "The insulation of the power cord is insufficient and live parts are accessible. The "
        "user could get an electric shock.",
        {"Electric shock"},
    ),
    (
        "The hooded sweatshirt has functional cords in the hood area. Children can get "
        "trapped by the cords while moving, leading to strangulation.",
        {"Strangulation"},
    ),
    (
        "The battery can overheat and catch fire, causing burns to the user.",
        {"Fire", "Burns"},
    ),
    (
        "The magnets are too strong and small enough to be swallowed. If a child swallows "
        "several magnets they may attract each other and cause intestinal blockage or "
        "perforation.",
        {"Injuries"},
    ),
    (
        "The plastic bag is too thin; a child could put it over the head and suffocate.",
        {"Suffocation"},
    ),
    (
        "The product is contaminated with bacteria (Pseudomonas aeruginosa). Use of the "
        "product could cause infections.",
        {"Microbiological"},
    ),
    (
        "The sound pressure level of the earphones is too high. Prolonged use can cause "
        "damage to hearing.",
        {"Damage to hearing"},
    ),
    (
        "The laser beam is too powerful and can damage the eyes.",
        {"Damage to sight"},
    ),
    (
        "The smartwatch has an unencrypted mobile app: a third party can track the location of "
        "the child and communicate with the child.",
        {"Security"},
    ),
    (
        "The recalled dressers are unstable if they are not anchored to the wall, posing "
        "tip-over and entrapment hazards.",
        {"Injuries", "Entrapment"},
    ),
    (
        "The recalled pressure washers lack an integral ground-fault circuit-interrupter "
        "(GFCI), posing a serious risk of injury or death due to electric shock.",
        {"Electric shock"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), SAFETY_GATE_SENTENCES)
def test_risk_types_from_safety_gate_wording(
    rules_only: ForeignTagger, text: str, expected: set[str]
) -> None:
    assert risk_values(rules_only.tag({"risk_description": text})) == expected


def test_fire_extinguisher_and_no_injuries_are_not_risks(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag(
        {
            "risk_description": "The fire extinguisher may not discharge. "
            "No injuries have been reported."
        }
    )
    assert "Fire" not in risk_values(tags)
    assert "Injuries" not in risk_values(tags)


def test_lead_as_a_verb_is_not_chemical(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"risk_description": "The seat can break, which could lead to a fall."})
    assert risk_values(tags) == {"Injuries"}


def test_exploding_battery_is_a_fire(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag(
        {"risk_description": "The chargers can explode while in use, posing a fire hazard."}
    )
    assert risk_values(tags) == {"Fire"}
    stove = rules_only.tag({"risk_description": "The gas stoves can explode or catch fire."})
    assert {"Explosion", "Fire"} <= risk_values(stove)


def test_evidence_spans_point_at_the_words(rules_only: ForeignTagger) -> None:
    text = "Small parts can detach. A child may put them in the mouth and choke."
    tags = rules_only.tag({"risk_description": text})
    (choking,) = tags.supported_risk_types()
    assert choking.source == "rule"
    assert choking.evidence
    for ev in choking.evidence:
        assert ev.field == "risk_description"
        assert text[ev.start : ev.end] == ev.text
    assert {ev.text for ev in choking.evidence} >= {"Small parts", "choke"}


def test_evidence_offsets_survive_odd_characters(rules_only: ForeignTagger) -> None:
    # "İ" lower-cases to two characters; offsets must still point into the original text.
    text = "İİİ – the heater’s surface can overheat and catch fire."
    tags = rules_only.tag({"risk_description": text})
    fire = next(t for t in tags.risk_types if t.value == "Fire")
    for ev in fire.evidence:
        assert text[ev.start : ev.end] == ev.text


def test_hazards_come_from_keywords_and_mapping(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag(
        {
            "risk_description": "The lithium-ion battery can overheat and ignite, "
            "posing fire and burn hazards."
        }
    )
    hazards = {t.value: t for t in tags.hazards}
    assert {"fire", "burns"} <= set(hazards)
    assert all(t.source in {"rule", "mapping"} for t in tags.hazards)
    drowning = rules_only.tag({"risk_description": "A child could drown."})
    assert [t.value for t in drowning.hazards] == ["drowning"]


def test_risk_types_from_name_and_description_only_without_risk_description(
    rules_only: ForeignTagger,
) -> None:
    with_text = rules_only.tag(
        {
            "product_name": "Hoodie with drawstrings",
            "risk_description": "The dye contains azo dyes.",
        }
    )
    assert risk_values(with_text) == {"Chemical"}
    without = rules_only.tag({"product_name": "Hoodie with drawstrings", "risk_description": ""})
    assert risk_values(without) == {"Strangulation"}
    assert without.risk_types[0].evidence[0].field == "product_name"


@pytest.mark.parametrize(
    ("name", "description", "category", "code"),
    [
        ("Plush teddy bear", "", "toys", "040102"),
        (
            "Children's hooded sweatshirt",
            "Cotton hoodie with cords",
            "clothing, textiles and fashion items",
            None,
        ),
        (
            "Electric kettle",
            "1.7 l kettle with a stainless steel body",
            "electrical appliances and equipment",
            "010101",
        ),
        ("Power bank 20000 mAh", "", "electrical appliances and equipment", "200401"),
        ("Skin whitening cream", "Cosmetic cream sold online", "cosmetics", "090801"),
        ("LED string lights", "Christmas fairy lights, 100 LEDs", "lighting chains", "110301"),
        (
            "Acme Recalls Children's Tower Stools Due to Fall Hazard",
            "",
            "childcare articles and children's equipment",
            None,
        ),
        ("Adult Portable Bed Rails Recalled Due to Entrapment Hazard", "", "furniture", None),
    ],
)
def test_category_and_catalogue_code(
    rules_only: ForeignTagger, name: str, description: str, category: str, code: str | None
) -> None:
    tags = rules_only.tag({"product_name": name, "product_description": description})
    assert tags.category is not None
    assert tags.category.value == category
    assert tags.catalogue_code is not None
    if code:
        assert tags.catalogue_code.value == code
    for ev in tags.category.evidence:
        source = name if ev.field == "product_name" else description
        assert source[ev.start : ev.end] == ev.text


def test_category_unknown_is_none(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"product_name": "XJ-2000", "product_description": "Model 4471-B"})
    assert tags.category is None
    assert tags.catalogue_code is None


def test_catalogue_code_falls_back_to_the_family_of_the_category(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag(
        {"product_name": "Garden products set", "product_category": "garden products"}
    )
    assert tags.category is not None and tags.category.value == "garden products"
    assert tags.catalogue_code is not None
    assert tags.catalogue_code.value.startswith("15")


@pytest.mark.parametrize(
    ("value", "name", "made_in_china", "region"),
    [
        ("China", "China", True, "CN"),
        ("PRC", "China", True, "CN"),
        ("People's Republic of China", "China", True, "CN"),
        ("Made in China", "China", True, "CN"),
        ("中国", "China", True, "CN"),
        ("Hong Kong SAR", "Hong Kong", False, "HK"),
        ("Hong Kong, China", "Hong Kong", False, "HK"),
        ("Taiwan, Province of China", "Taiwan", False, "TW"),
        ("Macau", "Macao", False, "MO"),
        ("Viet Nam", "Vietnam", False, "VN"),
        ("DE", "Germany", False, "DE"),
        ("China, Vietnam", "China", True, "CN"),
    ],
)
def test_country_normalisation(
    rules_only: ForeignTagger, value: str, name: str, made_in_china: bool, region: str
) -> None:
    tags = rules_only.tag({"country_of_origin": value})
    assert tags.country is not None
    assert tags.country.value == name
    assert tags.made_in_china is made_in_china
    assert tags.origin_region == region
    assert not tags.errors


def test_unknown_country_values(rules_only: ForeignTagger) -> None:
    for value in ("unknown", "Unknown", "n/a", "", None):
        tags = rules_only.tag({"country_of_origin": value})
        assert tags.country is None and tags.origin_region == "" and not tags.made_in_china
        assert not tags.errors
    odd = rules_only.tag({"country_of_origin": "Atlantis"})
    assert odd.country is None and not odd.made_in_china
    assert any("Atlantis" in e for e in odd.errors)


def test_country_from_made_in_text(rules_only: ForeignTagger) -> None:
    description = "Wooden toy. Made in the People's Republic of China. Sold online."
    tags = rules_only.tag({"product_description": description})
    assert tags.country is not None and tags.country.value == "China"
    assert tags.made_in_china
    (ev,) = tags.country.evidence
    assert description[ev.start : ev.end] == ev.text == "People's Republic of China"
    taiwan = rules_only.tag({"product_description": "Manufactured in Taiwan."})
    assert taiwan.origin_region == "TW" and not taiwan.made_in_china


def test_given_label_supported_by_the_text_is_kept_as_given(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag(
        {"risk_type": "chemical", "risk_description": "The product contains lead (Pb)."}
    )
    (chemical,) = tags.risk_types
    assert chemical.value == "Chemical" and chemical.source == "given" and chemical.evidence
    assert not tags.disagreements


def test_given_label_the_text_does_not_support_is_reported_and_flagged(
    rules_only: ForeignTagger,
) -> None:
    tags = rules_only.tag(
        {
            "risk_type": "Chemical, Choking",
            "risk_description": "Small parts can detach; a child may choke on them.",
        }
    )
    by_value = {t.value: t for t in tags.risk_types}
    assert by_value["Choking"].source == "given"
    assert by_value["Chemical"].source == "given"
    assert by_value["Chemical"].score == GIVEN_UNSUPPORTED_SCORE
    assert {t.value for t in tags.supported_risk_types()} == {"Choking"}
    assert any("Chemical" in d for d in tags.disagreements)


def test_label_the_text_supports_but_was_not_given_is_added_and_flagged(
    rules_only: ForeignTagger,
) -> None:
    tags = rules_only.tag(
        {
            "risk_type": "Injuries;Burns",
            "risk_description": "The kettle can overheat and catch fire.",
        }
    )
    assert "Fire" in risk_values(tags)
    assert any("Fire" in d for d in tags.disagreements)
    assert any("Injuries" in d for d in tags.disagreements)


def test_given_labels_outside_the_vocabulary_are_errors(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"risk_type": "Radioactivity", "product_category": "spaceships"})
    assert tags.risk_types == ()
    assert tags.category is None
    assert len(tags.errors) == 2


def test_given_category_against_the_text(rules_only: ForeignTagger) -> None:
    agree = rules_only.tag({"product_name": "Plush toy", "product_category": "Toys"})
    assert agree.category is not None and agree.category.source == "given"
    assert agree.category.value == "toys" and not agree.disagreements
    differ = rules_only.tag({"product_name": "Plush toy", "product_category": "cosmetics"})
    assert differ.category is not None and differ.category.value == "toys"
    assert any("cosmetics" in d for d in differ.disagreements)
    unsupported = rules_only.tag({"product_name": "XJ-2000", "product_category": "cosmetics"})
    assert unsupported.category is not None and unsupported.category.source == "given"
    assert unsupported.supported_category() is None
    assert unsupported.disagreements


def test_given_labels_without_any_text_are_kept_unchecked(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"risk_type": "Choking", "product_category": "toys"})
    assert risk_values(tags) == {"Choking"}
    assert tags.supported_category() is not None
    assert len(tags.disagreements) == 2


def test_synonym_spellings_are_canonical() -> None:
    risk_types, categories = vocabulary()
    assert canonical_risk_type("electric SHOCK") == "Electric shock"
    assert canonical_risk_type("health risk/other") == "Health risk / other"
    assert canonical_category("Hobby / Sports equipment") == "hobby/sports equipment"
    assert "Chemical" in risk_types and "toys" in categories


def test_non_english_text_gives_a_note_not_a_crash(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"risk_description": "产品含有过量的邻苯二甲酸酯，可能危害儿童健康。"})
    assert tags.supported_risk_types() == ()
    assert tags.errors


def test_empty_row(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({})
    assert tags.risk_types == () and tags.category is None and tags.country is None
    assert tags.errors == () and tags.disagreements == ()


def test_long_field_is_cut_with_a_note(rules_only: ForeignTagger) -> None:
    tags = rules_only.tag({"product_description": "plush toy " * (MAX_FIELD_CHARS // 5)})
    assert tags.category is not None and tags.category.value == "toys"
    assert any("product_description" in e for e in tags.errors)


def test_to_dict_is_json_with_stable_keys(tagger: ForeignTagger) -> None:
    tags = tagger.tag(
        {
            "product_name": "Toy",
            "risk_description": "Small parts, choking.",
            "country_of_origin": "PRC",
        }
    )
    data = json.loads(json.dumps(tags.to_dict()))
    assert list(data) == [
        "risk_types",
        "hazards",
        "category",
        "catalogue_code",
        "country",
        "made_in_china",
        "origin_region",
        "disagreements",
        "errors",
    ]
    assert data["risk_types"][0]["evidence"][0]["field"] == "risk_description"


def test_tag_many_keeps_order(tagger: ForeignTagger) -> None:
    rows = [{"risk_description": "risk of fire"}, {"risk_description": "choking hazard"}, {}]
    result = tagger.tag_many(rows)
    assert [risk_values(t) for t in result] == [{"Fire"}, {"Choking"}, set()]
