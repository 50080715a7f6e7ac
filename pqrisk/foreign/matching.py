"""Which local enterprise (and product) a foreign alert is about, with a confidence and the
evidence for it.

A foreign alert names a product the way the foreign market sees it: an English brand, an
English or transliterated manufacturer name, a model or type number, sometimes a barcode.
Our register knows enterprises by their Chinese names, their products (brand, model, GTIN)
and the aliases people entered or imported (``EnterpriseAlias``: English brands, English
company names, pinyin names). No transliteration library is installed, so a Chinese name is
matched to an English one only through an alias; an alias is data, entered or imported.

Evidence kinds and their base confidence, strongest first (our own scale, set so that one
identifier is enough and one name is not):

==============  ====  ======================================================================
barcode         0.98  a valid GTIN/EAN/UPC (GS1 check digit) equal to a registered product's
model_brand     0.92  the model/type number equals a registered product's, and the brand agrees
name_exact      0.90  the manufacturer name equals the firm's name or an English/pinyin alias
model           0.72  the model equals a registered product's, the brand is unknown on a side
brand_alias     0.70  the brand is one the firm makes (a product's brand) or a brand alias
fuzzy_name      0.50–0.80  the manufacturer name is close to an alias (similarity ≥ 0.85)
==============  ====  ======================================================================

A model equal to one product but with a different brand counts 0.55 (review). When the
same identifier points at several firms (a brand two firms use, a model two firms make),
each of them is capped at 0.60: a reviewer chooses, the code does not guess. Further evidence
kinds for the same firm add 0.05 each (at most 0.10) and a product category that is one of
the firm's main products adds 0.03; the total is capped at 0.99. Thresholds (settings
``PQRISK_POLICY["foreign"]``: ``auto_confirm`` 0.85, ``review`` 0.5): at or above
``auto_confirm`` a candidate is auto-confirmed (only when it is the only one there), between
the two it waits for review, below it is dropped. Every candidate keeps its evidence.

The classes here are plain Python; ``load_register`` reads the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pqrisk.core.screening.matching import gtin_key, gtin_valid, normalize_model

from .choices import MatchMethod

BASE: dict[str, float] = {
    MatchMethod.BARCODE: 0.98,
    MatchMethod.MODEL_BRAND: 0.92,
    MatchMethod.NAME_EXACT: 0.90,
    MatchMethod.MODEL: 0.72,
    MatchMethod.BRAND_ALIAS: 0.70,
    MatchMethod.FUZZY_NAME: 0.50,
}
MODEL_BRAND_CONFLICT = 0.55
AMBIGUOUS_CAP = 0.60
FUZZY_MIN = 0.85  # SequenceMatcher ratio of two name keys
FUZZY_TOP = 0.80
CORROBORATION = 0.05
CORROBORATION_MAX = 0.10
AGREE_CATEGORY = 0.03
CAP = 0.99
DEFAULT_THRESHOLDS = {"auto_confirm": 0.85, "review": 0.5}
MIN_MODEL = 3  # shorter model strings ("A1") match too much
MIN_KEY = 2

# Words of company names that say nothing about which company it is.
LEGAL_WORDS = frozenset(
    [
        "co",
        "company",
        "companies",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "kg",
        "pte",
        "pty",
        "the",
        "of",
        "and",
        "group",
        "holding",
        "holdings",
        "youxian",
        "gongsi",
        "youxiangongsi",
        "zerengongsi",
    ]
)
GENERIC_WORDS = frozenset(
    [
        "shanghai",
        "china",
        "chinese",
        "technology",
        "technologies",
        "tech",
        "science",
        "electric",
        "electrical",
        "electronic",
        "electronics",
        "electron",
        "industrial",
        "industry",
        "industries",
        "trading",
        "trade",
        "import",
        "export",
        "imp",
        "exp",
        "manufacturing",
        "manufacturer",
        "manufactory",
        "products",
        "product",
        "international",
        "intl",
        "home",
        "household",
        "appliance",
        "appliances",
        "development",
        "new",
        "material",
        "materials",
        "machinery",
        "equipment",
        "factory",
        "smart",
        "digital",
        "network",
        "information",
        "culture",
        "commerce",
        "commercial",
        "supply",
        "chain",
        "keji",
        "maoyi",
        "shiye",
        "dianqi",
        "dianzi",
        "jixie",
        "zhizao",
    ]
)
_CN_SUFFIX = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|公司|厂)$")
_PAREN = re.compile(r"[(（][^)）]*[)）]")
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")
_MARKS = re.compile(r"[®™©℗]")


def brand_key(text: str) -> str:
    """A brand as compared: NFKC, case-folded, marks and punctuation dropped ("ACME®" and
    "Acme" are one brand; "Super-Kid" = "superkid"), a trailing 牌/brand dropped."""
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text or "")).casefold()
    text = text.strip().removesuffix("品牌").removesuffix("牌")
    text = re.sub(r"\s+brand$", "", text)
    return "".join(_TOKEN.findall(text))


def name_key(text: str) -> str:
    """A company name as compared: NFKC, case-folded, brackets, legal forms and punctuation
    dropped ("Ningbo Acme Co., Ltd." → "ningbo acme"; 上海某某电器有限公司 → 上海某某电器)."""
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("&", " and ")
    text = _PAREN.sub(" ", text)
    tokens = [t for t in _TOKEN.findall(text) if t not in LEGAL_WORDS]
    if tokens and re.match(r"[\u3400-\u9fff]", tokens[-1]):
        tokens[-1] = _CN_SUFFIX.sub("", tokens[-1]) or tokens[-1]
    return " ".join(t for t in tokens if t)


def distinctive_tokens(key: str) -> set[str]:
    """The blocks a name is compared within for fuzzy matching: the first four letters of
    each word that is not generic (so "xinguang" meets "xingguang", "childrens" "children")."""
    return {t[:4] for t in key.split() if t not in GENERIC_WORDS and len(t) >= 3}


@dataclass(frozen=True)
class AlertFacts:
    """What an alert says about who made it, as plain values."""

    brands: tuple[str, ...] = ()
    manufacturers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    barcodes: tuple[str, ...] = ()
    catalogue_code: str = ""


@dataclass(frozen=True)
class FirmEntry:
    id: Any
    name: str
    district: Any = None
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AliasEntry:
    enterprise_id: Any
    alias: str
    kind: str  # an AliasKind value


@dataclass(frozen=True)
class ProductEntry:
    id: Any
    enterprise_id: Any
    name: str = ""
    brand: str = ""
    model: str = ""
    gtins: frozenset[str] = frozenset()


@dataclass
class Evidence:
    method: str
    confidence: float
    alert_field: str
    alert_value: str
    register_value: str
    explanation: str
    product_id: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "method_label": MatchMethod(self.method).label,
            "confidence": round(self.confidence, 3),
            "alert_field": self.alert_field,
            "alert_value": self.alert_value,
            "register_value": self.register_value,
            "explanation": self.explanation,
            "product_id": self.product_id,
        }


@dataclass
class Candidate:
    enterprise_id: Any
    method: str
    confidence: float
    product_id: Any = None
    decision: str = "review"  # accept / review / reject
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Thresholds:
    auto_confirm: float = 0.85
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto_confirm <= 1.0:
            raise ValueError("thresholds must satisfy 0 ≤ review ≤ auto_confirm ≤ 1")


class ForeignRegister:
    """The enterprises, aliases and products an alert is matched against, indexed once."""

    def __init__(
        self,
        firms: Iterable[FirmEntry],
        aliases: Iterable[AliasEntry] = (),
        products: Iterable[ProductEntry] = (),
    ) -> None:
        self.firms = {f.id: f for f in firms}
        self.by_gtin: dict[str, list[ProductEntry]] = {}
        self.by_model: dict[str, list[ProductEntry]] = {}
        self.brands: dict[str, dict[Any, str]] = {}  # brand key → firm → how we know it
        self.names: dict[str, dict[Any, str]] = {}  # name key → firm → the name or alias
        self.tokens: dict[str, set[str]] = {}  # distinctive token → name keys
        self.firm_brands: dict[Any, set[str]] = {}
        for f in self.firms.values():
            self._name(f.id, f.name, f"名录名称“{f.name}”")
        for a in aliases:
            if a.enterprise_id not in self.firms:
                continue
            if a.kind == "brand":
                self._brand(a.enterprise_id, a.alias, f"品牌别名“{a.alias}”")
            else:
                self._name(
                    a.enterprise_id,
                    a.alias,
                    f"{'拼音' if a.kind == 'pinyin' else '英文'}名称别名“{a.alias}”",
                )
        self.products = {p.id: p for p in products if p.enterprise_id in self.firms}
        for p in self.products.values():
            for g in p.gtins:
                if gtin_valid(g):
                    self.by_gtin.setdefault(gtin_key(g), []).append(p)
            model = normalize_model(p.model)
            if len(model) >= MIN_MODEL:
                self.by_model.setdefault(model, []).append(p)
            if p.brand:
                self._brand(p.enterprise_id, p.brand, f"名录产品“{p.name}”的品牌“{p.brand}”")

    def _brand(self, firm: Any, brand: str, how: str) -> None:
        key = brand_key(brand)
        if len(key) >= MIN_KEY:
            self.brands.setdefault(key, {}).setdefault(firm, how)
            self.firm_brands.setdefault(firm, set()).add(key)

    def _name(self, firm: Any, name: str, how: str) -> None:
        key = name_key(name)
        if len(key) < MIN_KEY:
            return
        self.names.setdefault(key, {}).setdefault(firm, how)
        for token in distinctive_tokens(key):
            self.tokens.setdefault(token, set()).add(key)


class ForeignMatcher:
    """Candidates for one alert: at most one auto-confirmed, the rest for review."""

    def __init__(self, register: ForeignRegister, thresholds: Thresholds | None = None) -> None:
        self.r = register
        self.t = thresholds or Thresholds()

    def match(self, facts: AlertFacts) -> list[Candidate]:
        found: dict[Any, list[Evidence]] = {}
        self._barcodes(facts, found)
        self._models(facts, found)
        self._brands(facts, found)
        self._names(facts, found)
        candidates = [self._combine(firm, items, facts) for firm, items in found.items()]
        candidates = [c for c in candidates if c.confidence >= self.t.review]
        candidates.sort(key=lambda c: (-c.confidence, str(c.enterprise_id)))
        accepted = [c for c in candidates if c.confidence >= self.t.auto_confirm]
        for c in candidates:
            c.decision = "review"
        if len(accepted) == 1:
            accepted[0].decision = "accept"
        elif len(accepted) > 1:
            for c in accepted:
                c.evidence.setdefault("notes", []).append(
                    f"另有{len(accepted) - 1}家企业同样达到自动确认阈值，需人工确认"
                )
        return candidates

    # --- evidence kinds ----------------------------------------------------------------
    def _barcodes(self, facts: AlertFacts, found: dict[Any, list[Evidence]]) -> None:
        for code in facts.barcodes:
            code = code.strip()
            if not gtin_valid(code):
                continue
            rows = self.r.by_gtin.get(gtin_key(code), [])
            for p in rows:
                found.setdefault(p.enterprise_id, []).append(
                    Evidence(
                        MatchMethod.BARCODE,
                        BASE[MatchMethod.BARCODE] if len(rows) == 1 else AMBIGUOUS_CAP,
                        "barcode",
                        code,
                        f"{p.name} {p.brand} {p.model}".strip(),
                        f"商品条码{code}与名录产品“{p.name}”一致（GS1校验位正确）",
                        p.id,
                    )
                )

    def _models(self, facts: AlertFacts, found: dict[Any, list[Evidence]]) -> None:
        alert_brands = {brand_key(b) for b in facts.brands} - {""}
        for model in facts.models:
            key = normalize_model(model)
            if len(key) < MIN_MODEL:
                continue
            rows = self.r.by_model.get(key, [])
            firms = {p.enterprise_id for p in rows}
            for p in rows:
                product_brand = brand_key(p.brand)
                firm_brands = self.r.firm_brands.get(p.enterprise_id, set())
                if alert_brands and (product_brand in alert_brands or alert_brands & firm_brands):
                    method, confidence = MatchMethod.MODEL_BRAND, BASE[MatchMethod.MODEL_BRAND]
                    why = f"型号“{model}”与名录产品“{p.name}”一致，品牌一致"
                elif alert_brands and product_brand:
                    method, confidence = MatchMethod.MODEL, MODEL_BRAND_CONFLICT
                    why = (
                        f"型号“{model}”与名录产品“{p.name}”一致，但品牌不同（名录品牌“{p.brand}”）"
                    )
                else:
                    method, confidence = MatchMethod.MODEL, BASE[MatchMethod.MODEL]
                    why = f"型号“{model}”与名录产品“{p.name}”一致（品牌未知）"
                if len(firms) > 1:
                    confidence = min(confidence, AMBIGUOUS_CAP)
                    why += f"；该型号对应{len(firms)}家企业"
                found.setdefault(p.enterprise_id, []).append(
                    Evidence(method, confidence, "model", model, p.model, why, p.id)
                )

    def _brands(self, facts: AlertFacts, found: dict[Any, list[Evidence]]) -> None:
        for brand in facts.brands:
            key = brand_key(brand)
            firms = self.r.brands.get(key, {}) if len(key) >= MIN_KEY else {}
            for firm, how in firms.items():
                confidence = BASE[MatchMethod.BRAND_ALIAS]
                why = f"品牌“{brand}”：{how}"
                if len(firms) > 1:
                    confidence = min(confidence, AMBIGUOUS_CAP)
                    why += f"；该品牌对应{len(firms)}家企业"
                found.setdefault(firm, []).append(
                    Evidence(MatchMethod.BRAND_ALIAS, confidence, "brand", brand, how, why)
                )

    def _names(self, facts: AlertFacts, found: dict[Any, list[Evidence]]) -> None:
        for name in facts.manufacturers:
            key = name_key(name)
            if len(key) < MIN_KEY:
                continue
            exact = self.r.names.get(key, {})
            for firm, how in exact.items():
                confidence = BASE[MatchMethod.NAME_EXACT]
                why = f"制造商“{name}”与{how}一致"
                if len(exact) > 1:
                    confidence = min(confidence, AMBIGUOUS_CAP)
                    why += f"；该名称对应{len(exact)}家企业"
                found.setdefault(firm, []).append(
                    Evidence(MatchMethod.NAME_EXACT, confidence, "manufacturer", name, how, why)
                )
            if exact:
                continue
            keys: set[str] = set()
            for token in distinctive_tokens(key):
                keys |= self.r.tokens.get(token, set())
            for other in sorted(keys):
                ratio = SequenceMatcher(None, key, other, autojunk=False).ratio()
                if ratio < FUZZY_MIN:
                    continue
                share = (ratio - FUZZY_MIN) / (1.0 - FUZZY_MIN)
                confidence = BASE[MatchMethod.FUZZY_NAME] + share * (
                    FUZZY_TOP - BASE[MatchMethod.FUZZY_NAME]
                )
                for firm, how in self.r.names[other].items():
                    found.setdefault(firm, []).append(
                        Evidence(
                            MatchMethod.FUZZY_NAME,
                            round(confidence, 3),
                            "manufacturer",
                            name,
                            how,
                            f"制造商“{name}”与{how}相近（相似度{ratio:.2f}）",
                        )
                    )

    # --- combining -----------------------------------------------------------------------
    def _combine(self, firm: Any, items: Sequence[Evidence], facts: AlertFacts) -> Candidate:
        items = sorted(items, key=lambda e: -e.confidence)
        best = items[0]
        kinds = {e.method for e in items} - {best.method}
        confidence = best.confidence + min(CORROBORATION_MAX, CORROBORATION * len(kinds))
        agree: list[str] = []
        if kinds:
            agree.append("另有" + "、".join(MatchMethod(k).label for k in sorted(kinds)) + "佐证")
        entry = self.r.firms.get(firm)
        code = facts.catalogue_code
        if (
            code
            and entry
            and any(code.startswith(c) or c.startswith(code) for c in entry.categories)
        ):
            confidence += AGREE_CATEGORY
            agree.append("产品类别属该企业主要产品")
        confidence = round(min(CAP, confidence), 3)
        product = next((e.product_id for e in items if e.product_id is not None), None)
        evidence = {
            "method": best.method,
            "method_label": MatchMethod(best.method).label,
            "explanation": best.explanation + ("；" + "，".join(agree) if agree else ""),
            "items": [e.as_dict() for e in items],
            "agree": agree,
            "firm": entry.name if entry else "",
        }
        return Candidate(firm, best.method, confidence, product, "review", evidence)


def facts_of(fields: dict[str, Any]) -> AlertFacts:
    """The facts of an alert from its fields (brand, manufacturer, model, barcodes, and the
    trade names, importer and recalling firm CPSC records carry)."""

    def many(*values: Any, split: str = r"\s*;\s*") -> tuple[str, ...]:
        out: list[str] = []
        for value in values:
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, str):
                    for part in re.split(split, item):
                        if part.strip() and part.strip() not in out:
                            out.append(part.strip())
        return tuple(out)

    return AlertFacts(
        brands=many(fields.get("brand"), fields.get("trade_names"), fields.get("recalling_firm")),
        manufacturers=many(
            fields.get("manufacturer"),
            fields.get("manufacturers"),
            fields.get("importer"),
            fields.get("recalling_firm"),
        ),
        models=many(fields.get("model"), split=r"\s*[;,]\s*|\s+/\s+"),
        barcodes=many(fields.get("barcodes")),
        catalogue_code=str(fields.get("catalogue_code") or ""),
    )


def load_register() -> ForeignRegister:
    """The register from the database: enterprises with their main product categories,
    their aliases, and products with brand, model and GTINs."""
    from pqrisk.enterprises.models import Enterprise, Product, ProductBarcode

    from .models import EnterpriseAlias

    categories: dict[int, set[str]] = {}
    for ent_id, code in Enterprise.products.through.objects.values_list(
        "enterprise_id", "productcategory__code"
    ):
        categories.setdefault(ent_id, set()).add(code)
    firms = [
        FirmEntry(pk, name, district, frozenset(categories.get(pk, ())))
        for pk, name, district in Enterprise.objects.values_list(
            "pk", "name", "district_id"
        ).iterator(chunk_size=5000)
    ]
    aliases = [
        AliasEntry(ent, alias, kind)
        for ent, alias, kind in EnterpriseAlias.objects.values_list(
            "enterprise_id", "alias", "kind"
        )
    ]
    gtins: dict[int, set[str]] = {}
    for product_id, gtin in ProductBarcode.objects.values_list("product_id", "gtin"):
        gtins.setdefault(product_id, set()).add(gtin)
    products = [
        ProductEntry(pk, ent, name, brand, model, frozenset(gtins.get(pk, ())))
        for pk, ent, name, brand, model in Product.objects.filter(enterprise__isnull=False)
        .values_list("pk", "enterprise_id", "name", "brand", "model")
        .iterator(chunk_size=5000)
    ]
    return ForeignRegister(firms, aliases, products)


def thresholds() -> Thresholds:
    """``PQRISK_POLICY["foreign"] = {"auto_confirm": 0.85, "review": 0.5}`` (the defaults)."""
    from django.conf import settings

    policy = getattr(settings, "PQRISK_POLICY", {}) or {}
    conf = {**DEFAULT_THRESHOLDS, **(policy.get("foreign") or {})}
    return Thresholds(float(conf["auto_confirm"]), float(conf["review"]))
