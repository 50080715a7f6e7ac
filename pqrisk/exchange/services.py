"""Exchange of records with other regulators and consumer organisations (pqrisk-exchange).

Exports stream raw items (the canonical records as received) with their screening tags,
restricted to what the exporting user may see, and are audited before any data leaves.
Imports check the file's header and feed its records through intake (``ingest_entries``), so
idempotency, quarantine and audit are intake's own; a file whose header is not accepted goes
to quarantine whole, with the reason.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, TextIO, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Count, Max, Model, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Substr
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role, scope_queryset
from pqrisk.assessment.models import Assessment
from pqrisk.audit.services import record as audit
from pqrisk.intake.choices import SourceKind
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import IngestResult, district_resolver, ingest_entries
from pqrisk.reference.models import District
from pqrisk.sources.readers import (
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    Entry,
    decode_bytes,
    open_text,
    read_jsonl,
)
from pqrisk.sources.records import RecordRejected, loads_json

from .format import (
    DATE_FIELDS,
    FILE_FORMATS,
    ExchangeHeader,
    ExportFilters,
    InvalidFilters,
    Producer,
    build_header,
    exchange_record,
    file_chunks,
    incoming_record,
    parse_header,
    parse_producer,
)

# Who the platform is in the files it writes; a deployment sets PQRISK_EXCHANGE_PRODUCER
# (name, code, contact) to the code agreed with its exchange partners.
DEFAULT_PRODUCER = {"name": "上海市市场监督管理局", "code": "SHAMR", "contact": ""}
EXCHANGE_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST, Role.DISTRICT_OFFICER)
EXPORT_CHUNK = 2000  # rows fetched per round trip while streaming an export
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def own_producer() -> Producer:
    configured = getattr(settings, "PQRISK_EXCHANGE_PRODUCER", None) or {}
    return parse_producer({**DEFAULT_PRODUCER, **configured})


# ---------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportRef:
    """The audit log's name for one export. An export has no table of its own (the file is
    the record, the audit event its register), so it is named by the id in the file header."""

    pk: str
    district_id: int | None
    _meta: ClassVar[Any] = SimpleNamespace(label_lower="exchange.export")


@dataclass(frozen=True)
class Export:
    """An export that has been decided and audited; ``chunks`` writes it out."""

    export_id: str
    fmt: str
    header: dict[str, Any]
    rows: QuerySet[RawItem]

    @property
    def count(self) -> int:
        return int(self.header["record_count"])

    def chunks(self, progress: Callable[[int], None] | None = None) -> Iterator[str]:
        """The file as text pieces; rows are fetched EXPORT_CHUNK at a time, never all."""
        return file_chunks(self.fmt, self.header, self._records(progress))

    def write_to(self, stream: TextIO, progress: Callable[[int], None] | None = None) -> None:
        for chunk in self.chunks(progress):
            stream.write(chunk)

    def _records(self, progress: Callable[[int], None] | None) -> Iterator[dict[str, Any]]:
        done = 0
        for item in self.rows.iterator(chunk_size=EXPORT_CHUNK):
            yield exchange_record(item.payload, screening_tags(item))
            done += 1
            if progress and done % EXPORT_CHUNK == 0:
                progress(EXPORT_CHUNK)
        if progress and done % EXPORT_CHUNK:
            progress(done % EXPORT_CHUNK)


def screening_tags(item: RawItem) -> dict[str, Any] | None:
    """What our screening and assessment said about a record (absent until screened)."""
    try:
        info = item.risk_info
    except ObjectDoesNotExist:
        return None
    hazards = [info.hazard.code] if info.hazard else []
    hazards += [h for h in (info.tags or {}).get("hazards", []) if h not in hazards]
    return {
        "product_category": info.product_category.code if info.product_category else None,
        "hazards": hazards,
        "risk_level": getattr(item, "risk_level", None),
    }


def effective_filters(filters: ExportFilters, user: Any = None) -> ExportFilters:
    """The selection as it will be made: district resolved to its code, and pinned to the
    user's own district for a district officer (who may not ask for another)."""
    filters.check()
    district = filters.district
    if district:
        code = district_resolver()(district)
        if code is None:
            raise InvalidFilters(f"行政区无法识别：{district[:40]}")
        district = code
    if user is not None:
        require_role(user, *EXCHANGE_ROLES)
        if not user.is_city_wide:
            own = user.district
            if own is None:
                raise PermissionDenied("账户未设置所属区局，无法导出")
            if district and district != own.code:
                raise PermissionDenied(f"区局用户只能导出本区（{own.name}）的记录")
            district = own.code
    return replace(filters, district=district)


