"""The phrase matcher: word boundaries, inflections, longest match, blockers; spans always exact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.foreign.phrases import PhraseMatcher, inflections, normalise
from pqrisk.core.foreign.tagging import ForeignTagger


def found(matcher: PhraseMatcher, text: str) -> list[tuple[str, tuple[object, ...]]]:
    return [(text[m.start : m.end], m.payloads) for m in matcher.find(text)]


def test_word_boundaries_and_inflections() -> None:
    matcher = PhraseMatcher([("ignite", "fire"), ("lead", "chem"), ("battery", "batt")])
    assert found(matcher, "It ignited; the leader's batteries") == [
        ("ignited", ("fire",)),
        ("batteries", ("batt",)),
    ]
    assert "tip over" in inflections("tip-over")
    assert inflections("PAH") == {"pah", "pahs"}


def test_longest_match_and_blockers() -> None:
    matcher = PhraseMatcher(
        [("fire", "fire"), ("fire extinguisher", None), ("lead", "chem"), ("lead paint", "chem")]
    )
    assert found(matcher, "A fire extinguisher with lead paint; fire!") == [
        ("lead paint", ("chem",)),
        ("fire", ("fire",)),
    ]


def test_payloads_of_different_types_do_not_hide_each_other() -> None:
    class Risk(str):
        pass

    class Hazard(str):
        pass

    matcher = PhraseMatcher([("burn", Hazard("burns")), ("chemical burns", Risk("Chemical"))])
    result = found(matcher, "may cause chemical burns")
    assert [text for text, _ in result] == ["chemical burns", "burns"]


def test_normalise_keeps_length() -> None:
    for text in ("İstanbul – Straße", "tip-over/fall\nrisk", "‘quoted’"):
        assert len(normalise(text)) == len(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "fire",
                    "choke",
                    "small parts",
                    "lead",
                    "phthalates",
                    "İ",
                    "–",
                    "-",
                    "\n",
                    "ß",
                    "’",
                ]
            ),
            st.text(max_size=8),
        ),
        max_size=25,
    ).map(" ".join)
)
def test_evidence_is_always_the_text_at_its_offsets(text: str) -> None:
    tags = ForeignTagger(model=None).tag(
        {"risk_description": text, "product_name": text, "country_of_origin": text}
    )
    sources = {"risk_description": text, "product_name": text, "country_of_origin": text}
    for tag in (*tags.risk_types, *tags.hazards, tags.category, tags.catalogue_code, tags.country):
        if tag is None:
            continue
        assert 0.0 <= tag.score <= 1.0
        for ev in tag.evidence:
            assert sources[ev.field][ev.start : ev.end] == ev.text
