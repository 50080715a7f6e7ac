"""Synthetic irrelevant texts: what a media feed carries besides product-safety risks.

A city media firehose is mostly not about product risk: shop promotions, happy buyers,
second-hand sales, traffic and weather, community events, company news, job ads, spam and the
regulator's own meetings. These templates write such texts in the same Shanghai setting as the
demo generator (same districts, streets, brands, outlets and product names), so that a
relevance classifier cannot learn "names a product" or "names a district" as "is a risk".

They are the negative class for the relevance model (``scripts/train_models.py``). They are
made up, not collected: a model trained on them learns the difference between these templates
and real risk texts, which is a start, not a measurement of real-world precision
(docs/screening.md says what was and was not measured).

``noise_items(seed, n)`` is deterministic: the same arguments give the same texts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from itertools import accumulate

from pqrisk.demo.scenarios import SCENARIOS
from pqrisk.demo.words import (
    BRAND_WORDS,
    DISTRICT_NAMES,
    DISTRICT_PLACES,
    MEDIA_SITES,
    NETIZEN_NAMES,
    NEWS_AUTHORS,
    PURCHASE_PLACES,
    SURNAMES,
)

PRODUCTS = tuple(s.names[0] for s in SCENARIOS)
DISTRICTS = tuple(DISTRICT_NAMES.items())

PRAISE = (
    "做工很扎实",
    "颜值很高，放在家里很搭",
    "用了一个多月了，一切正常",
    "操作简单，老人也会用",
    "性价比很高",
    "包装很用心，物流也快",
    "客服态度很好，有问必答",
    "比之前那台好用多了",
    "声音很小，晚上用也不吵",
    "功能比想象的多",
    "安装师傅很专业，半小时就装好了",
    "比实体店便宜了一百多",
)
RECOMMEND = (
    "推荐给大家",
    "已经回购第二台了",
    "准备再给爸妈买一个",
    "姐妹们可以冲",
    "总体很满意，五星好评",
    "有需要的朋友可以看看",
)
PROMOTIONS = (
    "全场满300减50",
    "前100名下单赠送收纳包",
    "以旧换新最高补贴200元",
    "限时八折",
    "第二件半价",
    "直播间专享价再减30元",
    "会员积分可抵现金",
    "下单即送延保一年",
)
FEATURES = (
    "新款外观更小巧",
    "新增智能预约功能",
    "支持手机App远程控制",
    "推出莫兰迪配色",
    "能效等级提升到一级",
    "容量升级",
    "采用新工艺，手感更好",
    "推出联名限定款",
)
WEATHER = (
    "多云到阴，午后局部有阵雨",
    "晴到多云，早晚温差较大",
    "阴有小雨，体感偏凉",
    "晴，紫外线较强",
    "多云，有轻度霾",
    "阴转小到中雨，傍晚雨势减弱",
)
EVENTS = (
    "社区邻里节",
    "广场舞展演",
    "亲子读书会",
    "非遗手作体验活动",
    "社区健康义诊",
    "垃圾分类知识竞赛",
    "老年书画展",
    "青年草坪音乐会",
    "跳蚤市场",
    "中秋游园会",
)
SPORTS = (
    "全民健身半程马拉松",
    "社区篮球联赛",
    "青少年足球邀请赛",
    "滨江夜跑活动",
    "乒乓球友谊赛",
    "龙舟邀请赛",
)
MEETINGS = (
    "党风廉政建设工作会议",
    "年度工作总结表彰大会",
    "优化营商环境座谈会",
    "知识产权宣传周启动仪式",
    "标准化工作推进会",
    "计量工作专题培训",
    "市场主体登记便利化改革推进会",
    "青年干部读书分享会",
    "“世界计量日”主题宣传活动",
    "政务服务窗口业务培训",
)
COMPANY_NEWS = (
    "新建生产线正式投产，预计年产值增加一亿元",
    "入选本市“专精特新”中小企业名单",
    "与本市一所高校签署产学研合作协议",
    "举行成立二十周年庆祝活动",
    "发布年度社会责任报告",
    "完成新一轮融资，将用于研发和渠道建设",
    "新总部大楼落成启用",
    "获评本区纳税信用A级企业",
    "在行业展会上发布多款新品",
    "举办开放日活动，邀请市民参观生产车间",
)
JOBS = (
    "销售代表",
    "仓库管理员",
    "电商运营",
    "售后客服",
    "质检员",
    "设计助理",
    "会计",
    "配送司机",
)
SPAM = (
    "加微信领取新人红包，先到先得",
    "兼职打字员，在家就能做，日结工资",
    "低价代购各种大牌，正品保证，私聊",
    "点击链接免费领取流量，限时三天",
    "关注本号，每天分享省钱小妙招",
    "扫码进群，每晚八点抢优惠券",
)
FOOD = (
    "新开的本帮菜馆",
    "弄堂里的生煎店",
    "网红面包店",
    "老字号糕团店",
    "社区食堂",
    "小馄饨店",
)
TRAVEL = (
    "滨江步道",
    "古镇",
    "郊野公园",
    "植物园",
    "美术馆",
    "湿地公园",
)
TRAFFIC = (
    "因道路管线施工，将实施交通管制，请过往车辆提前绕行",
    "新增一条公交线路，方便居民出行",
    "地铁站新出入口正式启用",
    "非机动车停车场改造完成，新增车位三百余个",
    "早高峰车流量较大，请合理安排出行时间",
)
POLICY = (
    "发布今年小学、初中入学报名工作安排",
    "启动老旧小区加装电梯意见征集",
    "公布新一批养老服务机构名单",
    "推出社区托育服务点，首批开放十个",
    "开展高龄老人长期护理保险宣传",
    "公布夏季游泳场馆开放时间",
)
EVENT_QUOTES = (
    "活动很热闹，明年还来",
    "孩子玩得很开心",
    "家门口就有这么好的活动",
    "认识了不少邻居",
)
MEETING_AIMS = ("进一步提升服务效能", "加强队伍建设", "压实工作责任", "推动各项工作落地见效")
MEETING_ATTENDEES = ("局领导班子成员参加会议", "各科室负责人参加会议", "各街镇分管负责人参加会议")
COMPANY_PLANS = (
    "将继续加大研发投入",
    "将扩大本地招聘",
    "将进一步拓展海外市场",
    "感谢各级部门的支持",
)
JOB_TERMS = ("五险一金，双休", "包吃住，月薪6000-9000元", "有相关经验者优先", "应届生可投")
PARK_SIGHTS = ("银杏叶黄了", "樱花开得正好", "草坪很大适合野餐")
POLICY_ENDINGS = (
    "具体办法可在区政府网站查询",
    "居民可就近到社区事务受理中心咨询",
    "有关安排将另行通知",
)
SECOND_HAND = ("九成新", "只用过几次", "搬家出", "闲置", "全新未拆封")


def _place(r: random.Random) -> tuple[str, str, str]:
    code, district = r.choice(DISTRICTS)
    towns, roads = DISTRICT_PLACES.get(code, (("街道",), ("路",)))
    return district, r.choice(towns), r.choice(roads)


def _md(r: random.Random) -> str:
    return f"{r.randint(1, 12)}月{r.randint(1, 28)}日"


def _site(r: random.Random) -> str:
    return r.choice(MEDIA_SITES)[0]


def _promotion(r: random.Random) -> tuple[str, str]:
    brand, product = r.choice(BRAND_WORDS), r.choice(PRODUCTS)
    title = r.choice(
        (
            f"{brand}{product}新品上市，{r.choice(PROMOTIONS)}",
            f"{brand}官方旗舰店年中大促",
            f"{product}选购季：{brand}{r.choice(FEATURES)}",
        )
    )
    text = (
        f"{brand}牌{product}{r.choice(FEATURES)}。即日起至{_md(r)}，"
        f"在{r.choice(PURCHASE_PLACES)}下单{'，'.join(r.sample(PROMOTIONS, 2))}。"
        f"{r.choice(('详情咨询门店', '数量有限，售完即止', '具体以页面为准'))}。"
    )
    return title, text


def _review(r: random.Random) -> tuple[str, str]:
    brand, product = r.choice(BRAND_WORDS), r.choice(PRODUCTS)
    title = r.choice(
        (f"晒单：{brand}{product}", f"{product}使用一个月感受", f"{brand}{product}好评")
    )
    text = (
        f"{_md(r)}在{r.choice(PURCHASE_PLACES)}买的{brand}{product}，{r.choice(PRAISE)}，"
        f"{r.choice(PRAISE)}。{r.choice(RECOMMEND)}。"
    )
    return title, text


def _second_hand(r: random.Random) -> tuple[str, str]:
    brand, product = r.choice(BRAND_WORDS), r.choice(PRODUCTS)
    district, town, _ = _place(r)
    title = f"出{r.choice(SECOND_HAND)}{brand}{product}"
    text = (
        f"{r.choice(SECOND_HAND)}{brand}{product}，{r.choice(PRAISE)}，"
        f"{r.choice((80, 120, 150, 200, 350, 600))}元，{district}{town}自提，不议价。"
    )
    return title, text


def _weather(r: random.Random) -> tuple[str, str]:
    district, _, _ = _place(r)
    lo = r.randint(-2, 26)
    hi = lo + r.randint(3, 9)
    title = f"{r.choice(('明天', '周末', '今天'))}上海{r.choice(WEATHER)[:4]}"
    text = (
        f"据上海中心气象台消息，{_md(r)}本市{r.choice(WEATHER)}，气温{lo}到{hi}℃，"
        f"{r.choice(('东南风3-4级', '偏北风4-5级', '风力不大'))}。{district}"
        f"{r.choice(('午后有短时强降水', '早晨有雾', '夜间气温下降明显'))}，市民出行请注意。"
    )
    return title, text


def _traffic(r: random.Random) -> tuple[str, str]:
    district, town, road = _place(r)
    title = f"{district}{road}{r.choice(('交通管制', '出行提示', '公交调整'))}"
    text = f"{_md(r)}起，{district}{town}{road}{r.choice(TRAFFIC)}。"
    return title, text


def _event(r: random.Random) -> tuple[str, str]:
    district, town, _ = _place(r)
    event = r.choice(EVENTS + SPORTS)
    author = r.choice(NEWS_AUTHORS)
    title = f"{district}{town}举办{event}"
    text = (
        f"{_site(r)}讯（{author}）{_md(r)}，{district}{town}举办{event}，"
        f"吸引了{r.randint(2, 30) * 50}余名居民参加。{r.choice(SURNAMES)}"
        f"{r.choice(('阿姨', '先生', '女士', '老伯'))}说：“"
        f"{r.choice(EVENT_QUOTES)}。”"
    )
    return title, text


def _meeting(r: random.Random) -> tuple[str, str]:
    district, _, _ = _place(r)
    body = r.choice(
        (
            f"{district}市场监督管理局",
            "上海市市场监督管理局",
            f"{district}人民政府",
            f"{district}商务委",
        )
    )
    meeting = r.choice(MEETINGS)
    title = f"{body}召开{meeting}"
    text = (
        f"{_md(r)}，{body}召开{meeting}。会议总结了前一阶段工作，部署了下一步重点任务，"
        f"要求{r.choice(MEETING_AIMS)}。"
        f"{r.choice(MEETING_ATTENDEES)}。"
    )
    return title, text


def _company(r: random.Random) -> tuple[str, str]:
    brand = r.choice(BRAND_WORDS)
    district, town, _ = _place(r)
    company = f"上海{brand}{r.choice(('电器', '实业', '科技', '日用品', '玩具', '服饰'))}有限公司"
    news = r.choice(COMPANY_NEWS)
    title = f"{company}{news.split('，')[0]}"
    text = (
        f"{_md(r)}，位于{district}{town}的{company}{news}。企业负责人表示，"
        f"{r.choice(COMPANY_PLANS)}。"
    )
    return title, text


def _jobs(r: random.Random) -> tuple[str, str]:
    brand = r.choice(BRAND_WORDS)
    district, town, _ = _place(r)
    job = r.choice(JOBS)
    title = f"招聘｜上海{brand}公司招{job}"
    text = (
        f"上海{brand}公司因业务发展，招聘{job}{r.randint(2, 10)}名，工作地点{district}{town}，"
        f"{r.choice(JOB_TERMS)}。"
        f"有意者请将简历发送至招聘邮箱。"
    )
    return title, text


def _spam(r: random.Random) -> tuple[str, str]:
    text = f"{r.choice(SPAM)}！{r.choice(SPAM)}。"
    return text[:20], text


def _lifestyle(r: random.Random) -> tuple[str, str]:
    district, town, _ = _place(r)
    if r.random() < 0.5:
        place = r.choice(FOOD)
        title = f"{district}{place}探店"
        text = (
            f"周末去了{town}的{place}，{r.choice(('排队半小时', '环境很干净', '价格实惠'))}，"
            f"{r.choice(('招牌菜名不虚传', '分量很足', '老板很热情'))}。#上海美食# #{district}#"
        )
    else:
        place = r.choice(TRAVEL)
        title = f"周末去哪儿｜{district}{place}"
        text = (
            f"带娃去了{district}的{place}，{r.choice(PARK_SIGHTS)}，"
            f"{r.choice(('停车方便', '地铁可达', '人不算多'))}。拍了好多照片，推荐周末来逛逛。"
        )
    return title, text


def _policy(r: random.Random) -> tuple[str, str]:
    district, _, _ = _place(r)
    item = r.choice(POLICY)
    title = f"{district}{item}"
    text = f"{_md(r)}，{district}{item}。{r.choice(POLICY_ENDINGS)}。"
    return title, text


def _netizen_chat(r: random.Random) -> tuple[str, str]:
    product = r.choice(PRODUCTS)
    name = r.choice(NETIZEN_NAMES)
    title = r.choice((f"求推荐{product}", f"{product}买哪个牌子好", f"{name}的日常"))
    text = (
        f"{r.choice(('想给家里添一台', '搬新家了想买', '朋友推荐了几款'))}{product}，"
        f"预算{r.choice((200, 300, 500, 800, 1500))}元左右，"
        f"{r.choice(('大家有没有推荐的', '纠结选哪个颜色', '看中了两款不知道选哪个'))}？"
    )
    return title, text


# One-line items of city life, each a complete post or news brief; "{d}" is a district,
# "{t}" a town or street, "{b}" a brand word, "{n}" a number. Written for the demo.
CITY_LIFE: dict[str, tuple[str, ...]] = {
    "sport": (
        "{d}青少年游泳比赛落幕，{n}名小选手参加了自由泳和蛙泳项目的角逐。",
        "{t}社区篮球联赛开赛，十六支业余球队将进行为期两个月的比赛。",
        "全民健身日当天，{d}各公共体育场馆免费向市民开放。",
        "{d}举行围棋段位赛，年龄最小的选手只有六岁。",
        "女子排球联赛上海站开打，主队三比一拿下比赛。",
        "今天游了一千五百米，终于学会了换气，教练夸我进步快。",
    ),
    "finance": (
        "{b}公司发布年报，营业收入同比增长{n}%，拟每十股派发现金红利二元。",
        "统计部门发布数据，本市上月居民消费价格同比上涨百分之零点八。",
        "{d}今年新增注册企业{n}家，其中科技型企业占比过半。",
        "某保险公司推出新的养老年金产品，最低投保年龄为十八周岁。",
        "外资企业在{d}设立地区总部，享受相关扶持政策。",
    ),
    "culture": (
        "{d}文化馆周末举办沪剧专场演出，不少老戏迷早早到场。",
        "{t}的老洋房改造成了社区美术馆，免费向居民开放。",
        "评弹名家走进{t}社区，为居民带来一场传统曲艺表演。",
        "话剧节闭幕，{n}部剧目共演出两百余场。",
        "{d}档案馆举办城市记忆老照片展，展期一个月。",
    ),
    "education": (
        "{d}公布今年义务教育阶段入学报名时间，家长可在网上完成信息登记。",
        "高校毕业生就业双选会举行，{n}家用人单位提供岗位近万个。",
        "区少年宫秋季兴趣班开始报名，开设书法、编程、舞蹈等课程。",
        "{t}一所初中的机器人社团在市级比赛中获得一等奖。",
        "开放大学推出老年人智能手机使用课程，报名人数超过预期。",
    ),
    "health": (
        "{d}社区卫生服务中心开设夜间门诊，方便上班族就医。",
        "本市家庭医生签约服务覆盖面继续扩大，签约居民可预约转诊。",
        "{d}中心医院新门诊楼启用，设置了自助挂号和智能导诊设备。",
        "无偿献血街头采血点在{t}设立，周末两天有{n}人参与献血。",
    ),
    "housing": (
        "{d}启动新一批旧区改造项目，涉及居民{n}户。",
        "{t}一处保障性租赁住房项目竣工，将于年底前交付使用。",
        "求租{t}附近两室户，预算六千以内，最好有电梯。",
        "小区业委会换届选举顺利完成，新一届业委会共七名成员。",
    ),
    "food": (
        "{t}新开的本帮菜馆，红烧肉浓油赤酱，人均一百出头。",
        "分享一个葱油拌面的做法：小葱慢慢熬到焦黄，加生抽和糖拌匀。",
        "清明前后青团上市，各家老字号门店前排起了长队。",
        "周末在家包了荠菜馄饨，冻了一冰箱，够吃一个月。",
    ),
    "travel": (
        "{d}的郊野公园油菜花开了，周末去的人很多，建议错峰出行。",
        "{t}的古镇夜游项目开放，游船可以沿河看灯。",
        "五一假期本市各大景区客流平稳，热门景点实行预约限流。",
        "徒步了一段黄浦江滨江步道，沿途风景很好，推荐给喜欢散步的朋友。",
    ),
    "pets": (
        "带狗狗去{t}的宠物公园玩了一下午，回家倒头就睡。",
        "{d}开展文明养犬宣传，志愿者向居民发放牵引绳和拾便袋。",
        "楼下的流浪猫被小区志愿者送去做了绝育，还起了名字叫阿黄。",
    ),
    "tech": (
        "本市新增5G基站{n}个，重点区域实现连续覆盖。",
        "一家人工智能企业落户{d}，将建设研发中心。",
        "{b}科技举办开发者大会，发布新版操作系统。",
        "航天科普展在{d}开展，展出火箭模型和卫星实物。",
    ),
    "services": (
        "{d}政务服务中心推出周末办服务，市民可预约办理户籍、社保等事项。",
        "{t}街道为独居老人安装紧急呼叫装置，首批覆盖{n}户。",
        "{d}新增{n}个共享单车停放点，规范非机动车停放秩序。",
        "社区事务受理中心延长午间服务时间，午休期间也能办理业务。",
    ),
}


def _city_life(r: random.Random) -> tuple[str, str]:
    district, town, _ = _place(r)
    topic = r.choice(sorted(CITY_LIFE))
    lines = r.sample(CITY_LIFE[topic], k=min(len(CITY_LIFE[topic]), r.choice((1, 1, 2))))
    text = "".join(
        line.format(d=district, t=town, b=r.choice(BRAND_WORDS), n=r.choice((12, 36, 85, 240)))
        for line in lines
    )
    return text.split("，")[0][:24], text


KINDS: tuple[tuple[Callable[[random.Random], tuple[str, str]], float], ...] = (
    (_promotion, 2.0),
    (_review, 2.0),
    (_second_hand, 1.0),
    (_weather, 0.8),
    (_traffic, 0.8),
    (_event, 1.2),
    (_meeting, 1.0),
    (_company, 1.2),
    (_jobs, 0.6),
    (_spam, 0.5),
    (_lifestyle, 1.0),
    (_policy, 0.8),
    (_netizen_chat, 1.0),
    (_city_life, 4.0),
)


def noise_items(seed: int = 20261126, n: int = 1000) -> list[tuple[str, str]]:
    """``n`` (title, text) pairs of irrelevant media items. About one in four joins two or
    three items into a longer digest, as news sites publish them."""
    r = random.Random(seed)
    makers, weights = zip(*KINDS, strict=True)
    out: list[tuple[str, str]] = []
    while len(out) < n:
        parts = [r.choices(makers, weights)[0](r) for _ in range(r.choice((1, 1, 1, 2, 3)))]
        title = parts[0][0]
        text = "".join(t for _, t in parts)
        out.append((title, text))
    return out


# jieba dictionary words used for word-salad texts: frequent enough to be common Chinese,
# and of these parts of speech (noun, verb, adjective, time, numeral, adverb, pronoun).
_SALAD_MIN_FREQ = 50
_SALAD_POS = tuple("nvatmdr")


@cache
def _salad_vocabulary() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """jieba's common words and their weights (square root of frequency)."""
    import jieba

    words: list[str] = []
    weights: list[float] = []
    with jieba.get_dict_file() as fh:
        for raw in fh:
            parts = raw.decode("utf-8").split()
            if (
                len(parts) == 3
                and int(parts[1]) >= _SALAD_MIN_FREQ
                and parts[2].startswith(_SALAD_POS)
            ):
                words.append(parts[0])
                weights.append(int(parts[1]) ** 0.5)
    return tuple(words), tuple(weights)


