"""Fuzzing the entry points that keep what they refuse: the API body reader, a station's
report, the ingest service, the exchange file import and the YRD package import.

Whatever arrives, the call returns (records, an import result, a refused package) or raises
the documented refusal with a Chinese message; anything it keeps in quarantine has a
Chinese reason.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pqrisk.intake.models import QuarantinedItem

from .strategies import JSON_VALUES, NOISY_MACHINE, TEXT, assert_chinese, encoded_text, records

pytestmark = pytest.mark.django_db
DB = settings(max_examples=40, suppress_health_check=NOISY_MACHINE)

BODIES = st.one_of(
    st.binary(max_size=400),
    encoded_text(),
    st.lists(records(), max_size=5).map(lambda r: json.dumps({"records": r}).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)


def quarantine_speaks_chinese() -> None:
    for message in QuarantinedItem.objects.values_list("message", flat=True):
        assert_chinese(message)


@DB
@given(BODIES)
@example(b'{"records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
def test_api_body_then_ingest(dana: Any, raw: bytes) -> None:
    from pqrisk.intake.body import BodyRejected, read_records_body
    from pqrisk.intake.services import ingest_objects

    try:
        body = read_records_body(raw, source_label="接口提交", user=dana, max_records=1000)
    except BodyRejected as exc:
        assert_chinese(exc.message_zh)
    else:
        result = ingest_objects(body.records, source_label="接口提交", source=body.source)
        assert result.accepted + result.duplicates + result.quarantined == len(body.records)
    quarantine_speaks_chinese()


@pytest.fixture
def station(alice: Any) -> Any:
    from pqrisk.stations.services import register_station

    return register_station(name="仁济医院伤害监测点", kind="hospital", user=alice)[0]


@DB
@given(BODIES)
def test_station_report(station: Any, raw: bytes) -> None:
    from pqrisk.stations.services import StationRefused, read_station_body, receive_station_report

    try:
        report = read_station_body(station, raw)
        receive_station_report(station, report)
    except StationRefused as exc:
        assert_chinese(exc.message_zh)
    quarantine_speaks_chinese()


EXCHANGE = st.one_of(
    st.binary(max_size=400),
    encoded_text(),
    st.builds(
        lambda producer, records, version: json.dumps(
            {
                "format": "pqrisk-exchange",
                "version": version,
                "producer": producer,
                "generated_at": "2026-03-05T08:00:00+08:00",
                "records": records,
            }
        ).encode(),
        st.one_of(
            st.fixed_dictionaries({"name": TEXT, "code": st.sampled_from(["JS", "ZJ", "a b", ""])}),
            JSON_VALUES,
        ),
        st.lists(records(), max_size=4),
        st.one_of(st.just(1), JSON_VALUES),
    ),
)


@DB
@given(EXCHANGE, st.sampled_from([".json", ".jsonl", ".csv"]))
@example(b"[" * 50_000, ".json")
def test_exchange_file_import(tmp_path: Path, data: bytes, suffix: str) -> None:
    from pqrisk.exchange.services import import_exchange

    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    result = import_exchange(path)
    assert_chinese(result.summary_zh)
    quarantine_speaks_chinese()


@DB
@given(EXCHANGE)
@example(b"[" * 50_000)
def test_yrd_package_import(data: bytes) -> None:
    from pqrisk.exchange.yrd import import_package_bytes, outcome_zh

    row = import_package_bytes(data, "共享包.json")
    assert_chinese(outcome_zh(row))
    quarantine_speaks_chinese()
