"""`pqrisk serve` starts the production shape (gunicorn, a worker, beat) against PostgreSQL
and Redis, serves pages, works the queues, and stops every child on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from celery import Celery

from pqrisk.intake.tasks import send_ingest

from .support import PrivateRedis, count_items, free_port, wait_until, worker_env

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    return check


def test_serve_runs_web_workers_and_beat_and_stops_them_all(
    test_database_url: str, broker: PrivateRedis, producer: Celery, workdir: Path
) -> None:
    port = free_port()
    env = worker_env(test_database_url, broker.url, workdir / "var")
    log = workdir / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("pqrisk")),
                "serve",
                "--workers",
                "1",
                "--web-workers",
                "1",
                "--port",
                str(port),
                # Collecting (and compressing) the static files takes minutes; the JSON
                # schema of the API needs none of them.
                "--no-collectstatic",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    try:
        wait_until(_answers(f"http://127.0.0.1:{port}/api/openapi.json"), "the API schema")
        prefix = f"SRV-{uuid.uuid4().hex[:6]}-"
        records = [
            {
                "source": "complaint",
                "external_id": f"{prefix}{i:03d}",
                "occurred_at": "2026-05-01",
                "title": "电动自行车充电器过热",
                "text": f"充电器充电时外壳过热变形，编号 {i}。",
            }
            for i in range(20)
        ]
        send_ingest(records, source_label=f"serve-{prefix}", app=producer)
        wait_until(lambda: len(count_items(test_database_url, prefix)) == 20, "the items")
        text = log.read_text(errors="replace")
        pids = {name: int(pid) for name, pid in re.findall(r"已启动 (\S+)（进程 (\d+)）", text)}
        assert set(pids) == {"web", "worker-1", "beat"}, text[-3000:]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(120) == 0, log.read_text(errors="replace")[-3000:]
        assert not [name for name, pid in pids.items() if _alive(pid)]
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(120)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
        text = log.read_text(errors="replace")
        # Children the supervisor could not stop (it was killed) are ended here: each leads
        # its own process group.
        for pid in re.findall(r"已启动 \S+（进程 (\d+)）", text):
            if _alive(int(pid)):
                os.killpg(int(pid), signal.SIGKILL)
        print(text[-5000:])  # shown by pytest when the test failed
