"""Tag a foreign recall alert (EU Safety Gate, US CPSC) in our terms, with evidence.

Given the English text of an alert — product name and description, risk description — and
the labels it may carry, the tagger returns:

- Safety Gate risk types (several allowed) from the risk description, or from the name and
  description when the risk description is empty, by phrase rules (``rules.py``), then the
  trained model (``model.py``) for the rows where the rules find nothing;
- our hazard codes: hazards.csv keywords found in the same text, plus the hazards the
  taxonomy maps each risk type to (source ``mapping``) when no keyword hazard covers it;
- the Safety Gate product category and our catalogue code from the name and description;
- the country of origin (ISO 3166) and the made-in-China flag (mainland only; Hong Kong,
  Macao and Taiwan are their own ``origin_region``).

Given labels (``risk_type``, ``product_category``) are checked against the text, not copied:
a given label the text supports is kept with source ``given`` and its evidence; one it does
not support is still reported (source ``given``, score ``GIVEN_UNSUPPORTED_SCORE``, no
evidence) and named in ``disagreements``; a label the text supports but that was not given
is added and named there too. ``ForeignTags.supported_risk_types`` /
``supported_category`` drop the unsupported given labels (what the CLI writes).

Pure Python, no Django: it runs in the CLI, the Celery task and the benchmark alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pqrisk.core.foreign import rules
from pqrisk.core.foreign.countries import (
    MAINLAND_CHINA,
    country_in_text,
    is_unknown_value,
    normalise_country,
)
from pqrisk.core.foreign.model import ForeignModel, load_shipped_model
from pqrisk.core.foreign.phrases import PhraseMatch
from pqrisk.taxonomy.loader import hazards_for_safety_gate

FIELDS = (
    "id",
    "product_name",
    "product_description",
    "brand",
    "model",
    "product_category",
    "risk_type",
    "risk_description",
    "country_of_origin",
)
# Longer text is cut for tagging (the row keeps its full text elsewhere); real risk
# descriptions are a few hundred characters, product descriptions a few thousand.
MAX_FIELD_CHARS = 20_000
RISK_THRESHOLD = 0.6
# Each further distinct phrase for the same risk type adds this much to its score.
RISK_SUPPORT_BONUS = 0.05
MAX_SCORE = 0.99
GIVEN_SUPPORTED_SCORE = 0.95
GIVEN_UNSUPPORTED_SCORE = 0.3
MAPPING_FACTOR = 0.9
HAZARD_RULE_SCORE = 0.8
# Category evidence weight by where it was found: the product name names the product; the
# words before "with"/"for"/"(" are its head, the rest names parts and accessories.
NAME_HEAD_WEIGHT = 2.0
NAME_HEAD_LAST_BONUS = 2.5
NAME_TAIL_WEIGHT = 0.3
DESCRIPTION_WEIGHT = 1.0
DESCRIPTION_HEAD_CHARS = 200  # the first sentence or so says what the product is
DESCRIPTION_HEAD_BONUS = 0.5
MAX_EVIDENCE = 8
# The product is named in the first lines of a description; the rest (sizes, model numbers,
# where it was sold) only adds noise and time.
CATEGORY_TEXT_CHARS = 3_000
MODEL_TEXT_CHARS = 1_000
# Enough text to tell English from other scripts.
LANGUAGE_SAMPLE_CHARS = 2_000
COUNTRY_FIELD_SCORE = 1.0
COUNTRY_TEXT_SCORE = 0.8
_NAME_TAIL = re.compile(
    r"\s(?:with|for|including|includes|containing|featuring|sold|from)\s|[(\[|]|\s[-–]\s",
    re.IGNORECASE,
)
_RECALL_TITLE = re.compile(
    r"\brecalls?\s+(?P<product>.+?)(?=\s+(?:due\s+to|because|after|over|following)\b|;|$)",
    re.IGNORECASE,
)
_RECALLED_TITLE = re.compile(
    r"^(?P<product>.+?)(?=\s+(?:are\s+|is\s+|being\s+)?recalled\b)", re.IGNORECASE
)
_GIVEN_SPLIT = re.compile(r"\s*[,;|]\s*|\s+and\s+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")
_CORD_TRAPPED = frozenset(
    {
        "trapped",
        "get trapped",
        "become trapped",
        "trap",
        "get caught",
        "caught",
        "gets caught",
        "entrapped",
        "become entrapped",
        "can become entrapped",
        "entrap",
    }
)
_BATTERY = re.compile(
    r"\b(?:batter(?:y|ies)|charger|chargers|power ?banks?|lithium|li-ion|e-?cigarettes?|vapes?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Evidence:
    field: str  # input field name, e.g. "risk_description"
    start: int  # character offsets into that field's text
    end: int
    text: str  # the matched span


@dataclass(frozen=True)
class Tag:
    value: str
    score: float  # 0..1 confidence
    source: str  # "rule" | "model" | "given" | "mapping"
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class ForeignTags:
    risk_types: tuple[Tag, ...]
    hazards: tuple[Tag, ...]
    category: Tag | None
    catalogue_code: Tag | None
    country: Tag | None
    made_in_china: bool
    origin_region: str
    disagreements: tuple[str, ...]
    errors: tuple[str, ...]

    def supported_risk_types(self) -> tuple[Tag, ...]:
        """Risk types the text supports (drops given labels the text does not support)."""
        return tuple(t for t in self.risk_types if _is_supported(t))

    def supported_category(self) -> Tag | None:
        return self.category if self.category is not None and _is_supported(self.category) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk_types": [_tag_dict(t) for t in self.risk_types],
            "hazards": [_tag_dict(t) for t in self.hazards],
            "category": _tag_dict(self.category) if self.category else None,
            "catalogue_code": _tag_dict(self.catalogue_code) if self.catalogue_code else None,
            "country": _tag_dict(self.country) if self.country else None,
            "made_in_china": self.made_in_china,
            "origin_region": self.origin_region,
            "disagreements": list(self.disagreements),
            "errors": list(self.errors),
        }


def _is_supported(tag: Tag) -> bool:
    return not (tag.source == "given" and not tag.evidence and tag.score <= GIVEN_UNSUPPORTED_SCORE)


def _tag_dict(tag: Tag) -> dict[str, Any]:
    return {
        "value": tag.value,
        "score": round(tag.score, 4),
        "source": tag.source,
        "evidence": [
            {"field": e.field, "start": e.start, "end": e.end, "text": e.text} for e in tag.evidence
        ],
    }


@dataclass
class _Row:
    """One alert's cleaned text fields and the notes gathered while reading them."""

    texts: dict[str, str]
    errors: list[str] = field(default_factory=list)


