"""The write path of ingest: one canonical JSON per record, races with a concurrent ingest
settled by the unique constraint, and PostgreSQL statistics kept honest during a bulk load."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from pqrisk.intake import services
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.services import canonical_json, ingest_objects
from pqrisk.sources.records import RecordRejected, json_bytes

pytestmark = pytest.mark.django_db


def record(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "complaint",
        "external_id": external_id,
        "occurred_at": "2026-03-05",
        "title": "充电宝起火",
        "text": "消费者反映充电宝充电时冒烟起火，烧坏床单。",
        "district": "闵行区",
        **extra,
    }


def test_the_canonical_json_ignores_key_order_and_is_valid_json() -> None:
    a = canonical_json({"b": 1, "a": {"y": "电", "x": [1, 2]}})
    b = canonical_json({"a": {"x": [1, 2], "y": "电"}, "b": 1})
    assert a == b
    assert json.loads(a) == {"a": {"x": [1, 2], "y": "电"}, "b": 1}


def test_values_orjson_refuses_still_serialise() -> None:
    huge = 2**70  # beyond 64 bits: orjson refuses, the standard library does not
    assert json.loads(json_bytes({"n": huge, "k": "值"}, sort_keys=True)) == {"n": huge, "k": "值"}


def test_a_lone_surrogate_is_refused_as_an_encoding_problem() -> None:
    with pytest.raises(RecordRejected) as caught:
        canonical_json({"text": "坏\udc80字"})
    assert caught.value.reason == "encoding"
    result = ingest_objects([record("S-1", text="坏\udc80字")], source_label="api")
    assert (result.accepted, result.quarantined) == (0, 1)
    assert QuarantinedItem.objects.get().reason == "encoding"


def test_stored_payload_is_the_hashed_json() -> None:
    ingest_objects([record("H-1", details={"投诉渠道": "12315", "金额": 12.5})], source_label="a")
    item = RawItem.objects.get()
    assert item.payload_hash == services.payload_hash(item.payload)
    assert item.payload["details"]["金额"] == 12.5


def test_a_chunk_that_races_a_concurrent_ingest_is_checked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another ingest stores R-2 between our check and our insert: the unique constraint
    refuses our chunk, the check runs again, and R-2 is counted as a repeat, not lost."""
    ingest_objects([record("R-2")], source_label="other")
    real = services._stored_hashes
    calls = {"n": 0}

    def stale_first(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(keys)

    monkeypatch.setattr(services, "_stored_hashes", stale_first)
    result = ingest_objects([record("R-1"), record("R-2"), record("R-3")], source_label="ours")
    assert calls["n"] == 2
    assert (result.accepted, result.duplicates, result.quarantined) == (2, 1, 0)
    assert sorted(RawItem.objects.values_list("external_id", flat=True)) == ["R-1", "R-2", "R-3"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner statistics")
def test_a_bulk_load_refreshes_the_planner_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "CHUNK", 40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_rawitem")  # the estimate before: empty
    ingest_objects([record(f"P-{i}") for i in range(200)], source_label="bulk")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'intake_rawitem'")
        (estimate,) = cursor.fetchone()
    assert estimate >= 100, "the planner should know the table is no longer empty"
