"""The charts of an issue, drawn on the server with matplotlib (Agg) from its stored data.

Chinese labels need a CJK font from the system (Debian ``fonts-noto-cjk``, installed by
``make install``); without one no chart is drawn and the documents say why instead of
printing empty boxes. matplotlib's cache goes to a temporary directory (MPLCONFIGDIR), never
to $HOME.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

# Preferred first: Simplified Chinese glyphs, then any Noto CJK face (matplotlib reads the
# first face of a .ttc, which is the Japanese one for Debian's files), then common others.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)
NO_FONT_MESSAGE = (
    "图表未生成：服务器未安装中文字体（Debian 软件包 fonts-noto-cjk，见 make install）"
)
BAR_COLOUR = "#1d4e89"
DPI = 150
MAX_BARS = 10


@dataclass(frozen=True)
class Chart:
    key: str
    section: str  # the section it is shown in
    caption: str
    png: bytes


def _pyplot() -> Any:
    if "MPLCONFIGDIR" not in os.environ:
        # One directory per user under the system's temp dir: matplotlib's font cache is built
        # once (seconds) instead of in every process, and nothing is written to $HOME.
        path = Path(tempfile.gettempdir()) / f"pqrisk-matplotlib-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["MPLCONFIGDIR"] = str(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@cache
def cjk_font() -> str | None:
    """The name of a CJK font matplotlib can use, or None."""
    _pyplot()
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in available:
            return name
    return next((n for n in sorted(available) if "CJK" in n), None)


def chart_unavailable() -> str | None:
    """None when charts can be drawn, else the reason for a person to act on."""
    return None if cjk_font() else NO_FONT_MESSAGE


def _png(fig: Any) -> bytes:
    out = io.BytesIO()
    # No timestamps in the file: the same data draws the same bytes.
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    _pyplot().close(fig)
    return out.getvalue()


def _figure(height: float = 3.0) -> tuple[Any, Any]:
    plt = _pyplot()
    font = cjk_font()
    plt.rcParams["font.family"] = [font] if font else ["sans-serif"]
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(6.4, height), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _hbar(rows: list[list[Any]], title: str, colours: list[str] | None = None) -> bytes:
    rows = rows[:MAX_BARS]
    labels = [str(r[0]) for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    fig, ax = _figure(max(2.2, 0.45 * len(rows) + 1.0))
    bars = ax.barh(labels, values, color=(colours or [BAR_COLOUR] * len(rows))[::-1])
    ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_title(title, fontsize=12)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=9)
    return _png(fig)


def _trend(daily: list[list[Any]], title: str) -> bytes:
    days = [date.fromisoformat(d) for d, _ in daily]
    counts = [n for _, n in daily]
    fig, ax = _figure(2.8)
    if len(days) <= 14:
        ax.bar(days, counts, color=BAR_COLOUR)
    else:
        ax.plot(days, counts, color=BAR_COLOUR, linewidth=1.6)
        ax.fill_between(days, counts, color=BAR_COLOUR, alpha=0.12)
    ax.set_title(title, fontsize=12)
    ax.set_ylabel("条", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    return _png(fig)


def bulletin_charts(data: dict[str, Any]) -> list[Chart]:
    """The issue's charts (none when no CJK font is installed, see ``chart_unavailable``)."""
    if chart_unavailable():
        return []
    counts = data.get("counts", {})
    charts = []
    if counts.get("risk_infos"):
        charts.append(
            Chart(
                "daily",
                "overview",
                "图1 本期每日风险信息数",
                _trend(counts["daily"], "每日风险信息数"),
            )
        )
        charts.append(
            Chart(
                "sources",
                "overview",
                "图2 风险信息来源分布",
                _hbar(counts["by_source"], "风险信息来源分布（条）"),
            )
        )
        charts.append(
            Chart(
                "families",
                "overview",
                "图3 风险信息产品大类分布",
                _hbar(counts["by_family"], "产品大类分布（条，前10位）"),
            )
        )
    warnings = data.get("warnings", {})
    if warnings.get("total"):
        rows = [[label, n] for _, label, _, n in warnings["by_level"]]
        colours = [colour for _, _, colour, _ in warnings["by_level"]]
        charts.append(
            Chart(
                "levels",
                "warnings",
                f"图{len(charts) + 1} 新发布预警等级分布",
                _hbar(rows, "新发布预警等级分布（条）", colours),
            )
        )
    return charts
