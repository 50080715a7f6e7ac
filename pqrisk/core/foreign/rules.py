"""The phrase rules of the foreign-alert tagger, read from versioned CSV files.

- Risk types: ``data/risk_phrases.csv`` (``risk_type,phrase,weight``; risk type ``-`` marks a
  blocker phrase such as "fire extinguisher" or "no injuries"), plus the English hazard
  keywords of ``pqrisk/taxonomy/data/hazards.csv`` through each hazard's Safety Gate risk
  types (``HAZARD_RISK_TYPE`` below for the hazards that have none there).
- Hazards: the English hazard keywords of hazards.csv, with the same blockers.
- Category: the English keywords of the product catalogue (their Safety Gate category is the
  entry's own or its nearest ancestor's), the Safety Gate category names themselves and
  ``data/category_phrases.csv`` (``phrase,category,catalogue_code,weight``; the weight,
  default 1, lets a word that decides the category outweigh the noun it modifies: "toy" in
  "toy police cars").

Risk-type and category spellings are the canonical ones of
``/work/shared/data/safety_gate_taxonomy.csv``, shipped as ``data/safety_gate_taxonomy.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pqrisk.core.foreign.phrases import PhraseMatcher, phrase_key
from pqrisk.taxonomy.loader import (
    LEVEL_FAMILY,
    ProductCategory,
    load_hazards,
    load_products,
    product_by_code,
)

DATA_PACKAGE = "pqrisk.core.foreign"
BLOCKER = "-"
# Weight of a risk type reached only through a hazards.csv keyword: just enough to count.
HAZARD_KEYWORD_WEIGHT = 0.65
# Weight of a catalogue keyword by catalogue level (a product name is more telling than a
# family name such as "tool").
CATALOGUE_LEVEL_WEIGHT = {1: 0.6, 2: 0.8, 3: 1.0}
OWN_PHRASE_WEIGHT = 1.0
CATEGORY_NAME_WEIGHT = 0.9

# hazards.csv leaves safety_gate_risk_types empty for hazards that Safety Gate files under
# a broader type; Safety Gate alerts put mechanical injuries, falls, crashes, swallowed
# magnets/batteries and failing protective equipment under "Injuries", poisoning under
# "Chemical" and laser/UV light under "Damage to sight".
HAZARD_RISK_TYPE: dict[str, str] = {
    "mechanical": "Injuries",
    "falls": "Injuries",
    "crash": "Injuries",
    "ingestion": "Injuries",
    "protective_failure": "Injuries",
    "poisoning": "Chemical",
    "radiation": "Damage to sight",
}


# Hazards whose keywords ("risk of injury", "injury from") only say that someone may get
# hurt: they count only when nothing more specific is found, like the fallback phrases.
FALLBACK_HAZARDS = frozenset({"injury_other"})


class RuleDataError(ValueError):
    """A row of a rule file that cannot be used; names the file and the line."""


@dataclass(frozen=True)
class CategoryHit:
    """What a category phrase points to: a Safety Gate category and/or a catalogue entry."""

    category: str  # "" when the catalogue entry has no Safety Gate category
    catalogue_code: str  # "" when the phrase names only a category
    weight: float


def _open(filename: str) -> io.TextIOWrapper:
    raw = resources.files(DATA_PACKAGE).joinpath("data", filename).open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def _rows(filename: str) -> list[tuple[int, dict[str, str]]]:
    with _open(filename) as handle:
        reader = csv.DictReader(handle)
        return [(reader.line_num, {k: (v or "").strip() for k, v in row.items()}) for row in reader]


@cache
def vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(risk types, product categories) in the canonical Safety Gate spelling."""
    risk_types: list[str] = []
    categories: list[str] = []
    for line, row in _rows("safety_gate_taxonomy.csv"):
        if row["kind"] == "risk_type":
            risk_types.append(row["value"])
        elif row["kind"] == "product_category":
            categories.append(row["value"])
        else:
            raise RuleDataError(f"safety_gate_taxonomy.csv:{line}: unknown kind {row['kind']!r}")
    return tuple(risk_types), tuple(categories)


def label_key(label: str) -> str:
    """Case- and spacing-insensitive label: "health risk/other" = "Health risk / other"."""
    label = label.replace("&", " and ")
    label = re.sub(r"\s*/\s*", "/", label)
    return " ".join(label.split()).casefold()


# Spellings seen in exports for the same Safety Gate label.
_RISK_TYPE_SYNONYMS = {
    "chemical risk": "Chemical",
    "chemicals": "Chemical",
    "injury": "Injuries",
    "burn": "Burns",
    "cut": "Cuts",
    "cuts/abrasion": "Cuts",
    "electrical shock": "Electric shock",
    "electric shocks": "Electric shock",
    "microbiological risk": "Microbiological",
    "health risk/other": "Health risk / other",
    "strangulation risk": "Strangulation",
    "risk of suffocation": "Suffocation",
}


@cache
def _risk_type_index() -> dict[str, str]:
    index = {label_key(value): value for value in vocabulary()[0]}
    for synonym, value in _RISK_TYPE_SYNONYMS.items():
        index.setdefault(label_key(synonym), value)
    return index


@cache
def _category_index() -> dict[str, str]:
    return {label_key(value): value for value in vocabulary()[1]}


def canonical_risk_type(label: str) -> str | None:
    return _risk_type_index().get(label_key(label))


def canonical_category(label: str) -> str | None:
    return _category_index().get(label_key(label))


