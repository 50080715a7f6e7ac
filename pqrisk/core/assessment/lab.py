"""Lab sampling (实验室风险评估, Shanghai guidance task 6): limits, verdicts, rapid-test screening
and the workflows of a sampling task and of a violation lead.

Decision rule (判定规则) for a lab result against a numeric limit:

* **Simple acceptance** (简单接受) as ILAC-G8:09/2019 and ISO/IEC Guide 98-4:2012 call it:
  the measured value itself is compared with the limit, with no guard band (w = 0). The
  expanded uncertainty U, when the lab gives it, does not move the verdict; a result within U
  of the limit is only marked "临界" so that a reader knows the verdict could go either way.
* **Full-value comparison** (全数值比较法, GB/T 8170-2008 §4.3, the default when the standard
  says nothing else): the value as reported is compared, not a value rounded to the limit's
  digits. Values are read as decimals, so ``0.1`` against ``≤0.1`` is exactly on the limit
  and conforms.
* A censored value (``<0.01``, ``未检出``, ``>1000``) is an interval; it conforms when the whole
  interval lies within the limit, fails when none of it does, and is otherwise not judged
  (不判定) by the numbers. ``未检出`` without a detection limit counts as "at most 0": the
  methods a standard prescribes detect well below its limits.
* A qualitative requirement (限值 left empty) is judged by the lab; its verdict is entered.

A rapid test (快检) only screens: its interval is the value ± U (or "below the detection
limit"); wholly within the limit reads 阴性, wholly outside 阳性, straddling it 可疑. It never
concludes non-conformity: 阳性 and 可疑 call for a lab test of the same item.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, Self

from pqrisk.core.workflow import (
    ANALYST,
    CITY_ADMIN,
    CITY_SUPERVISOR,
    DISTRICT_OFFICER,
    SYSTEM,
    StateMachine,
    Transition,
)


class LabValueError(ValueError):
    """A limit, value or verdict that cannot be read or judged; ``message_zh`` is for users."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


class _Labelled(str, Enum):  # noqa: UP042 (Django choices want plain (str, Enum))
    """A str-valued Enum whose members carry a Chinese label and a colour."""

    label: str
    colour: str

    if TYPE_CHECKING:

        def __new__(cls, value: str, *meta: Any) -> Self: ...

    else:

        def __new__(cls, value, label, colour=""):
            obj = str.__new__(cls, value)
            obj._value_ = value
            obj.label = label
            obj.colour = colour
            return obj

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class Verdict(_Labelled):
    """The verdict of one test item (单项判定)."""

    PASS = ("pass", "合格", "#2e7d32")
    FAIL = ("fail", "不合格", "#b3261e")
    NOT_JUDGED = ("not_judged", "不判定", "#66727f")


class Comparison(_Labelled):
    """How a measured value is held against the limit."""

    LE = ("le", "≤")
    LT = ("lt", "<")
    GE = ("ge", "≥")
    GT = ("gt", ">")
    RANGE = ("range", "范围")
    NOT_DETECTED = ("nd", "不得检出")
    QUALITATIVE = ("qualitative", "定性要求")


class Screening(_Labelled):
    """The screening result of a rapid test (快检筛查结论): never a non-conformity."""

    POSITIVE = ("positive", "阳性", "#b3261e")
    SUSPECT = ("suspect", "可疑", "#e65100")
    NEGATIVE = ("negative", "阴性", "#2e7d32")

    @property
    def needs_lab_test(self) -> bool:
        return self is not Screening.NEGATIVE


DECISION_RULE_ZH = (
    "判定规则：数值限值按“简单接受”（ILAC-G8:09/2019、ISO/IEC Guide 98-4，保护带为零）和"
    "全数值比较法（GB/T 8170-2008 第4.3条）判定，即以报告的实测值直接与限值比较，正好等于"
    "限值按符合；扩展不确定度不改变判定，实测值与限值之差不超过U时标为“临界”。“<x”“未检出”"
    "“>x”等区间结果完全落在限值内为合格、完全落在限值外为不合格，否则不判定；定性要求由实验室"
    "判定。快检只作筛查（阳性/可疑/阴性），不作不合格结论，阳性和可疑须经实验室检验确认。"
)

# ---------------------------------------------------------------- reading text

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# Markers a lab writes for "no numeric limit here" (the requirement is in the text).
_NO_LIMIT = frozenset({"", "-", "/", "—", "——", "–", "无", "N/A", "NA", "n/a"})
_NOT_DETECTED = frozenset({"未检出", "ND", "N.D.", "nd", "n.d.", "不得检出", "<LOD", "<检出限"})

