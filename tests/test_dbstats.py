"""Planner statistics of the hot tables are refreshed by the platform itself on PostgreSQL
when a table has changed by more than a fifth (autovacuum may be off or behind); long text
and JSON columns are left out of the analysis."""

from __future__ import annotations

import pytest
from django.db import connection

from pqrisk import dbstats

pytestmark = pytest.mark.django_db


def test_a_table_changed_by_more_than_a_fifth_is_due() -> None:
    rows = [
        ("grown", 10_000.0, 2_500.0),  # 25 % changed
        ("steady", 10_000.0, 1_900.0),  # 19 %
        ("new", 0.0, 5_000.0),  # filled since the last analysis (none)
        ("tiny", 0.0, 999.0),  # below the minimum: not worth a look
    ]
    assert dbstats.stale(rows) == ["grown", "new"]


def test_the_hot_tables_are_the_pipelines() -> None:
    tables = dbstats.hot_tables()
    assert {"intake_rawitem", "screening_riskinfo", "assessment_assessment"} <= set(tables)
    assert "audit_auditevent" in tables


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")
def test_on_postgresql_stale_tables_are_analysed_and_the_counters_read_at_most_every_30_s(
    django_assert_num_queries: pytest.FixtureRequest,
) -> None:
    analysed = dbstats.refresh_statistics(force=True)
    assert set(analysed) <= set(dbstats.hot_tables())
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert dbstats.refresh_statistics() == []


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps no such statistics")
def test_on_sqlite_nothing_is_done(django_assert_num_queries: pytest.FixtureRequest) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert dbstats.refresh_statistics(force=True) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")
def test_long_text_and_json_columns_are_left_out_of_the_analysis() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, a.attstattarget FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'screening_riskinfo' "
            "AND a.attname IN ('text', 'evidence', 'content_hash')"
        )
        targets = dict(cursor.fetchall())
    assert targets["text"] == 0 and targets["evidence"] == 0
    assert targets["content_hash"] != 0  # looked up by value: its statistics are kept
