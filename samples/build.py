"""Write the sample files of every internal stream: ``python samples/build.py``.

For each stream (licensing, spot_check, penalty, complaint, injury, recall, media) it writes
``good.csv`` (Chinese headers, UTF-8), ``good.jsonl`` (canonical keys), ``gbk.csv`` (GBK)
and ``bad.csv`` (two good rows, one row with too many cells, two rows with bad values).
It also writes three news feeds to samples/media: ``feed_rss.xml`` (RSS 2.0),
``feed_atom.xml`` (Atom) and ``feed_gbk.xml`` (RSS declared and encoded as GBK). The
enterprises, brands and people are invented; districts, standards and laws are real.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pqrisk.core.uscc import complete_uscc
from pqrisk.sources.streams import STREAMS

ROOT = Path(__file__).parent
# Chinese headers of the common fields, in the order the files show them.
COMMON_HEADERS = {
    "source": "来源类型",
    "external_id": "编号",
    "occurred_at": "日期",
    "title": "标题",
    "text": "内容",
    "enterprise_uscc": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "district": "所属区",
    "product_name": "产品名称",
    "brand": "品牌",
    "model": "型号",
}
DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区",
    "310107": "普陀区", "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区",
    "310113": "宝山区", "310114": "嘉定区", "310115": "浦东新区", "310116": "金山区",
    "310117": "松江区", "310118": "青浦区", "310120": "奉贤区", "310151": "崇明区",
}  # fmt: skip
# (name, district code, organisation code part of the USCC, index into PRODUCTS, brand)
ENTERPRISES = [
    ("上海申沪电器有限公司", "310112", "MA1G0A3K5", 1, "申沪"),
    ("上海浦锐新能源科技有限公司", "310115", "MA1H2B7L8", 0, "锐行"),
    ("上海嘉禾儿童用品有限公司", "310114", "MA1J4C2M1", 2, "嘉宝乐"),
    ("上海松联燃气器具有限公司", "310117", "MA1K6D9N3", 3, "松联"),
    ("上海青禾服饰有限公司", "310118", "MA1L8E4P6", 4, "青禾童"),
    ("上海宝辰电器有限公司", "310113", "MA1M1F6Q2", 1, "宝辰"),
    ("上海金枫塑料制品有限公司", "310116", "MA1N3G8R7", 2, "金枫"),
    ("上海奉新电子科技有限公司", "310120", "MA1P5H1T4", 5, "奉新"),
]
# (product, model prefix, standard, test items, hazard, injury type, body part, age bands)
PRODUCTS = [
    ("电动自行车用锂离子蓄电池", "48V20Ah-", "GB 43854-2024",
     ["过充电保护", "外部短路", "热滥用", "标志"], "充电时可能过热起火", "烧伤", "手部",
     ("15-59", "60+")),
    ("电热水壶", "SH-17", "GB 4706.19-2008",
     ["对触及带电部件的防护", "泄漏电流和电气强度", "发热", "标志和说明"],
     "带电部件防护不足，存在触电隐患", "电击伤", "手部", ("15-59", "60+")),
    ("塑胶玩具", "JB-", "GB 6675.2-2014",
     ["小零件", "锐利边缘", "增塑剂", "标识"], "部件易脱落，存在儿童误吞窒息隐患",
     "异物吞咽", "消化道", ("0-3", "4-6")),
    ("家用燃气灶具", "JZT-2-", "GB 16410-2020",
     ["气密性", "熄火保护装置", "燃烧工况", "标志"], "可能发生燃气泄漏，存在爆燃隐患",
     "烧伤", "面部", ("15-59", "60+")),
    ("儿童服装", "QH-", "GB 31701-2015",
     ["绳带", "甲醛含量", "pH值", "纤维含量"], "帽部设有绳带，存在勒颈隐患", "勒伤", "颈部",
     ("0-3", "4-6", "7-14")),
    ("移动电源", "PB-10000-", "GB 4943.1-2022",
     ["外壳防火", "过充电保护", "标识"], "电芯可能鼓包起火", "烧伤", "腿部", ("7-14", "15-59")),
]  # fmt: skip
AGE_TEXT = {
    "0-3": "3岁以下",
    "4-6": "4至6岁",
    "7-14": "7至14岁",
    "15-59": "15至59岁",
    "60+": "60岁以上",
}
CHILDREN_HOSPITALS = [("复旦大学附属儿科医院", 18.7), ("上海市儿童医院", 18.7)]
HOSPITALS = [
    ("上海交通大学医学院附属新华医院", 22.4),
    ("上海市第六人民医院", 22.4),
    ("复旦大学附属华山医院", 22.4),
]
SITES = [
    ("新民网", "https://www.xinmin.cn/news/", "记者 王敏"),
    ("澎湃新闻", "https://www.thepaper.cn/newsDetail_forward_", "记者 陈晨"),
    ("微博", "https://weibo.com/1987654321/", "沪上宝妈小雨"),
    ("黑猫投诉", "https://tousu.sina.com.cn/complaint/view/", "用户17xxxx"),
]


def uscc(org: str, district: str) -> str:
    return complete_uscc(f"91{district}{org}")


def day(rng: random.Random) -> date:
    return date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))


def base(rng: random.Random, source: str, ext: str, with_ent: bool = True) -> dict[str, Any]:
    name, district, org, product_index, brand = rng.choice(ENTERPRISES)
    product = PRODUCTS[product_index]
    rec: dict[str, Any] = {
        "source": source,
        "external_id": ext,
        "occurred_at": day(rng).isoformat(),
        "enterprise_uscc": uscc(org, district) if with_ent else "",
        "enterprise_name": name if with_ent else "",
        "district": DISTRICTS[district],
        "product_name": product[0],
        "brand": brand,
        "model": f"{product[1]}{rng.randint(10, 99)}",
        "_product": product,
    }
    return rec


def licensing(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "licensing", ext)
    action = rng.choice(("发证", "发证", "变更", "延续", "注销", "吊销"))
    start = date.fromisoformat(r["occurred_at"])
    unit = rng.choice(("06", "16", "31"))
    no = f"沪XK{unit}-{rng.randint(1, 300):03d}-{rng.randint(1, 99999):05d}"
    r["title"] = f"工业产品生产许可证{action}公告（{no}）"
    r["text"] = (
        f"{r['enterprise_name']}{r['product_name']}生产许可证{action}，许可证编号{no}，"
        f"有效期至{start.replace(year=start.year + 5) - timedelta(days=1)}。"
    )
    r["details"] = {
        "licence_no": no,
        "valid_from": start.isoformat(),
        "valid_to": (start.replace(year=start.year + 5) - timedelta(days=1)).isoformat(),
        "action": action,
    }
    return r


def spot_check(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "spot_check", ext)
    p = r["_product"]
    level = rng.choice(("国抽", "市抽", "市抽", "区抽"))
    failed = rng.sample(p[3][:-1], k=1) if rng.random() < 0.5 else []
    items = [{"name": n, "result": "不合格" if n in failed else "合格"} for n in p[3]]
    r["title"] = f"{p[0]}产品质量监督抽查检验报告（{ext}）"
    verdict = f"{'、'.join(failed)}项目不合格" if failed else "所检项目均符合标准要求"
    r["text"] = (
        f"上海市市场监督管理局组织对{r['enterprise_name']}生产的{r['brand']}牌{p[0]}"
        f"（型号{r['model']}）进行监督抽查，依据{p[2]}检验，{verdict}。"
    )
    r["details"] = {
        "plan": f"2026年上海市{p[0]}产品质量监督抽查计划",
        "sample_no": f"SC2026{rng.randint(0, 99999):05d}",
        "sampling_level": level,
        "standard": p[2],
        "items": items,
        "conclusion": "不合格" if failed else "合格",
        "failed_items": failed,
        "lab": rng.choice(("上海市质量监督检验技术研究院", "上海电器设备检测所有限公司")),
    }
    return r


def penalty(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "penalty", ext)
    p = r["_product"]
    amount = rng.choice((5000, 12000, 35000, 86000))
    case_no = f"沪市监{r['district'][:2]}处〔2026〕{rng.randint(1, 999999):06d}号"
    violation = f"生产不符合保障人身、财产安全的国家标准的{p[0]}"
    r["title"] = f"{r['district']}市场监督管理局行政处罚决定书（{case_no}）"
    r["text"] = f"当事人{r['enterprise_name']}{violation}，本局依法作出行政处罚。"
    r["details"] = {
        "case_no": case_no,
        "violation": violation,
        "legal_basis": "《中华人民共和国产品质量法》第十三条、第四十九条",
        "penalty": f"责令停止生产，没收违法产品，并处罚款{amount}元",
        "amount_yuan": amount,
    }
    return r


def complaint(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "complaint", ext, with_ent=rng.random() < 0.6)
    p = r["_product"]
    r["title"] = f"{p[0]}存在安全问题"
    r["text"] = f"消费者反映购买的{r['brand']}牌{p[0]}（型号{r['model']}）{p[4]}，要求退货并赔偿。"
    r["details"] = {
        "channel": rng.choice(("12315", "12315", "12345", "网络平台")),
        "consumer_district": r["district"],
    }
    return r


def injury(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "injury", ext, with_ent=False)
    p = r["_product"]
    band = rng.choice(p[7])
    hospitals = CHILDREN_HOSPITALS if band in ("0-3", "4-6", "7-14") else HOSPITALS
    hospital, weight = rng.choice(hospitals)
    severity = rng.choice((1, 2, 2, 3))
    r["title"] = f"{p[0]}致{p[5]}病例"
    r["text"] = f"患者（{AGE_TEXT[band]}）使用{p[0]}时受伤，{p[6]}{p[5]}，于{hospital}就诊。"
    r["details"] = {
        "hospital": hospital,
        "age_band": band,
        "sex": rng.choice(("男", "女")),
        "injury_type": p[5],
        "body_part": p[6],
        "severity": severity,
        "disposition": "门诊处理后离院" if severity < 3 else "收治住院",
        "case_weight": weight,
    }
    return r


def recall(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "recall", ext)
    p = r["_product"]
    units = rng.randint(300, 60000)
    remedy = rng.choice(("退货", "更换", "维修"))
    r["title"] = f"{r['enterprise_name']}召回部分{r['brand']}牌{p[0]}"
    r["text"] = (
        f"{r['enterprise_name']}向上海市市场监督管理局备案了召回计划，召回{r['brand']}牌{p[0]}"
        f"（型号{r['model']}）{units}件，该产品{p[4]}，将为消费者免费{remedy}。"
    )
    r["details"] = {
        "recall_no": f"沪市监召〔2026〕{rng.randint(1, 99)}号",
        "model_batch": f"{r['model']}，批号2025{rng.randint(1, 12):02d}"
        f"至2026{rng.randint(1, 6):02d}",
        "hazard": p[4],
        "units": units,
        "remedy": remedy,
        "progress": rng.choice(("召回计划已备案", "召回实施中，已完成45%", "召回已完成")),
    }
    return r


def media(rng: random.Random, ext: str) -> dict[str, Any]:
    r = base(rng, "media", ext, with_ent=False)
    p = r["_product"]
    site, prefix, author = rng.choice(SITES)
    when = f"{r['occurred_at']}T{rng.randint(7, 23):02d}:{rng.randint(0, 59):02d}:00+08:00"
    r["occurred_at"] = when
    r["title"] = f"网友曝光{r['brand']}牌{p[0]}{p[4][:6]}"
    r["text"] = f"{r['district']}一位消费者发帖称，家中的{r['brand']}牌{p[0]}{p[4]}，引发网友关注。"
    r["details"] = {
        "url": f"{prefix}{rng.randint(10_000_000, 99_999_999)}",
        "site": site,
        "author": author,
        "published_at": when,
        "reposts": rng.choice((0, 3, 12, 56, 230)),
    }
    return r


BUILDERS: dict[str, Callable[[random.Random, str], dict[str, Any]]] = {
    "licensing": licensing,
    "spot_check": spot_check,
    "penalty": penalty,
    "complaint": complaint,
    "injury": injury,
    "recall": recall,
    "media": media,
}
PREFIX = {
    "licensing": "XK",
    "spot_check": "CC",
    "penalty": "CF",
    "complaint": "TS",
    "injury": "SH",
    "recall": "ZH",
    "media": "YQ",
}
# What each stream's bad.csv gets wrong besides a row with too many cells: (header, value).
BAD_VALUES: dict[str, list[tuple[str, str]]] = {
    "licensing": [("许可证编号", ""), ("变更类型", "暂停")],
    "spot_check": [("检验结论", "待定"), ("检验结论", "")],
    "penalty": [("罚没金额", "若干"), ("案件编号", "")],
    "complaint": [("投诉渠道", "微信"), ("统一社会信用代码", "91310112MA1G00123X")],
    "injury": [("严重程度", "7"), ("病例权重", "高")],
    "recall": [("数量", "很多"), ("召回编号", "")],
    "media": [("网址", "weibo.com/1987654321/abc"), ("发布时间", "昨天下午")],
}


def jsonl_record(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if not k.startswith("_") and v not in ("", None)}


def csv_row(source: str, rec: dict[str, Any]) -> dict[str, str]:
    row = {COMMON_HEADERS[k]: str(rec.get(k) or "") for k in COMMON_HEADERS}
    for f in STREAMS[source].FIELDS:
        value = rec["details"].get(f.key)
        if isinstance(value, list) and f.kind == "items":
            value = "；".join(f"{i['name']}:{i['result']}" for i in value)
        elif isinstance(value, list):
            value = "、".join(value)
        row[f.header] = "" if value is None else str(value)
    return row


def csv_text(rows: list[dict[str, str]], extra_cells: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for i, row in enumerate(rows):
        cells = list(row.values())
        writer.writerow([*cells, "多余的一列"] if i == extra_cells else cells)
    return out.getvalue()


def build(source: str) -> None:
    rng = random.Random(f"pqrisk-samples-{source}")
    make = BUILDERS[source]
    folder = ROOT / source
    folder.mkdir(exist_ok=True)

    def records(tag: str, n: int) -> list[dict[str, Any]]:
        return [make(rng, f"{PREFIX[source]}-2026-{tag}{i:02d}") for i in range(1, n + 1)]

    good = records("C", 8)
    (folder / "good.csv").write_text(csv_text([csv_row(source, r) for r in good]), encoding="utf-8")
    lines = [json.dumps(jsonl_record(r), ensure_ascii=False) for r in records("J", 6)]
    (folder / "good.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    gbk = records("G", 5)
    (folder / "gbk.csv").write_bytes(csv_text([csv_row(source, r) for r in gbk]).encode("gbk"))
    bad = [csv_row(source, r) for r in records("B", 5)]
    for row, (header, value) in zip(bad[3:], BAD_VALUES[source], strict=True):
        row[header] = value
    (folder / "bad.csv").write_text(csv_text(bad, extra_cells=2), encoding="utf-8")


RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0">
  <channel>
    <title>{site}</title>
    <link>{home}</link>
    <description>{site}消费安全频道</description>
    <language>zh-cn</language>
    <item>
      <title>闵行一居民家中电热水壶漏电 消费者：手一碰就发麻</title>
      <link>{home}/news/2026/11/20/31201001.html</link>
      <guid isPermaLink="false">{prefix}-31201001</guid>
      <author>记者 王敏</author>
      <pubDate>Fri, 20 Nov 2026 09:30:00 +0800</pubDate>
      <description><![CDATA[<p>闵行区<b>莘庄镇</b>的李女士反映，家中的申沪牌电热水壶（型号SH-1758）烧水时外壳带电，手一碰就发麻。</p><p>市场监管部门已介入调查。</p>]]></description>
    </item>
    <item>
      <title>浦东多名车主反映电动自行车电池充电时冒烟</title>
      <link>{home}/news/2026/11/22/31201187.html</link>
      <guid isPermaLink="false">{prefix}-31201187</guid>
      <author>记者 陈晨</author>
      <pubDate>Sun, 22 Nov 2026 21:05:00 +0800</pubDate>
      <description>&lt;p&gt;浦东新区张江镇多名车主反映，锐行牌电动自行车用锂离子蓄电池充电时冒烟&amp;发烫，所幸未引发火灾。&lt;/p&gt;</description>
    </item>
    <item>
      <title>提醒：儿童服装帽绳存在勒颈隐患</title>
      <link>{home}/news/2026/11/25/31201420.html</link>
      <pubDate>Wed, 25 Nov 2026 08:00:00 +0800</pubDate>
      <description>市消保委提醒家长，选购儿童服装时注意帽部和颈部不得有绳带。</description>
    </item>
  </channel>
</rss>
"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>澎湃新闻·上海</title>
  <link href="https://www.thepaper.cn/"/>
  <id>https://www.thepaper.cn/channel_shanghai</id>
  <updated>2026-11-26T10:00:00+08:00</updated>
  <entry>
    <title>嘉定一幼儿误吞玩具小零件 医生提醒家长警惕</title>
    <link href="https://www.thepaper.cn/newsDetail_forward_29876543"/>
    <id>tag:thepaper.cn,2026:29876543</id>
    <published>2026-11-24T15:20:00+08:00</published>
    <updated>2026-11-24T16:00:00+08:00</updated>
    <author><name>澎湃新闻记者 周洁</name></author>
    <content type="html">&lt;p&gt;嘉定区一名2岁幼儿误吞嘉宝乐牌塑胶玩具上脱落的小零件，被送往复旦大学附属儿科医院救治。&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>松江燃气灶熄火保护失灵引发厨房爆燃</title>
    <link href="/newsDetail_forward_29880012"/>
    <id>tag:thepaper.cn,2026:29880012</id>
    <updated>2026-11-26T09:45:00+08:00</updated>
    <author><name>澎湃新闻记者 黄磊</name></author>
    <summary type="html">松江区一户居民家中松联牌燃气灶&lt;em&gt;熄火保护装置&lt;/em&gt;失灵，发生爆燃，一人面部烧伤。</summary>
  </entry>
</feed>
"""  # noqa: E501


def write_feeds() -> None:
    folder = ROOT / "media"
    folder.mkdir(exist_ok=True)
    utf8 = RSS.format(encoding="utf-8", site="新民网", home="https://www.xinmin.cn", prefix="xm")
    (folder / "feed_rss.xml").write_text(utf8, encoding="utf-8")
    (folder / "feed_atom.xml").write_text(ATOM, encoding="utf-8")
    gbk = RSS.format(encoding="GBK", site="东方网", home="https://news.eastday.com", prefix="df")
    (folder / "feed_gbk.xml").write_bytes(gbk.encode("gbk"))


if __name__ == "__main__":
    for name in BUILDERS:
        build(name)
    write_feeds()
