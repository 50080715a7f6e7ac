"""Structuring and tagging (结构化与标签): what an item says, each answer with its evidence.

``extract(text, title)`` cleans the item (``clean_text``: 繁→简, URLs and boilerplate gone)
and reads from it the product categories (catalogue codes), hazards (taxonomy codes),
enterprises, brands, models, batches, the region, dates, an injury-severity hint and counts
(units, victims). Every value comes with ``Evidence``: the field, the value, and the span of
``Extraction.text`` that says so, so an analyst sees why.

**Evidence spans refer to ``Extraction.text``**, the cleaned title and body joined by a line
break: ``text[:title_end]`` is the title, ``text[body_start:]`` the body (with no title,
``title_end`` is 0 and ``body_start`` 0). The cleaned form is what is stored and shown, so
spans need no mapping back to the raw input.

How each field is found (all in one pass of one Aho–Corasick lexicon, then a few regular
expressions; jieba is not used here: cutting a text costs four to five times this whole
extraction, see benchmarks/bench_extract.py):

- products, hazards: catalogue and hazard keywords (``KeywordTagger`` rules: longest match,
  most specific product first). Ambiguous words (电池, 充电器, 头盔, and brands that are also
  words: 苹果, 小米 …) are settled by ``disambiguate`` from their context, or reported as
  ``ambiguous`` — never guessed;
- brands: a brand list (known brands plus the caller's, e.g. from the enterprise register),
  "X牌", "X品牌", "品牌：X", and brand senses of ambiguous words;
- models: "型号：XH-2000", "规格型号：…", "款号…", "X100型", "(XH-2000)" right after a product
  or brand; batches: "批号：…", "生产日期/批号：…", "生产日期：2026-01-14";
- region: place names, most specific wins (``pqrisk.core.text.region``);
- dates: 2026年3月5日, 二〇二六年三月五日, 2026-03-05, 2026/3/5, and 3月5日 when a
  ``reference_date`` gives the year (the latest such date not after the reference + 30 days);
  production dates belong to batches, not here;
- severity hint on the 1–4 scale of METHODS §1 (EU 2019/417): 死亡 … → 4, 住院/重伤/骨折 → 3,
  急诊/就医/缝合 → 2, 轻伤/红肿/水泡 → 1; a cue after a negation or a possibility (没有造成,
  差点, 可能导致, 以免) or before 风险/隐患 does not count;
- counts: units (件/台/辆/套/部/只/盏/顶/双/箱/批次, at least 2) and victims (名/人/例/位
  with an injury or death word in the same clause); numbers as written (三名, 1.2万件,
  十余名, 上千件 — ``pqrisk.core.text.numbers``). ``victims`` is the largest count of the
  dead plus the largest count of the injured;
- enterprises: any callable ``finder(text)`` returning spans — tuples (start, end, name) or
  objects with ``start``, ``end`` and ``name`` / ``company.name`` / ``text``. The default
  extractor uses ``pqrisk.core.text.company.find_company_mentions`` when it is importable.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from pqrisk.core.screening.disambiguate import (
    BRAND,
    OTHER,
    PRODUCT,
    Disambiguator,
    Resolution,
)
from pqrisk.core.screening.tagging import HAZARD as TAG_HAZARD
from pqrisk.core.screening.tagging import PRODUCT as TAG_PRODUCT
from pqrisk.core.screening.tagging import (  # the tagger's hit records and ranking, shared
    KeywordTagger,
    Vocabulary,
    _Entry,
    _Hit,
    _rank,
)
from pqrisk.core.text.lexicon import Lexicon, leftmost_longest, lower_same_length
from pqrisk.core.text.normalize import clean_text
from pqrisk.core.text.numbers import CHINESE_DIGITS, CHINESE_NUMERAL, parse_number, parse_quantity
from pqrisk.core.text.region import Region, RegionFinder

# Evidence fields.
F_PRODUCT, F_HAZARD, F_ENTERPRISE, F_BRAND = "product", "hazard", "enterprise", "brand"
F_MODEL, F_BATCH, F_REGION, F_DATE = "model", "batch", "region", "date"
F_SEVERITY, F_UNITS, F_VICTIMS = "severity", "units", "victims"
F_SENSE, F_AMBIGUOUS = "sense", "ambiguous"  # a word read as not-a-product; an unresolved one
FIELDS = (
    F_PRODUCT, F_HAZARD, F_ENTERPRISE, F_BRAND, F_MODEL, F_BATCH, F_REGION, F_DATE,
    F_SEVERITY, F_UNITS, F_VICTIMS, F_SENSE, F_AMBIGUOUS,
)  # fmt: skip
DEATH, INJURY = "death", "injury"
# Year-less dates (3月5日) may lie this far after the reference date (a report written ahead
# of an announced date); later ones are taken as last year's. Our choice.
FUTURE_SLACK = timedelta(days=30)
MIN_UNITS = 2  # "一台电暖器" describes one product, it is not a count of scale
DATA_PACKAGE = "pqrisk.core.screening"

CompanyFinder = Callable[[str], Iterable[Any]]


class Evidence(NamedTuple):
    """Why ``field`` has ``value``: ``Extraction.text[start:end] == text``. ``note`` says how
    (the catalogue term, the cue words of a disambiguation, the unit of a count). A named
    tuple: a text yields dozens, so making one must be cheap."""

    field: str
    value: str
    start: int
    end: int
    text: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "note": self.note,
        }


class Count(NamedTuple):
    """A number of units or victims as the text states it (``approximate`` for 十余, 上千)."""

    kind: str  # F_UNITS or F_VICTIMS
    value: int
    unit: str
    approximate: bool
    outcome: str  # victims: DEATH or INJURY; units: ""
    start: int
    end: int


@dataclass(frozen=True)
class Extraction:
    """Fields read from one item; every value has evidence in ``evidence``."""

    text: str
    title_end: int
    products: tuple[str, ...] = ()
    hazards: tuple[str, ...] = ()
    enterprises: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    batches: tuple[str, ...] = ()
    region: Region | None = None
    regions: tuple[Region, ...] = ()
    dates: tuple[date, ...] = ()
    severity_hint: int | None = None
    units: int | None = None
    victims: int | None = None
    deaths: int | None = None
    counts: tuple[Count, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    @property
    def body_start(self) -> int:
        return self.title_end + 1 if self.title_end else 0

    @property
    def title(self) -> str:
        return self.text[: self.title_end]

    @property
    def body(self) -> str:
        return self.text[self.body_start :]

    @property
    def ambiguous(self) -> tuple[Evidence, ...]:
        """Mentions left unresolved (ambiguous words and place names), for an analyst."""
        return self.evidence_for(F_AMBIGUOUS)

    def evidence_for(self, field_name: str) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.field == field_name)

    def locate(self, evidence: Evidence) -> tuple[str, int, int]:
        """("title" | "body", start, end) of ``evidence`` within the cleaned title or body."""
        if self.title_end and evidence.start < self.title_end:
            return "title", evidence.start, evidence.end
        offset = self.body_start
        return "body", evidence.start - offset, evidence.end - offset

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings, the region as a dict)."""

        def region_dict(r: Region | None) -> dict[str, Any] | None:
            if r is None:
                return None
            return {
                "level": r.level,
                "province": r.province,
                "city": r.city,
                "district": r.district,
                "code": r.code,
                "path": r.path,
            }

        return {
            "title_end": self.title_end,
            "products": list(self.products),
            "hazards": list(self.hazards),
            "enterprises": list(self.enterprises),
            "brands": list(self.brands),
            "models": list(self.models),
            "batches": list(self.batches),
            "region": region_dict(self.region),
            "regions": [region_dict(r) for r in self.regions],
            "dates": [d.isoformat() for d in self.dates],
            "severity_hint": self.severity_hint,
            "units": self.units,
            "victims": self.victims,
            "deaths": self.deaths,
            "evidence": [e.to_dict() for e in self.evidence],
        }


