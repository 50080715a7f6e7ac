"""Enterprise names (企业名称): split into place, trade name, industry and organisation form,
find them in free text, and match a mentioned name to a registered enterprise.

A Chinese enterprise name is, by the registration rules (企业名称登记管理规定), a place
(行政区划), a trade name (字号, here ``brand``), an industry (行业) and an organisation form
(组织形式): 上海市浦东新区 | 华东 | 电器 | 有限公司. The place may instead stand in brackets
after the trade name or industry (华东电器（上海）有限公司), a branch adds its own tail
(…有限公司浦东分公司), and since 2022 an individual business ends in （个体工商户）.

The parser is dictionary-driven and deterministic: place names are the administrative
divisions with their short forms, checked as a chain (a district must lie in the city before
it, so 上海光明 is 上海 + 光明, not two places); the organisation form is the longest known
form at the end; the industry is the longest run of industry words before the form that
still leaves a trade name of two characters (the legal minimum). The trade name is what
remains: it needs no list, which is why the 285,000-word brand list is not shipped (measured
in data/README.md). Accuracy and speed: benchmarks/bench_company.py.

Dictionaries are derived from the companynameparser data by scripts/build_company_dicts.py.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from pqrisk.core.uscc import normalize as normalize_uscc

DATA = Path(__file__).parent / "data"

# The legal minimum length of a trade name (字号 "应当由两个以上汉字组成").
MIN_BRAND = 2
# Bracketed words that close a name and belong to its organisation form.
FORM_MARKERS = ("个体工商户", "有限合伙", "普通合伙", "特殊普通合伙", "个人独资", "集团")
_MARKER_TAGS = tuple(f"（{marker}）" for marker in FORM_MARKERS)
# Tails that make a name a branch of the enterprise named before them.
BRANCH_FORMS = (
    "分公司", "支公司", "分店", "分厂", "营业部", "分部", "办事处", "分行", "支行", "分中心",
)  # fmt: skip
# Forms after which a branch tail may follow (…有限公司浦东分公司).
_HEAD_FORMS = ("公司", "集团", "厂", "银行")
_HEAD_FORM = re.compile("|".join(_HEAD_FORMS))
# A bracketed part of a name that may be a place (华东（上海）电器).
_BRACKETED = re.compile(r"（([^（）]{2,12})）")
# Town-level places after a district: 七宝镇, 朱家角镇, 潍坊新村街道. Our pattern; pca.csv
# stops at districts.
_TOWN = re.compile(r"[\u4e00-\u9fff]{2,3}(?:镇|乡)|[\u4e00-\u9fff]{2,4}街道")
# Zones that follow a place as part of it (张家港保税区, 昆山经济技术开发区).
ZONES = (
    "综合保税区", "保税区", "经济技术开发区", "高新技术产业开发区", "经济开发区", "开发区",
    "高新区", "工业园区", "工业区", "自由贸易试验区", "自贸区",
)  # fmt: skip
_ZONE_STARTS = frozenset(z[0] for z in ZONES)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = "\"'“”‘’《》「」『』〈〉<>【】[]·•,，。.;；:：、!！?？ "
_NAME_EDGES = _EDGE_PUNCT + "\t"
_SPACE_BY_CHINESE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
# Full-width and ASCII brackets become the full-width pair of official names.
_BRACKETS = str.maketrans({"(": "（", ")": "）", "〔": "（", "〕": "）"})
_BRACKET_PAIRS = (("(", "（"), (")", "）"), ("〔", "（"), ("〕", "）"))
_end = itemgetter(0)


@dataclass(frozen=True)
class CompanyName:
    """One enterprise name in its parts; empty strings for parts not present.

    ``name`` is the cleaned name (full-width letters and digits made half-width, brackets
    full-width, spaces between Chinese characters removed). ``place`` joins the leading place
    and a bracketed one; ``org_form`` keeps a closing （个体工商户） or （有限合伙）.
    """

    name: str
    place: str = ""
    brand: str = ""
    industry: str = ""
    org_form: str = ""
    branch: str = ""

    @property
    def recognised(self) -> bool:
        """Whether anything of a Chinese enterprise name was found."""
        return bool(self.brand or self.org_form or self.industry or self.place)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class CompanyDictionaries:
    """Place divisions, industry words and organisation forms (and optionally brands)."""

    def __init__(
        self,
        units: Iterable[tuple[int, int, Iterable[str]]],
        industries: Iterable[str],
        org_forms: Iterable[str],
        brands: Iterable[str] | None = None,
    ) -> None:
        self.parent: dict[int, int] = {}
        places: dict[str, set[int]] = {}
        self.short_forms: set[str] = set()
        for uid, parent, names in units:
            names = list(names)
            self.parent[uid] = parent
            for i, n in enumerate(names):
                places.setdefault(n, set()).add(uid)
                if i:
                    self.short_forms.add(n)
        self.places: dict[str, frozenset[int]] = {k: frozenset(v) for k, v in places.items()}
        self.max_place = max(map(len, self.places), default=0)
        # The lengths of the place names that begin with each pair of characters: most
        # positions in a text are no place at all, and the rest try a few lengths only.
        self.place_lengths = _lengths_by(self.places, _first_two)
        self.place_starts = frozenset(self.place_lengths)
        self.has_children = frozenset(self.parent.values())
        # Every division's strict ancestors: a chain checks containment for each part.
        self.ancestors = {uid: self._ancestors_of(uid) for uid in self.parent}
        self.industries = frozenset(industries)
        self.max_industry = max(map(len, self.industries), default=0)
        # The same for the industry words of two characters or more, by their last character
        # (walking back from the form) and by their first two (splitting a name).
        words = [w for w in self.industries if len(w) >= 2]
        self.industry_lengths = _lengths_by(words, _last)
        self.industry_heads = _lengths_by(words, _first_two)
        self.industry_prefixes = frozenset(w[:i] for w in self.industries for i in range(1, len(w)))
        self.org_forms = tuple(sorted(set(org_forms), key=lambda f: (-len(f), f)))
        # Forms by their last character, longest first: the end of a name picks a short list.
        self.forms_by_last: dict[str, tuple[str, ...]] = {}
        for f in self.org_forms:
            self.forms_by_last[f[-1]] = (*self.forms_by_last.get(f[-1], ()), f)
        self.org_form_set = frozenset(self.org_forms)
        self.org_form_lengths = _lengths_by(self.org_forms, _last)
        self.brands = frozenset(brands) if brands is not None else None

    @classmethod
    def load(cls, data: Path = DATA, brands: Path | None = None) -> CompanyDictionaries:
        units = []
        for line in _data_lines(data / "company_places.tsv"):
            uid, parent, names = line.split("\t")
            units.append((int(uid), int(parent), names.split(" ")))
        brand_words = None
        if brands is not None:
            opener = gzip.open if brands.suffix == ".gz" else open
            with opener(brands, "rt", encoding="utf-8") as fh:
                brand_words = [s.strip() for s in fh if s.strip()]
        return cls(
            units,
            _data_lines(data / "company_industries.txt"),
            _data_lines(data / "company_org_forms.txt"),
            brand_words,
        )

    def _ancestors_of(self, uid: int) -> frozenset[int]:
        found: set[int] = set()
        b = self.parent.get(uid, 0)
        while b and b not in found:
            found.add(b)
            b = self.parent.get(b, 0)
        return frozenset(found)

    def is_ancestor(self, a: int, b: int) -> bool:
        """Whether division ``a`` contains division ``b`` (strictly)."""
        b = self.parent.get(b, 0)
        while b:
            if b == a:
                return True
            b = self.parent.get(b, 0)
        return False

    def compatible(self, a: frozenset[int], b: frozenset[int]) -> bool:
        """Whether two places can be the same place: equal, or one contains the other."""
        return any(x == y or self.is_ancestor(x, y) or self.is_ancestor(y, x) for x in a for y in b)


def _lengths_by(words: Iterable[str], key: Callable[[str], str]) -> dict[str, tuple[int, ...]]:
    """The lengths of ``words`` by ``key`` of each, longest first: the lengths worth trying
    at a position of a text, after one look-up of the characters there."""
    lengths: dict[str, set[int]] = {}
    for w in words:
        lengths.setdefault(key(w), set()).add(len(w))
    return {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}


def _first_two(word: str) -> str:
    return word[:2]


def _last(word: str) -> str:
    return word[-1]


def _data_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [s.rstrip("\n") for s in fh if s.strip() and not s.startswith("#")]


@cache
def default_dictionaries() -> CompanyDictionaries:
    return CompanyDictionaries.load()


def clean_company_name(name: object) -> str:
    """The name as stored and compared: NFKC (full-width letters and digits half-width),
    brackets full-width, no spaces between Chinese characters, no quotes or punctuation
    around it. Anything that is not a string is the empty name."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFKC", name)
    for ascii_bracket, bracket in _BRACKET_PAIRS:  # str.translate is slower on Chinese text
        if ascii_bracket in text:
            text = text.replace(ascii_bracket, bracket)
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable())
    # The only space left is " ": other spaces are not printable or NFKC made them " ".
    if " " in text:
        if _HAN.search(text):
            # Chinese names have no spaces; English words inside keep one between them.
            text = _SPACE_BY_CHINESE.sub("", text)
        text = _SPACE.sub(" ", text)
    return text.strip(_NAME_EDGES)


