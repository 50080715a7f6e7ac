"""The one-pass matcher behind tagging, regions and extraction, and the tagger's spans."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.screening.tagging import KeywordTagger, TagMatch, Vocabulary
from pqrisk.core.text.lexicon import Lexicon, leftmost_longest, lower_same_length

WORDS = ["电动", "电动自行车", "自行车", "车", "起火", "led", "Ā"]


def test_every_match_with_offsets_and_payloads() -> None:
    lexicon = Lexicon([("电动自行车", "e-bike"), ("自行车", "bike"), ("起火", "fire")])
    lexicon.add("起火", "fire-again")
    assert sorted(lexicon.matches("电动自行车起火")) == [
        (0, 5, ("e-bike",)),
        (2, 5, ("bike",)),
        (5, 7, ("fire", "fire-again")),
    ]
    assert lexicon.longest("电动自行车起火") == [
        (0, 5, ("e-bike",)),
        (5, 7, ("fire", "fire-again")),
    ]
    assert Lexicon().matches("任何") == [] and lexicon.matches("") == []


def test_matches_never_straddle_characters() -> None:
    # "\u0100" is 00 00 01 00 in UTF-32-BE: the bytes of "Ā" followed by "a" contain those of
    # other strings at odd offsets; only whole characters may match.
    lexicon = Lexicon([("\x00", 0), ("\x01", 1), ("Āa", 2)])
    assert lexicon.matches("Āa") == [(0, 2, (2,))]


@given(st.text(alphabet="电动自行车起火ledĀ\U00020000 ", max_size=40))
def test_matches_are_exactly_the_substrings(text: str) -> None:
    lexicon = Lexicon((w, w) for w in WORDS)
    found = sorted((s, e) for s, e, _ in lexicon.matches(text))
    expected = sorted(
        (i, i + len(w)) for w in WORDS for i in range(len(text)) if text.startswith(w, i)
    )
    assert found == expected
    for start, end in found:
        assert text[start:end] in WORDS


def test_leftmost_longest() -> None:
    assert leftmost_longest([(0, 2, "a"), (0, 5, "b"), (3, 6, "c"), (5, 7, "d")]) == [
        (0, 5, "b"),
        (5, 7, "d"),
    ]


def test_lower_same_length_keeps_offsets() -> None:
    assert lower_same_length("LED台灯") == "led台灯"
    assert lower_same_length("İLED") == "İled"  # "İ".lower() is two characters


def test_tagger_spans() -> None:
    tagger = KeywordTagger(
        products=[Vocabulary("e_bike", ("电动自行车",), 3), Vocabulary("bike", ("自行车",), 2)],
        hazards=[Vocabulary("fire", ("起火",))],
        districts=[Vocabulary("310115", ("浦东新区",))],
    )
    tags = tagger.tag("浦东新区 一辆 电动自行车 起火")
    assert tags.spans == (
        TagMatch("district", "310115", "浦东新区", 0, 4),
        TagMatch("product", "e_bike", "电动自行车", 8, 13),
        TagMatch("hazard", "fire", "起火", 14, 16),
    )
    assert tagger.find("电动自行车起火") == [
        TagMatch("product", "e_bike", "电动自行车", 0, 5),
        TagMatch("hazard", "fire", "起火", 5, 7),
    ]
