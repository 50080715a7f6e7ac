"""`pqrisk` — every job of the platform, runnable from the shell."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pqrisk.intake.choices import QuarantineReason
from pqrisk.sources.records import SOURCE_KINDS

if TYPE_CHECKING:
    from pqrisk.intake.models import QuarantinedItem


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
def _bar(desc: str, total: int | None = None, unit: str = "条") -> Iterator[Callable[[int], None]]:
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, disable=None, file=sys.stderr) as bar:
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
    from pqrisk.sources.media import feed_entries

    entries = feed_entries(path.read_bytes(), feed_url or path.name, path.name)
    result = ingest_entries(entries, source_label=path.name, default_source="media")
    click.echo(result.summary_zh)
    if result.accepted == 0 and result.quarantined > 0:
        sys.exit(1)


@main.group("feeds", help="舆情订阅源（RSS/Atom 网址）：添加、查看；由定时任务或 poll-feeds 采集")
def feeds() -> None:
    pass


@feeds.command("add", help="添加订阅源：名称和 http(s) 订阅地址")
@click.argument("name")
@click.argument("url")
@click.option(
    "--interval", default=30, show_default=True, type=click.IntRange(min=5), help="采集间隔（分钟）"
)
@click.option("--site", default="", help="来源站点名称（可选，显示在采集批次中）")
def feeds_add(name: str, url: str, interval: int, site: str) -> None:
    _setup()
    from django.core.exceptions import ValidationError

    from pqrisk.feeds.services import add_subscription

    try:
        sub = add_subscription(name=name, url=url, interval_minutes=interval, site=site)
    except ValidationError as exc:
        raise click.ClickException("；".join(exc.messages)) from None
    click.echo(f"已添加订阅源 {sub.name}：{sub.url}，每 {sub.interval_minutes} 分钟采集一次")


@feeds.command("list", help="列出订阅源及最近采集结果")
def feeds_list() -> None:
    _setup()
    from django.utils import timezone

    from pqrisk.feeds.models import FeedSubscription

    subs = FeedSubscription.objects.order_by("name", "id")
    if not subs:
        click.echo("尚无订阅源；用 pqrisk feeds add 名称 地址 添加")
        return
    for s in subs:
        polled = (
            f"{timezone.localtime(s.last_polled_at):%Y-%m-%d %H:%M}"
            if s.last_polled_at
            else "从未采集"
        )
        state = s.get_last_status_display() + ("" if s.active else "（已停用）")
        click.echo(
            f"{s.name}\t{state}\t每{s.interval_minutes}分钟\t最近采集 {polled}\t"
            f"累计新增 {s.items_new} 条\t{s.url}"
        )
        if s.last_error:
            click.echo(f"    连续失败 {s.consecutive_failures} 次：{s.last_error}")


@main.command("poll-feeds", help="采集已到采集间隔的舆情订阅源")
@click.option("--all", "everything", is_flag=True, help="不论采集间隔，采集全部已启用的订阅源")
def poll_feeds(everything: bool) -> None:
    _setup()
    from pqrisk.feeds.services import due_subscriptions, poll_subscriptions

    subs = due_subscriptions(everything=everything)
    if not subs:
        click.echo("没有到期的订阅源" if not everything else "没有已启用的订阅源")
        return
    with _bar("采集订阅源", total=len(subs), unit="个") as update:
        results = poll_subscriptions(subs, progress=update)
    for result in results:
        click.echo(result.summary_zh)
    failed = sum(r.failed for r in results)
    accepted = sum(r.accepted for r in results)
    click.echo(f"共采集 {len(results)} 个订阅源，新增 {accepted} 条，失败 {failed} 个")
    if results and failed == len(results):
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


@main.group(help="隔离区：查看被拒收的记录，更正后重新导入或不予处理")
def quarantine() -> None:
    pass


@quarantine.command("list", help="列出隔离区记录，最新的在前")
@click.option("--reason", type=click.Choice(QuarantineReason.values), help="只看此原因")
@click.option("--open", "open_only", is_flag=True, help="只看待处理的记录")
@click.option("--limit", default=50, show_default=True)
def quarantine_list(reason: str | None, open_only: bool, limit: int) -> None:
    _setup()
    from pqrisk.intake.choices import QUARANTINE_STATE_LABELS
    from pqrisk.intake.quarantine import dao_quarantined_items

    items = dao_quarantined_items(reason=reason, open_only=open_only)
    total = items.count()
    for q in items[:limit]:
        click.echo(
            f"#{q.pk}\t{q.received_at:%Y-%m-%d %H:%M}\t{QUARANTINE_STATE_LABELS[q.state]}\t"
            f"{q.get_reason_display()}\t{q.location}\t{q.message}"
        )
    click.echo(f"共 {total} 条" + (f"，仅显示最新 {limit} 条" if total > limit else ""))


@quarantine.command("show", help="显示一条隔离区记录的原因、原始内容和可更正的记录草稿")
@click.argument("item_id", type=int)
@click.option("--draft", "draft_only", is_flag=True, help="只输出记录草稿（JSON），供编辑后 replay")
def quarantine_show(item_id: int, draft_only: bool) -> None:
    _setup()
    from pqrisk.intake.choices import QUARANTINE_STATE_LABELS
    from pqrisk.intake.quarantine import draft_of

    item = _quarantined(item_id)
    if not draft_only:
        click.echo(f"#{item.pk} {QUARANTINE_STATE_LABELS[item.state]} · {item.location}")
        click.echo(f"原因：{item.get_reason_display()}：{item.message}")
        click.echo(f"原始内容：{item.content}")
        click.echo("记录草稿：")
    click.echo(draft_of(item))


@quarantine.command("replay", help="用更正后的记录（JSON 文件）重新导入一条隔离区记录")
@click.argument("item_id", type=int)
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="更正后的记录，一个JSON对象（可由 show --draft 生成后编辑）",
)
@click.option("--note", default="", help="说明")
def quarantine_replay(item_id: int, path: Path, note: str) -> None:
    _setup()
    import json

    from pqrisk.intake.quarantine import QuarantineError, replay

    item = _quarantined(item_id)
    try:
        fixed = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path.name} 不是UTF-8编码的合法JSON：{exc}") from exc
    try:
        outcome = replay(item, fixed, None, note)
    except QuarantineError as exc:
        raise click.ClickException(exc.message_zh) from exc
    click.echo(outcome.summary_zh)
    if not outcome.accepted:
        sys.exit(1)


@quarantine.command("dismiss", help="将一条隔离区记录标记为不予处理（须说明理由）")
@click.argument("item_id", type=int)
@click.option("--note", required=True, help="不予处理的理由")
def quarantine_dismiss(item_id: int, note: str) -> None:
    _setup()
    from pqrisk.intake.quarantine import QuarantineError, dismiss

    try:
        dismiss(_quarantined(item_id), None, note)
    except QuarantineError as exc:
        raise click.ClickException(exc.message_zh) from exc
    click.echo(f"隔离记录 #{item_id} 已标记为不予处理")


def _quarantined(item_id: int) -> QuarantinedItem:
    from pqrisk.intake.models import QuarantinedItem

    item = QuarantinedItem.objects.select_related("batch").filter(pk=item_id).first()
    if item is None:
        raise click.ClickException(f"未找到隔离区记录 #{item_id}")
    return item


@main.command("export", help="导出交换文件（pqrisk-exchange 格式，见 docs/exchange.md）")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（.json 或 .jsonl）",
)
@click.option(
    "--source", "sources", multiple=True, type=click.Choice(SOURCE_KINDS), help="可多次指定"
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="起始日期（含），如 2026-01-01")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="截止日期（含）")
@click.option(
    "--by",
    type=click.Choice(["occurred", "received"]),
    default="occurred",
    show_default=True,
    help="日期范围按发生日期（occurred）或接收日期（received）",
)
@click.option("--district", help="区划代码或区名，如 310115 或 浦东新区")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), help="默认按 --out 的扩展名")
def export_cmd(
    out: Path,
    sources: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    by: str,
    district: str | None,
    fmt: str | None,
) -> None:
    _setup()
    from pqrisk.exchange.format import ExportFilters, InvalidFilters
    from pqrisk.exchange.services import start_export

    suffix = out.suffix.lower()
    fmt = fmt or ("json" if suffix == ".json" else "jsonl")
    if suffix not in ({".json"} if fmt == "json" else {".jsonl", ".ndjson"}):
        raise click.ClickException(f"--format {fmt} 的文件名应以 .{fmt} 结尾：{out.name}")
    filters = ExportFilters(
        sources=sources,
        since=since.date() if since else None,
        until=until.date() if until else None,
        date_field=by,
        district=district,
    )
    try:
        export = start_export(filters, fmt=fmt, actor_label="命令行")
    except InvalidFilters as exc:
        raise click.ClickException(exc.message_zh) from exc
    # Written beside the target and renamed when complete: a cut-off file never looks whole.
    part = out.with_name(out.name + ".part")
    with (
        _bar(f"导出 {out.name}", total=export.count) as update,
        part.open("w", encoding="utf-8") as fh,
    ):
        export.write_to(fh, update)
    part.replace(out)
    click.echo(f"已导出 {export.count} 条记录到 {out}（导出编号 {export.export_id}）")


@main.command("import-exchange", help="导入其他部门或消费者组织的交换文件（pqrisk-exchange 格式）")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_exchange_cmd(path: Path) -> None:
    _setup()
    from pqrisk.exchange.services import import_exchange

    if not path.exists():
        raise click.ClickException(f"文件不存在：{path}")
    with _bar(f"导入 {path.name}") as update:
        result = import_exchange(path, progress=update)
    click.echo(result.summary_zh)
    if result.rejected is not None:
        sys.exit(1)
    if result.ingest.quarantined:
        batch = result.ingest.batch_id
        click.echo(f"被隔离的记录已保存在隔离区（批次 {batch}），可在“隔离区”页面查看原因。")
    if result.ingest.accepted == 0 and result.ingest.quarantined > 0:
        sys.exit(1)


@main.group("extract", help="从名称或文本中抽取结构化信息（不需要数据库）")
def extract() -> None:
    pass


@extract.command(
    "company",
    help="拆分企业名称（每行一个，- 表示标准输入）：每个名称输出一行JSON，"
    "含 name, place（地名）, brand（字号）, industry（行业）, org_form（组织形式）, branch（分支）",
)
@click.argument("names", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def extract_company(names: Path) -> None:
    import json

    from pqrisk.core.text.company import default_parser
    from pqrisk.sources.readers import has_bad_bytes, open_input
    from pqrisk.sources.records import RecordRejected

    try:
        lines = open_input(names)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    except RecordRejected as exc:
        raise click.ClickException(f"{names}：{exc.message_zh}") from exc
    parser = default_parser()
    with lines:
        for number, line in enumerate(lines, 1):
            name = line.strip()
            if not name:
                continue
            if has_bad_bytes(name):
                click.echo(f"第{number}行含有无法解码的字节，已跳过", err=True)
                continue
            fields = parser.parse(name).as_dict()
            click.echo(json.dumps({**fields, "name": name}, ensure_ascii=False))


@main.command(
    "screen",
    help="筛查一个 JSONL 文件（每行 id、text，可选 title、source、published_at、url），"
    "不需要数据库：去重、相关性、结构化抽取与事件聚类，每行输出一条结果",
)
@click.argument("input_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="结果文件（JSONL，- 为标准输出）",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="保存去重索引和事件的目录：下次运行接着判定（默认每次从空开始）",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="相关性模型文件（pqrisk classify train 训练）；缺省时按是否同时提到产品和危害判断",
)
@click.option(
    "--reference-date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="“3月5日”这类不带年份的日期按此日期推断年份（缺省为今天）",
)
def screen_cmd(
    input_path: Path,
    output_path: Path,
    state_dir: Path | None,
    model_path: Path | None,
    reference_date: datetime | None,
) -> None:
    from pqrisk.core.screening.run import run_screen

    try:
        stats = run_screen(
            input_path,
            output_path,
            state_dir=state_dir,
            model_path=model_path,
            reference_date=reference_date.date() if reference_date else None,
            progress=_bar,
        )
    except (OSError, ValueError) as exc:
        message = getattr(exc, "message_zh", None) or str(exc)
        if str(input_path) not in message:
            message = f"{input_path}：{message}"
        raise click.ClickException(message) from exc
    click.echo(stats.summary_zh, err=str(output_path) == "-")


@main.command(
    "userdict",
    help="按数据库中的产品目录、危害分类、品牌和企业名称生成分词用户词典（jieba 格式）",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="词典文件（缺省为标准输出）",
)
def userdict(output_path: Path) -> None:
    _setup()
    from pqrisk.core.text.segment import user_dictionary_text
    from pqrisk.screening.services import database_user_dictionary

    words = database_user_dictionary()
    text = user_dictionary_text(words)
    if str(output_path) == "-":
        click.echo(text, nl=False)
    else:
        output_path.write_text(text, "utf-8")
        click.echo(f"已写出 {len(words)} 个词：{output_path}", err=True)


@main.command("segment", help="用数据库生成的用户词典分词：参数中的文本，或标准输入的每一行")
@click.argument("texts", nargs=-1)
def segment(texts: tuple[str, ...]) -> None:
    _setup()
    from pqrisk.core.text.normalize import clean_text
    from pqrisk.core.text.segment import Segmenter
    from pqrisk.screening.services import database_user_dictionary

    segmenter = Segmenter(database_user_dictionary())
    lines: list[str] = list(texts)
    if not lines:
        lines = [raw.rstrip("\n") for raw in sys.stdin]
    for text in lines:
        click.echo(" ".join(segmenter.cut(clean_text(text))))


class _BadInput(click.ClickException):
    """A data file the command cannot use: exit status 2, like a usage error."""

    exit_code = 2


def _read_table(path: Path, *columns: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV/TSV file in UTF-8, GBK/GB18030 or UTF-16; each named column
    must be in the header. Undecodable bytes stay marked in their cell (see open_text)."""
    import csv

    from pqrisk.core.csvlimit import csv_field_limit
    from pqrisk.sources.readers import open_text, sniff_dialect
    from pqrisk.sources.records import RecordRejected

    if not path.is_file():
        raise _BadInput(f"文件不存在：{path}")
    try:
        stream, _ = open_text(path, newline="")
    except RecordRejected as exc:
        raise _BadInput(f"{path}：{exc.message_zh}") from exc
    with stream, csv_field_limit(16 * 1024 * 1024):
        head = stream.read(4096)
        dialect = sniff_dialect(head)  # quotes doubled as Excel writes them
        stream.seek(0)
        try:
            reader = csv.DictReader(stream, dialect=dialect)
            header = [name.strip() for name in reader.fieldnames or []]
            reader.fieldnames = header
            rows = [{k: v or "" for k, v in row.items() if k is not None} for row in reader]
        except csv.Error as exc:
            raise _BadInput(f"{path}：CSV 格式错误：{exc}") from exc
    if not header:
        raise _BadInput(f"{path}：CSV 文件没有表头")
    missing = [c for c in columns if c not in header]
    if missing:
        raise _BadInput(
            f"{path} 中没有列 {'、'.join(missing)}（表头为：{'、'.join(header)}）；"
            "请用 --text-col / --label-col 指定列名"
        )
    return header, rows