class _Place(NamedTuple):
    end: int
    units: frozenset[int]
    short_first: bool  # the first part is a district or county short form (永安, 光明)


class CompanyNameParser:
    def __init__(self, dictionaries: CompanyDictionaries | None = None) -> None:
        self.d = dictionaries or default_dictionaries()

    # --- places ----------------------------------------------------------------------------
    def place_chains(self, text: str, start: int = 0, stop: int | None = None) -> list[_Place]:
        """Every end of a chain of divisions starting at ``start`` (each part inside the one
        before it), longest first."""
        if text[start : start + 2] not in self.d.place_starts:
            return []  # the common case: no place name begins here
        found: list[_Place] = []
        self._walk(text, start, len(text) if stop is None else stop, None, False, 0, found)
        found.sort(key=_end, reverse=True)  # stable: equal ends keep their order
        return found

    def _walk(
        self,
        text: str,
        pos: int,
        stop: int,
        units: frozenset[int] | None,
        short_first: bool,
        depth: int,
        found: list[_Place],
    ) -> None:
        """Add the chains that continue at ``pos`` after ``units`` (None: at the start),
        depth first, each division word before its continuations, then a zone or a town."""
        if depth == 5:
            return
        d = self.d
        for n in d.place_lengths.get(text[pos : pos + 2], ()):
            if pos + n > stop:
                continue
            word = text[pos : pos + n]
            ids = d.places.get(word)
            if not ids:
                continue
            if units is not None:
                ancestors = d.ancestors
                ids = frozenset(i for i in ids if not units.isdisjoint(ancestors[i]))
                if not ids:
                    continue
                first = short_first
            else:
                first = word in d.short_forms and d.has_children.isdisjoint(ids)
            found.append(_Place(pos + n, ids, first))
            self._walk(text, pos + n, stop, ids, first, depth + 1, found)
        if units is None:
            return
        if text[pos : pos + 1] in _ZONE_STARTS:
            for zone in ZONES:
                if text.startswith(zone, pos) and pos + len(zone) <= stop:
                    found.append(_Place(pos + len(zone), units, short_first))
                    break
        if not units <= d.has_children:
            m = _TOWN.match(text, pos, stop)
            if m:
                found.append(_Place(m.end(), units, short_first))

    def resolve_place(self, place: str) -> frozenset[int]:
        """The divisions a place text names (the last part of its chain); empty if none."""
        chains = [c for c in self.place_chains(place) if c.end == len(place)]
        return chains[0].units if chains else frozenset()

    # --- industry --------------------------------------------------------------------------
    def _industry_tails(self, head: str) -> list[bool]:
        """For every ``i``, whether ``head[i:]`` is made of industry words only (at
        ``len(head)``: nothing, which is)."""
        words, heads = self.d.industries, self.d.industry_heads
        n = len(head)
        ok = [False] * n + [True]
        for i in range(n - 2, -1, -1):
            for k in heads.get(head[i : i + 2], ()):
                if i + k <= n and ok[i + k] and head[i : i + k] in words:
                    ok[i] = True
                    break
        return ok

    def _cut(self, starts: list[int], least: int) -> int:
        """Where the industry starts: as early as it can while the trade name keeps ``least``
        characters (进出口贸易, not 进|出口贸易). ``starts`` run from the end to the front."""
        for i in reversed(starts):
            if i >= least:
                return i
        return starts[0]

    # --- the whole name --------------------------------------------------------------------
    def parse(self, name: object) -> CompanyName:
        text = clean_company_name(name)
        if not _HAN.search(text):
            return CompanyName(text)
        head, branch = self._split_branch(text)
        head, org_form = self._split_form(head)
        head, bracket_places, bracket_at = self._bracket_places(head)
        chains = self.place_chains(head)
        if org_form:
            head, trailing = self._trailing_place(head, chains)
            if trailing:
                bracket_places += trailing
                chains = self.place_chains(head)
        place, brand, industry = self._split_middle(head, bracket_at, chains)
        if bracket_places:
            place = place + "".join(p for p in bracket_places if p != place)
        return CompanyName(text, place, brand, industry, org_form, branch)

    def _split_branch(self, text: str) -> tuple[str, str]:
        if not text.endswith(BRANCH_FORMS):
            return text, ""
        for m in _HEAD_FORM.finditer(text):
            tail = text[m.end() :]
            if tail and tail.endswith(BRANCH_FORMS) and len(tail) <= 14 and "公司" not in tail[:-3]:
                return text[: m.end()], tail
        return text, ""

    def _split_form(self, head: str) -> tuple[str, str]:
        marker = ""
        while head.endswith("）"):
            i = head.rfind("（")
            if i <= 0 or head[i + 1 : -1] not in FORM_MARKERS:
                break
            marker = head[i:] + marker
            head = head[:i]
        for n in self.d.org_form_lengths.get(head[-1:], ()):  # the longest form that ends it
            if n <= len(head) and head[-n:] in self.d.org_form_set:
                return head[:-n], head[-n:] + marker
        return head, marker

    def _bracket_places(self, head: str) -> tuple[str, list[str], int]:
        """Remove bracketed places (华东（上海）电器); return the rest, the places, and where in
        the rest the first one stood (-1 if none)."""
        places: list[str] = []
        at = -1
        if "（" not in head:
            return head, places, at
        for m in reversed(list(_BRACKETED.finditer(head))):
            inner = m.group(1)
            if any(c.end == len(inner) for c in self.place_chains(inner)):
                places.insert(0, inner)
                head = head[: m.start()] + head[m.end() :]
                at = m.start()
        # Only a place inside the name holds the trade name before it (西门子（上海）电气);
        # one just before the form (华东电器（上海）有限公司) does not.
        return head, places, at if at < len(head) else -1

    def _trailing_place(self, head: str, chains: list[_Place]) -> tuple[str, list[str]]:
        """A province or city written without brackets before the form (…技术上海有限公司,
        泽信控股邯郸分公司). County short forms are left alone: too many are words.
        ``chains`` are the place chains at the start of ``head``."""
        if any(c.end == len(head) for c in chains):
            return head, []  # the name is a place and a form (上海有限公司)
        for k in range(MIN_BRAND, len(head) - 1):
            if head[k : k + 2] in self.d.place_starts and any(
                c.end == len(head) and not c.short_first for c in self.place_chains(head, k)
            ):
                return head[:k], [head[k:]]
        return head, []

    def _split_middle(
        self, head: str, bracket_at: int, chains: list[_Place]
    ) -> tuple[str, str, str]:
        """Place, brand and industry of what precedes the organisation form.

        The longest place chain that leaves a trade name wins. A chain is passed over when
        its end leaves only industry (上海浦东|电器 → 上海|浦东|电器) or squeezes the trade
        name below two characters (栖霞|山综合开发 → 栖霞山|综合开发). A name whose only
        place is a district or county short form (永安, 光明) may give it to the trade name.
        ``chains`` are the place chains at the start of ``head``.
        """
        ends = [c.end for c in chains]
        if not chains or all(c.short_first for c in chains):
            ends.append(0)
        splits: list[tuple[int, str, list[int], int]] = []
        tails = self._industry_tails(head)
        for end in ends:
            mid = head[end:]
            # Where the industry of mid may start, from its end (none) to its front (all).
            starts = [i - end for i in range(len(head), end - 1, -1) if tails[i]]
            # The brand keeps what stood before a bracketed place (西门子（上海）电气).
            least = max(MIN_BRAND, bracket_at - end)
            cut = self._cut(starts, least)
            splits.append((end, mid, starts, cut))
            if self.d.brands is not None:  # a known brand decides, most industry first
                for i in reversed(starts):
                    if i >= least and mid[:i] in self.d.brands:
                        return head[:end], mid[:i], mid[i:]
        # Only a county short form gives way to a squeezed trade name: 陕西省|外经贸 stays.
        yields = {c.end for c in chains if c.short_first} if 0 in ends else set()
        for end, mid, starts, cut in splits:
            squeezed = end in yields and 0 < self._cut(starts, 1) < MIN_BRAND
            if cut >= MIN_BRAND and starts[-1] != 0 and not squeezed:
                return head[:end], mid[:cut], mid[cut:]
        # No clean trade name anywhere: the longest place, and the rest is industry or brand.
        end, mid, starts, cut = splits[0]
        if starts[-1] == 0:
            return head[:end], "", mid
        return head[:end], mid[:cut], mid[cut:]