_LIMIT_WORDS: tuple[tuple[Comparison, tuple[str, ...]], ...] = (
    (Comparison.LE, ("≤", "<=", "=<", "≦", "不大于", "不超过", "不高于", "最大", "max")),
    (Comparison.GE, ("≥", ">=", "=>", "≧", "不小于", "不低于", "最小", "min")),
    (Comparison.LT, ("<", "小于", "低于")),
    (Comparison.GT, (">", "大于", "高于")),
)


def _normalise(text: Any) -> str:
    """Full-width forms to ASCII (＜０.５ → <0.5), the minus sign and tilde unified."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()
    return s.replace("\u2212", "-").replace("～", "~").replace("〜", "~")


def _decimal(text: str) -> Decimal | None:
    s = text.strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not re.fullmatch(_NUM, s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def number(value: Any) -> Decimal | None:
    """A number from a cell (text, int, float or Decimal), or None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return _decimal(_normalise(value))


def _plain(d: Decimal) -> str:
    """A decimal as people write it: no exponent for ordinary magnitudes, no trailing zeros
    that were not there (``Decimal('0.50')`` stays ``0.50``)."""
    return format(d, "f") if -7 <= d.adjusted() <= 15 else str(d)


@dataclass(frozen=True)
class Limit:
    """A limit as a standard states it: ``≤0.5``, ``≥1500``, ``0.5~1.0``, ``不得检出`` or
    a qualitative requirement (no number)."""

    comparison: Comparison
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def is_numeric(self) -> bool:
        return self.comparison is not Comparison.QUALITATIVE

    def describe(self) -> str:
        c = self.comparison
        if c in (Comparison.LE, Comparison.LT) and self.high is not None:
            return f"{c.label}{_plain(self.high)}"
        if c in (Comparison.GE, Comparison.GT) and self.low is not None:
            return f"{c.label}{_plain(self.low)}"
        if c is Comparison.RANGE and self.low is not None and self.high is not None:
            return f"{_plain(self.low)}~{_plain(self.high)}"
        return c.label

    def zone(self) -> _Interval:
        """The conforming values as an interval (NOT_DETECTED and QUALITATIVE have none)."""
        c = self.comparison
        if c is Comparison.LE:
            return _Interval(None, False, self.high, True)
        if c is Comparison.LT:
            return _Interval(None, False, self.high, False)
        if c is Comparison.GE:
            return _Interval(self.low, True, None, False)
        if c is Comparison.GT:
            return _Interval(self.low, False, None, False)
        if c is Comparison.RANGE:
            return _Interval(self.low, True, self.high, True)
        raise LabValueError(f"“{c.label}”没有数值区间")


def parse_limit(text: Any) -> Limit:
    """Read a limit. Empty (or ``—``, ``/``) means a qualitative requirement; a number needs
    its comparison (``≤0.5``, ``不小于1500``, ``0.5~1.0``, ``220±10``): a bare ``0.5`` is
    ambiguous and refused rather than guessed."""
    s = _normalise(text)
    if s in _NO_LIMIT:
        return Limit(Comparison.QUALITATIVE)
    if s in _NOT_DETECTED:
        return Limit(Comparison.NOT_DETECTED)
    compact = s.replace(" ", "")
    for comparison, words in _LIMIT_WORDS:
        for word in words:
            if compact.lower().startswith(word.lower()):
                value = _decimal(compact[len(word) :])
                if value is None:
                    break
                if comparison in (Comparison.LE, Comparison.LT):
                    return Limit(comparison, high=value)
                return Limit(comparison, low=value)
    m = re.fullmatch(rf"({_NUM})(~|至|-|—|–|到)({_NUM})", compact)
    if m:
        low, high = Decimal(m.group(1)), Decimal(m.group(3))
        if low > high:
            raise LabValueError(f"限值范围“{s}”的下限大于上限")
        return Limit(Comparison.RANGE, low=low, high=high)
    m = re.fullmatch(rf"({_NUM})±({_NUM})", compact)
    if m:
        centre, tolerance = Decimal(m.group(1)), abs(Decimal(m.group(2)))
        return Limit(Comparison.RANGE, low=centre - tolerance, high=centre + tolerance)
    if _decimal(compact) is not None:
        raise LabValueError(
            f"限值“{s}”缺少比较符号：请写成 ≤{s}、≥{s} 或范围（如 0.5~1.0）；定性要求的限值留空"
        )
    raise LabValueError(
        f"限值“{s}”无法识别：数值限值写成 ≤0.5、≥1500、0.5~1.0、220±10 或“不得检出”"
        "（单位写在“单位”中），定性要求的限值留空（要求写在“技术要求”中）"
    )