@main.group(
    "classify", help="文本分类：训练模型（风险类别、是否相关），对 CSV 文件逐行预测（不需要数据库）"
)
def classify() -> None:
    pass


@classify.command("train", help="用带标注的 CSV 训练分类模型，先做分层交叉验证，保存模型及训练信息")
@click.option(
    "--data", "data_path", required=True, type=click.Path(path_type=Path), help="训练数据 CSV"
)
@click.option("--text-col", default="text", show_default=True, help="文本列名")
@click.option("--label-col", default="label", show_default=True, help="标签列名")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="模型输出文件（.joblib）",
)
@click.option(
    "--label-name",
    "label_names",
    multiple=True,
    metavar="标签=名称",
    help="标签的中文名称，可多次指定，如 1=食品添加剂",
)
@click.option(
    "--head-chars",
    default=120,
    show_default=True,
    help="只用规范化后文本的前 N 个字（标题、日期、关键词在前）；0 为全文",
)
@click.option(
    "--words/--no-words", default=True, show_default=True, help="是否加入 jieba 分词的词 1–2 元特征"
)
@click.option("--c", "c_value", default=2.0, show_default=True, help="正则化参数 C（越小越平滑）")
@click.option(
    "--select",
    is_flag=True,
    help="按交叉验证 macro-F1 在几种配置中选择（较慢；此时不用 --head-chars、--words、--c）",
)
@click.option("--cv-folds", default=5, show_default=True, help="交叉验证折数；0 为不做")
@click.option("--positive-label", help="二分类时的正类标签（如相关性模型的 risk）")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    help="正类概率阈值（二分类）；多分类时低于此分数标为不确定",
)
def classify_train(
    data_path: Path,
    text_col: str,
    label_col: str,
    model_path: Path,
    label_names: tuple[str, ...],
    head_chars: int,
    words: bool,
    c_value: float,
    select: bool,
    cv_folds: int,
    positive_label: str | None,
    threshold: float | None,
) -> None:
    from pqrisk.core.screening.classify import (
        ClassifierConfig,
        ClassifierError,
        TextClassifier,
        TrainingSource,
        select_config,
        sha256_file,
    )
    from pqrisk.sources.readers import has_bad_bytes

    names: dict[str, str] = {}
    for item in label_names:
        value, sep, name = item.partition("=")
        if not sep or not value.strip() or not name.strip():
            raise _BadInput(f"--label-name 应写成 标签=名称，收到：{item}")
        names[value.strip()] = name.strip()
    _, rows = _read_table(data_path, text_col, label_col)
    texts, labels = [], []
    undecodable = 0
    for row in rows:
        text, label = row[text_col], row[label_col].strip()
        if has_bad_bytes(text) or has_bad_bytes(label):
            undecodable += 1
            continue
        texts.append(text)
        labels.append(label)
    if undecodable:
        click.echo(f"跳过 {undecodable} 行：含有无法解码的字节", err=True)
    config = ClassifierConfig(
        word_ngrams=(1, 2) if words else None, head_chars=head_chars or None, C=c_value
    )
    source = TrainingSource(data_path.name, sha256_file(data_path), len(rows))
    try:
        cv = None
        if select:
            config, reports = select_config(None, texts, labels, max(cv_folds, 2))
            for candidate, report in reports:
                click.echo(f"  交叉验证 macro-F1 {report.macro_f1:.4f}  {candidate.describe()}")
            cv = dict(reports)[config]
        model = TextClassifier.fit(
            texts,
            labels,
            config,
            task="relevance" if positive_label else "category",
            label_names=names,
            training=[source],
            cv_folds=cv_folds,
            cv=cv,
            threshold=threshold,
            positive_label=positive_label,
        )
    except ClassifierError as exc:
        raise _BadInput(f"{data_path}：{exc.message_zh}") from exc
    model.save(model_path)
    for line in model.describe_zh():
        click.echo(line)
    size = model_path.stat().st_size / 1024 / 1024
    click.echo(f"模型已保存：{model_path}（{size:.2f} MB）")


