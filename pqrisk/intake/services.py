"""Receive records from files, the API and monitoring stations; keep every one.

Accepted records become immutable RawItems; anything that cannot be accepted goes to the
quarantine with its reason. A record re-submitted with the same source and id is counted as
a duplicate submission; one that reuses an id with different content is quarantined for a
person to decide.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pqrisk.audit.services import record as audit
from pqrisk.core.filenames import display_name, safe_suffix
from pqrisk.reference.models import District
from pqrisk.sources.readers import Entry, read_path
from pqrisk.sources.records import (
    MAX_DEPTH,
    MAX_RECORD_BYTES,
    Record,
    RecordRejected,
    json_bytes,
    json_text,
    nesting_depth,
    validate_record,
    without_nul,
)

from .models import IngestBatch, QuarantinedItem, RawItem

log = logging.getLogger(__name__)
CHUNK = 5000
INSERT_ROWS = 500  # rows per INSERT statement (fewer on SQLite, by its parameter limit)
IN_BATCH = 900  # ids per IN query: below SQLite's old 999-parameter limit


@dataclass(frozen=True)
class IngestResult:
    batch_id: int
    accepted: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int]

    @property
    def summary_zh(self) -> str:
        text = f"接收 {self.accepted} 条，重复提交 {self.duplicates} 条，隔离 {self.quarantined} 条"
        if self.reasons:
            detail = "；".join(f"{k} {v} 条" for k, v in sorted(self.reasons.items()))
            text += f"（隔离原因：{detail}）"
        return text


def district_resolver() -> Callable[[str], str | None]:
    """Map a district code, full name or short name (浦东, 浦东新区, 浦东区) to its code."""
    names: dict[str, str] = {}
    for d in District.objects.all():
        for key in (d.code, d.name, d.short_name, f"{d.short_name}区", f"上海市{d.name}"):
            names[key] = d.code

    def resolve(value: str) -> str | None:
        return names.get(value.strip().replace(" ", ""))

    return resolve


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The one serialisation of a payload: hashed, and stored as the raw item's JSON.

    Raises RecordRejected for a lone surrogate (a JSON \\udc80 escape), which no database
    stores as text.
    """
    data = json_bytes(payload, sort_keys=True)
    try:
        data.decode()
    except UnicodeDecodeError as exc:
        raise RecordRejected(
            "encoding",
            "记录含有无效的Unicode字符（孤立的代理项），无法保存",
            f"unpaired surrogate in record: {exc}",
        ) from exc
    return data


