"""`pqrisk foreign tag`: tag a CSV of foreign recall alerts from the shell, no database."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, TextIO

import click

from pqrisk.core.foreign.csvio import (
    OUTPUT_COLUMNS,
    InputEncodingError,
    InputFormatError,
    check_encoding,
    tag_csv,
)


@click.command(
    "tag",
    help=(
        "为境外召回通报（欧盟 Safety Gate、美国 CPSC）打标签：从英文文本识别 Safety Gate "
        "风险类型、本平台危害代码、Safety Gate 产品类别、产品目录编码和是否中国制造。"
        "输入 CSV 可含列 id、product_name、product_description、brand、model、"
        "product_category、risk_type、risk_description、country_of_origin（缺列可以）；"
        f"输出每行对应一行输入，列为 {','.join(OUTPUT_COLUMNS)}。"
    ),
)
@click.argument("input_path", metavar="INPUT.csv", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="输出 CSV 文件；“-”表示写到标准输出",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="输入文件编码，只支持 utf-8 和 utf-8-sig（带 BOM 的文件两者都能读）",
)
def tag(input_path: str, output_path: str, encoding: str) -> None:
    try:
        check_encoding(encoding)
    except InputEncodingError as exc:
        raise click.BadParameter(str(exc), param_hint="--encoding") from None
    failure: str | None = None
    with ExitStack() as stack:
        try:
            raw: BinaryIO = (
                sys.stdin.buffer
                if input_path == "-"
                else stack.enter_context(open(input_path, "rb"))
            )
        except OSError as exc:
            raise click.ClickException(f"无法打开输入文件 {input_path}：{exc.strerror}") from None
        try:
            out: TextIO = (
                sys.stdout
                if output_path == "-"
                else stack.enter_context(open(output_path, "w", encoding="utf-8", newline=""))
            )
        except OSError as exc:
            raise click.ClickException(f"无法写入输出文件 {output_path}：{exc.strerror}") from None
        try:
            stats = tag_csv(raw, out)
        except (InputEncodingError, InputFormatError) as exc:
            failure = str(exc)
    if failure is not None:
        if output_path != "-":
            # Nothing was tagged: leave no half-written file that looks like a result.
            Path(output_path).unlink(missing_ok=True)
        raise click.ClickException(failure)
    click.echo(
        f"已标注 {stats.rows} 条，其中 {stats.rows_with_error} 条有错误说明（见 error 列）",
        err=True,
    )


if __name__ == "__main__":
    tag()
