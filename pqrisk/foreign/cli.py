"""`pqrisk foreign …`: load, poll, process and match foreign alerts from the shell.

``COMMANDS`` is mounted under the ``foreign`` group of pqrisk/cli.py (beside ``tag`` from
pqrisk/core/foreign/cli.py):

    pqrisk foreign load alerts.csv --format safety-gate-csv
    pqrisk foreign poll [--inbox DIR] [--url URL …]
    pqrisk foreign process [--limit N]
    pqrisk foreign match [--all]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    os.environ.setdefault("PQRISK_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _echo_counts(title: str, counts: dict[str, int]) -> None:
    labels = {
        "tagged": "标注入库",
        "made_in_china": "其中中国制造",
        "with_errors": "其中有无法读取的部分",
        "status_matched": "已关联企业",
        "status_review": "待人工复核",
        "status_no_match": "无本地关联",
        "status_case_opened": "已立案",
        "raised_later": "补转风险信息",
        "linked": "补连风险信息",
    }
    parts = [f"{labels.get(k, k)} {v} 条" for k, v in counts.items() if v or k == "tagged"]
    click.echo(f"{title}：" + ("，".join(parts) if parts else "无待处理的境外通报"))


@click.command("load", help="载入一个境外通报文件（欧盟Safety Gate CSV/JSON 或美国CPSC JSONL/CSV）")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "safety-gate-csv", "safety-gate-json", "cpsc-json", "cpsc-csv"]),
    default="auto",
    show_default=True,
    help="文件格式；auto 按扩展名和表头判断",
)
@click.option("--process/--no-process", default=False, help="载入后立即标注并匹配本地企业")
def load(path: Path, fmt: str, process: bool) -> None:
    _setup()
    from .services import ingest_foreign_file, process_pending

    if not path.exists():
        raise click.ClickException(f"文件不存在：{path}")
    result = ingest_foreign_file(path, fmt)
    click.echo(f"{path.name}：{result.summary_zh}")
    if result.quarantined:
        click.echo(
            f"无法接收的记录已保存在隔离区（批次 {result.batch_id}），可在“隔离区”页面查看原因。"
        )
    if process:
        _echo_counts("标注与匹配", process_pending())
    elif result.accepted:
        click.echo("运行 pqrisk foreign process 进行标注和企业匹配。")
    if result.accepted == 0 and result.duplicates == 0 and result.quarantined > 0:
        sys.exit(1)


@click.command(
    "poll", help="采集一次配置的收件文件夹和导出地址（PQRISK_FOREIGN_INBOX / PQRISK_FOREIGN_URLS）"
)
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="收件文件夹（代替配置）",
)
@click.option("--url", "urls", multiple=True, help="导出地址（可多次给出，代替配置）")
def poll(inbox: Path | None, urls: tuple[str, ...]) -> None:
    _setup()
    from .polling import inbox_dir, poll_inbox, poll_urls

    folder = inbox or inbox_dir()
    outcomes = [*poll_inbox(folder), *poll_urls(list(urls) if urls else None)]
    if not outcomes:
        click.echo("没有待采集的文件或地址（请配置 PQRISK_FOREIGN_INBOX 或 PQRISK_FOREIGN_URLS）。")
        return
    for o in outcomes:
        click.echo(f"{o.where}：{o.message_zh}")
    if all(o.state == "error" for o in outcomes):
        sys.exit(1)


@click.command("process", help="标注尚未处理的境外通报，匹配本地企业并转入风险信息")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="最多处理的条数")
def process(limit: int | None) -> None:
    _setup()
    from .services import process_pending

    _echo_counts("标注与匹配", process_pending(limit))


@click.command("match", help="按当前企业名录和别名重新匹配境外通报（人工复核结论保持不变）")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="最多匹配的条数")
def match(limit: int | None) -> None:
    _setup()
    from .choices import AlertStatus
    from .services import rematch_all

    counts = rematch_all(limit)
    parts = [f"{AlertStatus(k).label} {v} 条" for k, v in sorted(counts.items())]
    click.echo("重新匹配：" + ("，".join(parts) if parts else "没有境外通报"))


COMMANDS: list[click.Command] = [load, poll, process, match]
