"""Reference taxonomies: Shanghai districts, the product catalogue and the hazard types.

The data live as versioned CSV files in ``pqrisk/taxonomy/data/`` so that reviewers can read
and diff them; this module only parses them. It is pure Python (no Django) so the domain core
and the command line can use it, and it reads the files through ``importlib.resources`` so it
works from an installed wheel as well as from a checkout.

- ``districts.csv``: the 16 districts of Shanghai with their GB/T 2260 codes, plus
  临港新片区 under the internal code 310199 (it has no GB/T 2260 code of its own).
- ``product_catalogue.csv``: families (2 digits) → classes (4) → products (6), as the
  city bureau's spot checks (监督抽查) group them. ``ccc``, ``licensed`` and
  ``vulnerable_users`` on a family or class are true only when every product under it has
  the flag.
- ``hazards.csv``: hazard types with Chinese and English keywords and their mapping to the EU
  Safety Gate risk types and the CPSC hazard labels. ``default_severity`` is the typical
  worst credible injury on the 1–4 scale of EU 2019/417 / GB/T 22760-2020 (METHODS §1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_PACKAGE = "pqrisk.taxonomy"
KEYWORD_SEPARATOR = "|"
LEVEL_FAMILY, LEVEL_CLASS, LEVEL_PRODUCT = 1, 2, 3
# Code length per catalogue level: family 2 digits, class 4, product 6.
CODE_LENGTH = {LEVEL_FAMILY: 2, LEVEL_CLASS: 4, LEVEL_PRODUCT: 6}
SEVERITY_RANGE = range(1, 5)


class TaxonomyDataError(ValueError):
    """A row of a taxonomy file that cannot be read; names the file and the line."""


@dataclass(frozen=True)
class District:
    code: str
    name: str
    short_name: str
    kind: str  # "district" or "special_area"


@dataclass(frozen=True)
class ProductCategory:
    code: str
    parent_code: str
    level: int
    name: str
    keywords: tuple[str, ...]
    safety_gate_category: str
    neiss_codes: tuple[str, ...]
    ccc: bool
    licensed: bool
    vulnerable_users: bool

    @property
    def is_leaf(self) -> bool:
        return self.level == LEVEL_PRODUCT

    @property
    def family_code(self) -> str:
        return self.code[: CODE_LENGTH[LEVEL_FAMILY]]


@dataclass(frozen=True)
class HazardType:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    safety_gate_risk_types: tuple[str, ...]
    cpsc_hazards: tuple[str, ...]
    default_severity: int
    keywords_en: tuple[str, ...] = ()


def _rows(filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a CSV file in the package's ``data`` folder."""
    path = resources.files(DATA_PACKAGE).joinpath("data", filename)
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(KEYWORD_SEPARATOR) if part.strip())


def _flag(value: str, filename: str, line: int, column: str) -> bool:
    if value not in ("0", "1", ""):
        raise TaxonomyDataError(f"{filename}:{line}: {column} must be 0 or 1, got {value!r}")
    return value == "1"