@classify.command(
    "predict",
    help="用训练好的模型逐行预测，输出原有各列加 pred（预测标签）、score（其概率）和 error",
)
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="模型文件（pqrisk classify train 输出）",
)
@click.option(
    "--data", "data_path", required=True, type=click.Path(path_type=Path), help="待预测的 CSV"
)
@click.option("--text-col", default="text", show_default=True, help="文本列名")
@click.option(
    "-o",
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="结果 CSV（UTF-8），- 为标准输出",
)
def classify_predict(model_path: Path, data_path: Path, text_col: str, output_path: Path) -> None:
    from pqrisk.core.safe_export import SafeDictWriter
    from pqrisk.core.screening.classify import ClassifierError, TextClassifier
    from pqrisk.sources.readers import has_bad_bytes

    if not model_path.is_file():
        raise _BadInput(f"模型文件不存在：{model_path}")
    try:
        model = TextClassifier.load(model_path)
    except ClassifierError as exc:
        raise click.ClickException(exc.message_zh) from exc
    header, rows = _read_table(data_path, text_col)
    with_names = bool(model.metadata.label_names)
    added = ["pred", *(["pred_name"] if with_names else []), "score", "error"]
    fields = [*(h for h in header if h not in added), *added]
    bad = {i for i, row in enumerate(rows) if has_bad_bytes(row[text_col])}
    for i in bad:
        rows[i][text_col] = ""
    predictions = model.predict([row[text_col] for row in rows])
    counts = {"empty": 0, "bad": len(bad)}
    to_stdout = str(output_path) == "-"
    part = output_path.with_name(output_path.name + ".part")
    with (
        click.open_file("-", "w") if to_stdout else part.open("w", encoding="utf-8", newline="")
    ) as fh:
        # The texts classified came from outside: no cell of the output may run as a formula.
        writer = SafeDictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for i, (row, p) in enumerate(zip(rows, predictions, strict=True)):
            error = p.error
            if i in bad:
                error = "文本含有无法解码的字节"
            elif error:
                counts["empty"] += 1
            if p.label and not p.confident:
                error = "分数低于阈值，结果不确定"
            out = {
                **row,
                "pred": p.label,
                "score": "" if p.score is None else f"{p.score:.4f}",
                "error": error,
            }
            if with_names:
                out["pred_name"] = model.label_name(p.label) if p.label else ""
            writer.writerow(out)
    if not to_stdout:
        part.replace(output_path)
    done = len(rows) - counts["empty"] - counts["bad"]
    click.echo(
        f"已预测 {done} 条，空文本 {counts['empty']} 条，无法解码 {counts['bad']} 条"
        + ("" if to_stdout else f"，结果写入 {output_path}"),
        err=True,
    )


