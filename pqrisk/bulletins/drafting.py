"""The text the system drafts for each section from the period's data, in the bureau's words.

A person edits it before publication; a regeneration of the data re-drafts only the sections
nobody has edited (see ``services.regenerate``).
"""

from __future__ import annotations

from typing import Any

from .choices import SECTIONS, BulletinKind

MAX_NAMED = 3


def _listing(pairs: list[list[Any]], unit: str = "条", limit: int = MAX_NAMED) -> str:
    """ "投诉举报 12条、监督抽查 5条" for the first pairs with a count."""
    return "、".join(f"{name}{n}{unit}" for name, n in pairs[:limit] if n)


def default_title(kind: str, data: dict[str, Any], theme: str = "") -> str:
    start = data["period"]["start"]
    year, month = int(start[:4]), int(start[5:7])
    if kind == BulletinKind.MONTHLY:
        return f"{year}年{month}月产品质量安全风险监测情况"
    if kind == BulletinKind.WEEKLY:
        return f"产品质量安全风险监测周报（{data['period']['label']}）"
    return f"{theme or '产品质量安全'}风险专题"


def draft_sections(data: dict[str, Any]) -> dict[str, str]:
    """Each section's drafted text (paragraphs separated by line breaks)."""
    return {
        "overview": _overview(data),
        "warnings": _warnings(data["warnings"]),
        "risks": _risks(data["risks"]),
        "signals": _signals(data["signals"]),
        "disposal": _disposal(data["disposal"]),
        "tips": _tips(data["tips"]),
    }


def section_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    drafted = draft_sections(data)
    return [
        {"key": key, "heading": heading, "text": drafted[key], "drafted": drafted[key]}
        for key, heading in SECTIONS
    ]


def _overview(data: dict[str, Any]) -> str:
    counts = data["counts"]
    theme = "、".join(t for t in (data["theme"]["category"], data["theme"]["hazard"]) if t)
    subject = f"涉及{theme}的" if theme else ""
    lines = []
    if counts["risk_infos"]:
        text = (
            f"本期（{data['period']['label']}），平台共监测到{subject}产品质量安全风险信息"
            f"{counts['risk_infos']}条，其中{_listing(counts['by_source'])}"
        )
        if counts["by_family"]:
            text += f"；按产品大类，居前的是{_listing(counts['by_family'])}"
        lines.append(text + "。")
    else:
        lines.append(
            f"本期（{data['period']['label']}），平台未监测到{subject}产品质量安全风险信息。"
        )
    lines.append(
        f"本期新提出预警建议{counts['warnings_proposed']}条，新立项评估任务"
        f"{counts['cases_opened']}项，形成评估结论{counts['cases_concluded']}项。"
    )
    return "\n".join(lines)


def _warnings(warnings: dict[str, Any]) -> str:
    if not warnings["total"]:
        return "本期未发布新的风险预警。"
    levels = "、".join(f"{label}{n}条" for _, label, _, n in warnings["by_level"] if n)
    return f"本期共发布风险预警{warnings['total']}条，其中{levels}。各条预警见下表。"


def _risks(risks: dict[str, Any]) -> str:
    lines = []
    if risks["events"]:
        named = "、".join(f"{e['title']}（{e['items']}条）" for e in risks["events"][:MAX_NAMED])
        lines.append(f"本期风险信息最集中的事件是{named}。")
    else:
        lines.append("本期未出现集中的风险事件。")
    assessed = "、".join(f"{label}{n}条" for _, label, _, n in risks["assessments_by_level"] if n)
    if assessed:
        lines.append(f"本期完成风险评估：{assessed}。")
    if risks["cases"]:
        lines.append(f"经评估研判结论为严重风险或高风险的评估任务{len(risks['cases'])}项，见下表。")
    return "\n".join(lines)


def _signals(signals: dict[str, Any]) -> str:
    if not signals["total"]:
        return "本期统计监测未发现新的风险信号。"
    kinds = "、".join(f"{label}{n}条" for label, n in signals["by_kind"] if n)
    text = f"统计监测本期共发现风险信号{signals['total']}条，其中{kinds}。"
    if signals["rows"]:
        text += f"信号强度最高的是“{signals['rows'][0]['title']}”。"
    return text


def _disposal(d: dict[str, Any]) -> str:
    lines = [f"本期新下达处置任务{d['tasks_created']}项，办结{d['tasks_closed']}项。"]
    if d["reports"]:
        lines.append(
            f"各区局提交书面处置报告{d['reports']}份，共检查企业{d['enterprises_checked']}家，"
            f"下架/召回产品{d['products_removed']}件（其中召回{d['products_recalled']}件），"
            f"行政处罚{d['penalties']}件，罚没金额{d['penalty_amount']}元。"
        )
        if d["outcomes"]:
            lines.append(f"涉及企业的处置结论：{_listing(d['outcomes'], '家', limit=6)}。")
    else:
        lines.append("本期未收到书面处置报告。")
    return "\n".join(lines)


def _tips(tips: list[dict[str, Any]]) -> str:
    if not tips:
        return "本期未发布新的消费提示。请广大消费者通过正规渠道购买产品，按说明书正确使用。"
    return f"本期面向消费者发布风险提示{len(tips)}条，提醒广大消费者："
