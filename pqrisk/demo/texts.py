"""Chinese text templates for demo records: consumer voice, hospital notes, news and posts.

Background and injected records go through the same functions, so an injected record can
only be told apart by its counts, never by its wording.
"""

from __future__ import annotations

import random
from datetime import date

from pqrisk.demo.scenarios import HAZARD_SHORT, HAZARD_SYMPTOMS, Scenario
from pqrisk.demo.words import PURCHASE_PLACES

CONSEQUENCES: dict[str | None, tuple[str, ...]] = {
    "fire": (
        "所幸发现及时没有造成人员伤亡",
        "家里的窗帘和沙发被烧坏",
        "楼道墙面被熏黑，邻居都吓坏了",
        "消防员到场后才把火扑灭",
        "造成财产损失约{amt}元",
    ),
    "electric_shock": (
        "手臂发麻了好一阵",
        "吓得再也不敢用了",
        "家里漏电保护器跳闸了",
        "孩子被电得大哭",
    ),
    "burns": ("手背起了好几个水泡", "孩子被烫伤后送医治疗", "皮肤红肿疼痛了好几天"),
    "choking": (
        "幸好及时发现，从孩子嘴里抠了出来",
        "孩子被送到医院检查",
        "孩子剧烈咳嗽，吓坏了全家",
    ),
    "suffocation": ("幸好大人及时发现",),
    "strangulation": ("孩子脖子上留下了勒痕", "幸亏老师及时发现", "孩子受到很大惊吓"),
    "mechanical": ("手指被夹得红肿", "差点伤到孩子"),
    "cuts": ("伤口缝了三针", "流了很多血"),
    "falls": ("膝盖和手肘都摔破了", "到医院拍片显示骨折", "人被摔出去好几米"),
    "chemical": ("孩子皮肤出现红疹", "家人一直咳嗽嗓子疼", "自费送检花了{amt}元"),
    "explosion": ("赶紧开窗通风并关闭总阀", "物业和燃气公司都来了", "厨房玻璃被震碎"),
    "noise": ("晚上根本没法睡觉",),
    "radiation": ("孩子说眼睛疼",),
    "microbiological": ("不敢再用了",),
    "environment": ("担心影响健康",),
    None: ("严重影响正常使用", "感觉上当受骗", "耽误了不少事情"),
}
QUALITY_ISSUES = (
    "用了不到一个月就坏了",
    "实际参数与宣传严重不符",
    "外观有明显划痕和裂缝",
    "收到货就无法正常使用",
    "做工粗糙，接口松动",
    "说明书和合格证都没有",
    "包装上没有厂名厂址",
)
RESPONSES = (
    "商家以人为使用不当为由拒绝退货",
    "客服一直推诿不处理",
    "商家只同意退一半货款",
    "平台至今没有答复",
    "商家说要寄回检测，之后就没有下文",
    "店铺已经关闭联系不上",
    "对方态度恶劣，拒绝任何赔偿",
)
DEMANDS = (
    "退货退款并赔偿损失",
    "按照消费者权益保护法给予三倍赔偿",
    "召回同批次问题产品",
    "对该产品进行抽检并依法处理",
    "赔偿医疗费用",
    "退一赔三",
)
PRICES = (69, 129, 199, 259, 399, 899, 1599)
NEWS_FOLLOW_UPS = (
    "记者联系了销售商家，对方表示将配合调查",
    "当地市场监管部门已介入调查",
    "目前涉事产品已被下架",
)
NEWS_ADVICE = (
    "专家提醒，消费者应通过正规渠道购买有3C标志的产品",
    "市场监管部门提示，发现产品存在安全隐患应立即停止使用",
    "业内人士表示，低价产品往往在关键安全部件上偷工减料",
)
WHO = ("孩子", "老人", "我爱人", "我母亲", "家里小朋友", "室友", "我自己")


def md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def symptom(rng: random.Random, scen: Scenario, hazard: str | None) -> str:
    if hazard is None:
        return rng.choice(QUALITY_ISSUES)
    own = scen.symptoms.get(hazard)
    if own and rng.random() < 0.75:
        return rng.choice(own)
    return rng.choice(HAZARD_SYMPTOMS[hazard])


def consequence(rng: random.Random, hazard: str | None) -> str:
    text = rng.choice(CONSEQUENCES.get(hazard) or CONSEQUENCES[None])
    return text.replace("{amt}", str(rng.choice((800, 1500, 2600, 3800, 5200, 12000))))