def export_queryset(filters: ExportFilters, user: Any = None) -> QuerySet[RawItem]:
    """Raw items matching checked ``filters``; limited to what ``user`` may see if given.

    The district is the one screening settled on (the record's own, else its enterprise's),
    the one every page scopes by, so records not yet screened have none.
    """
    qs = RawItem.objects.all()
    if user is not None:
        require_role(user, *EXCHANGE_ROLES)
        qs = scope_queryset(user, qs, "risk_info__district")
    if filters.sources:
        qs = qs.filter(source_kind__in=filters.sources)
    if filters.district:
        qs = qs.filter(risk_info__district__code=filters.district)
    if filters.date_field == "received":
        if filters.since:
            qs = qs.filter(received_at__date__gte=filters.since)
        if filters.until:
            qs = qs.filter(received_at__date__lte=filters.until)
    elif filters.since or filters.until:
        # occurred_at is stored as ISO text (a date or a date-time): its first ten characters
        # are the day, and ISO days sort as text.
        qs = qs.annotate(occurred_on=Substr(KT("payload__occurred_at"), 1, 10))
        if filters.since:
            qs = qs.filter(occurred_on__gte=filters.since.isoformat())
        if filters.until:
            qs = qs.filter(occurred_on__lte=filters.until.isoformat())
    return qs


