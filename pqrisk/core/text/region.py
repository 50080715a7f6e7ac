"""Regions named in a text: province, city, district, resolved to the most specific place.

The gazetteer ``data/regions.tsv`` (built by ``scripts/build_regions.py`` from the
companynameparser place list, Apache-2.0, with Shanghai's district codes from our taxonomy)
lists each province, city and district with the names that stand for it: full names
(浙江省, 杭州市, 闵行区), short names of provinces and cities (浙江, 杭州), Shanghai's short
district names (闵行, 浦东) and a few manufacturing towns (义乌, 永康).

Matching is leftmost-longest over all names at once (one Aho–Corasick pass, see
``pqrisk.core.text.lexicon``). A name is not a
place when it is part of a longer non-place word listed as a *blocker* (黄浦江, 大理石,
宁德时代) or when a road follows it (南京东路, 延安中路, 四川北路: Shanghai names its roads
after provinces and cities). A name several places share (普陀区 in Shanghai and Zhoushan,
朝阳区, 鼓楼区) is resolved by the other places the text names (舟山 → Zhoushan's 普陀区),
then by the home province (Shanghai), then to the higher level (吉林 → the province);
otherwise it stays unresolved, with its candidates, and is not guessed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import NamedTuple

from pqrisk.core.text.lexicon import Lexicon, leftmost_longest

DATA_PACKAGE = "pqrisk.core.text"
DATA_FILE = "regions.tsv"
HOME_PROVINCE = "上海市"
PROVINCE, CITY, DISTRICT = "province", "city", "district"
_LEVEL_RANK = {PROVINCE: 1, CITY: 2, DISTRICT: 3}
# A road, street or lane right after a place name: the name is part of an address, not a
# place (南京东路, 西藏中路, 延安西路, 瑞金二路, 江苏路). Our rule.
_ROAD_AFTER = re.compile(r"[东西南北中]?[一二三四五六七八九十]?(?:路|大道|大街|街(?!道)|巷|弄)")


@dataclass(frozen=True)
class Region:
    """A province, city or district. ``city`` of a municipality's district is the
    municipality (上海市); ``code`` is the GB/T 2260 code where our taxonomy has one
    (Shanghai's districts), else empty."""

    level: str
    province: str
    city: str = ""
    district: str = ""
    code: str = ""
    lat: float | None = None
    lng: float | None = None

    @property
    def name(self) -> str:
        return self.district or self.city or self.province

    @cached_property
    def path(self) -> str:
        """Names from province down, without repeats: 浙江省/杭州市, 上海市/闵行区."""
        return "/".join(dict.fromkeys(p for p in (self.province, self.city, self.district) if p))

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self.level]

    def within(self, other: Region) -> bool:
        """True when this region is ``other`` or lies inside it."""
        if other.province != self.province:
            return False
        if other.level == PROVINCE:
            return True
        if other.city != self.city:
            return False
        return other.level == CITY or other.district == self.district


class RegionMention(NamedTuple):
    """A place name at ``start:end``; ``region`` is None when the name stays ambiguous."""

    start: int
    end: int
    text: str
    region: Region | None
    candidates: tuple[Region, ...]


@dataclass(frozen=True)
class RegionResult:
    region: Region | None  # the most specific place named, or None
    mentions: tuple[RegionMention, ...]

    @property
    def resolved(self) -> tuple[RegionMention, ...]:
        return tuple(m for m in self.mentions if m.region is not None)

    @property
    def ambiguous(self) -> tuple[RegionMention, ...]:
        return tuple(m for m in self.mentions if m.region is None)


def _float(value: str) -> float | None:
    return float(value) if value else None


def load_gazetteer() -> tuple[list[tuple[Region, tuple[str, ...]]], list[str]]:
    """(region, aliases) rows and blocker words from the packaged ``regions.tsv``."""
    path = resources.files(DATA_PACKAGE).joinpath("data", DATA_FILE)
    regions: list[tuple[Region, tuple[str, ...]]] = []
    blockers: list[str] = []
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t"):
            aliases = tuple(a for a in row["aliases"].split("|") if a)
            if row["level"] == "blocker":
                blockers.extend(aliases)
                continue
            region = Region(
                level=row["level"],
                province=row["province"],
                city=row["city"],
                district=row["district"],
                code=row["code"],
                lat=_float(row["lat"]),
                lng=_float(row["lng"]),
            )
            regions.append((region, aliases))
    return regions, blockers


