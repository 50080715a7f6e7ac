"""Fault tests: real broker, real worker processes, real PostgreSQL; run with ``-m faults``
or as part of the PostgreSQL pass of the suite (skipped on SQLite, whose in-memory test
database no worker process can share)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from .support import PrivateRedis, Worker, worker_env


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills workers, stops brokers and databases (real processes)"
    )


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A temporary directory outside pytest's (which only root may enter): the private
    PostgreSQL cluster runs as the postgres user."""
    path = Path(tempfile.mkdtemp(prefix="pqrisk-faults-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def test_database_url(transactional_db: Any) -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "fault tests need PostgreSQL (DATABASE_URL=postgresql://…): worker processes "
            "cannot share the in-memory SQLite test database"
        )
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.fixture
def broker(workdir: Path, test_database_url: str) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own: stopping it disturbs no other test."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed on this machine")
    server = PrivateRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def producer(broker: PrivateRedis) -> Iterator[Celery]:
    """The producing side, configured like production (publish retry policy included) but
    for the private broker."""
    app = Celery("pqrisk-faults-producer", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker.url, task_always_eager=False)
    import pqrisk.intake.tasks  # noqa: F401  (registers the shared task on this app)

    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def start_worker(workdir: Path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)

    def start(database_url: str, broker_url: str) -> Worker:
        env = worker_env(database_url, broker_url, workdir / "var")
        worker = Worker(env, logs)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.kill()
            # Shown by pytest when the test failed.
            print(f"--- {worker.name} (last lines of its log)\n{worker.tail()}")
