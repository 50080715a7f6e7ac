"""Chinese summary fields of a foreign alert, by rule: names from tables, never a machine
translation. Pure Python (no Django), so the tables can be checked and reused anywhere.

- Safety Gate risk types and product categories → the Chinese terms our bureau uses (the
  categories follow the product families of pqrisk/taxonomy/data/product_catalogue.csv where
  one fits).
- Countries: ISO 3166-1 alpha-2 code or English short name → Chinese short name (GB/T 2659
  usage); Hong Kong, Macao and Taiwan are named as regions of China, as our documents must.
- Measures: the phrases Safety Gate and CPSC use for what was done ("Withdrawal of the product
  from the market", "Recall of the product from end users", "Refund") → Chinese phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

RISK_TYPE_ZH: dict[str, str] = {
    "Abrasion": "擦伤",
    "Asphyxiation": "窒息（缺氧）",
    "Burns": "烧烫伤",
    "Chemical": "化学危害",
    "Choking": "吞咽哽噎",
    "Cuts": "割伤",
    "Damage to hearing": "听力损伤",
    "Damage to sight": "视力损伤",
    "Drowning": "溺水",
    "Electric shock": "触电",
    "Electromagnetic disturbance": "电磁干扰",
    "Entrapment": "夹持卡陷",
    "Environment": "环境危害",
    "Explosion": "爆炸",
    "Fire": "火灾",
    "Health risk": "健康危害",
    "Health risk / other": "健康危害（其他）",
    "Hearing damage": "听力损伤",
    "Injuries": "机械伤害",
    "Microbiological": "微生物危害",
    "Other": "其他",
    "Security": "信息安全",
    "Smoke inhalation": "烟气吸入",
    "Strangulation": "勒颈",
    "Suffocation": "闷堵窒息",
}

CATEGORY_ZH: dict[str, str] = {
    "barbecue": "烧烤用具",
    "car accessories": "汽车配件",
    "chemical products": "化学产品",
    "childcare articles and children's equipment": "儿童护理用品及儿童用具",
    "children's accessories": "儿童饰品及配件",
    "clothing, textiles and fashion items": "服装、纺织品及时尚用品",
    "communication and media equipment": "通信及影音设备",
    "construction products": "建筑产品",
    "cosmetics": "化妆品",
    "decorative articles": "装饰品",
    "electrical appliances and equipment": "电器及设备",
    "explosive atmospheres equipment": "爆炸性环境用设备",
    "furniture": "家具",
    "gadgets": "小器具",
    "garden products": "园艺用品",
    "gas appliances and components": "燃气器具及配件",
    "hand tools": "手动工具",
    "hobby/sports equipment": "文体及运动器材",
    "jewellery": "首饰",
    "kitchen/cooking accessories": "厨房及烹饪用品",
    "ladders/step stools": "梯子及踏凳",
    "laser pointers": "激光笔",
    "lighters": "打火机",
    "lighting chains": "灯串",
    "lighting equipment": "照明设备",
    "machinery": "机械",
    "measuring instruments": "测量仪器",
    "motor vehicles": "机动车辆",
    "personal accessories": "个人配饰",
    "personal care": "个人护理用品",
    "phone accessories": "手机配件",
    "pressure equipment": "压力设备",
    "pressure equipment/vessels": "压力设备及容器",
    "protective equipment": "防护用品",
    "pyrotechnic articles": "烟花爆竹",
    "recreational crafts": "休闲船艇",
    "sky lantern": "孔明灯",
    "stationery": "文具",
    "tableware for children": "儿童餐具",
    "toys": "玩具",
    "tyres": "轮胎",
}

# ISO 3166-1 alpha-2 → (Chinese short name, English names as alerts write them).
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CN": ("中国", ("China", "People's Republic of China", "PRC", "P.R. China", "Mainland China")),
    "HK": ("中国香港", ("Hong Kong", "Hong Kong SAR", "Hong Kong, China")),
    "MO": ("中国澳门", ("Macao", "Macau", "Macao SAR")),
    "TW": ("中国台湾", ("Taiwan", "Taiwan, Province of China", "Chinese Taipei")),
    "AT": ("奥地利", ("Austria",)),
    "BE": ("比利时", ("Belgium",)),
    "BG": ("保加利亚", ("Bulgaria",)),
    "HR": ("克罗地亚", ("Croatia",)),
    "CY": ("塞浦路斯", ("Cyprus",)),
    "CZ": ("捷克", ("Czechia", "Czech Republic")),
    "DK": ("丹麦", ("Denmark",)),
    "EE": ("爱沙尼亚", ("Estonia",)),
    "FI": ("芬兰", ("Finland",)),
    "FR": ("法国", ("France",)),
    "DE": ("德国", ("Germany",)),
    "GR": ("希腊", ("Greece",)),
    "HU": ("匈牙利", ("Hungary",)),
    "IE": ("爱尔兰", ("Ireland",)),
    "IT": ("意大利", ("Italy",)),
    "LV": ("拉脱维亚", ("Latvia",)),
    "LT": ("立陶宛", ("Lithuania",)),
    "LU": ("卢森堡", ("Luxembourg",)),
    "MT": ("马耳他", ("Malta",)),
    "NL": ("荷兰", ("Netherlands", "The Netherlands", "Holland")),
    "PL": ("波兰", ("Poland",)),
    "PT": ("葡萄牙", ("Portugal",)),
    "RO": ("罗马尼亚", ("Romania",)),
    "SK": ("斯洛伐克", ("Slovakia", "Slovak Republic")),
    "SI": ("斯洛文尼亚", ("Slovenia",)),
    "ES": ("西班牙", ("Spain",)),
    "SE": ("瑞典", ("Sweden",)),
    "IS": ("冰岛", ("Iceland",)),
    "LI": ("列支敦士登", ("Liechtenstein",)),
    "NO": ("挪威", ("Norway",)),
    "CH": ("瑞士", ("Switzerland",)),
    "GB": ("英国", ("United Kingdom", "UK", "Great Britain", "Northern Ireland")),
    "TR": ("土耳其", ("Turkey", "Türkiye", "Turkiye")),
    "RS": ("塞尔维亚", ("Serbia",)),
    "UA": ("乌克兰", ("Ukraine",)),
    "RU": ("俄罗斯", ("Russia", "Russian Federation")),
    "BY": ("白俄罗斯", ("Belarus",)),
    "US": ("美国", ("United States", "USA", "U.S.", "United States of America", "US")),
    "CA": ("加拿大", ("Canada",)),
    "MX": ("墨西哥", ("Mexico",)),
    "BR": ("巴西", ("Brazil",)),
    "AU": ("澳大利亚", ("Australia",)),
    "NZ": ("新西兰", ("New Zealand",)),
    "JP": ("日本", ("Japan",)),
    "KR": ("韩国", ("South Korea", "Korea", "Republic of Korea", "Korea, Republic of")),
    "IN": ("印度", ("India",)),
    "PK": ("巴基斯坦", ("Pakistan",)),
    "BD": ("孟加拉国", ("Bangladesh",)),
    "LK": ("斯里兰卡", ("Sri Lanka",)),
    "VN": ("越南", ("Vietnam", "Viet Nam")),
    "TH": ("泰国", ("Thailand",)),
    "MY": ("马来西亚", ("Malaysia",)),
    "SG": ("新加坡", ("Singapore",)),
    "ID": ("印度尼西亚", ("Indonesia",)),
    "PH": ("菲律宾", ("Philippines",)),
    "KH": ("柬埔寨", ("Cambodia",)),
    "MM": ("缅甸", ("Myanmar",)),
    "AE": ("阿联酋", ("United Arab Emirates", "UAE")),
    "SA": ("沙特阿拉伯", ("Saudi Arabia",)),
    "IL": ("以色列", ("Israel",)),
    "EG": ("埃及", ("Egypt",)),
    "MA": ("摩洛哥", ("Morocco",)),
    "TN": ("突尼斯", ("Tunisia",)),
    "ZA": ("南非", ("South Africa",)),
}
_BY_NAME: dict[str, str] = {}
for _code, (_zh, _names) in COUNTRIES.items():
    _BY_NAME[_code.casefold()] = _code
    _BY_NAME[_zh] = _code
    for _name in _names:
        _BY_NAME[_name.casefold()] = _code
UNKNOWN_ZH = "未知"


def country_code(name: str) -> str:
    """The ISO alpha-2 code of a country name or code we know, else ""."""
    text = " ".join((name or "").split()).strip(" .")
    return _BY_NAME.get(text.casefold(), "") or _BY_NAME.get(text, "")


def country_zh(name_or_code: str) -> str:
    """The Chinese short name of a country ("Germany", "DE" → 德国); "" for none, 未知 for a
    name we do not know (the English stays on the page beside it)."""
    if not (name_or_code or "").strip():
        return ""
    code = country_code(name_or_code)
    return COUNTRIES[code][0] if code else UNKNOWN_ZH


def risk_types_zh(risk_types: Iterable[str]) -> str:
    return "、".join(dict.fromkeys(RISK_TYPE_ZH.get(r, r) for r in risk_types if r))


def category_zh(category: str) -> str:
    return CATEGORY_ZH.get((category or "").strip().casefold(), "") if category else ""


# (pattern, Chinese) in the order the phrases are reported.
MEASURE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), zh)
    for pattern, zh in (
        (r"recall", "从消费者处召回"),
        (r"withdraw", "从市场撤回（下架）"),
        (
            r"reject\w*\s+(?:at|by)\s+(?:the\s+)?(?:border|customs)|import\s+(?:was\s+)?rejected|border\s+rejection",
            "拒绝入境",
        ),
        (r"destr(?:uction|oy)", "销毁"),
        (
            r"ban\s+on\s+(?:the\s+)?(?:marketing|sales?)|sales?\s+ban|stop\s+of\s+sales|prohibit",
            "禁止销售",
        ),
        (
            r"remov\w*\s+(?:of\s+)?(?:the\s+)?(?:listing|offer)|online\s+(?:marketplace|platform)",
            "电商平台下架",
        ),
        (r"warning|warn\s+consumers|inform\w*\s+consumers", "向消费者发出警示"),
        (r"marking|label(?:l)?ing", "加贴警示标识"),
        (r"refund", "退款"),
        (r"repair", "维修"),
        (r"replace", "更换"),
        (r"dispos", "按说明处置"),
    )
)


def measures_zh(text: str) -> str:
    """The measures as Chinese phrases ("Withdrawal of the product from the market; Recall of
    the product from end users" → 从消费者处召回、从市场撤回（下架）), with who ordered them;
    "" when none is named, 未说明 when the text names none we know."""
    text = (text or "")[:5000]
    if not text.strip():
        return ""
    found = [zh for pattern, zh in MEASURE_RULES if pattern.search(text)]
    if not found:
        return "未说明（见原文）"
    out = "、".join(dict.fromkeys(found))
    lowered = text.casefold()
    if "compulsory" in lowered or "ordered by" in lowered:
        out += "（主管部门责令）"
    elif "voluntary" in lowered:
        out += "（经营者自愿）"
    return out[:300]