# --- cue words of severity and harm ------------------------------------------------------
# Severity on the 1–4 scale of METHODS §1 (EU 2019/417, GB/T 22760-2020): 4 fatal, 3
# hospitalisation or lasting harm, 2 outpatient / A&E, 1 first aid. Cue words are ours.
SEVERITY_CUES: dict[int, tuple[str, ...]] = {
    4: ("死亡", "身亡", "遇难", "丧生", "罹难", "殒命", "不治", "抢救无效", "溺亡", "去世",
        "离世", "夭折", "致死", "烧死", "电死", "窒息死亡"),
    3: ("重伤", "住院", "收治入院", "入院治疗", "ICU", "重症监护", "截肢", "骨折", "重度烧伤",
        "深二度", "三度烧伤", "手术", "昏迷", "抢救", "病危", "毁容", "失明", "致残", "残疾"),
    2: ("急诊", "门诊", "就医", "就诊", "送医", "缝合", "缝了", "送往医院", "送至医院",
        "送到医院", "清创", "二度烫伤", "二度烧伤"),
    1: ("轻伤", "轻微伤", "擦伤", "红肿", "水泡", "水疱", "皮外伤", "烫红", "起泡", "淤青",
        "包扎", "一度烫伤", "一度烧伤"),
}  # fmt: skip
# Words that say someone was harmed, for counts of victims (三名儿童被烫伤, 2人死亡).
HARM_CUES: dict[str, tuple[str, ...]] = {
    DEATH: ("死亡", "身亡", "遇难", "丧生", "罹难", "殒命", "不治", "溺亡", "去世", "烧死", "电死"),
    INJURY: ("受伤", "伤者", "受害", "烧伤", "烫伤", "灼伤", "骨折", "中毒", "割伤", "划伤",
             "擦伤", "扭伤", "咬伤", "窒息", "触电", "送医", "就医", "就诊", "住院", "抢救",
             "救治", "误吞", "误食", "不同程度", "伤害", "病例", "患儿", "患者", "急诊", "过敏",
             "烧烫伤", "勒伤", "夹伤", "砸伤", "摔伤", "重伤", "轻伤"),
}  # fmt: skip
# Before a cue (same clause, a few characters back): the harm did not happen or may happen.
_NOT_ACTUAL_BEFORE = re.compile(
    r"无人|无一|并无|无任何|无明显|未|没有|没|并未|不会|不致|不至于|差点|险些|差一点|避免|防止"
    r"|以免|谨防|预防|可能|可致|可导致|可造成|可引起|会导致|会造成|会引起|能导致|易导致|易造成"
    r"|或导致|或致|甚至|严重时|严重者|一旦|[可会能易或]$"
)
_NOT_ACTUAL_AFTER = re.compile(r"风险|隐患|威胁|危险|可能")
_LOOKBACK = 8
_LOOKAHEAD = 4
_CLAUSE_END = frozenset(",，。!?;；:\n")
# A count of victims and its harm word must share a clause ("十余名消费者投诉,其中三名儿童被
# 划伤": the complainants are not victims). "、" does not end one (三名儿童、两名成人受伤).
_CLAUSE_BREAKS = ",，。!?;；\n"