def _assess_number(text: str, what: str) -> float:
    """A number as an assessor types it: 0.004, 4e-3 or 1/250."""
    from pqrisk.core.assessment.matrix import InvalidAssessment, parse_probability

    try:
        return parse_probability(text, what)
    except InvalidAssessment as exc:
        raise _BadInput(exc.message_zh) from None


def _assess_list(text: str) -> list[str]:
    # Chinese punctuation typed by habit counts as the ASCII separator.
    return [item.strip() for item in text.replace("，", ",").replace("：", ":").split(",")]


def _assess_ranges(text: str, n_steps: int) -> list[tuple[float | None, float | None]]:
    items = _assess_list(text)
    if len(items) != n_steps:
        raise _BadInput(
            f"--ranges 有{len(items)}个范围，--steps 有{n_steps}个概率，应一一对应"
            "（不需要范围的步骤留空，如 0.2:1,,0.001:0.01）"
        )
    ranges: list[tuple[float | None, float | None]] = []
    for i, item in enumerate(items, 1):
        if item in ("", "-"):
            ranges.append((None, None))
            continue
        low, sep, high = item.partition(":")
        if not sep:
            raise _BadInput(f"--ranges 第{i}个范围应写成 下限:上限，实际为“{item}”")
        ranges.append(
            (
                _assess_number(low, f"步骤{i}的概率下限") if low.strip() else None,
                _assess_number(high, f"步骤{i}的概率上限") if high.strip() else None,
            )
        )
    return ranges