def _clean(fields: Mapping[str, str | None]) -> _Row:
    row = _Row(texts={})
    for name in FIELDS:
        value = fields.get(name)
        if value is None:
            text = ""
        elif isinstance(value, str):
            text = value
        else:
            text = str(value)
            row.errors.append(f"字段 {name} 不是文本，已按文本处理")
        if len(text) > MAX_FIELD_CHARS:
            row.errors.append(
                f"字段 {name} 长 {len(text)} 字符，超过 {MAX_FIELD_CHARS} 字符上限，"
                f"只按前 {MAX_FIELD_CHARS} 字符标注"
            )
            text = text[:MAX_FIELD_CHARS]
        row.texts[name] = text
    return row


def _mostly_non_latin(text: str) -> bool:
    text = text[:LANGUAGE_SAMPLE_CHARS]
    if text.isascii():
        return False
    letters = len(_LETTER.findall(text))
    return letters >= 3 and len(_LATIN_LETTER.findall(text)) < letters / 2


def _add_evidence(store: dict[str, list[Evidence]], key: str, ev: Evidence) -> None:
    """Keep the first MAX_EVIDENCE spans per label (a long text repeats itself)."""
    spans = store.get(key)
    if spans is None:
        store[key] = [ev]
    elif len(spans) < MAX_EVIDENCE and ev is not spans[-1]:
        spans.append(ev)


def _evidence(field_name: str, text: str, match: PhraseMatch) -> Evidence:
    return Evidence(field_name, match.start, match.end, text[match.start : match.end])


@dataclass
class _RiskFindings:
    scores: dict[str, float]
    evidence: dict[str, list[Evidence]]
    hazard_evidence: dict[str, list[Evidence]]