@dataclass(frozen=True)
class Measured:
    """A measured value as reported: exact (``0.32``), censored (``<0.01``, ``>1000``), not
    detected (``未检出``, with the detection limit when given) or text (``无破损``)."""

    text: str
    value: Decimal | None = None
    # "" exact, "<" / "≤" at most ``value``, ">" / "≥" at least ``value``, "nd" not detected
    # (``value`` is the detection limit when known), "text" not a number at all.
    bound: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.bound != "text"

    @property
    def not_detected(self) -> bool:
        return self.bound == "nd"

    def interval(self, widen: Decimal = Decimal(0)) -> _Interval:
        """The values the result allows, each finite end widened by ``widen`` (U)."""
        v = self.value
        if self.bound == "":
            assert v is not None
            return _Interval(v - widen, True, v + widen, True)
        if self.bound in ("<", "≤"):
            assert v is not None
            return _Interval(None, False, v + widen, self.bound == "≤" or widen > 0)
        if self.bound in (">", "≥"):
            assert v is not None
            return _Interval(v - widen, self.bound == "≥" or widen > 0, None, False)
        if self.bound == "nd":
            if v is None:  # 未检出 without a detection limit: at most 0 (see the module doc)
                return _Interval(None, False, Decimal(0), True)
            return _Interval(None, False, v + widen, widen > 0)
        raise LabValueError(f"实测值“{self.text}”不是数值")


_ND_WITH_LIMIT = re.compile(
    rf"^(?:未检出|ND|N\.D\.)[(（]?(?:<|检出限|LOD)?[:：]?({_NUM})[)）]?$", re.I
)


def parse_measured(text: Any) -> Measured:
    """Read a measured value; text that is not a number is kept as text (qualitative)."""
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        d = number(text)
        assert d is not None
        return Measured(_plain(d), d)
    s = _normalise(text)
    if not s:
        raise LabValueError("实测值为空")
    compact = s.replace(" ", "")
    if compact in _NOT_DETECTED:
        return Measured(s, None, "nd")
    m = _ND_WITH_LIMIT.match(compact)
    if m:
        return Measured(s, Decimal(m.group(1)), "nd")
    d = _decimal(compact)
    if d is not None:
        return Measured(s, d)
    for bound, words in (("≤", ("≤", "<=")), ("≥", ("≥", ">=")), ("<", ("<", "小于", "低于"))):
        for word in words:
            if compact.startswith(word) and (d := _decimal(compact[len(word) :])) is not None:
                return Measured(s, d, bound)
    for word in (">", "大于", "高于"):
        if compact.startswith(word) and (d := _decimal(compact[len(word) :])) is not None:
            return Measured(s, d, ">")
    return Measured(s, None, "text")


_VERDICT_WORDS: dict[Verdict, frozenset[str]] = {
    Verdict.PASS: frozenset({"合格", "符合", "通过", "P", "PASS", "OK", "√"}),
    Verdict.FAIL: frozenset({"不合格", "不符合", "未通过", "F", "FAIL", "NG", "×"}),
    Verdict.NOT_JUDGED: frozenset(
        {"不判定", "不作判定", "不予判定", "/", "—", "-", "N/A", "NA", "仅报告实测值", "实测"}
    ),
}


def parse_verdict(text: Any) -> Verdict | None:
    """A lab's verdict (合格/不合格/不判定 and their usual spellings), None when empty."""
    s = _normalise(text).replace(" ", "")
    if not s:
        return None
    for verdict, words in _VERDICT_WORDS.items():
        if s.upper() in words or s in words:
            return verdict
    raise LabValueError(f"判定“{s}”无法识别：应为 合格、不合格 或 不判定")


# ---------------------------------------------------------------- intervals


