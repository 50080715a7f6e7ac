"""Real processes for the fault tests: private Redis and PostgreSQL servers, Celery workers.

Nothing here touches the machine's shared services: every server a test stops is its own,
on a free port, in its own temporary directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
STAGES = "ingest,screen,assess,notify,schedule"
# Generous: a safety net so that a broken run ends, never a measure of speed.
PATIENCE = 240.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, patience: float = PATIENCE) -> None:
    deadline = time.monotonic() + patience
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of the test's own, persisting every write (appendonly, fsync always),
    so that messages queued before it stops are there when it starts again."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.dir / "redis.log"),
            ],
        )
        wait_until(lambda: self.ping(), "the private redis-server to answer", 30)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # redis flushes the AOF and exits
            self.process.wait(30)
        self.process = None

    def pending(self, queue: str = "ingest") -> int:
        """Messages waiting in ``queue`` plus those delivered and not acknowledged yet."""
        client = self.client()
        return int(client.llen(queue)) + int(client.hlen("unacked"))


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb as the postgres user, which initdb
    requires when the tests run as root), that the test may stop and start."""

    def __init__(self, workdir: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries (initdb) are not installed")
        self.bin = bins[-1].parent
        self.dir = workdir / "pgdata"
        self.port = free_port()
        self.dbname = "faults"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{self.dbname}"
        self._as_owner: list[str] = []
        self.dir.mkdir()
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres user, who
            # must be able to reach its directory.
            self._as_owner = ["runuser", "-u", "postgres", "--"]
            workdir.chmod(0o755)
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ]
        )

    def _run(self, args: list[str]) -> None:
        subprocess.run(
            [*self._as_owner, *args], check=True, capture_output=True, cwd="/", timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.dir),
                "-o",
                options,
                "-l",
                str(self.dir / "server.log"),
                "-w",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.dir / "postmaster.pid").exists()

    def load_from(self, source_url: str) -> None:
        """Create the database as a copy of ``source_url``'s (schema and reference data)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", source_url],
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", self.url],
            input=dump.stdout,
            check=True,
            capture_output=True,
            timeout=300,
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


class Worker:
    """``celery -A pqrisk worker`` on every stage queue, in its own process group."""

    def __init__(self, env: dict[str, str], log_dir: Path, concurrency: int = 2) -> None:
        self.name = f"faults-{uuid.uuid4().hex[:8]}"
        self.log = log_dir / f"{self.name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "pqrisk",
                    "worker",
                    "-Q",
                    STAGES,
                    "-c",
                    str(concurrency),
                    "-n",
                    f"{self.name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: a crash, nothing acknowledged."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 150) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def worker_env(database_url: str, broker_url: str, var_dir: Path, **extra: str) -> dict[str, Any]:
    """The environment of a production-shaped worker, pointed at the test's services; quick
    retries and a short visibility timeout, so a test waits seconds rather than an hour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO", "CELERY"))}
    env.update(
        DJANGO_SETTINGS_MODULE="pqrisk.settings.prod",
        DJANGO_SECRET_KEY="faults-" + uuid.uuid4().hex,
        PQRISK_HTTPS="0",
        PQRISK_SSL_REDIRECT="0",
        PQRISK_VAR_DIR=str(var_dir),
        PQRISK_SCREENING_DIR=str(var_dir / "screening"),
        DATABASE_URL=database_url,
        DB_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker_url,
        PQRISK_BROKER_VISIBILITY_TIMEOUT="10",
        PQRISK_TASK_RETRY_BACKOFF="1",
        PQRISK_TASK_RETRY_BACKOFF_MAX="8",
        PQRISK_TASK_MAX_RETRIES="40",
        PQRISK_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def count_items(database_url: str, prefix: str) -> dict[str, int]:
    """Raw items whose external id starts with ``prefix``: occurrences per external id."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT external_id, count(*) FROM intake_rawitem WHERE external_id LIKE %s "
            "GROUP BY external_id",
            [prefix + "%"],
        ).fetchall()
    return {str(ext): int(n) for ext, n in rows}


def batch_figures(database_url: str, label_prefix: str) -> tuple[int, int, int]:
    """(batches, accepted, duplicates) of the ingest batches whose label starts so."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(accepted), 0), coalesce(sum(duplicates), 0) "
            "FROM intake_ingestbatch WHERE source_label LIKE %s",
            [label_prefix + "%"],
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def try_count(database_url: str, prefix: str) -> int:
    """How many items have arrived; -1 while the database does not answer."""
    try:
        return len(count_items(database_url, prefix))
    except psycopg.OperationalError:
        return -1
