"""`pqrisk bulletin`: draft (or refresh) an issue of 《产品质量安全资讯》 and write its .docx
and PDF, e.g. ``pqrisk bulletin --kind monthly --month 2026-06 -o out/``.

An existing weekly or monthly issue of the period is reused: a draft has its data gathered
again (sections someone edited keep their text); a published one is written as published.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

import click

KINDS = ("weekly", "monthly", "thematic")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    os.environ.setdefault("PQRISK_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{what}应为 YYYY-MM-DD 格式的日期：{text}") from None


def _period(
    kind: str, month: str | None, week: str | None, start: str | None, end: str | None
) -> tuple[date, date]:
    from .periods import month_period, week_period

    if start or end:
        if not (start and end):
            raise click.UsageError("--start 与 --end 须同时给出")
        return _day(start, "--start "), _day(end, "--end ")
    if kind == "monthly":
        if not month:
            raise click.UsageError("月刊须给出 --month YYYY-MM（或 --start/--end）")
        try:
            year, mon = (int(p) for p in month.split("-"))
            return month_period(year, mon)
        except ValueError:
            raise click.BadParameter(f"--month 应为 YYYY-MM：{month}") from None
    if kind == "weekly":
        if not week:
            raise click.UsageError("周刊须给出 --week YYYY-MM-DD（该周任意一天，或 --start/--end）")
        return week_period(_day(week, "--week "))
    raise click.UsageError("专刊须给出 --start 与 --end")


@click.command("bulletin", help="生成《产品质量安全资讯》（周刊、月刊、专刊），输出 Word 与 PDF")
@click.option("--kind", type=click.Choice(KINDS), default="monthly", show_default=True)
@click.option("--month", help="月刊的月份，如 2026-06")
@click.option("--week", help="周刊：该周任意一天，如 2026-06-03（周一至周日）")
@click.option("--start", help="统计起始日期 YYYY-MM-DD（专刊必填）")
@click.option("--end", help="统计截止日期 YYYY-MM-DD（含当日）")
@click.option("--theme", default="", help="专刊的专题名称")
@click.option("--category", "category_code", help="专刊限定的产品类别代码（含下级类别）")
@click.option("--hazard", "hazard_code", help="专刊限定的危害类型代码")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="输出目录",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["docx", "pdf"]),
    multiple=True,
    help="输出格式，可重复；默认 docx 与 pdf",
)
def bulletin(
    kind: str,
    month: str | None,
    week: str | None,
    start: str | None,
    end: str | None,
    theme: str,
    category_code: str | None,
    hazard_code: str | None,
    output: Path,
    formats: tuple[str, ...],
) -> None:
    period = _period(kind, month, week, start, end)
    _setup()
    from pqrisk.reference.models import HazardType, ProductCategory

    from .models import Bulletin
    from .services import BulletinError, BulletinRequest, create_bulletin, regenerate, version_file

    category = hazard = None
    if category_code:
        category = ProductCategory.objects.filter(code=category_code).first()
        if category is None:
            raise click.ClickException(f"未知的产品类别代码：{category_code}")
    if hazard_code:
        hazard = HazardType.objects.filter(code=hazard_code).first()
        if hazard is None:
            raise click.ClickException(f"未知的危害类型代码：{hazard_code}")
    started = time.perf_counter()
    existing = None
    if kind != "thematic":
        existing = Bulletin.objects.filter(
            kind=kind, period_start=period[0], period_end=period[1]
        ).first()
    try:
        if existing is None:
            issue = create_bulletin(
                None,
                BulletinRequest(
                    kind=kind,
                    start=period[0],
                    end=period[1],
                    theme=theme,
                    category=category,
                    hazard=hazard,
                ),
            )
            click.echo(f"已起草 {issue.issue_label}：{issue.title}")
        else:
            issue = existing
            if issue.status != "published":
                _version, kept = regenerate(issue, None)
                note = f"（保留人工修改的栏目：{'、'.join(kept)}）" if kept else ""
                click.echo(f"已重新生成 {issue.issue_label} 的数据{note}")
            else:
                click.echo(f"{issue.issue_label} 已发布，输出发布版")
        version = issue.versions.order_by("-number").first()
        assert version is not None
        output.mkdir(parents=True, exist_ok=True)
        for fmt in formats or ("docx", "pdf"):
            data, name, _type = version_file(version, fmt)
            path = output / name
            path.write_bytes(data)
            click.echo(f"{path}（{len(data) / 1024:.0f} KB）")
    except BulletinError as exc:
        click.echo(f"错误：{exc.message_zh}", err=True)
        sys.exit(1)
    click.echo(f"用时 {time.perf_counter() - started:.1f} 秒")
