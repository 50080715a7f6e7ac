"""`pqrisk signals`: aberration detection and its evaluation from the shell, no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pqrisk.core.signals.evaluate import evaluate
from pqrisk.core.signals.series_io import read_counts, write_detections
from pqrisk.core.signals.simulate import SimulationConfig, simulate
from pqrisk.core.signals.temporal import (
    FARRINGTON_B,
    FARRINGTON_W,
    METHOD_LABELS_ZH,
    METHODS,
    SeriesInputError,
    detect,
)

METHOD_NAMES = list(METHODS)


def _methods(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise click.BadParameter(
            f"未知的方法 {', '.join(unknown) or '（空）'}；可选：{', '.join(METHOD_NAMES)}"
        )
    return names


@click.group("signals", help="时间序列异常检测：对计数序列报警，或在模拟暴发上评估各方法")
def signals() -> None:
    pass


@signals.command("evaluate", help="生成带暴发的模拟周序列，报告各方法的检出率、误报率和检出延迟")
@click.option("--series", "n_series", default=1000, show_default=True, help="模拟序列数")
@click.option("--weeks", default=312, show_default=True, help="每个序列的周数（含历史）")
@click.option(
    "--eval-weeks",
    type=int,
    default=None,
    help="评估窗口（最后若干周）；默认为 Farrington 所需 5 年历史之后的全部周",
)
@click.option("--outbreak-size", default=2.0, show_default=True, help="暴发规模 k（k × 期望计数）")
@click.option(
    "--outbreak-model",
    type=click.Choice(["excess", "noufaily"]),
    default="excess",
    show_default=True,
    help="excess：每期增加 Poisson(k×期望)；noufaily：总数 Poisson(k×标准差) 分摊到各期",
)
@click.option("--min-duration", default=2, show_default=True, help="暴发最短持续期数")
@click.option("--max-duration", default=4, show_default=True, help="暴发最长持续期数")
@click.option(
    "--methods",
    "methods_text",
    default=",".join(METHOD_NAMES),
    show_default=True,
    help="逗号分隔的方法名",
)
@click.option("--seed", default=1, show_default=True, help="随机种子（相同种子结果相同）")
def evaluate_cmd(
    n_series: int,
    weeks: int,
    eval_weeks: int | None,
    outbreak_size: float,
    outbreak_model: str,
    min_duration: int,
    max_duration: int,
    methods_text: str,
    seed: int,
) -> None:
    methods = _methods(methods_text)
    if n_series < 1 or weeks < 20:
        raise click.BadParameter("至少 1 个序列、20 周")
    if not 1 <= min_duration <= max_duration:
        raise click.BadParameter("暴发持续期须满足 1 ≤ 最短 ≤ 最长")
    history = FARRINGTON_B * 52 + FARRINGTON_W
    if eval_weeks is None:
        eval_weeks = weeks - history if weeks - history >= max_duration else weeks // 3
    if not max_duration <= eval_weeks <= weeks:
        raise click.BadParameter(f"评估窗口须在 {max_duration} 到 {weeks} 周之间")
    config = SimulationConfig(
        n_series=n_series,
        n_periods=weeks,
        eval_periods=eval_weeks,
        outbreak_size=outbreak_size,
        outbreak_model=outbreak_model,
        duration=(min_duration, max_duration),
        seed=seed,
    )
    sim = simulate(config)
    click.echo(
        f"模拟 {n_series} 个周序列 × {weeks} 周，评估最后 {eval_weeks} 周；"
        f"每个序列一次暴发，规模 k={outbreak_size:g}（{outbreak_model}），"
        f"持续 {min_duration}–{max_duration} 周，种子 {seed}"
    )
    if weeks - eval_weeks < history:
        click.echo(
            f"注意：Farrington/Noufaily 需要 {history} 周历史，评估窗口内不足的时期记为基线不足"
        )
    scores = evaluate(sim, methods)
    # Headers are Chinese (two columns wide each); pad by hand so the numbers line up.
    click.echo(
        "方法        检出率    误报率  每序列年误报  中位延迟(期)  基线不足期数  用时(秒)  说明"
    )
    for sc in scores:
        label = METHOD_LABELS_ZH.get(sc.method, "参照：历史均值+3倍标准差")
        delay = "—" if sc.median_delay is None else f"{sc.median_delay:g}"
        click.echo(
            f"{sc.method:<10}{sc.pod:>8.1%}{sc.false_alarm_rate:>10.2%}"
            f"{sc.false_alarms_per_series_year:>14.2f}{delay:>14}{sc.insufficient_periods:>14}"
            f"{sc.seconds:>10.2f}  {label}"
        )
    click.echo(json.dumps({sc.method: sc.as_json() for sc in scores}, ensure_ascii=False))


@signals.command("detect", help="对 CSV（列 series,date,count）中的每个序列逐期检测，输出报警表")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--method",
    "-m",
    "methods_text",
    default="noufaily",
    show_default=True,
    help=f"方法，可逗号分隔多个：{', '.join(METHOD_NAMES)}",
)
@click.option(
    "-o",
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="输出 CSV（默认标准输出）",
)
@click.option("--alarms-only", is_flag=True, help="只输出报警的行")
def detect_cmd(path: Path, methods_text: str, out_path: Path, alarms_only: bool) -> None:
    methods = _methods(methods_text)
    try:
        if str(path) == "-":
            table = read_counts(sys.stdin)
        else:
            if not path.exists():
                raise click.ClickException(f"文件不存在：{path}")
            with path.open(encoding="utf-8-sig", newline="") as fh:
                table = read_counts(fh)
        detections = [detect(table.counts, m, ppy=table.ppy) for m in methods]
    except SeriesInputError as exc:
        raise click.ClickException(f"{path}：{exc}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}：文件不是 UTF-8 编码的文本") from None
    if str(out_path) == "-":
        rows = write_detections(sys.stdout, table, detections, only_alarms=alarms_only)
    else:
        with out_path.open("w", encoding="utf-8", newline="") as fh:
            rows = write_detections(fh, table, detections, only_alarms=alarms_only)
    for det in detections:
        alarms = int(det.alarm.sum())
        short = int((det.status == 2).sum())
        click.echo(
            f"{METHOD_LABELS_ZH[det.method]}："
            f"{len(table.names)} 个序列 × {len(table.dates)} 期，"
            f"报警 {alarms} 个，基线不足 {short} 个",
            err=True,
        )
    click.echo(f"已写出 {rows} 行", err=True)