def start_export(
    selection: ExportFilters | QuerySet[RawItem],
    *,
    user: Any = None,
    fmt: str = "jsonl",
    actor_label: str | None = None,
) -> Export:
    """Decide an export: scope and count it, write the audit event, return it to be written.

    ``user`` None means the platform itself (the shell), which sees every district. A ready
    queryset is still scoped to ``user``. Raises InvalidFilters or PermissionDenied.
    """
    if fmt not in FILE_FORMATS:
        raise InvalidFilters(f"导出格式应为 json 或 jsonl，实际为 {fmt}")
    if isinstance(selection, ExportFilters):
        filters = effective_filters(selection, user)
        qs = export_queryset(filters, user)
    else:
        filters = ExportFilters()
        if user is not None:
            require_role(user, *EXCHANGE_ROLES)
            qs = scope_queryset(user, selection, "risk_info__district")
        else:
            qs = selection
    # Raw items are only ever added: the ids up to now are a consistent cut, so the count in
    # the header is what the file holds even while intake goes on.
    cut = qs.aggregate(last=Max("id"), count=Count("id"))
    rows = (
        qs.filter(id__lte=cut["last"] or 0)
        .select_related("risk_info__product_category", "risk_info__hazard")
        .annotate(
            risk_level=Subquery(
                Assessment.objects.filter(risk_info__raw_item_id=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("level")[:1]
            )
        )
        .order_by("id")
    )
    now = timezone.localtime()
    export_id = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    producer = own_producer()
    header = build_header(
        producer,
        generated_at=now,
        filters=filters,
        export_id=export_id,
        record_count=cut["count"],
    )
    district = District.objects.filter(code=filters.district).first() if filters.district else None
    audit(
        "export",
        cast(Model, ExportRef(export_id, district.pk if district else None)),
        actor=user,
        actor_label=actor_label,
        message=f"导出交换文件 {export_id}（{fmt}）{cut['count']} 条；{describe_filters(filters)}",
        detail={
            "export_id": export_id,
            "format": fmt,
            "filters": filters.as_header(),
            "record_count": cut["count"],
            "producer": producer.code,
        },
    )
    return Export(export_id=export_id, fmt=fmt, header=header, rows=rows)


def export_records(
    selection: ExportFilters | QuerySet[RawItem],
    stream: TextIO,
    *,
    user: Any = None,
    fmt: str = "jsonl",
    actor_label: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Export:
    """Write an exchange file of the selected records to a text stream, memory flat."""
    export = start_export(selection, user=user, fmt=fmt, actor_label=actor_label)
    export.write_to(stream, progress)
    return export


def describe_filters(filters: ExportFilters) -> str:
    """The selection in words, for the audit log."""
    labels = dict(SourceKind.choices)
    parts = ["来源：" + ("、".join(labels.get(s, s) for s in filters.sources) or "全部")]
    if filters.since or filters.until:
        since, until = filters.since or "不限", filters.until or "不限"
        parts.append(f"{DATE_FIELDS[filters.date_field]} {since} 至 {until}")
    if filters.district:
        district = District.objects.filter(code=filters.district).first()
        parts.append(f"区：{district.name if district else filters.district}")
    return "；".join(parts)


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    ingest: IngestResult
    producer: Producer | None
    # Set when the header was not accepted: the whole file is then in quarantine.
    rejected: RecordRejected | None
    declared: int | None  # record_count of the header, if it gave one
    read: int  # record entries read (good or bad)

    @property
    def complete(self) -> bool:
        return self.declared is None or self.declared == self.read

    @property
    def summary_zh(self) -> str:
        if self.rejected is not None:
            return (
                f"交换文件未被接受：{self.rejected.message_zh}。"
                f"文件内容已整体保存在隔离区（批次 {self.ingest.batch_id}）"
            )
        text = f"{self.producer.name if self.producer else ''}：{self.ingest.summary_zh}"
        if not self.complete:
            text += (
                f"。文件头声明 {self.declared} 条，实际读到 {self.read} 条，"
                "文件可能不完整，请向提供方核实"
            )
        return text


@dataclass
class _Opened:
    """A file after its header: the header, or why it was not accepted, and its entries
    (the records, or, when rejected, everything in it to be quarantined)."""

    header: ExchangeHeader | None
    rejected: RecordRejected | None
    entries: Iterator[Entry]


def _whole(name: str, content: str, exc: RecordRejected) -> _Opened:
    return _Opened(None, exc, iter([Entry(name, content, exc)]))


def _open_json(path: Path, name: str) -> _Opened:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        return _whole(
            name,
            "",
            RecordRejected(
                "too_large",
                f"JSON交换文件过大（{size // 1024 // 1024} MB，上限 "
                f"{MAX_JSON_BYTES // 1024 // 1024} MB），请提供方改用 JSONL 变体导出",
                f"JSON exchange file of {size} bytes exceeds {MAX_JSON_BYTES}",
            ),
        )
    data = path.read_bytes()
    try:
        text = decode_bytes(data)
    except RecordRejected as exc:
        return _whole(name, data.decode("utf-8", "backslashreplace"), exc)
    del data
    try:
        obj = loads_json(text)  # nesting beyond the stack is bad JSON, not a crash
    except json.JSONDecodeError as exc:
        return _whole(
            name,
            text,
            RecordRejected(
                "malformed",
                f"文件不是合法的JSON：{exc.msg}（第{exc.lineno}行）",
                f"invalid JSON: {exc}",
            ),
        )
    try:
        header = parse_header(obj, with_records=True)
    except RecordRejected as exc:
        return _whole(name, text, exc)
    records = obj["records"]
    del obj, text
    return _Opened(
        header,
        None,
        (
            Entry(f"{name}#{i}", json.dumps(item, ensure_ascii=False, default=str), item)
            for i, item in enumerate(records, start=1)
        ),
    )


def _open_jsonl(path: Path, name: str) -> _Opened:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return _whole(
            name,
            "",
            RecordRejected(
                "too_large",
                f"文件过大（{size // 1024 // 1024} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB），"
                "请提供方按日期分批导出",
                "file too large",
            ),
        )
    try:
        stream, encoding = open_text(path)
    except RecordRejected as exc:
        return _whole(name, path.read_bytes().decode("utf-8", "backslashreplace"), exc)
    lines = read_jsonl(stream, name, encoding)
    first = next(lines, None)
    header: ExchangeHeader | None = None
    rejected: RecordRejected | None = None
    if first is None:
        rejected = RecordRejected("malformed", "交换文件为空", "empty exchange file")
        first = Entry(name, "", rejected)
    elif isinstance(first.value, RecordRejected):
        rejected = RecordRejected(
            first.value.reason,
            f"第1行（文件头）无法读取：{first.value.message_zh}",
            f"header line unreadable: {first.value.message_en}",
        )
    else:
        try:
            header = parse_header(first.value, with_records=False)
        except RecordRejected as exc:
            rejected = exc

    def entries() -> Iterator[Entry]:
        with stream:
            if rejected is None:
                yield from lines
                return
            # The header is not accepted: every line goes to quarantine, so nothing is lost.
            assert first is not None
            yield Entry(first.location, first.raw, rejected)
            follows = RecordRejected(
                rejected.reason,
                f"交换文件未被接受，本行随文件保存在隔离区：{rejected.message_zh}",
                f"exchange file not accepted: {rejected.message_en}",
            )
            for entry in lines:
                yield Entry(entry.location, entry.raw, follows)

    return _Opened(header, rejected, entries())


def _open(path: Path, name: str) -> _Opened:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return _open_json(path, name)
    if suffix in JSONL_SUFFIXES:
        return _open_jsonl(path, name)
    with path.open("rb") as fh:
        head = fh.read(100_000)
    return _whole(
        name,
        head.decode("utf-8", "backslashreplace"),
        RecordRejected(
            "malformed",
            f"交换文件应为 .json 或 .jsonl 文件，实际为 {suffix or '（无扩展名）'}",
            f"unsupported exchange file type {suffix!r}",
        ),
    )


def import_exchange(
    path: Path,
    *,
    user: Any = None,
    label: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a pqrisk-exchange file (JSON or JSONL, any supported encoding).

    Records are stored by intake under ids scoped to their producer (``incoming_record``);
    importing the same file again stores nothing new. ``label`` names the file (an upload's
    own name) when ``path`` is a temporary copy.
    """
    name = label or path.name
    opened = _open(path, name)
    own = own_producer()
    read = 0

    def records() -> Iterator[Entry]:
        nonlocal read
        for entry in opened.entries:
            read += 1
            value = entry.value
            if opened.header is not None and not isinstance(value, RecordRejected):
                try:
                    value = incoming_record(value, opened.header.producer.code, own.code)
                except RecordRejected as exc:
                    value = exc
            yield Entry(entry.location, entry.raw, value)

    producer = opened.header.producer if opened.header else None
    if producer is not None:
        source_label = f"交换文件 {name}（{producer.name}，{producer.code}）"
    else:
        source_label = f"交换文件 {name}（未接受）"
    result = ingest_entries(records(), source_label=source_label, user=user, progress=progress)
    return ImportResult(
        ingest=result,
        producer=producer,
        rejected=opened.rejected,
        declared=opened.header.record_count if opened.header else None,
        read=read if opened.header else 0,
    )
