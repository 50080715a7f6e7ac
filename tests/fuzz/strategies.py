"""Hypothesis strategies for hostile input, and the one check every parser must pass.

A parser may return what it parsed or raise its documented error carrying a Chinese message
(``RecordRejected``, ``ResultsRejected``, ``StationRefused``…); any other exception is a bug.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck
from hypothesis import strategies as st

from pqrisk.sources.records import COMMON_KEYS, SOURCE_KINDS
from pqrisk.sources.streams import STREAMS

# Health checks that only say the machine is busy (CI shares two cores), or that a test
# reuses tmp_path / the database across examples, as these tests mean to.
NOISY_MACHINE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
CHINESE = re.compile("[\u4e00-\u9fff]")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "big5")

# Pieces of text that have broken parsers before: markup, formulas, quotes, separators,
# control and invisible characters, lone surrogates, digits that look like dates.
NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '=HYPERLINK("x")',
        '"',
        '""',
        ",",
        ";",
        "\t",
        "\r",
        "\n",
        "\r\n",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "\ud800",
        "2026-02-30",
        "9999-99-99",
        "{",
        "[",
        "]",
        "}",
        "NaN",
        "1e999",
        "浦东新区",
        "电热水壶漏电",
        "91310115MA1H000011",
    ]
)
TEXT = st.one_of(st.text(max_size=30), NASTY, st.lists(NASTY, max_size=6).map("".join))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
DETAIL_KEYS = sorted({k for m in STREAMS.values() for pair in m.FIELD_MAP.items() for k in pair})


@st.composite
def records(draw: Any) -> Any:
    """Mostly record-shaped objects (the common keys, a known source, a stream's details),
    sometimes anything at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    keys = draw(st.lists(st.sampled_from(COMMON_KEYS), unique=True, max_size=len(COMMON_KEYS)))
    rec: dict[str, Any] = {k: draw(st.one_of(TEXT, JSON_VALUES)) for k in keys}
    if draw(st.booleans()):
        rec["source"] = draw(st.sampled_from(SOURCE_KINDS))
    if draw(st.booleans()):
        rec["external_id"] = draw(st.text(min_size=1, max_size=20))
    if draw(st.booleans()):
        rec["details"] = draw(
            st.dictionaries(st.sampled_from(DETAIL_KEYS), st.one_of(TEXT, JSON_VALUES), max_size=5)
        )
    return rec


@st.composite
def encoded_text(draw: Any, text: st.SearchStrategy[str] = TEXT) -> bytes:
    """Text in one of the encodings bureaus send, sometimes with bytes cut or spliced in."""
    value = draw(text)
    data = value.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut:]
    return data


def assert_chinese(message: str) -> None:
    assert CHINESE.search(message), message
