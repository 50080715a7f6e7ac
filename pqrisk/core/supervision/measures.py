"""Supervision measures per grade (分类监管措施; 国市监信发〔2022〕6号; issue 10 part 7).

Each measure carries its Chinese label and the default text of its legal basis, which the
officer recording a measure may edit (the bureau's legal office keeps the wording current).
``SUGGESTED`` says which measures a grade calls for; the page offers them first.
"""

from __future__ import annotations

from collections.abc import Mapping

from pqrisk.core.levels import _Meaningful

from .grading import Grade


class MeasureKind(_Meaningful):
    """A measure; ``meaning`` is the default legal basis (法律依据)."""

    HIGHER_FREQUENCY = (
        "higher_frequency",
        "提高检查频次",
        "#e65100",
        1,
        "《关于推进企业信用风险分类管理进一步提升监管效能的意见》（国市监信发〔2022〕6号）",
    )
    STRICTER = (
        "stricter",
        "列为重点监管对象",
        "#e65100",
        2,
        "《关于推进企业信用风险分类管理进一步提升监管效能的意见》（国市监信发〔2022〕6号）",
    )
    RECTIFICATION = (
        "rectification",
        "责令整改",
        "#f9a825",
        3,
        "《中华人民共和国产品质量法》第十七条（监督抽查不合格的，责令限期改正）",
    )
    INTERVIEW = (
        "interview",
        "约谈",
        "#f57c00",
        4,
        "《中华人民共和国产品质量法》第十五条至第十七条；市场监管部门行政约谈相关规定",
    )
    ABNORMAL_LIST = (
        "abnormal_list",
        "列入经营异常名录",
        "#b71c1c",
        5,
        "《企业信息公示暂行条例》第十七条；《市场监督管理信用修复管理办法》",
    )
    SERIOUS_VIOLATION_LIST = (
        "serious_violation_list",
        "列入严重违法失信名单",
        "#7f0000",
        6,
        "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）",
    )


SUGGESTED: Mapping[Grade, tuple[MeasureKind, ...]] = {
    Grade.A: (),
    Grade.B: (MeasureKind.RECTIFICATION,),
    Grade.C: (MeasureKind.HIGHER_FREQUENCY, MeasureKind.RECTIFICATION, MeasureKind.INTERVIEW),
    Grade.D: (
        MeasureKind.STRICTER,
        MeasureKind.HIGHER_FREQUENCY,
        MeasureKind.INTERVIEW,
        MeasureKind.ABNORMAL_LIST,
        MeasureKind.SERIOUS_VIOLATION_LIST,
    ),
}


def suggested(grade: str | None) -> tuple[MeasureKind, ...]:
    return SUGGESTED.get(Grade(grade), ()) if grade else ()
