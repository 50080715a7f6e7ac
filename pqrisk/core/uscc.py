"""Unified social credit code (统一社会信用代码), GB 32100-2015.

An 18-character code: registration authority (1), organisation type (1), administrative
division (6), organisation identifier (9, GB 11714), check character (1). The check character
is computed over the first 17 characters with the weights and the 31-character alphabet of
GB 32100-2015 §4 and appendix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import mul

# GB 32100-2015 code alphabet: digits and capital letters without I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weights W_i = 3^(i-1) mod 31 for positions 1..17 (GB 32100-2015, appendix).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authorities (登记管理部门码) in GB 32100-2015 table 1.
AUTHORITIES = frozenset("123456789ANY")

_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


class InvalidUSCC(ValueError):
    """A code that is not a valid unified social credit code; carries a Chinese message."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class USCC:
    code: str

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def org_type(self) -> str:
        return self.code[1]

    @property
    def division_code(self) -> str:
        """Six-digit administrative division code (GB/T 2260) of the registering authority."""
        return self.code[2:8]

    @property
    def organisation_id(self) -> str:
        return self.code[8:17]


def check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"need 17 characters of the USCC alphabet, got {first17!r}")
    return _check(first17)


def _check(first17: str) -> str:
    total = sum(map(mul, map(_VALUE.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Strip blanks and full-width forms, upper-case; does not validate."""
    out = []
    for ch in code.strip():
        if "\uff01" <= ch <= "\uff5e":  # full-width ASCII block
            ch = chr(ord(ch) - 0xFEE0)
        if not ch.isspace():
            out.append(ch)
    return "".join(out).upper()


def parse_uscc(raw: str) -> USCC:
    """Validate ``raw`` and return it normalised, or raise InvalidUSCC with a reason."""
    # Most codes arrive clean: skip the character-by-character normalisation for them.
    code = raw if len(raw or "") == 18 and _PATTERN.match(raw) else normalize(raw or "")
    if len(code) != 18:
        raise InvalidUSCC(
            code,
            f"统一社会信用代码应为18位，实际为{len(code)}位：{code or '（空）'}",
            f"USCC must have 18 characters, got {len(code)}",
        )
    if not _PATTERN.match(code):
        raise InvalidUSCC(
            code,
            f"统一社会信用代码含有非法字符（不得含I、O、S、V、Z，第3至8位须为数字）：{code}",
            "USCC contains characters outside the GB 32100-2015 alphabet",
        )
    if code[0] not in AUTHORITIES:
        raise InvalidUSCC(
            code,
            f"统一社会信用代码首位登记管理部门码无效：{code[0]}",
            f"unknown registration authority code {code[0]!r}",
        )
    expected = _check(code[:17])  # the pattern above admits only the code alphabet
    if code[17] != expected:
        raise InvalidUSCC(
            code,
            f"统一社会信用代码校验位错误：{code}（第18位应为{expected}）",
            f"USCC check character is {code[17]!r}, expected {expected!r}",
        )
    return USCC(code)


def is_valid_uscc(raw: str) -> bool:
    try:
        parse_uscc(raw)
    except InvalidUSCC:
        return False
    return True


def complete_uscc(first17: str) -> str:
    """Append the check character: builds valid codes for tests and demo data."""
    return first17 + check_character(first17)
