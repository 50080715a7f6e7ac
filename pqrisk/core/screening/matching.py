"""Cross-source matching (跨来源关联匹配): which registered enterprise and which registered
product a record is about, with a confidence and the evidence for it.

Order of trust, for the enterprise: the USCC (统一社会信用代码) the record carries; then the
enterprise name as the record writes it, cleaned and split into place / trade name / industry
/ organisation form by ``pqrisk.core.text.company`` (``CompanyMatcher``: exact name, the same
trade name and industry, the same trade name with a compatible industry); names found in the
text come after the name a field gives. Agreement of other fields (the record's district is
the enterprise's, its brand is one the enterprise makes, its product category is one of the
enterprise's) raises the confidence a little; it never makes a match on its own. For the
product: the GTIN (商品条码, GS1 check digit verified), then the model (型号) with a
compatible brand, then the brand within the matched enterprise's products.

Every answer is a ``Proposal`` with a confidence in [0, 1] and evidence (fields, spans, a
Chinese explanation). ``decide`` turns a confidence into auto-accept / review / reject by two
thresholds. An ambiguous name (two registered enterprises it could be) gives one proposal per
candidate, each capped below the auto-accept threshold: a reviewer chooses, the code never
guesses. Pure Python: no Django here; precision and recall in benchmarks/bench_matching.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pqrisk.core.text.company import (
    CompanyMatcher,
    CompanyNameParser,
    MatchMethod,
    clean_company_name,
    default_parser,
    normalize_company_name,
)
from pqrisk.core.uscc import InvalidUSCC, parse_uscc


class Method(StrEnum):
    """How a record was matched, strongest first."""

    USCC = "uscc"
    NAME_EXACT = "name_exact"
    NAME_NORMALISED = "name_normalised"
    NAME_BRAND = "name_brand"  # the same trade name, a compatible industry and place
    GTIN = "gtin"
    MODEL = "model"
    BRAND = "brand"


class Target(StrEnum):
    ENTERPRISE = "enterprise"
    PRODUCT = "product"


class Decision(StrEnum):
    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


METHOD_LABELS = {
    Method.USCC: "统一社会信用代码",
    Method.NAME_EXACT: "企业名称完全一致",
    Method.NAME_NORMALISED: "企业名称规范化后一致",
    Method.NAME_BRAND: "字号一致",
    Method.GTIN: "商品条码",
    Method.MODEL: "型号",
    Method.BRAND: "品牌",
}

# Base confidence by method, before corroboration. The name steps follow how often each
# step was right on the tuning sample (scripts/build_matching_sample.py, seed "tune"); the
# evaluation sample was never used to set them.
BASE = {
    Method.USCC: 1.0,
    Method.NAME_EXACT: 0.95,
    Method.NAME_NORMALISED: 0.88,
    Method.NAME_BRAND: 0.68,
    Method.GTIN: 0.99,
    Method.MODEL: 0.9,
    Method.BRAND: 0.62,
}
# A name found by the mention finder in running text, not given in a field: its span may be
# cut wrong, so it is trusted a little less.
FROM_TEXT = 0.04
# An enterprise's product named and branded as the record, neither with a model.
SAME_NAME_AND_BRAND = 0.86
# Corroboration by fields that agree (each small: they are shared by many enterprises).
AGREE_DISTRICT = 0.03
AGREE_BRAND = 0.04
AGREE_CATEGORY = 0.02
# A name-only match never reaches certainty; an ambiguous candidate never reaches auto-accept.
NAME_CAP = 0.99
AMBIGUOUS_CAP = 0.6
# Two models are the same when they agree after case, width, spaces and hyphens are dropped.
_MODEL_DROP = re.compile(r"[\s\-_/·.]+")
_GTIN_IN_TEXT = re.compile(r"(?:条码|条形码|GTIN|EAN|UPC)[^0-9]{0,6}(\d{8}|\d{12,14})(?!\d)", re.I)


@dataclass(frozen=True)
class Thresholds:
    """Auto-accept at ``high`` or above; review between ``low`` and ``high``; below, reject."""

    high: float = 0.85
    low: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ValueError("thresholds must satisfy 0 ≤ low ≤ high ≤ 1")


def decide(confidence: float, thresholds: Thresholds) -> Decision:
    if confidence >= thresholds.high:
        return Decision.ACCEPT
    if confidence >= thresholds.low:
        return Decision.REVIEW
    return Decision.REJECT


@dataclass(frozen=True)
class EnterpriseEntry:
    id: Any
    name: str
    uscc: str = ""
    district: str = ""
    categories: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProductEntry:
    id: Any
    enterprise_id: Any
    name: str = ""
    brand: str = ""
    model: str = ""
    category: str = ""
    gtins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RecordFacts:
    """What a record says about who and what it is about, as plain values.

    ``names`` are the enterprise names a field gives (first) and ``mentions`` those found in
    the text; ``text`` is kept for spans in the evidence.
    """

    uscc: str = ""
    names: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    brand: str = ""
    model: str = ""
    gtins: tuple[str, ...] = ()
    district: str = ""
    category: str = ""
    text: str = ""
    product_name: str = ""


@dataclass
class Proposal:
    target: Target
    candidate_id: Any
    method: Method
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    decision: Decision = Decision.REVIEW


def normalize_model(model: str) -> str:
    """型号 as compared: NFKC, upper case, no spaces, hyphens or dots (BX-2040 A = bx2040a)."""
    return _MODEL_DROP.sub("", unicodedata.normalize("NFKC", model or "")).upper()


def normalize_brand(brand: str) -> str:
    text = unicodedata.normalize("NFKC", brand or "").strip().upper()
    return text.removesuffix("牌").removesuffix("品牌")


def gtin_valid(code: str) -> bool:
    """A GTIN-8/12/13/14 with a correct GS1 check digit (mod 10, weights 3 and 1 from the
    right, GS1 General Specifications §7.9)."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def gtin_key(code: str) -> str:
    """The GTIN as 14 digits (a GTIN-13 and its GTIN-14 with a leading 0 are one code)."""
    return code.zfill(14)


