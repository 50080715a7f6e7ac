"""Seeded demo data for Shanghai: enterprises, seven record feeds and injected risk events.

``generate()`` is deterministic: one ``random.Random(seed)`` drives everything, so the same
arguments give byte-identical files from ``DemoDataset.write``. Product and hazard codes come
from the taxonomy loader at run time; the scenario table only names products in Chinese.

Background records follow per-product seasonal rates; a handful of risk events add records
for one product × hazard (× district) for a few weeks. Injected records use the same
templates as the background and are listed only in ``ground_truth.json``.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from pqrisk.core.uscc import ALPHABET, complete_uscc
from pqrisk.demo import texts
from pqrisk.demo.scenarios import HAZARD_INJURY, SCENARIOS, Scenario
from pqrisk.demo.words import (
    AUTHORITIES,
    BRAND_WORDS,
    DENY_NAMES,
    DISTRICT_ABBR,
    DISTRICT_NAMES,
    DISTRICT_PLACES,
    DISTRICT_POPULATION,
    DISTRICT_WEIGHTS,
    GIVEN_CHARS,
    HOSPITALS,
    LABS,
    MEDIA_SITES,
    NAME_HEAD,
    NAME_TAIL,
    NETIZEN_NAMES,
    NEWS_AUTHORS,
    PRODUCER_SHARE,
    SURNAMES,
)

SOURCES = ("licensing", "spot_check", "penalty", "complaint", "injury", "recall", "media")
# Yearly volumes at scale 1 (media: originals; reposts add about 15 % of all media items).
YEARLY = {
    "spot_check": 4000,
    "complaint": 6000,
    "injury": 2500,
    "recall": 60,
    "licensing": 400,
    "penalty": 300,
    "media": 2550,
}
ID_PREFIX = {
    "licensing": "XK",
    "spot_check": "CC",
    "penalty": "CF",
    "complaint": "TS",
    "injury": "SH",
    "recall": "ZH",
    "media": "MT",
}
REPOST_SHARE = 0.15
# Brings the scenario fail rates to the city's overall 8–12 % (risk-targeted sampling).
FAIL_SCALE = 0.78
# Production-licence product units (全国工业产品生产许可证 XK numbers) by catalogue family.
LICENCE_UNITS = {"02": "06", "07": "08", "09": "13", "13": "16"}
_WEIBO_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz0123456789"
SHOP_TYPES: dict[str, tuple[str, ...]] = {
    "01": ("电器商行", "家电维修部", "电器经营部"),
    "02": ("五金店", "电料商行"),
    "03": ("电动车商行", "电动车维修部"),
    "04": ("玩具店", "母婴用品店", "童装店"),
    "05": ("童装店", "服装店"),
    "06": ("燃气具经营部", "五金店"),
    "07": ("建材商行", "五金店"),
    "08": ("文具店",),
    "09": ("日用品商店",),
    "10": ("劳保用品店",),
    "11": ("灯具店",),
    "12": ("家具店",),
    "13": ("日用品商店",),
    "14": ("数码产品经营部",),
    "15": ("五金店",),
    "16": ("消防器材经营部",),
    "17": ("汽车用品店",),
    "18": ("体育用品店",),
    "19": ("鞋店", "箱包店"),
    "20": ("五金店", "电料商行", "数码产品经营部"),
}
TZ = "+08:00"
# Spring Festival (农历正月初一), for toy-season and inspection-holiday shapes.
SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
}


# --------------------------------------------------------------------------- taxonomy


@dataclass(frozen=True)
class Leaf:
    code: str
    name: str
    licensed: bool = False  # needs an industrial-product production licence


@dataclass(frozen=True)
class Taxonomy:
    """What the generator needs from the catalogue: leaves by family and hazard codes."""

    leaves: tuple[Leaf, ...]
    hazards: frozenset[str]

    def family_leaves(self, family: str) -> list[Leaf]:
        return [leaf for leaf in self.leaves if leaf.code[:2] == family]


def load_taxonomy() -> Taxonomy:
    """Read the product catalogue and hazards through ``pqrisk.taxonomy.loader``."""
    from pqrisk.taxonomy import loader

    leaves = tuple(Leaf(p.code, p.name, p.licensed) for p in loader.load_products() if p.is_leaf)
    hazards = frozenset(h.code for h in loader.load_hazards())
    return Taxonomy(leaves, hazards)


def resolve_scenarios(taxonomy: Taxonomy) -> dict[str, Leaf]:
    """Map scenario key -> catalogue leaf; raise LookupError naming every missing product."""
    by_name: dict[str, Leaf] = {}
    for leaf in taxonomy.leaves:
        by_name.setdefault(leaf.name, leaf)
    resolved: dict[str, Leaf] = {}
    missing: list[str] = []
    bad_hazards: set[str] = set()
    for scen in SCENARIOS:
        found = next((by_name[n] for n in scen.names if n in by_name), None)
        if found is None:
            missing.append(f"{scen.key} ({' / '.join(scen.names)})")
        else:
            resolved[scen.key] = found
        bad_hazards.update(h for h, _ in scen.hazards if h not in taxonomy.hazards)
        bad_hazards.update(
            i.hazard for i in scen.items if i.hazard and i.hazard not in taxonomy.hazards
        )
    problems = []
    if missing:
        problems.append("products not in the catalogue: " + "; ".join(missing))
    if bad_hazards:
        problems.append("hazard codes not in hazards.csv: " + ", ".join(sorted(bad_hazards)))
    if problems:
        raise LookupError("demo scenarios do not match the taxonomy — " + " | ".join(problems))
    return resolved


# --------------------------------------------------------------------------- seasons


def _bump(day: date, centre: date, width: float) -> float:
    """Gaussian bump around ``centre`` (nearest year), width in days."""
    best = min(
        abs((day - centre.replace(year=y)).days) for y in (day.year - 1, day.year, day.year + 1)
    )
    return math.exp(-0.5 * (best / width) ** 2)


def _cyc(day: date, peak_doy: int) -> float:
    return math.cos(2 * math.pi * (day.timetuple().tm_yday - peak_doy) / 365.25)


def season_factor(profile: str, day: date) -> float:
    if profile == "winter":
        return 0.15 + 2.0 * max(0.0, _cyc(day, 15)) ** 2
    if profile == "winter_mild":
        return 0.75 + 0.35 * _cyc(day, 15)
    if profile == "summer":
        return 0.15 + 2.0 * max(0.0, _cyc(day, 205)) ** 2
    if profile == "summer_mild":
        return 0.85 + 0.3 * _cyc(day, 200)
    if profile == "ebike":
        return 0.85 + 0.4 * _cyc(day, 205)
    if profile == "school":
        return 0.6 + 2.2 * _bump(day, date(2000, 9, 1), 12) + 1.0 * _bump(day, date(2000, 2, 28), 9)
    if profile == "toy":
        sf = SPRING_FESTIVAL.get(day.year, date(day.year, 2, 1))
        sf_b = max(
            math.exp(-0.5 * (((day - d).days + 10) / 9) ** 2)
            for d in (sf, SPRING_FESTIVAL.get(day.year + 1, sf))
        )
        return (
            0.7
            + 1.6 * _bump(day, date(2000, 6, 1), 9)
            + 1.0 * sf_b
            + 0.5 * _bump(day, date(2000, 11, 11), 5)
        )
    if profile == "autumn":
        return 0.7 + 0.8 * _bump(day, date(2000, 10, 10), 25)
    if profile == "decoration":
        return (
            0.7 + 0.5 * _bump(day, date(2000, 4, 15), 30) + 0.5 * _bump(day, date(2000, 10, 15), 30)
        )
    if profile == "flat_online":
        return (
            1.0 + 0.9 * _bump(day, date(2000, 6, 18), 6) + 1.1 * _bump(day, date(2000, 11, 11), 5)
        )
    return 1.0


def _holiday(day: date) -> bool:
    sf = SPRING_FESTIVAL.get(day.year)
    if sf and -2 <= (day - sf).days <= 6:
        return True
    return (
        (day.month == 10 and day.day <= 7)
        or (day.month == 5 and day.day <= 5)
        or (day.month == 1 and day.day == 1)
    )


def weekday_factor(source: str, day: date) -> float:
    wd = day.weekday()
    if source in ("spot_check", "licensing", "penalty", "recall"):
        if _holiday(day):
            return 0.0
        return 1.0 if wd < 5 else 0.03
    if source == "complaint":
        return (1.25, 1.05, 1.0, 1.0, 0.95, 0.85, 0.8)[wd]
    if source == "injury":
        return 1.2 if wd >= 5 else 0.95
    return 1.0


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventSpec:
    key: str
    scenario: str
    hazard: str
    district: str | None
    month: int
    day: int
    days: int
    volumes: dict[str, int]
    culprit_kind: str  # "生产企业" or "电商平台经营者"
    story: str  # description; {brand} {model} {ent} {product} are filled in


EVENT_SPECS: tuple[EventSpec, ...] = (
    EventSpec(
        "ebike-battery-jiading",
        "ebike_battery",
        "fire",
        "310114",
        6,
        8,
        42,
        {"complaint": 45, "injury": 14, "media": 28, "spot_check": 3, "recall": 1, "penalty": 1},
        "生产企业",
        "嘉定区{ent}生产的一批{brand}牌{product}（型号{model}）电芯一致性差、BMS保护失效，"
        "6月起在充电过程中多次冒烟起火，集中在嘉定区；市抽检测过充电、针刺项目不合格，企业随后召回。",
    ),
    EventSpec(
        "toy-small-parts-pudong",
        "toy_plastic",
        "choking",
        "310115",
        5,
        20,
        35,
        {"complaint": 30, "injury": 18, "media": 14, "spot_check": 2},
        "生产企业",
        "浦东新区{ent}生产的{brand}牌{product}（型号{model}）零部件拉力试验后脱落形成小零件，"
        "“六一”前后浦东多名幼儿误吞或险些误吞。",
    ),
    EventSpec(
        "hoodie-drawstring-citywide",
        "kids_clothing",
        "strangulation",
        None,
        9,
        14,
        35,
        {"complaint": 25, "injury": 8, "media": 15, "spot_check": 3, "recall": 1},
        "生产企业",
        "{ent}生产的{brand}牌儿童卫衣（款号{model}）帽部设置可抽出绳带，开学后全市多起儿童被绳带勒颈事件。",
    ),
    EventSpec(
        "gas-hose-putuo",
        "gas_hose",
        "explosion",
        "310107",
        1,
        6,
        28,
        {"complaint": 25, "injury": 6, "media": 10, "spot_check": 2},
        "生产企业",
        "普陀区老旧小区集中使用的{brand}牌{product}（型号{model}，{ent}供货）耐燃气性能不合格、"
        "冬季老化开裂，引发燃气泄漏聚集性投诉。",
    ),
    EventSpec(
        "power-bank-ecommerce",
        "power_bank",
        "fire",
        None,
        5,
        28,
        35,
        {"complaint": 50, "injury": 10, "media": 30, "spot_check": 2, "recall": 1},
        "电商平台经营者",
        "{ent}在网络平台销售的{brand}牌{product}（型号{model}）虚标容量、电芯劣质，"
        "“618”促销后全市多起充电宝发热起火。",
    ),
    EventSpec(
        "hair-dryer-songjiang",
        "hair_dryer",
        "electric_shock",
        "310117",
        3,
        2,
        28,
        {"complaint": 20, "injury": 8, "media": 8, "spot_check": 1},
        "生产企业",
        "松江区{ent}生产的{brand}牌{product}（型号{model}）对带电部件防护不足、泄漏电流超标，使用者触电。",
    ),
    EventSpec(
        "heater-minhang",
        "heater",
        "fire",
        "310112",
        12,
        15,
        35,
        {"complaint": 25, "injury": 10, "media": 10, "spot_check": 2},
        "生产企业",
        "闵行区{ent}生产的{brand}牌{product}（型号{model}）倾倒开关失效，寒潮期间多起倾倒引燃织物的火情。",
    ),
    EventSpec(
        "socket-fengxian",
        "socket",
        "fire",
        "310120",
        10,
        20,
        28,
        {"complaint": 20, "injury": 6, "media": 8, "spot_check": 3, "penalty": 2},
        "生产企业",
        "奉贤区{ent}生产的{brand}牌{product}（型号{model}）插套保持力不足、温升超标，多起插座熔化起火。",
    ),
    EventSpec(
        "stationery-chemical-citywide",
        "stationery",
        "chemical",
        None,
        9,
        1,
        21,
        {"complaint": 20, "injury": 5, "media": 15, "spot_check": 2},
        "生产企业",
        "{ent}生产的{brand}牌{product}（型号{model}）邻苯二甲酸酯和可迁移元素超标，开学季全市多名学生"
        "使用后出现皮肤过敏、头晕。",
    ),
)


def _event_start(spec: EventSpec, start: date, days: int) -> date | None:
    """First occurrence of the event's month/day in the window with at least 14 days left."""
    end = start + timedelta(days=days)
    for year in (start.year, start.year + 1, start.year + 2):
        d = date(year, spec.month, spec.day)
        if start <= d and d + timedelta(days=14) <= end:
            return d
    return None