@cache
def default_parser() -> CompanyNameParser:
    return CompanyNameParser()


def parse_company(name: object) -> CompanyName:
    """Split an enterprise name into place, brand (字号), industry, organisation form and
    branch. Never raises: empty or non-Chinese input gives a result with empty parts."""
    return default_parser().parse(name)


def normalize_company_name(name: object, parser: CompanyNameParser | None = None) -> str:
    """The key two spellings of one enterprise share: trade name and industry, with place and
    organisation form dropped (上海华东电器有限公司, 华东电器（上海）有限公司 → 华东电器).
    A name without a trade name keeps its place (上海电器公司 → 上海电器); a branch keeps its
    tail (华东电器|浦东分公司)."""
    return _match_key((parser or default_parser()).parse(name))


def _match_key(c: CompanyName) -> str:
    key = (c.brand + c.industry if c.brand else c.place + c.industry) or c.name
    return f"{key}|{c.branch}" if c.branch else key


# --- mentions in free text ----------------------------------------------------------------
@dataclass(frozen=True)
class CompanyMention:
    """An enterprise name found in a text: ``text[start:end]`` and its parts."""

    start: int
    end: int
    text: str
    company: CompanyName


# Forms too general to mark an enterprise in running text (检测中心, 某某医院, 人民银行).
_NOT_ANCHORS = frozenset(
    {"中心", "服务中心", "市场", "商场", "学院", "医院", "研究院", "研究所", "设计院",
     "事务所", "银行", "分行", "支行", "办事处", "代表处", "服务站", "联合社"}
)  # fmt: skip
# Single characters that close an enterprise name when an industry word stands before them,
# unless the next character makes another word (厂家, 店铺).
_SINGLE_ANCHORS = {"厂": "家商区长房址内方里", "店": "铺家主员内长面里"}
# Words that end the text before a name: prepositions, verbs of reporting and regulating.
LEFT_STOPS = (
    "的", "了", "在", "由", "对", "向", "与", "和", "及", "或", "是", "为", "被", "将", "从",
    "据", "经", "称", "系", "即", "把", "给", "让", "跟", "同", "于", "自", "等", "其", "该",
    "以及", "其中", "包括", "涉及", "显示", "发现", "投诉", "举报", "反映", "生产", "销售",
    "经销", "代理", "委托", "标称", "制造", "供货", "进口", "出口", "召回", "通报", "公告",
    "抽查", "抽检", "检查", "检验", "检测", "约谈", "责令", "处罚", "查处", "立案", "要求",
    "购买", "购自", "来自", "属于", "旗下", "这家", "那家", "一家", "供应商", "制造商",
    "生产商", "经销商", "销售商", "进口商", "企业", "厂家", "厂商", "品牌", "商家", "店铺",
    "平台", "关于", "对于", "针对", "联合", "起诉", "表示", "介绍", "说", "问", "到", "去",
)  # fmt: skip
_MAX_BRAND_IN_TEXT = 6
# The characters of a name in running text: Chinese, ASCII letters and digits. A trade name
# is looked for in at most the last _MAX_RUN of them before the industry.
_NAME_RUN_TO_END = re.compile(r"[\u3400-\u9fff\uf900-\ufaff0-9A-Za-z]+\Z")
_MAX_RUN = 24
# Entries in each of a finder's caches: a few megabytes in all.
_CACHED = 4096
# Words before 公司 in running text that are no trade name.
_NOT_BRANDS = frozenset(
    {"我们", "你们", "他们", "她们", "咱们", "我司", "贵司", "本司", "其子", "该子", "其母",
     "这家", "那家", "哪家", "这个", "那个", "其他", "其它", "一家", "两家", "多家", "几家",
     "各家", "该家", "母子", "相关", "有关", "上述", "以上", "涉事", "涉案", "问题"}
)  # fmt: skip


