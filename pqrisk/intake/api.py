from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.stations.auth import StationToken
from pqrisk.stations.services import (
    StationRefused,
    admit_call,
    read_station_body,
    receive_station_report,
)

from .body import MAX_RECORDS, BodyRejected, read_records_body
from .services import ingest_objects

router = Router()
TOO_BIG = "请求体过大，请减少每次{verb}的记录条数，分批{verb}"


class IngestOut(Schema):
    batch_id: int
    accepted: int
    duplicates: int
    quarantined: int
    summary: str


class RecordsIn(Schema):
    source: str | None = None
    records: list[dict[str, Any]]


# Both record endpoints read their body themselves, not through a schema parameter (a generic
# parse error would answer in English and keep nothing); the docs show the body all the same.
RECORDS_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RecordsIn.model_json_schema()}},
    }
}


def _result(result: Any) -> IngestOut:
    return IngestOut(
        batch_id=result.batch_id,
        accepted=result.accepted,
        duplicates=result.duplicates,
        quarantined=result.quarantined,
        summary=result.summary_zh,
    )


@router.post(
    "/records",
    response={200: IngestOut, 400: dict, 403: dict, 413: dict},
    openapi_extra=RECORDS_BODY_DOC,
)
def submit_records(request: HttpRequest) -> Any:
    """Bureau staff submit records of the internal streams; bad ones are quarantined.

    A body that is not UTF-8 JSON ``{"records": [...]}``, or carries more than 1,000 records,
    is kept whole in quarantine and refused in Chinese (400, or 413 for too many records)
    naming the batch it is kept in; a body too big to read at all gets 413."""
    require_role(request.user, Role.CITY_ADMIN, Role.ANALYST, Role.DISTRICT_OFFICER)
    try:
        raw = request.body
    except RequestDataTooBig:
        return Status(413, {"detail": TOO_BIG.format(verb="提交")})
    try:
        body = read_records_body(
            raw, source_label="接口提交", user=request.user, max_records=MAX_RECORDS
        )
    except BodyRejected as exc:
        advice = "请分批提交" if exc.status == 413 else "请更正后重新提交"
        return Status(exc.status, {"detail": f"{exc.message_zh}，{advice}"})
    result = ingest_objects(
        body.records, source_label="接口提交", source=body.source, user=request.user
    )
    return _result(result)


@router.post(
    "/station-reports",
    auth=StationToken(),
    response={200: IngestOut, 400: dict, 403: dict, 413: dict, 429: dict},
    openapi_extra=RECORDS_BODY_DOC,
)
def station_report(request: HttpRequest, response: HttpResponse) -> Any:
    """A monitoring station reports risk information with its token, always as itself.

    A suspended or retired station gets 403; too many calls a minute or more records than its
    daily quota get 429 with Retry-After, and nothing of the call is stored. A body that is
    not UTF-8 JSON gets 400 in Chinese and is kept in quarantine: that is why the handler
    reads the body itself instead of leaving it to a generic parse error."""
    station = request.station  # type: ignore[attr-defined]
    try:
        admit_call(station)
        try:
            raw = request.body
        except RequestDataTooBig:
            return Status(413, {"detail": TOO_BIG.format(verb="报送")})
        records = read_station_body(station, raw)
        if len(records) > MAX_RECORDS:
            return Status(413, {"detail": f"单次最多提交{MAX_RECORDS}条记录，请分批提交"})
        result = receive_station_report(station, records)
    except StationRefused as exc:
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return Status(exc.status, {"detail": exc.message_zh})
    return _result(result)