def gtins_in(text: str) -> list[str]:
    """GTINs written after 条码 / GTIN / EAN in a text, with a valid check digit only."""
    return [m.group(1) for m in _GTIN_IN_TEXT.finditer(text or "") if gtin_valid(m.group(1))]


def _span(text: str, needle: str) -> list[int] | None:
    if not needle or not text:
        return None
    i = text.find(needle)
    return [i, i + len(needle)] if i >= 0 else None


class Register:
    """The enterprises and products matched against, indexed once."""

    def __init__(
        self,
        enterprises: Iterable[EnterpriseEntry],
        products: Iterable[ProductEntry] = (),
        parser: CompanyNameParser | None = None,
    ) -> None:
        self.parser = parser or default_parser()
        self.enterprises = {e.id: e for e in enterprises}
        self.companies = CompanyMatcher(
            ((e.id, e.name, e.uscc) for e in self.enterprises.values()), self.parser
        )
        self.by_uscc = dict(self.companies.by_uscc)
        self.products = {p.id: p for p in products}
        self.by_gtin: dict[str, list[ProductEntry]] = {}
        self.by_model: dict[str, list[ProductEntry]] = {}
        self.by_enterprise: dict[Any, list[ProductEntry]] = {}
        # (enterprise, normalised brand) → its products: an enterprise's products grow with
        # every record screened, so they are not scanned per record.
        self.by_enterprise_brand: dict[tuple[Any, str], list[ProductEntry]] = {}
        self.brands_of: dict[Any, set[str]] = {}
        for e in self.enterprises.values():
            self.brands_of[e.id] = {normalize_brand(b) for b in e.brands if b}
        self._index(self.products.values())

    def add_products(self, products: Iterable[ProductEntry]) -> None:
        """Index products registered since (new ids; a changed product needs a new Register)."""
        new = [p for p in products if p.id not in self.products]
        self.products.update((p.id, p) for p in new)
        self._index(new)

    def _index(self, products: Iterable[ProductEntry]) -> None:
        for p in products:
            for g in p.gtins:
                self.by_gtin.setdefault(gtin_key(g), []).append(p)
            if p.model:
                self.by_model.setdefault(normalize_model(p.model), []).append(p)
            self.by_enterprise.setdefault(p.enterprise_id, []).append(p)
            key = (p.enterprise_id, normalize_brand(p.brand))
            self.by_enterprise_brand.setdefault(key, []).append(p)
            if p.brand:
                self.brands_of.setdefault(p.enterprise_id, set()).add(normalize_brand(p.brand))