@main.command(
    "assess",
    help="按风险矩阵（EU 2019/417、PRISM）评估一个产品风险，输出一个JSON对象（不需要数据库）："
    "发生概率、概率档、风险等级、按使用数量上调后的等级、不确定性范围和敏感步骤",
)
@click.option("--severity", required=True, metavar="N", help="伤害严重程度 1–4 级")
@click.option(
    "--steps",
    required=True,
    metavar="p1,p2,...",
    help="伤害情景各步骤的概率，逗号分隔，可写成小数或分数（0.5,1/250）",
)
@click.option("--units", metavar="N", help="在用产品数量（或暴露人数），用于按影响范围上调等级")
@click.option(
    "--vulnerable", is_flag=True, help="使用者包括儿童、老年人等易受伤害群体（记录在说明中）"
)
@click.option(
    "--ranges",
    metavar="l1:h1,l2:h2,...",
    help="各步骤概率的下限:上限，与 --steps 一一对应；某步骤无范围时留空",
)
def assess_cmd(
    severity: str, steps: str, units: str | None, vulnerable: bool, ranges: str | None
) -> None:
    import json

    from pqrisk.core.assessment.matrix import (
        PROBABILITY_BANDS,
        AssessmentInput,
        InvalidAssessment,
        ScenarioStep,
        assess,
        format_probability,
    )

    try:
        severity_level = int(severity.strip())
    except ValueError:
        raise _BadInput(f"伤害严重程度应为1至4的整数，实际为“{severity}”") from None
    exposed: int | None = None
    if units is not None:
        try:
            exposed = int(units.strip().replace(",", ""))
        except ValueError:
            raise _BadInput(f"使用数量应为非负整数，实际为“{units}”") from None
    points = [_assess_number(p, f"步骤{i}的概率") for i, p in enumerate(_assess_list(steps), 1)]
    bounds = _assess_ranges(ranges, len(points)) if ranges else [(None, None)] * len(points)
    try:
        scenario = tuple(
            ScenarioStep(f"步骤{i}", p, low, high)
            for i, (p, (low, high)) in enumerate(zip(points, bounds, strict=True), 1)
        )
        result = assess(
            AssessmentInput(
                severity_level, scenario, exposed_units=exposed, vulnerable_users=vulnerable
            )
        )
    except InvalidAssessment as exc:
        raise _BadInput(exc.message_zh) from None

    def rounded(p: float) -> float:
        # 0.1 × 0.1 is 0.010000000000000002 in floating point; print it as 0.01.
        return float(f"{p:.12g}")

    out = {
        "probability": rounded(result.probability),
        "probability_text": format_probability(result.probability),
        "band": PROBABILITY_BANDS[result.band].label,
        "band_index": result.band,
        "level": result.base_level.value,
        "escalated_level": result.level.value,
        "low_level": result.level_low.value,
        "high_level": result.level_high.value,
        "probability_low": rounded(result.probability_low),
        "probability_high": rounded(result.probability_high),
        "uncertainty_changes_level": result.uncertainty_changes_level,
        "flip_steps": [
            {
                "step": f.step,
                "description": f.description,
                "end": f.end,
                "probability": rounded(f.probability),
                "level": f.level.value,
            }
            for f in result.flip_steps
        ],
        "explanation": list(result.explanation),
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@main.command(
    "export-overrides",
    help="导出专家对模型研判建议的改定（JSON Lines），"
    "供 scripts/train_judgement.py --overrides 重新训练",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="输出文件（缺省为标准输出）",
)
def export_overrides_cmd(output_path: Path) -> None:
    _setup()
    from pqrisk.assessment.judgement import export_overrides

    if str(output_path) == "-":
        n = export_overrides(sys.stdout)
    else:
        with output_path.open("w", encoding="utf-8") as fh:
            n = export_overrides(fh)
    click.echo(f"已导出 {n} 条改定记录", err=True)


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


# `pqrisk serve` (web only, or with --workers N the whole production shape): pqrisk/ops/serve.py
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


# ---------------------------------------------------------------- 长三角 sharing

CLI_ACTOR = "命令行"


@main.group("yrd", help="长三角共享包：签名密钥、签发、导入和合作单位（见 docs/exchange.md）")
def yrd_group() -> None:
    pass


@yrd_group.command("keygen", help="生成本平台的 Ed25519 签名私钥，并显示交给合作单位登记的公钥")
@click.option("--replace", is_flag=True, help="替换已有私钥（合作单位须重新登记新公钥）")
def yrd_keygen(replace: bool) -> None:
    _setup()
    from pqrisk.exchange.keys import SigningKeyError, generate_key, own_key_id, own_public_key

    try:
        path = generate_key(replace=replace)
    except SigningKeyError as exc:
        raise click.ClickException(exc.message_zh) from exc
    click.echo(f"已生成签名私钥：{path}（仅本机可读，不得外传、不得提交到代码库）")
    click.echo(f"公钥（交合作单位登记）：{own_public_key()}")
    click.echo(f"公钥指纹：{own_key_id()}")


@yrd_group.command("public-key", help="显示本平台的签名公钥（交合作单位登记）")
def yrd_public_key() -> None:
    _setup()
    from pqrisk.exchange.keys import SigningKeyError, own_key_id, own_public_key
    from pqrisk.exchange.services import own_producer

    try:
        key = own_public_key()
    except SigningKeyError as exc:
        raise click.ClickException(exc.message_zh) from exc
    producer = own_producer()
    click.echo(f"{producer.name}（{producer.code}）公钥指纹 {own_key_id()}")
    click.echo(key)


@yrd_group.command("export", help="签发一条已发布预警的长三角共享包（预警、风险信息和处置情况）")
@click.argument("warning_id", type=int)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（.json），默认为“包编号.json”",
)
def yrd_export(warning_id: int, out: Path | None) -> None:
    _setup()
    from pqrisk.exchange.keys import SigningKeyError
    from pqrisk.exchange.yrd import ExchangeError, export_package
    from pqrisk.warnings.models import Warning

    warning = Warning.objects.filter(pk=warning_id).first()
    if warning is None:
        raise click.ClickException(f"预警不存在：{warning_id}")
    try:
        row = export_package(warning, actor_label=CLI_ACTOR)
    except (ExchangeError, SigningKeyError) as exc:
        raise click.ClickException(exc.message_zh) from exc
    out = out or Path(row.file_name)
    part = out.with_name(out.name + ".part")
    part.write_text(row.content, encoding="utf-8")
    part.replace(out)
    click.echo(
        f"已签发长三角共享包 {row.package_id}（第 {row.sequence} 号，风险信息 {row.records} 条）"
        f"到 {out}；包摘要 {row.package_hash}"
    )


