"""Faults on the way of a batch of records from producer to database, each ending with the
count: every item present exactly once (0 lost, 0 duplicated), every message's work done
once (one ingest batch per message), no dead letter.

(a) a worker is killed (SIGKILL) mid-batch and another started;
(b) the broker stops for 60 s mid-batch while the producer is still publishing;
(c) PostgreSQL restarts during ingestion;
(d) the same message is delivered twice: published twice, and redelivered after a consumer
    crashed between doing the work and acknowledging it;
(e) a message the task cannot process becomes a dead letter instead of vanishing.

Workers are real ``celery -A pqrisk worker`` processes with the production settings; the
broker is a private redis-server per test and (c) runs its own PostgreSQL cluster, so a
stopped server is never one another test is using.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from celery import Celery

from pqrisk.intake.tasks import INGEST_TASK, ingest_key, send_ingest

from .support import (
    PATIENCE,
    ROOT,
    PrivatePostgres,
    PrivateRedis,
    Worker,
    batch_figures,
    count_items,
    try_count,
    wait_until,
    worker_env,
)

pytestmark = [
    pytest.mark.faults,
    # Committed rows (the workers are other processes); serialized_rollback restores the
    # reference data (districts) that the flush after each test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ITEMS = 1000
PER_MESSAGE = 20
OUTAGE_SECONDS = 60


def make_records(prefix: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "source": "complaint",
            "external_id": f"{prefix}{i:05d}",
            "occurred_at": "2026-05-01",
            "title": f"移动电源充电时起火（{i}）",
            "text": f"消费者反映购买的移动电源充电时冒烟起火，烧坏床单。编号 {i}。",
            "district": "徐汇区",
        }
        for i in range(n)
    ]


def messages_of(records: list[dict[str, Any]], label: str) -> list[tuple[str, list[Any]]]:
    return [
        (f"{label}-{k:04d}", records[start : start + PER_MESSAGE])
        for k, start in enumerate(range(0, len(records), PER_MESSAGE))
    ]


def publish(app: Celery, messages: list[tuple[str, list[Any]]]) -> None:
    for label, chunk in messages:
        send_ingest(chunk, source_label=label, app=app)


def dead_letters(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM ops_deadletter").fetchone()
    return int(row[0]) if row else 0


def assert_exactly_once(database_url: str, prefix: str, label: str, messages: int) -> None:
    counts = count_items(database_url, prefix)
    expected = {f"{prefix}{i:05d}" for i in range(ITEMS)}
    lost = expected - set(counts)
    duplicated = {k: n for k, n in counts.items() if n != 1}
    assert not lost, f"{len(lost)} items lost, e.g. {sorted(lost)[:5]}"
    assert not duplicated, f"{len(duplicated)} items duplicated"
    assert set(counts) == expected
    # Every message's work done once: one batch per message, every item accepted once.
    assert batch_figures(database_url, label) == (messages, ITEMS, 0)
    assert dead_letters(database_url) == 0


def finished(database_url: str, prefix: str, broker: PrivateRedis) -> Callable[[], bool]:
    return lambda: try_count(database_url, prefix) == ITEMS and broker.pending() == 0


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(
    test_database_url: str,
    broker: PrivateRedis,
    producer: Celery,
    start_worker: Callable[..., Worker],
) -> None:
    prefix, label = f"KILL-{uuid.uuid4().hex[:6]}-", f"faults-kill-{uuid.uuid4().hex[:6]}"
    messages = messages_of(make_records(prefix, ITEMS), label)
    publish(producer, messages)
    first = start_worker(test_database_url, broker.url)
    wait_until(lambda: try_count(test_database_url, prefix) >= ITEMS // 10, "the first items")
    first.kill()
    at_kill = try_count(test_database_url, prefix)
    assert 0 < at_kill < ITEMS, "the worker was not killed mid-batch"

    second = start_worker(test_database_url, broker.url)
    wait_until(finished(test_database_url, prefix, broker), "the batch after the kill")
    assert second.process.poll() is None, second.tail()
    assert_exactly_once(test_database_url, prefix, label, len(messages))


def test_b_a_broker_stopped_for_60_s_loses_nothing(
    test_database_url: str,
    broker: PrivateRedis,
    producer: Celery,
    start_worker: Callable[..., Worker],
) -> None:
    prefix, label = f"BRK-{uuid.uuid4().hex[:6]}-", f"faults-broker-{uuid.uuid4().hex[:6]}"
    messages = messages_of(make_records(prefix, ITEMS), label)
    start_worker(test_database_url, broker.url)
    published: list[str] = []
    outage = threading.Event()

    def produce() -> None:
        for n, (message_label, chunk) in enumerate(messages):
            if n == len(messages) // 5:
                # The rest is published while the broker is away: the producer must wait.
                outage.wait(PATIENCE)
            send_ingest(chunk, source_label=message_label, app=producer)
            published.append(message_label)

    thread = threading.Thread(target=produce, name="producer")
    thread.start()
    try:
        wait_until(lambda: try_count(test_database_url, prefix) >= 5 * PER_MESSAGE, "items")
        broker.stop()
        stopped_at = time.monotonic()
        outage.set()
        at_stop = try_count(test_database_url, prefix)
        assert at_stop < ITEMS, "the broker stopped after the last item"
        time.sleep(OUTAGE_SECONDS)
        # The producer waited (publish retry policy) instead of losing messages or failing.
        assert thread.is_alive() and len(published) == len(messages) // 5
        broker.start()
        assert time.monotonic() - stopped_at >= OUTAGE_SECONDS
    finally:
        outage.set()
        if broker.process is None:
            broker.start()
        thread.join()
    assert len(published) == len(messages)
    wait_until(finished(test_database_url, prefix, broker), "the batch after the outage")
    assert_exactly_once(test_database_url, prefix, label, len(messages))


def test_c_a_postgresql_restart_during_ingestion_loses_nothing(
    test_database_url: str,
    broker: PrivateRedis,
    producer: Celery,
    start_worker: Callable[..., Worker],
    workdir: Path,
) -> None:
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL server binaries (initdb) are not installed on this machine")
    database = PrivatePostgres(workdir)
    database.start()
    try:
        database.load_from(test_database_url)
        prefix, label = f"PG-{uuid.uuid4().hex[:6]}-", f"faults-pg-{uuid.uuid4().hex[:6]}"
        messages = messages_of(make_records(prefix, ITEMS), label)
        publish(producer, messages)
        worker = start_worker(database.url, broker.url)
        wait_until(lambda: try_count(database.url, prefix) >= ITEMS // 10, "the first items")
        database.stop("fast")  # ends every session: the workers' transactions roll back
        at_stop = try_count(database.url, prefix)
        time.sleep(5)
        database.start()
        wait_until(finished(database.url, prefix, broker), "the batch after the restart")
        assert worker.process.poll() is None, worker.tail()
        # The restart was felt: tasks failed on the database and were retried.
        assert "OperationalError" in worker.log.read_text(errors="replace")
        assert at_stop == -1  # the database did not answer while stopped
        assert_exactly_once(database.url, prefix, label, len(messages))
    finally:
        if database.running():
            database.stop("immediate")


def test_d_duplicate_deliveries_store_each_item_once(
    test_database_url: str,
    broker: PrivateRedis,
    producer: Celery,
    start_worker: Callable[..., Worker],
    workdir: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    prefix, label = f"DUP-{tag}-", f"faults-dup-{tag}"
    records = make_records(prefix, ITEMS)
    half = ITEMS // 2
    first, second = records[:half], records[half:]

    # A consumer takes the first message, commits its work and dies before the ack.
    send_ingest(first, source_label=f"{label}-a", app=producer)
    env = worker_env(test_database_url, broker.url, workdir / "var")
    crashed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_before_ack.py"))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crashed.returncode == 0, crashed.stderr[-2000:]
    assert len(count_items(test_database_url, prefix)) == half
    assert broker.client().hlen("unacked") == 1  # delivered, never acknowledged

    # The second message is published twice (a producer unsure its first publish went out).
    send_ingest(second, source_label=f"{label}-b", app=producer)
    send_ingest(second, source_label=f"{label}-b", app=producer)
    # And the first records come again as a new submission, under another key.
    send_ingest(first, source_label=f"{label}-c", app=producer)
    assert broker.client().llen("ingest") == 3

    start_worker(test_database_url, broker.url)
    # The unacknowledged message comes back after the visibility timeout and runs again.
    wait_until(lambda: broker.pending() == 0, "every message to be acknowledged")

    counts = count_items(test_database_url, prefix)
    assert len(counts) == ITEMS and set(counts.values()) == {1}
    # One batch per key: the redelivered and the re-published message did nothing again.
    assert batch_figures(test_database_url, f"{label}-a") == (1, half, 0)
    assert batch_figures(test_database_url, f"{label}-b") == (1, ITEMS - half, 0)
    # A new submission of stored records is recognised as repeats, not stored again.
    assert batch_figures(test_database_url, f"{label}-c") == (1, 0, half)
    with psycopg.connect(test_database_url) as conn:
        keys = {
            row[0]
            for row in conn.execute(
                "SELECT key FROM ops_processedtask WHERE key = ANY(%s)",
                [
                    [
                        f"ingest:{ingest_key(first, f'{label}-a')}",
                        f"ingest:{ingest_key(second, f'{label}-b')}",
                        f"ingest:{ingest_key(first, f'{label}-c')}",
                    ]
                ],
            )
        }
    assert len(keys) == 3
    assert dead_letters(test_database_url) == 0


def test_e_a_message_that_cannot_be_processed_becomes_a_dead_letter(
    test_database_url: str,
    broker: PrivateRedis,
    producer: Celery,
    start_worker: Callable[..., Worker],
) -> None:
    """Not a transient error: no retry; kept as a dead letter with what is needed to run it
    again, and the message is acknowledged (it does not come back forever)."""
    producer.send_task(
        "pqrisk.intake.tasks.ingest_records",
        args=[make_records("DEAD-", 3)],
        kwargs={"source_label": "缺少幂等键"},
        task_id="dead-letter-through-a-worker",
    )
    start_worker(test_database_url, broker.url)
    wait_until(lambda: dead_letters(test_database_url) == 1, "the dead letter")
    wait_until(lambda: broker.pending() == 0, "the message to be acknowledged")
    with psycopg.connect(test_database_url) as conn:
        row = conn.execute(
            "SELECT task_name, queue, status, retries, exception, kwargs FROM ops_deadletter"
        ).fetchone()
    assert row is not None
    task_name, queue, status, retries, exception, kwargs = row
    assert (task_name, queue, status, retries) == (INGEST_TASK, "ingest", "pending", 0)
    assert "TypeError" in exception and kwargs == {"source_label": "缺少幂等键"}
    assert count_items(test_database_url, "DEAD-") == {}
