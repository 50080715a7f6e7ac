"""Numbers as Chinese texts write them: 3, 1.2万, 3,000, 三, 十二, 两百, 二〇二六, 十余, 上千.

Counts in risk texts mix Arabic digits, Chinese numerals and the multipliers 万 and 亿
("召回1.2万件", "三名儿童", "20余名学生"). ``parse_number`` reads one such number;
``NUMBER`` is the regular expression that finds them, for use inside larger patterns.
The text itself is never rewritten: evidence keeps the source's words and their value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
_BIG_DESCENDING = tuple(sorted(_BIG.items(), key=lambda kv: -kv[1]))
CHINESE_DIGITS = "".join(_DIGITS)
CHINESE_NUMERAL = CHINESE_DIGITS + "".join(_UNITS)

# Approximate markers: before the number (约3人, 近百人, 上千件, 逾万) or after it (十余名,
# 20多名). Our list; 上 only before 百/千/万 (楼上3人 is not approximate).
_APPROX_BEFORE = r"大约|将近|接近|至少|超过|约|近|逾|超|上(?=[百千万])"
_APPROX_AFTER = ("余", "多")

# One number: Arabic (thousands separators, decimals, then 万/亿) or a run of Chinese
# numerals (which may hold 万/亿 inside: 两万五千). A quantity adds the approximate markers;
# 余/多 may stand before a final 万/亿 (十余万).
NUMBER = (
    r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[万萬亿]?"
    rf"|[{CHINESE_NUMERAL}][{CHINESE_NUMERAL}万萬亿]*"
)
QUANTITY = (
    rf"(?P<approx_before>{_APPROX_BEFORE})?"
    rf"(?P<number>(?:{NUMBER})(?:[余多][万萬亿]?)?)"
)
_QUANTITY = re.compile(QUANTITY)


@dataclass(frozen=True)
class Quantity:
    value: float
    approximate: bool


def _chinese_integer(text: str) -> int | None:
    """Value of a run of Chinese numerals without 万/亿: 三, 十二, 两百零五, 二〇二六."""
    if not text:
        return None
    if all(ch in _DIGITS for ch in text):
        # Digit by digit (二〇二六 = 2026), or a single digit.
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total = 0
    digit: int | None = None
    last_unit = 10_000
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0:
                return None  # two digits without a unit between them: 三五十
            digit = _DIGITS[ch] if _DIGITS[ch] != 0 else None
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None  # units must fall: 百十 is not a number
            total += (1 if digit is None else digit) * unit
            digit = None
            last_unit = unit
        else:
            return None
    return total + (digit or 0)


def parse_number(text: str) -> float | None:
    """The value of one number token (see ``NUMBER``), with 万/亿 applied; None when it is
    not a number. "1.2万" → 12000, "三" → 3, "十二" → 12, "3,000" → 3000, "两万五千" → 25000."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    if text.isdigit() and text.isascii():
        return float(text)  # the common case, without the exception of float("三")
    for big_char, big in _BIG_DESCENDING:
        if big_char in text:
            head, _, tail = text.partition(big_char)
            head_value = parse_number(head) if head else 1.0
            tail_value = parse_number(tail) if tail else 0.0
            if head_value is None or tail_value is None:
                return None
            return head_value * big + tail_value
    if text[0] in _DIGITS or text[0] in _UNITS:
        value = _chinese_integer(text)
        return None if value is None else float(value)
    try:
        return float(text)
    except ValueError:
        pass
    value = _chinese_integer(text)
    return None if value is None else float(value)


def parse_quantity(text: str) -> Quantity | None:
    """A number with its approximate markers: "十余" → 10 (approximate), "近百" → 100
    (approximate), "1.2万" → 12000, "3万余" → 30000 (approximate)."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        return None
    number = match.group("number")
    approximate = match.group("approx_before") is not None or any(
        ch in number for ch in _APPROX_AFTER
    )
    value = parse_number(number.replace("余", "").replace("多", ""))
    if value is None:
        return None
    return Quantity(value, approximate)