def word_salad(
    seed: int = 20261126,
    n: int = 1500,
    exclude: frozenset[str] = frozenset(),
    inject: Callable[[random.Random], list[str]] | None = None,
) -> list[str]:
    """``n`` texts of 8–40 common words drawn from jieba's dictionary (weighted by the square
    root of their frequency), with a comma now and then. Not sentences: they teach a model
    that ordinary Chinese vocabulary is not in itself a sign of risk, which the templates
    alone cannot (their vocabulary is small, so anything unfamiliar would look like news).

    Words containing any of ``exclude`` are left out; ``inject`` returns phrases to put at
    random places in each text (the relevance positives put hazard terms there)."""
    vocabulary, weights = _salad_vocabulary()
    kept = [
        (w, x) for w, x in zip(vocabulary, weights, strict=True) if not any(e in w for e in exclude)
    ]
    words = [w for w, _ in kept]
    cum = list(accumulate(x for _, x in kept))
    r = random.Random(seed)
    out = []
    for _ in range(n):
        picked = r.choices(words, cum_weights=cum, k=r.randint(8, 40))
        for phrase in inject(r) if inject else []:
            picked.insert(r.randint(0, len(picked)), phrase)
        out.append("".join(w + ("，" if r.random() < 0.12 else "") for w in picked) + "。")
    return out


def django_messages() -> list[str]:
    """Django's own Simplified Chinese interface messages (admin, forms, auth …) with at least
    six Chinese characters, placeholders removed: real Chinese text that is about nothing
    this platform screens for. Read from the installed, pinned Django."""
    import gettext
    import re
    from pathlib import Path

    import django

    placeholder = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[^}]*\}")
    found: set[str] = set()
    for mo in sorted(Path(django.__file__).parent.glob("**/zh_Hans/LC_MESSAGES/*.mo")):
        with mo.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        for value in catalog.values():
            text = " ".join(placeholder.sub("", str(value)).split())
            if sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 6:
                found.add(text)
    return sorted(found)