@dataclass(frozen=True)
class RiskHit:
    """What a risk phrase points to. ``fallback`` phrases ("injury", "death") count only
    when no other risk type is found: "posing a fire hazard and risk of serious injury" is
    a fire alert, not an injury one."""

    risk_type: str
    weight: float
    fallback: bool = False


@dataclass(frozen=True)
class HazardHit:
    code: str


@cache
def _own_risk_rows() -> tuple[tuple[str, RiskHit | None], ...]:
    risk_types = set(vocabulary()[0])
    entries: list[tuple[str, RiskHit | None]] = []
    for line, row in _rows("risk_phrases.csv"):
        label, phrase = row["risk_type"], row["phrase"]
        if label == BLOCKER:
            entries.append((phrase, None))
            continue
        if label not in risk_types:
            raise RuleDataError(
                f"risk_phrases.csv:{line}: {label!r} is not a Safety Gate risk type"
            )
        try:
            weight = float(row["weight"])
        except ValueError:
            raise RuleDataError(f"risk_phrases.csv:{line}: weight must be a number") from None
        entries.append((phrase, RiskHit(label, weight, row.get("fallback") == "1")))
    return tuple(entries)


@cache
def risk_matcher() -> PhraseMatcher:
    """One automaton for RiskHit payloads (own phrases + hazard keywords) and HazardHit
    payloads (hazards.csv English keywords), with the blockers of risk_phrases.csv."""
    own = list(_own_risk_rows())
    entries: list[tuple[str, RiskHit | HazardHit | None]] = list(own)
    own_forms = {phrase_key(phrase) for phrase, _hit in own}
    for hazard in load_hazards():
        primary = hazard_risk_types()[hazard.code][:1]
        for keyword in hazard.keywords_en:
            entries.append((keyword, HazardHit(hazard.code)))
            # Our own phrase list decides the risk type of a phrase it lists ("eject" is an
            # injury in Safety Gate terms, an explosion in hazards.csv).
            if phrase_key(keyword) not in own_forms:
                for risk_type in primary:
                    hit = RiskHit(risk_type, HAZARD_KEYWORD_WEIGHT, hazard.code in FALLBACK_HAZARDS)
                    entries.append((keyword, hit))
    return PhraseMatcher(entries)


@cache
def hazard_risk_types() -> dict[str, tuple[str, ...]]:
    """Hazard code → the Safety Gate risk types it stands for (taxonomy, else HAZARD_RISK_TYPE)."""
    result: dict[str, tuple[str, ...]] = {}
    for hazard in load_hazards():
        types = hazard.safety_gate_risk_types
        if not types and hazard.code in HAZARD_RISK_TYPE:
            types = (HAZARD_RISK_TYPE[hazard.code],)
        result[hazard.code] = tuple(types)
    return result


def _resolved_category(product: ProductCategory) -> str:
    node: ProductCategory | None = product
    while node is not None:
        if node.safety_gate_category:
            return canonical_category(node.safety_gate_category) or ""
        node = product_by_code(node.parent_code) if node.parent_code else None
    return ""


def _is_english(keyword: str) -> bool:
    return bool(re.search(r"[A-Za-z]{2}", keyword)) and not re.search(r"[\u3400-\u9fff]", keyword)


@cache
def category_matcher() -> PhraseMatcher:
    """Phrases → CategoryHit payloads."""
    entries: list[tuple[str, CategoryHit | None]] = []
    own = _own_category_rows()
    # Our phrase list decides the category of a phrase it lists (the labelling guide files
    # power banks under electrical appliances, the catalogue under phone accessories).
    own_forms = {phrase_key(phrase) for phrase, _hit in own}
    for product in load_products():
        category = _resolved_category(product)
        for keyword in product.keywords:
            if _is_english(keyword) and phrase_key(keyword) not in own_forms:
                weight = CATALOGUE_LEVEL_WEIGHT[product.level]
                entries.append((keyword, CategoryHit(category, product.code, weight)))
    for category in vocabulary()[1]:
        if phrase_key(category) not in own_forms:
            entries.append((category, CategoryHit(category, "", CATEGORY_NAME_WEIGHT)))
    entries.extend(own)
    return PhraseMatcher(entries)


@cache
def _own_category_rows() -> tuple[tuple[str, CategoryHit], ...]:
    entries = []
    for line, row in _rows("category_phrases.csv"):
        category = canonical_category(row["category"])
        if category is None:
            raise RuleDataError(
                f"category_phrases.csv:{line}: {row['category']!r} is not a Safety Gate category"
            )
        code = row["catalogue_code"]
        if code and product_by_code(code) is None:
            raise RuleDataError(f"category_phrases.csv:{line}: unknown catalogue code {code!r}")
        try:
            weight = float(row.get("weight") or OWN_PHRASE_WEIGHT)
        except ValueError:
            raise RuleDataError(f"category_phrases.csv:{line}: weight must be a number") from None
        entries.append((row["phrase"], CategoryHit(category, code, weight)))
    return tuple(entries)


@cache
def family_for_category() -> dict[str, str]:
    """Safety Gate category → the broadest catalogue entry filed under it (a family if any)."""
    best: dict[str, ProductCategory] = {}
    for product in load_products():
        category = (
            canonical_category(product.safety_gate_category)
            if product.safety_gate_category
            else None
        )
        if category and (category not in best or product.level < best[category].level):
            best[category] = product
    return {category: product.code for category, product in best.items()}


def catalogue_level(code: str) -> int:
    product = product_by_code(code)
    return product.level if product else LEVEL_FAMILY