@yrd_group.command("import", help="核验并导入合作单位的长三角共享包；未通过核验的整份保存在隔离区")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--screen", is_flag=True, help="导入后立即筛查新接收的风险信息（默认等待定时筛查）")
def yrd_import(path: Path, screen: bool) -> None:
    _setup()
    from pqrisk.exchange.choices import PackageStatus
    from pqrisk.exchange.yrd import import_package, imported_items, outcome_zh

    if not path.exists():
        raise click.ClickException(f"文件不存在：{path}")
    row = import_package(path, actor_label=CLI_ACTOR)
    click.echo(outcome_zh(row))
    if row.status != PackageStatus.ACCEPTED:
        sys.exit(1)
    if screen and row.accepted:
        from pqrisk.screening.choices import RiskInfoStatus
        from pqrisk.screening.services import screen_raw_items

        counts = screen_raw_items(imported_items(row).values_list("id", flat=True))
        labels = dict(RiskInfoStatus.choices)
        shown = "，".join(f"{labels.get(k, k)} {v} 条" for k, v in counts.items() if v)
        click.echo(f"筛查完成：{shown or '无新信息'}")


@yrd_group.command("partner", help="登记或更新长三角合作单位（代码已登记的即更新）")
@click.argument("code")
@click.option("--name", required=True, help="单位名称，如 浙江省市场监督管理局")
@click.option("--province", required=True, help="省市，如 浙江省")
@click.option("--key", "public_key", required=True, help="对方的 Ed25519 公钥（Base64）")
@click.option("--contact", default="", help="联系方式")
@click.option("--inactive", is_flag=True, help="登记为停用")
def yrd_partner(
    code: str, name: str, province: str, public_key: str, contact: str, inactive: bool
) -> None:
    _setup()
    from pqrisk.exchange.yrd import ExchangeError, register_partner

    try:
        partner = register_partner(
            code=code,
            name=name,
            province=province,
            public_key=public_key,
            contact=contact,
            active=not inactive,
            actor_label=CLI_ACTOR,
        )
    except ExchangeError as exc:
        raise click.ClickException(exc.message_zh) from exc
    state = "启用" if partner.active else "停用"
    click.echo(f"已保存合作单位 {partner}（{partner.province}，{state}）")
    click.echo(f"公钥指纹 {partner.key_id}")


