"""`pqrisk` — every job of the platform, runnable from the shell."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pqrisk.sources.records import SOURCE_KINDS


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    # The shell shows progress bars and summaries; per-step log lines only when asked for.
    os.environ.setdefault("PQRISK_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _migrate(quiet: bool = True) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0 if quiet else 1)


@contextmanager
def _bar(desc: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit="条", disable=None, file=sys.stderr) as bar:
        yield bar.update


def _pipeline_progress() -> tuple[Callable[[str, int], None], Callable[[], None]]:
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}
    names = {"screen": "筛查", "assess": "评估"}

    def update(step: str, n: int) -> None:
        if step not in bars:
            bars[step] = tqdm(desc=names.get(step, step), unit="条", disable=None, file=sys.stderr)
        bars[step].update(n)

    def close() -> None:
        for b in bars.values():
            b.close()

    return update, close


@click.group(help="工业产品质量安全风险评估预警平台 pqrisk 命令行")
def main() -> None:
    pass


@main.command("migrate", help="创建或升级数据库结构并载入基础数据")
def migrate_cmd() -> None:
    _setup()
    _migrate(quiet=False)


@main.command("load-reference", help="按 pqrisk/taxonomy/data 重新载入行政区、产品目录和危害分类")
def load_reference() -> None:
    _setup()
    from pqrisk.reference.services import load_reference_data

    counts = load_reference_data()
    click.echo(
        f"行政区 {counts.districts} 个，产品类别 {counts.products} 个，危害类型 {counts.hazards} 个"
    )


@main.command(help="采集一个文件（JSONL / JSON / CSV / Excel）中的风险信息")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--source",
    type=click.Choice(SOURCE_KINDS),
    help="文件中记录未注明来源类型时使用",
)
def ingest(path: Path, source: str | None) -> None:
    _setup()
    from pqrisk.intake.services import ingest_file

    if not path.exists():
        raise click.ClickException(f"文件不存在：{path}")
    with _bar(f"采集 {path.name}") as update:
        result = ingest_file(path, source=source, progress=update)
    click.echo(result.summary_zh)
    if result.quarantined:
        click.echo(
            f"被隔离的记录已保存在隔离区（批次 {result.batch_id}），可在“隔离区”页面查看原因。"
        )
    if result.accepted == 0 and result.quarantined > 0:
        sys.exit(1)


@main.command("ingest-feed", help="采集一个 RSS/Atom 舆情订阅文件（已下载的 XML）")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", "feed_url", default="", help="订阅地址（记录来源，可选）")
def ingest_feed(path: Path, feed_url: str) -> None:
    _setup()
    from pqrisk.intake.services import ingest_entries
    from pqrisk.sources.media import parse_feed
    from pqrisk.sources.readers import Entry
    from pqrisk.sources.records import RecordRejected

    data = path.read_bytes()
    try:
        records = parse_feed(data, feed_url or path.name)
        entries = [
            Entry(f"{path.name}#{i}", json.dumps(r, ensure_ascii=False), r)
            for i, r in enumerate(records, start=1)
        ]
    except RecordRejected as exc:
        entries = [Entry(path.name, data[:100_000].decode("utf-8", "replace"), exc)]
    result = ingest_entries(entries, source_label=path.name, default_source="media")
    click.echo(result.summary_zh)
    if result.accepted == 0 and result.quarantined > 0:
        sys.exit(1)


@main.command(
    "load-enterprises", help="登记企业名录（JSONL / JSON / CSV / Excel）；无效记录进入隔离区"
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_enterprises(path: Path) -> None:
    _setup()
    from pqrisk.enterprises.services import load_enterprises_file

    result = load_enterprises_file(path)
    click.echo(f"企业：新增 {result.created}，更新 {result.updated}，隔离 {result.quarantined}")
    if result.quarantined and not (result.created or result.updated):
        sys.exit(1)


@main.command("station-token", help="为监测站签发新的接口令牌（原令牌作废），只显示一次")
@click.argument("name")
def station_token(name: str) -> None:
    _setup()
    from pqrisk.stations.models import MonitoringStation
    from pqrisk.stations.services import issue_station_token

    station = MonitoringStation.objects.filter(name=name).first()
    if station is None:
        raise click.ClickException(f"未找到监测站：{name}")
    click.echo(issue_station_token(station))


@main.command("check-stations", help="检查超期未报送的监测站并刷新动态评分")
def check_stations() -> None:
    _setup()
    from pqrisk.stations.tasks import check_stations as run

    result = run()
    click.echo(f"超期未报送 {len(result['stale'])} 个，已评分 {result['scored']} 个")


@main.command("load-cpsc", help="载入美国CPSC召回数据（legacy JSONL）作为境外召回通报")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_cpsc(path: Path) -> None:
    _setup()
    from pqrisk.intake.services import load_cpsc_file

    result = load_cpsc_file(path)
    click.echo(result.summary_zh)


@main.command("run-pipeline", help="筛查、评估、提出预警建议并检查处置时限")
def run_pipeline_cmd() -> None:
    _setup()
    from pqrisk.pipeline import run_pipeline

    update, close = _pipeline_progress()
    try:
        report = run_pipeline(progress=update)
    finally:
        close()
    for line in report.lines_zh():
        click.echo(line)


@main.command(help="生成并载入演示数据，运行全流程，然后启动服务")
@click.option("--seed", default=20261126, show_default=True, help="随机种子（结果可复现）")
@click.option("--enterprises", "n_enterprises", default=2000, show_default=True)
@click.option("--days", default=365, show_default=True)
@click.option("--serve/--no-serve", default=None, help="默认启动服务；PQRISK_SERVE=0 时不启动")
@click.option("--port", default=8000, show_default=True)
def demo(seed: int, n_enterprises: int, days: int, serve: bool | None, port: int) -> None:
    _setup()
    from pqrisk.demo.loader import load_demo

    _migrate()
    summary = load_demo(
        seed=seed,
        n_enterprises=n_enterprises,
        days=days,
        bar=_bar,
        pipeline_progress=_pipeline_progress,
    )
    for line in summary.lines:
        click.echo(line)
    if serve is None:
        serve = os.environ.get("PQRISK_SERVE", "1") != "0"
    if serve:
        _serve("127.0.0.1", port)


@main.command(help="启动网页服务（默认 http://127.0.0.1:8000/）")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    _setup()
    _migrate()
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    click.echo(f"服务地址：http://{host}:{port}/  （Ctrl+C 停止）")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "pqrisk.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        "2",
        "--access-logfile",
        "-",
    ]
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