def _int(value: str, filename: str, line: int, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise TaxonomyDataError(
            f"{filename}:{line}: {column} must be an integer, got {value!r}"
        ) from None


@cache
def load_districts() -> list[District]:
    """The 17 district-level units of Shanghai, in the order of districts.csv."""
    return [
        District(code=row["code"], name=row["name"], short_name=row["short_name"], kind=row["kind"])
        for _line, row in _rows("districts.csv")
    ]


@cache
def load_products() -> list[ProductCategory]:
    """The product catalogue, families first within each branch (file order)."""
    filename = "product_catalogue.csv"
    products = []
    for line, row in _rows(filename):
        level = _int(row["level"], filename, line, "level")
        if level not in CODE_LENGTH:
            raise TaxonomyDataError(f"{filename}:{line}: level must be 1, 2 or 3, got {level}")
        products.append(
            ProductCategory(
                code=row["code"],
                parent_code=row["parent_code"],
                level=level,
                name=row["name"],
                keywords=_split(row["keywords"]),
                safety_gate_category=row["safety_gate_category"],
                neiss_codes=_split(row["neiss_codes"]),
                ccc=_flag(row["ccc"], filename, line, "ccc"),
                licensed=_flag(row["licensed"], filename, line, "licensed"),
                vulnerable_users=_flag(row["vulnerable_users"], filename, line, "vulnerable_users"),
            )
        )
    return products


@cache
def load_hazards() -> list[HazardType]:
    """The hazard types, in the order of hazards.csv."""
    filename = "hazards.csv"
    hazards = []
    for line, row in _rows(filename):
        severity = _int(row["default_severity"], filename, line, "default_severity")
        if severity not in SEVERITY_RANGE:
            raise TaxonomyDataError(f"{filename}:{line}: default_severity must be 1–4")
        hazards.append(
            HazardType(
                code=row["code"],
                name=row["name"],
                description=row["description"],
                keywords=_split(row["keywords"]),
                safety_gate_risk_types=_split(row["safety_gate_risk_types"]),
                cpsc_hazards=_split(row["cpsc_hazards"]),
                default_severity=severity,
                keywords_en=_split(row.get("keywords_en", "")),
            )
        )
    return hazards


@cache
def _products_by_code() -> dict[str, ProductCategory]:
    return {product.code: product for product in load_products()}


def product_by_code(code: str) -> ProductCategory | None:
    return _products_by_code().get(code.strip())


def product_path(code: str) -> list[ProductCategory]:
    """The chain family → class → product ending at ``code``; KeyError if it is unknown."""
    products = _products_by_code()
    node = products.get(code.strip())
    if node is None:
        raise KeyError(f"unknown product catalogue code {code!r}")
    path = [node]
    while node.parent_code:
        node = products[node.parent_code]
        path.append(node)
    path.reverse()
    return path


def _normalise_label(label: str) -> str:
    return " ".join(label.split()).casefold()


@cache
def _hazards_by_safety_gate() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for hazard in load_hazards():
        for risk_type in hazard.safety_gate_risk_types:
            index.setdefault(_normalise_label(risk_type), []).append(hazard.code)
    return index


@cache
def _hazards_by_cpsc() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for hazard in load_hazards():
        for label in hazard.cpsc_hazards:
            codes = index.setdefault(_normalise_label(label), [])
            if hazard.code not in codes:
                codes.append(hazard.code)
    return index


def hazards_for_safety_gate(risk_type: str) -> list[str]:
    """Hazard codes for an EU Safety Gate ``risk_type`` (case/whitespace-insensitive)."""
    return list(_hazards_by_safety_gate().get(_normalise_label(risk_type), []))


def hazards_for_cpsc(label: str) -> list[str]:
    """Hazard codes for a CPSC hazard label such as "Fire & Fire-Related Burn"."""
    return list(_hazards_by_cpsc().get(_normalise_label(label), []))


def _english_pattern(phrase: str) -> str:
    # Words may be joined by spaces or hyphens in recall text ("tip-over", "tip over"), and a
    # keyword also matches its plain inflections ("ignite" → "ignites", "ignited").
    words = [re.escape(word) for word in re.split(r"[\s\-]+", phrase) if word]
    return r"(?<![a-z0-9])" + r"[\s\-]+".join(words) + r"(?:s|es|d|ed|ing)?(?![a-z0-9])"


@cache
def _english_matchers() -> tuple[tuple[str, re.Pattern[str]], ...]:
    matchers = []
    for hazard in load_hazards():
        if hazard.keywords_en:
            pattern = "|".join(_english_pattern(keyword) for keyword in hazard.keywords_en)
            matchers.append((hazard.code, re.compile(pattern, re.IGNORECASE)))
    return tuple(matchers)


def hazards_for_text_en(text: str) -> list[str]:
    """Hazard codes whose English keywords occur in ``text`` (order of hazards.csv).

    Meant for recall hazard statements such as "The battery can overheat, posing fire and
    burn hazards"; it is keyword matching, so it tags what the text names, not what it implies.
    """
    if not text:
        return []
    return [code for code, pattern in _english_matchers() if pattern.search(text)]


@cache
def _districts_by_alias() -> dict[str, District]:
    index: dict[str, District] = {}
    for district in load_districts():
        aliases = {district.code, district.name, district.short_name, district.short_name + "区"}
        aliases.update(_EXTRA_DISTRICT_ALIASES.get(district.code, ()))
        for alias in aliases:
            index[alias] = district
    return index


# Names still found in older records: 南汇区 merged into 浦东新区 (2009), 卢湾区 into 黄浦区
# (2011), 闸北区 into 静安区 (2015); 崇明县 became 崇明区 in 2016. 临港新片区 is the
# 中国（上海）自由贸易试验区临港新片区, set up in 2019.
_EXTRA_DISTRICT_ALIASES: dict[str, tuple[str, ...]] = {
    "310101": ("卢湾区", "卢湾"),
    "310106": ("闸北区", "闸北"),
    "310115": ("浦东新区", "浦东区", "南汇区", "南汇"),
    "310151": ("崇明县",),
    "310199": (
        "临港新片区",
        "临港新区",
        "临港片区",
        "临港区",
        "中国（上海）自由贸易试验区临港新片区",
        "上海自贸区临港新片区",
    ),
}
_CITY_PREFIXES = ("上海市", "上海")


def district_by_name(name_or_short: str) -> District | None:
    """The district for a full or short name or code (浦东新区, 浦东, 浦东区, 310115, 临港)."""
    text = "".join(name_or_short.split()).replace("(", "（").replace(")", "）")
    if not text:
        return None
    index = _districts_by_alias()
    if text in index:
        return index[text]
    for prefix in _CITY_PREFIXES:
        if text.startswith(prefix) and text[len(prefix) :] in index:
            return index[text[len(prefix) :]]
    return None
