"""Exchange files over the API: a streamed export and an import (file upload or JSON body),
and the signing and import of 长三角 sharing packages."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router, Schema, Status

from pqrisk.accounts.scoping import require_role
from pqrisk.warnings.models import Warning

from . import yrd
from .format import ExportFilters, InvalidFilters
from .keys import SigningKeyError
from .models import ExchangePackage
from .services import (
    EXCHANGE_ROLES,
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    ImportResult,
    import_exchange,
    start_export,
)

router = Router()
# Files above this go through the shell (pqrisk import-exchange), which takes up to 200 MB.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # form boundaries and headers around an uploaded file
READ_BLOCK = 64 * 1024
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
CONTENT_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


class ImportOut(Schema):
    batch_id: int
    producer_name: str | None
    producer_code: str | None
    accepted: int
    duplicates: int
    quarantined: int
    declared: int | None
    read: int
    summary: str


def _too_large() -> Status[dict[str, str]]:
    limit = MAX_IMPORT_BYTES // 1024 // 1024
    return Status(
        413,
        {
            "detail": f"交换文件超过 {limit} MB，无法通过接口导入。请使用命令 "
            "pqrisk import-exchange 导入，或请提供方按日期分批导出"
        },
    )


def _out(result: ImportResult) -> ImportOut:
    return ImportOut(
        batch_id=result.ingest.batch_id,
        producer_name=result.producer.name if result.producer else None,
        producer_code=result.producer.code if result.producer else None,
        accepted=result.ingest.accepted,
        duplicates=result.ingest.duplicates,
        quarantined=result.ingest.quarantined,
        declared=result.declared,
        read=result.read,
        summary=result.summary_zh,
    )


# The 200 answer is a streamed exchange file, not a JSON schema of ours: documented by hand.
EXPORT_OK = {
    "description": "交换文件（pqrisk-exchange 格式，默认 JSONL），以附件下载",
    "content": {"application/x-ndjson": {}, "application/json": {}},
}


@router.get("/export", response={400: dict}, openapi_extra={"responses": {200: EXPORT_OK}})
def export(
    request: HttpRequest,
    source: Query[list[str] | None] = None,
    since: date | None = None,
    until: date | None = None,
    by: str = "occurred",
    district: str | None = None,
    format: str = "jsonl",
) -> Any:
    """Stream an exchange file (JSONL by default) of the records the user may see.

    ``by`` says whether since/until are occurrence or receipt dates; a district officer gets
    only their own district. Every export is audited before the first record is sent."""
    filters = ExportFilters(
        sources=tuple(source or ()), since=since, until=until, date_field=by, district=district
    )
    try:
        exported = start_export(filters, user=request.user, fmt=format)
    except InvalidFilters as exc:
        return Status(400, {"detail": exc.message_zh})
    response = StreamingHttpResponse(exported.chunks(), content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = (
        f'attachment; filename="pqrisk-exchange-{exported.export_id}.{format}"'
    )
    return response


@router.post("/import", response={200: ImportOut, 400: dict, 413: dict, 422: dict})
def import_file(request: HttpRequest) -> Any:
    """Import an exchange file, uploaded as ``file`` (multipart) or sent as the request body
    (``application/json``, or ``application/x-ndjson`` for the JSONL variant).

    A file whose header is not accepted (another format, an unsupported version) is kept in
    quarantine whole and answered with 422 and the reason."""
    require_role(request.user, *EXCHANGE_ROLES)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_IMPORT_BYTES + MULTIPART_SLACK:
        return _too_large()
    with tempfile.TemporaryDirectory(prefix="pqrisk-exchange-") as tmp:
        if request.content_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is None:
                return Status(
                    400, {"detail": "请以 file 字段上传交换文件，或以交换文件内容作为请求正文提交"}
                )
            if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
                return _too_large()
            name = Path(upload.name or "upload.json").name
            path = Path(tmp) / f"upload{Path(name).suffix.lower()}"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
        else:
            suffix = JSONL_SUFFIXES[0] if request.content_type in JSONL_TYPES else JSON_SUFFIXES[0]
            name = f"接口提交{suffix}"
            path = Path(tmp) / f"body{suffix}"
            written = 0
            with path.open("wb") as fh:
                # Read in blocks: a body without Content-Length is still held to the limit.
                while block := request.read(READ_BLOCK):
                    written += len(block)
                    if written > MAX_IMPORT_BYTES:
                        return _too_large()
                    fh.write(block)
        result = import_exchange(path, user=request.user, label=name)
    if result.rejected is not None:
        return Status(422, {"detail": result.summary_zh, **_out(result).model_dump()})
    return _out(result)


# ---------------------------------------------------------------- 长三角 sharing packages


class PackageOut(Schema):
    id: int
    direction: str
    status: str
    package_id: str
    sequence: int | None
    package_hash: str
    issuer_code: str
    issuer_name: str
    title: str
    verified: bool
    records: int
    accepted: int
    duplicates: int
    quarantined: int
    refusal: str
    detail: str


def _package_out(row: ExchangePackage) -> PackageOut:
    return PackageOut(
        id=row.pk,
        direction=row.direction,
        status=row.status,
        package_id=row.package_id,
        sequence=row.sequence,
        package_hash=row.package_hash,
        issuer_code=row.issuer_code,
        issuer_name=row.issuer_name,
        title=row.title,
        verified=row.verified,
        records=row.records,
        accepted=row.accepted,
        duplicates=row.duplicates,
        quarantined=row.quarantined,
        refusal=row.refusal,
        detail=yrd.outcome_zh(row) if row.direction == "received" else "",
    )


@router.post("/yrd/export/{warning_id}", response={200: dict, 404: dict, 409: dict})
def yrd_export(request: HttpRequest, warning_id: int) -> Any:
    """Sign a 长三角 sharing package of a published warning; the answer is the package file
    (city supervisors and admins)."""
    require_role(request.user, *yrd.EXPORT_ROLES)
    warning = Warning.objects.filter(pk=warning_id).first()
    if warning is None:
        return Status(404, {"detail": f"预警不存在：{warning_id}"})
    try:
        row = yrd.export_package(warning, user=request.user)
    except (yrd.ExchangeError, SigningKeyError) as exc:
        return Status(409, {"detail": exc.message_zh})
    return HttpResponse(row.content, content_type=CONTENT_TYPES["json"])


@router.post("/yrd/import", response={200: PackageOut, 400: dict, 413: dict, 422: PackageOut})
def yrd_import(request: HttpRequest) -> Any:
    """Import a partner's package, uploaded as ``file`` or sent as the JSON body (city admins).
    A refused package is answered with 422 and the reason; it is kept in the quarantine."""
    require_role(request.user, *yrd.IMPORT_ROLES)
    if int(request.META.get("CONTENT_LENGTH") or 0) > yrd.MAX_PACKAGE_BYTES + MULTIPART_SLACK:
        return Status(413, {"detail": f"共享包超过 {yrd.MAX_PACKAGE_BYTES // 1024 // 1024} MB"})
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            return Status(
                400, {"detail": "请以 file 字段上传共享包，或以共享包内容作为请求正文提交"}
            )
        name = Path(upload.name or "upload.json").name
        data = b"".join(upload.chunks())
    else:
        name, body = "接口提交.json", bytearray()
        # Read in blocks: a body without Content-Length is still held to the limit (the
        # service refuses what is beyond it, keeping its beginning in the quarantine).
        while len(body) <= yrd.MAX_PACKAGE_BYTES and (block := request.read(READ_BLOCK)):
            body += block
        data = bytes(body)
    row = yrd.import_package_bytes(data, name, user=request.user)
    if row.status != "accepted":
        return Status(422, _package_out(row))
    return _package_out(row)