def _find_risks(texts: list[tuple[str, str]]) -> _RiskFindings:
    weights: dict[str, dict[str, float]] = {}  # risk type → phrase → weight
    fallback_weights: dict[str, dict[str, float]] = {}
    evidence: dict[str, list[Evidence]] = {}
    hazard_evidence: dict[str, list[Evidence]] = {}
    for field_name, text in texts:
        for match in rules.risk_matcher().find(text):
            ev = _evidence(field_name, text, match)
            for payload in match.payloads:
                if isinstance(payload, rules.HazardHit):
                    _add_evidence(hazard_evidence, payload.code, ev)
                    continue
                assert isinstance(payload, rules.RiskHit)
                target = fallback_weights if payload.fallback else weights
                phrases = target.setdefault(payload.risk_type, {})
                key = ev.text.casefold()
                phrases[key] = max(phrases.get(key, 0.0), payload.weight)
                _add_evidence(evidence, payload.risk_type, ev)
    scores = _combine(weights)
    if not any(score >= RISK_THRESHOLD for score in scores.values()):
        for label, score in _combine(fallback_weights).items():
            scores[label] = max(score, scores.get(label, 0.0))
    if (
        "Explosion" in scores
        and "Fire" in scores
        and any(_BATTERY.search(text) for _name, text in texts)
    ):
        # A battery, charger or device that "can explode" is a fire alert in Safety Gate
        # terms; Explosion is kept for fuel, gas and pressure vessels.
        del scores["Explosion"]
    if "Strangulation" in scores and "Entrapment" in scores:
        trapped_words = {ev.text.casefold() for ev in evidence.get("Entrapment", [])}
        if trapped_words <= _CORD_TRAPPED:
            # "children can get trapped by the cords … strangulation" describes the
            # strangulation; a head or torso through an opening would be named as such.
            del scores["Entrapment"]
    evidence = {label: evs for label, evs in evidence.items() if label in scores}
    return _RiskFindings(scores, evidence, hazard_evidence)


def _combine(weights: dict[str, dict[str, float]]) -> dict[str, float]:
    scores = {}
    for label, phrases in weights.items():
        values = sorted(phrases.values(), reverse=True)
        scores[label] = min(MAX_SCORE, values[0] + RISK_SUPPORT_BONUS * (len(values) - 1))
    return scores


@dataclass
class _CategoryFindings:
    scores: dict[str, float]
    evidence: dict[str, list[Evidence]]
    # catalogue code → (category, level, best weight, first position), to choose the most
    # specific entry, and the spans that named it
    codes: dict[str, tuple[str, int, float, int]]
    code_evidence: dict[str, list[Evidence]]


def _name_head(name: str) -> tuple[int, int]:
    """Where a product name names the product itself.

    A recall title "Acme Recalls Children's Tower Stools Due to Fall Hazard" names it between
    "Recalls" and "Due to"; "Adult Bed Rails Recalled Due to …" before "Recalled". Within
    that, the words before "with"/"for"/"," are the product, the rest its parts.
    """
    start, end = 0, len(name)
    title = _RECALL_TITLE.search(name) or _RECALLED_TITLE.search(name)
    if title:
        start, end = title.span("product")
    tail = _NAME_TAIL.search(name, start, end)
    if tail and tail.start() > start:
        end = tail.start()
    return start, end


def _find_categories(texts: list[tuple[str, str]]) -> _CategoryFindings:
    scores: dict[str, float] = {}
    evidence: dict[str, list[Evidence]] = {}
    codes: dict[str, tuple[str, int, float, int]] = {}
    code_evidence: dict[str, list[Evidence]] = {}
    matcher = rules.category_matcher()
    order = 0
    for field_name, text in texts:
        matches = matcher.find(text)
        if not matches:
            continue
        if field_name == "product_name":
            head_start, head_end = _name_head(text)
            head = [m for m in matches if m.start >= head_start and m.end <= head_end]
            last_head = head[-1] if head else None
        for match in matches:
            if field_name == "product_name":
                in_head = match.start >= head_start and match.end <= head_end
                position = NAME_HEAD_WEIGHT if in_head else NAME_TAIL_WEIGHT
                if match is last_head:
                    position += NAME_HEAD_LAST_BONUS
            else:
                position = DESCRIPTION_WEIGHT
                if match.start < DESCRIPTION_HEAD_CHARS:
                    position += DESCRIPTION_HEAD_BONUS
            ev = _evidence(field_name, text, match)
            for payload in match.payloads:
                hit: rules.CategoryHit = payload  # type: ignore[assignment]
                weight = position * hit.weight
                if hit.category:
                    scores[hit.category] = scores.get(hit.category, 0.0) + weight
                    _add_evidence(evidence, hit.category, ev)
                if hit.catalogue_code:
                    _add_evidence(code_evidence, hit.catalogue_code, ev)
                    previous = codes.get(hit.catalogue_code)
                    if previous is None or previous[2] < weight:
                        level = rules.catalogue_level(hit.catalogue_code)
                        codes[hit.catalogue_code] = (hit.category, level, weight, order)
                order += 1
    return _CategoryFindings(scores, evidence, codes, code_evidence)