class RegionFinder:
    """Finds and resolves place names; build once, use for many texts."""

    def __init__(
        self,
        regions: Iterable[tuple[Region, Iterable[str]]],
        blockers: Iterable[str] = (),
        *,
        home_province: str = HOME_PROVINCE,
    ) -> None:
        self.home_province = home_province
        # Payload: the tuple of regions an alias may name (one payload per alias, so a match
        # needs no regrouping), or () for a blocker word.
        names: dict[str, list[Region]] = {}
        for region, aliases in regions:
            for alias in aliases:
                bucket = names.setdefault(alias, [])
                if region not in bucket:
                    bucket.append(region)
        self.lexicon: Lexicon[tuple[Region, ...]] = Lexicon(
            (alias, tuple(bucket)) for alias, bucket in names.items()
        )
        for blocker in blockers:
            if blocker not in self.lexicon:
                self.lexicon.add(blocker, ())

    @classmethod
    def default(cls) -> RegionFinder:
        """The finder over the packaged gazetteer, Shanghai as home (cached)."""
        return _default_finder()

    def find(self, text: str) -> RegionResult:
        """Every place name in ``text`` (resolved where it can be) and the most specific."""
        return self.from_matches(text, self.lexicon.iter(text))

    def from_matches(
        self, text: str, matches: Iterable[tuple[int, int, tuple[tuple[Region, ...], ...]]]
    ) -> RegionResult:
        """Resolve lexicon ``matches`` over ``text`` (a pass shared with other lexicons)."""
        raw: list[tuple[int, int, tuple[Region, ...]]] = []
        for start, end, (candidates,) in leftmost_longest(matches):
            if not candidates:
                continue  # a blocker: 黄浦江 hides 黄浦
            if _ROAD_AFTER.match(text, end):
                continue
            raw.append((start, end, candidates))
        if not raw:
            return RegionResult(None, ())
        mentions = []
        context: tuple[set[str], set[tuple[str, str]]] | None = None
        for start, end, candidates in raw:
            region = candidates[0] if len(candidates) == 1 else None
            if region is None:
                if context is None:
                    context = _context(raw)
                region = self._choose(candidates, *context)
            mentions.append(RegionMention(start, end, text[start:end], region, candidates))
        return RegionResult(_most_specific(mentions), tuple(mentions))

    def _choose(
        self,
        candidates: tuple[Region, ...],
        provinces: set[str],
        cities: set[tuple[str, str]],
    ) -> Region | None:
        for keep in (
            lambda r: (r.province, r.city) in cities,
            lambda r: r.province in provinces,
            lambda r: r.province == self.home_province,
        ):
            chosen = [r for r in candidates if keep(r)]
            if len(chosen) == 1:
                return chosen[0]
            if len(chosen) > 1:
                candidates = tuple(chosen)
        top = min(r.rank for r in candidates)
        highest = [r for r in candidates if r.rank == top]
        if len(highest) == 1 and len({r.rank for r in candidates}) > 1:
            return highest[0]  # 吉林: the province rather than the city
        return None


def _context(
    raw: list[tuple[int, int, tuple[Region, ...]]],
) -> tuple[set[str], set[tuple[str, str]]]:
    """Provinces and cities the text names without doubt: context for the other names."""
    provinces = {c[0].province for _, _, c in raw if len({r.province for r in c}) == 1}
    cities = {
        (c[0].province, c[0].city)
        for _, _, c in raw
        if c[0].city and len({(r.province, r.city) for r in c}) == 1
    }
    return provinces, cities


def _most_specific(mentions: list[RegionMention]) -> Region | None:
    """The deepest region named; ties by number of mentions, then first mention. (Regions
    of one finder are shared objects, so identity keys the counts cheaply.)"""
    count: dict[int, int] = {}
    first: dict[int, tuple[int, Region]] = {}
    for m in mentions:
        if m.region is not None:
            key = id(m.region)
            count[key] = count.get(key, 0) + 1
            first.setdefault(key, (m.start, m.region))
    if not count:
        return None
    best = min(count, key=lambda k: (-first[k][1].rank, -count[k], first[k][0]))
    return first[best][1]


@cache
def _default_finder() -> RegionFinder:
    regions, blockers = load_gazetteer()
    return RegionFinder(regions, blockers)


def find_regions(text: str) -> RegionResult:
    """Regions in ``text`` with the packaged gazetteer (see ``RegionFinder``)."""
    return _default_finder().find(text)
