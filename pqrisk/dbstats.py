"""Planner statistics of the tables the pipeline fills fast, kept fresh on PostgreSQL.

PostgreSQL plans each query from sampled statistics that ``ANALYZE`` writes; autovacuum runs
it once a table has changed by a tenth since the last time. Where autovacuum is off or
behind (a machine tuned for bulk loads, a busy server), a table filled at hundreds of rows a
second keeps the statistics of its first minute: the planner then takes a lookup of a few
new rows for most of the table and scans all of it (measured on a load run with autovacuum
off: no statistics at all on 230,000 records, sequential scans of 90,000 blocks for a chunk's
duplicate check). ``refresh_statistics`` applies a rule like autovacuum's itself: a hot
table changed by more than ``FRACTION`` of its rows (and ``MIN_CHANGES``) since its last
analysis, by anyone, is analysed now. ``ANALYZE`` reads a fixed sample (a fraction of a
second) and blocks neither reads nor writes; long text and JSON columns are left out of it
(``skip_statistics``, in the migrations). Nothing is done on SQLite.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import connection

log = logging.getLogger(__name__)

FRACTION = 0.2  # autovacuum's default is 0.1; the pipeline changes a row about twice
MIN_CHANGES = 1000
CHECK_EVERY = 30.0  # seconds between two looks at the counters, per process and database

_lock = threading.Lock()
_checked: dict[str, float] = {}


def hot_tables() -> list[str]:
    """The tables every item adds to or changes: intake, screening, matching, assessment,
    audit."""
    from pqrisk.assessment.models import Assessment
    from pqrisk.audit.models import AuditEvent
    from pqrisk.enterprises.models import MatchCheck, Product, RecordMatch
    from pqrisk.intake.models import RawItem
    from pqrisk.screening.models import Event, RiskInfo

    models = (RawItem, RiskInfo, Event, Product, RecordMatch, MatchCheck, Assessment, AuditEvent)
    return [m._meta.db_table for m in models]


def stale(rows: Iterable[tuple[str, float, float]]) -> list[str]:
    """Of (table, live rows, rows changed since its last analysis): the ones to analyse."""
    return [
        name
        for name, live, changed in rows
        if changed >= MIN_CHANGES and changed > FRACTION * max(live, 0.0)
    ]


def refresh_statistics(*, force: bool = False) -> list[str]:
    """Analyse the hot tables whose statistics are out of date; the tables analysed.
    Looks at the counters at most every CHECK_EVERY seconds unless ``force``."""
    if connection.vendor != "postgresql":
        return []
    key = str(connection.settings_dict.get("NAME"))
    now = time.monotonic()
    with _lock:
        if not force and now - _checked.get(key, -CHECK_EVERY) < CHECK_EVERY:
            return []
        _checked[key] = now
    tables = hot_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname = ANY(%s)",
            [tables],
        )
        due = stale(cursor.fetchall())
        for table in due:  # names from our own models, quoted
            started = time.monotonic()
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            log.info("analysed %s in %.2f s", table, time.monotonic() - started)
    return due


def skip_statistics(table: str, columns: tuple[str, ...]) -> Any:
    """A migration operation: ``ANALYZE`` leaves out these columns of ``table`` (long text and
    JSON that no query plan is estimated on) on PostgreSQL. Their values cost most of an
    analysis of a wide table (measured: 1.5 s for screening_riskinfo at 150,000 rows);
    the planner's estimates for them were defaults anyway."""
    from django.db import migrations

    def alter(target: int) -> Any:
        def run(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor != "postgresql":
                return
            quote = schema_editor.quote_name
            for column in columns:
                schema_editor.execute(
                    f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                    f"SET STATISTICS {target}"
                )

        return run

    return migrations.RunPython(alter(0), alter(-1), elidable=False)