def _copy_char(ch: str) -> str:
    """One character of the matching copy of a text: same length, so offsets carry over."""
    n = unicodedata.normalize("NFKC", ch)
    return (n if len(n) == 1 else ch).translate(_BRACKETS)


_text_char = cache(_copy_char)


# Blocks with the characters a text's matching copy changes, or keeps though NFKC would not:
# Latin-1 and Latin, punctuation to box drawing (…, ℃, Ⅱ, ①), CJK symbols and punctuation,
# compatibility ideographs, small forms, half- and full-width forms.
_COPY_BLOCKS = (
    (0x80, 0x250), (0x2000, 0x2500), (0x3000, 0x3400), (0xF900, 0xFB00), (0xFE00, 0xFE70),
    (0xFF00, 0xFFF0),
)  # fmt: skip


class _MatchingCopy:
    """``"".join(map(_text_char, text))``, fast: copying 300 characters one by one costs more
    than finding the names in them.

    Characters that change are swapped by ``str.replace``: first the few that most Chinese
    texts have, then, if need be, all those of the blocks above. If what is left (without the
    kept ones such as （ and …) is NFKC already, no other character can change: a character
    that NFKC changes on its own never stands in NFKC text (its quick check is No). Any other
    text, say with a combining accent, is copied one by one.
    """

    # Swapped in most texts: full-width punctuation, brackets, the ideographic space.
    COMMON = "，：；！？()〔〕\u3000"
    # Kept in many: NFKC changes them, but not the copy.
    COMMON_KEPT = "（）…"

    def __init__(self) -> None:
        self.swaps = {ch: _copy_char(ch) for ch in "()"}
        kept = []
        for lo, hi in _COPY_BLOCKS:
            for ch in map(chr, range(lo, hi)):
                to = _copy_char(ch)
                if to != ch:
                    self.swaps[ch] = to
                elif unicodedata.normalize("NFKC", ch) != ch:
                    kept.append(ch)
        # Swapping one character never makes another to swap, so the order does not matter.
        assert not self.swaps.keys() & set(self.swaps.values())
        self.to_swap = re.compile(f"[{''.join(map(re.escape, sorted(self.swaps)))}]")
        self.kept = re.compile(f"[{''.join(map(re.escape, kept))}]")
        self.common = tuple((ch, self.swaps[ch]) for ch in self.COMMON)
        assert set(self.COMMON_KEPT) <= set(kept)

    def __call__(self, text: str) -> str:
        copy = text
        for ch, to in self.common:
            if ch in copy:
                copy = copy.replace(ch, to)
        left = copy
        for ch in self.COMMON_KEPT:
            if ch in left:
                left = left.replace(ch, "")
        if unicodedata.is_normalized("NFKC", left):
            return copy
        for ch in set(self.to_swap.findall(copy)):
            copy = copy.replace(ch, self.swaps[ch])
        if unicodedata.is_normalized("NFKC", self.kept.sub("", copy)):
            return copy
        return "".join(map(_text_char, text))


