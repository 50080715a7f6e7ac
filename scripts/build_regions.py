"""Build pqrisk/core/text/data/regions.tsv, the place-name gazetteer of region extraction.

Source: ``pca.csv`` of shibing624/companynameparser (Apache-2.0), commit
7cd57757d0cbd8e74323177b906697cd6a617465, copied to shared/data/companyname_dicts/ (see that
folder's MANIFEST.md): 3,216 rows ``country, sheng, shi, qu, lat, lng``. Shanghai's district
codes (GB/T 2260), 临港新片区 and the names of merged districts come from our own
pqrisk/taxonomy/data/districts.csv and pqrisk.taxonomy.loader.

Usage (from the repository root):
    .venv/bin/python scripts/build_regions.py [path/to/pca.csv]

The output is committed; nothing reads shared/data at run time. Each row is one province,
city (prefecture level) or district (county level) with the names that may stand for it in
text (aliases). Short aliases (浙江, 杭州, 闵行) are generated with the rules below; the deny
lists keep out short forms that are ordinary words (开封 "to unseal", 大同, 来宾, 安康 …).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pqrisk.taxonomy import loader  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "companyname_dicts" / "pca.csv"
OUTPUT = ROOT / "pqrisk" / "core" / "text" / "data" / "regions.tsv"
SOURCE_NOTE = (
    "# Built by scripts/build_regions.py from pca.csv of shibing624/companynameparser "
    "(Apache-2.0, commit 7cd57757d0cbd8e74323177b906697cd6a617465) and "
    "pqrisk/taxonomy/data/districts.csv. Do not edit by hand."
)
HOME_PROVINCE = "上海市"
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})

PROVINCE_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市",
)  # fmt: skip
# Ethnic names that stand between a prefecture's name and 自治州 (延边朝鲜族自治州 → 延边).
ETHNIC = (
    "朝鲜", "土家", "苗", "藏", "羌", "彝", "布依", "侗", "壮", "傣", "景颇", "哈尼", "白",
    "傈僳", "回", "蒙古", "柯尔克孜", "哈萨克", "纳西", "瑶", "黎", "水", "仡佬",
)  # fmt: skip
_AUTONOMOUS_PREFECTURE = re.compile(rf"^(.{{2,}}?)(?:(?:{'|'.join(ETHNIC)})族?)+自治州$")

# Short city names that are ordinary words or name something else far more often.
SHORT_CITY_DENY = frozenset(
    {
        "中山", "阿里", "安康", "普洱", "红河", "白银", "白山", "朝阳", "海东", "海北", "海西",
        "海南", "黄南", "玉树", "兴安", "开封", "日照", "四平", "大同", "来宾",
    }
)  # fmt: skip
# County-level cities whose short name is used alone in product news (manufacturing hubs).
SHORT_COUNTY_ALLOW = frozenset(
    {
        "义乌", "永康", "慈溪", "余姚", "乐清", "温岭", "瑞安", "晋江", "石狮", "昆山", "常熟",
        "江阴", "张家港", "太仓", "宜兴", "丹阳", "诸暨", "海宁", "桐乡", "嵊州", "东阳",
        "福清", "南安", "普宁",
    }
)  # fmt: skip
# District names too generic to read as a place in running text.
DISTRICT_DENY = frozenset({"城区", "郊区", "矿区", "东区", "西区", "高新区", "解放区"})
# Longer words that contain a place name but are not a place (matched as a whole, they hide
# the place name inside them).
BLOCKERS = (
    "黄浦江", "普陀山", "苏州河", "大理石", "中山装", "中山大学", "中山公园", "中山路",
    "宁德时代", "长治久安", "三明治", "金山软件", "金山办公", "金山毒霸", "金山词霸",
    "北海公园", "北海道", "北京时间", "哈密瓜", "岳阳医院", "德州扑克", "美国德州",
    "江山如画", "大庆油田",
)  # fmt: skip


def _coord(value: str) -> str:
    return f"{float(value):.4f}" if value.strip() else ""


def province_aliases(name: str) -> list[str]:
    aliases = [name]
    for suffix in PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            aliases.append(name[: -len(suffix)])
            break
    return aliases


def city_aliases(name: str) -> list[str]:
    aliases = [name]
    short = ""
    match = _AUTONOMOUS_PREFECTURE.match(name)
    if match:
        short = match.group(1)
    else:
        for suffix in ("地区", "市", "盟"):
            if name.endswith(suffix):
                short = name[: -len(suffix)]
                break
    if len(short) >= 2 and short not in SHORT_CITY_DENY:
        aliases.append(short)
    return aliases


def district_aliases(name: str) -> list[str]:
    if len(name) <= 2 or name in DISTRICT_DENY:
        return []  # 黟县, 高县, 城区: one-character names read as words
    aliases = [name]
    if name.endswith("市") and name[:-1] in SHORT_COUNTY_ALLOW:
        aliases.append(name[:-1])
    return aliases


def shanghai_aliases() -> dict[str, tuple[str, list[str]]]:
    """District name → (code, aliases) for Shanghai, from our taxonomy."""
    out: dict[str, tuple[str, list[str]]] = {}
    for district in loader.load_districts():
        aliases = [district.name, district.short_name]
        # Merged and renamed districts still named in older records (the loader's list).
        for alias in loader._EXTRA_DISTRICT_ALIASES.get(district.code, ()):
            if "（" not in alias and "上海" not in alias:
                aliases.append(alias)
        if district.code == "310101":
            aliases.append("卢湾")
        if district.code == "310106":
            aliases.append("闸北")
        if district.code == "310115":
            aliases.append("南汇")
        out[district.name] = (district.code, list(dict.fromkeys(aliases)))
    return out


def build(source: Path) -> list[list[str]]:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    shanghai = shanghai_aliases()
    out: list[list[str]] = []
    # Most provinces have no row of their own in pca.csv; their coordinates come from the
    # province row when there is one (municipalities: the city row), else stay empty.
    province_coords: dict[str, tuple[str, str]] = {}
    for row in rows:
        province, city, district = row["sheng"].strip(), row["shi"].strip(), row["qu"].strip()
        if not district and (not city or (province in MUNICIPALITIES and city == province)):
            province_coords[province] = (_coord(row["lat"]), _coord(row["lng"]))
    for province in dict.fromkeys(row["sheng"].strip() for row in rows):
        lat, lng = province_coords.get(province, ("", ""))
        out.append(
            ["province", province, "", "", "", lat, lng, "|".join(province_aliases(province))]
        )
    for row in rows:
        province, city, district = row["sheng"].strip(), row["shi"].strip(), row["qu"].strip()
        lat, lng = _coord(row["lat"]), _coord(row["lng"])
        if province in MUNICIPALITIES:
            city = province
        if not district:
            if city and province not in MUNICIPALITIES:
                out.append(["city", province, city, "", "", lat, lng, "|".join(city_aliases(city))])
            continue
        code = ""
        if province == HOME_PROVINCE and district in shanghai:
            code, aliases = shanghai.pop(district)
        else:
            aliases = district_aliases(district)
        if aliases:
            out.append(["district", province, city, district, code, lat, lng, "|".join(aliases)])
    # Shanghai units our taxonomy has and pca.csv has not (临港新片区).
    for name, (code, aliases) in shanghai.items():
        out.append(
            ["district", HOME_PROVINCE, HOME_PROVINCE, name, code, "", "", "|".join(aliases)]
        )
    for blocker in BLOCKERS:
        out.append(["blocker", "", "", "", "", "", "", blocker])
    return out


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    rows = build(source)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(SOURCE_NOTE + "\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["level", "province", "city", "district", "code", "lat", "lng", "aliases"])
        writer.writerows(rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