# --- regular expressions -----------------------------------------------------------------
_CJK = "\u4e00-\u9fff"
_MODEL_TOKEN = r"[A-Za-z0-9][A-Za-z0-9\-_./+#]*[A-Za-z0-9]"
_MODEL_LABELLED = re.compile(
    r"(?P<label>规格型号|产品型号|型号规格|型号|款号|货号)[ ]?(?:[:为是][ ]?)?"
    rf"(?P<value>{_MODEL_TOKEN})"
)
# "X100型", "KFR-35GW型": letters and digits before 型 (not 型号), see _model_before.
_MODEL_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|\d+[A-Za-z][A-Za-z0-9\-]*")
# "(XH-2000)" right after a product or brand.
_MODEL_PAREN = re.compile(
    r"\((?P<value>[A-Za-z]{1,6}-?[A-Za-z0-9]*\d[A-Za-z0-9\-]*(?: [A-Za-z0-9]+)?)\)"
)
_BATCH = re.compile(
    r"(?P<label>生产日期/批号|生产日期或批号|生产批号|批次号|批次编号|批号)[ ]?(?:[:为是][ ]?)?"
    rf"(?P<value>{_MODEL_TOKEN}|\d)"
    r"|(?P<dlabel>生产日期)[ ]?(?:[:为是][ ]?)?"
    r"(?P<dvalue>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"
)
_CN_SMALL = "一二三四五六七八九十"
# Patterns start with a literal or a bare character class: only then does re skip quickly to
# candidate positions (a pattern opening with a group is tried at every position, ~4× slower
# here). Dates are anchored on 月 and read backwards (see _dates); look-behind checks are
# made in Python.
_MONTH_DAY = re.compile(rf"月(?P<d>[\d{_CN_SMALL}]{{1,3}})[日号]")
_DATE_ISO = re.compile(r"\d\d\d\d[-/.]\d\d?[-/.]\d\d?")
_ISO_PARTS = re.compile(r"[-/.]")
_MONTH_CHARS = frozenset("0123456789" + _CN_SMALL)
_YEAR_CHARS = frozenset("0123456789" + CHINESE_DIGITS)
_NUMERAL_CHARS = frozenset("0123456789" + CHINESE_DIGITS + "十百千万萬亿")
_BEFORE_DATE = _NUMERAL_CHARS | frozenset(".-/")  # 6675.2-2014 is a standard, not a date
_UNIT_WORDS = {
    "批次": F_UNITS, "批": F_UNITS, "件": F_UNITS, "台": F_UNITS, "辆": F_UNITS,
    "套": F_UNITS, "部": F_UNITS, "只": F_UNITS, "盏": F_UNITS, "顶": F_UNITS,
    "双": F_UNITS, "箱": F_UNITS,
    "名": F_VICTIMS, "人": F_VICTIMS, "例": F_VICTIMS, "位": F_VICTIMS,
}  # fmt: skip
_COUNT = re.compile(
    rf"[\d{CHINESE_NUMERAL}][\d,.{CHINESE_NUMERAL}万萬亿]*(?:[余多][万萬亿]?)?[ ]?"
    r"(?P<unit>批次|批(?!准|评|发)|件(?!事)|台(?![账风湾阶州上下])|辆|套(?!餐)|部(?![门分署长位])"
    r"|只(?![是有要能会])|盏|顶|双(?![方向层重])|箱|名(?![称字义单牌])|人(?![民员家工])"
    r"|例|位(?![置于数]))"
)
_APPROX_BEFORE = re.compile(r"(?:大约|将近|接近|至少|超过|约|近|逾|超|上)$")
# 牌 followed by these is another word (牌子, 牌照, 门牌号 …), not a brand mark.
_NOT_AFTER_PAI = frozenset("子照号匾坊楼价局友桌")
_NAMED_BRAND = re.compile(
    rf"(?:名称|名)?[ ]?[:为是][ ]?(?P<named>[A-Za-z0-9{_CJK}][A-Za-z0-9{_CJK}\-]{{0,11}})"
)
_MAX_RUN = 12
# Characters that end the words before a brand (的 in 家中的暖小象牌, 了 in 买了九阳牌).
_BRAND_LEFT_STOPS = frozenset(
    "的了在是和与及把被从买购用款台个只部辆家这那该一有为将向对给等或其某位件套中里"
)
# Words that stand before 牌/品牌 without being a brand. Our list.
_NOT_BRANDS = frozenset(
    {
        "杂", "名", "大", "冒", "品", "招", "门", "车", "号", "王", "金", "铭", "标", "扑克",
        "麻将", "国产", "进口", "知名", "国际", "国内", "自有", "同一", "不同", "多个", "各",
        "其他", "其它", "这个", "那个", "哪个", "什么", "各种", "该", "此", "一线", "二线",
        "网红", "山寨", "假冒", "正规", "正品", "原装", "大品", "小品", "新", "老", "纸",
        "同款", "这款", "那款", "自主", "本土", "外资", "合资", "主流", "多家", "其",
        "产品", "商品", "该产品", "此产品", "同", "这一", "那一", "本", "自家", "名优",
    }
)  # fmt: skip
_MAX_BRAND = 6