def _chunks(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    it = iter(entries)
    while chunk := list(islice(it, size)):
        yield chunk


def ingest_entries(
    entries: Iterable[Entry],
    *,
    source_label: str,
    default_source: str | None = None,
    user: Any = None,
    station: Any = None,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Validate and store entries; return what became of them.

    Entries are taken a chunk at a time (memory stays flat in the size of the input); each
    chunk is checked against the stored (source, id) pairs with one query per source kind
    and written in one transaction.
    """
    source_label = storable_text(source_label)  # a file name may carry undecodable bytes
    batch = IngestBatch.objects.create(
        source_label=source_label[:300],
        submitted_by=user if getattr(user, "is_authenticated", False) else None,
        station=station,
    )
    resolve = district_resolver()
    statistics = _TableStatistics(RawItem._meta.db_table)
    reasons: dict[str, int] = {}
    accepted = duplicates = quarantined = 0
    label = source_label[:200]
    for chunk in _chunks(entries, CHUNK):
        good: list[tuple[Entry, Record, str, str]] = []
        bad: list[QuarantinedItem] = []
        for entry in chunk:
            try:
                if isinstance(entry.value, RecordRejected):
                    raise entry.value
                rec = validate_record(entry.value, resolve, default_source)
                data = canonical_json(rec.as_payload())
                canonical, digest = data.decode(), hashlib.sha256(data).hexdigest()
            except RecordRejected as exc:
                bad.append(_quarantine(batch, entry, exc, default_source))
                continue
            good.append((entry, rec, canonical, digest))
        # A concurrent ingest of the same records can commit between our check and our
        # insert; the unique constraint then refuses the chunk and it is checked again.
        for attempt in range(3):
            try:
                with transaction.atomic():
                    new_rows, repeats, clashes = _split_stored(good, batch)
                    _insert_raw_items(new_rows, label=label, batch=batch, station=station)
                    QuarantinedItem.objects.bulk_create(bad + clashes, batch_size=500)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("ingest %s: chunk raced a concurrent ingest; checking again", label)
        bad += clashes
        duplicates += repeats
        statistics.inserted(len(new_rows))
        accepted += len(new_rows)
        quarantined += len(bad)
        for q in bad:
            reasons[q.get_reason_display()] = reasons.get(q.get_reason_display(), 0) + 1
        if bad:
            log.warning(
                "ingest %s: quarantined %d of %d in this chunk, e.g. %s",
                source_label,
                len(bad),
                len(chunk),
                "; ".join(f"{q.location} ({q.reason})" for q in bad[:5]),
            )
        if progress:
            progress(len(chunk))
    batch.accepted, batch.duplicates, batch.quarantined = accepted, duplicates, quarantined
    batch.save(update_fields=["accepted", "duplicates", "quarantined"])
    audit(
        "ingest",
        batch,
        actor=user,
        actor_label=str(station) if station else None,
        to_state="received",
        message=f"{source_label}：接收 {accepted}，重复 {duplicates}，隔离 {quarantined}",
        detail={"reasons": reasons},
    )
    log.info(
        "ingest %s: accepted=%d duplicates=%d quarantined=%d",
        source_label,
        accepted,
        duplicates,
        quarantined,
    )
    return IngestResult(batch.pk, accepted, duplicates, quarantined, reasons)


class _TableStatistics:
    """Keep PostgreSQL's row estimate of a table honest during a bulk load.

    The planner's statistics lag a fast load until autovacuum gets round to them; with a
    table estimated near empty, the (source, id) lookups scan every row of the source kind
    instead of using the unique index, and each chunk then costs more than the last. So the
    table is analysed whenever this load has grown it by half of what the planner knows.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.enabled = connection.vendor == "postgresql"
        self.known = self._estimate() if self.enabled else 0
        self.pending = 0

    def _estimate(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [self.table])
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0

    def inserted(self, rows: int) -> None:
        if not self.enabled:
            return
        self.pending += rows
        if self.pending >= max(CHUNK, self.known // 2):
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(self.table)}")
            self.known = self._estimate()
            self.pending = 0


def _split_stored(
    good: list[tuple[Entry, Record, str, str]], batch: IngestBatch
) -> tuple[list[tuple[str, str, str, str]], int, list[QuarantinedItem]]:
    """New rows to insert, the number of repeats, and id clashes to quarantine.

    A record whose (source, id) is stored with the same content is a repeat submission; with
    different content it is an id clash a person must settle. Repeats within the chunk count
    the same way as repeats of stored records.
    """
    seen = _stored_hashes({(rec.source, rec.external_id) for _, rec, _, _ in good})
    new_rows: list[tuple[str, str, str, str]] = []
    clashes: list[QuarantinedItem] = []
    repeats = 0
    for entry, rec, canonical, digest in good:
        key = (rec.source, rec.external_id)
        stored = seen.get(key)
        if stored is None:
            seen[key] = digest
            new_rows.append((rec.source, rec.external_id, canonical, digest))
        elif stored == digest:
            repeats += 1
        else:
            clash = RecordRejected(
                "invalid_value",
                f"编号 {rec.external_id} 已存在且内容不同，请核实后更正编号或人工处理",
                f"external_id {rec.external_id} reused with different content",
            )
            clashes.append(_quarantine(batch, entry, clash, rec.source))
    return new_rows, repeats, clashes


def _stored_hashes(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Payload hashes of the stored raw items among ``keys``: one query per source kind."""
    seen: dict[tuple[str, str], str] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, ext_id in keys:
        by_kind.setdefault(kind, []).append(ext_id)
    if connection.vendor == "postgresql":
        # One array parameter instead of thousands of placeholders.
        sql = (
            f"SELECT external_id, payload_hash FROM {RawItem._meta.db_table} "
            "WHERE source_kind = %s AND external_id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            for kind, ids in by_kind.items():
                cursor.execute(sql, [kind, ids])
                for ext_id, digest in cursor.fetchall():
                    seen[(kind, ext_id)] = digest
        return seen
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), IN_BATCH):
            rows = RawItem.objects.filter(
                source_kind=kind, external_id__in=ids[start : start + IN_BATCH]
            ).values_list("external_id", "payload_hash")
            for ext_id, digest in rows:
                seen[(kind, ext_id)] = digest
    return seen


def _insert_raw_items(
    rows: list[tuple[str, str, str, str]], *, label: str, batch: IngestBatch, station: Any
) -> None:
    """Insert raw items (kind, id, canonical JSON, hash) many rows per statement.

    The payload goes in as the JSON text already hashed, so it is serialised once; the
    model's ``save`` (which only guards updates) and signals are not involved, as with
    ``bulk_create``.
    """
    if not rows:
        return
    meta = RawItem._meta
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    names = (
        "source_kind",
        "external_id",
        "payload",
        "payload_hash",
        "source_name",
        "batch",
        "station",
        "received_at",
    )
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column[n]) for n in names)
    received = timezone.now()
    tail = (label, batch.pk, getattr(station, "pk", None), received)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream in PostgreSQL's own format, no SQL text to build or parse.
            # The driver's cursor bypasses Django's error translation: restore it, so a unique
            # violation is an IntegrityError here too.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row((*row, *tail))
            return
        row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
        head = f"INSERT INTO {table} ({columns}) VALUES "
        per_statement = min(INSERT_ROWS, (connection.features.max_query_params or 32_000) // 8)
        values = (*tail[:3], connection.ops.adapt_datetimefield_value(received))
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            cursor.execute(
                head + ", ".join([row_sql] * len(part)),
                [value for row in part for value in (*row, *values)],
            )


def _quarantine(
    batch: IngestBatch, entry: Entry, exc: RecordRejected, source: str | None
) -> QuarantinedItem:
    return QuarantinedItem(
        batch=batch,
        source_kind=storable_text(source or "")[:20],
        location=storable_text(entry.location)[:300],
        # Kept verbatim but for NUL, which PostgreSQL cannot store in text: shown as \x00.
        content=storable_text(entry.raw),
        reason=exc.reason,
        # The message may quote the bad value itself (a district, a date, an id).
        message=storable_text(exc.message_zh)[:500],
        parsed=parsed_of(entry),
    )


def storable_text(text: str) -> str:
    """``text`` as any database stores it: NUL shown as \\x00, lone surrogates as \\udXXX."""
    text = text.replace("\x00", "\\x00")
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates: no database stores them as text
        text = text.encode("utf-8", "backslashreplace").decode()
    return text


def parsed_of(entry: Entry) -> dict[str, Any] | None:
    """The object an entry was parsed into, as JSON that any database stores; else None.

    Called where intake builds a quarantined item, so that a person can later correct the
    parsed record instead of retyping it. NUL is dropped (PostgreSQL stores none) and values
    JSON lacks (dates of an Excel cell) become text; an object with unpaired surrogates or
    beyond the record size limit is not kept (the raw content still is).
    """
    if not isinstance(entry.value, Mapping) or nesting_depth(entry.value, MAX_DEPTH) > MAX_DEPTH:
        return None
    data = json_bytes(without_nul(entry.value))
    if len(data) > MAX_RECORD_BYTES:
        return None
    try:
        value: dict[str, Any] = orjson.loads(data)  # refuses lone surrogates
    except orjson.JSONDecodeError:
        return None
    return value


def ingest_file(
    path: Path,
    *,
    source: str | None = None,
    user: Any = None,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Ingest one file of records (JSONL, JSON, CSV or Excel)."""
    return ingest_entries(
        read_path(path),
        source_label=path.name,
        default_source=source,
        user=user,
        progress=progress,
    )


def ingest_objects(
    objects: Iterable[Any],
    *,
    source_label: str,
    source: str | None = None,
    user: Any = None,
    station: Any = None,
) -> IngestResult:
    """Ingest already-parsed objects (API bodies, generated demo records)."""
    entries = (
        Entry(
            f"{source_label}#{i}",
            json_text(o)[:200_000],
            o,
        )
        for i, o in enumerate(objects, start=1)
    )
    return ingest_entries(
        entries, source_label=source_label, default_source=source, user=user, station=station
    )


def load_cpsc_file(path: Path) -> IngestResult:
    """Load US CPSC recalls (legacy JSONL) as foreign recall notices; bad lines quarantined."""
    from pqrisk.sources.cpsc import iter_cpsc_legacy

    def entries() -> Iterator[Entry]:
        for number, value in enumerate(iter_cpsc_legacy(path), start=1):
            if isinstance(value, ValueError):
                yield Entry(
                    f"{path.name}:{getattr(value, 'line_no', number)}",
                    getattr(value, "raw", str(value)),
                    RecordRejected(
                        getattr(value, "reason", "malformed"),
                        f"CPSC召回记录无法解析：{value}",
                        str(value),
                    ),
                )
            else:
                yield Entry(f"{path.name}:{number}", json_text(value), value)

    return ingest_entries(entries(), source_label=path.name, default_source="foreign_recall")


def ingest_upload(upload: Any, source: str | None, user: Any) -> IngestResult:
    """Ingest an uploaded file (a Django UploadedFile) under its own name."""
    suffix = safe_suffix(upload.name, default="")
    suffix = f".{suffix}" if suffix else ""
    with tempfile.TemporaryDirectory(prefix="pqrisk-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        result = ingest_entries(
            read_path(path),
            # The sender's name is shown, never used as a path (the copy above has our own).
            source_label=display_name(upload.name),
            default_source=source,
            user=user,
        )
    return result