def _split_given(value: str) -> list[str]:
    return [part for part in _GIVEN_SPLIT.split(value.strip()) if part.strip()]


class ForeignTagger:
    """Rules first; a trained model, when given, fills in where the rules find nothing."""

    def __init__(self, model: ForeignModel | None = None) -> None:
        self.model = model
        # Build the automata now, not on the first alert.
        rules.risk_matcher()
        rules.category_matcher()

    @classmethod
    def default(cls) -> ForeignTagger:
        """The shipped rules and model, loaded once per process."""
        return _default_tagger()

    def tag(self, fields: Mapping[str, str | None]) -> ForeignTags:
        return self.tag_many([fields])[0]

    def tag_many(self, rows: Iterable[Mapping[str, str | None]]) -> list[ForeignTags]:
        return [self._tag_row(_clean(fields)) for fields in rows]

    # -- one row ---------------------------------------------------------------------------

    def _tag_row(self, row: _Row) -> ForeignTags:
        disagreements: list[str] = []
        risk_types, hazards = self._risks(row, disagreements)
        category, catalogue_code = self._category(row, disagreements)
        country, made_in_china, region = self._country(row)
        return ForeignTags(
            risk_types=tuple(risk_types),
            hazards=tuple(hazards),
            category=category,
            catalogue_code=catalogue_code,
            country=country,
            made_in_china=made_in_china,
            origin_region=region,
            disagreements=tuple(disagreements),
            errors=tuple(row.errors),
        )

    def _risks(self, row: _Row, disagreements: list[str]) -> tuple[list[Tag], list[Tag]]:
        texts = row.texts
        if texts["risk_description"].strip():
            sources = [("risk_description", texts["risk_description"])]
        else:
            sources = [
                ("product_name", texts["product_name"]),
                ("product_description", texts["product_description"]),
            ]
        sources = [(name, text) for name, text in sources if text.strip()]
        if sources and all(_mostly_non_latin(text) for _name, text in sources):
            row.errors.append(
                "风险描述（或产品名称、描述）不是英文，只能识别英文文本，风险类型可能不全"
            )
        found = _find_risks(sources)
        tags: dict[str, Tag] = {}
        for label, score in sorted(found.scores.items(), key=lambda kv: -kv[1]):
            if score >= RISK_THRESHOLD:
                tags[label] = Tag(label, round(score, 4), "rule", tuple(found.evidence[label]))
        model_risk = self.model.risk if self.model is not None else None
        if not tags and sources and model_risk is not None:
            model_text = "\n".join(text for _name, text in sources)[:MODEL_TEXT_CHARS]
            predicted = model_risk.predict(model_text)
            for label, score in sorted(predicted.items(), key=lambda kv: -kv[1]):
                tags[label] = Tag(label, round(score, 4), "model")
        has_text = bool(sources)
        given = self._given_risk_types(texts["risk_type"], row)
        if given:
            for label in given:
                if label in tags:
                    tag = tags[label]
                    tags[label] = Tag(
                        label, max(GIVEN_SUPPORTED_SCORE, tag.score), "given", tag.evidence
                    )
                elif not has_text:
                    tags[label] = Tag(label, GIVEN_SUPPORTED_SCORE, "given")
                    disagreements.append(f"无风险描述或产品文本，给定风险类型“{label}”未经核对")
                else:
                    tags[label] = Tag(label, GIVEN_UNSUPPORTED_SCORE, "given")
                    disagreements.append(f"给定风险类型“{label}”未得到文本支持")
            for label, tag in tags.items():
                if label not in given and tag.source != "given":
                    disagreements.append(f"文本显示风险类型“{label}”，但给定标签中没有")
        hazards = self._hazards(found, tags)
        return list(tags.values()), hazards

    def _given_risk_types(self, value: str, row: _Row) -> list[str]:
        labels: list[str] = []
        for part in _split_given(value):
            label = rules.canonical_risk_type(part)
            if label is None:
                row.errors.append(f"给定风险类型“{part}”不在 Safety Gate 风险类型词表中，已忽略")
            elif label not in labels:
                labels.append(label)
        return labels

    def _hazards(self, found: _RiskFindings, risk_tags: dict[str, Tag]) -> list[Tag]:
        hazards: dict[str, Tag] = {}
        covered: set[str] = set()
        hazard_types = rules.hazard_risk_types()
        specific = set(found.hazard_evidence) - rules.FALLBACK_HAZARDS
        for code, evidence in found.hazard_evidence.items():
            if code in rules.FALLBACK_HAZARDS and specific:
                continue  # "risk of injury" beside "fire hazard" adds nothing
            hazards[code] = Tag(code, HAZARD_RULE_SCORE, "rule", tuple(evidence))
            covered.update(hazard_types.get(code, ()))
        for label, tag in risk_tags.items():
            if label in covered or not _is_supported(tag):
                continue
            for code in hazards_for_safety_gate(label):
                if code not in hazards:
                    score = round(tag.score * MAPPING_FACTOR, 4)
                    hazards[code] = Tag(code, score, "mapping", tag.evidence)
        return list(hazards.values())

    def _category(self, row: _Row, disagreements: list[str]) -> tuple[Tag | None, Tag | None]:
        texts = row.texts
        sources = [
            (name, texts[name][:CATEGORY_TEXT_CHARS])
            for name in ("product_name", "product_description")
            if texts[name].strip()
        ]
        found = _find_categories(sources)
        total = sum(found.scores.values())
        chosen: Tag | None = None
        predicted: dict[str, float] = {}
        if found.scores:
            label, score = max(found.scores.items(), key=lambda kv: kv[1])
            confidence = min(MAX_SCORE, 0.5 + 0.5 * score / total) if total else 0.5
            chosen = Tag(label, round(confidence, 4), "rule", tuple(found.evidence[label]))
        elif sources and self.model is not None and self.model.category is not None:
            predicted = self.model.category.predict("\n".join(text for _name, text in sources))
        if predicted:
            label, score = max(predicted.items(), key=lambda kv: kv[1])
            chosen = Tag(label, round(score, 4), "model")
        given_raw = texts["product_category"].strip()
        if given_raw:
            given = rules.canonical_category(given_raw)
            if given is None:
                row.errors.append(
                    f"给定产品类别“{given_raw}”不在 Safety Gate 产品类别词表中，已忽略"
                )
            elif given in found.scores:
                chosen = Tag(given, GIVEN_SUPPORTED_SCORE, "given", tuple(found.evidence[given]))
            elif not sources:
                chosen = Tag(given, GIVEN_SUPPORTED_SCORE, "given")
                disagreements.append(f"无产品名称或描述，给定产品类别“{given}”未经核对")
            elif chosen is not None:
                disagreements.append(
                    f"给定产品类别“{given}”未得到文本支持，文本显示为“{chosen.value}”"
                )
            else:
                chosen = Tag(given, GIVEN_UNSUPPORTED_SCORE, "given")
                disagreements.append(f"给定产品类别“{given}”未得到文本支持")
        return chosen, self._catalogue_code(chosen, found)

    def _catalogue_code(self, category: Tag | None, found: _CategoryFindings) -> Tag | None:
        wanted = category.value if category is not None else ""
        candidates = [
            (level, weight, -order, code)
            for code, (cat, level, weight, order) in found.codes.items()
            if cat == wanted or (not wanted and not cat)
        ]
        if candidates:
            level, _weight, _order, code = max(candidates)
            evidence = tuple(found.code_evidence[code])
            score = 0.9 if level == 3 else 0.75 if level == 2 else 0.6
            return Tag(code, score, "rule", evidence)
        if category is not None and _is_supported(category):
            family = rules.family_for_category().get(category.value)
            if family:
                return Tag(family, 0.5, "mapping")
        return None

    def _country(self, row: _Row) -> tuple[Tag | None, bool, str]:
        value = row.texts["country_of_origin"]
        if value.strip() and not is_unknown_value(value):
            countries = normalise_country(value)
            if countries:
                first = countries[0]
                evidence = Evidence("country_of_origin", 0, len(value), value)
                tag = Tag(first.name, COUNTRY_FIELD_SCORE, "given", (evidence,))
                made_in_china = any(c.alpha_2 == MAINLAND_CHINA for c in countries)
                return tag, made_in_china, first.alpha_2
            row.errors.append(f"无法识别原产国“{value.strip()[:80]}”，按未知处理")
        for name in ("product_description", "product_name", "risk_description"):
            text = row.texts[name]
            found = country_in_text(text)
            if found:
                evidence = Evidence(name, found.start, found.end, text[found.start : found.end])
                tag = Tag(found.country.name, COUNTRY_TEXT_SCORE, "rule", (evidence,))
                return tag, found.country.alpha_2 == MAINLAND_CHINA, found.country.alpha_2
        return None, False, ""


@cache
def _default_tagger() -> ForeignTagger:
    return ForeignTagger(model=load_shipped_model())