@cache
def _matching_copy() -> _MatchingCopy:
    return _MatchingCopy()


class CompanyMentionFinder:
    """Finds enterprise names in running text by their organisation form, walking back over
    industry words, the trade name and the place."""

    def __init__(self, parser: CompanyNameParser | None = None) -> None:
        import ahocorasick

        self.parser = parser or default_parser()
        self._automaton = ahocorasick.Automaton()
        forms = [f for f in self.parser.d.org_forms if len(f) >= 2 and f not in _NOT_ANCHORS]
        for f in [*forms, *_SINGLE_ANCHORS]:
            self._automaton.add_word(f, f)
        self._automaton.make_automaton()
        self._stops = frozenset(LEFT_STOPS)
        self._max_stop = max(map(len, LEFT_STOPS))
        self._stop_ends = _lengths_by(self._stops, _last)
        tails = "|".join(BRANCH_FORMS)
        self._branch = re.compile(rf"(（[^（）]{{2,8}}）|[\u4e00-\u9fff]{{0,8}}?)(?:{tails})")
        self._branch_hint = re.compile(f"[{''.join(sorted({t[0] for t in BRANCH_FORMS}))}]")
        self._copy = _matching_copy()
        # Screening meets the same enterprises, places and sentences again and again (reposts,
        # follow-ups), and parsing a name costs more than finding it: the steps below are pure
        # functions of their arguments, so their results are kept. CompanyName and frozenset
        # are immutable, so one result can go to every caller. (jieba's global dictionary,
        # which segmentation uses, is never changed in pqrisk: segment.py has its own.)
        self._parse = lru_cache(maxsize=_CACHED)(self.parser.parse)
        self._place_units = lru_cache(maxsize=_CACHED)(self.parser.resolve_place)
        self._run_start = lru_cache(maxsize=_CACHED)(self._start_of_run)
        self._segmented_brand = lru_cache(maxsize=_CACHED)(self._jieba_brand)

    def find(self, text: object) -> list[CompanyMention]:
        if not isinstance(text, str) or not text:
            return []
        norm = self._copy(text)
        # The longest form ending at each position (有限公司 rather than 公司).
        longest: dict[int, str] = {}
        for last, form in self._automaton.iter(norm):
            if len(form) > len(longest.get(last + 1, "")):
                longest[last + 1] = form
        anchors = sorted(((b - len(f), -b, f) for b, f in longest.items()))
        mentions: list[CompanyMention] = []
        covered = seen = 0
        for a, neg_b, form in anchors:
            b = -neg_b
            if a < covered or b <= seen:
                continue  # inside a found name, or inside a longer form (集团 of 集团有限公司)
            seen = b
            m = self._mention_at(text, norm, a, b, form)
            if m is not None:
                mentions.append(m)
                covered = m.end
        return mentions

    def _after_stop(self, norm: str, k: int) -> bool:
        """Whether a stop word ends at ``k``."""
        for n in self._stop_ends.get(norm[k - 1 : k], ()):
            if n <= k and norm[k - n : k] in self._stops:
                return True
        return False

    def _mention_at(self, text: str, norm: str, a: int, b: int, form: str) -> CompanyMention | None:
        if len(form) == 1 and b < len(norm) and norm[b] in _SINGLE_ANCHORS[form]:
            return None
        d = self.parser.d
        p0 = p = self._skip_bracket_place(norm, a)
        while True:  # industry words, with no limit on the left: the text runs on
            for n in d.industry_lengths.get(norm[p - 1 : p], ()):
                if n <= p and norm[p - n : p] in d.industries:
                    p = self._skip_bracket_place(norm, p - n)
                    break
            else:
                break
        if len(form) == 1 and p == p0:
            return None  # 厂 and 店 close a name only after an industry word
        run = _NAME_RUN_TO_END.search(norm, max(0, p - _MAX_RUN), p)
        q = run.start() if run else p
        if p - q < MIN_BRAND:
            return None
        # The start depends on the run and the stop word before it alone, and the same run
        # comes back (reposts, a name named again): each is worked out once.
        q0 = max(0, q - self._max_stop)
        start = q0 + self._run_start(norm[q0:p], q - q0)
        end = self._extend(norm, b, form)
        company = self._parse(norm[start:end])
        if not (company.brand or (company.place and company.industry)):
            return None
        if company.brand in _NOT_BRANDS and not company.place:
            return None  # 我们公司, 其子公司
        return CompanyMention(start, end, text[start:end], company)

    def _skip_bracket_place(self, norm: str, p: int) -> int:
        """Before a bracketed place (…（上海）有限公司), or ``p`` itself."""
        if p and norm[p - 1] == "）":
            i = norm.rfind("（", max(0, p - 14), p)
            inner = norm[i + 1 : p - 1] if i >= 0 else ""
            if inner == "集团" or (inner and self._place_units(inner)):
                return i
        return p

    def _start_of_run(self, window: str, q: int) -> int:
        """``_start`` of a trade name that ends with ``window``, whose run begins at ``q``."""
        return self._start(window, q, len(window))

    def _start(self, norm: str, q: int, p: int) -> int:
        """Where a name whose trade name ends at ``p`` starts: at a place chain before the
        trade name, or at a boundary (the start of the run of name characters at ``q``, or
        after a stop word); the shortest trade name with such a start wins. A place chain
        not at a boundary (上海|东方明珠, where 东方 is a place too) is kept only as a
        fallback; with nothing at all, word segmentation decides."""
        parser = self.parser
        fallback = None
        reach = parser.d.max_place * 3
        longest = min(_MAX_BRAND_IN_TEXT, p - q)
        # Where a place name may begin: few positions, so the loop below looks at only these.
        begins = [
            k
            for k in range(max(q, p - longest - reach), p - MIN_BRAND - 1)
            if norm[k : k + 2] in parser.d.place_starts
        ]
        for length in range(MIN_BRAND, longest + 1):
            j = p - length
            lowest = max(q, j - reach)
            for k in begins:
                if k >= j - 1:
                    break
                if k < lowest:
                    continue
                if self._place_units(norm[k:j]):  # a chain from k ends at j
                    if k == q or self._after_stop(norm, k):
                        return k
                    fallback = k if fallback is None else fallback
                    break
            if j == q or self._after_stop(norm, j):
                return j
        if fallback is not None:
            return fallback
        # A place at the start of the run with a longer middle (上海电器设备检测所有限公司).
        if any(p - c.end >= MIN_BRAND for c in parser.place_chains(norm, q, p)):
            return q
        return p - self._segmented_brand(norm[q:p])

    @staticmethod
    def _jieba_brand(run: str) -> int:
        """Length of the trade name at the end of ``run`` by word segmentation: the last word,
        with the one before it if the last is a single character."""
        words = [w for w in _jieba().cut(run) if w]
        n = len(words[-1])
        if n < MIN_BRAND and len(words) > 1:
            n += len(words[-2])
        return min(max(n, MIN_BRAND), len(run), _MAX_BRAND_IN_TEXT)

    def _extend(self, norm: str, b: int, form: str) -> int:
        """Include a closing （个体工商户） and a branch tail (浦东分公司, （北京）分公司)."""
        if norm.startswith("（", b):
            for tag in _MARKER_TAGS:
                if norm.startswith(tag, b):
                    b += len(tag)
        # A branch tail begins with one of its first characters within 11 characters.
        if form.endswith(_HEAD_FORMS) and self._branch_hint.search(norm, b, b + 11):
            m = self._branch.match(norm, b)
            if m:
                head = m.group(1).strip("（）")
                if not head or head.startswith("第") or self._place_units(head):
                    return m.end()
        return b


