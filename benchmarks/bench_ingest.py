"""File ingest throughput and memory: a generated complaints CSV with Chinese headers.

Usage: .venv/bin/python benchmarks/bench_ingest.py [--rows 20000 100000] [--seed 20261127]
Also prints records per CPU-second (this process plus, for a local PostgreSQL, its server
backend): the per-core rate, which other load on the machine does not change much.
Runs on a throw-away SQLite database in a temporary folder unless DATABASE_URL is set (the
record ids carry a per-run prefix, so repeated runs on one PostgreSQL database do not
collide). For each size it ingests one file timed (records/s, no tracing) and a second file
of the same size under tracemalloc (peak Python allocation of the ingest alone), then prints
the process peak RSS so far. DEBUG is off, as in production. About 1% of the rows are
malformed and end in quarantine. Beside each run it times a reference: the same rows stored
with Django's ``bulk_create`` and no checks at all.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADER = [
    "编号",
    "日期",
    "标题",
    "内容",
    "统一社会信用代码",
    "企业名称",
    "所属区",
    "产品名称",
    "品牌",
    "型号",
    "投诉渠道",
    "消费者所在区",
]
DISTRICTS = ["浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区"]
DISTRICTS += ["闵行区", "宝山区", "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区"]
PRODUCTS = ["电热水壶", "充电宝", "电动自行车", "儿童玩具", "燃气灶", "电吹风", "婴儿推车"]
PRODUCTS += ["取暖器", "插线板", "儿童座椅", "电饭煲", "锂电池", "口罩", "保温杯"]
PROBLEMS = [
    "使用时外壳明显发烫并伴有焦糊味，插头处出现烧灼痕迹",
    "充电过程中突然冒烟起火，险些引燃周边衣物，家中老人受到惊吓",
    "产品边缘存在锐利毛刺，孩子玩耍时手指被划伤出血",
    "说明书未标注警示信息，实际使用中发生漏电，手部有明显麻感",
    "小零件容易脱落，存在被儿童误吞的窒息风险",
    "刹车失灵导致摔倒，膝盖擦伤，商家拒绝退换",
    "标称功率与实际不符，连续使用半小时后自动断电并有异响",
]
CHANNELS = ["12315", "12345", "网络平台", "来信来访"]
COMPANY = ["华东", "申江", "沪联", "浦江", "金桥", "东方", "长江", "新源", "恒泰", "嘉和"]
KIND = ["电器", "科技", "实业", "贸易", "日用品", "玩具", "车业"]


def write_csv(path: Path, rows: int, prefix: str, seed: int) -> int:
    """Write a GB-style complaints CSV (UTF-8); return how many rows are malformed."""
    from pqrisk.core.uscc import complete_uscc

    rnd = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            product = rnd.choice(PRODUCTS)
            name = f"上海{rnd.choice(COMPANY)}{rnd.choice(KIND)}有限公司"
            text = "".join(
                [
                    f"消费者于{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日",
                    f"在线上平台购买{product}，",
                    rnd.choice(PROBLEMS),
                    "。",
                    rnd.choice(PROBLEMS),
                    "，要求商家召回同批次产品并赔偿损失，同时请求市场监管部门依法调查处理，",
                    "消费者表示已保留购买凭证、聊天记录和现场照片，可配合核查。",
                ]
            )
            row = [
                f"{prefix}-{i:07d}",
                f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                f"{product}{rnd.choice(PROBLEMS)[:8]}",
                text,
                complete_uscc(f"9131{rnd.randint(0, 9999):04d}MA1H{rnd.randint(0, 99999):05d}"),
                name,
                rnd.choice(DISTRICTS),
                product,
                f"{rnd.choice(COMPANY)}牌",
                f"X{rnd.randint(100, 999)}",
                rnd.choice(CHANNELS),
                rnd.choice(DISTRICTS),
            ]
            if rnd.random() < 0.01:
                bad += 1
                kind = rnd.randrange(3)
                if kind == 0:
                    row.append("多出的一列")  # more cells than the header
                elif kind == 1:
                    row[4] = row[4][:-1] + ("0" if row[4][-1] != "0" else "1")  # bad check
                else:
                    row[1] = "去年春天"  # unparseable date
            out.writerow(row)
    return bad


def server_cpu_seconds() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend, if it runs here."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0  # SQLite works inside this process: its time is the client's
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a remote server: only the client's time is known
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def naive_bulk_create(path: Path) -> int:
    """The reference: what storing the rows costs with no checking, deduplication or
    quarantine — the csv module and ``bulk_create``, 1,000 rows a statement."""
    import hashlib
    import json

    from pqrisk.intake.models import IngestBatch, RawItem

    batch = IngestBatch.objects.create(source_label=f"reference {path.name}")
    stored = 0
    with path.open(encoding="utf-8", newline="") as fh:
        chunk: list[RawItem] = []
        for row in csv.DictReader(fh):
            row.pop(None, None)  # cells beyond the header
            text = json.dumps(row, ensure_ascii=False, sort_keys=True)
            chunk.append(
                RawItem(
                    source_kind="complaint",
                    external_id=row["编号"],
                    batch=batch,
                    payload=row,
                    payload_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
            if len(chunk) == 1000:
                stored += len(RawItem.objects.bulk_create(chunk))
                chunk = []
        stored += len(RawItem.objects.bulk_create(chunk))
    return stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pqrisk-bench-ingest-")
    os.environ.setdefault("PQRISK_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # measure the ingest, not the console
    from django.conf import settings
    from django.core.management import call_command

    # As in production: with DEBUG on, Django keeps the last 9,000 SQL statements (with
    # their parameters) in memory, which would be measured as ingest memory.
    settings.DEBUG = False

    from pqrisk.intake.services import ingest_file

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    run = f"B{int(time.time())}"
    print(f"database: {engine}; rows {' '.join(str(n) for n in args.rows)}")
    for rows in args.rows:
        timed = Path(tmp) / f"complaints-{rows}-a.csv"
        traced = Path(tmp) / f"complaints-{rows}-b.csv"
        bad = write_csv(timed, rows, f"{run}-{rows}-A", args.seed)
        write_csv(traced, rows, f"{run}-{rows}-B", args.seed)
        size_mib = timed.stat().st_size / 1024 / 1024

        t = time.perf_counter()
        cpu = time.process_time(), server_cpu_seconds()
        result = ingest_file(timed, source="complaint")
        seconds = time.perf_counter() - t
        client_cpu = time.process_time() - cpu[0]
        server = server_cpu_seconds()
        server_cpu = server - cpu[1] if server is not None and cpu[1] is not None else None

        tracemalloc.start()
        ingest_file(traced, source="complaint")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{rows:7d} rows ({size_mib:5.1f} MiB, {bad} malformed): "
            f"accepted {result.accepted}, quarantined {result.quarantined}, "
            f"{seconds:6.2f} s, {rows / seconds:7.0f} records/s, "
            f"tracemalloc peak {peak / 1024 / 1024:6.1f} MiB, peak RSS so far {rss:5.0f} MiB"
        )
        # Per core: records per CPU-second, the ingest process and (for a local PostgreSQL)
        # its server backend counted together; wall-clock rates depend on what else runs.
        spent = client_cpu + (server_cpu or 0.0)
        where = f" + server {server_cpu:.2f} s" if server_cpu is not None else ""
        print(
            f"{'':7s} CPU: client {client_cpu:.2f} s{where} = {spent:.2f} s, "
            f"{rows / spent:7.0f} records per CPU-second"
        )
        base = Path(tmp) / f"complaints-{rows}-c.csv"
        write_csv(base, rows, f"{run}-{rows}-C", args.seed)
        t = time.perf_counter()
        stored = naive_bulk_create(base)
        naive = time.perf_counter() - t
        print(
            f"{'':7s} reference: Django bulk_create of the unchecked rows, {stored} stored, "
            f"{naive:6.2f} s, {rows / naive:7.0f} records/s"
        )


if __name__ == "__main__":
    main()