@dataclass(frozen=True)
class _Interval:
    """An interval of the real line; ``None`` ends are infinite."""

    lo: Decimal | None
    lo_closed: bool
    hi: Decimal | None
    hi_closed: bool

    def within(self, zone: _Interval) -> bool:
        """Every value of self lies in ``zone``."""
        if zone.lo is not None:
            if self.lo is None or self.lo < zone.lo:
                return False
            if self.lo == zone.lo and self.lo_closed and not zone.lo_closed:
                return False
        if zone.hi is not None:
            if self.hi is None or self.hi > zone.hi:
                return False
            if self.hi == zone.hi and self.hi_closed and not zone.hi_closed:
                return False
        return True

    def outside(self, zone: _Interval) -> bool:
        """No value of self lies in ``zone``."""
        below = (
            zone.lo is not None
            and self.hi is not None
            and (
                self.hi < zone.lo
                or (self.hi == zone.lo and not (self.hi_closed and zone.lo_closed))
            )
        )
        above = (
            zone.hi is not None
            and self.lo is not None
            and (
                self.lo > zone.hi
                or (self.lo == zone.hi and not (self.lo_closed and zone.hi_closed))
            )
        )
        return below or above


def _symbol(d: Decimal | None) -> str:
    return "—" if d is None else _plain(d)


# ---------------------------------------------------------------- judging lab results


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason_zh: str
    # The measured value lies within U of a limit: the verdict could go either way.
    near_limit: bool = False


def _numeric_verdict(limit: Limit, measured: Measured) -> tuple[Verdict, str]:
    shown = f"实测值 {measured.text}"
    if limit.comparison is Comparison.NOT_DETECTED:
        if measured.not_detected or measured.bound in ("<", "≤"):
            return Verdict.PASS, f"{shown}，未检出，符合“不得检出”"
        if measured.bound == "" and measured.value == 0:
            return Verdict.PASS, f"{shown}，符合“不得检出”"
        return Verdict.FAIL, f"{shown}，已检出，不符合“不得检出”"
    zone = limit.zone()
    got = measured.interval()
    if got.within(zone):
        return Verdict.PASS, f"{shown} 符合限值 {limit.describe()}"
    if got.outside(zone):
        return Verdict.FAIL, f"{shown} 超出限值 {limit.describe()}"
    return Verdict.NOT_JUDGED, (f"{shown} 为区间结果，跨越限值 {limit.describe()}，按数值无法判定")


def _near(limit: Limit, measured: Measured, uncertainty: Decimal | None) -> bool:
    if uncertainty is None or measured.bound != "" or measured.value is None:
        return False
    if limit.comparison in (Comparison.QUALITATIVE, Comparison.NOT_DETECTED):
        return False
    ends = [e for e in (limit.low, limit.high) if e is not None]
    return any(abs(measured.value - e) <= abs(uncertainty) for e in ends)


def judge(
    limit: Limit,
    measured: Measured,
    *,
    lab_verdict: Verdict | None = None,
    uncertainty: Decimal | None = None,
) -> Judgement:
    """The verdict of one test item under the decision rule of this module.

    Numeric limit: computed from the value; a lab verdict that disagrees is refused (someone
    must look at the row), unless the numbers alone cannot decide. Qualitative requirement:
    the lab's verdict, which must then be given.
    """
    if not limit.is_numeric:
        if lab_verdict is None:
            raise LabValueError("定性要求（限值为空）须给出判定：合格、不合格 或 不判定")
        return Judgement(lab_verdict, f"定性要求，采用实验室判定“{lab_verdict.label}”")
    if not measured.is_numeric:
        raise LabValueError(
            f"限值为数值（{limit.describe()}），实测值“{measured.text}”不是数字；"
            "请填写数值、“<检出限”或“未检出”"
        )
    verdict, reason = _numeric_verdict(limit, measured)
    near = _near(limit, measured, uncertainty)
    if near:
        reason += f"；实测值与限值之差不超过扩展不确定度U={_symbol(uncertainty)}，为临界结果"
    if lab_verdict is not None and lab_verdict is not verdict:
        if verdict is Verdict.NOT_JUDGED:
            return Judgement(lab_verdict, f"{reason}；采用实验室判定“{lab_verdict.label}”", near)
        raise LabValueError(
            f"实验室判定“{lab_verdict.label}”与按限值计算的“{verdict.label}”不一致（{reason}）；"
            "请核对实测值、限值和判定"
        )
    return Judgement(verdict, reason, near)


# ---------------------------------------------------------------- rapid tests


@dataclass(frozen=True)
class ScreeningOutcome:
    result: Screening
    reason_zh: str


