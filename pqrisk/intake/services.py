"""Receive records from files, the API and monitoring stations; keep every one.

Accepted records become immutable RawItems; anything that cannot be accepted goes to the
quarantine with its reason. A record re-submitted with the same source and id is counted as
a duplicate submission; one that reuses an id with different content is quarantined for a
person to decide.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import transaction

from pqrisk.audit.services import record as audit
from pqrisk.reference.models import District
from pqrisk.sources.readers import Entry, read_path
from pqrisk.sources.records import Record, RecordRejected, validate_record

from .models import IngestBatch, QuarantinedItem, RawItem

log = logging.getLogger(__name__)
CHUNK = 1000


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
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    """Validate and store entries; return what became of them."""
    batch = IngestBatch.objects.create(
        source_label=source_label[:300],
        submitted_by=user if getattr(user, "is_authenticated", False) else None,
        station=station,
    )
    resolve = district_resolver()
    reasons: dict[str, int] = {}
    accepted = duplicates = quarantined = 0
    for chunk in _chunks(entries, CHUNK):
        good: list[tuple[Entry, Record, dict[str, Any], str]] = []
        bad: list[QuarantinedItem] = []
        for entry in chunk:
            try:
                if isinstance(entry.value, RecordRejected):
                    raise entry.value
                rec = validate_record(entry.value, resolve, default_source)
            except RecordRejected as exc:
                bad.append(_quarantine(batch, entry, exc, default_source))
                continue
            payload = rec.as_payload()
            good.append((entry, rec, payload, payload_hash(payload)))
        seen: dict[tuple[str, str], str] = {}
        keys = {(rec.source, rec.external_id) for _, rec, _, _ in good}
        for kind in {k for k, _ in keys}:
            ids = [i for k, i in keys if k == kind]
            for ext_id, h in RawItem.objects.filter(
                source_kind=kind, external_id__in=ids
            ).values_list("external_id", "payload_hash"):
                seen[(kind, ext_id)] = h
        new_items: list[RawItem] = []
        for entry, rec, payload, h in good:
            key = (rec.source, rec.external_id)
            if key in seen:
                if seen[key] == h:
                    duplicates += 1
                else:
                    bad.append(
                        _quarantine(
                            batch,
                            entry,
                            RecordRejected(
                                "invalid_value",
                                f"编号 {rec.external_id} 已存在且内容不同，"
                                "请核实后更正编号或人工处理",
                                f"external_id {rec.external_id} reused with different content",
                            ),
                            rec.source,
                        )
                    )
                continue
            seen[key] = h
            new_items.append(
                RawItem(
                    source_kind=rec.source,
                    source_name=source_label[:200],
                    external_id=rec.external_id,
                    batch=batch,
                    station=station,
                    payload=payload,
                    payload_hash=h,
                )
            )
        with transaction.atomic():
            RawItem.objects.bulk_create(new_items)
            QuarantinedItem.objects.bulk_create(bad)
        accepted += len(new_items)
        quarantined += len(bad)
        for q in bad:
            reasons[q.get_reason_display()] = reasons.get(q.get_reason_display(), 0) + 1
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


def _quarantine(
    batch: IngestBatch, entry: Entry, exc: RecordRejected, source: str | None
) -> QuarantinedItem:
    log.warning("quarantined %s: %s", entry.location, exc.message_en)
    return QuarantinedItem(
        batch=batch,
        source_kind=(source or "")[:20],
        location=entry.location[:300],
        # Kept verbatim but for NUL, which PostgreSQL cannot store in text: shown as \x00.
        content=entry.raw.replace("\x00", "\\x00"),
        reason=exc.reason,
        message=exc.message_zh[:500],
    )


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
            json.dumps(o, ensure_ascii=False, default=str)[:200_000],
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
                    RecordRejected("malformed", f"CPSC召回记录无法解析：{value}", str(value)),
                )
            else:
                yield Entry(f"{path.name}:{number}", json.dumps(value, ensure_ascii=False), value)

    return ingest_entries(entries(), source_label=path.name, default_source="foreign_recall")


def ingest_upload(upload: Any, source: str | None, user: Any) -> IngestResult:
    """Ingest an uploaded file (a Django UploadedFile) under its own name."""
    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="pqrisk-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        result = ingest_entries(
            read_path(path),
            source_label=Path(upload.name).name,
            default_source=source,
            user=user,
        )
    return result
