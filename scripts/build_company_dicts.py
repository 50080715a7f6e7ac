"""Build the company-name dictionaries shipped in pqrisk/core/text/data/ from ../shared/data.

Usage (from the repository root):

    .venv/bin/python scripts/build_company_dicts.py [--shared ../shared/data] [--brands]

Reads the shibing624/companynameparser dictionaries (Apache-2.0) copied to
``<shared>/companyname_dicts/`` and writes, deterministically (same input, same bytes):

- ``company_places.tsv``: the administrative divisions of pca.csv (province, city, district)
  as ``id, parent id, names`` with the short forms used in enterprise names (上海市 → 上海,
  浦东新区 → 浦东, 延边朝鲜族自治州 → 延边), plus 中国 and Shanghai's former districts;
- ``company_industries.txt``: industry words (trade.txt without place names, trade names and
  function words, plus the industry part of compound suffixes such as 服装店 → 服装, plus
  consumer-product industries of our catalogue);
- ``company_org_forms.txt``: organisation forms (suffix.txt reduced to forms; see CORE_FORMS);
- ``company_brands.txt.gz`` only with ``--brands`` (the build part of brand.txt; not shipped,
  see the data README for the measurement behind that);
- ``benchmarks/data/company_names_labelled.jsonl``: the composed part of the labelled set,
  names made from the *held-out* part of brand.txt; rows marked ``"set": "hand"`` already in
  the file are kept as they are.

Nothing here runs at run time: the product reads only the files written here.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pqrisk" / "core" / "text" / "data"
LABELLED = ROOT / "benchmarks" / "data" / "company_names_labelled.jsonl"

# --- organisation forms ---------------------------------------------------------------------
# The organisation forms proper (组织形式). A suffix.txt entry that is not one of these but ends
# with one is split: 服装店 → industry 服装 + form 店; when the remaining prefix is a single
# character (书店, 茶行) the entry is kept whole as a form. Our convention, written down so
# the labelled set and the parser agree.
CORE_FORMS = (
    "公司", "有限公司", "有限责任公司", "股份有限公司", "股份公司", "股份合作公司",
    "集团", "集团公司", "集团有限公司", "集团有限责任公司", "集团股份有限公司",
    "（集团）公司", "（集团）有限公司", "（集团）有限责任公司", "（集团）股份有限公司",
    "总公司", "分公司", "支公司",
    "有限合伙", "有限合伙企业", "合伙企业", "普通合伙企业", "个人独资企业", "独资企业",
    "合作社", "专业合作社", "农民专业合作社", "股份经济合作社", "联合社",
    "厂", "总厂", "分厂", "工厂",
    "店", "商店", "分店", "总店", "门店", "专卖店", "专营店", "授权专营店", "旗舰店",
    "便利店", "网店", "超市", "商场", "市场", "商行", "行",
    "经营部", "销售部", "门市部", "营业部", "服务部", "经销部", "经销处", "物资部", "部",
    "中心", "服务中心", "服务站", "站", "工作室", "事务所", "研究所", "研究院", "设计院",
    "所", "院", "馆", "坊", "社", "场", "摊", "专柜", "药房", "大药房", "医院", "学院",
    "银行", "分行", "支行", "办事处", "代表处",
)  # fmt: skip

# suffix.txt entries that are neither forms nor split into one ("第一分" is a cut-off form;
# 子公司 would take the 子 of 电子公司, and a subsidiary is named with a full form anyway).
DROP_SUFFIXES = frozenset({"第一分", "有限责任", "股份", "子公司"})

# --- industry words ---------------------------------------------------------------------------
# trade.txt entries that are not industry words: place names, trade names (字号), ordinals,
# words of the legal form and function words. Our reading of the 1,257 entries.
DROP_TRADES = frozenset(
    {
        # places
        "常熟", "杭州", "潍坊", "莱西", "广西南宁", "以色列", "唐山百驰", "金桥",
        # trade names and brands
        "明月", "众安", "天骄", "顶津", "顺然", "起航", "研科", "联汇", "宝军", "统众",
        "诺贝", "埃德尔", "埃航", "埃顿", "蓝润", "蓝润滑油", "阿达", "雪花", "无忧",
        "大自然", "南方电网", "北方工业", "菠萝蜜", "菠萝蜜果蔬", "世界", "现代", "天然",
        # ordinals, legal form, function words, not industries
        "第一", "第一国际", "第二", "第三", "第四", "第五", "第三方", "改为", "要求", "下载",
        "有限", "股份", "责任", "合伙", "正规", "甄选", "标字", "执行", "蛀虫", "精确",
        "自费", "领域", "行业", "区域", "国家", "甲级", "大型", "超细", "全套", "合资",
        "外企", "国企", "私人", "省级", "民族", "跟单员", "赔偿", "可行性", "报告", "走廊",
        "计算", "处理", "分离", "指导", "支付", "官网", "参股", "人形", "结构化", "综合性",
        "优选", "小企业",
    }
)  # fmt: skip

# Consumer-product industries of our catalogue (pqrisk/taxonomy/data) missing from trade.txt.
EXTRA_TRADES = (
    "家电", "小家电", "厨房电器", "照明电器", "电器销售", "电器制造", "电工", "电线",
    "插座", "开关插座", "电源插座", "锂电", "锂电池", "蓄电池", "充电器", "电动自行车",
    "助动车", "电动车辆", "童车", "车业", "儿童用品", "婴童用品", "婴儿用品", "孕婴用品",
    "日用", "日用杂品", "日用化学品", "洗涤用品", "个人护理用品", "化妆品销售", "文教用品",
    "学生用品", "文化办公用品", "办公用品", "灯具灯饰", "燃气具", "燃气器具", "厨房设备",
    "炊具", "餐具", "厨房用品", "不锈钢制品", "塑料用品", "橡塑制品", "家纺用品",
    "服装服饰", "服饰用品", "鞋帽", "制鞋", "眼镜销售", "劳保用品", "防护用品",
    "消防科技", "五金交电", "五金工具", "交电", "家用电器销售", "百货", "小商品",
    "商业贸易", "网络技术", "智能设备", "智能家居", "电子商务", "电子产品", "电子技术",
    "实业发展", "科技发展", "投资", "健康科技", "生活用品", "家居用品", "运动器材",
    "体育器材", "玩具制造", "玩具礼品", "工艺礼品", "饰品", "头盔", "安全帽",
    "电动工具", "压力容器", "计量器具", "衡器", "自动化设备", "进出口", "国际贸易",
    "企业管理", "企业服务", "新材料",
)  # fmt: skip

# --- places -----------------------------------------------------------------------------------
# Ethnic names that open the suffix of autonomous units (延边|朝鲜族自治州, 伊犁|哈萨克自治州).
ETHNIC = (
    "朝鲜", "土家", "苗", "藏", "羌", "彝", "布依", "侗", "哈尼", "壮", "傣", "白", "景颇",
    "傈僳", "回", "蒙古", "哈萨克", "柯尔克孜", "满", "瑶", "黎", "畲", "水", "仡佬",
    "纳西", "普米", "拉祜", "佤", "布朗", "独龙", "怒", "撒拉", "土", "东乡", "保安",
    "裕固", "锡伯", "达斡尔", "鄂伦春", "鄂温克", "毛南", "仫佬", "京", "各", "塔吉克",
)  # fmt: skip
_AUTONOMOUS = re.compile(
    "(?:(?:" + "|".join(sorted(ETHNIC, key=len, reverse=True)) + ")族?)+自治(?:区|州|县|旗)$"
)
_SUFFIXES = (
    "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区",
    "新区", "林区", "特区", "省", "市", "区", "县", "旗", "盟",
)  # fmt: skip
# Shanghai districts merged away (闸北 2015, 卢湾 2011, 南汇 2009) and 崇明县 (a district since
# 2016): still in the names of firms registered before the change.
FORMER_SHANGHAI = ("闸北区", "卢湾区", "南汇区", "崇明县")


def short_forms(name: str) -> list[str]:
    """The names a division goes by in enterprise names: full, and without its suffix."""
    forms = [name]
    m = _AUTONOMOUS.search(name)
    if m and m.start() >= 2:
        forms.append(name[: m.start()])
    else:
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                forms.append(name[: -len(suffix)])
                break
    return forms


def build_places(pca: Path) -> list[tuple[int, int, list[str]]]:
    """Divisions as (id, parent id, forms); id 1 is 中国, the root."""
    units: dict[tuple[str, ...], int] = {(): 1}
    rows: list[tuple[int, int, list[str]]] = [(1, 0, ["中国"])]

    def add(path: tuple[str, ...]) -> None:
        if path in units:
            return
        parent = units[path[:-1]]
        units[path] = len(rows) + 1
        rows.append((units[path], parent, short_forms(path[-1])))

    with pca.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            path: tuple[str, ...] = (r["sheng"],)
            add(path)
            # A municipality is its own city (上海市 / 上海市): one unit, not two.
            if r["shi"] and r["shi"] != r["sheng"]:
                path = (*path, r["shi"])
                add(path)
            if r["qu"]:
                add((*path, r["qu"]))
    for qu in FORMER_SHANGHAI:
        add(("上海市", qu))
    return rows


# --- brands -----------------------------------------------------------------------------------
def is_held_out(word: str) -> bool:
    """One brand in ten, fixed by its hash, is kept out of the build: the evaluation brands."""
    return int(hashlib.sha1(word.encode("utf-8")).hexdigest(), 16) % 10 == 0


_HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def lines(path: Path, encoding: str = "utf-8") -> list[str]:
    # splitlines: THUOCL_diming.txt ends its lines with CR alone.
    return [s.strip() for s in path.read_text(encoding=encoding).splitlines() if s.strip()]


def split_suffixes(suffixes: Iterable[str]) -> tuple[set[str], set[str]]:
    forms = set(CORE_FORMS)
    industries: set[str] = set()
    by_length = sorted(CORE_FORMS, key=len, reverse=True)
    for s in suffixes:
        if s in forms or s in DROP_SUFFIXES:
            continue
        core = next((c for c in by_length if s.endswith(c) and len(s) > len(c)), None)
        if core is None:
            industries.add(s)  # 电子产品, 数码: industry words in the suffix list
        elif len(s) - len(core) >= 2:
            industries.add(s[: -len(core)])
        else:
            forms.add(s)
    return forms, industries


def write_lines(path: Path, items: Iterable[str], header: str) -> None:
    path.write_text(header + "".join(f"{x}\n" for x in items), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--brands", action="store_true", help="also write company_brands.txt.gz")
    ap.add_argument("--composed", type=int, default=1000, help="composed labelled names")
    ap.add_argument("--out", type=Path, default=OUT, help="dictionary folder")
    ap.add_argument("--labelled", type=Path, default=LABELLED, help="labelled names file")
    args = ap.parse_args(argv)
    out, labelled = args.out, args.labelled
    src = args.shared / "companyname_dicts"
    if not src.is_dir():
        print(f"not found: {src}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)

    places = build_places(src / "pca.csv")
    place_forms = {f for _, _, names in places for f in names}
    with (out / "company_places.tsv").open("w", encoding="utf-8") as fh:
        fh.write("# id\tparent\tnames (full name first); built by scripts/build_company_dicts.py\n")
        for uid, parent, names in places:
            fh.write(f"{uid}\t{parent}\t{' '.join(names)}\n")

    forms, suffix_industries = split_suffixes(lines(src / "suffix.txt"))
    write_lines(
        out / "company_org_forms.txt",
        sorted(forms),
        "# organisation forms; built by scripts/build_company_dicts.py\n",
    )

    trades = set(lines(src / "trade.txt")) | suffix_industries | set(EXTRA_TRADES)
    industries = sorted(
        t
        for t in trades
        if len(t) >= 2 and t not in DROP_TRADES and t not in place_forms and _HAN.match(t)
    )
    write_lines(
        out / "company_industries.txt",
        industries,
        "# industry words; built by scripts/build_company_dicts.py\n",
    )

    brands = lines(src / "brand.txt")
    build = sorted({b for b in brands if not is_held_out(b)})
    held_out = sorted({b for b in brands if is_held_out(b)})
    if args.brands:
        data = "".join(f"{b}\n" for b in build).encode("utf-8")
        # mtime=0: the same input gives the same bytes.
        (out / "company_brands.txt.gz").write_bytes(gzip.compress(data, 9, mtime=0))

    towns = [t for t in lines(src / "THUOCL_diming.txt", "utf-8-sig") if t]
    towns = [t.split("\t")[0] for t in towns]
    towns = sorted({t for t in towns if _HAN.match(t) and t.endswith("镇") and 3 <= len(t) <= 4})
    n_pool = sum(clean_brand(b, set(industries), forms, place_forms) for b in held_out)
    composed = compose_labelled(
        args.composed, places, sorted(forms), industries, held_out, towns, place_forms
    )
    hand = []
    if labelled.exists():
        with labelled.open(encoding="utf-8") as fh:
            hand = [row for line in fh if (row := json.loads(line)).get("set") == "hand"]
    labelled.parent.mkdir(parents=True, exist_ok=True)
    with labelled.open("w", encoding="utf-8") as fh:
        for row in composed + hand:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(
        f"places {len(places)} units ({len(place_forms)} names), org forms {len(forms)}, "
        f"industries {len(industries)}, brands {len(build)} build / {len(held_out)} held out, "
        f"labelled {len(composed)} composed + {len(hand)} hand"
        f" (brands usable in composed names: {n_pool})"
    )
    return 0


# --- the composed labelled set ----------------------------------------------------------------
def clean_brand(b: str, industries: set[str], forms: set[str], place_forms: set[str]) -> bool:
    """A held-out brand usable as a trade name (字号) in a composed name.

    Registered trade names are two or more Chinese characters and do not contain an industry
    or a county-level-or-above place name (企业名称登记管理规定); brand.txt entries that break
    this (阿坝旅游, 嘉信灯饰, 江铃集团) have no single right label in a composed name.
    """
    if not (2 <= len(b) <= 4 and _HAN.match(b)):
        return False
    for i in range(len(b)):
        for j in range(i + 2, len(b) + 1):
            part = b[i:j]
            if (i == 0 or j == len(b)) and part in industries:
                return False
            if part in forms and len(part) >= 2:
                return False
            if i == 0 and part in place_forms:
                return False
    return True


ORG_WEIGHTS = {
    "有限公司": 40, "有限责任公司": 6, "股份有限公司": 6, "公司": 4, "集团有限公司": 2,
    "（集团）有限公司": 1, "厂": 5, "商行": 4, "经营部": 5, "商店": 3, "店": 3,
    "门市部": 2, "服务部": 2, "工作室": 2, "中心": 1, "合作社": 1, "超市": 1,
}  # fmt: skip
SHOP_FORMS = ("商店", "经营部", "店", "商行", "门市部", "便利店", "服务部", "工作室")


def compose_labelled(
    n: int,
    places: list[tuple[int, int, list[str]]],
    forms: list[str],
    industries: list[str],
    held_out: list[str],
    towns: list[str],
    place_forms: set[str],
) -> list[dict[str, str]]:
    r = random.Random(20261126)
    industry_set, form_set = set(industries), set(forms)
    pool = [b for b in held_out if clean_brand(b, industry_set, form_set, place_forms)]
    # Industry words that end in a form (平价超市, 会展中心) would make the form's place
    # in a composed name a matter of taste; compose with the others.
    industries = [w for w in industries if not w.endswith(tuple(forms))]
    by_id = {uid: (parent, names) for uid, parent, names in places}
    children: dict[int, list[int]] = {}
    for uid, parent, _ in places:
        children.setdefault(parent, []).append(uid)
    shanghai = next(uid for uid, _, names in places if names[0] == "上海市")
    sh_districts = children[shanghai]
    provinces = [u for u in children[1] if u != shanghai]
    org_names = list(ORG_WEIGHTS)
    org_w = list(ORG_WEIGHTS.values())

    def name_of(uid: int, short: bool) -> str:
        names = by_id[uid][1]
        return names[-1] if short else names[0]

    def place() -> str:
        k = r.random()
        short = r.random() < 0.4
        if k < 0.45:  # Shanghai: 上海 / 上海市 / 上海市浦东新区 / 上海浦东 / 浦东新区
            d = r.choice(sh_districts)
            return r.choice(
                ["上海", "上海市", "上海市" + name_of(d, False), "上海" + name_of(d, True)]
            )
        prov = r.choice(provinces)
        subs = children.get(prov, [])
        if k < 0.6 or not subs:
            return name_of(prov, short)
        city = r.choice(subs)
        if k < 0.8:
            return name_of(prov, short) + name_of(city, short)
        if k < 0.9:
            return name_of(city, short)
        dists = children.get(city, [])
        if not dists:
            return name_of(prov, short) + name_of(city, short)
        return name_of(city, False) + name_of(r.choice(dists), False)

    def industry() -> str:
        k = r.random()
        count = 0 if k < 0.1 else 1 if k < 0.75 else 2
        return "".join(r.choice(industries) for _ in range(count))

    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(rows) < n:
        brand = r.choice(pool)
        ind = industry()
        t = r.random()
        pl, org, branch, name = "", r.choices(org_names, org_w)[0], "", ""
        if t < 0.55:
            pl = place()
            name = pl + brand + ind + org
        elif t < 0.67:
            pl = r.choice(["中国", "上海", "上海", "江苏", "浙江", "苏州", "宁波", "深圳"])
            org = r.choice(["有限公司", "有限公司", "股份有限公司", "有限责任公司"])
            name = f"{brand}{ind}（{pl}）{org}"
        elif t < 0.72:
            pl = r.choice(["中国", "上海", "江苏", "杭州"])
            ind = ind or r.choice(industries)
            org = "有限公司"
            name = f"{brand}（{pl}）{ind}{org}"
        elif t < 0.8:
            pl = place()
            org = r.choice(["有限公司", "股份有限公司", "有限责任公司"])
            d = r.choice(sh_districts)
            branch = r.choice(
                [name_of(d, True), name_of(d, False), "第一", "第二", "上海", "北京"]
            ) + r.choice(["分公司", "分公司", "分店", "营业部"])
            name = pl + brand + ind + org + branch
        elif t < 0.9:
            name = brand + ind + org
        elif t < 0.95:
            d = r.choice(sh_districts)
            pl = r.choice(["", "上海市"]) + name_of(d, False)
            if towns and r.random() < 0.3:
                pl += r.choice(towns)
            org = r.choice(SHOP_FORMS) + "（个体工商户）"
            ind = ind or r.choice(industries)
            name = pl + brand + ind + org
        else:
            pl = place()
            ind = ind or r.choice(industries)
            org = ""
            name = pl + brand + ind
        if name in seen:
            continue
        seen.add(name)
        shown = name
        if "（" in name and r.random() < 0.2:  # half-width brackets, as often typed
            shown = name.replace("（", "(").replace("）", ")")
        rows.append(
            {
                "set": "composed",
                "name": shown,
                "place": pl,
                "brand": brand,
                "industry": ind,
                "org_form": org,
                "branch": branch,
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
