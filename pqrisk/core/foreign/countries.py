"""Country of origin: normalise what alerts write ("PRC", "Hong Kong SAR", "中国") to ISO 3166.

``data/countries.csv`` holds the 249 ISO 3166-1 entries (alpha-2, alpha-3, a short English
name and the ISO name / official name as aliases), taken from the Debian ``iso-codes``
package 4.15 (``iso_3166-1.json``). ``data/country_aliases.csv`` adds the spellings found in
recall data (PRC, Made in China, Hong Kong SAR, Chinese Taipei, 香港 …). Hong Kong, Macao and
Taiwan keep their own codes: the "made in China" flag means mainland China only.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_PACKAGE = "pqrisk.core.foreign"
MAINLAND_CHINA = "CN"
# Values that say the origin is not known; they give "unknown", not an error.
_UNKNOWN_FILE = "unknown_country_values.txt"
# "Made in China", "manufactured in Viet Nam", "country of origin: PRC" in free text.
_ORIGIN_IN_TEXT = re.compile(
    r"\b(?:made|manufactured|produced|assembled)\s+in\s*:?\s+(?:the\s+)?"
    r"|\bcountry\s+of\s+origin\s*[:\-]?\s*(?:is\s+)?(?:the\s+)?"
    r"|\borigin\s*:\s*",
    re.IGNORECASE,
)
_PREFIX = re.compile(
    r"^(?:made|manufactured|produced|assembled)\s+in\s+(?:the\s+)?"
    r"|^(?:country\s+of\s+)?origin\s*[:\-]?\s*",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 6


@dataclass(frozen=True)
class Country:
    alpha_2: str
    name: str


@dataclass(frozen=True)
class CountryFound:
    country: Country
    start: int  # offsets of the country name in the text it was found in
    end: int


def _key(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u3000", " ")
    text = re.sub(r"[\s.·]+", " ", text).strip(" ,;:()[]\"'").casefold()
    return text.replace(" ", "").replace("'", "") if text else ""


def _data(filename: str) -> io.TextIOWrapper:
    raw = resources.files(DATA_PACKAGE).joinpath("data", filename).open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


@cache
def _tables() -> tuple[dict[str, Country], dict[str, Country], frozenset[str]]:
    """(name/alias key → country, code → country, unknown-value keys)."""
    by_name: dict[str, Country] = {}
    by_code: dict[str, Country] = {}
    with _data("countries.csv") as handle:
        for row in csv.DictReader(handle):
            country = Country(row["alpha_2"], row["name"])
            by_code[row["alpha_2"]] = country
            by_code[row["alpha_3"]] = country
            by_name[_key(row["name"])] = country
            for alias in filter(None, row["aliases"].split("|")):
                by_name.setdefault(_key(alias), country)
    with _data("country_aliases.csv") as handle:
        for row in csv.DictReader(handle):
            by_name[_key(row["alias"])] = by_code[row["alpha_2"]]
    with _data(_UNKNOWN_FILE) as handle:
        unknown = frozenset(_key(line) for line in handle if line.strip())
    return by_name, by_code, unknown


def is_unknown_value(value: str) -> bool:
    """True for an explicit "unknown" (also empty)."""
    key = _key(value)
    return not key or key in _tables()[2]


def normalise_country(value: str) -> list[Country]:
    """The countries a country-of-origin field names, in order; [] if none is recognised.

    Tries the whole value first (so "Taiwan, Province of China" stays one country), then
    its parts split at commas, semicolons, slashes and "and".
    """
    by_name, by_code, _unknown = _tables()
    value = value.strip()
    if not value:
        return []
    whole = _lookup(value, by_name, by_code)
    if whole:
        return [whole]
    found: list[Country] = []
    for part in re.split(r"[,;/|、，；]|\band\b|&", value):
        country = _lookup(part, by_name, by_code)
        if country and country not in found:
            found.append(country)
    return found


def _lookup(text: str, by_name: dict[str, Country], by_code: dict[str, Country]) -> Country | None:
    stripped = text.strip(" .,;:()[]\"'")
    if stripped.isupper() and stripped.replace(".", "") in by_code:
        # Codes only in capitals: "IN" or "NO" as words are not India or Norway.
        return by_code[stripped.replace(".", "")]
    key = _key(text)
    if key in by_name:
        return by_name[key]
    bare = _key(_PREFIX.sub("", text.strip()))
    return by_name.get(bare)


def country_in_text(text: str) -> CountryFound | None:
    """The first "made in X" / "manufactured in X" / "country of origin: X" in free text."""
    if not text:
        return None
    by_name, by_code, _unknown = _tables()
    for marker in _ORIGIN_IN_TEXT.finditer(text):
        words = list(re.finditer(r"[^\s,;.()]+", text[marker.end() : marker.end() + 120]))
        # Longest name first: "People's Republic of China" before "People's".
        for count in range(min(_MAX_NAME_WORDS, len(words)), 0, -1):
            start = marker.end() + words[0].start()
            end = marker.end() + words[count - 1].end()
            country = _lookup(text[start:end], by_name, by_code)
            if country:
                return CountryFound(country, start, end)
    return None
