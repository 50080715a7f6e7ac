from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pqrisk.dashboard.summaries import refresh


class Command(BaseCommand):
    help = "刷新综合看板的汇总表（增量；--full 全量重算）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="全量重算")

    def handle(self, *args: Any, **options: Any) -> None:
        result = refresh(full=options["full"])
        self.stdout.write(
            f"{'全量' if result.full else '增量'}刷新：{result.days} 天，{result.rows} 行，"
            f"风险矩阵 {result.matrix_cells} 格，至风险信息 #{result.last_risk_info_id}，"
            f"{result.seconds:.2f} 秒"
        )
