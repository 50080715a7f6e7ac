"""The scheduled pipeline task through a real broker (Redis and RabbitMQ) and a real worker.

Unit tests run Celery eagerly; this checks the wiring a bureau server uses: the task is sent
to the broker, a worker picks it up, runs the pipeline against the database and answers.
The brokers are started by scripts/services.sh when they are installed and not running.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from pqrisk.intake.services import ingest_objects
from pqrisk.screening.models import RiskInfo

ROOT = Path(__file__).resolve().parents[1]
BROKERS = {
    "redis": ("redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15", "redis-server"),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", "rpc://", "rabbitmq-server"),
}


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 2):
            return True
    except OSError:
        return False


def ensure_broker(name: str) -> str:
    broker, _, server = BROKERS[name]
    if _reachable(broker):
        return broker
    if shutil.which(server) is None:
        pytest.skip(f"{server} is not installed on this machine and nothing listens at {broker}")
    subprocess.run(
        [str(ROOT / "scripts" / "services.sh")],
        env={**os.environ, "CELERY_BROKER_URL": broker, "DATABASE_URL": ""},
        check=True,
        timeout=120,
    )
    assert _reachable(broker), f"{server} did not start"
    return broker


@pytest.fixture(params=sorted(BROKERS))
def broker_app(request: pytest.FixtureRequest) -> Iterator[tuple[str, Celery]]:
    """A Celery app of its own per broker, configured like production but for the broker:
    one process cannot switch brokers on one app, whose connection pools are cached."""
    broker = ensure_broker(request.param)
    test_app = Celery(f"pqrisk-{request.param}", set_as_current=False)
    test_app.config_from_object("django.conf:settings", namespace="CELERY")
    test_app.conf.update(
        broker_url=broker, result_backend=BROKERS[request.param][1], task_always_eager=False
    )
    import pqrisk.screening.tasks  # noqa: F401  (registers the shared task on every app)

    try:
        yield request.param, test_app
    finally:
        test_app.close()


def purge(test_app: Celery, queues: list[str]) -> None:
    """Drop messages an interrupted earlier run left in the queues."""
    with test_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # a queue never declared has nothing to purge
                channel = conn.channel()


# The worker thread needs committed rows; serialized_rollback restores the reference data
# that migrations loaded once the test's flush has removed it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipeline_task_runs_on_a_worker_through_the_broker(
    broker_app: tuple[str, Celery],
) -> None:
    name, test_app = broker_app
    ingest_objects(
        [
            {
                "source": "complaint",
                "external_id": f"BRK-{name}",
                "occurred_at": "2026-05-01",
                "title": "移动电源充电时起火",
                "text": "消费者反映购买的移动电源（充电宝）充电时冒烟起火，烧坏床单。",
                "district": "徐汇区",
            }
        ],
        source_label="broker test",
    )
    task = test_app.tasks["pqrisk.screening.tasks.run_pipeline"]
    queues = sorted({"celery", *(r["queue"] for r in settings.CELERY_TASK_ROUTES.values())})
    purge(test_app, queues)
    with start_worker(
        test_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=queues
    ):
        counts = task.delay().get(timeout=60)
    assert counts["pending_assessment"] == 1
    assert RiskInfo.objects.get(raw_item__external_id=f"BRK-{name}").hazard is not None