@cache
def _jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@cache
def default_finder() -> CompanyMentionFinder:
    return CompanyMentionFinder()


def find_company_mentions(text: object) -> list[CompanyMention]:
    """Enterprise names in ``text`` with their spans, e.g. in 上海华东电器有限公司生产的电热水壶
    the span of 上海华东电器有限公司. Names are found by their organisation form, so a trade
    name alone (华东牌电热水壶) is not a mention."""
    return default_finder().find(text)


# --- matching to registered enterprises ---------------------------------------------------
class MatchMethod(StrEnum):
    USCC = "uscc"
    EXACT = "exact"  # the same name after cleaning
    NORMALIZED = "normalized"  # the same trade name and industry
    BRAND = "brand"  # the same trade name, compatible industry and place
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class CompanyMatch:
    method: MatchMethod
    enterprise_id: object | None = None
    candidates: tuple[object, ...] = ()

    @property
    def matched(self) -> bool:
        return self.enterprise_id is not None


@dataclass
class _Row:
    id: object
    company: CompanyName
    place_units: frozenset[int] = field(default_factory=frozenset)


class CompanyMatcher:
    """Finds the registered enterprise a mention names. Built from (id, name, uscc) rows.

    Order: USCC; the cleaned name; the normalised name (trade name + industry); the trade
    name with a compatible industry (电器 / 电器科技, or none given). A candidate registered
    in a place that cannot be the mention's (江苏 for 上海…) is never taken; if more than
    one candidate remains, the answer is AMBIGUOUS with the candidates, never a guess.
    """

    def __init__(
        self,
        rows: Iterable[tuple[object, str, str | None]],
        parser: CompanyNameParser | None = None,
    ) -> None:
        self.parser = parser or default_parser()
        self.by_uscc: dict[str, object] = {}
        self.by_name: dict[str, list[_Row]] = {}
        self.by_key: dict[str, list[_Row]] = {}
        self.by_brand: dict[str, list[_Row]] = {}
        for ident, name, uscc in rows:
            if uscc:
                self.by_uscc[normalize_uscc(uscc)] = ident
            row = self._row(ident, name)
            if not row.company.name:
                continue
            self.by_name.setdefault(row.company.name, []).append(row)
            self.by_key.setdefault(_match_key(row.company), []).append(row)
            if row.company.brand:
                self.by_brand.setdefault(row.company.brand, []).append(row)

    def _row(self, ident: object, name: str) -> _Row:
        company = self.parser.parse(name)
        units = self.parser.resolve_place(company.place) if company.place else frozenset()
        return _Row(ident, company, units)

    def match(self, name: str, uscc: str | None = None) -> CompanyMatch:
        if uscc:
            found = self.by_uscc.get(normalize_uscc(uscc))
            if found is not None:
                return CompanyMatch(MatchMethod.USCC, found, (found,))
        mention = self._row(None, name)
        c = mention.company
        if not c.name:
            return CompanyMatch(MatchMethod.NONE)
        steps: list[tuple[MatchMethod, list[_Row]]] = [
            (MatchMethod.EXACT, self.by_name.get(c.name, [])),
            (MatchMethod.NORMALIZED, self.by_key.get(_match_key(c), [])),
        ]
        if c.brand:
            similar = [
                r
                for r in self.by_brand.get(c.brand, [])
                if r.company.branch == c.branch
                and _industry_compatible(c.industry, r.company.industry)
            ]
            steps.append((MatchMethod.BRAND, similar))
        for method, rows in steps:
            rows = [r for r in rows if self._same_place_possible(mention, r)]
            ids = tuple(dict.fromkeys(r.id for r in rows))
            if len(ids) == 1:
                return CompanyMatch(method, ids[0], ids)
            if ids:
                return CompanyMatch(MatchMethod.AMBIGUOUS, None, ids)
        return CompanyMatch(MatchMethod.NONE)

    def _same_place_possible(self, a: _Row, b: _Row) -> bool:
        if not a.place_units or not b.place_units:
            return True
        return self.parser.d.compatible(a.place_units, b.place_units)


def _industry_compatible(a: str, b: str) -> bool:
    """An industry left out, or one the start of the other (电器 / 电器科技)."""
    return not a or not b or a.startswith(b) or b.startswith(a)
