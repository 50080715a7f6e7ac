"""The loop's short path: screening of new items above the scan floor (a late commit below
it is left to the sweep, not lost), runs skipped while another holds the lock, and
``advance`` taking a bounded number of items through matching, assessment and proposals."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from pqrisk import pipeline
from pqrisk.core.scanfloor import ScanFloor
from pqrisk.intake.models import RawItem
from pqrisk.screening import index as dedup_index
from pqrisk.screening import services
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.tests.records import complaint, ingest

pytestmark = pytest.mark.django_db

TEXT = "消费者投诉称，在浦东新区购买的{}使用时外壳过热冒烟，险些起火，孩子手部被烫伤。"


@pytest.fixture(autouse=True)
def no_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "SCAN_FLOOR", ScanFloor(grace=0.0))


def _screened_new() -> int:
    """Items screen_new screened (it must not be skipped here)."""
    counts = services.screen_new()
    assert counts is not None
    return sum(counts.values())


def _raw(pk: int, external_id: str) -> RawItem:
    """A raw item with a chosen id (as a transaction that drew its id early would leave)."""
    record = complaint(external_id, TEXT.format("电暖器"))
    return RawItem.objects.create(
        id=pk, source_kind="complaint", external_id=external_id, payload=record, payload_hash="x"
    )


def test_new_items_are_screened_and_a_late_commit_below_the_floor_waits_for_the_sweep() -> None:
    base = 900_000_000
    _raw(base + 10, "LATE-10")
    assert _screened_new() == 1
    assert _screened_new() == 0  # and confirms the floor
    assert services.SCAN_FLOOR.floor(dedup_index.database_token()) == base + 10
    _raw(base + 5, "LATE-05")  # its id was drawn before, its row committed after
    assert not services.new_items_waiting()
    assert _screened_new() == 0
    assert not RiskInfo.objects.filter(raw_item_id=base + 5).exists()
    assert sum(services.screen_pending().values()) == 1  # the sweep from id 0 takes it
    assert RiskInfo.objects.filter(raw_item_id=base + 5).exists()


@contextlib.contextmanager
def screening_held_elsewhere() -> Iterator[None]:
    """The screening lock held by another session (advisory locks are re-entrant within one
    session; file locks are per open file)."""
    if connection.vendor != "postgresql":
        with dedup_index.screening_lock():
            yield
        return
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [dedup_index._ADVISORY_KEY])
        try:
            yield
        finally:  # at once, not when the server notices the closed connection
            other.execute("SELECT pg_advisory_unlock(%s)", [dedup_index._ADVISORY_KEY])


def test_a_run_is_skipped_while_another_screens() -> None:
    ingest(complaint("C-1", TEXT.format("取暖器")))
    with screening_held_elsewhere():
        assert services.screen_new() is None
    assert not RiskInfo.objects.exists()
    assert _screened_new() == 1


def test_advance_takes_at_most_its_limit_and_says_more_is_left() -> None:
    texts = (
        "在浦东新区购买的电暖器使用时外壳过热冒烟，险些起火。",
        "闵行区一名消费者反映，儿童玩具的小零件容易脱落，孩子差点误吞窒息。",
        "嘉定区居民投诉电热毯通电后局部温度过高，床单被烧焦，手部被烫伤起泡。",
        "徐汇区网购的电水壶底座漏电，家人接触壶身时被电击，手臂发麻。",
        "静安区消费者称新买的暖风机插头发热熔化，插座冒出火花，幸好及时断电。",
    )
    ingest(*(complaint(f"C-{i}", text) for i, text in enumerate(texts)))
    services.screen_pending()
    waiting = RiskInfo.objects.filter(status=RiskInfoStatus.PENDING_ASSESSMENT).count()
    assert waiting >= 3
    first: dict[str, Any] | None = pipeline.advance(limit=2)
    assert first is not None
    assert first["matched"] == 2 and first["assessed"] == 2 and first["more"] == 1
    assert {"match_ms", "assess_ms", "propose_ms"} <= first.keys()
    rest = pipeline.advance(limit=100)
    assert rest is not None and rest["more"] == 0
    assert rest["assessed"] == waiting - 2
    assert not RiskInfo.objects.filter(status=RiskInfoStatus.PENDING_ASSESSMENT).exists()
