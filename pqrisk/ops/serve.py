"""`pqrisk serve`: the bureau-server shape in one command.

Migrates the database, then starts and supervises gunicorn, N Celery workers on the stage
queues and Celery beat, all against ``DATABASE_URL`` and ``CELERY_BROKER_URL``. A child that
dies is started again (a worker's unacknowledged messages go back to the queue); one that
keeps dying stops the lot. Ctrl-C or SIGTERM stops every child: SIGTERM first (workers finish
their current task), SIGKILL after the grace period. If the supervisor itself is killed
(SIGKILL, out of memory), the kernel sends each child SIGTERM (Linux ``PR_SET_PDEATHSIG``), so
no worker is left running without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies, however it dies."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


# A child that dies this many times within RESTART_WINDOW seconds is not started again.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
GRACE_SECONDS = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    deaths: list[float] = field(default_factory=list)


class Supervisor:
    """Start commands, restart the ones that die, stop them all on request."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        env: dict[str, str] | None = None,
        echo: Callable[[str], None] = print,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.children = list(children)
        self.env = env
        self.echo = echo
        self.grace = grace
        self.stopping = False

    def start(self, child: Child) -> None:
        # Each child in its own process group: a Ctrl-C in the terminal reaches only the
        # supervisor, which then stops the children in order.
        child.process = subprocess.Popen(
            child.argv,
            env=self.env,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.echo(f"已启动 {child.name}（进程 {child.process.pid}）")

    def request_stop(self, signum: int = signal.SIGTERM, frame: object = None) -> None:
        self.stopping = True

    def run(self, poll: float = 0.5) -> int:
        """Supervise until asked to stop or a child keeps dying; return the exit status."""
        for child in self.children:
            self.start(child)
        status = 0
        while not self.stopping:
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    continue
                now = time.monotonic()
                child.deaths = [t for t in child.deaths if now - t < RESTART_WINDOW] + [now]
                if len(child.deaths) > MAX_RESTARTS:
                    self.echo(
                        f"{child.name} 在 {RESTART_WINDOW:.0f} 秒内退出 {len(child.deaths)} 次"
                        f"（退出码 {code}），停止全部进程"
                    )
                    self.stopping, status = True, 1
                    break
                self.echo(f"{child.name} 已退出（退出码 {code}），重新启动")
                self.start(child)
            time.sleep(poll)
        self.stop_all()
        return status

    def stop_all(self) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            assert child.process is not None
            self.echo(f"正在停止 {child.name}（进程 {child.process.pid}）")
            os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.echo(f"{child.name} 未在 {self.grace:.0f} 秒内退出，强制结束")
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()


def _bin(name: str) -> str:
    """The console script next to this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def plan(
    *,
    workers: int,
    concurrency: int,
    queues: Sequence[str],
    bind: str,
    web_workers: int,
    beat: bool,
) -> list[Child]:
    """The children of ``pqrisk serve``: gunicorn, the Celery workers and beat."""
    celery = _bin("celery")
    children = [
        Child(
            "web",
            [
                _bin("gunicorn"),
                "pqrisk.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--access-logfile",
                "-",
            ],
        )
    ]
    for n in range(1, workers + 1):
        children.append(
            Child(
                f"worker-{n}",
                [
                    celery,
                    "-A",
                    "pqrisk",
                    "worker",
                    "-Q",
                    ",".join(queues),
                    "-c",
                    str(concurrency),
                    "-n",
                    f"worker{n}@%h",
                    "-l",
                    "INFO",
                ],
            )
        )
    if beat:
        children.append(Child("beat", [celery, "-A", "pqrisk", "beat", "-l", "INFO"]))
    return children


@click.command(
    "serve",
    help="启动网页服务；加 --workers N 则启动生产形态：数据库迁移后运行 gunicorn、"
    "N 个 Celery 工作进程和 beat，并在 Ctrl+C 或 SIGTERM 时全部停止",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--workers",
    default=0,
    show_default=True,
    type=click.IntRange(0, 64),
    help="Celery 工作进程数；0 表示只启动网页服务（笔记本形态，任务在请求内执行）",
)
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="每个工作进程的并发数",
)
@click.option("--queues", default="", help="工作进程读取的队列（逗号分隔），默认全部阶段队列")
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--no-beat", is_flag=True, help="不启动定时任务（beat 只能有一个，多机部署时只在一台上启动）"
)
@click.option("--no-migrate", is_flag=True, help="跳过数据库迁移")
@click.option("--no-collectstatic", is_flag=True, help="跳过收集静态文件（构建镜像时已收集）")
def serve_command(
    host: str,
    port: int,
    workers: int,
    concurrency: int,
    queues: str,
    web_workers: int,
    no_beat: bool,
    no_migrate: bool,
    no_collectstatic: bool,
) -> None:
    if workers == 0:
        from pqrisk.cli import _migrate, _serve, _setup

        _setup()
        if not no_migrate:
            _migrate()
        _serve(host, port)
        return
    if not os.environ.get("CELERY_BROKER_URL"):
        raise click.UsageError(
            "未设置 CELERY_BROKER_URL：工作进程需要消息队列，例如 "
            "CELERY_BROKER_URL=redis://127.0.0.1:6379/0；只启动网页服务请去掉 --workers"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        click.echo("提示：DATABASE_URL 未指向 PostgreSQL，多进程写入 SQLite 只适合试用", err=True)
    stages = [q for q in queues.split(",") if q] or list(settings.STAGE_QUEUES)
    unknown = sorted(set(stages) - set(settings.STAGE_QUEUES))
    if unknown:
        raise click.UsageError(
            f"未知队列：{'、'.join(unknown)}；可用：{'、'.join(settings.STAGE_QUEUES)}"
        )
    if not no_migrate:
        click.echo("正在迁移数据库……", err=True)
        call_command("migrate", interactive=False, verbosity=0)
    if not no_collectstatic:
        click.echo("正在收集静态文件……", err=True)
        call_command("collectstatic", interactive=False, verbosity=0)
    connection.close()  # the children open their own
    supervisor = Supervisor(
        plan(
            workers=workers,
            concurrency=concurrency,
            queues=stages,
            bind=f"{host}:{port}",
            web_workers=web_workers,
            beat=not no_beat,
        ),
        echo=lambda text: click.echo(f"[serve] {text}", err=True),
    )
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    click.echo(f"服务地址：http://{host}:{port}/  （Ctrl+C 停止全部进程）", err=True)
    sys.exit(supervisor.run())
