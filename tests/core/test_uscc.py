"""Unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.uscc import (
    ALPHABET,
    AUTHORITIES,
    InvalidUSCC,
    check_character,
    complete_uscc,
    is_valid_uscc,
    parse_uscc,
)

REAL = ["91350100M000100Y43", "91310000132200821H"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert parse_uscc(code).code == code


def test_parts() -> None:
    u = parse_uscc("91310000132200821H")
    assert (u.authority, u.org_type, u.division_code, u.organisation_id) == (
        "9",
        "1",
        "310000",
        "132200821",
    )


def test_full_width_lower_case_and_blanks_are_normalised() -> None:
    assert parse_uscc(" ９１３１００００１３２２００８２１ｈ ").code == "91310000132200821H"
    assert parse_uscc("9131 0000 1322 0082 1h").code == "91310000132200821H"


def test_wrong_check_character() -> None:
    with pytest.raises(InvalidUSCC) as info:
        parse_uscc("91310000132200821J")
    assert info.value.message_zh == "统一社会信用代码校验位错误：91310000132200821J（第18位应为H）"


@pytest.mark.parametrize("bad", "IOSVZ")
def test_letters_outside_the_alphabet(bad: str) -> None:
    code = "913100001322008" + bad + "1H"
    with pytest.raises(InvalidUSCC) as info:
        parse_uscc(code)
    assert "非法字符" in info.value.message_zh


@pytest.mark.parametrize("code", ["", "9131000013220082", "91310000132200821HH"])
def test_wrong_length(code: str) -> None:
    with pytest.raises(InvalidUSCC) as info:
        parse_uscc(code)
    assert "应为18位" in info.value.message_zh


def test_division_must_be_digits_and_authority_known() -> None:
    assert not is_valid_uscc(complete_uscc("91A1000013220082" + "1"))
    assert not is_valid_uscc(complete_uscc("B1310000132200821"))


def test_check_character_needs_17_alphabet_characters() -> None:
    with pytest.raises(ValueError):
        check_character("123")
    with pytest.raises(ValueError):
        check_character("I" * 17)


first17 = st.builds(
    lambda a, t, d, o: a + t + d + o,
    st.sampled_from(sorted(AUTHORITIES)),
    st.sampled_from(ALPHABET),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


@given(first17)
def test_complete_uscc_is_always_valid(prefix: str) -> None:
    code = complete_uscc(prefix)
    assert len(code) == 18 and is_valid_uscc(code)


@given(first17, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET))
def test_any_single_character_change_is_invalid(prefix: str, pos: int, ch: str) -> None:
    code = complete_uscc(prefix)
    if code[pos] == ch:
        ch = ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)]
    changed = code[:pos] + ch + code[pos + 1 :]
    assert not is_valid_uscc(changed)