@yrd_group.command("partners", help="列出长三角合作单位")
def yrd_partners() -> None:
    _setup()
    from pqrisk.exchange.models import Partner

    for p in Partner.objects.all():
        state = "启用" if p.active else "停用"
        click.echo(f"{p.code}\t{p.province}\t{p.name}\t{p.key_id}\t{state}")


# ---------------------------------------------------------------- bulletins

from pqrisk.bulletins.cli import bulletin as bulletin_command  # noqa: E402

main.add_command(bulletin_command)


# ---------------------------------------------------------------- signals (pqrisk/signals_cli.py)

from pqrisk.signals_cli import signals as signals_group  # noqa: E402

main.add_command(signals_group)


@signals_group.command("run", help="在数据库上运行信号检测并存入风险信号队列（默认检测昨日/上周）")
@click.option(
    "--what",
    type=click.Choice(["daily", "weekly", "all"]),
    default="all",
    show_default=True,
    help="daily：按日序列与时空扫描；weekly：按周序列与比例失衡；all：两者",
)
@click.option("--backfill", is_flag=True, help="检测全部历史（新装系统或演示数据时用）")
def signals_run(what: str, backfill: bool) -> None:
    _setup()
    from pqrisk.signals import services
    from pqrisk.signals.choices import Granularity

    if backfill:
        runs = services.backfill()
    else:
        runs = []
        if what in ("daily", "all"):
            runs += [services.run_temporal(Granularity.DAY), services.run_scan()]
        if what in ("weekly", "all"):
            runs += [services.run_temporal(Granularity.WEEK), services.run_disproportionality()]
    for run in runs:
        click.echo(
            f"{run.kind}：序列 {run.series}，报警 {run.alarms}，新信号 {run.new_signals}，"
            f"更新 {run.updated_signals}，用时 {run.seconds:.1f} 秒"
        )


# ---------------------------------------------------------------- backups (pqrisk/backup_cli.py)
from pqrisk.backup_cli import backup_command, restore_command  # noqa: E402

main.add_command(backup_command)
main.add_command(restore_command)

# ------------------------------------------------- production shape (pqrisk/ops/serve.py)
from pqrisk.ops.serve import serve_command  # noqa: E402

main.add_command(serve_command)


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------- foreign alerts (境外通报)

from pqrisk.core.foreign.cli import tag as foreign_tag  # noqa: E402
from pqrisk.foreign.cli import COMMANDS as FOREIGN_COMMANDS  # noqa: E402


@main.group(
    "foreign",
    help="境外通报：欧盟Safety Gate与美国CPSC召回的载入、标注、匹配（见 docs/foreign.md）",
)
def foreign_group() -> None:
    pass


foreign_group.add_command(foreign_tag)
for _command in FOREIGN_COMMANDS:
    foreign_group.add_command(_command)