def product_label(brand: str, scen_name: str, model: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return f"{brand}牌{scen_name}（型号{model}）"
    if r < 0.8:
        return f"{brand}{scen_name}"
    return f"一款{scen_name}"


def complaint(
    rng: random.Random,
    scen: Scenario,
    product: str,
    hazard: str | None,
    bought: date,
    brand: str,
    model: str,
    seller: str | None,
) -> tuple[str, str]:
    """Return (title, text) in a consumer's voice."""
    sym = symptom(rng, scen, hazard)
    cons = consequence(rng, hazard)
    label = product_label(brand, product, model, rng)
    place = rng.choice(PURCHASE_PLACES) if seller is None else f"{seller}"
    usage = rng.choice(scen.usage)
    resp = rng.choice(RESPONSES)
    demand = rng.choice(DEMANDS)
    variant = rng.randrange(5)
    if variant == 0:
        text = (
            f"我于{md(bought)}在{place}购买了{label}，{usage}时{sym}，{cons}。"
            f"联系商家要求处理，{resp}。希望监管部门核查处理，{demand}。"
        )
    elif variant == 1:
        text = f"{md(bought)}购买的{label}，{sym}。{cons}。{resp}。诉求：{demand}。"
    elif variant == 2:
        target = seller or "商家"
        text = (
            f"投诉{target}：本人在其处购买的{label}存在严重质量问题，{usage}时{sym}。"
            f"{cons}，要求{demand}。"
        )
    elif variant == 3:
        text = (
            f"家里{rng.choice(WHO)}使用{product}{usage}时{sym}，{cons}。该产品是{md(bought)}"
            f"在{place}买的，{brand}品牌，型号{model}。怀疑产品质量不合格，请求检测并处理。"
        )
    else:
        text = (
            f"消费者反映：其在{place}购买{label}，使用中{sym}。{cons}。"
            f"消费者认为产品存在安全隐患，{resp}，现要求{demand}。"
        )
    short = HAZARD_SHORT[hazard] if hazard else "质量问题"
    title = rng.choice(
        (
            f"关于{brand}{product}{short}的投诉",
            f"{product}质量问题投诉",
            f"投诉{seller or '商家'}销售的{product}存在安全隐患",
            f"{product}{short}，要求{demand[:4]}",
        )
    )
    return title, text


AGE_RANGES = {"0-3": (1, 3), "4-6": (4, 6), "7-14": (7, 14), "15-59": (18, 59), "60+": (60, 88)}
DISPOSITIONS = {
    1: ("现场处理后离开", "急诊处理后离院"),
    2: ("门诊治疗后回家", "清创缝合后离院", "包扎处理后离院"),
    3: ("收治入院", "转入烧伤科住院治疗", "留院观察后收治入院"),
    4: ("经抢救无效死亡",),
}
INJURY_PLACES = ("家中", "家中卧室", "家中厨房", "小区楼道", "小区内", "学校", "公园", "马路上")


def injury(
    rng: random.Random,
    scen: Scenario,
    product: str,
    hazard: str,
    age_band: str,
    sex: str,
    injury_type: str,
    body_part: str,
    severity: int,
    hospital: str,
) -> tuple[str, str, str]:
    """Return (title, text, disposition) in the terse style of a sentinel-hospital report."""
    lo, hi = AGE_RANGES[age_band]
    age = rng.randint(lo, hi)
    who = f"患儿，{sex}，{age}岁" if age < 15 else f"患者，{sex}，{age}岁"
    place = rng.choice(INJURY_PLACES)
    sym = symptom(rng, scen, hazard)
    disposition = rng.choice(DISPOSITIONS[severity])
    text = (
        f"{who}。{place}使用{product}{rng.choice(scen.usage)}时{sym}，致{body_part}{injury_type}，"
        f"由家属送至{hospital}急诊。诊断：{body_part}{injury_type}。处置：{disposition}。"
    )
    title = f"伤害监测报告：{product}致{injury_type}"
    return title, text, disposition


def news(
    rng: random.Random,
    scen: Scenario,
    product: str,
    hazard: str | None,
    when: date,
    brand: str,
    district_name: str,
    town: str,
    site: str,
    author: str,
    surname: str,
) -> tuple[str, str]:
    short = HAZARD_SHORT[hazard] if hazard else "质量问题"
    sym = symptom(rng, scen, hazard)
    cons = consequence(rng, hazard)
    who = f"{surname}{rng.choice(('先生', '女士', '阿姨', '老伯'))}"
    title = rng.choice(
        (
            f"{district_name}一居民家中{product}{short}，{cons[:10]}",
            f"多名消费者反映{brand}{product}存在{short}隐患",
            f"{product}{short}事件频发，专家提醒选购认准3C标志",
            f"记者调查：网购{product}{short}，维权为何这么难",
        )
    )
    text = (
        f"{site}讯（{author}）{md(when)}，{district_name}{town}一小区内发生一起{product}{short}事件。"
        f"据居民{who}介绍，家中的{brand}牌{product}{rng.choice(scen.usage)}时{sym}，{cons}。"
        f"{rng.choice(NEWS_FOLLOW_UPS)}。{rng.choice(NEWS_ADVICE)}。"
    )
    return title, text


def post(
    rng: random.Random,
    scen: Scenario,
    product: str,
    hazard: str | None,
    bought: date,
    brand: str,
    model: str,
    seller: str | None,
    site: str,
) -> tuple[str, str]:
    short = HAZARD_SHORT[hazard] if hazard else "质量差"
    sym = symptom(rng, scen, hazard)
    cons = consequence(rng, hazard)
    if site == "黑猫投诉":
        title = f"{brand}{product}{short}，商家拒不处理"
        text = (
            f"【投诉对象】{seller or brand + '官方旗舰店'}【投诉问题】{short}【投诉要求】"
            f"{rng.choice(DEMANDS)}【涉诉金额】{rng.choice(PRICES)}元。"
            f"{md(bought)}购买的{brand}{product}（{model}），{sym}，{cons}。{rng.choice(RESPONSES)}。"
        )
        return title, text
    title = rng.choice(
        (f"避雷！{brand}{product}", f"{product}{short}了，大家注意", f"#{product}# 真的后怕")
    )
    text = (
        f"避雷！{md(bought)}在{rng.choice(PURCHASE_PLACES)}买的{brand}{product}，{sym}！！{cons}。"
        f"{rng.choice(RESPONSES)}。大家千万别买这个牌子了 #{product}# #消费维权#"
    )
    return title, text