class RecordMatcher:
    """Proposals for one record: at most one accepted enterprise and one accepted product."""

    def __init__(self, register: Register, thresholds: Thresholds | None = None) -> None:
        self.r = register
        self.t = thresholds or Thresholds()

    # --- enterprise ----------------------------------------------------------------------
    def enterprise(self, facts: RecordFacts) -> list[Proposal]:
        uscc = self._uscc(facts.uscc)
        notes: list[str] = []
        if facts.uscc and uscc is None:
            notes.append(f"信用代码“{facts.uscc}”无效或未在企业名录中，改按名称匹配")
        if uscc is not None:
            ident = self.r.by_uscc[uscc]
            ent = self.r.enterprises[ident]
            evidence = {
                "fields": {"uscc": uscc},
                "record": {"uscc": facts.uscc, "name": facts.names[0] if facts.names else ""},
                "register": {"uscc": ent.uscc, "name": ent.name},
                "explanation": f"记录所载统一社会信用代码{uscc}与名录企业“{ent.name}”一致",
            }
            if facts.names and normalize_company_name(facts.names[0]) != normalize_company_name(
                ent.name
            ):
                evidence["conflict"] = (
                    f"记录所载名称“{facts.names[0]}”与名录名称不同，以信用代码为准"
                )
            return [self._finish(Target.ENTERPRISE, ident, Method.USCC, 1.0, evidence)]
        for name, from_text in [
            *((n, False) for n in facts.names),
            *((n, True) for n in facts.mentions),
        ]:
            found = self.r.companies.match(name)
            if found.method in (MatchMethod.NONE, MatchMethod.USCC):
                continue
            if found.method == MatchMethod.AMBIGUOUS:
                return self._ambiguous(facts, name, from_text, found.candidates, notes)
            method = {
                MatchMethod.EXACT: Method.NAME_EXACT,
                MatchMethod.NORMALIZED: Method.NAME_NORMALISED,
                MatchMethod.BRAND: Method.NAME_BRAND,
            }[found.method]
            return [self._name_proposal(facts, name, from_text, method, found.enterprise_id, notes)]
        return []

    def _uscc(self, raw: str) -> str | None:
        if not raw:
            return None
        try:
            code = parse_uscc(raw).code
        except InvalidUSCC:
            return None
        return code if code in self.r.by_uscc else None

    def _name_proposal(
        self,
        facts: RecordFacts,
        name: str,
        from_text: bool,
        method: Method,
        ident: Any,
        notes: list[str],
        cap: float = NAME_CAP,
    ) -> Proposal:
        ent = self.r.enterprises[ident]
        mention = self.r.parser.parse(name)
        registered = self.r.parser.parse(ent.name)
        confidence = BASE[method] - (FROM_TEXT if from_text else 0.0)
        agree: list[str] = []
        if facts.district and facts.district == ent.district:
            confidence += AGREE_DISTRICT
            agree.append("所在区一致")
        brand = normalize_brand(facts.brand)
        if brand and (brand in self.r.brands_of.get(ident, ()) or brand == registered.brand):
            confidence += AGREE_BRAND
            agree.append(f"品牌“{facts.brand}”为该企业品牌")
        if facts.category and facts.category in ent.categories:
            confidence += AGREE_CATEGORY
            agree.append("产品类别属该企业主要产品")
        confidence = round(min(cap, confidence), 3)
        where = "正文中识别的" if from_text else "记录所载"
        explanation = (
            f"{where}企业名称“{name}”按{METHOD_LABELS[method]}匹配名录企业“{ent.name}”"
            f"（字号“{mention.brand or '—'}”、行业“{mention.industry or '—'}”"
            f"对名录字号“{registered.brand or '—'}”、行业“{registered.industry or '—'}”）"
        )
        if agree:
            explanation += "；" + "，".join(agree)
        evidence: dict[str, Any] = {
            "fields": {"name": name, "from_text": from_text},
            "record": {"name": name, "parts": mention.as_dict(), "span": _span(facts.text, name)},
            "register": {"name": ent.name, "uscc": ent.uscc, "parts": registered.as_dict()},
            "agree": agree,
            "explanation": explanation,
        }
        if notes:
            evidence["notes"] = list(notes)
        return self._finish(Target.ENTERPRISE, ident, method, confidence, evidence)

    def _ambiguous(
        self,
        facts: RecordFacts,
        name: str,
        from_text: bool,
        candidates: Sequence[Any],
        notes: list[str],
    ) -> list[Proposal]:
        out = []
        note = f"名称“{name}”可对应{len(candidates)}家名录企业，需人工确认"
        for ident in candidates:
            p = self._name_proposal(
                facts,
                name,
                from_text,
                Method.NAME_BRAND,
                ident,
                [*notes, note],
                cap=AMBIGUOUS_CAP,
            )
            p.evidence["ambiguous"] = [str(c) for c in candidates]
            p.decision = Decision.REVIEW if p.confidence >= self.t.low else Decision.REJECT
            out.append(p)
        return out

    # --- product -------------------------------------------------------------------------
    def product(self, facts: RecordFacts, enterprise_id: Any = None) -> list[Proposal]:
        """The product proposals; ``enterprise_id`` (the accepted enterprise) narrows them."""
        for g in facts.gtins:
            if not gtin_valid(g):
                continue
            rows = self.r.by_gtin.get(gtin_key(g), [])
            if len(rows) == 1:
                p = rows[0]
                return [
                    self._finish(
                        Target.PRODUCT,
                        p.id,
                        Method.GTIN,
                        BASE[Method.GTIN],
                        self._product_evidence(facts, p, f"商品条码{g}与名录产品一致", gtin=g),
                    )
                ]
        brand = normalize_brand(facts.brand)
        model = normalize_model(facts.model)
        if model:
            rows = [
                p
                for p in self.r.by_model.get(model, [])
                if not brand or not p.brand or normalize_brand(p.brand) == brand
            ]
            if enterprise_id is not None:
                own = [p for p in rows if p.enterprise_id == enterprise_id]
                rows = own or rows
            if len(rows) == 1:
                p = rows[0]
                confidence = BASE[Method.MODEL]
                if not brand:
                    confidence -= 0.06  # a model without its brand may be another maker's
                if enterprise_id is not None and p.enterprise_id == enterprise_id:
                    confidence += 0.05
                else:
                    confidence -= 0.1  # another enterprise's product: the record may be wrong
                return [
                    self._finish(
                        Target.PRODUCT,
                        p.id,
                        Method.MODEL,
                        round(min(0.98, confidence), 3),
                        self._product_evidence(facts, p, f"型号“{facts.model}”与名录产品一致"),
                    )
                ]
            if len(rows) > 1:
                return self._product_review(facts, rows, "型号")
        if brand and enterprise_id is not None:
            rows = [
                p
                for p in self.r.by_enterprise_brand.get((enterprise_id, brand), [])
                if not facts.category or not p.category or p.category == facts.category
            ]
            same = [p for p in rows if not p.model and p.name and p.name == facts.product_name]
            if not model and len(same) == 1:
                # The enterprise's product with this name and brand and no model: the very
                # key the record was registered under (screening's link_products).
                p = same[0]
                return [
                    self._finish(
                        Target.PRODUCT,
                        p.id,
                        Method.BRAND,
                        SAME_NAME_AND_BRAND,
                        self._product_evidence(
                            facts,
                            p,
                            f"品牌“{facts.brand}”和产品名称与该企业名录产品一致（均无型号）",
                        ),
                    )
                ]
            if len(rows) == 1:
                p = rows[0]
                return [
                    self._finish(
                        Target.PRODUCT,
                        p.id,
                        Method.BRAND,
                        BASE[Method.BRAND],
                        self._product_evidence(
                            facts, p, f"品牌“{facts.brand}”在该企业名录产品中唯一"
                        ),
                    )
                ]
            if len(rows) > 1:
                return self._product_review(facts, rows, "品牌")
        return []

    def _product_review(
        self, facts: RecordFacts, rows: list[ProductEntry], what: str
    ) -> list[Proposal]:
        method = Method.MODEL if what == "型号" else Method.BRAND
        out = []
        for p in rows[:10]:
            ev = self._product_evidence(facts, p, f"{what}对应{len(rows)}个名录产品，需人工确认")
            ev["ambiguous"] = [str(r.id) for r in rows[:10]]
            prop = self._finish(Target.PRODUCT, p.id, method, AMBIGUOUS_CAP, ev)
            prop.decision = Decision.REVIEW if prop.confidence >= self.t.low else Decision.REJECT
            out.append(prop)
        return out

    def _product_evidence(
        self, facts: RecordFacts, p: ProductEntry, explanation: str, gtin: str = ""
    ) -> dict[str, Any]:
        ent = self.r.enterprises.get(p.enterprise_id)
        return {
            "fields": {
                k: v
                for k, v in (("brand", facts.brand), ("model", facts.model), ("gtin", gtin))
                if v
            },
            "record": {
                "brand": facts.brand,
                "model": facts.model,
                "brand_span": _span(facts.text, facts.brand),
                "model_span": _span(facts.text, facts.model),
            },
            "register": {
                "product": p.name,
                "brand": p.brand,
                "model": p.model,
                "enterprise": ent.name if ent else "",
            },
            "explanation": explanation,
        }

    # --- both ----------------------------------------------------------------------------
    def match(self, facts: RecordFacts) -> list[Proposal]:
        """Enterprise proposals, then product proposals (narrowed by an accepted enterprise)."""
        ents = self.enterprise(facts)
        accepted = next((p.candidate_id for p in ents if p.decision == Decision.ACCEPT), None)
        return [*ents, *self.product(facts, accepted)]

    def _finish(
        self, target: Target, ident: Any, method: Method, confidence: float, ev: dict[str, Any]
    ) -> Proposal:
        ev.setdefault("method_label", METHOD_LABELS[method])
        return Proposal(target, ident, method, confidence, ev, decide(confidence, self.t))


def exact_name_baseline(register: Register) -> Callable[[RecordFacts], Any]:
    """The reference baseline of the benchmark: the first given name equal to exactly one
    registered name after cleaning, else nothing (no USCC, no normalisation)."""
    by_name: dict[str, list[Any]] = {}
    for e in register.enterprises.values():
        by_name.setdefault(clean_company_name(e.name), []).append(e.id)

    def match(facts: RecordFacts) -> Any:
        for name in facts.names:
            ids = by_name.get(clean_company_name(name), [])
            if len(ids) == 1:
                return ids[0]
        return None

    return match