def _cjk_brand(run: str) -> str:
    """The brand at the end of a run of Chinese characters before 牌: back to the first stop
    character (家中的暖小象 → 暖小象), at most ``_MAX_BRAND`` characters; "" when unclear."""
    i = len(run)
    while i > 0 and run[i - 1] not in _BRAND_LEFT_STOPS and len(run) - i < _MAX_BRAND:
        i -= 1
    if i > 0 and run[i - 1] not in _BRAND_LEFT_STOPS:
        return ""  # more than _MAX_BRAND characters without a boundary: unclear
    brand = run[i:]
    return brand if len(brand) >= 2 and brand not in _NOT_BRANDS else ""


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def known_brands() -> list[str]:
    """The packaged list of well-known brands (``data/known_brands.txt``)."""
    path = resources.files(DATA_PACKAGE).joinpath("data", "known_brands.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _company_spans(found: Iterable[Any]) -> list[tuple[int, int, str]]:
    spans = []
    for m in found:
        if isinstance(m, tuple):
            start, end, name = m[0], m[1], m[2]
        else:
            start, end = m.start, m.end
            company = getattr(m, "company", None)
            name = (
                getattr(m, "name", None)
                or getattr(company, "name", None)
                or getattr(m, "text", None)
                or ""
            )
        spans.append((int(start), int(end), str(name)))
    return spans


_EVIDENCE_ORDER = operator.itemgetter(2, 3, 0)  # start, end, field
# Components of the shared lexicon pass.
_TAGS, _REGIONS, _SENSES, _BRANDS, _CUES = range(5)
_SEVERITY, _HARM = "severity", "harm"


class Extractor:
    """Reads products, hazards, brands, places, dates and counts from texts; build once.

    ``products``/``hazards`` are catalogue and hazard vocabularies (as for
    ``KeywordTagger``); ``brands`` extends the packaged known-brand list; ``regions`` and
    ``disambiguator`` default to the packaged gazetteer and table; ``company_finder`` finds
    enterprise names (None: no enterprises).
    """

    def __init__(
        self,
        products: Iterable[Vocabulary],
        hazards: Iterable[Vocabulary],
        brands: Iterable[str] = (),
        *,
        regions: RegionFinder | None = None,
        disambiguator: Disambiguator | None = None,
        company_finder: CompanyFinder | None = None,
        use_known_brands: bool = True,
    ) -> None:
        products = list(products)
        self.tagger = KeywordTagger(products=products, hazards=hazards, districts=[])
        self.regions = regions or RegionFinder.default()
        self.disambiguator = disambiguator or Disambiguator.default()
        self.company_finder = company_finder
        self._levels = {v.code: v.level for v in products}
        ambiguous = {lower_same_length(t) for t in self.disambiguator.terms}
        self._ambiguous_keys = frozenset(ambiguous)
        self.brand_lexicon: Lexicon[str] = Lexicon()
        for brand in [*(known_brands() if use_known_brands else ()), *brands]:
            brand = clean_text(brand)
            key = lower_same_length(brand)
            if len(brand) >= 2 and key not in ambiguous:
                self.brand_lexicon.add(key, brand)
        self.cue_lexicon: Lexicon[tuple[str, Any]] = Lexicon()
        for level, words in SEVERITY_CUES.items():
            for word in words:
                self.cue_lexicon.add(lower_same_length(word), (_SEVERITY, level))
        for outcome, words in HARM_CUES.items():
            for word in words:
                self.cue_lexicon.add(lower_same_length(word), (_HARM, outcome))
        # One lexicon for the one pass: each term carries (component, payloads) pairs. Of the
        # disambiguator only the terms: its cue words (many single characters) would triple
        # the matches of every text; it looks for them around the terms it is given.
        parts: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        for index, lexicon in (
            (_TAGS, self.tagger.lexicon),
            (_REGIONS, self.regions.lexicon),
            (_SENSES, self.disambiguator.term_lexicon),
            (_BRANDS, self.brand_lexicon),
            (_CUES, self.cue_lexicon),
        ):
            for term in lexicon.terms():
                parts.setdefault(term, []).append((index, lexicon.payloads(term)))
        self._lexicon: Lexicon[tuple[tuple[int, tuple[Any, ...]], ...]] = Lexicon(
            (term, tuple(p)) for term, p in parts.items()
        )

    # ------------------------------------------------------------------ main entry
    def extract(
        self,
        text: str,
        title: str | None = None,
        *,
        reference_date: date | None = None,
        cleaned: bool = False,
    ) -> Extraction:
        """Fields of the item with ``text`` (and ``title``); ``cleaned=True`` when both are
        already ``clean_text`` output (skips cleaning again)."""
        body = text if cleaned else clean_text(text or "")
        head = (title if cleaned else clean_text(title)) if title else ""
        doc = f"{head}\n{body}" if head else body
        title_end = len(head)
        if not doc:
            return Extraction(doc, title_end)
        lowered = lower_same_length(doc)
        buckets: list[list[tuple[int, int, tuple[Any, ...]]]] = [[], [], [], [], []]
        for start, end, (parts,) in self._lexicon.matches(lowered):
            for index, payloads in parts:
                buckets[index].append((start, end, payloads))
        evidence: list[Evidence] = []
        add = evidence.append

        # Products and hazards; ambiguous words are left to the disambiguator.
        kept = [
            h
            for h in self.tagger.kept_hits(lowered, buckets[_TAGS])
            if lowered[h.start : h.end] not in self._ambiguous_keys
        ]
        product_spans = [(h.start, h.end) for h in kept if h.entry.kind == TAG_PRODUCT]
        resolutions = []
        if buckets[_SENSES]:
            mentions = [(s, e, p[0]) for s, e, p in buckets[_SENSES]]
            for r in self.disambiguator.resolve_mentions(lowered, mentions):
                if not any(
                    s <= r.start and r.end <= e and e - s > r.end - r.start
                    for s, e in product_spans
                ):
                    resolutions.append(r)
        for h in kept:
            span = doc[h.start : h.end]
            add(Evidence(h.entry.kind, h.entry.code, h.start, h.end, span, h.entry.term))
        brands: dict[str, None] = {}
        brand_spans: list[tuple[int, int]] = []
        for r in resolutions:
            self._resolution_evidence(doc, r, kept, brands, brand_spans, add)
        products = _rank(kept, TAG_PRODUCT, by_level=True)
        hazards = _rank(kept, TAG_HAZARD, by_level=False)

        # Brands: the list, then 牌/品牌 marks.
        for start, end, payloads in leftmost_longest(buckets[_BRANDS]):
            if _latin_cut(lowered, start, end):
                continue
            brands.setdefault(payloads[0], None)
            brand_spans.append((start, end))
            add(Evidence(F_BRAND, payloads[0], start, end, doc[start:end], "品牌词表"))
        if "牌" in doc:
            self._marked_brands(doc, lowered, product_spans, brands, brand_spans, add)

        models = self._models(doc, product_spans + brand_spans, add)
        batches, batch_spans = self._batches(doc, add)
        dates = self._dates(doc, reference_date, batch_spans, add)

        region_result = self.regions.from_matches(doc, buckets[_REGIONS])
        for m in region_result.mentions:
            if m.region is not None:
                add(Evidence(F_REGION, m.region.path, m.start, m.end, m.text, m.region.level))
            else:
                note = "地名有多处：" + "、".join(c.path for c in m.candidates)
                add(Evidence(F_AMBIGUOUS, m.text, m.start, m.end, m.text, note))

        severity = self._severity(doc, buckets[_CUES], add)
        counts = self._counts(doc, buckets[_CUES], add)
        units = max((c.value for c in counts if c.kind == F_UNITS), default=None)
        deaths = max((c.value for c in counts if c.outcome == DEATH), default=None)
        injured = max((c.value for c in counts if c.outcome == INJURY), default=None)
        victims = None if deaths is None and injured is None else (deaths or 0) + (injured or 0)

        enterprises: dict[str, None] = {}
        if self.company_finder is not None:
            for start, end, name in _company_spans(self.company_finder(doc)):
                enterprises.setdefault(name, None)
                add(Evidence(F_ENTERPRISE, name, start, end, doc[start:end]))

        evidence.sort(key=_EVIDENCE_ORDER)
        return Extraction(
            text=doc,
            title_end=title_end,
            products=products,
            hazards=hazards,
            enterprises=tuple(enterprises),
            brands=tuple(brands),
            models=models,
            batches=batches,
            region=region_result.region,
            regions=tuple(dict.fromkeys(m.region for m in region_result.resolved if m.region)),
            dates=dates,
            severity_hint=severity,
            units=units,
            victims=victims,
            deaths=deaths,
            counts=tuple(counts),
            resolutions=tuple(resolutions),
            evidence=tuple(evidence),
        )

    # ------------------------------------------------------------------ fields
    def _resolution_evidence(
        self,
        doc: str,
        r: Resolution,
        kept: list[_Hit],
        brands: dict[str, None],
        brand_spans: list[tuple[int, int]],
        add: Callable[[Evidence], None],
    ) -> None:
        words = "、".join(dict.fromkeys(c.word for c in r.cues))
        span = doc[r.start : r.end]
        if r.sense is None:
            labels = "、".join(s.label for s in r.candidates)
            add(Evidence(F_AMBIGUOUS, r.term, r.start, r.end, span, f"待定：{labels}"))
            return
        why = f"{r.sense.label}（依据：{words or '—'}）"
        if r.sense.kind == PRODUCT:
            level = self._levels.get(r.sense.code, len(r.sense.code) // 2)
            entry = _Entry(TAG_PRODUCT, r.sense.code, r.term, level)
            kept.append(_Hit(r.start, r.end, entry))
            kept.sort(key=lambda h: (h.start, -h.end))
            add(Evidence(F_PRODUCT, r.sense.code, r.start, r.end, span, why))
            return
        if r.sense.kind == BRAND:
            brands.setdefault(r.sense.brand, None)
            brand_spans.append((r.start, r.end))
            add(Evidence(F_BRAND, r.sense.brand, r.start, r.end, span, why))
            return
        assert r.sense.kind == OTHER
        add(Evidence(F_SENSE, r.sense.key, r.start, r.end, span, why))

    def _marked_brands(
        self,
        doc: str,
        lowered: str,
        product_spans: list[tuple[int, int]],
        brands: dict[str, None],
        brand_spans: list[tuple[int, int]],
        add: Callable[[Evidence], None],
    ) -> None:
        i = doc.find("牌")
        while i >= 0:
            found = _brand_at_mark(doc, i, product_spans)
            i = doc.find("牌", i + 1)
            if found is None:
                continue
            start, end, note = found
            if any(s <= start and end <= e for s, e in brand_spans):
                continue  # already known (a listed brand or a resolved ambiguous word)
            if lowered[start:end] in self._ambiguous_keys:
                continue  # the disambiguator decided (or left it open) with its cues
            brand = doc[start:end]
            if len(brand) < 2 or brand in _NOT_BRANDS:
                continue
            brands.setdefault(brand, None)
            brand_spans.append((start, end))
            add(Evidence(F_BRAND, brand, start, end, brand, note))

    def _models(
        self,
        doc: str,
        anchors: list[tuple[int, int]],
        add: Callable[[Evidence], None],
    ) -> tuple[str, ...]:
        found: dict[str, None] = {}
        spans: list[tuple[int, int]] = []

        def keep(value: str, start: int, end: int, note: str) -> None:
            if any(s < end and start < e for s, e in spans):
                return
            spans.append((start, end))
            found.setdefault(value, None)
            add(Evidence(F_MODEL, value, start, end, doc[start:end], note))

        if "型" in doc or "款号" in doc or "货号" in doc:
            for m in _MODEL_LABELLED.finditer(doc):
                keep(m.group("value"), *m.span("value"), m.group("label"))
            i = doc.find("型")
            while i >= 0:
                model_start = _model_before(doc, i)
                if model_start is not None:
                    keep(doc[model_start:i], model_start, i, "型")
                i = doc.find("型", i + 1)
        if "(" in doc and anchors:
            ends = {e for _s, e in anchors}
            for m in _MODEL_PAREN.finditer(doc):
                if m.start() in ends:
                    keep(m.group("value"), *m.span("value"), "产品名后括号")
        return tuple(found)

    def _batches(
        self, doc: str, add: Callable[[Evidence], None]
    ) -> tuple[tuple[str, ...], list[tuple[int, int]]]:
        if "批" not in doc and "生产日期" not in doc:
            return (), []
        found: dict[str, None] = {}
        spans = []
        for m in _BATCH.finditer(doc):
            group = "value" if m.group("value") else "dvalue"
            label = m.group("label") or m.group("dlabel")
            value = m.group(group)
            start, end = m.span(group)
            found.setdefault(value, None)
            spans.append((start, end))
            add(Evidence(F_BATCH, value, start, end, value, label))
        return tuple(found), spans

    def _dates(
        self,
        doc: str,
        reference: date | None,
        skip: list[tuple[int, int]],
        add: Callable[[Evidence], None],
    ) -> tuple[date, ...]:
        if "月" not in doc and "-" not in doc and "/" not in doc and "." not in doc:
            return ()
        found: dict[date, None] = {}
        spans = list(skip)
        # (start, end, year, month, day) with year "" when the text gives none.
        candidates: list[tuple[int, int, str, str, str]] = []
        if "月" in doc:
            for m in _MONTH_DAY.finditer(doc):
                month_end = m.start()
                start = month_end
                while start and month_end - start < 3 and doc[start - 1] in _MONTH_CHARS:
                    start -= 1
                if start == month_end:
                    continue
                month = doc[start:month_end]
                year = ""
                if start > 4 and doc[start - 1] == "年":
                    year_start = start - 5
                    if all(ch in _YEAR_CHARS for ch in doc[year_start : start - 1]):
                        year = doc[year_start : start - 1]
                        start = year_start
                if not year and start and doc[start - 1] in _NUMERAL_CHARS | {"年"}:
                    continue  # part of a longer number, or a year we cannot read
                candidates.append((start, m.end(), year, month, m.group("d")))
        if "-" in doc or "/" in doc or "." in doc:
            for m in _DATE_ISO.finditer(doc):
                start, end = m.span()
                if (start and doc[start - 1] in _BEFORE_DATE) or doc[
                    end : end + 1
                ] in _NUMERAL_CHARS:
                    continue  # part of a longer number (6675.2-2014, 12.3.45)
                year, month, day = _ISO_PARTS.split(m.group())
                candidates.append((start, end, year, month, day))
        for start, end, year, month, day in candidates:
            if any(s < end and start < e for s, e in spans):
                continue  # inside a batch
            when = _make_date((year, month, day), reference)
            if when is None:
                continue
            spans.append((start, end))
            found.setdefault(when, None)
            note = "" if year else f"年份按参考日期{reference}推定"
            add(Evidence(F_DATE, when.isoformat(), start, end, doc[start:end], note))
        return tuple(found)

    def _severity(
        self,
        doc: str,
        cues: list[tuple[int, int, tuple[Any, ...]]],
        add: Callable[[Evidence], None],
    ) -> int | None:
        level: int | None = None
        for start, end, payloads in cues:
            for kind, value in payloads:
                if kind != _SEVERITY or not _actual(doc, start, end):
                    continue
                level = value if level is None else max(level, value)
                add(Evidence(F_SEVERITY, str(value), start, end, doc[start:end], "伤害程度线索"))
        return level

    def _counts(
        self,
        doc: str,
        cues: list[tuple[int, int, tuple[Any, ...]]],
        add: Callable[[Evidence], None],
    ) -> list[Count]:
        harms = sorted(
            (start, end, value)
            for start, end, payloads in cues
            for kind, value in payloads
            if kind == _HARM and _actual(doc, start, end)
        )
        counts: list[Count] = []
        for m in _COUNT.finditer(doc):
            start = m.start()
            if start and doc[start - 1] == "第":
                continue  # an ordinal: 第3批
            before = _APPROX_BEFORE.search(doc, max(0, start - 2), start)
            if before is not None:
                start = before.start()
            unit = m.group("unit")
            number = doc[start : m.start("unit")].rstrip()
            quantity = parse_quantity(number)
            if quantity is None:
                continue
            value = int(quantity.value)
            end = m.end()
            kind = _UNIT_WORDS[unit]
            outcome = ""
            if kind == F_UNITS:
                if value < MIN_UNITS:
                    continue
                unit = "批次" if unit == "批" else unit
            else:
                outcome = _outcome(doc, start, end, harms)
                if not outcome or value < 1:
                    continue
            counts.append(Count(kind, value, unit, quantity.approximate, outcome, start, end))
            note = unit + ("，约数" if quantity.approximate else "")
            if outcome:
                note += "，死亡" if outcome == DEATH else "，受伤"
            add(Evidence(kind, str(value), start, end, doc[start:end], note))
        return counts


def _model_before(doc: str, i: int) -> int | None:
    """Start of a model code ending right before the 型 at ``doc[i]`` ("X100型"), or None."""
    if doc[i + 1 : i + 2] == "号":
        return None
    j = i
    while j and j > i - 30 and doc[j - 1].isascii() and (doc[j - 1].isalnum() or doc[j - 1] == "-"):
        j -= 1
    token = doc[j:i]
    if not token or not any(c.isdigit() for c in token) or not _MODEL_SHAPE.fullmatch(token):
        return None
    return j


def _brand_at_mark(
    doc: str, i: int, product_spans: list[tuple[int, int]]
) -> tuple[int, int, str] | None:
    """The brand marked by the 牌 at ``doc[i]``: "暖小象牌", "九阳品牌", "Apple牌", or the
    name after "品牌：" / "品牌为" (cut where a product name starts); None when unclear."""
    if doc[i + 1 : i + 2] in _NOT_AFTER_PAI and i + 1 < len(doc):
        return None
    mark = i
    if i and doc[i - 1] == "品":
        mark = i - 1
        named = _NAMED_BRAND.match(doc, i + 1)
        if named is not None:
            start, end = named.span("named")
            for s, _e in product_spans:
                if start < s < end:
                    end = s
            return start, end, "品牌名称"
    end = mark
    if end and doc[end - 1] == " ":
        end -= 1
    start = end
    if start and doc[start - 1].isascii() and doc[start - 1].isalnum():
        while start and (
            doc[start - 1].isascii() and (doc[start - 1].isalnum() or doc[start - 1] in "&-")
        ):
            start -= 1
        return (start, end, "牌/品牌标记") if doc[start].isalpha() and end - start >= 2 else None
    while start and end - start < _MAX_RUN and "\u4e00" <= doc[start - 1] <= "\u9fff":
        start -= 1
    brand = _cjk_brand(doc[start:end])
    return (end - len(brand), end, "牌/品牌标记") if brand else None


def _latin_cut(text: str, start: int, end: int) -> bool:
    """True when a Latin term would cut a Latin word ("lg" in "algae")."""

    def word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()

    if word(text[start]) and start > 0 and word(text[start - 1]):
        return True
    return word(text[end - 1]) and end < len(text) and word(text[end])


def _actual(doc: str, start: int, end: int) -> bool:
    """False when the cue at ``start:end`` is negated or only possible (see module doc)."""
    lo = start
    while lo > 0 and start - lo < _LOOKBACK and doc[lo - 1] not in _CLAUSE_END:
        lo -= 1
    if lo < start and _NOT_ACTUAL_BEFORE.search(doc[lo:start]):
        return False
    # A risk word just after (死亡风险, 死亡的风险; 电死 in 触电死亡风险) marks a possibility.
    return _NOT_ACTUAL_AFTER.search(doc, end, end + _LOOKAHEAD) is None


def _outcome(doc: str, start: int, end: int, harms: list[tuple[int, int, str]]) -> str:
    """DEATH/INJURY of the harm word for a victim count: the first after it in its clause,
    else the last before it in its clause; "" when the clause names no harm."""
    for h_start, _h_end, outcome in harms:
        if h_start >= end:
            if not any(ch in doc[end:h_start] for ch in _CLAUSE_BREAKS):
                return outcome
            break
    for _h_start, h_end, outcome in reversed(harms):
        if h_end <= start:
            if not any(ch in doc[h_end:start] for ch in _CLAUSE_BREAKS):
                return outcome
            break
    return ""


def _make_date(parts: tuple[str, str, str], reference: date | None) -> date | None:
    year_text, month_text, day_text = parts
    month, day = _int_or_none(parse_number(month_text)), _int_or_none(parse_number(day_text))
    if month is None or day is None:
        return None
    if year_text:
        year = _int_or_none(parse_number(year_text))
        if year is None or not 1949 <= year <= 2100:
            return None
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if reference is None:
        return None  # no year and nothing to take it from: not guessed
    for year in (reference.year + 1, reference.year, reference.year - 1):
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        if when <= reference + FUTURE_SLACK:
            return when
    return None


# ---------------------------------------------------------------------- defaults
def _default_company_finder() -> CompanyFinder | None:
    try:
        from pqrisk.core.text.company import _jieba, default_finder, find_company_mentions
    except ImportError:  # the company-name module is optional
        return None
    # Build the finder and load jieba's dictionary now, with the extractor, not on the first
    # text that needs a word split (1–1.5 s in the middle of a run).
    default_finder()
    _jieba().initialize()
    return find_company_mentions


@cache
def default_extractor() -> Extractor:
    """An extractor over the packaged taxonomy (product catalogue names and keywords, hazard
    keywords), the known-brand list, gazetteer and disambiguation table, and the company
    finder when it is available. Cached: build it once per process."""
    from pqrisk.taxonomy.loader import load_hazards, load_products

    return Extractor(
        products=[Vocabulary(p.code, (p.name, *p.keywords), p.level) for p in load_products()],
        hazards=[Vocabulary(h.code, h.keywords) for h in load_hazards() if h.keywords],
        company_finder=_default_company_finder(),
    )


def extract(
    text: str,
    title: str | None = None,
    *,
    reference_date: date | None = None,
    extractor: Extractor | None = None,
) -> Extraction:
    """Fields of one item with evidence (see the module docstring); uses
    ``default_extractor()`` unless an ``extractor`` is given."""
    return (extractor or default_extractor()).extract(text, title, reference_date=reference_date)