def screen(
    limit: Limit,
    measured: Measured,
    *,
    uncertainty: Decimal | None = None,
    detection_limit: Decimal | None = None,
) -> ScreeningOutcome:
    """Screen a rapid test against its threshold, its uncertainty taken into account.

    The result is the interval value ± U (or below the detection limit): wholly within the
    limit → 阴性, wholly outside → 阳性, across it → 可疑. A result read as text (test strips)
    must itself say 阳性、阴性 or 可疑.
    """
    if not measured.is_numeric:
        text = measured.text.replace(" ", "")
        for s in Screening:
            if text == s.label:
                return ScreeningOutcome(s, f"快检结果“{s.label}”（定性）")
        raise LabValueError(f"快检结果“{measured.text}”应为数值，或 阳性、阴性、可疑")
    if not limit.is_numeric:
        raise LabValueError("数值型快检须给出筛查阈值（如 ≤90）")
    u = abs(uncertainty) if uncertainty is not None else Decimal(0)
    if (
        detection_limit is not None
        and measured.bound == ""
        and measured.value is not None
        and measured.value < detection_limit
    ):
        measured = Measured(measured.text, detection_limit, "nd")
    if limit.comparison is Comparison.NOT_DETECTED:
        verdict, reason = _numeric_verdict(limit, measured)
        result = Screening.NEGATIVE if verdict is Verdict.PASS else Screening.POSITIVE
        return ScreeningOutcome(result, reason)
    got = measured.interval(u)
    zone = limit.zone()
    span = f"实测值 {measured.text}" + (f"（U={_plain(u)}）" if u else "")
    if got.within(zone):
        return ScreeningOutcome(Screening.NEGATIVE, f"{span} 完全在阈值 {limit.describe()} 内")
    if got.outside(zone):
        return ScreeningOutcome(
            Screening.POSITIVE, f"{span} 超出阈值 {limit.describe()}，须实验室检验确认"
        )
    return ScreeningOutcome(
        Screening.SUSPECT,
        f"{span} 的不确定度区间跨越阈值 {limit.describe()}，须实验室检验确认",
    )


def same_item(a: str, b: str) -> bool:
    """Whether two test item names are the same item (spacing and width ignored)."""
    return _normalise(a).replace(" ", "").casefold() == _normalise(b).replace(" ", "").casefold()


# ---------------------------------------------------------------- workflows

_MANAGERS = frozenset({ANALYST, CITY_SUPERVISOR, CITY_ADMIN})
_MANAGERS_AND_SYSTEM = _MANAGERS | {SYSTEM}

# A sampling task (抽样任务): planned, the product bought as a consumer would (mystery
# shopping), the sealed sample on its way to the lab, tested, closed; or cancelled before
# results exist. The moves to 已购买/已送检/已检验 follow from the records (purchase, custody,
# results); closing and cancelling are decisions.
LAB_TASK_MACHINE = StateMachine(
    "sampling_task",
    states={
        "planned": "已计划",
        "purchased": "已购买",
        "sent_to_lab": "已送检",
        "tested": "已检验",
        "closed": "已办结",
        "cancelled": "已撤销",
    },
    initial="planned",
    transitions=(
        Transition("purchase", "planned", "purchased", "登记购买", _MANAGERS_AND_SYSTEM),
        Transition("send", "purchased", "sent_to_lab", "送检", _MANAGERS_AND_SYSTEM),
        Transition("test", "sent_to_lab", "tested", "录入检验结果", _MANAGERS_AND_SYSTEM),
        Transition("close", "tested", "closed", "办结", _MANAGERS),
        Transition("cancel", "planned", "cancelled", "撤销", _MANAGERS),
        Transition("cancel", "purchased", "cancelled", "撤销", _MANAGERS),
        Transition("cancel", "sent_to_lab", "cancelled", "撤销", _MANAGERS),
    ),
)

# A violation lead (违法线索): flagged from a failed lab result, referred to enforcement,
# closed with its outcome (or closed without referral, with the reason).
LEAD_MACHINE = StateMachine(
    "violation_lead",
    states={"new": "待移送", "referred": "已移送执法", "closed": "已办结"},
    initial="new",
    transitions=(
        Transition("refer", "new", "referred", "移送执法", _MANAGERS),
        Transition("close", "new", "closed", "不予移送并办结", _MANAGERS),
        Transition("close", "referred", "closed", "办结", _MANAGERS | {DISTRICT_OFFICER}),
    ),
)