# --------------------------------------------------------------------------- dataset


@dataclass
class DemoDataset:
    enterprises: list[dict[str, Any]]
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def by_source(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {s: [] for s in SOURCES}
        for rec in self.records:
            out[rec["source"]].append(rec)
        return out

    def write(self, directory: Path) -> dict[str, Path]:
        """Write enterprises.jsonl, <source>.jsonl per source and ground_truth.json."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}

        def jsonl(name: str, rows: list[dict[str, Any]]) -> Path:
            path = directory / f"{name}.jsonl"
            with path.open("w", encoding="utf-8", newline="\n") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    fh.write("\n")
            return path

        paths["enterprises"] = jsonl("enterprises", self.enterprises)
        for source, rows in self.by_source().items():
            paths[source] = jsonl(source, rows)
        truth = {"meta": self.meta, "events": self.events, "duplicates": self.duplicates}
        gt = directory / "ground_truth.json"
        gt.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths["ground_truth"] = gt
        return paths


@dataclass
class _Ent:
    row: dict[str, Any]
    brands: list[str]
    scen_keys: list[str]


class _Builder:
    def __init__(
        self, rng: random.Random, taxonomy: Taxonomy, start: date, days: int, scale: float
    ) -> None:
        self.rng = rng
        self.tax = taxonomy
        self.start = start
        self.days = days
        self.end = start + timedelta(days=days)  # exclusive
        self.scale = scale
        self.leaf = resolve_scenarios(taxonomy)
        self.scen = {s.key: s for s in SCENARIOS}
        self.leaf_by_code = {leaf.code: leaf for leaf in taxonomy.leaves}
        self.ents: list[_Ent] = []
        self.producers: dict[str, list[_Ent]] = defaultdict(list)
        self.sellers: dict[str, list[_Ent]] = defaultdict(list)
        self.by_district: dict[str, list[_Ent]] = defaultdict(list)
        self.records: list[dict[str, Any]] = []
        self._order: list[float] = []
        self.used_names: set[str] = set()
        self.used_ids: set[str] = set()
        self.pop_codes = list(DISTRICT_POPULATION)
        self.pop_cum = list(accumulate(DISTRICT_POPULATION.values()))
        self.failed_checks: list[dict[str, Any]] = []
        self.injected: set[int] = set()
        self.duplicates: list[tuple[dict[str, Any], dict[str, Any], str]] = []
        self.trade_names = [h + t for h in NAME_HEAD for t in NAME_TAIL if h != t]
        self.trade_names = [n for n in self.trade_names if n not in DENY_NAMES]

    # ------------------------------------------------------------------ helpers
    def person(self) -> str:
        r = self.rng
        given = r.choice(GIVEN_CHARS) + (r.choice(GIVEN_CHARS) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def consumer_district(self) -> str:
        return self.rng.choices(self.pop_codes, cum_weights=self.pop_cum)[0]

    def address(self, district: str) -> tuple[str, str]:
        r = self.rng
        towns, roads = DISTRICT_PLACES[district]
        town = r.choice(towns)
        num = r.choice((r.randint(1, 999), r.randint(1, 3999), r.randint(100, 1999)))
        tail = r.choice(
            (
                "",
                "",
                f"{r.randint(1, 12)}幢",
                f"{r.randint(1, 8)}号楼{r.randint(101, 1208)}室",
                f"{r.randint(1, 5)}层",
                f"{r.randint(1, 3)}号厂房",
            )
        )
        if district == "310199":
            prefix = "中国（上海）自由贸易试验区临港新片区"
        else:
            prefix = "上海市" + DISTRICT_NAMES[district]
        return f"{prefix}{town}{r.choice(roads)}{num}号{tail}", town

    def model(self, scen: Scenario) -> str:
        r = self.rng
        prefix = r.choice(scen.models)
        body = f"{r.randint(10, 9999):d}"
        suffix = r.choice(("", "", "A", "B", "Z", "S", "Pro", "-2"))
        model = f"{prefix}{body}{suffix}" if prefix.endswith("-") else f"{prefix}-{body}{suffix}"
        if scen.spec and r.random() < 0.4:
            model = f"{model} {r.choice(scen.spec)}"
        return model

    def ts(self, day: date, lo: int = 7, hi: int = 23) -> str:
        r = self.rng
        hh, mm, ss = r.randint(lo, hi - 1), r.randint(0, 59), r.randint(0, 59)
        return f"{day.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}{TZ}"

    def day_at(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    # ------------------------------------------------------------------ enterprises
    def _uscc(self, district: str, individual: bool, established: date) -> str:
        r = self.rng
        division = "310115" if district == "310199" else district
        while True:
            if established >= date(2015, 10, 1):
                org = "MA" + "".join(r.choice(ALPHABET) for _ in range(7))
            else:
                org = "".join(r.choice("0123456789") for _ in range(8)) + r.choice(ALPHABET)
            code = complete_uscc(("92" if individual else "91") + division + org)
            if code not in self.used_ids:
                self.used_ids.add(code)
                return code

    def _name(
        self,
        kind: str,
        trade: str,
        district: str,
        town: str,
        individual: bool,
        scale: str,
        family: str,
    ) -> str:
        r = self.rng
        for _ in range(200):
            word = r.choice(self.trade_names)
            if individual:
                shop = r.choice(SHOP_TYPES.get(family, ("百货商店", "日用品商店")))
                name = f"上海市{DISTRICT_NAMES.get(district, '浦东新区')}{town}{word}{shop}"
                if district == "310199":
                    name = f"上海市浦东新区{town}{word}{shop}"
            elif kind == "生产企业":
                if trade in ("玩具", "服饰", "鞋业", "塑料制品") and r.random() < 0.3:
                    name = f"上海{word}{trade.replace('服饰', '服装')}厂"
                elif scale == "大型" and r.random() < 0.6:
                    name = f"上海{word}{trade}股份有限公司"
                else:
                    if trade.endswith("科技"):
                        mid = r.choice((trade, trade, "实业"))
                    else:
                        mid = r.choice((trade, trade, trade + "制造", "实业", trade + "科技"))
                    name = f"上海{word}{mid}有限公司"
            elif kind == "电商平台经营者":
                form = r.choice(("电子商务", "网络科技", "信息科技", "电子商务"))
                name = f"上海{word}{form}有限公司"
            else:
                form = r.choice(("贸易", "商贸", "实业", "电器销售", "日用品", "五金交电"))
                name = f"上海{word}{form}有限公司"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("could not find a free enterprise name")

    def build_enterprises(self, n: int) -> None:
        r = self.rng
        codes = list(DISTRICT_WEIGHTS)
        cum = list(accumulate(DISTRICT_WEIGHTS.values()))
        scen_by_family: dict[str, list[Scenario]] = defaultdict(list)
        for s in SCENARIOS:
            scen_by_family[self.leaf[s.key].code[:2]].append(s)
        families = sorted(scen_by_family)
        fam_weights = [sum(s.spot_weight + s.weight for s in scen_by_family[f]) for f in families]
        all_scen = list(SCENARIOS)
        scen_w = [s.weight + s.spot_weight for s in all_scen]
        for i in range(n):
            district = r.choices(codes, cum_weights=cum)[0]
            # The first enterprises make one scenario product each, so that every product has a
            # producer however small the run.
            if i < len(all_scen) or r.random() < PRODUCER_SHARE[district]:
                kind = "生产企业"
            else:
                kind = "电商平台经营者" if r.random() < 0.22 else "销售企业"
            individual = kind == "销售企业" and r.random() < 0.08
            if kind == "生产企业":
                scale = r.choices(("大型", "中型", "小型", "微型"), (3, 15, 45, 37))[0]
                family = r.choices(families, fam_weights)[0]
                pool = scen_by_family[family]
                picked = r.sample(pool, k=min(len(pool), r.choice((1, 1, 2, 2, 3))))
            else:
                scale = r.choices(("大型", "中型", "小型", "微型"), (1, 6, 40, 53))[0]
                if individual:
                    scale = "微型"
                k = r.randint(2, 6) if kind == "销售企业" else r.randint(3, 8)
                picked = []
                for s in r.choices(all_scen, scen_w, k=k):
                    if s not in picked:
                        picked.append(s)
                family = self.leaf[picked[0].key].code[:2]
            if i < len(all_scen):
                picked = [all_scen[i], *[s for s in picked if s is not all_scen[i]][:1]]
                family = self.leaf[all_scen[i].key].code[:2]
            trade = picked[0].trade
            est_year = r.choices(
                range(1993, 2026), [1 + (y - 1993) * 0.25 for y in range(1993, 2026)]
            )[0]
            if scale == "大型":
                est_year = min(est_year, r.randint(1993, 2012))
            established = date(est_year, r.randint(1, 12), r.randint(1, 28))
            if established > self.start - timedelta(days=30):
                established = self.start - timedelta(days=r.randint(30, 400))
            address, town = self.address(district)
            name = self._name(kind, trade, district, town, individual, scale, family)
            uscc = self._uscc(district, individual, established)
            product_codes = [self.leaf[s.key].code for s in picked]
            if kind == "生产企业":
                extras = [
                    leaf.code
                    for leaf in self.tax.family_leaves(family)
                    if leaf.code not in product_codes
                ]
                if extras:
                    product_codes += r.sample(extras, k=min(len(extras), r.choice((0, 0, 1, 2))))
            needs_licence = any(self.leaf_by_code[c].licensed for c in product_codes)
            # A few producers work without the licence they need: penalty material.
            licensed = kind == "生产企业" and needs_licence and r.random() < 0.93
            brands = [name[2:4] if not individual else r.choice(BRAND_WORDS)]
            if kind == "生产企业" and r.random() < 0.4:
                brands = [r.choice(BRAND_WORDS)] + (brands if r.random() < 0.4 else [])
            row = {
                "uscc": uscc,
                "name": name,
                "district_code": district,
                "address": address,
                "legal_representative": self.person(),
                "product_codes": product_codes,
                "licensed": licensed,
                "established": established.isoformat(),
                "scale": scale,
                "kind": kind,
            }
            ent = _Ent(row, brands, [s.key for s in picked])
            self.ents.append(ent)
            self.by_district[district].append(ent)
            for s in picked:
                (self.producers if kind == "生产企业" else self.sellers)[s.key].append(ent)

    # ------------------------------------------------------------------ records
    def add(self, rec: dict[str, Any]) -> dict[str, Any]:
        self.records.append(rec)
        return rec

    def record(
        self,
        source: str,
        occurred_at: str,
        title: str,
        text: str,
        ent: _Ent | None,
        district: str | None,
        product: Scenario | Leaf,
        show_code: bool,
        brand: str | None,
        model: str | None,
        details: dict[str, Any],
    ) -> dict[str, Any]:
        leaf = self.leaf[product.key] if isinstance(product, Scenario) else product
        return self.add(
            {
                "source": source,
                "external_id": None,
                "occurred_at": occurred_at,
                "title": title,
                "text": text,
                "enterprise_uscc": ent.row["uscc"] if ent else None,
                "enterprise_name": ent.row["name"] if ent else None,
                "district": district,
                "product_name": leaf.name,
                "product_code": leaf.code if show_code else None,
                "brand": brand,
                "model": model,
                "details": details,
                "_sort": self.rng.random(),
            }
        )

    def pick_hazard(self, scen: Scenario, quality_share: float) -> str | None:
        if self.rng.random() < quality_share:
            return None
        hz, w = zip(*scen.hazards, strict=True)
        return self.rng.choices(hz, w)[0]

    def pick_producer(self, key: str) -> _Ent | None:
        pool = self.producers.get(key)
        return self.rng.choice(pool) if pool else None

    def pick_seller(self, key: str, district: str | None = None) -> _Ent | None:
        pool = self.sellers.get(key) or self.producers.get(key)
        if not pool:
            return None
        if district and self.rng.random() < 0.5:
            local = [e for e in pool if e.row["district_code"] == district]
            if local:
                return self.rng.choice(local)
        return self.rng.choice(pool)

    def brand_model(self, key: str, producer: _Ent | None) -> tuple[str, str]:
        scen = self.scen[key]
        if producer is None or producer.row["kind"] != "生产企业":
            producer = self.pick_producer(key)
        brand = self.rng.choice(producer.brands) if producer else self.rng.choice(BRAND_WORDS)
        return brand, self.model(scen)

    # spot checks ---------------------------------------------------------------
    def spot_check(
        self,
        day: date,
        scen: Scenario,
        ent: _Ent | None,
        fail: bool,
        hazard: str | None = None,
        brand: str | None = None,
        model: str | None = None,
        level: str | None = None,
    ) -> dict[str, Any]:
        r = self.rng
        if brand is None or model is None:
            brand, model = self.brand_model(scen.key, ent)
        level = level or r.choices(("国抽", "市抽", "区抽"), (1, 5, 4))[0]
        district = ent.row["district_code"] if ent else self.consumer_district()
        year = day.year
        if level == "国抽":
            plan = f"{year}年国家产品质量监督抽查计划"
        elif level == "市抽":
            plan = r.choice(
                (
                    f"{year}年上海市产品质量监督抽查计划",
                    f"{year}年上海市{self.leaf[scen.key].name}产品质量专项监督抽查",
                )
            )
        else:
            plan = f"{year}年{DISTRICT_NAMES[district]}产品质量监督抽查计划"
        items = list(scen.items)
        n_items = min(len(items), r.randint(4, 7))
        chosen = sorted(r.sample(range(len(items)), n_items))
        failed: set[int] = set()
        if fail:
            candidates = [i for i in chosen if items[i].bad]
            if hazard:
                matching = [i for i in range(len(items)) if items[i].hazard == hazard]
                if matching:
                    pick = r.choice(matching)
                    if pick not in chosen:
                        chosen = sorted([*chosen, pick])
                    failed.add(pick)
            if not failed and candidates:
                failed.add(r.choice(candidates))
            if r.random() < 0.3 and len(candidates) > 1:
                failed.add(r.choice(candidates))
        item_rows = []
        for i in chosen:
            it = items[i]
            bad = i in failed
            item_rows.append(
                {
                    "name": it.name,
                    "requirement": it.requirement,
                    "measured": r.choice(it.bad) if bad else it.ok,
                    "result": "不合格" if bad else "合格",
                }
            )
        failed_names = [items[i].name for i in chosen if i in failed]
        conclusion = "不合格" if failed_names else "合格"
        lab = LABS[0] if r.random() < 0.45 else r.choice(LABS)
        abbr = {"国抽": "GC", "市抽": "SC", "区抽": "QC"}[level]
        sample_no = f"{abbr}{year}{district[-3:]}{r.randint(0, 99999):05d}"
        authority = (
            AUTHORITIES[level] if level != "区抽" else f"{DISTRICT_NAMES[district]}市场监督管理局"
        )
        where = (
            "生产"
            if ent and ent.row["kind"] == "生产企业"
            else ("网络销售" if ent and ent.row["kind"] == "电商平台经营者" else "销售")
        )
        ent_name = ent.row["name"] if ent else "某经营单位"
        made = day - timedelta(days=r.randint(15, 240))
        product = self.leaf[scen.key].name
        text = (
            f"{year}年{texts.md(day)}，{authority}组织{lab}对{ent_name}{where}的{brand}牌{product}"
            f"（规格型号：{model}，生产日期/批号：{made.isoformat()}）进行监督抽查，依据{scen.standard}"
            f"等标准检验{len(item_rows)}个项目。"
        )
        if failed_names:
            bits = "；".join(
                f"{row['name']}实测{row['measured']}（要求{row['requirement']}）"
                for row in item_rows
                if row["result"] == "不合格"
            )
            text += (
                f"经检验，{'、'.join(failed_names)}项目不符合标准要求：{bits}。检验结论为不合格。"
            )
        else:
            text += "经检验，所检项目均符合标准要求，检验结论为合格。"
        rec = self.record(
            "spot_check",
            day.isoformat(),
            f"{product}产品质量监督抽查检验报告（{sample_no}）",
            text,
            ent,
            district,
            scen,
            True,
            brand,
            model,
            {
                "plan": plan,
                "sample_no": sample_no,
                "sampling_level": level,
                "standard": scen.standard,
                "items": item_rows,
                "conclusion": conclusion,
                "lab": lab,
                "failed_items": failed_names,
            },
        )
        if failed_names:
            self.failed_checks.append(rec)
        return rec

    # complaints -----------------------------------------------------------------
    def complaint(
        self,
        day: date,
        scen: Scenario,
        hazard: str | None,
        district: str,
        ent: _Ent | None,
        brand: str,
        model: str,
    ) -> dict[str, Any]:
        r = self.rng
        product = self.leaf[scen.key].name
        bought = day - timedelta(days=r.randint(3, 120))
        seller_name = ent.row["name"] if ent else None
        if seller_name and r.random() < 0.12:
            # Consumers drop the city prefix and the legal form; entity matching has to cope.
            seller_name = seller_name.removeprefix("上海").removesuffix("有限公司") + "公司"
        title, text = texts.complaint(r, scen, product, hazard, bought, brand, model, seller_name)
        channel = r.choices(("12315", "12345", "网络平台", "来信来访"), (55, 25, 17, 3))[0]
        rec = self.record(
            "complaint",
            self.ts(day, 0, 24) if channel != "来信来访" else day.isoformat(),
            title,
            text,
            ent,
            district,
            scen,
            r.random() < 0.5,
            brand,
            model,
            {"channel": channel, "consumer_district": district},
        )
        # The complaint system matches only some named enterprises to a registered code.
        if ent is not None and (seller_name != ent.row["name"] or r.random() < 0.45):
            rec["enterprise_uscc"] = None
            rec["enterprise_name"] = seller_name if r.random() < 0.8 else None
        return rec

    # injuries ---------------------------------------------------------------------
    def injury(
        self,
        day: date,
        scen: Scenario,
        hazard: str,
        district: str,
        brand: str | None,
        model: str | None,
    ) -> dict[str, Any]:
        r = self.rng
        local = [h for h in HOSPITALS if h[1] == district]
        band = r.choices(("0-3", "4-6", "7-14", "15-59", "60+"), scen.ages)[0]
        kids = [h for h in HOSPITALS if "儿" in h[0]]
        if band in ("0-3", "4-6", "7-14") and r.random() < 0.5:
            hospital = r.choice(kids)
        elif local and r.random() < 0.75:
            hospital = r.choice(local)
        else:
            hospital = r.choice(HOSPITALS)
        types, parts = HAZARD_INJURY[hazard]
        injury_type, body_part = r.choice(types), r.choice(parts)
        sev_w = (
            (30, 48, 20, 2)
            if hazard in ("fire", "explosion", "electric_shock")
            else (38, 50, 11.5, 0.5)
        )
        severity = r.choices((1, 2, 3, 4), sev_w)[0]
        sex = r.choice(("男", "女"))
        product = self.leaf[scen.key].name
        title, text, disposition = texts.injury(
            r, scen, product, hazard, band, sex, injury_type, body_part, severity, hospital[0]
        )
        return self.record(
            "injury",
            day.isoformat(),
            title,
            text,
            None,
            district,
            scen,
            r.random() < 0.75,
            brand if r.random() < 0.4 else None,
            model if r.random() < 0.15 else None,
            {
                "hospital": hospital[0],
                "age_band": band,
                "sex": sex,
                "injury_type": injury_type,
                "body_part": body_part,
                "severity": severity,
                "disposition": disposition,
                "case_weight": hospital[2],
            },
        )

    # media -------------------------------------------------------------------------
    def media(
        self,
        day: date,
        scen: Scenario,
        hazard: str | None,
        district: str,
        ent: _Ent | None,
        brand: str,
        model: str,
    ) -> dict[str, Any]:
        r = self.rng
        sites = [s for s in MEDIA_SITES]
        site, domain, style, _ = r.choices(sites, [s[3] for s in sites])[0]
        product = self.leaf[scen.key].name
        if style == "news":
            author = r.choice(NEWS_AUTHORS)
            town = r.choice(DISTRICT_PLACES[district][0])
            title, text = texts.news(
                r,
                scen,
                product,
                hazard,
                day - timedelta(days=r.randint(0, 3)),
                brand,
                DISTRICT_NAMES[district],
                town,
                site,
                author,
                r.choice(SURNAMES),
            )
        else:
            author = r.choice(NETIZEN_NAMES) + (str(r.randint(1, 999)) if r.random() < 0.4 else "")
            seller = ent.row["name"] if ent else None
            title, text = texts.post(
                r,
                scen,
                product,
                hazard,
                day - timedelta(days=r.randint(2, 60)),
                brand,
                model,
                seller,
                site,
            )
        when = self.ts(day, 6, 24)
        return self.record(
            "media",
            when,
            title,
            text,
            ent if ent and r.random() < 0.3 else None,
            district,
            scen,
            r.random() < 0.5,
            brand,
            model if style != "news" else None,
            {
                "url": self._url(domain),
                "site": site,
                "author": author,
                "published_at": when,
                "reposts": r.choice((0, 0, 0, 1, 2, 3, 5, 8, 13, 26, 120)),
            },
        )

    def _url(self, domain: str) -> str:
        r = self.rng
        if "weibo" in domain:
            mid = "".join(r.choice(_WEIBO_ALPHABET) for _ in range(9))
            return f"https://weibo.com/{r.randint(1000000000, 7999999999)}/{mid}"
        if "xiaohongshu" in domain:
            return f"https://www.xiaohongshu.com/explore/{r.getrandbits(96):024x}"
        if "douyin" in domain:
            return f"https://www.douyin.com/video/{7_000_000_000_000_000_000 + r.getrandbits(58)}"
        if "tousu" in domain:
            return (
                f"https://tousu.sina.com.cn/complaint/view/{r.randint(17 * 10**9, 18 * 10**9 - 1)}/"
            )
        section = "news" if r.random() < 0.5 else "content"
        return f"https://{domain}/{section}/{r.randint(10_000_000, 99_999_999)}.html"

    def repost(self, orig: dict[str, Any]) -> dict[str, Any]:
        r = self.rng
        sites = [s for s in MEDIA_SITES if s[0] != orig["details"]["site"]]
        site, domain, style, _ = r.choice(sites)
        title, text = orig["title"], orig["text"]
        kind = "exact" if r.random() < 0.3 else "near"
        if kind == "near":
            ops = r.sample(("prefix", "space", "punct", "trim", "html"), k=r.choice((1, 1, 2)))
            for op in ops:
                if op == "prefix":
                    title, text = "转发：" + title, "转发：" + text
                elif op == "space":
                    text = text.replace("，", "， ", 1).replace("。", "。\n", 1) + " "
                elif op == "punct":
                    text = text.replace("，", ",").replace("！", "!").replace("：", ":")
                elif op == "trim":
                    parts = text.rstrip("。").split("。")
                    if len(parts) > 2:
                        text = "。".join(parts[:-1]) + "。"
                elif op == "html":
                    text = "".join(f"<p>{p}。</p>" for p in text.rstrip("。").split("。") if p)
        base = datetime.fromisoformat(orig["occurred_at"])
        when_dt = base + timedelta(minutes=r.randint(5, 60 * 60))
        if when_dt.date() >= self.end:
            when_dt = base + timedelta(minutes=r.randint(1, 30))
        sort_key = r.random()
        if when_dt.date() >= self.end:
            # Last minutes of the window: same second as the original, ordered after it.
            when_dt, sort_key = base, orig["_sort"] + 1e-9
        when = when_dt.isoformat()
        author = r.choice(NETIZEN_NAMES) if style == "post" else r.choice(NEWS_AUTHORS)
        rec = dict(orig)
        rec.update(
            {
                "title": title,
                "text": text,
                "occurred_at": when,
                "_sort": sort_key,
                "details": {
                    "url": self._url(domain),
                    "site": site,
                    "author": author,
                    "published_at": when,
                    "reposts": r.choice((0, 0, 1, 2, 5)),
                },
            }
        )
        self.add(rec)
        self.duplicates.append((rec, orig, kind))
        return rec

    # recalls, licensing, penalties -------------------------------------------------------
    def recall(
        self,
        day: date,
        scen: Scenario,
        ent: _Ent | None,
        hazard: str,
        brand: str | None = None,
        model: str | None = None,
        n: int = 1,
    ) -> dict[str, Any]:
        r = self.rng
        if brand is None or model is None:
            brand, model = self.brand_model(scen.key, ent)
        product = self.leaf[scen.key].name
        units = r.choice((r.randint(120, 2000), r.randint(2000, 20000), r.randint(20000, 150000)))
        hz_text = {
            "fire": "在使用或充电过程中可能过热，存在起火隐患",
            "electric_shock": "带电部件防护不足，存在触电隐患",
            "burns": "表面温度过高，存在烫伤隐患",
            "choking": "部件可能脱落形成小零件，存在儿童误吞窒息隐患",
            "strangulation": "帽部及颈部设有绳带，存在勒颈隐患",
            "explosion": "可能发生燃气泄漏，存在爆燃隐患",
            "chemical": "有害物质含量超出标准限值，存在健康危害隐患",
            "falls": "结构强度不足，可能断裂导致使用者摔伤",
            "mechanical": "存在挤压、夹伤隐患",
            "cuts": "存在锐利边缘或部件飞出，可能造成割伤",
        }.get(hazard, "存在安全隐患")
        remedy = r.choice(("退货", "更换", "维修", "更换"))
        made_from = day - timedelta(days=r.randint(120, 400))
        made_to = day - timedelta(days=r.randint(10, 100))
        ent_name = ent.row["name"] if ent else f"{brand}品牌方"
        pct = r.randint(8, 96)
        progress = r.choice(("召回计划已备案", f"召回实施中，已完成{pct}%", "召回已完成"))
        text = (
            f"近日，{ent_name}按照《消费品召回管理暂行规定》的要求，向上海市市场监督管理局备案了召回计划，"
            f"自{day.year}年{texts.md(day)}起，召回{made_from.isoformat()}至{made_to.isoformat()}期间生产的"
            f"{brand}牌{product}（型号{model}），涉及数量{units}件。本次召回范围内的产品{hz_text}。"
            f"{ent_name}将为消费者免费{remedy}召回范围内的产品。消费者可拨打企业客服热线了解详情。"
        )
        return self.record(
            "recall",
            day.isoformat(),
            f"{ent_name}召回部分{brand}牌{product}",
            text,
            ent,
            ent.row["district_code"] if ent else None,
            scen,
            True,
            brand,
            model,
            {
                "recall_no": f"沪市监召〔{day.year}〕{n}号",
                "units": units,
                "hazard": hz_text,
                "remedy": remedy,
                "progress": progress,
            },
        )

    def licensing(self, day: date, ent: _Ent, n: int) -> dict[str, Any]:
        r = self.rng
        codes = [c for c in ent.row["product_codes"] if self.leaf_by_code[c].licensed]
        leaf = self.leaf_by_code[codes[0] if codes else ent.row["product_codes"][0]]
        action = r.choices(("发证", "变更", "注销", "吊销"), (62, 25, 11, 2))[0]
        ent.row["licensed"] = action in ("发证", "变更")
        unit = LICENCE_UNITS.get(leaf.code[:2], "99")
        licence_no = f"沪XK{unit}-{int(leaf.code[2:4]):03d}-{r.randint(1, 99999):05d}"
        valid_from = day
        valid_to = date(day.year + 5, day.month, min(day.day, 28)) - timedelta(days=1)
        product = leaf.name
        ent_name = ent.row["name"]
        change = r.choice(("生产地址", "企业名称", "法定代表人", "产品明细"))
        what = {
            "发证": (
                f"经审查，{ent_name}生产{product}的生产条件符合要求，准予发放全国工业产品生产许可证"
            ),
            "变更": f"{ent_name}申请变更生产许可证{change}，经审查予以变更",
            "注销": f"{ent_name}申请注销{product}生产许可证，予以注销",
            "吊销": (
                f"{ent_name}因产品质量监督抽查不合格且整改后仍不合格，依法吊销其{product}生产许可证"
            ),
        }[action]
        return self.record(
            "licensing",
            day.isoformat(),
            f"工业产品生产许可证{action}公告（{licence_no}）",
            f"{what}。许可证编号：{licence_no}，有效期至{valid_to.isoformat()}。住所：{ent.row['address']}。",
            ent,
            ent.row["district_code"],
            leaf,
            True,
            ent.brands[0],
            None,
            {
                "licence_no": licence_no,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat(),
                "action": action,
            },
        )

    def penalty(
        self, day: date, ent: _Ent, scen: Scenario, check: dict[str, Any] | None, seq: int
    ) -> dict[str, Any]:
        r = self.rng
        district = ent.row["district_code"]
        product = self.leaf[scen.key].name
        producer = ent.row["kind"] == "生产企业"
        verb = "生产" if producer else "销售"
        if check is not None:
            failed = "、".join(check["details"]["failed_items"])
            violation = (
                f"{verb}不符合保障人体健康和人身、财产安全的国家标准的{product}"
                f"（{check['details']['plan']}抽样检验{failed}项目不合格）"
            )
            basis = "《中华人民共和国产品质量法》第十三条、第四十九条"
            amount = (
                r.choice((12000, 20000, 35000, 50000, 86000, 120000))
                if producer
                else r.choice((3000, 5000, 8000, 15000))
            )
            pen = f"责令停止{'生产' if producer else '销售'}，没收违法产品，并处罚款{amount}元"
            brand, model = check["brand"], check["model"]
        else:
            choice = r.choices(("licence", "ccc", "mark", "shoddy"), (2, 4, 3, 2))[0]
            brand, model = self.brand_model(scen.key, ent)
            if choice == "licence" and scen.licence_kind:
                violation = f"未取得工业产品生产许可证擅自生产{product}"
                basis = "《中华人民共和国工业产品生产许可证管理条例》第五条、第四十五条"
                amount = r.choice((50000, 80000, 150000))
            elif choice in ("ccc", "licence"):
                violation = f"{'生产' if producer else '销售'}未经强制性产品认证的{product}"
                basis = "《中华人民共和国认证认可条例》第二十八条、第六十六条"
                amount = r.choice((20000, 50000, 100000))
            elif choice == "mark":
                violation = f"{verb}的{product}标识不符合规定（无中文厂名厂址、未标注执行标准）"
                basis = "《中华人民共和国产品质量法》第二十七条、第五十四条"
                amount = r.choice((2000, 5000, 10000))
            else:
                violation = f"在{product}中以不合格产品冒充合格产品"
                basis = "《中华人民共和国产品质量法》第三十九条、第五十条"
                amount = r.choice((30000, 60000, 90000))
            pen = f"责令改正，没收违法产品，并处罚款{amount}元"
        case_no = (
            f"沪市监{DISTRICT_ABBR[district]}处〔{day.year}〕{district[2:4]}{day.year}{seq:06d}号"
        )
        text = (
            f"当事人{ent.row['name']}（统一社会信用代码{ent.row['uscc']}，住所{ent.row['address']}）"
            f"{violation}。上述行为违反了{basis.split('、')[0]}的规定。依据{basis}，"
            f"本局决定对当事人作出如下行政处罚：{pen}。"
        )
        bureau = (
            "上海市市场监督管理局"
            if r.random() < 0.1
            else f"{DISTRICT_NAMES[district]}市场监督管理局"
        )
        return self.record(
            "penalty",
            day.isoformat(),
            f"{bureau}行政处罚决定书（{case_no}）",
            text,
            ent,
            district,
            scen,
            True,
            brand,
            model,
            {
                "case_no": case_no,
                "violation": violation,
                "legal_basis": basis,
                "penalty": pen,
                "amount_yuan": amount,
            },
        )

    # ------------------------------------------------------------------ background
    def sample_days(
        self, source: str, n: int, weights_for: dict[str, float]
    ) -> list[tuple[int, str]]:
        """Draw n (day offset, scenario key) pairs from seasonal, weekday-shaped rates."""
        if n <= 0:
            return []
        cells: list[tuple[int, str]] = []
        weights: list[float] = []
        for off in range(self.days):
            day = self.day_at(off)
            wf = weekday_factor(source, day)
            if wf == 0.0:
                continue
            for s in SCENARIOS:
                w = weights_for[s.key]
                if w <= 0:
                    continue
                sf = 1.0 if source in ("spot_check", "licensing") else season_factor(s.season, day)
                cells.append((off, s.key))
                weights.append(w * sf * wf)
        cum = list(accumulate(weights))
        picks = self.rng.choices(range(len(cells)), cum_weights=cum, k=n)
        return sorted((cells[i] for i in picks), key=lambda c: (c[0], c[1]))

    def volume(self, source: str) -> int:
        return round(YEARLY[source] * self.scale * self.days / 365)

    def background(self) -> None:
        r = self.rng
        w_consumer = {s.key: s.weight for s in SCENARIOS}
        w_spot = {s.key: s.spot_weight * (1 + s.weight / 3) for s in SCENARIOS}
        w_injury = {s.key: s.weight * s.injury_weight for s in SCENARIOS}
        for off, key in self.sample_days("spot_check", self.volume("spot_check"), w_spot):
            scen = self.scen[key]
            ent = self.pick_producer(key) if r.random() < 0.65 else self.pick_seller(key)
            self.spot_check(self.day_at(off), scen, ent, r.random() < scen.fail_rate * FAIL_SCALE)
        for off, key in self.sample_days("complaint", self.volume("complaint"), w_consumer):
            scen = self.scen[key]
            district = self.consumer_district()
            roll = r.random()
            ent = (
                self.pick_seller(key, district)
                if roll < 0.6
                else (self.pick_producer(key) if roll < 0.75 else None)
            )
            brand, model = self.brand_model(key, ent)
            self.complaint(
                self.day_at(off), scen, self.pick_hazard(scen, 0.22), district, ent, brand, model
            )
        for off, key in self.sample_days("injury", self.volume("injury"), w_injury):
            scen = self.scen[key]
            hazard = self.pick_hazard(scen, 0.0)
            assert hazard is not None
            brand, model = self.brand_model(key, None)
            self.injury(self.day_at(off), scen, hazard, self.consumer_district(), brand, model)
        for off, key in self.sample_days("media", self.volume("media"), w_consumer):
            scen = self.scen[key]
            ent = self.pick_seller(key) if r.random() < 0.5 else None
            brand, model = self.brand_model(key, ent)
            self.media(
                self.day_at(off),
                scen,
                self.pick_hazard(scen, 0.1),
                self.consumer_district(),
                ent,
                brand,
                model,
            )
        w_recall = {s.key: s.weight * s.fail_rate for s in SCENARIOS}
        for i, (off, key) in enumerate(
            self.sample_days("recall", self.volume("recall"), w_recall), 1
        ):
            scen = self.scen[key]
            hazard = self.pick_hazard(scen, 0.0) or "fire"
            self.recall(self.day_at(off), scen, self.pick_producer(key), hazard, n=i)
        licensed = [
            e
            for e in self.ents
            if any(self.leaf_by_code[c].licensed for c in e.row["product_codes"])
            and e.row["kind"] == "生产企业"
        ] or [e for e in self.ents if e.row["kind"] == "生产企业"]
        n_lic = self.volume("licensing")
        days = [
            off for off in range(self.days) if weekday_factor("licensing", self.day_at(off)) > 0.5
        ]
        for off in sorted(r.choice(days) for _ in range(n_lic)):
            self.licensing(self.day_at(off), r.choice(licensed), 0)

    def penalties(self, seq_start: int = 1) -> None:
        """Penalties follow failed spot checks by 1–3 months; the rest are other violations."""
        r = self.rng
        n_target = self.volume("penalty")
        seq = seq_start
        work_days = [
            off for off in range(self.days) if weekday_factor("penalty", self.day_at(off)) > 0.5
        ]
        made = 0
        by_uscc = {e.row["uscc"]: e for e in self.ents}
        for check in sorted(self.failed_checks, key=lambda c: (c["occurred_at"], c["_sort"])):
            if made >= n_target * 0.7 or r.random() > 0.6 or id(check) in self.injected:
                continue
            ent = by_uscc.get(check["enterprise_uscc"] or "")
            if ent is None:
                continue
            day = date.fromisoformat(check["occurred_at"]) + timedelta(days=r.randint(30, 95))
            while day < self.end and weekday_factor("penalty", day) < 0.5:
                day += timedelta(days=1)
            if day >= self.end:
                continue
            scen = next(s for s in SCENARIOS if self.leaf[s.key].code == check["product_code"])
            self.penalty(day, ent, scen, check, seq)
            seq += 1
            made += 1
        producers = [e for e in self.ents if e.scen_keys]
        while made < n_target and work_days:
            ent = r.choice(producers)
            scen = self.scen[r.choice(ent.scen_keys)]
            self.penalty(self.day_at(r.choice(work_days)), ent, scen, None, seq)
            seq += 1
            made += 1

    # ------------------------------------------------------------------ events
    def culprit(self, spec: EventSpec) -> _Ent:
        r = self.rng
        key = spec.scenario
        code = self.leaf[key].code
        pool = [
            e
            for e in self.ents
            if e.row["kind"] == spec.culprit_kind
            and (spec.district is None or e.row["district_code"] == spec.district)
        ]
        having = [e for e in pool if key in e.scen_keys]
        if having:
            ent = r.choice(having)
        else:
            if not pool:
                pool = [
                    e
                    for e in self.ents
                    if spec.district is None or e.row["district_code"] == spec.district
                ] or self.ents
            ent = r.choice(pool)
            ent.scen_keys.append(key)
            ent.row["product_codes"].append(code)
            (self.producers if ent.row["kind"] == "生产企业" else self.sellers)[key].append(ent)
        return ent

    def inject(self, spec: EventSpec) -> dict[str, Any] | None:
        r = self.rng
        start = _event_start(spec, self.start, self.days)
        if start is None:
            return None
        length = min(spec.days, (self.end - start).days)
        scen = self.scen[spec.scenario]
        ent = self.culprit(spec)
        brand = ent.brands[0] if ent.row["kind"] == "生产企业" else r.choice(BRAND_WORDS)
        model = self.model(scen)
        first = len(self.records)
        peak = max(1.0, length * 0.4)
        shape = [
            0.25 + (t / peak if t < peak else (length - t) / (length - peak + 1))
            for t in range(length)
        ]
        cum = list(accumulate(shape))

        def days_for(n: int) -> list[date]:
            return sorted(
                start + timedelta(days=i) for i in r.choices(range(length), cum_weights=cum, k=n)
            )

        def where() -> str:
            return spec.district if spec.district and r.random() < 0.9 else self.consumer_district()

        def n_of(source: str) -> int:
            v = spec.volumes.get(source, 0)
            return max(1, round(v * self.scale)) if v else 0

        for day in days_for(n_of("complaint")):
            district = where()
            seller = ent if r.random() < 0.5 else self.pick_seller(spec.scenario, district)
            self.complaint(day, scen, spec.hazard, district, seller, brand, model)
        for day in days_for(n_of("injury")):
            self.injury(day, scen, spec.hazard, where(), brand, model)
        for day in days_for(n_of("media")):
            self.media(
                day, scen, spec.hazard, where(), ent if r.random() < 0.5 else None, brand, model
            )
        check_days = [
            d for d in days_for(n_of("spot_check")) if weekday_factor("spot_check", d) > 0.5
        ]
        for day in check_days or [start + timedelta(days=min(length - 1, 7))]:
            level = "市抽" if spec.district is None else r.choice(("市抽", "区抽"))
            self.spot_check(day, scen, ent, True, spec.hazard, brand, model, level)
        end_day = start + timedelta(days=length - 1)
        for _ in range(n_of("recall")):
            day = min(end_day, start + timedelta(days=int(length * 0.8)))
            self.recall(
                day,
                scen,
                ent if ent.row["kind"] == "生产企业" else None,
                spec.hazard,
                brand,
                model,
                n=900,
            )
        for _ in range(n_of("penalty")):
            day = min(self.end - timedelta(days=1), end_day + timedelta(days=r.randint(3, 20)))
            self.penalty(day, ent, scen, self.failed_checks[-1], 9000)
        product = self.leaf[spec.scenario].name
        self.injected.update(id(rec) for rec in self.records[first:])
        return {
            "event_id": spec.key,
            "product_code": self.leaf[spec.scenario].code,
            "product_name": product,
            "hazard_code": spec.hazard,
            "district_code": spec.district,
            "start_day": start.isoformat(),
            "end_day": end_day.isoformat(),
            "description": spec.story.format(
                ent=ent.row["name"], brand=brand, model=model, product=product
            ),
            "enterprise_uscc": ent.row["uscc"],
            "_records": self.records[first:],
        }

    # ------------------------------------------------------------------ finish
    def reposts(self) -> None:
        originals = sorted(
            (rec for rec in self.records if rec["source"] == "media"),
            key=lambda rec: (rec["occurred_at"], rec["_sort"]),
        )
        n = round(len(originals) * REPOST_SHARE / (1 - REPOST_SHARE))
        # Stories about harm spread more than complaints about quality.
        weights = [3.0 if "起火" in o["text"] or "误吞" in o["text"] else 1.0 for o in originals]
        for orig in self.rng.choices(originals, weights, k=n) if originals else []:
            self.repost(orig)

    def assign_ids(self) -> None:
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.records:
            by_source[rec["source"]].append(rec)
        for source, rows in by_source.items():
            rows.sort(key=lambda rec: (rec["occurred_at"][:19], rec["_sort"]))
            for i, rec in enumerate(rows, 1):
                rec["external_id"] = f"{ID_PREFIX[source]}-{rec['occurred_at'][:4]}-{i:06d}"
            if source == "penalty":
                self._renumber_cases(rows)
            if source == "recall":
                for i, rec in enumerate(rows, 1):
                    rec["details"]["recall_no"] = f"沪市监召〔{rec['occurred_at'][:4]}〕{i}号"

    def _renumber_cases(self, rows: list[dict[str, Any]]) -> None:
        counters: dict[tuple[str, str], int] = defaultdict(int)
        for rec in rows:
            year = rec["occurred_at"][:4]
            district = rec["district"]
            counters[(district, year)] += 1
            old = rec["details"]["case_no"]
            serial = counters[(district, year)] * 7 + 10
            new = f"沪市监{DISTRICT_ABBR[district]}处〔{year}〕{district[2:4]}{year}{serial:06d}号"
            rec["details"]["case_no"] = new
            rec["title"] = rec["title"].replace(old, new)


def _strip(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def generate(
    seed: int = 20261126,
    n_enterprises: int = 2000,
    start: date = date(2025, 12, 1),
    days: int = 365,
    scale: float = 1.0,
    taxonomy: Taxonomy | None = None,
) -> DemoDataset:
    """Build the demo dataset; ``scale`` multiplies every feed's yearly volume."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if n_enterprises < len(SCENARIOS):
        raise ValueError(f"n_enterprises must be at least {len(SCENARIOS)} (one per product)")
    rng = random.Random(seed)
    b = _Builder(rng, taxonomy or load_taxonomy(), start, days, scale)
    b.build_enterprises(n_enterprises)
    b.background()
    events_raw = [ev for spec in EVENT_SPECS if (ev := b.inject(spec)) is not None]
    b.penalties()
    b.reposts()
    b.assign_ids()
    event_ids = {id(rec) for ev in events_raw for rec in ev["_records"]}
    # Reposts of an injected story are part of the injected signal.
    for rep, orig, _ in b.duplicates:
        if id(orig) in event_ids:
            for ev in events_raw:
                if any(rec is orig for rec in ev["_records"]):
                    ev["_records"].append(rep)
    events = []
    for ev in events_raw:
        ids = sorted(rec["external_id"] for rec in ev.pop("_records"))
        events.append({**ev, "record_ids": ids})
    order = {s: i for i, s in enumerate(SOURCES)}
    records = sorted(b.records, key=lambda rec: (order[rec["source"]], rec["external_id"]))
    duplicates = sorted(
        (
            {"external_id": rep["external_id"], "duplicate_of": orig["external_id"], "kind": kind}
            for rep, orig, kind in b.duplicates
        ),
        key=lambda d: d["external_id"],
    )
    counts = {s: 0 for s in SOURCES}
    for rec in records:
        counts[rec["source"]] += 1
    meta = {
        "seed": seed,
        "n_enterprises": n_enterprises,
        "start": start.isoformat(),
        "days": days,
        "scale": scale,
        "counts": counts,
        "timezone": "Asia/Shanghai",
    }
    return DemoDataset(
        enterprises=[e.row for e in b.ents],
        records=[_strip(rec) for rec in records],
        events=events,
        duplicates=duplicates,
        meta=meta,
    )
